//! The `output:` section: sampling, named windows, the timeline trace and the plots.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a run writes besides the summary.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Output {
    /// Width of the time-series bins (default 100).
    #[serde(default = "default_sample_interval_ms")]
    pub(crate) sample_interval_ms: f64,
    /// Plots to draw (default: all of the kinds).
    #[serde(default = "PlotKind::all")]
    pub(crate) plots: Vec<PlotKind>,
    /// Write `trace.json`, the run as a Chrome trace-event file for Perfetto, with these
    /// filters (optional; `{}` traces everything up to the cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trace: Option<TraceConfig>,
    /// Named windows of virtual time, each summarised like the whole run in `summary.json`
    /// (`windows.<name>`), over what happened in it. Whole time bins: `from_s` and `to_s` are
    /// multiples of `sample_interval_ms`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) windows: Vec<OutputWindow>,
}

/// A named window of virtual time, `[from_s, to_s)`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutputWindow {
    /// Letters, digits, `_` and `-`: it names the window's block in `summary.json` and its
    /// metrics (`windows.<name>.latency_ms.p99`).
    pub(crate) name: String,
    pub(crate) from_s: f64,
    pub(crate) to_s: f64,
}

/// What the timeline trace holds: a window of virtual time, some guilds, some nodes, and a
/// cap on its events (`crate::metrics::trace`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TraceConfig {
    /// Start of the traced window of virtual time (default 0).
    #[serde(default)]
    pub(crate) from_s: f64,
    /// End of the traced window (default: the horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) to_s: Option<f64>,
    /// Guild indices: only these guilds, their members' sessions and the processes their
    /// messages pass through (default: every process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) guilds: Option<Vec<u32>>,
    /// Node names (`session-3`): only these nodes' tracks (default: every node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nodes: Option<Vec<String>>,
    /// At most this many trace events (default 200000); reaching it ends the trace there,
    /// which the file's metadata and the command's output state.
    #[serde(default = "default_trace_events")]
    pub(crate) max_events: u64,
}

fn default_trace_events() -> u64 {
    200_000
}

impl Default for TraceConfig {
    fn default() -> Self {
        Self {
            from_s: 0.0,
            to_s: None,
            guilds: None,
            nodes: None,
            max_events: default_trace_events(),
        }
    }
}

fn default_sample_interval_ms() -> f64 {
    100.0
}

impl Default for Output {
    fn default() -> Self {
        Self {
            sample_interval_ms: default_sample_interval_ms(),
            plots: PlotKind::all(),
            trace: None,
            windows: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PlotKind {
    /// Cumulative distribution of delivery latency.
    LatencyCdf,
    /// Fan-out duration against the number of recipients.
    FanoutVsSize,
    /// Largest guild mailbox depth per time bin.
    MailboxDepth,
    /// Sessions online, registry queue depth and node memory on one shared time axis.
    StormTimeline,
}

impl PlotKind {
    pub(crate) fn all() -> Vec<PlotKind> {
        vec![
            PlotKind::LatencyCdf,
            PlotKind::FanoutVsSize,
            PlotKind::MailboxDepth,
            PlotKind::StormTimeline,
        ]
    }
}
