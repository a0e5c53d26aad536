//! The event queue: a min-heap ordered by (time, sequence number).
//!
//! The sequence number is assigned when an event is scheduled, so events at equal times run
//! first-in first-out, whatever the heap does internally. Scheduling into the past is a bug in
//! the model and panics. The heap is 4-ary (`dary_heap`): half the depth of a binary heap, and
//! children that share cache lines, which matters when millions of events are pending.

use super::time::Nanos;
use dary_heap::QuaternaryHeap;
use std::cmp::Ordering;

/// A pending event with its ordering key.
struct Entry<E> {
    time: Nanos,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: the heap is a max-heap and we want the earliest (time, seq) on top.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events of one simulation, and the current virtual time.
pub struct EventQueue<E> {
    heap: QuaternaryHeap<Entry<E>>,
    next_seq: u64,
    now: Nanos,
    max_len: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self {
            heap: QuaternaryHeap::new(),
            next_seq: 0,
            now: 0,
            max_len: 0,
        }
    }

    /// The time of the event being handled (or of the last one handled).
    #[inline]
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// Schedules `event` at absolute time `at`, which must not be in the past.
    #[inline]
    pub fn schedule(&mut self, at: Nanos, event: E) {
        assert!(
            at >= self.now,
            "event scheduled into the past: at {at} ns, now {} ns",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time: at,
            seq,
            event,
        });
        self.max_len = self.max_len.max(self.heap.len());
    }

    /// Schedules `event` `delay` nanoseconds from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: Nanos, event: E) {
        self.schedule(self.now + delay, event);
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        let entry = self.heap.pop()?;
        debug_assert!(entry.time >= self.now);
        self.now = entry.time;
        Some((entry.time, entry.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The largest number of events that were pending at once.
    pub fn max_len(&self) -> usize {
        self.max_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_run_in_scheduling_order() {
        let mut q = EventQueue::new();
        for i in 0..100u32 {
            // Interleave two times so the heap has to reorder.
            q.schedule(if i % 2 == 0 { 10 } else { 5 }, i);
        }
        let mut order = Vec::new();
        while let Some((t, e)) = q.pop() {
            order.push((t, e));
        }
        let odd: Vec<_> = (0..100).filter(|i| i % 2 == 1).map(|i| (5, i)).collect();
        let even: Vec<_> = (0..100).filter(|i| i % 2 == 0).map(|i| (10, i)).collect();
        assert_eq!(order, [odd, even].concat());
    }

    #[test]
    fn pop_advances_the_clock() {
        let mut q = EventQueue::new();
        q.schedule(7, "a");
        q.schedule(3, "b");
        assert_eq!(q.pop(), Some((3, "b")));
        assert_eq!(q.now(), 3);
        q.schedule_in(1, "c");
        assert_eq!(q.pop(), Some((4, "c")));
        assert_eq!(q.pop(), Some((7, "a")));
        assert!(q.pop().is_none());
    }

    #[test]
    #[should_panic(expected = "into the past")]
    fn scheduling_into_the_past_panics() {
        let mut q = EventQueue::new();
        q.schedule(10, ());
        q.pop();
        q.schedule(9, ());
    }
}
