//! How a session comes online and what its guilds do about it: the consistent-hash ring and
//! its lookup (`model.ring`), the guild registries with their timeouts, backoff and Semaphore
//! (`model.registry`), and presence updates (`model.presence`).

use super::DistConfig;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The consistent-hash ring (discord/ex_hash_ring) and its lookup.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RingConfig {
    /// Virtual replicas (points) per guild node (default 512).
    #[serde(default = "default_replicas")]
    pub(crate) replicas: u32,
    /// Where a session looks the ring up (default `fastglobal`).
    #[serde(default)]
    pub(crate) lookup: LookupMode,
    /// Cost of one lookup (default: the published cost of the mode: process 12 µs, ets 7 µs,
    /// fastglobal 0.3 µs).
    #[serde(default)]
    pub(crate) lookup_cost: Option<DistConfig>,
}

fn default_replicas() -> u32 {
    512
}

impl Default for RingConfig {
    fn default() -> Self {
        Self {
            replicas: default_replicas(),
            lookup: LookupMode::default(),
            lookup_cost: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LookupMode {
    /// A call to one ring process per session node: serialised.
    Process,
    /// A read of an ETS table, in the caller.
    Ets,
    /// A read of a compiled constant pool (discord/fastglobal), in the caller.
    #[default]
    Fastglobal,
}

impl LookupMode {
    /// The published cost of one lookup, in µs (docs/sources.md).
    pub(crate) fn published_cost_us(self) -> f64 {
        match self {
            LookupMode::Process => 12.0,
            LookupMode::Ets => 7.0,
            LookupMode::Fastglobal => 0.3,
        }
    }
}

/// Guild registries: one serialised process per guild node.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistryConfig {
    /// Registry time per call (default 20 µs).
    #[serde(default = "default_registry_cost")]
    pub(crate) call_cost: DistConfig,
    /// A caller gives up waiting after this long; the request stays queued and is still
    /// served (default 5000 ms).
    #[serde(default = "default_timeout_ms")]
    pub(crate) timeout_ms: f64,
    /// Backoff before a retry (after a timeout or a Semaphore refusal).
    #[serde(default)]
    pub(crate) backoff: Backoff,
    /// At most this many registry calls in flight per session node; a caller over the limit
    /// fails at once and backs off (default: no Semaphore).
    #[serde(default)]
    pub(crate) semaphore: Option<u32>,
}

fn default_registry_cost() -> DistConfig {
    DistConfig::Constant { us: 20.0 }
}

fn default_timeout_ms() -> f64 {
    5000.0
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            call_cost: default_registry_cost(),
            timeout_ms: default_timeout_ms(),
            backoff: Backoff::default(),
            semaphore: None,
        }
    }
}

/// Exponential backoff with jitter: attempt k waits min(max, initial * multiplier^k) times a
/// uniform factor in [1 - jitter, 1].
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Backoff {
    #[serde(default = "default_backoff_initial_ms")]
    pub(crate) initial_ms: f64,
    #[serde(default = "default_backoff_max_ms")]
    pub(crate) max_ms: f64,
    #[serde(default = "default_backoff_multiplier")]
    pub(crate) multiplier: f64,
    /// 0 (none) to 1 (full jitter); default 0.5.
    #[serde(default = "default_backoff_jitter")]
    pub(crate) jitter: f64,
}

fn default_backoff_initial_ms() -> f64 {
    100.0
}

fn default_backoff_max_ms() -> f64 {
    10_000.0
}

fn default_backoff_multiplier() -> f64 {
    2.0
}

fn default_backoff_jitter() -> f64 {
    0.5
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial_ms: default_backoff_initial_ms(),
            max_ms: default_backoff_max_ms(),
            multiplier: default_backoff_multiplier(),
            jitter: default_backoff_jitter(),
        }
    }
}

/// Presence: a member coming online (or going offline) is published to every other online
/// member of each of its guilds.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PresenceConfig {
    /// Publish a presence update when a member joins (default true).
    #[serde(default = "yes")]
    pub(crate) on_join: bool,
    /// Publish a presence update when a member leaves (default true).
    #[serde(default = "yes")]
    pub(crate) on_leave: bool,
    /// Guilds with more online members than this publish no presence updates: their clients
    /// fetch the member list lazily instead (R19; default: no limit).
    #[serde(default)]
    pub(crate) max_online_members: Option<u32>,
}

fn yes() -> bool {
    true
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            on_join: true,
            on_leave: true,
            max_online_members: None,
        }
    }
}
