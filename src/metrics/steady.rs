//! Steady state found, not assumed: the warm-up a run's own series shows, and the precision of
//! its steady-state latency within the one run.
//!
//! - **Warm-up: MSER-5** (White 1997; White, Cobb and Spratt 2000, "A comparison of five
//!   steady-state truncation heuristics for simulation", Proc. Winter Simulation Conference).
//!   The per-bin mean delivery latency is grouped into batches of 5 bins, `Y_1..Y_m` (a batch
//!   without deliveries is left out). For each truncation `d` from 0 to `m / 2`, the statistic
//!   `sum_{j > d} (Y_j - mean_d)^2 / (m - d)^2` weighs the spread of what is kept against how
//!   much is kept; the `d` that minimises it is the warm-up (`warmup_s`: where the first kept
//!   batch starts). At least 10 batches (50 bins) are needed.
//! - **Precision: batch means** (Law, "Simulation Modeling and Analysis", ch. 9). The bins
//!   after the warm-up are grouped into 20 batches of equal length (fewer with fewer bins, at
//!   least 5); each batch's mean latency and its p50 and p99 (from the bins' latency
//!   histograms, merged) are one observation each, and Student's t over the batches gives a
//!   95 % interval around the steady-state value, which is computed from every delivery after
//!   the warm-up. Batches much longer than the queue's correlation time are close to
//!   independent; a run too short for that gets intervals that are too narrow, which a
//!   longer horizon fixes.
//!
//! A run that does not keep up has no steady state: its block says so and holds no numbers.

use super::bin_histogram::BinHistogram;
use super::histogram::round_ns_ms;
use super::recorder::Recorder;
use super::stats::describe;
use crate::sim::Nanos;
use crate::sim::time::NS_PER_S;
use serde::Serialize;

/// Bins per MSER batch.
const MSER_BATCH: usize = 5;
/// Fewest MSER batches for a warm-up to be looked for.
const MSER_MIN_BATCHES: usize = 10;
/// Batches for the intervals, and the fewest accepted.
const BATCHES: usize = 20;
const MIN_BATCHES: usize = 5;
/// Fewest chat messages published in a batch's time. The deliveries of one message are one
/// fan-out, not independent observations: a batch's p99 over a handful of messages is mostly
/// their fan-outs' length and misses the waits a few of them had, so batches of too few
/// messages look alike and the interval comes out far too narrow (a naive guild at 1 message
/// a second gave p99 65.3 ms, 95 %: 65.1 to 65.5, from 29 messages, where longer runs give
/// 75 to 84). With fewer than 5 x 20 messages after the warm-up there is no interval.
pub(crate) const MIN_PUBLISHES_PER_BATCH: u64 = 20;
/// Fewest messages after the warm-up for an interval.
pub(crate) const MIN_PUBLISHES: u64 = MIN_BATCHES as u64 * MIN_PUBLISHES_PER_BATCH;

/// `summary.json`'s `steady` block.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Steady {
    /// The warm-up MSER-5 found (seconds; null when not judged).
    pub warmup_s: Option<f64>,
    /// Batches the intervals come from (0 when not judged).
    pub batches: u32,
    /// Why there are no numbers, when there are none (empty otherwise).
    pub(crate) note: String,
    /// Chat delivery latency after the warm-up: the value from every delivery, and the 95 %
    /// interval from the batches' spread (ms).
    pub latency_ms: SteadyLatency,
}

impl Steady {
    /// Why there are no numbers (empty when there are).
    pub fn note(&self) -> &str {
        &self.note
    }
}

/// Steady-state latency figures (ms), each with its 95 % interval.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SteadyLatency {
    pub count: u64,
    pub mean: Option<f64>,
    pub mean_low: Option<f64>,
    pub mean_high: Option<f64>,
    pub p50: Option<f64>,
    pub p50_low: Option<f64>,
    pub p50_high: Option<f64>,
    pub p99: Option<f64>,
    pub p99_low: Option<f64>,
    pub p99_high: Option<f64>,
}

/// The MSER truncation of `y` (at least [`MSER_MIN_BATCHES`] values): how many leading values
/// to drop.
pub(crate) fn mser(y: &[f64]) -> Option<usize> {
    let m = y.len();
    if m < MSER_MIN_BATCHES {
        return None;
    }
    // Sums of the values and their squares over every suffix, from the end: one pass, so a
    // run of a million bins costs a million steps, not their square. The values are centred
    // on their mean first, so the sums stay small and the difference below keeps its digits.
    let centre = y.iter().sum::<f64>() / m as f64;
    let (mut sum, mut squares) = (0.0f64, 0.0f64);
    let mut z = vec![0.0f64; m / 2 + 1];
    for d in (0..m).rev() {
        let v = y[d] - centre;
        sum += v;
        squares += v * v;
        if d <= m / 2 {
            let n = (m - d) as f64;
            let ss = (squares - sum * sum / n).max(0.0);
            z[d] = ss / (n * n);
        }
    }
    let mut best = (f64::INFINITY, 0);
    for (d, &zd) in z.iter().enumerate() {
        if zd < best.0 {
            best = (zd, d);
        }
    }
    Some(best.1)
}

/// A set of bins merged: deliveries, latency sum and maximum, and their histogram.
#[derive(Default)]
struct Merged {
    count: u64,
    sum: u128,
    max: Nanos,
    hist: BinHistogram,
}

impl Merged {
    fn of(rec: &Recorder, bins: std::ops::Range<usize>) -> Merged {
        let mut m = Merged::default();
        for b in bins {
            m.count += rec.bin_deliveries[b];
            m.sum += rec.bin_latency_sum_ns[b] as u128;
            m.max = m.max.max(rec.bin_latency_max_ns[b]);
            m.hist.merge(&rec.bin_latency[b]);
        }
        m
    }

    fn mean_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64 / 1e6)
    }

    fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.hist
            .quantile(q, self.count, self.max)
            .map(|ns| ns as f64 / 1e6)
    }
}

/// The steady-state block of a run that covers `[0, end)`; `keeps_up` is the run's verdict
/// (`Some(false)`: no steady state).
pub(crate) fn steady(rec: &Recorder, end: Nanos, keeps_up: Option<bool>) -> Steady {
    let mut out = Steady::default();
    if keeps_up == Some(false) {
        out.note = "no steady state: the run does not keep up (keeps_up)".into();
        return out;
    }
    let bins = (end.div_ceil(rec.interval) as usize).clamp(1, rec.bins);
    // MSER-5 on the per-bin mean latency, batches of 5 bins.
    let mut starts = Vec::new();
    let mut y = Vec::new();
    for start in (0..bins).step_by(MSER_BATCH) {
        let m = Merged::of(rec, start..(start + MSER_BATCH).min(bins));
        if let Some(mean) = m.mean_ms() {
            starts.push(start);
            y.push(mean);
        }
    }
    let Some(d) = mser(&y) else {
        out.note = format!(
            "too short to judge: {} batches of {MSER_BATCH} bins with deliveries, {MSER_MIN_BATCHES} needed",
            y.len()
        );
        return out;
    };
    let warm = starts[d];
    out.warmup_s = Some(warm as f64 * rec.interval as f64 / NS_PER_S as f64);
    let n = bins - warm;
    let published: u64 = rec.bin_publishes[warm..bins].iter().sum();
    let k = BATCHES
        .min(n)
        .min((published / MIN_PUBLISHES_PER_BATCH) as usize);
    if k < MIN_BATCHES {
        out.note = format!(
            "too short after the warm-up: {n} bins and {published} messages, at least \
             {MIN_BATCHES} bins and {} messages needed",
            MIN_BATCHES as u64 * MIN_PUBLISHES_PER_BATCH
        );
        return out;
    }
    let size = n / k;
    let first = bins - size * k;
    let all = Merged::of(rec, warm..bins);
    let (mut means, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    for b in 0..k {
        let m = Merged::of(rec, first + b * size..first + (b + 1) * size);
        if let (Some(mean), Some(p50), Some(p99)) =
            (m.mean_ms(), m.quantile_ms(0.5), m.quantile_ms(0.99))
        {
            means.push(mean);
            p50s.push(p50);
            p99s.push(p99);
        }
    }
    if means.len() < MIN_BATCHES {
        out.note = format!(
            "too few batches with deliveries after the warm-up: {}, {MIN_BATCHES} needed",
            means.len()
        );
        return out;
    }
    out.batches = means.len() as u32;
    let interval = |point: Option<f64>, values: &[f64]| {
        let s = describe(values);
        let half = s.ci95.map(|(lo, hi)| (hi - lo) / 2.0);
        match (point, half) {
            (Some(p), Some(h)) => (
                Some(round_ns_ms(p)),
                Some(round_ns_ms(p - h)),
                Some(round_ns_ms(p + h)),
            ),
            (p, _) => (p.map(round_ns_ms), None, None),
        }
    };
    let l = &mut out.latency_ms;
    l.count = all.count;
    (l.mean, l.mean_low, l.mean_high) = interval(all.mean_ms(), &means);
    (l.p50, l.p50_low, l.p50_high) = interval(all.quantile_ms(0.5), &p50s);
    (l.p99, l.p99_low, l.p99_high) = interval(all.quantile_ms(0.99), &p99s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mser_drops_a_transient_and_keeps_a_flat_series() {
        // A climb over the first 6 values, then noise around 10.
        let mut y: Vec<f64> = (0..6).map(|i| i as f64 * 1.5).collect();
        y.extend((0..30).map(|i| 10.0 + if i % 2 == 0 { 0.3 } else { -0.3 }));
        let d = mser(&y).unwrap();
        assert!((5..=8).contains(&d), "{d}");
        let flat: Vec<f64> = (0..30).map(|i| 10.0 + (i % 3) as f64 * 0.1).collect();
        assert!(mser(&flat).unwrap() <= 3);
    }

    #[test]
    fn the_one_pass_mser_picks_what_the_definition_picks() {
        // The statistic computed directly for each truncation, on series with a transient.
        let direct = |y: &[f64]| {
            let m = y.len();
            (0..=m / 2)
                .map(|d| {
                    let kept = &y[d..];
                    let n = kept.len() as f64;
                    let mean = kept.iter().sum::<f64>() / n;
                    kept.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n * n)
                })
                .enumerate()
                .fold(
                    (f64::INFINITY, 0),
                    |b, (d, z)| if z < b.0 { (z, d) } else { b },
                )
                .1
        };
        for seed in 1..20u64 {
            let y: Vec<f64> = (0..200u64)
                .map(|i| {
                    let noise = ((i * 2654435761 + seed * 40503) % 1000) as f64 / 100.0;
                    1000.0 + noise + if i < seed * 3 { 50.0 - i as f64 } else { 0.0 }
                })
                .collect();
            assert_eq!(mser(&y), Some(direct(&y)), "seed {seed}");
        }
    }

    #[test]
    fn mser_needs_ten_batches() {
        assert_eq!(mser(&[1.0; 9]), None);
        assert_eq!(mser(&[1.0; 10]), Some(0));
    }
}
