//! `model.monitors`: how guilds learn that sessions are gone with their node (plain monitors
//! or ZenMonitor).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Guilds monitor their members' sessions across nodes. When a session node goes down, plain
/// monitors put one `:DOWN` (a leave) per monitor into the guilds' mailboxes at once;
/// ZenMonitor (ZM) delivers them from a queue on each guild node at a bounded rate.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MonitorsConfig {
    /// `plain` (default) or `zen_monitor`.
    #[serde(default)]
    pub(crate) kind: MonitorKind,
    /// ZenMonitor: `:DOWN` notifications a guild node delivers per sweep (default 1000, ZM).
    #[serde(default = "default_zen_batch")]
    pub(crate) zen_batch: u32,
    /// ZenMonitor: time between sweeps (default 100 ms, ZM).
    #[serde(default = "default_zen_interval_ms")]
    pub(crate) zen_interval_ms: f64,
}

fn default_zen_batch() -> u32 {
    1000
}

fn default_zen_interval_ms() -> f64 {
    100.0
}

impl Default for MonitorsConfig {
    fn default() -> Self {
        Self {
            kind: MonitorKind::Plain,
            zen_batch: default_zen_batch(),
            zen_interval_ms: default_zen_interval_ms(),
        }
    }
}

/// How a node going down reaches the guilds that monitor its sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MonitorKind {
    /// Every `:DOWN` at once, after the network latency.
    #[default]
    Plain,
    /// `zen_batch` per guild node every `zen_interval_ms`.
    ZenMonitor,
}
