//! One level of the event queue's calendar (see `queue.rs`): a timing wheel of [`BUCKETS`]
//! buckets of 2^`shift` ns each, over keys that never go below the last one popped.
//!
//! The next buckets are unsorted `Vec`s, so a push is an append. When the current bucket is
//! used up, the next occupied one is sorted (its events came mostly in key order) and
//! becomes current; events scheduled into the current bucket after that go into a small heap
//! beside it. A level takes only events within its wheel's span; the queue puts the others
//! in a coarser level or a heap.

use super::time::Nanos;
use dary_heap::QuaternaryHeap;
use std::cmp::Ordering;

/// Buckets per level (a power of two), the current one included.
pub(crate) const BUCKETS: usize = 1 << 12;

/// The largest storage (in events) a used-up bucket passes on to the next.
const RECYCLED_CAPACITY: usize = 64;

/// A pending event with its ordering key.
#[derive(Clone, Copy)]
pub(crate) struct Entry<E> {
    /// The time in the high 64 bits, the sequence number in the low: one comparison orders
    /// by (time, seq).
    pub(crate) key: u128,
    pub(crate) event: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    pub(crate) fn time(&self) -> Nanos {
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

/// A timing wheel over keys that never go below the last one popped.
pub(crate) struct Level<E> {
    shift: u32,
    /// The current bucket's events in key order, `run[pos..]` still pending.
    run: Vec<Entry<E>>,
    pos: usize,
    /// Events of buckets up to `cur` scheduled after it became current.
    late: QuaternaryHeap<Entry<E>>,
    /// Events of buckets `cur + 1 .. cur + BUCKETS`, bucket `b` at `wheel[b % BUCKETS]`.
    wheel: Vec<Vec<Entry<E>>>,
    /// Bit `b % BUCKETS` set when that bucket holds events.
    occupied: Vec<u64>,
    in_wheel: usize,
    /// The first occupied bucket after `cur`, when known (`u64::MAX`: not known).
    next: u64,
    /// The current bucket (time >> `shift`).
    cur: u64,
}

impl<E: Copy> Level<E> {
    pub(crate) fn new(shift: u32) -> Self {
        Self {
            shift,
            run: Vec::new(),
            pos: 0,
            late: QuaternaryHeap::new(),
            wheel: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: vec![0; BUCKETS / 64],
            in_wheel: 0,
            next: u64::MAX,
            cur: 0,
        }
    }

    /// Takes `entry` if its time is within the wheel's span, else gives it back.
    #[inline(always)]
    pub(crate) fn push(&mut self, entry: Entry<E>) -> Result<(), Entry<E>> {
        let bucket = entry.time() >> self.shift;
        if bucket <= self.cur {
            self.late.push(entry);
        } else if bucket - self.cur < BUCKETS as u64 {
            let i = bucket as usize % BUCKETS;
            self.wheel[i].push(entry);
            self.occupied[i / 64] |= 1 << (i % 64);
            self.in_wheel += 1;
            // Known only while nothing earlier arrives; an empty wheel's next is this one.
            if self.in_wheel == 1 || (self.next != u64::MAX && bucket < self.next) {
                self.next = bucket;
            }
        } else {
            return Err(entry);
        }
        Ok(())
    }

    /// The earliest event of the current bucket (none when it is used up).
    #[inline(always)]
    pub(crate) fn head(&self) -> Option<&Entry<E>> {
        match (self.run.get(self.pos), self.late.peek()) {
            (Some(run), Some(late)) => Some(if late > run { late } else { run }),
            (run, late) => run.or(late),
        }
    }

    /// Removes the earliest event of the current bucket.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<Entry<E>> {
        let late_first = match (self.run.get(self.pos), self.late.peek()) {
            (Some(run), Some(late)) => late > run,
            (run, _) => run.is_none(),
        };
        if late_first {
            self.late.pop()
        } else {
            self.pos += 1;
            Some(self.run[self.pos - 1])
        }
    }

    /// When the current bucket is used up, makes the next occupied bucket current, unless
    /// it starts after `bound` (the time of the earliest event outside this level): that
    /// event then comes before every event of the wheel.
    #[inline(always)]
    pub(crate) fn refill(&mut self, bound: Nanos) {
        if self.pos < self.run.len() || !self.late.is_empty() || self.in_wheel == 0 {
            return;
        }
        if self.next == u64::MAX {
            self.next = self.next_occupied();
        }
        let next = self.next;
        if bound >> self.shift < next {
            return;
        }
        let i = next as usize % BUCKETS;
        self.occupied[i / 64] &= !(1 << (i % 64));
        // The used-up run's storage becomes the bucket's, if small: no allocation in steady
        // state, and no bucket keeps the room of the largest run it ever held (a fan-out of
        // per-event deliveries fills a few buckets with thousands).
        let mut used = std::mem::take(&mut self.run);
        used.clear();
        if used.capacity() > RECYCLED_CAPACITY {
            used = Vec::new();
        }
        let mut events = std::mem::replace(&mut self.wheel[i], used);
        self.in_wheel -= events.len();
        sort(&mut events);
        self.run = events;
        self.pos = 0;
        self.cur = next;
        self.next = u64::MAX;
    }

    /// Moves the wheel on to the bucket of `now` when the level is empty, so that its span
    /// starts at the present.
    #[inline(always)]
    pub(crate) fn follow(&mut self, now: Nanos) {
        if self.in_wheel == 0 && self.pos == self.run.len() && self.late.is_empty() {
            self.cur = self.cur.max(now >> self.shift);
        }
    }

    /// The first occupied bucket after `cur` (the wheel holds events).
    fn next_occupied(&self) -> u64 {
        let words = self.occupied.len();
        let start = (self.cur + 1) as usize % BUCKETS;
        let (w0, bit0) = (start / 64, start % 64);
        // The first word from `bit0` on, then whole words round the wheel (the first word
        // again last, for its bits below `bit0`).
        let first = self.occupied[w0] & (!0u64 << bit0);
        let index = if first != 0 {
            w0 * 64 + first.trailing_zeros() as usize
        } else {
            (1..=words)
                .find_map(|k| {
                    let w = (w0 + k) % words;
                    let bits = self.occupied[w];
                    (bits != 0).then(|| w * 64 + bits.trailing_zeros() as usize)
                })
                .expect("an occupied bucket")
        };
        let ahead = (index + BUCKETS - start) % BUCKETS;
        self.cur + 1 + ahead as u64
    }
}

/// Sorts a bucket's events by key. They were appended mostly in key order (in scheduling
/// order, at times close to each other), so a short bucket is sorted by insertion.
fn sort<E: Copy>(events: &mut [Entry<E>]) {
    if events.len() > 32 {
        events.sort_unstable_by_key(|e| e.key);
        return;
    }
    for i in 1..events.len() {
        let e = events[i];
        let mut j = i;
        while j > 0 && events[j - 1].key > e.key {
            events[j] = events[j - 1];
            j -= 1;
        }
        events[j] = e;
    }
}
