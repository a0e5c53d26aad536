//! A mergeable histogram of durations (nanoseconds).
//!
//! Log-linear buckets, as in HDR histograms: values below 2048 ns have a bucket each; above,
//! every power of two is cut into 1024 buckets, so a bucket is at most 2^-10 (0.098 %) of its
//! values wide. A reported percentile is the top of the bucket holding that rank, clamped to
//! the exact min and max: within 0.1 % of the exact order statistic. Count, sum (hence mean),
//! min and max are kept exactly. Merging two histograms is exact: it gives the histogram of the
//! union of their samples.
//!
//! Written here rather than taken from the `hdrhistogram` crate because recording is on the
//! hottest path of the simulator (once per delivery): this is a shift, a count and an add,
//! where the crate's record took a quarter of the fan-out loop's time.

use crate::sim::Nanos;
use crate::sim::time::to_ms;
use serde::Serialize;

/// Durations recorded one at a time above this are clamped (about 28 hours of virtual time);
/// latencies counted in batches reach up to the horizon, which their histograms reserve.
const HIGHEST_NS: u64 = 100_000_000_000_000;
/// Buckets per power of two, as a power of two.
const SUB_BITS: u32 = 10;
const SUB: u64 = 1 << SUB_BITS;

/// The bucket of `value`.
#[inline(always)]
pub(crate) fn index(value: u64) -> usize {
    if value < 2 * SUB {
        value as usize
    } else {
        let shift = 63 - value.leading_zeros() - SUB_BITS;
        ((shift as u64) * SUB + (value >> shift)) as usize
    }
}

/// The smallest and largest value of bucket `i`.
pub(crate) fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < 2 * SUB {
        (i, i)
    } else {
        let shift = i / SUB - 1;
        let m = i - shift * SUB;
        (m << shift, ((m + 1) << shift) - 1)
    }
}

#[derive(Clone, Debug)]
pub struct DurationHistogram {
    /// Counts per bucket, grown to the largest bucket used.
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: Nanos,
    max: Nanos,
}

impl Default for DurationHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl DurationHistogram {
    pub(crate) fn new() -> Self {
        Self {
            counts: Vec::new(),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    #[inline]
    pub(crate) fn record(&mut self, value: Nanos) {
        let value = value.min(HIGHEST_NS);
        let i = index(value);
        match self.counts.get_mut(i) {
            Some(c) => *c += 1,
            None => {
                self.counts.resize(i + 1, 0);
                self.counts[i] = 1;
            }
        }
        self.count += 1;
        self.sum += value as u128;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Makes room for values up to `max` (not clamped: a run's latencies reach its horizon),
    /// so that [`Self::buckets_mut`] can count them.
    pub(crate) fn reserve_to(&mut self, max: Nanos) {
        let len = index(max) + 1;
        if self.counts.len() < len {
            self.counts.resize(len, 0);
        }
    }

    /// For recording in batches: the bucket counts (see [`index`]), to be followed by
    /// [`Self::add_moments`] with the batch's exact moments. Values must be below the
    /// bound given to [`Self::reserve_to`].
    #[inline]
    pub(crate) fn buckets_mut(&mut self) -> &mut [u64] {
        &mut self.counts
    }

    /// Adds the exact moments of values counted through [`Self::buckets_mut`].
    pub(crate) fn add_moments(&mut self, count: u64, sum: u128, min: Nanos, max: Nanos) {
        if count > 0 {
            self.count += count;
            self.sum += sum;
            self.min = self.min.min(min);
            self.max = self.max.max(max);
        }
    }

    /// A histogram from bucket counts (see [`index`]) and the exact moments of their values.
    pub(crate) fn from_parts(
        counts: Vec<u64>,
        count: u64,
        sum: u128,
        min: Nanos,
        max: Nanos,
    ) -> Self {
        let mut h = Self::new();
        h.counts = counts;
        h.add_moments(count, sum, min, max);
        h
    }

    pub(crate) fn merge(&mut self, other: &DurationHistogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    #[cfg(test)]
    pub(crate) fn sum(&self) -> u128 {
        self.sum
    }

    pub(crate) fn min(&self) -> Option<Nanos> {
        (self.count > 0).then_some(self.min)
    }

    pub(crate) fn max(&self) -> Option<Nanos> {
        (self.count > 0).then_some(self.max)
    }

    pub(crate) fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The value at quantile `q` (0..=1): the top of the bucket holding the sample of rank
    /// ceil(q x count), clamped to the exact min and max.
    pub(crate) fn quantile(&self, q: f64) -> Option<Nanos> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(bounds(i).1.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Points of the empirical CDF: (value, fraction of samples <= value), one per non-empty
    /// bucket (its top, clamped to the max), in increasing order.
    pub(crate) fn cdf_points(&self) -> Vec<(Nanos, f64)> {
        let total = self.count.max(1) as f64;
        let mut seen = 0u64;
        let mut points = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                seen += c;
                points.push((bounds(i).1.min(self.max), seen as f64 / total));
            }
        }
        points
    }

    /// Summary statistics in milliseconds.
    pub(crate) fn stats_ms(&self) -> DurationStats {
        let ms = |v: Option<Nanos>| v.map(to_ms).map(round_ns_ms).unwrap_or(0.0);
        DurationStats {
            count: self.count,
            mean: self.mean().map(|m| round_ns_ms(m / 1e6)).unwrap_or(0.0),
            min: ms(self.min()),
            p50: ms(self.quantile(0.50)),
            p90: ms(self.quantile(0.90)),
            p99: ms(self.quantile(0.99)),
            p999: ms(self.quantile(0.999)),
            max: ms(self.max()),
        }
    }

    /// The histogram as bytes that [`DurationHistogram::from_bytes`] reads back exactly: a
    /// header with the exact count, sum, min and max, then the non-empty buckets as
    /// (index, count) pairs, little-endian. Sweeps store one file per run so that
    /// replications merge exactly.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let buckets: Vec<(u32, u64)> = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (i as u32, *c))
            .collect();
        let mut out = Vec::with_capacity(64 + 12 * buckets.len());
        out.extend_from_slice(FILE_MAGIC);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.sum.to_le_bytes());
        out.extend_from_slice(&self.min.to_le_bytes());
        out.extend_from_slice(&self.max.to_le_bytes());
        out.extend_from_slice(&(buckets.len() as u32).to_le_bytes());
        for (i, c) in buckets {
            out.extend_from_slice(&i.to_le_bytes());
            out.extend_from_slice(&c.to_le_bytes());
        }
        out
    }

    /// Reads what [`DurationHistogram::to_bytes`] wrote.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let header = FILE_MAGIC.len() + 8 + 16 + 8 + 8 + 4;
        if bytes.len() < header || !bytes.starts_with(FILE_MAGIC) {
            return Err("not a guildsim histogram file".into());
        }
        let field = |at: usize, len: usize| &bytes[FILE_MAGIC.len() + at..][..len];
        let u64_at = |at: usize| u64::from_le_bytes(field(at, 8).try_into().expect("8 bytes"));
        let buckets = u32::from_le_bytes(field(40, 4).try_into().expect("4 bytes")) as usize;
        if bytes.len() != header + 12 * buckets {
            return Err("corrupt histogram: wrong length".into());
        }
        let mut out = Self::new();
        out.count = u64_at(0);
        out.sum = u128::from_le_bytes(field(8, 16).try_into().expect("16 bytes"));
        out.min = u64_at(24);
        out.max = u64_at(32);
        let mut total = 0u64;
        for pair in bytes[header..].chunks_exact(12) {
            let i = u32::from_le_bytes(pair[..4].try_into().expect("4 bytes")) as usize;
            let c = u64::from_le_bytes(pair[4..].try_into().expect("8 bytes"));
            if i > index(u64::MAX) || (i < out.counts.len() && out.counts[i] != 0) {
                return Err("corrupt histogram: bad bucket".into());
            }
            if i >= out.counts.len() {
                out.counts.resize(i + 1, 0);
            }
            out.counts[i] = c;
            total += c;
        }
        if total != out.count {
            return Err("histogram header and body disagree".into());
        }
        Ok(out)
    }
}

/// First bytes of a histogram file (format version 2: log-linear buckets).
const FILE_MAGIC: &[u8] = b"guildsim-hist-2\n";

/// Milliseconds rounded to whole nanoseconds, so reports do not carry float noise.
pub(crate) fn round_ns_ms(ms: f64) -> f64 {
    (ms * 1e6).round() / 1e6
}

/// Count, mean and percentiles of a set of durations, in milliseconds. With no durations
/// (`count` 0) every statistic is written as `null`, never 0: there is nothing to measure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DurationStats {
    pub count: u64,
    pub mean: f64,
    pub min: f64,
    pub p50: f64,
    pub(crate) p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl DurationStats {
    /// The statistics as (name, value) pairs in report order; `None` without durations.
    pub(crate) fn fields(&self) -> [(&'static str, Option<f64>); 7] {
        let v = |x: f64| (self.count > 0).then_some(x);
        [
            ("mean", v(self.mean)),
            ("min", v(self.min)),
            ("p50", v(self.p50)),
            ("p90", v(self.p90)),
            ("p99", v(self.p99)),
            ("p999", v(self.p999)),
            ("max", v(self.max)),
        ]
    }
}

impl Serialize for DurationStats {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("DurationStats", 8)?;
        s.serialize_field("count", &self.count)?;
        for (name, value) in self.fields() {
            s.serialize_field(name, &value)?;
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_durations_are_null_not_zero() {
        let empty = serde_json::to_string(&DurationHistogram::new().stats_ms()).unwrap();
        assert_eq!(
            empty,
            r#"{"count":0,"mean":null,"min":null,"p50":null,"p90":null,"p99":null,"p999":null,"max":null}"#
        );
        let mut h = DurationHistogram::new();
        h.record(2_000_000);
        let one = serde_json::to_value(h.stats_ms()).unwrap();
        assert_eq!(one["p99"], 2.0);
        assert_eq!(one["count"], 1);
    }

    #[test]
    fn exact_moments_and_bounded_percentile_error() {
        let mut h = DurationHistogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1_000);
        }
        assert_eq!(h.count(), 100_000);
        assert_eq!(h.min(), Some(1_000));
        assert_eq!(h.max(), Some(100_000_000));
        assert_eq!(h.mean(), Some(50_000_500.0));
        let p99 = h.quantile(0.99).unwrap() as f64;
        assert!(
            (p99 - 99_000_000.0).abs() / 99_000_000.0 <= 0.001,
            "p99 {p99}"
        );
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let (mut a, mut b, mut both) = (
            DurationHistogram::new(),
            DurationHistogram::new(),
            DurationHistogram::new(),
        );
        for v in 0..1000u64 {
            let x = v * v * 37 % 1_000_003;
            if v % 3 == 0 {
                a.record(x)
            } else {
                b.record(x)
            }
            both.record(x);
        }
        a.merge(&b);
        assert_eq!(a.stats_ms(), both.stats_ms());
        assert_eq!(a.to_bytes(), both.to_bytes());
    }

    #[test]
    fn bytes_round_trip_exactly() {
        let mut h = DurationHistogram::new();
        for v in [3u64, 17, 17, 40_000, 9_999_999_999] {
            h.record(v);
        }
        let back = DurationHistogram::from_bytes(&h.to_bytes()).unwrap();
        assert_eq!(back.stats_ms(), h.stats_ms());
        assert_eq!(back.sum(), h.sum());
        assert_eq!(back.to_bytes(), h.to_bytes());
        let empty = DurationHistogram::new();
        let back = DurationHistogram::from_bytes(&empty.to_bytes()).unwrap();
        assert_eq!(back.count(), 0);
        assert_eq!(back.to_bytes(), empty.to_bytes());
        assert!(DurationHistogram::from_bytes(b"garbage").is_err());
    }

    #[test]
    fn buckets_tile_the_values_and_stay_narrow() {
        let mut previous_hi = None;
        for i in 0..index(HIGHEST_NS) + 1 {
            let (lo, hi) = bounds(i);
            assert_eq!(index(lo), i);
            assert_eq!(index(hi), i);
            if let Some(p) = previous_hi {
                assert_eq!(lo, p + 1, "bucket {i} does not follow its predecessor");
            }
            assert!(
                (hi - lo) as f64 <= lo as f64 / 1024.0 + 0.5,
                "bucket {i} too wide: {lo}..{hi}"
            );
            previous_hi = Some(hi);
        }
    }

    #[test]
    fn cdf_ends_at_one() {
        let mut h = DurationHistogram::new();
        for v in [5, 5, 10, 2000] {
            h.record(v);
        }
        let cdf = h.cdf_points();
        assert_eq!(cdf.first().unwrap(), &(5, 0.5));
        assert_eq!(cdf.last().unwrap(), &(2000, 1.0));
    }
}
