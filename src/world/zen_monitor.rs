//! How guilds learn that a member's session is gone when its node goes down.
//!
//! A guild monitors the sessions of its joined members. With plain Erlang monitors (the
//! default) a node going down puts one `:DOWN` per monitor (a leave, in the model) into the
//! watching guilds' mailboxes at once, after the network latency. ZenMonitor (ZM) instead
//! queues them on each guild node and delivers `zen_batch` of them every `zen_interval_ms`
//! (1,000 per 100 ms by default), so guilds handle them interleaved with their other work.
//!
//! A queued `:DOWN` whose session has meanwhile reconnected and sent its join to the guild is
//! dropped when its turn comes: the guild already has the new session (a new process, in the
//! real system, with a monitor of its own).

use super::event::{Event, ProcRef};
use super::ids::{GuildId, NodeId};
use super::mailbox::Msg;
use super::state::{Phase, World};
use crate::config::schema::{Experiment, MonitorKind};
use crate::sim::time::ms;
use crate::sim::{EventQueue, Nanos};
use std::collections::VecDeque;

/// ZenMonitor, when guilds use it: its rate (`batch` notifications per guild node every
/// `interval`) and the notifications waiting on each node.
pub(crate) struct ZenMonitor {
    pub(crate) batch: u32,
    pub(crate) interval: Nanos,
    queues: Vec<ZenQueue>,
}

impl ZenMonitor {
    /// ZenMonitor for `exp`'s cluster of `nodes` nodes, if its guilds use it.
    pub(crate) fn new(exp: &Experiment, nodes: usize) -> Option<ZenMonitor> {
        let m = &exp.model.monitors;
        (m.kind == MonitorKind::ZenMonitor).then(|| ZenMonitor {
            batch: m.zen_batch,
            interval: ms(m.zen_interval_ms).max(1),
            queues: (0..nodes).map(|_| ZenQueue::default()).collect(),
        })
    }
}

/// The `:DOWN` notifications waiting on one guild node: (known at, membership slot).
#[derive(Default)]
struct ZenQueue {
    entries: VecDeque<(Nanos, u32)>,
    /// A sweep is scheduled.
    sweeping: bool,
}

impl World {
    /// Guild `g` learns that its member in `slot` is gone: the member's node `from` went down
    /// at `now`.
    pub(crate) fn monitor_down(
        &mut self,
        g: GuildId,
        slot: u32,
        from: NodeId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let to = self.guilds[g.index()].node;
        let at = now + self.latency(from, to);
        let Some(zen) = &mut self.zen else {
            self.rec.monitor_down(at);
            let leave = Msg::Leave {
                slot,
                publish_time: 0,
            };
            self.send_msg(ProcRef::Guild(g), leave, at, queue);
            return;
        };
        let q = &mut zen.queues[to.index()];
        q.entries.push_back((at, slot));
        if !q.sweeping {
            q.sweeping = true;
            queue.schedule(at, Event::ZenSweep { node: to });
        }
    }

    /// ZenMonitor on guild node `node` delivers its next batch.
    pub(crate) fn zen_sweep(&mut self, node: NodeId, now: Nanos, queue: &mut EventQueue<Event>) {
        let (batch, interval) = self
            .zen
            .as_ref()
            .map(|z| (z.batch, z.interval))
            .expect("ZenMonitor sweeps only when it is on");
        let n = node.index();
        for _ in 0..batch {
            let queued = &mut self.zen.as_mut().expect("on").queues[n];
            match queued.entries.front() {
                Some(&(at, slot)) if at <= now => {
                    queued.entries.pop_front();
                    if !self.rejoined(slot) {
                        self.rec.monitor_down(now);
                        let g = self.guild_of_slot(slot);
                        let leave = Msg::Leave {
                            slot,
                            publish_time: now,
                        };
                        self.enqueue(ProcRef::Guild(g), leave, now, queue);
                    }
                }
                _ => break,
            }
        }
        let queued = &mut self.zen.as_mut().expect("on").queues[n];
        match queued.entries.front() {
            Some(&(at, _)) => {
                let next = at.max(now + interval);
                queue.schedule(next, Event::ZenSweep { node });
            }
            None => queued.sweeping = false,
        }
    }

    /// Whether the session of membership `slot` has reconnected and sent that guild its join.
    fn rejoined(&self, slot: u32) -> bool {
        let s = self.member_session[slot as usize];
        let session = &self.sessions[s.index()];
        match session.phase {
            Phase::Offline => false,
            Phase::Online => true,
            Phase::Connecting => {
                let slots = &self.session_slots[self.slots_of(s)];
                let index = slots
                    .iter()
                    .position(|&x| x == slot)
                    .expect("its membership");
                index < session.cursor as usize
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    /// Five members in turn on two session nodes; `session-1` restarts (`Tiny::restart_session_1`).
    fn restart() -> Tiny {
        Tiny::new(&[5]).restart_session_1()
    }

    #[test]
    fn plain_monitors_deliver_every_down_at_once_after_the_latency() {
        let s = restart().run().summary;
        assert_eq!(s.monitors.downs, 2);
        assert!((s.monitors.first_down_s - 0.2001).abs() < 1e-9);
        assert!((s.monitors.last_down_s - 0.2001).abs() < 1e-9);
    }

    #[test]
    fn zen_monitor_delivers_its_batch_per_interval() {
        // One :DOWN per 10 ms sweep: at 0.2001 s and 0.2101 s.
        let s = restart()
            .set("model.monitors.kind", "zen_monitor")
            .set("model.monitors.zen_batch", "1")
            .set("model.monitors.zen_interval_ms", "10")
            .run()
            .summary;
        assert_eq!(s.monitors.downs, 2);
        assert!((s.monitors.first_down_s - 0.2001).abs() < 1e-9);
        assert!((s.monitors.last_down_s - 0.2101).abs() < 1e-9);
        assert_eq!(s.sessions.online_at_end, 5);
    }

    #[test]
    fn a_down_whose_session_has_rejoined_is_dropped() {
        // The second :DOWN's turn comes at 0.6001 s: its session rejoined at about 0.5005 s.
        let r = restart()
            .set("model.monitors.kind", "zen_monitor")
            .set("model.monitors.zen_batch", "1")
            .set("model.monitors.zen_interval_ms", "400")
            .run();
        assert_eq!(r.summary.monitors.downs, 1);
        assert_eq!(r.summary.sessions.online_at_end, 5);
        assert_eq!(
            r.world.guilds[0].online, 5,
            "the rejoined member stays joined"
        );
    }
}
