//! The session lifecycle: connecting (for each of its guilds in turn: look the guild up on
//! the ring, `lookup.rs`; call the guild node's registry, `registry.rs`; send the join),
//! online, and offline. While connecting, a session handles no delivery: they wait in its
//! mailbox (and its node's memory) until it is online.

use super::event::{Event, ProcRef};
use super::ids::SessionId;
use super::mailbox::Msg;
use super::process::RunState;
use super::state::{Phase, Step, Wait, World};
use crate::sim::{EventQueue, Nanos};

impl World {
    /// Session `s` starts connecting.
    pub(crate) fn connect(&mut self, s: SessionId, now: Nanos, queue: &mut EventQueue<Event>) {
        let node = self.session_node[s.index()];
        if !self.nodes[node.index()].up || self.sessions[s.index()].phase != Phase::Offline {
            return;
        }
        let session = &mut self.sessions[s.index()];
        session.phase = Phase::Connecting;
        session.cursor = 0;
        session.attempt = 0;
        session.wait = Wait::Nothing;
        self.nodes[node.index()].memory_static += self.params.session_bytes;
        self.add_memory(node, 0, now, queue);
        self.next_guild(s, now, queue);
    }

    /// Starts joining the guild at the session's cursor, or goes online after the last.
    fn next_guild(&mut self, s: SessionId, now: Nanos, queue: &mut EventQueue<Event>) {
        let cursor = self.sessions[s.index()].cursor as usize;
        if cursor == self.slots_of(s).len() {
            self.become_online(s, now, queue);
            return;
        }
        let step = self.lookups.first_step();
        self.take_step(s, step, now, queue);
    }

    pub(super) fn take_step(
        &mut self,
        s: SessionId,
        step: Step,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let session = &mut self.sessions[s.index()];
        session.wait = Wait::Nothing;
        if session.core.state != RunState::Idle && session.step != Step::Nothing {
            // The session is in the middle of a slice whose own step is not done yet: the new
            // step waits for it (`session_slice_done`).
            session.pending = step;
            return;
        }
        session.step = step;
        if session.core.state == RunState::Idle {
            self.wake(ProcRef::Session(s), now, queue);
        }
    }

    fn become_online(&mut self, s: SessionId, now: Nanos, queue: &mut EventQueue<Event>) {
        self.sessions[s.index()].phase = Phase::Online;
        self.set_member_online(s, true);
        self.sessions_online += 1;
        self.rec.sessions_online(now, self.sessions_online);
        self.trace_online(now);
        if self.sessions[s.index()].core.mailbox.is_empty() {
            return;
        }
        if !self.params.sessions_busy() {
            while !self.sessions[s.index()].core.mailbox.is_empty() {
                self.session_receive_done(s, now);
            }
        } else if self.sessions[s.index()].core.state == RunState::Idle {
            self.wake(ProcRef::Session(s), now, queue);
        }
    }

    /// The guild (membership slot) the session is joining.
    pub(super) fn current_slot(&self, s: SessionId) -> u32 {
        self.session_slots[self.slots_of(s).start + self.sessions[s.index()].cursor as usize]
    }

    /// A session's slice: its next connection step, or handling a delivery.
    pub(crate) fn session_slice(
        &mut self,
        s: SessionId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        match self.sessions[s.index()].step {
            Step::Nothing => self.session_receive_slice(s, now),
            Step::Lookup => {
                let t = self.lookup_in_session(now);
                self.registry_call(s, now, t, queue)
            }
            Step::RingCall => self.ring_call(s, now, queue),
            Step::RegistryCall => self.registry_call(s, now, now, queue),
            Step::SendJoin => {
                let slot = self.current_slot(s);
                let g = self.guild_of_slot(slot);
                let (from, to) = (self.session_node[s.index()], self.guilds[g.index()].node);
                let cost = if from == to {
                    self.params.send_local.sample(&mut self.costs_rng)
                } else {
                    self.rec.inter_node_messages += 1;
                    self.params.send_remote.sample(&mut self.costs_rng)
                };
                let t = now + cost;
                self.send_msg(
                    ProcRef::Guild(g),
                    Msg::Join {
                        slot,
                        publish_time: 0,
                    },
                    t + self.latency(from, to),
                    queue,
                );
                self.sessions[s.index()].cursor += 1;
                t
            }
        }
    }

    pub(super) fn new_token(&mut self, s: SessionId, wait: Wait) -> u32 {
        let session = &mut self.sessions[s.index()];
        session.token = session.token.wrapping_add(1);
        session.wait = wait;
        session.token
    }

    /// A session's slice ended.
    pub(crate) fn session_slice_done(
        &mut self,
        s: SessionId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let step = std::mem::replace(&mut self.sessions[s.index()].step, Step::Nothing);
        match step {
            Step::Nothing => self.session_receive_done(s, now),
            Step::SendJoin => self.next_guild(s, now, queue),
            Step::Lookup | Step::RingCall | Step::RegistryCall => {}
        }
        // A step asked for during the slice: the session still holds its scheduler, which
        // runs it next (`has_work`).
        let pending = std::mem::replace(&mut self.sessions[s.index()].pending, Step::Nothing);
        if pending != Step::Nothing {
            self.sessions[s.index()].step = pending;
        }
    }

    /// A reply to call `token` reached session `s`.
    pub(crate) fn session_reply(
        &mut self,
        s: SessionId,
        token: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let session = &self.sessions[s.index()];
        if session.token != token || session.phase != Phase::Connecting {
            return;
        }
        match session.wait {
            Wait::Ring => self.take_step(s, Step::RegistryCall, now, queue),
            Wait::Registry => {
                self.registry_answered(s);
                self.sessions[s.index()].attempt = 0;
                self.take_step(s, Step::SendJoin, now, queue);
            }
            Wait::Nothing | Wait::Backoff => {}
        }
    }

    /// Whether connecting session `s` still waits for `wait` with token `token` (else the
    /// event is stale).
    pub(super) fn awaits(&self, s: SessionId, token: u32, wait: Wait) -> bool {
        let session = &self.sessions[s.index()];
        session.token == token && session.wait == wait && session.phase == Phase::Connecting
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    /// A login storm of `users` users (sessions 0..users) at 0.5 s, all at once.
    fn login(users: u32) -> Tiny {
        Tiny::new(&[5]).set(
            "workload.storms",
            &format!("[{{login: {{users: {users}, start_s: 0.5, window_s: 0}}}}]"),
        )
    }

    #[test]
    fn a_connecting_session_looks_up_calls_the_registry_then_joins() {
        // From 0.5 s: lookup 0.3 µs, call sent at 50.3 µs (a remote send), at the registry at
        // 150.3; served in 20 µs plus a 50 µs reply, back at 320.3; join sent at 370.3,
        // at the guild at 470.3, handled (10 µs) at 480.3 µs.
        let r = login(1).run();
        let s = &r.summary;
        assert_eq!(s.sessions.online_at_start, 4);
        assert_eq!(s.sessions.online_at_end, 5);
        assert!((s.sessions.last_join_handled_s - 0.500_480_3).abs() < 1e-6);
        assert_eq!(s.ring.lookups, 1);
        assert_eq!(s.registry.answered, 1);
        // The join goes to the four members online.
        assert_eq!(s.presence_deliveries_total, 4);
        assert_eq!(r.world.guilds[0].online, 5);
    }

    #[test]
    fn a_session_joins_only_after_connecting_and_receives_nothing_before() {
        // Users 0 and 1 are offline until 0.5 s: a publish at 0.1 s reaches the other three,
        // and the two joins reach 3, then 4, members.
        let r = login(2).publish_at(0.1).run();
        let s = &r.summary;
        assert_eq!(s.deliveries_total, 3);
        assert_eq!(s.sessions.online_at_end, 5);
        assert_eq!(s.presence_deliveries_total, 3 + 4);
        assert_eq!(s.registry.answered, 2);
    }
}
