//! `model.fanout`: how a guild sends one event to its members, and the parameters of each
//! strategy (naive, Manifold, relays).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a guild sends one event to its members.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fanout {
    pub(crate) strategy: FanoutStrategy,
    /// Settings of the `manifold` strategy (defaults when absent).
    #[serde(default)]
    pub(crate) manifold: ManifoldConfig,
    /// Settings of the `relays` strategy (defaults when absent).
    #[serde(default)]
    pub(crate) relays: RelaysConfig,
}

/// Relays (MJ, secondary): processes between a guild and its sessions, each serving at most
/// `max_sessions` of the guild's members on its own node, checking each recipient's
/// permissions (`costs.permission_check_us`) and making the sends.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RelaysConfig {
    /// Members one relay serves at most (default 15,000, MJ). A guild has, on each session
    /// node holding its members, as many relays as that takes, sharing them evenly.
    #[serde(default = "default_relay_sessions")]
    pub(crate) max_sessions: u32,
    /// Memory of one relay process (default 100,000, assumption) and per member it serves
    /// (default 100, assumption), on its node.
    #[serde(default = "default_relay_bytes")]
    pub(crate) relay_bytes: u64,
    #[serde(default = "default_relay_member_bytes")]
    pub(crate) member_bytes: u64,
    /// What each relay holds (default `own_members`, MJ's 2023 change): `own_members`, the
    /// members it serves; `whole_list`, the guild's whole member list, as relays first did:
    /// memory per member of the guild, and every join or leave updates every relay.
    #[serde(default)]
    pub(crate) holds: RelayHolds,
    /// A relay's time to apply one join or leave to what it holds (default 2 µs, assumption).
    /// The guild sends the update (one send per relay it goes to).
    #[serde(default = "default_relay_upkeep_us")]
    pub(crate) upkeep_us: f64,
    /// The guild's time per member to answer a relay that restarted with its node and asks
    /// for what it holds (default 1 µs, assumption); the relay then applies each member
    /// (`upkeep_us` each).
    #[serde(default = "default_relay_resync_us")]
    pub(crate) resync_us: f64,
}

fn default_relay_resync_us() -> f64 {
    1.0
}

/// What each relay holds of its guild's member list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RelayHolds {
    /// The members it serves (2023).
    #[default]
    OwnMembers,
    /// The guild's whole member list.
    WholeList,
}

fn default_relay_upkeep_us() -> f64 {
    2.0
}

fn default_relay_sessions() -> u32 {
    15_000
}

fn default_relay_bytes() -> u64 {
    100_000
}

fn default_relay_member_bytes() -> u64 {
    100
}

impl Default for RelaysConfig {
    fn default() -> Self {
        Self {
            max_sessions: default_relay_sessions(),
            relay_bytes: default_relay_bytes(),
            member_bytes: default_relay_member_bytes(),
            holds: RelayHolds::default(),
            upkeep_us: default_relay_upkeep_us(),
            resync_us: default_relay_resync_us(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FanoutStrategy {
    /// One send per connected member, in member order, inside the guild process (2017).
    Naive,
    /// One send per destination node to a partitioner there, whose workers send locally.
    Manifold,
    /// One send per relay of the guild; each relay checks and sends to its members (2023).
    Relays,
}

/// discord/manifold: partitioners and workers on every node.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifoldConfig {
    /// Partitioner processes per node, 1 to 32 (default 1). A sender always uses the same one.
    #[serde(default = "one_u32")]
    pub(crate) partitioners: u32,
    /// Worker processes per node (default: one per scheduler of the node). A recipient always
    /// goes to the same one.
    #[serde(default)]
    pub(crate) workers_per_node: Option<u32>,
    /// Guild (or sender) time per recipient to group recipients by node (default 0.05 µs).
    #[serde(default = "default_per_recipient_us")]
    pub(crate) group_cost_per_recipient_us: f64,
    /// Partitioner time per recipient to hash it onto a worker (default 0.05 µs).
    #[serde(default = "default_per_recipient_us")]
    pub(crate) partition_cost_per_recipient_us: f64,
    /// A local sender process does the grouping and remote sends; the guild makes one local send.
    #[serde(default)]
    pub(crate) offload: bool,
    /// Encode the event once per publish instead of once per destination node.
    #[serde(default)]
    pub(crate) binary: bool,
}

fn one_u32() -> u32 {
    1
}

fn default_per_recipient_us() -> f64 {
    0.05
}

impl Default for ManifoldConfig {
    fn default() -> Self {
        Self {
            partitioners: 1,
            workers_per_node: None,
            group_cost_per_recipient_us: default_per_recipient_us(),
            partition_cost_per_recipient_us: default_per_recipient_us(),
            offload: false,
            binary: false,
        }
    }
}
