//! Guild registries (B17): one registry process per guild node turns a guild id into the
//! guild's process, one call at a time. A session calls the registry of its guild's node while
//! connecting; the call has a timeout, and a timed-out call stays in the registry's queue and
//! is still served later (its reply is then stale and ignored), while the session retries
//! after an exponential backoff with jitter. With a Semaphore (B17, discord/semaphore), a
//! session whose node already has `semaphore` calls in flight fails at once and backs off
//! without enqueueing anything.

use super::event::{Event, ProcRef};
use super::ids::{NodeId, SessionId};
use super::mailbox::Msg;
use super::state::{Step, Wait, World};
use crate::config::schema::Experiment;
use crate::sim::time::ms;
use crate::sim::{Dist, EventQueue, Nanos};
use rand::Rng;
use std::collections::VecDeque;

/// The registries' parameters, and the calls waiting for their timeout.
pub struct Registries {
    /// Registry time per call.
    pub(crate) call: Dist,
    pub(crate) timeout: Nanos,
    pub(crate) backoff: Backoff,
    /// At most this many calls in flight per session node (the Semaphore), if any.
    pub semaphore: Option<u32>,
    /// Registry-call timeouts, in deadline order (all have the same length, so they come in
    /// order): (deadline, session, token). One pending event covers the earliest.
    timeouts: VecDeque<(Nanos, SessionId, u32)>,
}

/// Backoff before a retry (after a timeout or a Semaphore refusal), in nanoseconds.
pub(crate) struct Backoff {
    pub(crate) initial_ns: f64,
    pub(crate) max_ns: f64,
    pub(crate) multiplier: f64,
    pub(crate) jitter: f64,
}

impl Registries {
    pub(crate) fn new(exp: &Experiment) -> Registries {
        let r = &exp.model.registry;
        Registries {
            call: super::build::dist(&r.call_cost),
            timeout: ms(r.timeout_ms),
            backoff: Backoff {
                initial_ns: r.backoff.initial_ms * 1e6,
                max_ns: r.backoff.max_ms * 1e6,
                multiplier: r.backoff.multiplier,
                jitter: r.backoff.jitter,
            },
            semaphore: r.semaphore,
            timeouts: VecDeque::new(),
        }
    }
}

impl World {
    /// Registry `i` on `node` answers `session`'s call `token` (its slice): returns when its
    /// reply is sent.
    pub(super) fn registry_slice(
        &mut self,
        i: u32,
        node: NodeId,
        session: SessionId,
        token: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let to = self.session_node[session.index()];
        let mut t = now + self.registries.call.sample(&mut self.costs_rng);
        t += self.reply_cost(node, to);
        queue.schedule(t + self.latency(node, to), Event::Reply { session, token });
        self.rec.registry_served += 1;
        self.services[i as usize].work.done = true;
        t
    }

    /// The session's registry call was answered: one call less in flight from its node.
    pub(super) fn registry_answered(&mut self, s: SessionId) {
        let node = self.session_node[s.index()];
        self.nodes[node.index()].registry_in_flight -= 1;
        self.rec.registry_answered += 1;
    }

    /// Calls the registry of the current guild's node at `t` (or is refused by the
    /// Semaphore); returns when the session's part is done.
    pub(super) fn registry_call(
        &mut self,
        s: SessionId,
        started: Nanos,
        t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let node = self.session_node[s.index()];
        if let Some(limit) = self.registries.semaphore
            && self.nodes[node.index()].registry_in_flight >= limit
        {
            self.rec.semaphore_rejections += 1;
            self.backoff(s, t, queue);
            return t;
        }
        self.nodes[node.index()].registry_in_flight += 1;
        let g = self.guild_of_slot(self.current_slot(s));
        let to = self.guilds[g.index()].node;
        let cost = if node == to {
            self.params.send_local.sample(&mut self.costs_rng)
        } else {
            self.rec.inter_node_messages += 1;
            self.params.send_remote.sample(&mut self.costs_rng)
        };
        let sent = t + cost;
        let token = self.new_token(s, Wait::Registry);
        let registry = self.registry_of(g);
        self.send_msg(
            ProcRef::Service(registry),
            Msg::RegistryCall { session: s, token },
            sent + self.latency(node, to),
            queue,
        );
        // The timeout counts from the start of the call step, so deadlines come in order.
        self.arm_timeout(s, token, started + self.registries.timeout, queue);
        self.rec.registry_calls += 1;
        sent
    }

    /// Waits before calling the registry again.
    fn backoff(&mut self, s: SessionId, from: Nanos, queue: &mut EventQueue<Event>) {
        let b = &self.registries.backoff;
        let attempt = self.sessions[s.index()].attempt;
        let base = (b.initial_ns * b.multiplier.powi(attempt as i32)).min(b.max_ns);
        let factor = 1.0 - b.jitter * self.faults_rng.random::<f64>();
        let delay = (base * factor).round() as Nanos;
        let session = &mut self.sessions[s.index()];
        session.attempt = session.attempt.saturating_add(1);
        let token = self.new_token(s, Wait::Backoff);
        queue.schedule(from + delay, Event::Retry { session: s, token });
    }

    /// Waits for the reply to call `token` of session `s` until `deadline`.
    fn arm_timeout(
        &mut self,
        s: SessionId,
        token: u32,
        deadline: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        debug_assert!(
            self.registries
                .timeouts
                .back()
                .is_none_or(|last| last.0 <= deadline)
        );
        if self.registries.timeouts.is_empty() {
            queue.schedule(deadline, Event::TimeoutsDue);
        }
        self.registries.timeouts.push_back((deadline, s, token));
    }

    /// The timeouts due now fire (those of calls already answered are stale and ignored).
    pub(crate) fn timeouts_due(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        while let Some(&(deadline, s, token)) = self.registries.timeouts.front() {
            if deadline > now {
                queue.schedule(deadline, Event::TimeoutsDue);
                return;
            }
            self.registries.timeouts.pop_front();
            self.session_timeout(s, token, now, queue);
        }
    }

    /// Session `s`'s registry call `token` timed out.
    pub(crate) fn session_timeout(
        &mut self,
        s: SessionId,
        token: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        if !self.awaits(s, token, Wait::Registry) {
            return;
        }
        let node = self.session_node[s.index()];
        self.nodes[node.index()].registry_in_flight -= 1;
        self.rec.registry_timeouts += 1;
        self.backoff(s, now, queue);
    }

    /// Session `s`'s backoff `token` ended.
    pub(crate) fn session_retry(
        &mut self,
        s: SessionId,
        token: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        if self.awaits(s, token, Wait::Backoff) {
            self.take_step(s, Step::RegistryCall, now, queue);
        }
    }

    /// The registry process of the node of guild `g`.
    pub(crate) fn registry_of(&self, g: super::ids::GuildId) -> u32 {
        self.nodes[self.guilds[g.index()].node.index()]
            .registry
            .expect("a guild node has a registry")
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::{Tiny, assert_close};

    /// Users 0..`users` log in at 0.5 s, each joining its one guild.
    fn login(users: u32) -> Tiny {
        Tiny::new(&[5]).set(
            "workload.storms",
            &format!("[{{login: {{users: {users}, start_s: 0.5, window_s: 0}}}}]"),
        )
    }

    #[test]
    fn the_registry_serves_one_call_at_a_time() {
        // Three calls arrive at once: the registry works 20 µs and replies (50 µs) for each.
        let s = login(3).run().summary;
        assert_eq!(s.registry.answered, 3);
        assert_eq!(s.registry.timeouts, 0);
        assert_eq!(s.registry.queue_depth_max, 3);
        assert_close(s.busy_s.of("registry"), 3.0 * 70e-6);
    }

    #[test]
    fn a_call_that_times_out_is_retried_after_a_backoff() {
        // The reply comes 320.3 µs after the call step starts: a timeout of 0.3 ms always
        // fires first, so the session backs off (100-200 ms, doubling) and never joins.
        let s = login(1)
            .set("model.registry.timeout_ms", "0.3")
            .run()
            .summary;
        assert!(s.registry.timeouts >= 2, "{}", s.registry.timeouts);
        assert_eq!(s.registry.answered, 0);
        // Calls at 0.5 s, then after 50-100, 100-200, 200-400 ms: the fourth is past the
        // horizon, and each call's timeout fires 0.3 ms after it.
        assert_eq!(s.registry.calls, s.registry.timeouts);
        assert_eq!(s.registry.calls, 3);
        assert_eq!(s.sessions.online_at_end, 4);
    }

    #[test]
    fn the_semaphore_refuses_calls_over_its_limit_per_node() {
        // Four users on one session node at once, a Semaphore of 1: while the first call is
        // in flight, the three others are refused and back off; all join in the end.
        let s = login(4)
            .set("model.nodes[session].count", "1")
            .set("model.registry.semaphore", "1")
            .run()
            .summary;
        assert!(s.registry.semaphore_rejections >= 3);
        assert_eq!(s.registry.answered, 4);
        assert_eq!(s.registry.queue_depth_max, 1);
        assert_eq!(s.sessions.online_at_end, 5);
    }
}
