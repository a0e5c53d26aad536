//! Looking guilds up on the consistent-hash ring (B17, discord/ex_hash_ring): a connecting
//! session finds its guild's node in its own process (the ring in ETS, or in FastGlobal's
//! constant pool, at the lookup's cost), or by calling its node's ring process, which answers
//! one lookup at a time (`lookup: process`). The ring itself is `ring.rs`.

use super::event::{Event, ProcRef};
use super::ids::{NodeId, SessionId};
use super::mailbox::Msg;
use super::state::{Step, Wait, World};
use crate::config::schema::{Experiment, LookupMode};
use crate::sim::time::us;
use crate::sim::{Dist, EventQueue, Nanos};

/// How sessions look guilds up: where, at what cost.
pub(crate) struct Lookups {
    pub(crate) mode: LookupMode,
    /// One lookup's cost (in the session, or in the ring process).
    pub(crate) cost: Dist,
}

impl Lookups {
    pub(crate) fn new(exp: &Experiment) -> Lookups {
        let ring = &exp.model.ring;
        Lookups {
            mode: ring.lookup,
            cost: ring
                .lookup_cost
                .as_ref()
                .map(super::build::dist)
                .unwrap_or_else(|| Dist::constant(us(ring.lookup.published_cost_us()))),
        }
    }

    /// A connecting session's first step for each guild.
    pub(super) fn first_step(&self) -> Step {
        match self.mode {
            LookupMode::Process => Step::RingCall,
            LookupMode::Ets | LookupMode::Fastglobal => Step::Lookup,
        }
    }
}

impl World {
    /// A lookup in the session's own process, from `now`: when it is done.
    pub(super) fn lookup_in_session(&mut self, now: Nanos) -> Nanos {
        let lookup = self.lookups.cost.sample(&mut self.costs_rng);
        self.rec.lookup(lookup);
        now + lookup
    }

    /// Session `s` asks its node's ring process (its slice, from `now`): when the call is sent.
    pub(super) fn ring_call(
        &mut self,
        s: SessionId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let t = now + self.params.send_local.sample(&mut self.costs_rng);
        let token = self.new_token(s, Wait::Ring);
        let node = self.session_node[s.index()];
        let ring = self.ring_process_of(s);
        self.send_msg(
            ProcRef::Service(ring),
            Msg::RingCall { session: s, token },
            t + self.latency(node, node),
            queue,
        );
        t
    }

    /// Ring process `i` on `node` answers `session`'s lookup `token` (its slice).
    pub(super) fn ring_slice(
        &mut self,
        i: u32,
        node: NodeId,
        session: SessionId,
        token: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let lookup = self.lookups.cost.sample(&mut self.costs_rng);
        self.rec.lookup(lookup);
        let t = now + lookup + self.params.send_local.sample(&mut self.costs_rng);
        queue.schedule(
            t + self.latency(node, node),
            Event::Reply { session, token },
        );
        self.services[i as usize].work.done = true;
        t
    }

    /// The ring process of session `s`'s node.
    pub(crate) fn ring_process_of(&self, s: SessionId) -> u32 {
        self.nodes[self.session_node[s.index()].index()]
            .ring_process
            .expect("a session node has a ring process")
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::{Tiny, assert_close};

    /// Users 0 and 1 log in at 0.5 s (each joins its one guild), with lookups `mode`.
    fn login(mode: &str) -> Tiny {
        Tiny::new(&[5])
            .set(
                "workload.storms",
                "[{login: {users: 2, start_s: 0.5, window_s: 0}}]",
            )
            .set("model.ring.lookup", mode)
    }

    #[test]
    fn a_lookup_in_the_session_costs_the_modes_published_cost() {
        let s = login("ets").run().summary;
        assert_eq!(s.ring.lookups, 2);
        assert_close(s.ring.lookup_work_s, 2.0 * 7e-6);
        assert_close(s.busy_s.of("ring"), 0.0);
        assert_eq!(s.sessions.online_at_end, 5);
    }

    #[test]
    fn a_lookup_by_the_ring_process_is_its_work_and_a_local_call() {
        // Each lookup: 12 µs in the ring process, plus its local reply (2 µs).
        let s = login("process").run().summary;
        assert_eq!(s.ring.lookups, 2);
        assert_close(s.ring.lookup_work_s, 2.0 * 12e-6);
        assert_close(s.busy_s.of("ring"), 2.0 * 14e-6);
        assert_eq!(s.sessions.online_at_end, 5);
        assert_eq!(s.ring.lookup, "process");
    }
}
