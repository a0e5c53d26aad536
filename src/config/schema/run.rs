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
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DeliveryMode {
    #[default]
    Folded,
    PerEvent,
}
