//! Slice ends kept out of the event queue. A Manifold worker handles most batches (1 or 2
//! recipients in a storm) in one slice, and the slice's end only gives the scheduler back:
//! the message leaves the mailbox, the node's memory drops, the worker is idle. Such an end
//! is not queued: it is kept on its node with the (time, sequence) key its event would have
//! had (the sequence number is taken, so every later event keeps its own), and
//!
//! - settled (handled as that event would have been, at its time) before the first event with
//!   a later key is handled: [`World::settle_due`] runs before every event, in the dispatch
//!   (`state.rs`), so no other code has to remember it, and nothing can see a node before its
//!   due slice ends are settled;
//! - put in the queue under its key when something before it makes it do more: the worker
//!   gets another message ([`World::queue_kept_of`], from the mailbox code), or a process must
//!   wait for a scheduler of the node ([`World::queue_kept`], from the scheduler code);
//! - dropped (a crash makes the event stale) or settled when the run ends.
//!
//! So every result is what the queued event gives, and the events count the same. The kept
//! ends are private to this module ([`Kept`]). Not used with an event budget, whose stop
//! depends on when each event is counted.

use super::event::{Event, ProcRef};
use super::ids::NodeId;
use super::process::RunState;
use super::state::World;
use crate::metrics::recorder::ProcessKind;
use crate::sim::queue::key;
use crate::sim::{EventQueue, Nanos};

/// A slice end kept out of the queue: its key and its process (a service).
#[derive(Clone, Copy, Debug)]
struct Deferred {
    key: u128,
    service: u32,
}

impl Deferred {
    fn time(&self) -> Nanos {
        (self.key >> 64) as Nanos
    }
}

/// The slice ends kept on one node, and the smallest of their keys (`u128::MAX` when none).
#[derive(Debug)]
pub(crate) struct Kept {
    ends: Vec<Deferred>,
    min: u128,
}

impl Default for Kept {
    fn default() -> Self {
        Kept {
            ends: Vec::new(),
            min: u128::MAX,
        }
    }
}

/// The kept slice ends of the whole world: which nodes hold some, a key at most the smallest
/// of theirs, and what was settled.
#[derive(Debug, Default)]
pub(crate) struct Deferrals {
    /// Nodes that hold kept slice ends (possibly some that no longer do).
    nodes: Vec<u16>,
    /// At most the smallest kept key (`u128::MAX`, or less, when none is kept).
    min: u128,
    /// Slice ends handled out of the queue (they count as events), and the latest's time.
    pub(crate) handled: u64,
    pub(crate) until: Nanos,
}

impl Deferrals {
    pub(crate) fn new() -> Self {
        Deferrals {
            min: u128::MAX,
            ..Default::default()
        }
    }
}

impl World {
    /// Ends `p`'s slice at `end`: in the queue, or kept on the node when the end would only
    /// give the scheduler back.
    pub(crate) fn end_slice_at(&mut self, p: ProcRef, end: Nanos, queue: &mut EventQueue<Event>) {
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
            let kept = &mut self.nodes[n].kept;
            if kept.ends.is_empty() {
                self.deferrals.nodes.push(n as u16);
            }
            kept.min = kept.min.min(deferred.key);
            kept.ends.push(deferred);
            self.deferrals.min = self.deferrals.min.min(deferred.key);
        } else {
            queue.schedule(end, Event::SliceEnd { proc: p, epoch });
        }
    }

    /// Whether the end of service `i`'s slice (on node `n`) would only give the scheduler
    /// back, as things stand: a worker whose batch is done and who has no other message, on
    /// a node where no process waits.
    fn only_releases(&self, i: u32, n: usize) -> bool {
        let service = &self.services[i as usize];
        service.kind == ProcessKind::Worker
            && service.work.done
            && service.work.suspended_until == 0
            && service.core.mailbox.len() == 1
            && self.nodes[n].run_queue.is_empty()
    }

    /// Settles every kept slice end whose key comes before the event about to be handled, in
    /// key order on each node (nodes do not share what a settlement changes). Called before
    /// every event.
    #[inline]
    pub(crate) fn settle_due(&mut self, queue: &mut EventQueue<Event>) {
        if self.deferrals.min < queue.current_key() {
            self.settle_before(queue.current_key(), queue);
        }
    }

    /// Settles the kept slice ends with keys before `before`, node by node, and recomputes
    /// the smallest key still kept.
    fn settle_before(&mut self, before: u128, queue: &mut EventQueue<Event>) {
        let mut min = u128::MAX;
        let mut k = 0;
        while k < self.deferrals.nodes.len() {
            let n = self.deferrals.nodes[k] as usize;
            if self.nodes[n].kept.ends.is_empty() {
                // Emptied by `queue_kept`: no longer a node with kept ends.
                self.deferrals.nodes.swap_remove(k);
                continue;
            }
            let node_min = self.nodes[n].kept.min;
            if node_min >= before {
                // Nothing due on this node: its smallest key stands, no scan.
                min = min.min(node_min);
                k += 1;
                continue;
            }
            while let Some(i) = self.earliest_kept(n, before) {
                let d = self.nodes[n].kept.ends.swap_remove(i);
                self.deferrals.handled += 1;
                self.deferrals.until = self.deferrals.until.max(d.time());
                self.release(n, d.service, d.time(), queue);
            }
            let kept = &mut self.nodes[n].kept;
            kept.min = kept.ends.iter().map(|d| d.key).min().unwrap_or(u128::MAX);
            if kept.ends.is_empty() {
                self.deferrals.nodes.swap_remove(k);
            } else {
                min = min.min(kept.min);
                k += 1;
            }
        }
        self.deferrals.min = min;
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
    fn earliest_kept(&self, n: usize, before: u128) -> Option<usize> {
        let ends = &self.nodes[n].kept.ends;
        (0..ends.len())
            .min_by_key(|&i| ends[i].key)
            .filter(|&i| ends[i].key < before)
    }

    /// Puts the slice ends kept on `node` in the queue under their keys: a process must wait
    /// for one of the node's schedulers, so they do more than give the scheduler back.
    pub(crate) fn queue_kept(&mut self, node: NodeId, queue: &mut EventQueue<Event>) {
        let n = node.index();
        let epoch = self.nodes[n].epoch;
        let kept = std::mem::take(&mut self.nodes[n].kept);
        for d in kept.ends {
            let proc = ProcRef::Service(d.service);
            queue.schedule_reserved(d.time(), d.key as u64, Event::SliceEnd { proc, epoch });
        }
    }

    /// Puts the kept slice end of `p`, if any, in the queue: `p` gets a message, and handles
    /// it when its slice ends.
    pub(crate) fn queue_kept_of(&mut self, p: ProcRef, queue: &mut EventQueue<Event>) {
        let ProcRef::Service(i) = p else { return };
        if self.services[i as usize].core.state != RunState::Running {
            return;
        }
        let n = self.services[i as usize].node.index();
        let node = &mut self.nodes[n];
        if let Some(k) = node.kept.ends.iter().position(|d| d.service == i) {
            let d = node.kept.ends.swap_remove(k);
            node.kept.min = node
                .kept
                .ends
                .iter()
                .map(|d| d.key)
                .min()
                .unwrap_or(u128::MAX);
            let epoch = node.epoch;
            let proc = ProcRef::Service(d.service);
            queue.schedule_reserved(d.time(), d.key as u64, Event::SliceEnd { proc, epoch });
        }
    }

    /// Node `node` crashes: the slice ends kept on it (all later than now: the due ones were
    /// settled before this event) are stale events, counted, as they are when queued, if they
    /// fall within the horizon.
    pub(crate) fn drop_kept(&mut self, node: NodeId) {
        let n = node.index();
        for d in std::mem::take(&mut self.nodes[n].kept).ends {
            if d.time() <= self.params.horizon {
                self.deferrals.handled += 1;
                self.deferrals.until = self.deferrals.until.max(d.time());
            }
        }
    }

    /// The run stopped: settles the kept slice ends within `horizon`, as the queue would
    /// have handled them. Returns whether one is left after it (the run would have stopped
    /// at the horizon rather than drained).
    pub(crate) fn settle_at_end(&mut self, horizon: Nanos, queue: &mut EventQueue<Event>) -> bool {
        self.settle_before(key(horizon, u64::MAX), queue);
        !self.deferrals.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    #[test]
    fn slice_ends_kept_out_of_the_queue_give_what_queued_ones_give() {
        // Manifold workers under a steady publish rate: their slice ends only give the
        // scheduler back, and are kept out of the queue; with an event budget they are not.
        let tiny = Tiny::new(&[6, 4])
            .set("model.fanout.strategy", "manifold")
            .set("workload.users.guilds_per_user_mean", "1.5")
            .set("workload.publishes.rate", "{per_guild_per_s: 50}");
        let kept = tiny.run();
        let queued = tiny.set("run.event_budget", "100000000").run();
        assert!(
            kept.world.deferrals.handled > 0,
            "some slice ends were kept"
        );
        assert_eq!(queued.world.deferrals.handled, 0);
        let (k, q) = (&kept.summary, &queued.summary);
        assert!(k.deliveries_total > 100);
        assert_eq!(k.events_total, q.events_total);
        assert_eq!(k.deliveries_total, q.deliveries_total);
        assert_eq!(k.latency_ms.mean, q.latency_ms.mean);
        assert_eq!(k.busy_s.of("worker"), q.busy_s.of("worker"));
        assert_eq!(k.node_memory_peak_bytes, q.node_memory_peak_bytes);
    }
}
