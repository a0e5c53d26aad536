//! The model: a cluster and its costs (`ModelConfig`, the `model:` section or a
//! `models/*.yaml` file), its node groups, message sizes and memory accounting. The parts with
//! a file of their own: [`super::network`], [`super::costs`], [`super::fanout`],
//! [`super::presence`], [`super::member_list`], [`super::monitors`], [`super::passive`],
//! [`super::gc`].

use super::{
    Costs, EveryoneConfig, Fanout, GcConfig, MemberListConfig, MonitorsConfig, Network,
    PassiveConfig, PresenceConfig, RegistryConfig, RingConfig, Scheduling,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A cluster and its costs.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelConfig {
    /// A name for the design this model describes, for reports and sweep legends (default
    /// empty; it changes nothing in a run).
    #[serde(default)]
    pub(crate) design: String,
    /// Groups of identical nodes (Erlang VMs on their own machines).
    pub(crate) nodes: Vec<NodeGroup>,
    pub(crate) network: Network,
    pub(crate) costs: Costs,
    #[serde(default)]
    pub(crate) scheduling: Scheduling,
    pub(crate) fanout: Fanout,
    /// Sizes of messages, for distribution buffers and memory accounting.
    #[serde(default)]
    pub(crate) messages: Messages,
    /// The consistent-hash ring that places guilds on guild nodes, and how sessions look it up.
    #[serde(default)]
    pub(crate) ring: RingConfig,
    /// The guild registry processes (one per guild node) and the Semaphore in front of them.
    #[serde(default)]
    pub(crate) registry: RegistryConfig,
    /// What a guild does when a member comes online or goes offline.
    #[serde(default)]
    pub(crate) presence: PresenceConfig,
    /// Memory accounting per node, and what happens past the limit.
    #[serde(default)]
    pub(crate) memory: MemoryConfig,
    /// The member list each guild keeps, and what its clients subscribe to (R19; default:
    /// none, presence goes to every online member).
    #[serde(default)]
    pub(crate) member_list: MemberListConfig,
    /// How guilds learn that a member's session is gone when its node goes down (ZM; default:
    /// plain Erlang monitors).
    #[serde(default)]
    pub(crate) monitors: MonitorsConfig,
    /// Passive sessions in large guilds (MJ, secondary; default: none).
    #[serde(default)]
    pub(crate) passive: PassiveConfig,
    /// Guild processes' memory and garbage collection (OTP; default: absent, no collection is
    /// modelled). `gc: {}` turns it on with every default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gc: Option<GcConfig>,
    /// What an `@everyone` announcement costs and whether workers take it off the guild
    /// (default: absent, its defaults: 1 µs a mention, no workers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) everyone: Option<EveryoneConfig>,
}

/// `count` nodes with the same role and size.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeGroup {
    /// Name of the group; node `i` of group `guild` is called `guild-i` in reports.
    pub(crate) name: String,
    pub(crate) count: u32,
    /// What the nodes host: `guilds`, `sessions`, or both.
    pub(crate) hosts: Vec<Role>,
    /// Schedulers (cores): how many processes of the node run at once.
    pub(crate) schedulers: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    Guilds,
    Sessions,
}

/// Message sizes in bytes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Messages {
    /// A published chat event (default 1000).
    #[serde(default = "default_event_bytes")]
    pub(crate) event_bytes: u64,
    /// A presence update (default 200).
    #[serde(default = "default_presence_bytes")]
    pub(crate) presence_bytes: u64,
    /// A call or reply: ring lookup, registry call, join (default 100).
    #[serde(default = "default_call_bytes")]
    pub(crate) call_bytes: u64,
    /// Per recipient listed in a Manifold batch (default 8).
    #[serde(default = "default_recipient_bytes")]
    pub(crate) recipient_bytes: u64,
}

fn default_event_bytes() -> u64 {
    1000
}

fn default_presence_bytes() -> u64 {
    200
}

fn default_call_bytes() -> u64 {
    100
}

fn default_recipient_bytes() -> u64 {
    8
}

impl Default for Messages {
    fn default() -> Self {
        Self {
            event_bytes: default_event_bytes(),
            presence_bytes: default_presence_bytes(),
            call_bytes: default_call_bytes(),
            recipient_bytes: default_recipient_bytes(),
        }
    }
}

/// Memory per node: fixed costs per entity plus every queued message.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemoryConfig {
    /// Per connected session process (default 50,000: an Elixir session with its state).
    #[serde(default = "default_session_bytes")]
    pub(crate) session_bytes: u64,
    /// Per guild process (default 100,000).
    #[serde(default = "default_guild_bytes")]
    pub(crate) guild_bytes: u64,
    /// Per member a guild tracks (default 200).
    #[serde(default = "default_member_bytes")]
    pub(crate) member_bytes: u64,
    /// A node whose memory passes this crashes (default: no limit).
    #[serde(default)]
    pub(crate) limit_bytes: Option<u64>,
    /// A crashed node comes back after this long (default 30 s).
    #[serde(default = "default_restart_s")]
    pub(crate) restart_s: f64,
    /// After the restart, each of its sessions reconnects after a uniform delay in [0, this] (default 10 s).
    #[serde(default = "default_reconnect_jitter_s")]
    pub(crate) reconnect_jitter_s: f64,
}

fn default_session_bytes() -> u64 {
    50_000
}

fn default_guild_bytes() -> u64 {
    100_000
}

fn default_member_bytes() -> u64 {
    200
}

fn default_restart_s() -> f64 {
    30.0
}

fn default_reconnect_jitter_s() -> f64 {
    10.0
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self {
            session_bytes: default_session_bytes(),
            guild_bytes: default_guild_bytes(),
            member_bytes: default_member_bytes(),
            limit_bytes: None,
            restart_s: default_restart_s(),
            reconnect_jitter_s: default_reconnect_jitter_s(),
        }
    }
}
