//! A histogram of delivery latency for one time bin, for the bin's p50 and p99 in
//! `timeseries.csv`. Its buckets are those of [`super::histogram`] taken 8 at a time: 128 per
//! power of two, so a percentile (the top of its bucket, at most the bin's exact maximum) is
//! within 2^-7 (0.8 %) of the exact order statistic, or 8 ns below 2 µs. Only the range of
//! buckets the bin uses is kept, so a bin costs 8 bytes per bucket between its smallest and
//! largest latency (at most `coarse(index(horizon)) + 1` buckets: the memory guard counts that).

use super::histogram::{bounds, index};
use crate::sim::Nanos;

/// Fine buckets per coarse bucket, as a shift.
pub(crate) const SHIFT: u32 = 3;

/// The coarse bucket of fine bucket `fine`.
#[inline(always)]
pub(crate) fn coarse(fine: usize) -> u32 {
    (fine >> SHIFT) as u32
}

/// Coarse buckets needed for latencies up to `max`.
pub(crate) fn buckets_to(max: Nanos) -> u64 {
    coarse(index(max)) as u64 + 1
}

#[derive(Clone, Debug, Default)]
pub(crate) struct BinHistogram {
    /// The first coarse bucket held, and the counts from there.
    lo: u32,
    counts: Vec<u64>,
}

impl BinHistogram {
    /// Counts a latency whose fine bucket is `fine`.
    #[inline]
    pub(crate) fn add(&mut self, fine: usize) {
        self.add_n(coarse(fine), 1);
    }

    /// Counts `n` latencies in coarse bucket `c`.
    pub(crate) fn add_n(&mut self, c: u32, n: u64) {
        if self.counts.is_empty() {
            self.lo = c;
            self.counts.push(0);
        } else if c < self.lo {
            let grow = (self.lo - c) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.lo = c;
        } else if (c - self.lo) as usize >= self.counts.len() {
            self.counts.resize((c - self.lo) as usize + 1, 0);
        }
        self.counts[(c - self.lo) as usize] += n;
    }

    /// Adds `other`'s counts to this histogram's.
    pub(crate) fn merge(&mut self, other: &BinHistogram) {
        for (k, &c) in other.counts.iter().enumerate() {
            if c > 0 {
                self.add_n(other.lo + k as u32, c);
            }
        }
    }

    /// The counts held and the coarse bucket of the first: a loop may count into them directly
    /// (a bucket outside goes through [`BinHistogram::add`]).
    #[inline]
    pub(crate) fn window(&mut self) -> (&mut [u64], u32) {
        (&mut self.counts, self.lo)
    }

    /// The latency at quantile `q` of the bin's `count` deliveries, at most `max` (the bin's
    /// exact largest latency); `None` for an empty bin.
    pub(crate) fn quantile(&self, q: f64, count: u64, max: Nanos) -> Option<Nanos> {
        if count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (k, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let top = ((self.lo as usize + k) << SHIFT) | ((1 << SHIFT) - 1);
                return Some(bounds(top).1.min(max));
            }
        }
        Some(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_a_coarse_bucket_of_the_exact_ones() {
        let mut h = BinHistogram::default();
        let mut values: Vec<u64> = (0..10_000u64)
            .map(|i| 5_000 + i * i * 37 % 9_000_000)
            .collect();
        // Recorded out of order, so the range grows at both ends.
        for &v in values.iter().rev() {
            h.add(index(v));
        }
        values.sort_unstable();
        let max = *values.last().unwrap();
        for q in [0.5, 0.9, 0.99] {
            let exact = values[((q * values.len() as f64).ceil() as usize).max(1) - 1] as f64;
            let got = h.quantile(q, values.len() as u64, max).unwrap() as f64;
            assert!(
                got >= exact && got <= exact * (1.0 + 1.0 / 128.0) + 8.0,
                "{q}: {got} vs {exact}"
            );
        }
        assert_eq!(BinHistogram::default().quantile(0.99, 0, 0), None);
    }
}
