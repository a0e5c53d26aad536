//! Faults: a session node crashes (a storm's scheduled restart, or its memory passing the
//! limit) and comes back. On a crash every process of the node dies with its mailbox; the
//! guilds of its sessions learn it (a leave per joined guild, after the network latency) and
//! publish their absence; after the restart each session reconnects after a uniform jitter,
//! which is the presence storm.

use super::event::{Crash, Event};
use super::ids::{NodeId, SessionId};
use super::process::{RunState, Work};
use super::state::{Phase, Step, Wait, World};
use crate::metrics::recorder::ProcessKind;
use crate::metrics::trace::Mark;
use crate::sim::{EventQueue, Nanos};
use rand::Rng;

/// Sessions connecting at planned times (a login storm, or a node's sessions after its
/// restart), sorted by time: one pending event for the whole wave instead of one per session.
pub(crate) struct Wave {
    entries: Vec<(Nanos, SessionId)>,
    next: usize,
}

impl World {
    /// Starts a wave of connections at the given times (sessions at equal times connect in
    /// the order given).
    pub(crate) fn start_wave(
        &mut self,
        mut entries: Vec<(Nanos, SessionId)>,
        queue: &mut EventQueue<Event>,
    ) {
        entries.sort_by_key(|e| e.0);
        if let Some(&(first, _)) = entries.first() {
            queue.schedule(
                first,
                Event::ConnectWave {
                    wave: self.waves.len() as u32,
                },
            );
        }
        self.waves.push(Wave { entries, next: 0 });
    }

    /// The sessions of wave `w` due now connect.
    pub(crate) fn wave_due(&mut self, w: u32, now: Nanos, queue: &mut EventQueue<Event>) {
        loop {
            let wave = &mut self.waves[w as usize];
            match wave.entries.get(wave.next) {
                Some(&(at, s)) if at <= now => {
                    wave.next += 1;
                    self.connect(s, now, queue);
                }
                Some(&(at, _)) => {
                    queue.schedule(at, Event::ConnectWave { wave: w });
                    return;
                }
                None => {
                    wave.entries = Vec::new();
                    return;
                }
            }
        }
    }

    /// Node `node` crashes now.
    pub(crate) fn crash(
        &mut self,
        node: NodeId,
        cause: Crash,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let n = node.index();
        if !self.nodes[n].up {
            return;
        }
        self.drop_kept(node);
        let down = match cause {
            Crash::Memory => self.params.memory_restart,
            Crash::Storm(i) => self.storm_crashes[i as usize].1,
        };
        {
            let nd = &mut self.nodes[n];
            nd.up = false;
            nd.crash_pending = false;
            nd.crashes += 1;
            nd.epoch += 1;
            nd.running = 0;
            nd.run_queue.clear();
            nd.registry_in_flight = 0;
        }
        self.rec.crashes += 1;
        let (first, end) = (
            self.nodes[n].sessions_first as usize,
            self.nodes[n].sessions_end as usize,
        );
        let mut connected = 0u64;
        for k in first..end {
            let s = self.node_sessions[k];
            let session = self.sessions[s.index()];
            if session.phase == Phase::Offline {
                continue;
            }
            connected += 1;
            let joins_sent = if session.phase == Phase::Online {
                self.slots_of(s).len()
            } else {
                session.cursor as usize
            };
            for i in 0..joins_sent {
                let slot = self.session_slots[self.slots_of(s).start + i];
                let g = self.guild_of_slot(slot);
                self.monitor_down(g, slot, node, now, queue);
            }
            if session.phase == Phase::Online {
                self.sessions_online -= 1;
                self.set_member_online(s, false);
            }
            let session = &mut self.sessions[s.index()];
            session.phase = Phase::Offline;
            session.step = Step::Nothing;
            session.pending = Step::Nothing;
            session.wait = Wait::Nothing;
            session.attempt = 0;
            session.token = session.token.wrapping_add(1);
            session.core.state = RunState::Idle;
            while self
                .mailboxes
                .pop(&mut self.sessions[s.index()].core.mailbox)
                .is_some()
            {
                self.rec.deliveries_dropped += 1;
                self.rec.change_in_sessions(now, -1);
            }
        }
        for i in 0..self.services.len() {
            if self.services[i].node == node {
                let Work { active, next, .. } = self.services[i].work;
                let mut head = true;
                while let Some(msg) = self.mailboxes.pop(&mut self.services[i].core.mailbox) {
                    let lost = self.lost_in_mailbox(i as u32, msg, head && active, next);
                    self.rec.deliveries_dropped += lost;
                    head = false;
                }
                let service = &mut self.services[i];
                service.core.state = RunState::Idle;
                service.work = Work::default();
                debug_assert!(
                    service.kind != ProcessKind::Registry,
                    "guild nodes do not crash"
                );
            }
        }
        let nd = &mut self.nodes[n];
        nd.memory_static -= connected * self.params.session_bytes;
        nd.memory_queued = 0;
        self.add_memory(node, 0, now, queue);
        self.rec.sessions_online(now, self.sessions_online);
        self.trace_online(now);
        self.trace_run_queue(n, now);
        let memory = cause == Crash::Memory;
        self.trace_mark(
            now,
            Mark::Crash {
                node: node.0,
                memory,
            },
        );
        queue.schedule(now + down, Event::Restart { node, cause });
    }

    /// Node `node` is back: its sessions reconnect after a uniform jitter.
    pub(crate) fn restart(
        &mut self,
        node: NodeId,
        cause: Crash,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let n = node.index();
        self.nodes[n].up = true;
        self.trace_mark(now, Mark::Restart { node: node.0 });
        self.relays_restarted(node, now, queue);
        let jitter = match cause {
            Crash::Memory => self.params.memory_reconnect_jitter,
            Crash::Storm(i) => self.storm_crashes[i as usize].2,
        };
        let mut wave = Vec::with_capacity(
            (self.nodes[n].sessions_end - self.nodes[n].sessions_first) as usize,
        );
        for k in self.nodes[n].sessions_first as usize..self.nodes[n].sessions_end as usize {
            let s = self.node_sessions[k];
            let delay = if jitter == 0 {
                0
            } else {
                self.faults_rng.random_range(0..=jitter)
            };
            wave.push((now + delay, s));
        }
        self.start_wave(wave, queue);
    }
}

#[cfg(test)]
mod tests {
    use crate::world::ids::NodeId;
    use crate::world::state::Phase;
    use crate::world::tiny::Tiny;

    /// Five members in turn on two session nodes; `session-1` restarts (`Tiny::restart_session_1`).
    fn restart() -> Tiny {
        Tiny::new(&[5]).restart_session_1()
    }

    #[test]
    fn a_crashed_nodes_sessions_leave_their_guilds_and_reconnect_after_the_restart() {
        let r = restart().publish_at(0.3).run();
        let s = &r.summary;
        assert_eq!(s.crashes, 1);
        assert_eq!(r.world.nodes[2].crashes, 1);
        assert_eq!(r.world.nodes[1].crashes, 0);
        assert!(r.world.nodes[2].up);
        // Two :DOWN (leaves) reach the guild; the publish while the node is down goes to the
        // three members left.
        assert_eq!(s.monitors.downs, 2);
        assert_eq!(s.deliveries_total, 3);
        assert_eq!(s.sessions.online_at_end, 5);
        assert!(s.sessions.last_join_handled_s > 0.5);
        assert!(
            r.world
                .sessions
                .iter()
                .all(|session| session.phase == Phase::Online)
        );
        assert_eq!(r.world.guilds[0].online, 5);
    }

    #[test]
    fn a_crash_takes_its_sessions_memory_and_drops_what_was_on_its_way_to_them() {
        // The leave of the first crashed member goes to the four other joined members,
        // including the second crashed one, whose leave is not handled yet: dropped. The
        // second leave goes to the three members online. Then each reconnecting member's
        // join goes to the others joined: 3, then 4.
        let r = restart().run();
        let s = &r.summary;
        assert_eq!(s.deliveries_dropped, 1);
        assert_eq!(s.presence_deliveries_total, 4 - 1 + 3 + 3 + 4);
        // While down (checked on the world built: a crash at 0.2 s removes two sessions).
        let mut w = restart().world();
        let before = w.nodes[2].memory_static;
        let mut queue = crate::sim::EventQueue::new();
        w.crash(
            NodeId(2),
            crate::world::event::Crash::Storm(0),
            200_000_000,
            &mut queue,
        );
        assert_eq!(
            before - w.nodes[2].memory_static,
            2 * w.params.session_bytes
        );
        assert_eq!(w.sessions_online, 3);
        assert!(!w.nodes[2].up);
        assert_eq!(w.nodes[2].epoch, 1);
    }
}
