//! The timeline trace's records, collected in memory during a run within a window of virtual
//! time and a cap: which process held a scheduler when, each guild's fan-outs, messages
//! between nodes (the flows), counters (run queues, memory, mailboxes, sessions online) and
//! marks (crashes, restarts, bursts). The model fills it through the hooks of
//! `crate::world::tracing`; `crate::report::trace` writes it as a trace-event file. No I/O.
//!
//! The records are a prefix in virtual time: once the cap is reached nothing more is kept, and
//! the time it was reached is stated (`full_at`), so a truncated trace is never silent.

use super::recorder::ProcessKind;
use crate::sim::Nanos;
use std::collections::BTreeMap;

/// A process as the trace names it: its kind and its index (guild, session, or service
/// index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Proc {
    pub(crate) kind: ProcessKind,
    pub(crate) index: u32,
}

/// A process held one of its node's schedulers over `[start, end]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SliceRec {
    pub(crate) node: u16,
    pub(crate) proc: Proc,
    pub(crate) start: Nanos,
    pub(crate) end: Nanos,
}

/// A message sent during slice `from_slice` to a process of another node, arriving at `at`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlowRec {
    pub(crate) from_slice: u32,
    pub(crate) to: Proc,
    pub(crate) at: Nanos,
}

/// What a counter counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Counter {
    /// Sessions online in the cluster.
    SessionsOnline,
    /// Processes waiting for a scheduler of a node.
    RunQueue(u16),
    /// A node's memory, in bytes.
    Memory(u16),
    /// Messages in a process's mailbox (of a node), the one being handled included.
    Mailbox(u16, Proc),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct CounterRec {
    pub(crate) counter: Counter,
    pub(crate) at: Nanos,
    pub(crate) value: u64,
}

/// A guild handled one message (a publish, a join, a leave or a presence change) from
/// `start` to its last send at `end`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FanoutRec {
    pub(crate) guild: u32,
    pub(crate) node: u16,
    pub(crate) start: Nanos,
    pub(crate) end: Nanos,
    pub(crate) recipients: u32,
    pub(crate) presence: bool,
}

/// Something that happened at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A node crashed (`memory`: past its memory limit; else a storm's restart).
    Crash { node: u16, memory: bool },
    /// A crashed node is back.
    Restart { node: u16 },
    /// A burst of `count` publishes reached guild `guild`.
    Burst { guild: u32, count: u32 },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct MarkRec {
    pub(crate) at: Nanos,
    pub(crate) mark: Mark,
}

/// Which processes and nodes are traced.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    /// Per node: traced.
    pub(crate) nodes: Vec<bool>,
    /// Per guild, session and service: traced (`None`: all are).
    pub(crate) guilds: Option<Vec<bool>>,
    pub(crate) sessions: Option<Vec<bool>>,
    pub(crate) services: Option<Vec<bool>>,
}

impl Filter {
    pub(crate) fn node(&self, node: u16) -> bool {
        self.nodes.get(node as usize).copied().unwrap_or(false)
    }

    pub(crate) fn proc(&self, p: Proc) -> bool {
        let mask = match p.kind {
            ProcessKind::Guild => &self.guilds,
            ProcessKind::Session => &self.sessions,
            _ => &self.services,
        };
        mask.as_ref()
            .is_none_or(|m| m.get(p.index as usize).copied().unwrap_or(false))
    }
}

/// The records of one run's trace.
#[derive(Debug)]
pub struct Trace {
    /// The window of virtual time traced, both ends included.
    pub from: Nanos,
    pub to: Nanos,
    /// At most this many trace events (a flow is two: its start and its end).
    pub cap: u64,
    pub(crate) filter: Filter,
    pub(crate) slices: Vec<SliceRec>,
    pub(crate) flows: Vec<FlowRec>,
    pub(crate) counters: Vec<CounterRec>,
    pub(crate) fanouts: Vec<FanoutRec>,
    pub(crate) marks: Vec<MarkRec>,
    /// When the cap was reached (nothing after it is kept).
    pub full_at: Option<Nanos>,
    events: u64,
    /// The slice being run, for the flows of the messages it sends.
    current: Option<u32>,
    /// Each counter's last record.
    last_counter: BTreeMap<Counter, u32>,
}

/// A node's memory is traced at most once per this much virtual time (100 µs).
pub(crate) const MEMORY_SAMPLE: Nanos = 100_000;

impl Trace {
    pub(crate) fn new(from: Nanos, to: Nanos, cap: u64, filter: Filter) -> Self {
        Self {
            from,
            to,
            cap,
            filter,
            slices: Vec::new(),
            flows: Vec::new(),
            counters: Vec::new(),
            fanouts: Vec::new(),
            marks: Vec::new(),
            full_at: None,
            events: 0,
            current: None,
            last_counter: BTreeMap::new(),
        }
    }

    /// Trace events kept so far.
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    /// Whether `n` more events at `now` may be kept; counts them if so.
    fn take(&mut self, now: Nanos, n: u64) -> bool {
        if now < self.from || now > self.to || self.full_at.is_some() {
            return false;
        }
        if self.events + n > self.cap {
            self.full_at = Some(now);
            return false;
        }
        self.events += n;
        true
    }

    /// `proc` takes a scheduler of `node` at `start` for a slice ending at `end`; the
    /// messages it sends until [`Trace::slice_done`] are this slice's.
    pub(crate) fn slice(&mut self, node: u16, proc: Proc, start: Nanos) {
        self.current = None;
        if self.filter.node(node) && self.filter.proc(proc) && self.take(start, 1) {
            self.current = Some(self.slices.len() as u32);
            self.slices.push(SliceRec {
                node,
                proc,
                start,
                end: start,
            });
        }
    }

    /// The slice started by [`Trace::slice`] ends at `end`.
    pub(crate) fn slice_done(&mut self, end: Nanos) {
        if let Some(i) = self.current.take() {
            self.slices[i as usize].end = end;
        }
    }

    /// The running slice sends a message to `to` on `to_node`, arriving at `at`: a flow when
    /// it crosses nodes and both ends are traced.
    pub(crate) fn message(&mut self, to: Proc, to_node: u16, at: Nanos) {
        let Some(from) = self.current else { return };
        let start = self.slices[from as usize];
        if start.node == to_node || !self.filter.node(to_node) || !self.filter.proc(to) {
            return;
        }
        if self.take(start.start, 2) {
            self.flows.push(FlowRec {
                from_slice: from,
                to,
                at,
            });
        }
    }

    /// A counter takes `value` at `now`. Changes at the same time keep the last value; a
    /// node's memory, which changes with every message, keeps one value per
    /// [`MEMORY_SAMPLE`] (the one after the last change in it).
    pub(crate) fn counter(&mut self, counter: Counter, now: Nanos, value: u64) {
        let spacing = match counter {
            Counter::Memory(_) => MEMORY_SAMPLE,
            _ => 1,
        };
        if let Some(&i) = self.last_counter.get(&counter)
            && now < self.counters[i as usize].at + spacing
            && self.full_at.is_none()
        {
            self.counters[i as usize].value = value;
            return;
        }
        let node = match counter {
            Counter::SessionsOnline => None,
            Counter::RunQueue(n) | Counter::Memory(n) => Some(n),
            Counter::Mailbox(n, p) => (self.filter.proc(p)).then_some(n),
        };
        if counter != Counter::SessionsOnline && !node.is_some_and(|n| self.filter.node(n)) {
            return;
        }
        if self.take(now, 1) {
            self.last_counter
                .insert(counter, self.counters.len() as u32);
            self.counters.push(CounterRec {
                counter,
                at: now,
                value,
            });
        }
    }

    /// A guild's handling of one message, from `start` to `end` (recorded at its end): kept
    /// when it overlaps the window (it starts before the window ends and ends after it
    /// starts) and is not empty (no time and no recipient: nothing to see).
    pub(crate) fn fanout(&mut self, rec: FanoutRec) {
        let guild = Proc {
            kind: ProcessKind::Guild,
            index: rec.guild,
        };
        let overlaps = rec.start <= self.to && (rec.end > self.from || rec.start >= self.from);
        let empty = rec.end == rec.start && rec.recipients == 0;
        if self.filter.node(rec.node)
            && self.filter.proc(guild)
            && overlaps
            && !empty
            && self.take(rec.end.max(self.from).min(self.to), 1)
        {
            self.fanouts.push(rec);
        }
    }

    pub(crate) fn mark(&mut self, now: Nanos, mark: Mark) {
        if self.take(now, 1) {
            self.marks.push(MarkRec { at: now, mark });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guild(index: u32) -> Proc {
        Proc {
            kind: ProcessKind::Guild,
            index,
        }
    }

    fn everything(nodes: usize) -> Filter {
        Filter {
            nodes: vec![true; nodes],
            ..Default::default()
        }
    }

    #[test]
    fn the_cap_ends_the_trace_and_says_when() {
        let mut t = Trace::new(0, 1_000, 3, everything(2));
        t.slice(0, guild(0), 10);
        t.message(guild(1), 1, 20);
        t.slice_done(15);
        assert_eq!((t.events(), t.flows.len(), t.slices[0].end), (3, 1, 15));
        t.slice(1, guild(1), 20);
        assert_eq!(t.full_at, Some(20));
        t.counter(Counter::SessionsOnline, 30, 5);
        assert_eq!((t.events(), t.slices.len(), t.counters.len()), (3, 1, 0));
    }

    #[test]
    fn the_window_and_filters_keep_what_they_name() {
        let filter = Filter {
            nodes: vec![true, false],
            guilds: Some(vec![true, false]),
            ..Default::default()
        };
        let mut t = Trace::new(100, 200, 100, filter);
        t.slice(0, guild(0), 50); // before the window
        t.slice(0, guild(1), 150); // another guild
        t.slice(1, guild(0), 150); // another node
        t.slice(0, guild(0), 150);
        t.message(guild(0), 1, 160); // to a node not traced
        t.slice_done(170);
        t.slice(0, guild(0), 250); // after the window
        assert_eq!(t.slices.len(), 1);
        assert!(t.flows.is_empty());
        t.counter(Counter::Memory(0), 150, 1);
        t.counter(Counter::Memory(0), 150, 2);
        t.counter(Counter::Memory(1), 150, 3);
        assert_eq!(t.counters.len(), 1);
        assert_eq!(t.counters[0].value, 2);
    }

    /// Post-mortem (issue 25): a fan-out was kept when it started before the window's end,
    /// even when it had ended long before the window began (6,049 of them in a 0.2 s window).
    #[test]
    fn fanouts_are_kept_only_when_they_overlap_the_window_and_are_not_empty() {
        let mut t = Trace::new(100, 200, 100, everything(1));
        let fanout = |start, end, recipients| FanoutRec {
            guild: 0,
            node: 0,
            start,
            end,
            recipients,
            presence: recipients == 0,
        };
        t.fanout(fanout(10, 60, 5)); // ends before the window
        t.fanout(fanout(10, 100, 5)); // ends as the window starts
        t.fanout(fanout(250, 260, 5)); // starts after the window
        t.fanout(fanout(150, 150, 0)); // empty: no time, no recipient
        assert!(t.fanouts.is_empty(), "{:?}", t.fanouts);
        t.fanout(fanout(50, 120, 5)); // straddles the start
        t.fanout(fanout(150, 170, 5)); // inside
        t.fanout(fanout(190, 230, 5)); // straddles the end
        t.fanout(fanout(160, 160, 3)); // instantaneous, with recipients
        t.fanout(fanout(100, 100, 3)); // instantaneous, at the window's start
        let kept: Vec<Nanos> = t.fanouts.iter().map(|f| f.start).collect();
        assert_eq!(kept, [50, 150, 190, 160, 100]);
    }
}
