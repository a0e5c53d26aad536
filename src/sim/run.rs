//! The run loop: pops events in (time, sequence) order and hands them to the model until the
//! queue drains, the virtual-time horizon passes, or the event budget is spent.

use super::queue::EventQueue;
use super::time::Nanos;
use std::ops::ControlFlow;

/// A simulation model driven by the engine.
pub(crate) trait Model {
    /// Events are plain values: the queue copies them while it sorts a bucket.
    type Event: Copy;

    /// Handles one event at virtual time `now`; may schedule more.
    fn handle(&mut self, now: Nanos, event: Self::Event, queue: &mut EventQueue<Self::Event>);

    /// Events the model accounted for without putting them through the queue (closed-form
    /// deliveries). They count towards `events_total` and the event budget.
    fn folded_events(&self) -> u64 {
        0
    }

    /// Called before each event when the run has an event budget: the event about to be
    /// handled may account for at most `room` closed-form events besides itself, so that the
    /// run stops at exactly the budget.
    fn limit_folded(&mut self, _room: u64) {}
}

/// Where a run stops.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunLimits {
    /// Events after this virtual time are not handled.
    pub(crate) horizon: Nanos,
    /// At most this many events (queued and folded) are handled.
    pub(crate) event_budget: u64,
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// No event was left: everything the workload started has finished.
    #[default]
    Drained,
    /// The next event lay beyond the horizon.
    Horizon,
    /// The event budget was spent before the horizon.
    EventBudget,
    /// The caller stopped the run (it ran out of memory); its results are not written.
    Interrupted,
}

/// What the run loop observed.
#[derive(Clone, Copy, Debug)]
pub struct RunOutcome {
    pub(crate) stop: StopReason,
    /// Events that went through the queue.
    pub queued_events: u64,
    /// Time of the last event handled (the horizon if the run stopped there).
    pub(crate) end_time: Nanos,
}

/// How often (in handled events) `progress` is called.
pub(crate) const PROGRESS_EVERY: u64 = 1 << 16;

/// Runs `model` until a limit. `progress` receives the virtual time every few thousand events.
pub(crate) fn run<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    limits: RunLimits,
    mut progress: impl FnMut(Nanos),
) -> RunOutcome {
    run_until(model, queue, limits, |now| {
        progress(now);
        ControlFlow::Continue(())
    })
}

/// Runs like [`run`]; `progress` may also stop the run (for example when the process runs out
/// of memory), which then ends with [`StopReason::Interrupted`].
pub(crate) fn run_until<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    limits: RunLimits,
    mut progress: impl FnMut(Nanos) -> ControlFlow<()>,
) -> RunOutcome {
    let mut queued_events = 0u64;
    let stop = loop {
        match queue.peek_time() {
            None => break StopReason::Drained,
            Some(t) if t > limits.horizon => break StopReason::Horizon,
            Some(_) => {}
        }
        let used = queued_events + model.folded_events();
        if used >= limits.event_budget {
            break StopReason::EventBudget;
        }
        if limits.event_budget != u64::MAX {
            model.limit_folded(limits.event_budget - used - 1);
        }
        let (now, event) = queue.pop().expect("peeked");
        model.handle(now, event, queue);
        queued_events += 1;
        if queued_events.is_multiple_of(PROGRESS_EVERY) && progress(now).is_break() {
            break StopReason::Interrupted;
        }
    };
    let end_time = match stop {
        StopReason::Horizon => limits.horizon,
        _ => queue.now(),
    };
    RunOutcome {
        stop,
        queued_events,
        end_time,
    }
}

/// Runs like [`run`], but stops every `step` of virtual time (and at the end) to call
/// `checkpoint` with the virtual time reached, the model and the events queued so far. The
/// events handled, and so the results, are the same as with one [`run`]: a stop only looks.
pub(crate) fn run_in_steps<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    limits: RunLimits,
    step: Nanos,
    mut checkpoint: impl FnMut(Nanos, &M, u64),
) -> RunOutcome {
    assert!(step > 0, "a step of virtual time must be positive");
    let mut queued_events = 0u64;
    let mut stop_at = step.min(limits.horizon);
    loop {
        let stage = RunLimits {
            horizon: stop_at,
            event_budget: limits.event_budget.saturating_sub(queued_events),
        };
        let out = run(model, queue, stage, |_| {});
        queued_events += out.queued_events;
        checkpoint(out.end_time, model, queued_events);
        if out.stop != StopReason::Horizon || stop_at >= limits.horizon {
            return RunOutcome {
                queued_events,
                ..out
            };
        }
        stop_at = stop_at.saturating_add(step).min(limits.horizon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each event reschedules itself `step` later, forever.
    struct Ticker {
        step: Nanos,
        seen: Vec<Nanos>,
    }
    impl Model for Ticker {
        type Event = ();
        fn handle(&mut self, now: Nanos, _: (), q: &mut EventQueue<()>) {
            self.seen.push(now);
            q.schedule_in(self.step, ());
        }
    }

    fn ticker_run(horizon: Nanos, budget: u64) -> (Ticker, RunOutcome) {
        let mut m = Ticker {
            step: 10,
            seen: vec![],
        };
        let mut q = EventQueue::new();
        q.schedule(0, ());
        let out = run(
            &mut m,
            &mut q,
            RunLimits {
                horizon,
                event_budget: budget,
            },
            |_| {},
        );
        (m, out)
    }

    #[test]
    fn horizon_is_inclusive_and_reported() {
        let (m, out) = ticker_run(100, u64::MAX);
        assert_eq!(out.stop, StopReason::Horizon);
        assert_eq!(m.seen.last(), Some(&100));
        assert_eq!(out.queued_events, 11);
        assert_eq!(out.end_time, 100);
    }

    #[test]
    fn budget_stops_before_the_horizon() {
        let (m, out) = ticker_run(1_000, 5);
        assert_eq!(out.stop, StopReason::EventBudget);
        assert_eq!(m.seen, vec![0, 10, 20, 30, 40]);
        assert_eq!(out.end_time, 40);
    }

    #[test]
    fn steps_handle_the_same_events_as_one_run() {
        for (horizon, budget) in [(100, u64::MAX), (1_000, 37), (95, u64::MAX)] {
            let (whole, whole_out) = ticker_run(horizon, budget);
            let mut m = Ticker {
                step: 10,
                seen: vec![],
            };
            let mut q = EventQueue::new();
            q.schedule(0, ());
            let mut stops = Vec::new();
            let limits = RunLimits {
                horizon,
                event_budget: budget,
            };
            let out = run_in_steps(&mut m, &mut q, limits, 25, |t, m: &Ticker, n| {
                stops.push((t, m.seen.len() as u64, n))
            });
            assert_eq!(m.seen, whole.seen);
            assert_eq!(out.stop, whole_out.stop);
            assert_eq!(out.queued_events, whole_out.queued_events);
            assert_eq!(out.end_time, whole_out.end_time);
            // Each stop saw every event handled so far.
            assert!(stops.iter().all(|&(_, seen, n)| seen == n));
            assert_eq!(stops.last().map(|s| s.2), Some(out.queued_events));
        }
        // Stops every 25 ns of virtual time, the last at the horizon.
        let (mut m, mut q) = (
            Ticker {
                step: 10,
                seen: vec![],
            },
            EventQueue::new(),
        );
        q.schedule(0, ());
        let mut times = Vec::new();
        let limits = RunLimits {
            horizon: 95,
            event_budget: u64::MAX,
        };
        run_in_steps(&mut m, &mut q, limits, 25, |t, _, _| times.push(t));
        assert_eq!(times, [25, 50, 75, 95]);
    }

    #[test]
    fn an_empty_queue_drains() {
        let mut m = Ticker {
            step: 1,
            seen: vec![],
        };
        let mut q = EventQueue::new();
        let out = run(
            &mut m,
            &mut q,
            RunLimits {
                horizon: 5,
                event_budget: 5,
            },
            |_| {},
        );
        assert_eq!(out.stop, StopReason::Drained);
        assert_eq!(out.queued_events, 0);
    }
}
