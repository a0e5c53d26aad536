//! Node schedulers: a node runs at most `schedulers` processes at once; the others wait in a
//! FIFO run queue. A running process holds its scheduler for one slice (at most about one
//! time slice of work), then gives it to the first waiting process and queues again behind
//! it if it still has work.

use super::event::{Event, ProcRef};
use super::state::{RunState, World};
use crate::sim::{EventQueue, Nanos};

impl World {
    /// A message arrived for the idle process `p`: run it if a scheduler is free, else queue it.
    pub fn wake(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        debug_assert_eq!(self.core(p).state, RunState::Idle);
        let n = self.node_of(p).index();
        let node = &mut self.nodes[n];
        if node.running < node.schedulers {
            node.running += 1;
            self.start_slice(p, now, queue);
        } else {
            node.run_queue.push_back(p);
            let len = node.run_queue.len() as u32;
            self.core(p).state = RunState::Waiting;
            self.rec.run_queue(n, now, len);
        }
    }

    /// `p` takes a scheduler of its node (already counted in `running`) for one slice.
    fn start_slice(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        self.core(p).state = RunState::Running;
        let end = self.run_slice(p, now, queue);
        let n = self.node_of(p).index();
        self.rec.busy(n, now, end);
        queue.schedule(end, Event::SliceEnd { proc: p });
    }

    /// `p`'s slice ended: pass the scheduler on.
    pub fn slice_end(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        self.finish_slice(p, now);
        let more = !self.core(p).mailbox.is_empty();
        let n = self.node_of(p).index();
        let node = &mut self.nodes[n];
        if let Some(next) = node.run_queue.pop_front() {
            if more {
                node.run_queue.push_back(p);
                self.core(p).state = RunState::Waiting;
            } else {
                self.core(p).state = RunState::Idle;
            }
            self.start_slice(next, now, queue);
        } else if more {
            self.start_slice(p, now, queue);
        } else {
            node.running -= 1;
            self.core(p).state = RunState::Idle;
        }
    }
}
