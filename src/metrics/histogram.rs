//! A mergeable histogram of durations (nanoseconds).
//!
//! Precision: percentiles come from an HDR histogram with 3 significant digits, so a reported
//! percentile is within 0.1 % of the exact order statistic. Count, sum (hence mean), min and
//! max are kept exactly beside it. Merging two histograms is exact: it gives the histogram of
//! the union of their samples.

use crate::sim::Nanos;
use crate::sim::time::to_ms;
use hdrhistogram::Histogram;
use serde::Serialize;

/// Durations above this are clamped (about 28 hours of virtual time).
const HIGHEST_NS: u64 = 100_000_000_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

#[derive(Clone, Debug)]
pub struct DurationHistogram {
    hist: Histogram<u64>,
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
    pub fn new() -> Self {
        Self {
            hist: Histogram::new_with_max(HIGHEST_NS, SIGNIFICANT_DIGITS).expect("valid bounds"),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, value: Nanos) {
        self.hist.saturating_record(value);
        self.count += 1;
        self.sum += value as u128;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    pub fn merge(&mut self, other: &DurationHistogram) {
        self.hist.add(&other.hist).expect("same bounds");
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> u128 {
        self.sum
    }

    pub fn min(&self) -> Option<Nanos> {
        (self.count > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<Nanos> {
        (self.count > 0).then_some(self.max)
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The value at quantile `q` (0..=1), within the documented precision, clamped to the
    /// exact min and max.
    pub fn quantile(&self, q: f64) -> Option<Nanos> {
        (self.count > 0).then(|| self.hist.value_at_quantile(q).clamp(self.min, self.max))
    }

    /// Points of the empirical CDF: (value, fraction of samples <= value), one per non-empty
    /// bucket, in increasing order.
    pub fn cdf_points(&self) -> Vec<(Nanos, f64)> {
        let total = self.hist.len().max(1) as f64;
        let mut seen = 0u64;
        let mut points = Vec::new();
        for v in self.hist.iter_recorded() {
            seen += v.count_at_value();
            points.push((v.value_iterated_to().min(self.max), seen as f64 / total));
        }
        points
    }

    /// Summary statistics in milliseconds.
    pub fn stats_ms(&self) -> DurationStats {
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

    /// The histogram in HdrHistogram's V2 format, for exact merging across runs.
    pub fn serialize_v2(&self) -> Vec<u8> {
        use hdrhistogram::serialization::{Serializer, V2Serializer};
        let mut out = Vec::new();
        V2Serializer::new()
            .serialize(&self.hist, &mut out)
            .expect("serialising to memory");
        out
    }

    /// The histogram as bytes that [`DurationHistogram::from_bytes`] reads back exactly: a
    /// header with the exact count, sum, min and max, then the HDR histogram in V2 format.
    /// Sweeps store one file per run so that replications merge exactly.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(FILE_MAGIC);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.sum.to_le_bytes());
        out.extend_from_slice(&self.min.to_le_bytes());
        out.extend_from_slice(&self.max.to_le_bytes());
        out.extend_from_slice(&self.serialize_v2());
        out
    }

    /// Reads what [`DurationHistogram::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        use hdrhistogram::serialization::Deserializer;
        let header = FILE_MAGIC.len() + 8 + 16 + 8 + 8;
        if bytes.len() < header || !bytes.starts_with(FILE_MAGIC) {
            return Err("not a guildsim histogram file".into());
        }
        let field = |at: usize, len: usize| &bytes[FILE_MAGIC.len() + at..][..len];
        let u64_at = |at: usize| u64::from_le_bytes(field(at, 8).try_into().expect("8 bytes"));
        let sum = u128::from_le_bytes(field(8, 16).try_into().expect("16 bytes"));
        let mut reader = &bytes[header..];
        let hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut reader)
            .map_err(|e| format!("corrupt histogram: {e:?}"))?;
        let mut out = Self::new();
        out.hist
            .add(&hist)
            .map_err(|e| format!("histogram out of range: {e:?}"))?;
        out.count = u64_at(0);
        out.sum = sum;
        out.min = u64_at(24);
        out.max = u64_at(32);
        if out.count != out.hist.len() {
            return Err("histogram header and body disagree".into());
        }
        Ok(out)
    }
}

/// First bytes of a histogram file (format version 1).
const FILE_MAGIC: &[u8] = b"guildsim-hist-1\n";

/// Milliseconds rounded to whole nanoseconds, so reports do not carry float noise.
pub fn round_ns_ms(ms: f64) -> f64 {
    (ms * 1e6).round() / 1e6
}

/// Count, mean and percentiles of a set of durations, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DurationStats {
    pub count: u64,
    pub mean: f64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(a.serialize_v2(), both.serialize_v2());
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
