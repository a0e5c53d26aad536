//! Whether a run's processes keep up with their load: saturation said as a verdict, not left
//! for a reader to infer from a latency that is only the run's length.
//!
//! A queue that keeps up has a backlog that stays bounded; one that does not has a backlog
//! that grows for as long as the load lasts, and its process is busy all the time. The run
//! is judged over its second half, `[horizon / 2, horizon)`, after the start's transient:
//!
//! - **Guilds**: the backlog is the number of chat publishes in guild mailboxes (waiting or
//!   being fanned out), time-averaged per time bin. Its trend is the least-squares slope of
//!   that series in publishes per second, computed on 10 batch means of the half's bins (the
//!   batching takes out most of the bins' autocorrelation, which would make an interval on
//!   raw bins too narrow), with a 95 % interval from Student's t on 8 degrees of freedom. The
//!   guilds do **not** keep up when the whole interval lies above zero and the busiest guild
//!   was busy for at least 90 % of the half; they keep up otherwise.
//! - **Registries**: the deepest registry mailbox per bin, batched and fitted the same way; a
//!   registry does not keep up when the interval lies above zero.
//! - **Session nodes**, when sessions pay per byte they write (`costs.serialise_ns_per_byte`,
//!   `costs.compress_ns_per_byte`): the messages waiting in session mailboxes, time-averaged
//!   per bin and fitted the same way; they do not keep up when the interval lies above zero
//!   and the busiest session node was busy for at least 90 % of the half.
//! - **Nodes** are reported with their busy fraction over the half (the busiest one), not
//!   judged: a node can be busy all the time and still keep up.
//!
//! A run that drained (nothing left to do before the horizon) kept up by definition. A run
//! stopped by its event budget, or with fewer than 3 bins in its second half, is not judged
//! (`null`). A latency measured in a run that does not keep up is bounded by the run's length,
//! not an answer: the console and `report.html` say so.

use super::recorder::Recorder;
use super::stats::t_975;
use super::summary::round6;
use crate::sim::time::NS_PER_S;
use crate::sim::{Nanos, StopReason};
use serde::Serialize;

/// How many batch means the half's bins are grouped into for the slope.
const BATCHES: usize = 10;

/// A busy fraction at or above this, with a growing backlog, is a process that does not keep
/// up.
pub(crate) const SATURATED_BUSY: f64 = 0.9;

/// The verdicts of one run (`summary.json`'s `keeps_up`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeepsUp {
    /// Every judged process kind keeps up: `true`, `false`, or `null` when the run was not
    /// judged (stopped by its event budget, or too short to have 3 bins in its second half).
    pub all: Option<bool>,
    /// Which does not keep up, in words (empty when all do or the run was not judged; a
    /// string always, so that it is never taken for a metric).
    pub not_keeping_up: String,
    /// Why the verdict is what it is, in one sentence.
    pub(crate) why: String,
    /// The part of the run judged (seconds of virtual time).
    pub(crate) judged_from_s: f64,
    pub(crate) judged_to_s: f64,
    pub guilds: Trend,
    pub registries: Trend,
    /// Session nodes, when sessions pay per byte (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Trend>,
    /// The busiest node over the judged half and its busy fraction there.
    pub(crate) busiest_node: String,
    pub busiest_node_busy_fraction: f64,
}

impl KeepsUp {
    /// Why the verdict is what it is, in one sentence.
    pub fn why(&self) -> &str {
        &self.why
    }
}

/// One kind of process's backlog over the judged half.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Trend {
    /// `true`, `false`, or `null` when not judged.
    pub keeps_up: Option<bool>,
    /// The backlog's least-squares slope (messages per second) and its 95 % interval.
    pub backlog_growth_per_s: Option<f64>,
    pub backlog_growth_low: Option<f64>,
    pub backlog_growth_high: Option<f64>,
    /// The backlog's mean over the last batch of the half (messages).
    pub backlog_end: Option<f64>,
    /// The busiest process of the kind over the half, and its busy fraction there (guilds).
    pub(crate) busiest: String,
    pub busiest_busy_fraction: Option<f64>,
}

/// A least-squares line through `(x, y)` points: slope and its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Slope {
    pub(crate) slope: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
}

/// The least-squares slope of `y` on `x` (at least 3 points) with its 95 % interval.
pub(crate) fn slope(x: &[f64], y: &[f64]) -> Option<Slope> {
    let n = x.len();
    if n < 3 || y.len() != n {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let b = sxy / sxx;
    let a = my - b * mx;
    let rss: f64 = x.iter().zip(y).map(|(u, v)| (v - a - b * u).powi(2)).sum();
    let se = (rss / (n - 2) as f64 / sxx).sqrt();
    let half = t_975(n - 2) * se;
    Some(Slope {
        slope: b,
        low: b - half,
        high: b + half,
    })
}

/// Groups the bins `first..bins.len()` into at most [`BATCHES`] batches of equal size (the
/// leftover bins at the start dropped), and returns each batch's middle (seconds) and mean.
fn batch_means(values: &[f64], first: usize, interval: Nanos) -> (Vec<f64>, Vec<f64>) {
    let n = values.len().saturating_sub(first);
    let batches = BATCHES.min(n);
    if batches == 0 {
        return (Vec::new(), Vec::new());
    }
    let size = n / batches;
    let start = values.len() - size * batches;
    let bin_s = interval as f64 / NS_PER_S as f64;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for k in 0..batches {
        let from = start + k * size;
        let mean = values[from..from + size].iter().sum::<f64>() / size as f64;
        xs.push((from as f64 + size as f64 / 2.0) * bin_s);
        ys.push(mean);
    }
    (xs, ys)
}

/// A kind's trend from its per-bin backlog series.
fn trend(values: &[f64], first: usize, interval: Nanos) -> Trend {
    let (xs, ys) = batch_means(values, first, interval);
    let Some(s) = slope(&xs, &ys) else {
        return Trend::default();
    };
    Trend {
        keeps_up: Some(s.low <= 0.0),
        backlog_growth_per_s: Some(round6(s.slope)),
        backlog_growth_low: Some(round6(s.low)),
        backlog_growth_high: Some(round6(s.high)),
        backlog_end: ys.last().map(|v| round6(*v)),
        busiest: String::new(),
        busiest_busy_fraction: None,
    }
}

/// The verdicts of a finished run. `node_names` in node order; `stop` is how the run ended.
pub(crate) fn judge(
    rec: &Recorder,
    node_names: &[String],
    schedulers: &[u32],
    stop: StopReason,
) -> KeepsUp {
    let half = rec.horizon / 2;
    let first = half.div_ceil(rec.interval) as usize;
    let secs = |t: Nanos| t as f64 / NS_PER_S as f64;
    let span = (rec.horizon - half) as f64;
    let mut out = KeepsUp {
        judged_from_s: secs(half),
        judged_to_s: secs(rec.horizon),
        ..KeepsUp::default()
    };
    // The busiest node over the half.
    let mut best = (0.0f64, String::new());
    for (n, name) in node_names.iter().enumerate() {
        let row = &rec.node_busy_ns[n * rec.bins..(n + 1) * rec.bins];
        let busy: u64 = row[first.min(rec.bins)..].iter().sum();
        let capacity = span * schedulers[n].max(1) as f64;
        let f = if capacity > 0.0 {
            busy as f64 / capacity
        } else {
            0.0
        };
        if f > best.0 || best.1.is_empty() {
            best = (f, name.clone());
        }
    }
    out.busiest_node_busy_fraction = round6(best.0);
    out.busiest_node = best.1;

    let backlog = rec.guild_backlog_by_bin();
    let mut guilds = trend(&backlog, first, rec.interval);
    if let Some((g, busy)) = rec
        .guild_busy_late_ns
        .iter()
        .enumerate()
        .max_by_key(|&(g, &b)| (b, std::cmp::Reverse(g)))
    {
        let f = if span > 0.0 { *busy as f64 / span } else { 0.0 };
        guilds.busiest = format!("guild {g}");
        guilds.busiest_busy_fraction = Some(round6(f));
        if guilds.keeps_up == Some(false) && f < SATURATED_BUSY {
            // A growing backlog of a guild that is mostly idle is a load that grows (a
            // ramp), not a guild that falls behind.
            guilds.keeps_up = Some(true);
        }
    } else if guilds.keeps_up == Some(false) {
        guilds.keeps_up = Some(true);
    }
    let depth: Vec<f64> = rec
        .bin_registry_depth_max
        .iter()
        .map(|&d| d as f64)
        .collect();
    let registries = trend(&depth, first, rec.interval);
    out.guilds = guilds;
    out.registries = registries;

    match stop {
        StopReason::Drained => {
            out.all = Some(true);
            out.why =
                "the run drained: every publish and message was handled before the horizon".into();
            out.guilds.keeps_up = Some(true);
            out.registries.keeps_up = Some(true);
        }
        StopReason::EventBudget | StopReason::Interrupted => {
            out.all = None;
            out.why =
                "not judged: the run stopped before its horizon (event budget or interrupted)"
                    .into();
            out.guilds.keeps_up = None;
            out.registries.keeps_up = None;
        }
        StopReason::Horizon => match (out.guilds.keeps_up, out.registries.keeps_up) {
            (Some(g), Some(r)) => {
                out.all = Some(g && r);
                if !g {
                    let busiest = out.guilds.busiest.clone();
                    out.not_keeping_up = busiest.clone();
                    out.why = format!(
                        "{busiest} is busy {:.1} % of the run's second half and the guilds' \
                         backlog grows by {} publishes/s (95 %: {} to {})",
                        out.guilds.busiest_busy_fraction.unwrap_or(0.0) * 100.0,
                        fmt(out.guilds.backlog_growth_per_s),
                        fmt(out.guilds.backlog_growth_low),
                        fmt(out.guilds.backlog_growth_high),
                    );
                } else if !r {
                    out.not_keeping_up = "registries".into();
                    out.why = format!(
                        "the deepest registry mailbox grows by {} calls/s (95 %: {} to {})",
                        fmt(out.registries.backlog_growth_per_s),
                        fmt(out.registries.backlog_growth_low),
                        fmt(out.registries.backlog_growth_high),
                    );
                } else {
                    out.why = "no backlog grows over the run's second half".into();
                }
            }
            _ => {
                out.all = None;
                out.why = "not judged: the run's second half has fewer than 3 time bins".into();
            }
        },
    }
    out
}

/// Judges the session nodes (`session_nodes`, by index) of a finished run on their run
/// queues, and folds the verdict into `out`.
pub(crate) fn judge_sessions(
    out: &mut KeepsUp,
    rec: &Recorder,
    node_names: &[String],
    schedulers: &[u32],
    session_nodes: &[usize],
    stop: StopReason,
) {
    let half = rec.horizon / 2;
    let first = half.div_ceil(rec.interval) as usize;
    let span = (rec.horizon - half) as f64;
    let mut sessions = trend(&rec.session_backlog_by_bin(), first, rec.interval);
    let busiest = session_nodes
        .iter()
        .map(|&n| {
            let busy: u64 = rec.node_busy_ns
                [n * rec.bins + first.min(rec.bins)..(n + 1) * rec.bins]
                .iter()
                .sum();
            let capacity = span * schedulers[n].max(1) as f64;
            (
                if capacity > 0.0 {
                    busy as f64 / capacity
                } else {
                    0.0
                },
                n,
            )
        })
        .fold((0.0f64, usize::MAX), |a, b| {
            if b.0 > a.0 || a.1 == usize::MAX { b } else { a }
        });
    if busiest.1 != usize::MAX {
        sessions.busiest = node_names[busiest.1].clone();
        sessions.busiest_busy_fraction = Some(round6(busiest.0));
    }
    if sessions.keeps_up == Some(false) && busiest.0 < SATURATED_BUSY {
        sessions.keeps_up = Some(true);
    }
    match stop {
        StopReason::Drained => sessions.keeps_up = Some(true),
        StopReason::EventBudget | StopReason::Interrupted => sessions.keeps_up = None,
        StopReason::Horizon => {}
    }
    if out.all == Some(true) && sessions.keeps_up == Some(false) {
        out.all = Some(false);
        out.not_keeping_up = sessions.busiest.clone();
        out.why = format!(
            "session node {} is busy {:.1} % of the run's second half and the sessions' \
             backlog grows by {} messages/s (95 %: {} to {})",
            sessions.busiest,
            sessions.busiest_busy_fraction.unwrap_or(0.0) * 100.0,
            fmt(sessions.backlog_growth_per_s),
            fmt(sessions.backlog_growth_low),
            fmt(sessions.backlog_growth_high),
        );
    }
    out.sessions = Some(sessions);
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("?".into(), |v| format!("{}", (v * 1000.0).round() / 1000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_its_slope_and_a_narrow_interval() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let y = [1.0, 3.0, 5.0, 7.0, 9.0];
        let s = slope(&x, &y).unwrap();
        assert!((s.slope - 2.0).abs() < 1e-12);
        assert!((s.high - s.low).abs() < 1e-9);
    }

    #[test]
    fn noise_without_trend_has_an_interval_around_zero() {
        let x: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let y = [5.0, 4.0, 6.0, 5.0, 4.0, 6.0, 5.0, 4.0, 6.0, 5.0];
        let s = slope(&x, &y).unwrap();
        assert!(s.low < 0.0 && s.high > 0.0, "{s:?}");
    }

    #[test]
    fn too_few_points_give_no_slope() {
        assert_eq!(slope(&[0.0, 1.0], &[0.0, 1.0]), None);
        assert_eq!(slope(&[1.0, 1.0, 1.0], &[0.0, 1.0, 2.0]), None);
    }

    #[test]
    fn batches_cover_the_last_bins_in_equal_groups() {
        // 25 bins from 5: 20 bins, 10 batches of 2; each bin holds its index.
        let values: Vec<f64> = (0..25).map(|i| i as f64).collect();
        let (xs, ys) = batch_means(&values, 5, NS_PER_S);
        assert_eq!(ys.len(), 10);
        assert_eq!(ys[0], 5.5);
        assert_eq!(xs[0], 6.0);
        assert_eq!(ys[9], 23.5);
    }
}
