//! The event queue: a min-heap ordered by (time, sequence number).
//!
//! The sequence number is assigned when an event is scheduled, so events at equal times run
//! first-in first-out, whatever the heap does internally. Scheduling into the past is a bug in
//! the model and panics. The heaps are 4-ary (`dary_heap`): half the depth of a binary heap,
//! and children that share cache lines.
//!
//! Events due within [`NEAR_NS`] of the time they are scheduled go into one heap, later ones
//! (backoffs, timeouts, a restart) into another, and a pop takes the earlier of the two heads.
//! The order is the same as with one heap, since both use the same (time, seq) keys; but in a
//! storm hundreds of thousands of sessions wait in backoff, and with one heap every
//! sub-millisecond event would sift through their levels, a cache miss at each.

use super::time::Nanos;
use dary_heap::QuaternaryHeap;
use std::cmp::Ordering;

/// A pending event with its ordering key.
struct Entry<E> {
    /// The time in the high 64 bits, the sequence number in the low: one comparison orders
    /// by (time, seq).
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn time(&self) -> Nanos {
        (self.key >> 64) as Nanos
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
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
        other.key.cmp(&self.key)
    }
}

/// Events due at most this long after they are scheduled go into the near heap.
pub const NEAR_NS: Nanos = 10_000_000;

/// Pending events of one simulation, and the current virtual time.
pub struct EventQueue<E> {
    /// Events scheduled at most `NEAR_NS` ahead.
    heap: QuaternaryHeap<Entry<E>>,
    /// Events scheduled further ahead.
    far: QuaternaryHeap<Entry<E>>,
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
            far: QuaternaryHeap::new(),
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
        let entry = Entry {
            key: (u128::from(at) << 64) | u128::from(seq),
            event,
        };
        if at - self.now <= NEAR_NS {
            self.heap.push(entry);
        } else {
            self.far.push(entry);
        }
        self.max_len = self.max_len.max(self.len());
    }

    /// Schedules `event` `delay` nanoseconds from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: Nanos, event: E) {
        self.schedule(self.now + delay, event);
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap
            .peek()
            .into_iter()
            .chain(self.far.peek())
            .map(|e| e.time())
            .min()
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        // Entries order in reverse (the heaps are max-heaps): the greater is the earlier.
        let far_first = match (self.heap.peek(), self.far.peek()) {
            (Some(near), Some(far)) => far > near,
            (near, _) => near.is_none(),
        };
        let entry = if far_first {
            self.far.pop()?
        } else {
            self.heap.pop()?
        };
        let time = entry.time();
        debug_assert!(time >= self.now);
        self.now = time;
        Some((time, entry.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.far.is_empty()
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
    fn near_and_far_events_keep_one_order() {
        let mut q = EventQueue::new();
        // Far when scheduled at 0, near when scheduled later: equal times still run in
        // scheduling order across the two heaps.
        q.schedule(2 * NEAR_NS, "far first");
        q.schedule(NEAR_NS + 1, "far second");
        q.schedule(NEAR_NS, "near");
        assert_eq!(q.pop(), Some((NEAR_NS, "near")));
        q.schedule(NEAR_NS + 1, "near, scheduled last");
        q.schedule(2 * NEAR_NS, "near at the far time");
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            rest,
            [
                (NEAR_NS + 1, "far second"),
                (NEAR_NS + 1, "near, scheduled last"),
                (2 * NEAR_NS, "far first"),
                (2 * NEAR_NS, "near at the far time"),
            ]
        );
        assert!(q.is_empty());
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
