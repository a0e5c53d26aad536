//! The YAML schema: serde types for models (`models/*.yaml`) and experiments
//! (`experiments/*.yaml`). These are boundary types only; `crate::config::validate` checks them
//! and `crate::world` builds its own compact structures from them.
//!
//! Every struct denies unknown fields. Field names end with their unit (`_us`, `_ms`, `_s`).
//! Optional fields have documented defaults that are written out in `resolved.yaml`, so a run
//! can be repeated from that file alone.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A cluster and its costs.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Groups of identical nodes (Erlang VMs on their own machines).
    pub nodes: Vec<NodeGroup>,
    pub network: Network,
    pub costs: Costs,
    #[serde(default)]
    pub scheduling: Scheduling,
    pub fanout: Fanout,
}

/// `count` nodes with the same role and size.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// Name of the group; node `i` of group `guild` is called `guild-i` in reports.
    pub name: String,
    pub count: u32,
    /// What the nodes host: `guilds`, `sessions`, or both.
    pub hosts: Vec<Role>,
    /// Schedulers (cores): how many processes of the node run at once.
    pub schedulers: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Guilds,
    Sessions,
}

/// Latency between nodes: a full mesh with one latency.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way latency of a message between two different nodes, after the send completes.
    pub latency_us: f64,
    /// Latency of a message between two processes of the same node (default 0).
    #[serde(default)]
    pub local_latency_us: f64,
}

/// CPU time of the operations the model knows about.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Time a sender is occupied by one send to a process on its own node.
    pub send_local: DistConfig,
    /// Time a sender is occupied by one send to a process on another node.
    pub send_remote: DistConfig,
    /// Time a session is occupied by handling one delivered event (default 0: never busy).
    #[serde(default = "DistConfig::zero")]
    pub session_receive: DistConfig,
}

/// How nodes share their schedulers among runnable processes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduling {
    /// A process holding a scheduler gives it back after about this long (it finishes the
    /// send in progress), and goes to the back of the run queue if others wait. Default 1000.
    #[serde(default = "default_time_slice_us")]
    pub time_slice_us: f64,
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

/// How a guild sends one event to its members.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fanout {
    pub strategy: FanoutStrategy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FanoutStrategy {
    /// One send per connected member, in member order, inside the guild process (2017).
    Naive,
}

/// A distribution of durations.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum DistConfig {
    Constant { us: f64 },
    Uniform { min_us: f64, max_us: f64 },
    Exponential { mean_us: f64 },
    Lognormal { median_us: f64, sigma: f64 },
}

impl DistConfig {
    pub fn zero() -> Self {
        DistConfig::Constant { us: 0.0 }
    }
}

/// An experiment after assembly: the model inlined, overrides applied.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// One or two sentences: what this experiment shows.
    #[serde(default)]
    pub description: String,
    /// The model. In an experiment file this is a path to a model file (relative to the
    /// experiment file) or an inline mapping; after assembly it is always the mapping.
    pub model: ModelConfig,
    /// Master seed: every random stream is derived from it.
    pub seed: u64,
    pub run: RunConfig,
    pub workload: Workload,
    #[serde(default)]
    pub output: Output,
    /// Vary fields over a grid with replications (`crate::config::sweep`); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<super::sweep::Sweep>,
    /// Overrides (`field.path: value`) that shrink the experiment for the snapshot tests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub test_overrides: BTreeMap<String, serde_yaml::Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Virtual time at which the run stops (events after it are not handled).
    pub horizon_s: f64,
    /// Stop after this many events even before the horizon (default: no limit).
    #[serde(default)]
    pub event_budget: Option<u64>,
    /// `folded` (default) computes deliveries to idle sessions in closed form;
    /// `per_event` puts every delivery through the event queue. Results are identical.
    #[serde(default)]
    pub deliveries: DeliveryMode,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    #[default]
    Folded,
    PerEvent,
}

/// Who is in which guild, and what they publish.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub guilds: Guilds,
    pub users: Users,
    pub publishes: Publishes,
    /// Extra publishes to one guild at one time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<Burst>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Guilds {
    /// Members per guild.
    pub sizes: GuildSizes,
    /// Fraction of each guild's members that are online (have a session) (default 1).
    #[serde(default = "one")]
    pub online_fraction: f64,
}

fn one() -> f64 {
    1.0
}

/// Guild sizes (members): an explicit list, `count` guilds of one size, or a power law.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum GuildSizes {
    List(Vec<u32>),
    Fixed {
        count: u32,
        members: u32,
    },
    /// P(size = k) proportional to k^-exponent for min <= k <= max.
    Zipf {
        count: u32,
        min: u32,
        max: u32,
        exponent: f64,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// Mean number of guilds a user is in: users = ceil(online memberships / this).
    pub guilds_per_user_mean: f64,
    /// How users' sessions are spread over the session nodes.
    #[serde(default)]
    pub placement: SessionPlacement,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPlacement {
    /// Each session on a session node drawn uniformly at random.
    #[default]
    Uniform,
    /// Session i on session node i mod n.
    RoundRobin,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Publishes {
    /// Poisson publish rate.
    pub rate: Rate,
    /// Publishing starts at this time (default 0).
    #[serde(default)]
    pub start_s: f64,
    /// Publishing stops at this time (default: the horizon).
    #[serde(default)]
    pub end_s: Option<f64>,
}

/// A Poisson rate per guild, or per online member (so big guilds publish more).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rate {
    PerGuildPerS(f64),
    PerMemberPerS(f64),
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    /// Guild index (0-based, in the order of `sizes`).
    pub guild: u32,
    pub at_s: f64,
    pub count: u32,
}

/// What a run writes besides the summary.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Width of the time-series bins (default 100).
    #[serde(default = "default_sample_interval_ms")]
    pub sample_interval_ms: f64,
    /// Plots to draw (default: all of the kinds).
    #[serde(default = "PlotKind::all")]
    pub plots: Vec<PlotKind>,
}

fn default_sample_interval_ms() -> f64 {
    100.0
}

impl Default for Output {
    fn default() -> Self {
        Self {
            sample_interval_ms: default_sample_interval_ms(),
            plots: PlotKind::all(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    /// Cumulative distribution of delivery latency.
    LatencyCdf,
    /// Fan-out duration against the number of recipients.
    FanoutVsSize,
    /// Largest guild mailbox depth per time bin.
    MailboxDepth,
}

impl PlotKind {
    pub fn all() -> Vec<PlotKind> {
        vec![
            PlotKind::LatencyCdf,
            PlotKind::FanoutVsSize,
            PlotKind::MailboxDepth,
        ]
    }
}
