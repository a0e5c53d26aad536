//! The session lifecycle: connecting (for each of its guilds in turn: look the guild up on
//! the ring, call the guild node's registry, send the join), online, and offline.
//!
//! Registry calls have a timeout; a timed-out call stays in the registry's queue and is still
//! served later (its reply is then stale and ignored), and the session retries after an
//! exponential backoff with jitter. With a Semaphore, a session whose node already has
//! `semaphore` calls in flight fails at once and backs off without enqueueing anything.
//! While connecting, a session handles no delivery: they wait in its mailbox (and its node's
//! memory) until it is online.

use super::event::{Event, ProcRef};
use super::ids::SessionId;
use super::mailbox::Msg;
use super::state::{Phase, RunState, Step, Wait, World};
use crate::config::schema::LookupMode;
use crate::sim::{EventQueue, Nanos};
use rand::Rng;

impl World {
    /// Session `s` starts connecting.
    pub fn connect(&mut self, s: SessionId, now: Nanos, queue: &mut EventQueue<Event>) {
        let node = self.session_node[s.index()];
        if !self.nodes[node.index()].up || self.sessions[s.index()].phase != Phase::Offline {
            return;
        }
        self.settle(node, queue);
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
        let step = match self.params.lookup_mode {
            LookupMode::Process => Step::RingCall,
            LookupMode::Ets | LookupMode::Fastglobal => Step::Lookup,
        };
        self.take_step(s, step, now, queue);
    }

    fn take_step(&mut self, s: SessionId, step: Step, now: Nanos, queue: &mut EventQueue<Event>) {
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
        if self.params.session_receive.is_zero() {
            while !self.sessions[s.index()].core.mailbox.is_empty() {
                self.session_receive_done(s, now);
            }
        } else if self.sessions[s.index()].core.state == RunState::Idle {
            self.wake(ProcRef::Session(s), now, queue);
        }
    }

    /// The guild (membership slot) the session is joining.
    fn current_slot(&self, s: SessionId) -> u32 {
        self.session_slots[self.slots_of(s).start + self.sessions[s.index()].cursor as usize]
    }

    /// A session's slice: its next connection step, or handling a delivery.
    pub fn session_slice(
        &mut self,
        s: SessionId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        match self.sessions[s.index()].step {
            Step::Nothing => self.session_receive_slice(s, now),
            Step::Lookup => {
                let lookup = self.params.lookup_cost.sample(&mut self.costs_rng);
                self.rec.lookup(lookup);
                self.registry_call(s, now, now + lookup, queue)
            }
            Step::RingCall => {
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

    /// Calls the registry of the current guild's node at `t` (or is refused by the
    /// Semaphore); returns when the session's part is done.
    fn registry_call(
        &mut self,
        s: SessionId,
        started: Nanos,
        t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let node = self.session_node[s.index()];
        if let Some(limit) = self.params.semaphore
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
        self.arm_timeout(s, token, started + self.params.registry_timeout, queue);
        self.rec.registry_calls += 1;
        sent
    }

    fn new_token(&mut self, s: SessionId, wait: Wait) -> u32 {
        let session = &mut self.sessions[s.index()];
        session.token = session.token.wrapping_add(1);
        session.wait = wait;
        session.token
    }

    /// Waits before calling the registry again.
    fn backoff(&mut self, s: SessionId, from: Nanos, queue: &mut EventQueue<Event>) {
        let b = &self.params.backoff;
        let attempt = self.sessions[s.index()].attempt;
        let base = (b.initial_ns * b.multiplier.powi(attempt as i32)).min(b.max_ns);
        let factor = 1.0 - b.jitter * self.faults_rng.random::<f64>();
        let delay = (base * factor).round() as Nanos;
        let session = &mut self.sessions[s.index()];
        session.attempt = session.attempt.saturating_add(1);
        let token = self.new_token(s, Wait::Backoff);
        queue.schedule(from + delay, Event::Retry { session: s, token });
    }

    /// A session's slice ended.
    pub fn session_slice_done(&mut self, s: SessionId, now: Nanos, queue: &mut EventQueue<Event>) {
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
    pub fn session_reply(
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
                let node = self.session_node[s.index()];
                self.nodes[node.index()].registry_in_flight -= 1;
                self.rec.registry_answered += 1;
                self.sessions[s.index()].attempt = 0;
                self.take_step(s, Step::SendJoin, now, queue);
            }
            Wait::Nothing | Wait::Backoff => {}
        }
    }

    /// Waits for the reply to call `token` of session `s` until `deadline`.
    fn arm_timeout(
        &mut self,
        s: SessionId,
        token: u32,
        deadline: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        debug_assert!(self.timeouts.back().is_none_or(|last| last.0 <= deadline));
        if self.timeouts.is_empty() {
            queue.schedule(deadline, Event::TimeoutsDue);
        }
        self.timeouts.push_back((deadline, s, token));
    }

    /// The timeouts due now fire (those of calls already answered are stale and ignored).
    pub fn timeouts_due(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        while let Some(&(deadline, s, token)) = self.timeouts.front() {
            if deadline > now {
                queue.schedule(deadline, Event::TimeoutsDue);
                return;
            }
            self.timeouts.pop_front();
            self.session_timeout(s, token, now, queue);
        }
    }

    /// Session `s`'s registry call `token` timed out.
    pub fn session_timeout(
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
    pub fn session_retry(
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

    /// Whether connecting session `s` still waits for `wait` with token `token` (else the
    /// event is stale).
    fn awaits(&self, s: SessionId, token: u32, wait: Wait) -> bool {
        let session = &self.sessions[s.index()];
        session.token == token && session.wait == wait && session.phase == Phase::Connecting
    }
}
