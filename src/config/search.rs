//! The YAML `search:` section of an experiment: find the largest (or smallest) value of one
//! field for which a metric stays within a limit, by bisection over replicated runs, to a
//! stated precision; with a `sweep:` grid, one search per point. These are boundary types
//! only: `super::validate::search` checks them and locates every error.
//!
//! ```yaml
//! search:
//!   field: workload.guilds.sizes.fixed.members
//!   metric: latency_ms.p99
//!   max: 100                  # the metric's mean over the replications must stay <= 100
//!   find: largest
//!   from: 100                 # the bracket: both ends are run first
//!   to: 1000000
//!   scale: log                # bisect at the geometric mean
//!   precision: 0.05           # stop when to/from of the bracket is within 5 %
//!   replications: 3
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use yaml_serde::Number;

/// A capacity search over one field of the experiment.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// The field searched, as for `--set`: `workload.guilds.sizes.fixed.members`. Its values
    /// must be numbers; not a swept field.
    pub field: String,
    /// The metric that must stay within the limit: a numeric field of `summary.json`, dotted
    /// (`latency_ms.p99`, `guild_sojourn_ms.mean`, `windows.<name>.latency_ms.p99`).
    pub(crate) metric: String,
    /// Upper limit: a value is within when the metric's mean over the replications is at most
    /// this. Exactly one of `max` and `min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<f64>,
    /// Lower limit: a value is within when the metric's mean is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<f64>,
    /// `largest` (default): the largest value within, values below it assumed within too;
    /// `smallest`: the smallest value within, values above it assumed within.
    #[serde(default)]
    pub(crate) find: Find,
    /// One end of the bracket (the smaller value). When `from` and `to` are both written as
    /// integers, every value tried is an integer.
    #[schemars(with = "f64")]
    pub(crate) from: Number,
    /// The other end of the bracket (the larger value).
    #[schemars(with = "f64")]
    pub(crate) to: Number,
    /// `log` (default): bisect at the geometric mean, precision relative; `linear`: at the
    /// arithmetic mean, precision absolute.
    #[serde(default)]
    pub(crate) scale: SearchScale,
    /// When to stop: `log`, the bracket's upper end is at most (1 + precision) times its lower
    /// end; `linear`, the bracket is at most this wide.
    pub(crate) precision: f64,
    /// Runs per value tried, with the seeds of a sweep's replications (common random numbers:
    /// the same at every value). Default 3.
    #[serde(default = "three")]
    pub replications: u32,
    /// Bisection steps after the two ends, at most (default 30): the search stops there and
    /// reports its bracket.
    #[serde(default = "thirty")]
    pub(crate) max_steps: u32,
    /// A chart of the answer against a numeric swept field, one line per value of another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) plot: Option<SearchPlot>,
}

/// Which end of the values within the limit the search finds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Find {
    #[default]
    Largest,
    Smallest,
}

/// How the bracket is halved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SearchScale {
    #[default]
    Log,
    Linear,
}

/// The answer drawn against a swept field (`search.svg`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchPlot {
    /// The swept field on the x axis (numeric values).
    pub(crate) x: String,
    /// A swept field: one line per value (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lines: Option<String>,
    /// Logarithmic axes (default false).
    #[serde(default)]
    pub(crate) log_x: bool,
    #[serde(default)]
    pub(crate) log_y: bool,
    /// Chart title (default: the experiment's name and what was searched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
}

fn three() -> u32 {
    3
}

fn thirty() -> u32 {
    30
}
