//! The `expect:` section: bounds on metrics, judged after a run or at every sweep point.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bounds on one metric. For a sweep, `over` says what must lie within them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expectation {
    /// The smallest value allowed (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<f64>,
    /// The largest value allowed (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<f64>,
    /// For a sweep, at each point: the mean over replications (`mean`, default), the whole
    /// 95 % confidence interval of the mean (`ci`: at least 2 replications), or every
    /// replication (`every`). A single run is judged on its value.
    #[serde(default)]
    pub(crate) over: Over,
}

/// What of a sweep point's replications an expectation judges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Over {
    /// The mean over the point's replications.
    #[default]
    Mean,
    /// The whole 95 % confidence interval of the mean (Student's t).
    Ci,
    /// Every replication's value.
    Every,
}
