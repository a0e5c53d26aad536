//! Slice ends kept out of the event queue. A Manifold worker handles most batches (1 or 2
//! recipients in a storm) in one slice, and the slice's end only gives the scheduler back:
//! the message leaves the mailbox, the node's memory drops, the worker is idle. Such an end
//! is not queued: it is kept on its node with the (time, sequence) key its event would have
//! had (the sequence number is taken, so every later event keeps its own), and
//!
//! - settled (handled as that event would have been, at its time) as soon as anything with a
//!   later key touches the node: its schedulers, its memory, one of its processes;
//! - put in the queue under its key when something before it makes it do more: the worker
//!   gets another message, or a process must wait for a scheduler of the node;
//! - settled or dropped (a crash makes the event stale) when the run ends.
//!
//! So every result is what the queued event gives, and the events count the same. Not used
//! with an event budget, whose stop depends on when each event is counted.

use super::event::{Event, ProcRef};
use super::ids::NodeId;
use super::state::{RunState, ServiceKind, World};
use crate::sim::queue::key;
use crate::sim::{EventQueue, Nanos};

/// A slice end kept out of the queue: its key and its process (a service).
#[derive(Clone, Copy, Debug)]
pub struct Deferred {
    key: u128,
    service: u32,
}

impl Deferred {
    fn time(&self) -> Nanos {
        (self.key >> 64) as Nanos
    }
}

impl World {
    /// Ends `p`'s slice at `end`: in the queue, or kept on the node when the end would only
    /// give the scheduler back.
    pub fn end_slice_at(&mut self, p: ProcRef, end: Nanos, queue: &mut EventQueue<Event>) {
        let n = self.node_of(p).index();
        let epoch = self.nodes[n].epoch;
        if let ProcRef::Service(i) = p
            && self.params.defer_slice_ends
            && self.only_releases(i, n)
        {
            let deferred = Deferred {
                key: key(end, queue.reserve_seq()),
                service: i,
            };
            let node = &mut self.nodes[n];
            node.deferred_min = node.deferred_min.min(deferred.key);
            node.deferred.push(deferred);
        } else {
            queue.schedule(end, Event::SliceEnd { proc: p, epoch });
        }
    }

    /// Whether the end of service `i`'s slice (on node `n`) would only give the scheduler
    /// back, as things stand: a worker whose batch is done and who has no other message, on
    /// a node where no process waits.
    fn only_releases(&self, i: u32, n: usize) -> bool {
        let service = &self.services[i as usize];
        matches!(service.kind, ServiceKind::Worker(_))
            && service.work.done
            && service.work.suspended_until == 0
            && service.core.mailbox.len() == 1
            && self.nodes[n].run_queue.is_empty()
    }

    /// Settles the slice ends kept on `node` whose keys come before the event being handled.
    #[inline]
    pub fn settle(&mut self, node: NodeId, queue: &mut EventQueue<Event>) {
        if self.nodes[node.index()].deferred_min < queue.current_key() {
            self.settle_before(node.index(), queue.current_key(), queue);
        }
    }

    /// Settles, in key order, the slice ends kept on node `n` with keys before `before`.
    fn settle_before(&mut self, n: usize, before: u128, queue: &mut EventQueue<Event>) {
        if self.settling {
            return;
        }
        self.settling = true;
        while let Some(i) = self.earliest_deferred(n, before) {
            let d = self.nodes[n].deferred.swap_remove(i);
            self.deferred_handled += 1;
            self.deferred_until = self.deferred_until.max(d.time());
            self.release(n, d.service, d.time(), queue);
        }
        self.update_deferred_min(n);
        self.settling = false;
    }

    /// What [`World::slice_end`] does for a kept slice end of service `i` on node `n` at
    /// `at`: the message is done and leaves the mailbox, nothing else is to run, so the
    /// scheduler is free and the service idle.
    fn release(&mut self, n: usize, i: u32, at: Nanos, queue: &mut EventQueue<Event>) {
        self.service_slice_done(i, at, queue);
        debug_assert!(!self.has_work(ProcRef::Service(i)) && self.nodes[n].run_queue.is_empty());
        self.nodes[n].running -= 1;
        self.services[i as usize].core.state = RunState::Idle;
    }

    /// The index of node `n`'s earliest kept slice end, if its key is before `before`.
    fn earliest_deferred(&self, n: usize, before: u128) -> Option<usize> {
        let deferred = &self.nodes[n].deferred;
        (0..deferred.len())
            .min_by_key(|&i| deferred[i].key)
            .filter(|&i| deferred[i].key < before)
    }

    fn update_deferred_min(&mut self, n: usize) {
        let node = &mut self.nodes[n];
        node.deferred_min = node
            .deferred
            .iter()
            .map(|d| d.key)
            .min()
            .unwrap_or(u128::MAX);
    }

    /// Puts the slice ends kept on `node` in the queue under their keys (after settling
    /// those that are due): something makes them do more than give the scheduler back.
    pub fn queue_deferred(&mut self, node: NodeId, queue: &mut EventQueue<Event>) {
        self.settle(node, queue);
        let n = node.index();
        let epoch = self.nodes[n].epoch;
        for d in std::mem::take(&mut self.nodes[n].deferred) {
            let proc = ProcRef::Service(d.service);
            queue.schedule_reserved(d.time(), d.key as u64, Event::SliceEnd { proc, epoch });
        }
        self.nodes[n].deferred_min = u128::MAX;
    }

    /// Puts the kept slice end of `p`, if any, in the queue (after settling what is due):
    /// `p` gets a message, and handles it when its slice ends.
    pub fn queue_deferred_of(&mut self, p: ProcRef, queue: &mut EventQueue<Event>) {
        let ProcRef::Service(i) = p else { return };
        let n = self.services[i as usize].node;
        self.settle(n, queue);
        if self.services[i as usize].core.state != RunState::Running {
            return;
        }
        let node = &mut self.nodes[n.index()];
        if let Some(k) = node.deferred.iter().position(|d| d.service == i) {
            let d = node.deferred.swap_remove(k);
            let epoch = node.epoch;
            let proc = ProcRef::Service(d.service);
            queue.schedule_reserved(d.time(), d.key as u64, Event::SliceEnd { proc, epoch });
            self.update_deferred_min(n.index());
        }
    }

    /// Node `n` crashes: the slice ends kept on it that come later are stale events (counted,
    /// as they are when queued, if they fall within the horizon).
    pub fn drop_deferred(&mut self, node: NodeId, queue: &mut EventQueue<Event>) {
        self.settle(node, queue);
        let n = node.index();
        for d in std::mem::take(&mut self.nodes[n].deferred) {
            if d.time() <= self.params.horizon {
                self.deferred_handled += 1;
                self.deferred_until = self.deferred_until.max(d.time());
            }
        }
        self.nodes[n].deferred_min = u128::MAX;
    }

    /// The run stopped: settles the kept slice ends within `horizon`, as the queue would
    /// have handled them. Returns whether one is left after it (the run would have stopped
    /// at the horizon rather than drained).
    pub fn settle_at_end(&mut self, horizon: Nanos, queue: &mut EventQueue<Event>) -> bool {
        let mut left = false;
        for n in 0..self.nodes.len() {
            self.settle_before(n, key(horizon, u64::MAX), queue);
            left |= !self.nodes[n].deferred.is_empty();
        }
        left
    }
}
