//! `model.costs` and `model.scheduling`: the CPU time of each operation (distributions of
//! durations), when fan-out send costs are drawn, and how nodes share their schedulers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// CPU time of the operations the model knows about.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Costs {
    /// Time a sender is occupied by one send to a process on its own node.
    pub(crate) send_local: DistConfig,
    /// Time a sender is occupied by one send to a process on another node.
    pub(crate) send_remote: DistConfig,
    /// Time a session is occupied by handling one delivered event (default 0: never busy).
    #[serde(default = "DistConfig::zero")]
    pub(crate) session_receive: DistConfig,
    /// A session's time per byte to serialise an event for its client (ETF or JSON), in
    /// nanoseconds (default 0; measured on the BEAM testbed, docs/sources.md TB-S).
    #[serde(default)]
    pub(crate) serialise_ns_per_byte: f64,
    /// A session's time per byte (before compression) to compress what it sends to its
    /// client (zlib-stream), in nanoseconds (default 0; TB-S).
    #[serde(default)]
    pub(crate) compress_ns_per_byte: f64,
    /// Bytes before compression over bytes sent (default 1: none; TB-S).
    #[serde(default = "default_compression_ratio")]
    pub(crate) compression_ratio: f64,
    /// Time to encode an event for a remote node (Manifold: once per destination node, or
    /// once per publish with `binary`; default 0).
    #[serde(default = "DistConfig::zero")]
    pub(crate) encode: DistConfig,
    /// Time a guild spends handling a member joining or leaving, before the presence
    /// fan-out (default 10 µs).
    #[serde(default = "default_guild_join")]
    pub(crate) guild_join: DistConfig,
    /// Time the process that finds an event's recipients spends per member (walking its
    /// members, computing each one's permissions in the channel, finding its session): the
    /// guild under naive fan-out and Manifold, each relay for its own members under relays
    /// (default 0; models/discord-2017.yaml: 0.25, measured on the BEAM testbed, TB-P).
    #[serde(default)]
    pub(crate) permission_check_us: f64,
    /// When the sends of a fan-out (guild, Manifold sender, partitioner, worker) draw their
    /// cost from `send_local` and `send_remote` (default `per_send`).
    #[serde(default)]
    pub(crate) send_draw: SendDraw,
}

fn default_compression_ratio() -> f64 {
    1.0
}

/// When a fan-out's send costs are drawn. The cost of a send depends on the load of the
/// moment (B17's 30-70 µs include the sender's de-scheduling), so drawing it once for a whole
/// fan-out, or once per interval on each node, lets fan-outs differ as they did (V1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[allow(clippy::enum_variant_names)] // `per_send`, `per_fanout`, `per_interval`: when a cost is drawn
pub(crate) enum SendDraw {
    /// Every send draws its own cost.
    #[default]
    PerSend,
    /// A process draws one local and one remote cost when it starts handling a message, and
    /// every send of that message takes them.
    PerFanout,
    /// Each node draws one local and one remote cost per interval of this many milliseconds;
    /// a slice of sends takes those of the interval it starts in.
    PerIntervalMs(f64),
}

fn default_guild_join() -> DistConfig {
    DistConfig::Constant { us: 10.0 }
}

/// How nodes share their schedulers among runnable processes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scheduling {
    /// A process holding a scheduler gives it back after about this long (it finishes the
    /// send in progress), and goes to the back of the run queue if others wait. Default 1000.
    #[serde(default = "default_time_slice_us")]
    pub(crate) time_slice_us: f64,
}

fn default_time_slice_us() -> f64 {
    1000.0
}

impl Default for Scheduling {
    fn default() -> Self {
        Self {
            time_slice_us: default_time_slice_us(),
        }
    }
}

/// A distribution of durations.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum DistConfig {
    Constant { us: f64 },
    Uniform { min_us: f64, max_us: f64 },
    Exponential { mean_us: f64 },
    Lognormal { median_us: f64, sigma: f64 },
}

impl DistConfig {
    pub(crate) fn zero() -> Self {
        DistConfig::Constant { us: 0.0 }
    }
}
