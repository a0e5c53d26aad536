//! The `run:` section: the horizon, the event budget, how deliveries are computed, and the
//! order check.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Virtual time at which the run stops (events after it are not handled).
    pub horizon_s: f64,
    /// Stop after this many events even before the horizon (default: no limit).
    #[serde(default)]
    pub(crate) event_budget: Option<u64>,
    /// `folded` (default) computes deliveries to idle sessions in closed form;
    /// `per_event` puts every delivery through the event queue. Results are identical.
    #[serde(default)]
    pub(crate) deliveries: DeliveryMode,
    /// Check that every session receives each guild's events in publish order, and count
    /// violations in the summary (default false: it costs 8 bytes per membership).
    #[serde(default)]
    pub(crate) check_order: bool,
    /// Run length chosen by precision: run to `horizon_s`, then, while the steady-state
    /// interval of `metric` is wider than asked, run again longer (same seed, so the longer
    /// run repeats the shorter one and goes on), up to `max_horizon_s`. `summary.json`'s
    /// `until` block says which stopped it (default: none, the run stops at `horizon_s`).
    #[serde(default)]
    pub(crate) until: Option<UntilConfig>,
}

impl RunConfig {
    /// The longest the run may last (seconds): `run.until`'s cap when it has one, which sizes
    /// the run's time bins and its estimate.
    pub fn longest_horizon_s(&self) -> f64 {
        match &self.until {
            Some(u) if u.max_horizon_s.is_finite() => u.max_horizon_s.max(self.horizon_s),
            _ => self.horizon_s,
        }
    }
}

/// `run.until`: how precise the run's steady-state answer must be before it stops.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UntilConfig {
    /// The steady-state statistic whose 95 % interval decides: `latency_ms.p99` (default),
    /// `latency_ms.p50` or `latency_ms.mean` (of `summary.json`'s `steady` block).
    #[serde(default = "default_until_metric")]
    pub(crate) metric: String,
    /// Stop when the interval's half-width is at most this fraction of the value (default
    /// 0.05).
    #[serde(default = "default_relative_half_width")]
    pub(crate) relative_half_width: f64,
    /// Never run past this virtual time (seconds): the run then says the precision was not
    /// reached.
    pub(crate) max_horizon_s: f64,
    /// Also stop as soon as the whole interval lies above or below this value (the metric's
    /// unit): the question "is it within this limit?" is then answered, however wide the
    /// interval. A search sets it to its limit (default: none).
    #[serde(default)]
    pub(crate) decide_at: Option<f64>,
}

/// The metrics `run.until` may name: the `steady` block's latencies with intervals.
pub(crate) const UNTIL_METRICS: [&str; 3] = ["latency_ms.p99", "latency_ms.p50", "latency_ms.mean"];

fn default_until_metric() -> String {
    UNTIL_METRICS[0].to_string()
}

fn default_relative_half_width() -> f64 {
    0.05
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DeliveryMode {
    #[default]
    Folded,
    PerEvent,
}
