//! Storms measured, not eyeballed: when the experiment's presence storms (login waves, node
//! restarts) were over, and whether they were over by the end of the run.
//!
//! The storms of a run are measured together, from the last one's start: the sessions are
//! all back when the number online last changed (`sessions_back_s`), the presence fan-out is
//! over at the last presence delivery (`presence_done_s`), and the registries' backlog peaks and
//! drains (the deepest registry mailbox per time bin). A storm is `finished` when every session
//! is online at the end and the registries' mailboxes are empty in the run's last bin; else its
//! times are bounded by the horizon, not measured. `beyond_configured_s` says how much longer
//! than its configuration (the restart plus the reconnect jitter, or the login window) the
//! storm lasted: near 0, the storm is its configuration's shadow (at test scale it usually is),
//! and only a larger scale shows the storm's own dynamics.

use super::recorder::Recorder;
use super::summary::round6;
use crate::sim::Nanos;
use crate::sim::time::NS_PER_S;
use serde::Serialize;

/// `summary.json`'s `storms` block (all zero and `null` without storms).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Storms {
    /// Storms in the experiment.
    pub count: u32,
    /// When the last storm starts (a restart's crash, a login window's start), seconds.
    pub(crate) last_start_s: Option<f64>,
    /// When the storms' configuration has every session back at the latest: a restart's
    /// crash + down time + reconnect jitter, a login window's end (the largest), seconds.
    pub(crate) configured_end_s: Option<f64>,
    /// Every session back online (the last change in the number online), and the storm's
    /// length from the last start to then, seconds.
    pub sessions_back_s: Option<f64>,
    pub length_s: Option<f64>,
    /// `sessions_back_s` minus `configured_end_s`: what the storm's own dynamics add.
    pub beyond_configured_s: Option<f64>,
    /// The last presence delivery, and its time from the last start, seconds.
    pub presence_done_s: Option<f64>,
    pub presence_length_s: Option<f64>,
    /// The deepest registry mailbox from the last start on, and the end of the last time bin
    /// where a registry mailbox held a call (seconds; null when calls still wait in the run's
    /// last bin: not drained).
    pub registry_backlog_peak: u32,
    pub registry_drained_s: Option<f64>,
    /// Every session online at the end and the registries empty in the last bin.
    pub finished: Option<bool>,
}

/// The storms, each as its start and the end its configuration gives (seconds), measured by
/// `rec` over a run that ended at `end`, with `online_at_end` of `sessions` online.
pub(crate) fn measure(
    storms: &[(f64, f64)],
    rec: &Recorder,
    end: Nanos,
    online_at_end: u64,
    sessions: u64,
) -> Storms {
    let mut out = Storms {
        count: storms.len() as u32,
        ..Storms::default()
    };
    if storms.is_empty() {
        return out;
    }
    let (mut start, mut configured) = (0.0f64, 0.0f64);
    for &(from, until) in storms {
        start = start.max(from);
        configured = configured.max(until);
    }
    let secs = |t: Nanos| round6(t as f64 / NS_PER_S as f64);
    out.last_start_s = Some(round6(start));
    out.configured_end_s = Some(round6(configured));
    let back = secs(rec.last_online_change);
    out.sessions_back_s = Some(back);
    out.length_s = Some(round6(back - start));
    out.beyond_configured_s = Some(round6(back - configured));
    let presence = secs(rec.last_presence_delivery);
    out.presence_done_s = Some(presence);
    out.presence_length_s = Some(round6(presence - start));
    let first = ((start * NS_PER_S as f64) as Nanos / rec.interval) as usize;
    let last = ((end.max(1) - 1) / rec.interval) as usize;
    let depth = &rec.bin_registry_depth_max;
    let last = last.min(depth.len() - 1);
    out.registry_backlog_peak = depth[first.min(last)..=last]
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    // Drained: the end of the last bin with a call waiting, unless that is the run's last bin.
    out.registry_drained_s = match depth[..=last].iter().rposition(|&d| d > 0) {
        Some(b) if b == last => None,
        Some(b) => Some(secs(((b as u64 + 1) * rec.interval).min(end))),
        None => Some(round6(start)),
    };
    out.finished = Some(online_at_end == sessions && depth[last] == 0);
    out
}
