//! Named windows of virtual time (`output.windows`): what a window's summary needs beyond the
//! time bins. A window is made of whole bins, so its counts, latency sums, minima and maxima
//! add up from the bins' exactly. Its latency percentiles come from histograms kept per
//! *segment* of time (the spans between window boundaries, one segment without windows): a
//! delivery is counted in its segment's buckets, a window sums the segments it covers, and
//! the run's own histogram is the sum of all of them. Recording a delivery costs nothing more
//! than without windows (the bucket array of its segment is picked when its bin is opened).
//! Fan-out durations and sojourns, recorded when a fan-out completes, go into the histograms of
//! the windows holding that time.

use super::Recorder;
use super::histogram::DurationHistogram;
use super::summary::{WindowSummary, round6};
use crate::sim::Nanos;
use crate::sim::time::to_secs;
use std::collections::BTreeMap;

/// A window in engine units: `[from, to)`, and its bins `[from_bin, to_bin)`.
#[derive(Clone, Debug)]
pub(crate) struct WindowSpec {
    pub(crate) name: String,
    pub(crate) from: Nanos,
    pub(crate) to: Nanos,
    pub(crate) from_bin: usize,
    pub(crate) to_bin: usize,
    /// The segments it covers.
    segments: std::ops::Range<usize>,
}

/// Per-window and per-segment records.
#[derive(Clone, Debug, Default)]
pub(crate) struct Windows {
    pub(crate) specs: Vec<WindowSpec>,
    /// The segment of each bin (empty without windows).
    of_bin: Vec<u16>,
    segments: usize,
    /// Buckets per segment (those of a histogram reserved to the horizon).
    pub(crate) stride: usize,
    /// Chat and presence latency buckets, segment-major (empty without windows: the run's
    /// histograms are counted into directly).
    pub(crate) latency: Vec<u64>,
    pub(crate) presence: Vec<u64>,
    /// Per window: durations of fan-outs (chat, presence) and sojourns completed in it.
    pub(crate) fanout: Vec<DurationHistogram>,
    pub(crate) presence_fanout: Vec<DurationHistogram>,
    pub(crate) sojourn: Vec<DurationHistogram>,
}

impl Windows {
    /// Windows `(name, from, to)` over `bins` bins of `interval`; latency histograms of
    /// `stride` buckets. Window edges are whole bins (validation checks it).
    pub(crate) fn new(
        list: &[(String, Nanos, Nanos)],
        interval: Nanos,
        bins: usize,
        stride: usize,
    ) -> Self {
        if list.is_empty() {
            return Windows::default();
        }
        let bin_of = |t: Nanos| ((t / interval) as usize).min(bins);
        // Segment boundaries: every window edge inside the bins, as a bin index.
        let mut cuts: Vec<usize> = list
            .iter()
            .flat_map(|&(_, from, to)| [bin_of(from), bin_of(to)])
            .filter(|&b| b > 0 && b < bins)
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let segment = |b: usize| cuts.partition_point(|&c| c <= b);
        let of_bin: Vec<u16> = (0..bins).map(|b| segment(b) as u16).collect();
        let segments = cuts.len() + 1;
        let specs: Vec<WindowSpec> = list
            .iter()
            .map(|(name, from, to)| {
                let (from_bin, to_bin) = (bin_of(*from), bin_of(*to).max(bin_of(*from)));
                let first = segment(from_bin);
                let last = if to_bin > from_bin {
                    segment(to_bin - 1) + 1
                } else {
                    first
                };
                WindowSpec {
                    name: name.clone(),
                    from: *from,
                    to: *to,
                    from_bin,
                    to_bin,
                    segments: first..last,
                }
            })
            .collect();
        let n = specs.len();
        Windows {
            specs,
            of_bin,
            segments,
            stride,
            latency: vec![0; segments * stride],
            presence: vec![0; segments * stride],
            fanout: vec![DurationHistogram::new(); n],
            presence_fanout: vec![DurationHistogram::new(); n],
            sojourn: vec![DurationHistogram::new(); n],
        }
    }

    /// Where bin `bin`'s segment starts in [`Windows::latency`] (0 without windows).
    #[cfg(test)]
    pub(crate) fn base(&self, bin: usize) -> usize {
        self.of_bin
            .get(bin)
            .map_or(0, |&s| s as usize * self.stride)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// For a batch of deliveries: the segments' buckets of chat or presence latency (`None`
    /// without windows), the segment of each bin, and the buckets per segment.
    pub(crate) fn split(&mut self, presence: bool) -> (Option<&mut [u64]>, &[u16], usize) {
        let buckets = if presence {
            &mut self.presence
        } else {
            &mut self.latency
        };
        let segments = (!self.specs.is_empty()).then_some(buckets.as_mut_slice());
        (segments, &self.of_bin, self.stride)
    }

    /// A fan-out (presence or chat) completed at `now` after `duration`, its publish having
    /// waited `sojourn` in all (chat only).
    pub(crate) fn completed(&mut self, now: Nanos, duration: Nanos, sojourn: Option<Nanos>) {
        for (w, spec) in self.specs.iter().enumerate() {
            if spec.from <= now && now < spec.to {
                match sojourn {
                    Some(s) => {
                        self.fanout[w].record(duration);
                        self.sojourn[w].record(s);
                    }
                    None => self.presence_fanout[w].record(duration),
                }
            }
        }
    }

    /// The latency buckets of the whole run (chat or presence): every segment summed.
    pub(crate) fn total(&self, presence: bool) -> Vec<u64> {
        self.sum(presence, 0..self.segments)
    }

    /// The latency buckets of window `w`.
    pub(crate) fn buckets(&self, w: usize, presence: bool) -> Vec<u64> {
        self.sum(presence, self.specs[w].segments.clone())
    }

    fn sum(&self, presence: bool, segments: std::ops::Range<usize>) -> Vec<u64> {
        let all = if presence {
            &self.presence
        } else {
            &self.latency
        };
        let mut out = vec![0u64; self.stride];
        for s in segments {
            for (o, c) in out
                .iter_mut()
                .zip(&all[s * self.stride..(s + 1) * self.stride])
            {
                *o += c;
            }
        }
        out
    }
}

/// The summary of every window of `rec` (nodes with `schedulers` each), by name.
pub(crate) fn summaries(rec: &Recorder, schedulers: &[u32]) -> BTreeMap<String, WindowSummary> {
    let w = &rec.windows;
    let mut out = BTreeMap::new();
    for (i, spec) in w.specs.iter().enumerate() {
        let bins = spec.from_bin.min(rec.bins)..spec.to_bin.min(rec.bins);
        let sum = |v: &[u64]| v[bins.clone()].iter().map(|&x| x as u128).sum::<u128>();
        let max = |v: &[u64]| v[bins.clone()].iter().copied().max().unwrap_or(0);
        let min = |v: &[u64]| v[bins.clone()].iter().copied().min().unwrap_or(u64::MAX);
        let histogram = |presence: bool| {
            let (counts, sums, maxes, mins) = if presence {
                let r = rec;
                (
                    &r.bin_presence_deliveries,
                    &r.bin_presence_sum_ns,
                    &r.bin_presence_max_ns,
                    &r.bin_presence_min_ns,
                )
            } else {
                (
                    &rec.bin_deliveries,
                    &rec.bin_latency_sum_ns,
                    &rec.bin_latency_max_ns,
                    &rec.bin_latency_min_ns,
                )
            };
            let count = sum(counts) as u64;
            DurationHistogram::from_parts(
                w.buckets(i, presence),
                count,
                sum(sums),
                min(mins),
                max(maxes),
            )
        };
        let len = spec.to.min(rec.horizon).saturating_sub(spec.from);
        let busy: Vec<f64> = schedulers
            .iter()
            .enumerate()
            .map(|(n, &cores)| {
                let row = &rec.node_busy_ns[n * rec.bins..(n + 1) * rec.bins];
                let used: u64 = row[bins.clone()].iter().sum();
                round6(used as f64 / (len as f64 * cores as f64))
            })
            .collect();
        let busy_mean = busy.iter().sum::<f64>() / busy.len().max(1) as f64;
        let summary = WindowSummary {
            from_s: to_secs(spec.from),
            to_s: to_secs(spec.to),
            publishes_total: rec.bin_publishes[bins.clone()].iter().sum(),
            publishes_completed: w.fanout[i].count(),
            deliveries_total: sum(&rec.bin_deliveries) as u64,
            presence_deliveries_total: sum(&rec.bin_presence_deliveries) as u64,
            latency_ms: histogram(false).stats_ms(),
            presence_latency_ms: histogram(true).stats_ms(),
            fanout_duration_ms: w.fanout[i].stats_ms(),
            presence_fanout_duration_ms: w.presence_fanout[i].stats_ms(),
            guild_sojourn_ms: w.sojourn[i].stats_ms(),
            guild_mailbox_depth_max: rec.bin_mailbox_max[bins.clone()]
                .iter()
                .copied()
                .max()
                .unwrap_or(0),
            registry_queue_depth_max: rec.bin_registry_depth_max[bins.clone()]
                .iter()
                .copied()
                .max()
                .unwrap_or(0),
            node_busy_fraction_mean: (len > 0).then(|| round6(busy_mean)),
            node_busy_fraction_max: (len > 0).then(|| busy.iter().copied().fold(0.0, f64::max)),
        };
        out.insert(spec.name.clone(), summary);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cut_at_every_window_edge() {
        let list = vec![
            ("a".to_string(), 20, 60),
            ("b".to_string(), 40, 100),
            ("all".to_string(), 0, 100),
        ];
        let w = Windows::new(&list, 10, 10, 4);
        // Cuts at bins 2, 4 and 6: segments [0,2), [2,4), [4,6), [6,10).
        assert_eq!(w.segments, 4);
        assert_eq!(
            (0..10).map(|b| w.base(b) / 4).collect::<Vec<_>>(),
            [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]
        );
        assert_eq!(w.specs[0].segments, 1..3);
        assert_eq!(w.specs[1].segments, 2..4);
        assert_eq!(w.specs[2].segments, 0..4);
        assert_eq!(Windows::default().base(7), 0);
    }
}
