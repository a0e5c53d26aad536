//! `model.passive`: passive sessions in large guilds (MJ, secondary), and the event kinds a
//! guild fans out.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Passive sessions (MJ, secondary): in a guild of at least `min_members` members, only a
/// fraction of the sessions are active (their users are looking at the guild); the others
/// get a reduced stream: the event kinds in `receives`, and, with `digest_interval_ms`, a
/// periodic digest of the chat they missed.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PassiveConfig {
    /// Guilds with at least this many members have passive sessions (default: none, no
    /// passive sessions).
    #[serde(default)]
    pub(crate) min_members: Option<u32>,
    /// Share of a large guild's sessions that are active (default 0.1, assumption: V11's
    /// 90 % less fan-out work).
    #[serde(default = "default_active_fraction")]
    pub(crate) active_fraction: f64,
    /// Event kinds passive sessions still receive as they happen: any of `chat`, `presence`
    /// (default none).
    #[serde(default)]
    pub(crate) receives: Vec<EventKind>,
    /// Passive sessions receive a digest of the guild's chat this often, when there was any
    /// (default: no digests).
    #[serde(default)]
    pub(crate) digest_interval_ms: Option<f64>,
}

fn default_active_fraction() -> f64 {
    0.1
}

impl Default for PassiveConfig {
    fn default() -> Self {
        Self {
            min_members: None,
            active_fraction: default_active_fraction(),
            receives: Vec::new(),
            digest_interval_ms: None,
        }
    }
}

/// A kind of event a guild fans out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventKind {
    Chat,
    Presence,
}
