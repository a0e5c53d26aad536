//! `model.everyone`: what an `@everyone` announcement costs (a burst with `everyone: true`),
//! and whether worker processes take it off the guild.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An `@everyone` announcement: besides finding each recipient, the process that walks the
/// members marks the mention for each one; with `workers`, a worker process on the guild's
/// node does that walk and the fan-out, reading the member data from shared memory (ETS in
/// the original, MJ), while the guild only hands the event over.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EveryoneConfig {
    /// Time per recipient to mark the mention (default 1 µs, assumption).
    #[serde(default = "default_mention_us")]
    pub(crate) mention_us: f64,
    /// A worker process does the walk and the fan-out of an `@everyone` (default false).
    /// Under Manifold the worker is the node's sender process (the one `offload` uses); with
    /// naive fan-out or relays the guild (or the relays) still do it.
    #[serde(default)]
    pub(crate) workers: bool,
    /// A worker's extra time per member to read it from the shared table instead of the
    /// guild's heap (default 0.5 µs, assumption).
    #[serde(default = "default_ets_read_us")]
    pub(crate) ets_read_us: f64,
}

fn default_mention_us() -> f64 {
    1.0
}

fn default_ets_read_us() -> f64 {
    0.5
}

impl Default for EveryoneConfig {
    fn default() -> Self {
        Self {
            mention_us: default_mention_us(),
            workers: false,
            ets_read_us: default_ets_read_us(),
        }
    }
}
