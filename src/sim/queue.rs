//! The event queue: pending events ordered by (time, sequence number).
//!
//! The sequence number is assigned when an event is scheduled, so events at equal times run
//! first-in first-out, whatever the containers do internally. Scheduling into the past is a
//! bug in the model and panics. Both numbers form one 128-bit key, time in the high half.
//!
//! Keys only grow: an event is never scheduled before the current time, and one at the
//! current time gets a larger sequence number than any event already handled. So the queue
//! is a calendar (`calendar.rs`) instead of one large heap, in two levels and a heap:
//!
//! - `near`: buckets of 1.02 µs over the next 4.2 ms (message arrivals, slice ends);
//! - `far`: buckets of 16.8 ms over the next 69 s (backoffs, timeouts, a restart);
//! - `beyond`: a 4-ary heap of anything later.
//!
//! An event goes to the first that takes it. A pop takes the earliest of the three heads
//! (each level's current bucket holds its earliest event). A bucket becoming current is
//! sorted once; the heap of events scheduled into it afterwards holds a few dozen. The
//! one 4-ary heap this replaces held every pending event (hundreds of thousands in a
//! storm) and missed the cache at each level of its sifts.

use super::calendar::{Entry, Level};
use super::time::Nanos;
use dary_heap::QuaternaryHeap;

/// Bucket widths of the two levels: 2^10 ns and 2^24 ns.
const NEAR_SHIFT: u32 = 10;
const FAR_SHIFT: u32 = 24;

/// Where the earliest event is: the near level, or the far level or the heap beyond it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Head {
    Near,
    Outer,
}

/// The key of an event at `time` with sequence number `seq`.
#[inline(always)]
pub(crate) fn key(time: Nanos, seq: u64) -> u128 {
    (u128::from(time) << 64) | u128::from(seq)
}

/// Pending events of one simulation, and the current virtual time.
pub(crate) struct EventQueue<E> {
    near: Level<E>,
    far: Level<E>,
    beyond: QuaternaryHeap<Entry<E>>,
    /// The smallest key in `far` and `beyond` (`u128::MAX` when both are empty).
    outer: u128,
    /// Where the earliest event is, while nothing was scheduled or popped since it was found.
    head: Option<Head>,
    next_seq: u64,
    now: Nanos,
    /// The sequence number of the event being handled (of the last one popped).
    cur_seq: u64,
    len: usize,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub(crate) fn new() -> Self {
        Self {
            near: Level::new(NEAR_SHIFT),
            far: Level::new(FAR_SHIFT),
            beyond: QuaternaryHeap::new(),
            outer: u128::MAX,
            head: None,
            next_seq: 0,
            now: 0,
            cur_seq: 0,
            len: 0,
        }
    }

    /// The time of the event being handled (or of the last one handled).
    #[inline]
    pub(crate) fn now(&self) -> Nanos {
        self.now
    }

    /// Schedules `event` at absolute time `at`, which must not be in the past.
    #[inline]
    pub(crate) fn schedule(&mut self, at: Nanos, event: E) {
        assert!(
            at >= self.now,
            "event scheduled into the past: at {at} ns, now {} ns",
            self.now
        );
        let seq = self.reserve_seq();
        self.push(at, seq, event);
    }

    /// Takes the sequence number the next event scheduled would get, for an event that may
    /// never enter the queue (see [`Self::schedule_reserved`]): the events scheduled after it
    /// keep the numbers, and so the order, they would have had.
    #[inline]
    pub(crate) fn reserve_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Schedules `event` at `at` with the sequence number `seq` taken earlier by
    /// [`Self::reserve_seq`]: it runs where it would have had it been scheduled then. Its
    /// key must come after the event being handled.
    pub(crate) fn schedule_reserved(&mut self, at: Nanos, seq: u64, event: E) {
        assert!(
            key(at, seq) > self.current_key(),
            "event scheduled into the past: at {at} ns (sequence {seq}), now {} ns",
            self.now
        );
        self.push(at, seq, event);
    }

    /// The (time, sequence) key of the event being handled, as one number.
    #[inline]
    pub(crate) fn current_key(&self) -> u128 {
        key(self.now, self.cur_seq)
    }

    #[inline]
    fn push(&mut self, at: Nanos, seq: u64, event: E) {
        let entry = Entry {
            key: key(at, seq),
            event,
        };
        if let Err(entry) = self.near.push(entry) {
            self.outer = self.outer.min(entry.key);
            if let Err(entry) = self.far.push(entry) {
                self.beyond.push(entry);
            }
        }
        self.head = None;
        self.len += 1;
    }

    /// Schedules `event` `delay` nanoseconds from now.
    #[inline]
    #[cfg(test)]
    pub(crate) fn schedule_in(&mut self, delay: Nanos, event: E) {
        self.schedule(self.now + delay, event);
    }

    /// Where the earliest event is (the near level's made visible first).
    #[inline]
    fn head(&mut self) -> Option<Head> {
        if self.head.is_none() {
            self.near.refill((self.outer >> 64) as Nanos);
            let near = self.near.head().map_or(u128::MAX, |e| e.key);
            self.head = if near < self.outer {
                Some(Head::Near)
            } else if self.outer != u128::MAX {
                Some(Head::Outer)
            } else {
                None
            };
        }
        self.head
    }

    /// Whether the far level's head (made visible) comes before the heap beyond it.
    fn far_first(&mut self) -> bool {
        let beyond = self.beyond.peek();
        self.far.refill(beyond.map_or(Nanos::MAX, |e| e.time()));
        // The heap orders entries in reverse: the greater is the earlier.
        match (self.far.head(), beyond) {
            (Some(far), Some(beyond)) => beyond < far,
            (far, _) => far.is_some(),
        }
    }

    /// Time of the earliest pending event.
    #[inline]
    pub(crate) fn peek_time(&mut self) -> Option<Nanos> {
        match self.head()? {
            Head::Near => self.near.head().map(|e| e.time()),
            Head::Outer => Some((self.outer >> 64) as Nanos),
        }
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(Nanos, E)> {
        let entry = match self.head()? {
            Head::Near => self.near.pop(),
            Head::Outer => {
                let entry = if self.far_first() {
                    self.far.pop()
                } else {
                    self.beyond.pop()
                };
                self.outer = if self.far_first() {
                    self.far.head().map_or(u128::MAX, |e| e.key)
                } else {
                    self.beyond.peek().map_or(u128::MAX, |e| e.key)
                };
                entry
            }
        }
        .expect("the head");
        self.head = None;
        let time = entry.time();
        debug_assert!(time >= self.now);
        self.now = time;
        self.cur_seq = entry.key as u64;
        self.len -= 1;
        self.near.follow(time);
        self.far.follow(time);
        Some((time, entry.event))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::calendar::BUCKETS;

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

    const NEAR_SPAN: Nanos = (BUCKETS as Nanos) << NEAR_SHIFT;
    const FAR_SPAN: Nanos = (BUCKETS as Nanos) << FAR_SHIFT;

    #[test]
    fn events_in_every_container_keep_one_order() {
        let mut q = EventQueue::new();
        // Beyond or far when scheduled at 0, near when scheduled later: equal times still
        // run in scheduling order across the containers.
        q.schedule(FAR_SPAN + 5, "beyond");
        q.schedule(2 * NEAR_SPAN, "far first");
        q.schedule(NEAR_SPAN + 1, "far second");
        q.schedule(NEAR_SPAN - 1, "near wheel");
        q.schedule(3, "near, current bucket");
        assert_eq!(q.pop(), Some((3, "near, current bucket")));
        assert_eq!(q.pop(), Some((NEAR_SPAN - 1, "near wheel")));
        q.schedule(NEAR_SPAN + 1, "near, scheduled last");
        q.schedule(2 * NEAR_SPAN, "near at the far time");
        q.schedule(FAR_SPAN + 5, "far at the beyond time");
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            rest,
            [
                (NEAR_SPAN + 1, "far second"),
                (NEAR_SPAN + 1, "near, scheduled last"),
                (2 * NEAR_SPAN, "far first"),
                (2 * NEAR_SPAN, "near at the far time"),
                (FAR_SPAN + 5, "beyond"),
                (FAR_SPAN + 5, "far at the beyond time"),
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn random_schedules_pop_in_time_then_sequence_order() {
        use rand::Rng;
        let mut rng = crate::sim::rng::RngStreams::new(15).stream("queue test");
        let bucket = 1 << NEAR_SHIFT;
        let mut q = EventQueue::new();
        // The reference: every pending (time, seq), sorted at each pop.
        let mut pending: Vec<(Nanos, u64)> = Vec::new();
        let mut seq = 0u64;
        for round in 0..30_000u32 {
            for _ in 0..rng.random_range(0..4) {
                // Now, within a bucket, within and across each level's span, far beyond.
                let delay = match rng.random_range(0..8) {
                    0 => 0,
                    1 => rng.random_range(0..bucket),
                    2 => rng.random_range(0..NEAR_SPAN),
                    3 => rng.random_range(NEAR_SPAN - bucket..NEAR_SPAN + bucket),
                    4 => rng.random_range(0..4 * NEAR_SPAN),
                    5 => rng.random_range(0..FAR_SPAN),
                    6 => rng.random_range(FAR_SPAN - NEAR_SPAN..FAR_SPAN + NEAR_SPAN),
                    _ => rng.random_range(0..4 * FAR_SPAN),
                };
                q.schedule_in(delay, seq);
                pending.push((q.now() + delay, seq));
                seq += 1;
            }
            if round % 3 != 0 {
                pending.sort_unstable_by(|a, b| b.cmp(a));
                let expected = pending.pop();
                assert_eq!(q.peek_time(), expected.map(|e| e.0));
                assert_eq!(q.pop(), expected);
                assert_eq!(q.len(), pending.len());
            }
        }
        pending.sort_unstable();
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(rest, pending);
    }

    #[test]
    fn a_reserved_sequence_number_keeps_its_place() {
        let mut q = EventQueue::new();
        q.schedule(10, "first");
        let seq = q.reserve_seq();
        q.schedule(10, "third");
        q.schedule(5, "earlier");
        assert_eq!(q.pop(), Some((5, "earlier")));
        // Scheduled last, it runs where it would have run if scheduled when reserved.
        q.schedule_reserved(10, seq, "second");
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(rest, [(10, "first"), (10, "second"), (10, "third")]);
    }

    #[test]
    #[should_panic(expected = "into the past")]
    fn a_reserved_key_before_the_current_event_panics() {
        let mut q = EventQueue::new();
        let seq = q.reserve_seq();
        q.schedule(3, "later");
        assert_eq!(q.pop(), Some((3, "later")));
        q.schedule_reserved(3, seq, "before the current event");
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
