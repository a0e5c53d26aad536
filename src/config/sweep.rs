//! The YAML `sweep:` section of an experiment: which fields vary (a grid of parameters, some
//! zipped to vary together), how many replications each point gets, and which plots to draw
//! from the results. These are boundary types only: `super::validate::sweep` checks them,
//! expands the grid and locates every error at the sweep entry that caused it;
//! `super::validate::figures` checks the plots and timelines.
//!
//! ```yaml
//! sweep:
//!   replications: 10
//!   grid:
//!     - {field: model.fanout.strategy, values: [naive]}
//!     - {field: workload.guilds.sizes.fixed.members, log: {from: 100, to: 100000, steps: 7}}
//!     - zip:
//!         - {field: workload.publishes.rate.per_guild_per_s, values: [2, 1]}
//!         - {field: run.horizon_s, values: [50, 100]}
//!   plots:
//!     - {file: latency_p99, metric: latency_ms.p99, x: workload.guilds.sizes.fixed.members,
//!        lines: model.fanout.strategy, log_x: true, log_y: true}
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yaml_serde::{Mapping, Number, Value};

/// A sweep over an experiment: every combination of the grid's axes, each replicated.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// Runs per point, with seeds derived from the master seed and the replication index
    /// (the same at every point: common random numbers). Default 1.
    #[serde(default = "one")]
    pub replications: u32,
    /// The axes of the grid, outermost (slowest varying) first.
    pub(crate) grid: Vec<GridEntry>,
    /// Charts drawn from the aggregated results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) plots: Vec<SweepPlot>,
    /// Time series of the points' first replications, compared on one shared time axis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) timelines: Vec<SweepTimeline>,
    /// Metrics of the answer table (one row per point, printed at the end of the sweep and at
    /// the top of its `report.html`): dotted fields of `summary.json`, like a plot's `metric`
    /// (default: the metrics of the plots and of `expect:`, or `latency_ms.p99`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) summary: Vec<String>,
}

/// Panels of time series (`timeseries.csv` metrics), one line per value of a swept field,
/// from the first replication of each point: for example sessions online, registry queue
/// depth and node memory during a storm, with and without a Semaphore.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepTimeline {
    /// File name without extension: the chart is written to `<file>.svg`.
    pub(crate) file: String,
    /// The swept field that makes the lines (every other swept field must have one value).
    pub(crate) lines: String,
    /// One panel per metric of `timeseries.csv`; a per-node metric shows the largest value
    /// over the nodes.
    pub(crate) panels: Vec<String>,
    /// Chart title (default: the experiment's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    /// Legend text per value of `lines`, as for a plot's `labels`.
    #[serde(default, skip_serializing_if = "Mapping::is_empty")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub(crate) labels: Mapping,
}

fn one() -> u32 {
    1
}

/// One axis of the grid: either one parameter (`field` with exactly one of `values`, `linear`,
/// `log`) or a `zip` of parameters with equally many values that vary together.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GridEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub(crate) values: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) linear: Option<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) log: Option<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) zip: Option<Vec<GridEntry>>,
}

/// `steps` values from `from` to `to`, both included: evenly spaced (`linear`) or evenly spaced
/// in logarithm (`log`). When `from` and `to` are both written as integers the values are
/// rounded to integers.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Range {
    #[schemars(with = "f64")]
    pub(crate) from: Number,
    #[schemars(with = "f64")]
    pub(crate) to: Number,
    pub(crate) steps: u32,
}

/// A chart of one metric against one swept parameter.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepPlot {
    /// File name without extension: the chart is written to `<file>.svg`.
    pub(crate) file: String,
    /// A numeric field of `summary.json`, dotted: `latency_ms.p99`, `deliveries_total`, ...
    pub(crate) metric: String,
    /// The swept field on the x axis: numbers, or other values (a design's label, a strategy)
    /// for a categorical axis listing them in the sweep's order, a point with its interval
    /// per value.
    pub(crate) x: String,
    /// A swept field: one line per value (optional: one line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lines: Option<String>,
    /// Values of the other swept fields, to pick one slice of a larger grid.
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub(crate) where_: BTreeMap<String, Value>,
    /// Logarithmic axes (default linear).
    #[serde(default)]
    pub(crate) log_x: bool,
    #[serde(default)]
    pub(crate) log_y: bool,
    /// Draw the 95 % confidence band of the mean over replications (default true).
    #[serde(default = "yes")]
    pub(crate) band: bool,
    /// Chart title (default: the metric and the experiment's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    /// x axis label (default: the swept field in words, with its unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) x_label: Option<String>,
    /// y axis label (default: the metric in words, with its unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) y_label: Option<String>,
    /// Start the (linear) y axis at zero (default false: the data's range).
    #[serde(default)]
    pub(crate) y_from_zero: bool,
    /// Legend text per value of `lines` (or tick text per value of a categorical `x`):
    /// `{null: no Semaphore, 100: Semaphore 100}` (default: the field and the value in words,
    /// `Semaphore: none`).
    #[serde(default, skip_serializing_if = "Mapping::is_empty")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub(crate) labels: Mapping,
}

fn yes() -> bool {
    true
}
