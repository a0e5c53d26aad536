//! Node schedulers: a node runs at most `schedulers` processes at once; the others wait in a
//! FIFO run queue. A running process holds its scheduler for one slice (at most about one
//! time slice of work), then gives it to the first waiting process and queues again behind
//! it if it still has work. A process suspended on a full distribution buffer gives its
//! scheduler up until the buffer drains.

use super::event::{Event, ProcRef};
use super::ids::NodeId;
use super::process::RunState;
use super::state::World;
use crate::sim::{EventQueue, Nanos};

impl World {
    /// `p` has work and is idle: run it if a scheduler is free, else queue it.
    pub(crate) fn wake(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        debug_assert_eq!(self.core(p).state, RunState::Idle);
        let n = self.node_of(p).index();
        if !self.nodes[n].up {
            return;
        }
        if self.nodes[n].running < self.nodes[n].schedulers {
            self.nodes[n].running += 1;
            self.start_slice(p, now, queue);
        } else {
            // The slice ends kept out of the queue will hand their scheduler on.
            self.queue_kept(NodeId(n as u16), queue);
            let node = &mut self.nodes[n];
            node.run_queue.push_back(p);
            let len = node.run_queue.len() as u32;
            self.core(p).state = RunState::Waiting;
            self.rec.run_queue(n, now, len);
            self.trace_run_queue(n, now);
        }
    }

    /// `p` takes a scheduler of its node (already counted in `running`) for one slice.
    fn start_slice(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        self.core(p).state = RunState::Running;
        self.trace_slice(p, now);
        let end = self.run_slice(p, now, queue);
        self.trace_slice_done(end);
        let n = self.node_of(p).index();
        self.rec.busy(n, now, end);
        self.record_process_busy(p, now, end);
        self.end_slice_at(p, end, queue);
    }

    /// `p`'s slice ended: pass the scheduler on.
    pub(crate) fn slice_end(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        self.finish_slice(p, now, queue);
        let suspended_until = self.suspended_until(p);
        let more = suspended_until.is_none() && self.has_work(p);
        let n = self.node_of(p).index();
        let node = &mut self.nodes[n];
        if let Some(next) = node.run_queue.pop_front() {
            if more {
                node.run_queue.push_back(p);
                self.core(p).state = RunState::Waiting;
            } else {
                self.core(p).state = RunState::Idle;
            }
            self.trace_run_queue(n, now);
            self.start_slice(next, now, queue);
        } else if more {
            self.start_slice(p, now, queue);
        } else {
            node.running -= 1;
            self.core(p).state = RunState::Idle;
        }
        if let Some(until) = suspended_until {
            self.core(p).state = RunState::Suspended;
            let epoch = self.nodes[n].epoch;
            queue.schedule(until, Event::Resume { proc: p, epoch });
        }
    }

    /// A suspended process may send again.
    pub(crate) fn resume(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        if self.core(p).state != RunState::Suspended {
            return;
        }
        self.clear_suspension(p);
        self.core(p).state = RunState::Idle;
        if self.has_work(p) {
            self.wake(p, now, queue);
        }
    }

    fn suspended_until(&self, p: ProcRef) -> Option<Nanos> {
        let work = match p {
            ProcRef::Guild(g) => &self.guilds[g.index()].work,
            ProcRef::Service(i) => &self.services[i as usize].work,
            ProcRef::Session(_) => return None,
        };
        (work.suspended_until > 0).then_some(work.suspended_until)
    }

    fn clear_suspension(&mut self, p: ProcRef) {
        match p {
            ProcRef::Guild(g) => self.guilds[g.index()].work.suspended_until = 0,
            ProcRef::Service(i) => self.services[i as usize].work.suspended_until = 0,
            ProcRef::Session(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::{Tiny, assert_close};

    /// Two guilds of 3 on a guild node of one scheduler, a publish into each at 0.1 s.
    fn two_guilds_one_scheduler() -> Tiny {
        Tiny::new(&[3, 3])
            .set("model.nodes[guild].schedulers", "1")
            .set(
                "workload.bursts",
                "[{guild: 0, at_s: 0.1, count: 1}, {guild: 1, at_s: 0.1, count: 1}]",
            )
    }

    #[test]
    fn a_guild_waits_for_the_scheduler_another_guild_holds() {
        // Guild 0 sends from 0 to 150 µs; guild 1 waits in the run queue, then sends from
        // 150 to 300 µs: latencies 150, 200, 250 and 300, 350, 400 µs.
        let r = two_guilds_one_scheduler().run();
        let s = &r.summary;
        assert_eq!(s.deliveries_total, 6);
        assert_close(s.latency_ms.max, 0.400);
        assert_close(s.latency_ms.mean, 0.275);
        assert_close(s.fanout_duration_ms.max, 0.150);
        assert_close(s.guild_sojourn_ms.max, 0.300);
        assert_eq!(s.nodes[0].run_queue_max, 1);
        // With two schedulers both send at once.
        let r = two_guilds_one_scheduler()
            .set("model.nodes[guild].schedulers", "2")
            .run();
        assert_close(r.summary.latency_ms.max, 0.250);
        assert_eq!(r.summary.nodes[0].run_queue_max, 0);
    }

    #[test]
    fn a_guild_gives_its_scheduler_up_after_a_time_slice() {
        // Slices of 100 µs (two sends): guild 0 sends 0-100, guild 1 100-200, guild 0
        // 200-250, guild 1 250-300. Fan-outs take 250 and 200 µs from their start.
        let r = two_guilds_one_scheduler()
            .set("model.scheduling.time_slice_us", "100")
            .run();
        let s = &r.summary;
        assert_eq!(s.deliveries_total, 6);
        assert_close(s.fanout_duration_ms.min, 0.200);
        assert_close(s.fanout_duration_ms.max, 0.250);
        assert_close(s.latency_ms.max, 0.400);
        assert_close(s.latency_ms.min, 0.150);
    }
}
