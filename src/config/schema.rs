//! The YAML schema: serde types for models (`models/*.yaml`) and experiments
//! (`experiments/*.yaml`). These are boundary types only; `crate::config::validate` checks them
//! and `crate::world` builds its own compact structures from them.
//!
//! Every struct denies unknown fields. Field names end with their unit (`_us`, `_ms`, `_s`).
//! Optional fields have documented defaults that are written out in `resolved.yaml`, so a run
//! can be repeated from that file alone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A cluster and its costs.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// A name for the design this model describes, for reports and sweep legends (default
    /// empty; it changes nothing in a run).
    #[serde(default)]
    pub design: String,
    /// Groups of identical nodes (Erlang VMs on their own machines).
    pub nodes: Vec<NodeGroup>,
    pub network: Network,
    pub costs: Costs,
    #[serde(default)]
    pub scheduling: Scheduling,
    pub fanout: Fanout,
    /// Sizes of messages, for distribution buffers and memory accounting.
    #[serde(default)]
    pub messages: Messages,
    /// The consistent-hash ring that places guilds on guild nodes, and how sessions look it up.
    #[serde(default)]
    pub ring: RingConfig,
    /// The guild registry processes (one per guild node) and the Semaphore in front of them.
    #[serde(default)]
    pub registry: RegistryConfig,
    /// What a guild does when a member comes online or goes offline.
    #[serde(default)]
    pub presence: PresenceConfig,
    /// Memory accounting per node, and what happens past the limit.
    #[serde(default)]
    pub memory: MemoryConfig,
    /// The member list each guild keeps, and what its clients subscribe to (R19; default:
    /// none, presence goes to every online member).
    #[serde(default)]
    pub member_list: MemberListConfig,
    /// How guilds learn that a member's session is gone when its node goes down (ZM; default:
    /// plain Erlang monitors).
    #[serde(default)]
    pub monitors: MonitorsConfig,
    /// Passive sessions in large guilds (MJ, secondary; default: none).
    #[serde(default)]
    pub passive: PassiveConfig,
}

/// Passive sessions (MJ, secondary): in a guild of at least `min_members` members, only a
/// fraction of the sessions are active (their users are looking at the guild); the others
/// get a reduced stream: the event kinds in `receives`, and, with `digest_interval_ms`, a
/// periodic digest of the chat they missed.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PassiveConfig {
    /// Guilds with at least this many members have passive sessions (default: none, no
    /// passive sessions).
    #[serde(default)]
    pub min_members: Option<u32>,
    /// Share of a large guild's sessions that are active (default 0.1, assumption: V11's
    /// 90 % less fan-out work).
    #[serde(default = "default_active_fraction")]
    pub active_fraction: f64,
    /// Event kinds passive sessions still receive as they happen: any of `chat`, `presence`
    /// (default none).
    #[serde(default)]
    pub receives: Vec<EventKind>,
    /// Passive sessions receive a digest of the guild's chat this often, when there was any
    /// (default: no digests).
    #[serde(default)]
    pub digest_interval_ms: Option<f64>,
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
pub enum EventKind {
    Chat,
    Presence,
}

/// Guilds monitor their members' sessions across nodes. When a session node goes down, plain
/// monitors put one `:DOWN` (a leave) per monitor into the guilds' mailboxes at once;
/// ZenMonitor (ZM) delivers them from a queue on each guild node at a bounded rate.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorsConfig {
    /// `plain` (default) or `zen_monitor`.
    #[serde(default)]
    pub kind: MonitorKind,
    /// ZenMonitor: `:DOWN` notifications a guild node delivers per sweep (default 1000, ZM).
    #[serde(default = "default_zen_batch")]
    pub zen_batch: u32,
    /// ZenMonitor: time between sweeps (default 100 ms, ZM).
    #[serde(default = "default_zen_interval_ms")]
    pub zen_interval_ms: f64,
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
pub enum MonitorKind {
    /// Every `:DOWN` at once, after the network latency.
    #[default]
    Plain,
    /// `zen_batch` per guild node every `zen_interval_ms`.
    ZenMonitor,
}

/// The lazy member list (R19): a guild keeps its members in a sorted structure that every
/// join, leave and presence change updates, and each client subscribes to the range of the
/// list it can see, so a presence update goes to the subscribers of its range only.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberListConfig {
    /// The data structure (default `none`: no member list).
    #[serde(default)]
    pub structure: ListStructure,
    /// The cost of one update of a list of 250,000 members (default: R19's insert cost for
    /// the structure: list 170 ms, ordsets 27 ms, OrderedSet 4-640 µs, SortedSet
    /// 0.61-3.68 µs, uniform within a range).
    #[serde(default)]
    pub update_cost_at_250k: Option<DistConfig>,
    /// How the cost grows with the list's size n (default: `linear` for `list` and `ordsets`,
    /// `log` for `ordered_set` and `sorted_set`; assumption: R19 gives the cost at 250,000
    /// only). The cost at n is the cost at 250,000 times n / 250,000, or log2(n) / log2(250,000).
    #[serde(default)]
    pub scaling: Option<ListScaling>,
    /// Members in the range a client sees and subscribes to (default 100, assumption). The
    /// list is cut into ranges of this many members; each client subscribes to one.
    #[serde(default = "default_range_size")]
    pub range_size: u32,
}

fn default_range_size() -> u32 {
    100
}

impl Default for MemberListConfig {
    fn default() -> Self {
        Self {
            structure: ListStructure::None,
            update_cost_at_250k: None,
            scaling: None,
            range_size: default_range_size(),
        }
    }
}

/// A member list's data structure (R19).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListStructure {
    /// No member list: presence goes to every online member.
    #[default]
    None,
    /// An Erlang list, updated in linear time (170 ms at 250,000).
    List,
    /// Erlang `ordsets` (27 ms at 250,000).
    Ordsets,
    /// Discord's Elixir OrderedSet (4-640 µs at 250,000).
    OrderedSet,
    /// Discord's Rust SortedSet, a NIF (0.61-3.68 µs at 250,000).
    SortedSet,
}

impl ListStructure {
    /// R19's cost of one insert into a list of 250,000 members.
    pub fn published_cost(self) -> Option<DistConfig> {
        let uniform = |min_us, max_us| DistConfig::Uniform { min_us, max_us };
        match self {
            ListStructure::None => None,
            ListStructure::List => Some(DistConfig::Constant { us: 170_000.0 }),
            ListStructure::Ordsets => Some(DistConfig::Constant { us: 27_000.0 }),
            ListStructure::OrderedSet => Some(uniform(4.0, 640.0)),
            ListStructure::SortedSet => Some(uniform(0.61, 3.68)),
        }
    }

    /// How its cost grows with size, by default (assumption).
    pub fn default_scaling(self) -> ListScaling {
        match self {
            ListStructure::None | ListStructure::List | ListStructure::Ordsets => {
                ListScaling::Linear
            }
            ListStructure::OrderedSet | ListStructure::SortedSet => ListScaling::Log,
        }
    }
}

/// How a member list's update cost grows with its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListScaling {
    Linear,
    Log,
}

/// `count` nodes with the same role and size.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Guilds,
    Sessions,
}

/// The cluster network: a graph of nodes and links; the latency between two nodes is the
/// shortest path. By default every pair of nodes is linked directly (a full mesh).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way latency of a link between two nodes of the same datacenter (every pair of
    /// nodes when there are no datacenters), after the send completes.
    pub latency_us: f64,
    /// Latency of a message between two processes of the same node (default 0).
    #[serde(default)]
    pub local_latency_us: f64,
    /// Bandwidth of those links in megabits per second (default: unlimited).
    #[serde(default)]
    pub bandwidth_mbps: Option<f64>,
    /// Send buffer of the distribution channel between two nodes: a process sending on a
    /// channel holding more than this is suspended until it drains (OTP `+zdbbl`, default 1 MiB).
    #[serde(default = "default_send_buffer_bytes")]
    pub send_buffer_bytes: u64,
    /// Datacenters, each a list of node groups. Nodes are fully meshed inside a datacenter;
    /// datacenters are joined only by `links`. Default: none (one full mesh).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datacenters: Vec<Datacenter>,
    /// Extra links, between two datacenters (every node of one to every node of the other)
    /// or two nodes (by name, `group-index`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

fn default_send_buffer_bytes() -> u64 {
    1 << 20
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Datacenter {
    pub name: String,
    /// Names of the node groups in this datacenter.
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// A datacenter name or a node name (`session-3`).
    pub from: String,
    pub to: String,
    pub latency_us: f64,
    /// Default: unlimited.
    #[serde(default)]
    pub bandwidth_mbps: Option<f64>,
}

/// CPU time of the operations the model knows about.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Time a sender is occupied by one send to a process on its own node.
    pub send_local: DistConfig,
    /// Time a sender is occupied by one send to a process on another node.
    pub send_remote: DistConfig,
    /// Time a session is occupied by handling one delivered event (default 0: never busy).
    #[serde(default = "DistConfig::zero")]
    pub session_receive: DistConfig,
    /// Time to encode an event for a remote node (Manifold: once per destination node, or
    /// once per publish with `binary`; default 0).
    #[serde(default = "DistConfig::zero")]
    pub encode: DistConfig,
    /// Time a guild spends handling a member joining or leaving, before the presence
    /// fan-out (default 10 µs).
    #[serde(default = "default_guild_join")]
    pub guild_join: DistConfig,
    /// When the sends of a fan-out (guild, Manifold sender, partitioner, worker) draw their
    /// cost from `send_local` and `send_remote` (default `per_send`).
    #[serde(default)]
    pub send_draw: SendDraw,
}

/// When a fan-out's send costs are drawn. The cost of a send depends on the load of the
/// moment (B17's 30-70 µs include the sender's de-scheduling), so drawing it once for a whole
/// fan-out, or once per interval on each node, lets fan-outs differ as they did (V1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SendDraw {
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
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fanout {
    pub strategy: FanoutStrategy,
    /// Settings of the `manifold` strategy (defaults when absent).
    #[serde(default)]
    pub manifold: ManifoldConfig,
    /// Settings of the `relays` strategy (defaults when absent).
    #[serde(default)]
    pub relays: RelaysConfig,
}

/// Relays (MJ, secondary): processes between a guild and its sessions, each serving at most
/// `max_sessions` of the guild's members on its own node, checking each recipient's
/// permissions and making the sends.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelaysConfig {
    /// Members one relay serves at most (default 15,000, MJ). A guild has, on each session
    /// node holding its members, as many relays as that takes, sharing them evenly.
    #[serde(default = "default_relay_sessions")]
    pub max_sessions: u32,
    /// A relay's time per recipient to check its permissions (default 1 µs, assumption).
    #[serde(default = "default_permission_check_us")]
    pub permission_check_us: f64,
    /// Memory of one relay process (default 100,000, assumption) and per member it serves
    /// (default 100, assumption), on its node.
    #[serde(default = "default_relay_bytes")]
    pub relay_bytes: u64,
    #[serde(default = "default_relay_member_bytes")]
    pub member_bytes: u64,
}

fn default_relay_sessions() -> u32 {
    15_000
}
fn default_permission_check_us() -> f64 {
    1.0
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
            permission_check_us: default_permission_check_us(),
            relay_bytes: default_relay_bytes(),
            member_bytes: default_relay_member_bytes(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FanoutStrategy {
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
pub struct ManifoldConfig {
    /// Partitioner processes per node, 1 to 32 (default 1). A sender always uses the same one.
    #[serde(default = "one_u32")]
    pub partitioners: u32,
    /// Worker processes per node (default: one per scheduler of the node). A recipient always
    /// goes to the same one.
    #[serde(default)]
    pub workers_per_node: Option<u32>,
    /// Guild (or sender) time per recipient to group recipients by node (default 0.05 µs).
    #[serde(default = "default_per_recipient_us")]
    pub group_cost_per_recipient_us: f64,
    /// Partitioner time per recipient to hash it onto a worker (default 0.05 µs).
    #[serde(default = "default_per_recipient_us")]
    pub partition_cost_per_recipient_us: f64,
    /// A local sender process does the grouping and remote sends; the guild makes one local send.
    #[serde(default)]
    pub offload: bool,
    /// Encode the event once per publish instead of once per destination node.
    #[serde(default)]
    pub binary: bool,
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

/// Message sizes in bytes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// A published chat event (default 1000).
    #[serde(default = "default_event_bytes")]
    pub event_bytes: u64,
    /// A presence update (default 200).
    #[serde(default = "default_presence_bytes")]
    pub presence_bytes: u64,
    /// A call or reply: ring lookup, registry call, join (default 100).
    #[serde(default = "default_call_bytes")]
    pub call_bytes: u64,
    /// Per recipient listed in a Manifold batch (default 8).
    #[serde(default = "default_recipient_bytes")]
    pub recipient_bytes: u64,
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

/// The consistent-hash ring (discord/ex_hash_ring) and its lookup.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RingConfig {
    /// Virtual replicas (points) per guild node (default 512).
    #[serde(default = "default_replicas")]
    pub replicas: u32,
    /// Where a session looks the ring up (default `fastglobal`).
    #[serde(default)]
    pub lookup: LookupMode,
    /// Cost of one lookup (default: the published cost of the mode: process 12 µs, ets 7 µs,
    /// fastglobal 0.3 µs).
    #[serde(default)]
    pub lookup_cost: Option<DistConfig>,
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
pub enum LookupMode {
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
    pub fn published_cost_us(self) -> f64 {
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
pub struct RegistryConfig {
    /// Registry time per call (default 20 µs).
    #[serde(default = "default_registry_cost")]
    pub call_cost: DistConfig,
    /// A caller gives up waiting after this long; the request stays queued and is still
    /// served (default 5000 ms).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: f64,
    /// Backoff before a retry (after a timeout or a Semaphore refusal).
    #[serde(default)]
    pub backoff: Backoff,
    /// At most this many registry calls in flight per session node; a caller over the limit
    /// fails at once and backs off (default: no Semaphore).
    #[serde(default)]
    pub semaphore: Option<u32>,
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
pub struct Backoff {
    #[serde(default = "default_backoff_initial_ms")]
    pub initial_ms: f64,
    #[serde(default = "default_backoff_max_ms")]
    pub max_ms: f64,
    #[serde(default = "default_backoff_multiplier")]
    pub multiplier: f64,
    /// 0 (none) to 1 (full jitter); default 0.5.
    #[serde(default = "default_backoff_jitter")]
    pub jitter: f64,
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
pub struct PresenceConfig {
    /// Publish a presence update when a member joins (default true).
    #[serde(default = "yes")]
    pub on_join: bool,
    /// Publish a presence update when a member leaves (default true).
    #[serde(default = "yes")]
    pub on_leave: bool,
    /// Guilds with more online members than this publish no presence updates: their clients
    /// fetch the member list lazily instead (R19; default: no limit).
    #[serde(default)]
    pub max_online_members: Option<u32>,
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

/// Memory per node: fixed costs per entity plus every queued message.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    /// Per connected session process (default 50,000: an Elixir session with its state).
    #[serde(default = "default_session_bytes")]
    pub session_bytes: u64,
    /// Per guild process (default 100,000).
    #[serde(default = "default_guild_bytes")]
    pub guild_bytes: u64,
    /// Per member a guild tracks (default 200).
    #[serde(default = "default_member_bytes")]
    pub member_bytes: u64,
    /// A node whose memory passes this crashes (default: no limit).
    #[serde(default)]
    pub limit_bytes: Option<u64>,
    /// A crashed node comes back after this long (default 30 s).
    #[serde(default = "default_restart_s")]
    pub restart_s: f64,
    /// After the restart, each of its sessions reconnects after a uniform delay in [0, this] (default 10 s).
    #[serde(default = "default_reconnect_jitter_s")]
    pub reconnect_jitter_s: f64,
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

/// A distribution of durations.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
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
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// The experiment's name: the default output folder is `results/<name>/`, and
    /// `summary.json` and the charts carry it. Letters, digits, `_`, `-` and `.`, at most 100
    /// characters, not starting with `.` (default: the file name without its extension).
    /// `resolved.yaml` always writes it, so rerunning that file keeps the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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
    /// Find the largest (or smallest) value of a field that keeps a metric within a limit
    /// (`crate::config::search`); optional, with a `sweep:` one search per grid point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<super::search::Search>,
    /// Pass/fail gates: each metric (a dotted name of `summary.json`, e.g. `latency_ms.p99` or
    /// `windows.after.latency_ms.p99`) must lie within its bounds after the run (for a sweep,
    /// at every point); a failed one makes `guildsim run` exit with code 1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expect: BTreeMap<String, Expectation>,
    /// Overrides (`field.path: value`) that shrink the experiment for the snapshot tests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub test_overrides: BTreeMap<String, yaml_serde::Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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
    /// Check that every session receives each guild's events in publish order, and count
    /// violations in the summary (default false: it costs 8 bytes per membership).
    #[serde(default)]
    pub check_order: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    #[default]
    Folded,
    PerEvent,
}

/// Who is in which guild, and what they publish.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub guilds: Guilds,
    pub users: Users,
    pub publishes: Publishes,
    /// Extra publishes to one guild at one time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<Burst>,
    /// Presence storms: users coming online together, session nodes restarting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storms: Vec<Storm>,
}

/// A presence storm.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Storm {
    /// `users` users (the first ones, by id) start offline and come online at random times
    /// in `[start_s, start_s + window_s]`: uniformly, or with a density of the given shape.
    Login {
        users: u32,
        start_s: f64,
        window_s: f64,
        /// How arrivals spread over the window (default `constant`: uniformly); a `ramp` runs
        /// over the window, a `daily` cycle follows the clock.
        #[serde(default)]
        shape: Shape,
    },
    /// Node `node` (a session node, by name) crashes at `at_s`: its sessions disconnect; it
    /// comes back `down_s` later and each session reconnects after a uniform delay in
    /// `[0, reconnect_jitter_s]`.
    NodeRestart {
        node: String,
        at_s: f64,
        down_s: f64,
        reconnect_jitter_s: f64,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// Mean number of guilds a user is in: users = ceil(online memberships / this). Give this
    /// or `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guilds_per_user_mean: Option<f64>,
    /// The number of users (each with one session). Give this or `guilds_per_user_mean`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// How users' sessions are spread over the session nodes.
    #[serde(default)]
    pub placement: SessionPlacement,
}

impl Users {
    /// The number of users for `memberships` online memberships.
    pub fn resolve(&self, memberships: f64) -> u64 {
        match (self.count, self.guilds_per_user_mean) {
            (Some(count), _) => count,
            (None, Some(mean)) => (memberships / mean).ceil() as u64,
            (None, None) => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionPlacement {
    /// Each session on a session node drawn uniformly at random.
    #[default]
    Uniform,
    /// Session i on session node i mod n.
    RoundRobin,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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
    /// Presence changes (a user goes idle, back, changes status): a Poisson rate per online
    /// session; each change is published to every guild of the session (default 0).
    #[serde(default)]
    pub presence_changes_per_session_per_s: f64,
    /// More publishing, each phase over its own window with its own rate, shape and guilds;
    /// the rates of overlapping phases (and of `rate` above) add up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PublishPhase>,
}

/// A phase of publishing: Poisson publishes to the chosen guilds over `[from_s, to_s)`, at a
/// rate that follows a shape, and presence changes of every online session following the
/// same shape.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishPhase {
    pub from_s: f64,
    pub to_s: f64,
    /// The publish rate of each chosen guild (default: none), multiplied by the shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// How the rate changes over the phase (default `constant`).
    #[serde(default)]
    pub shape: Shape,
    /// Which guilds publish in this phase (default `all`).
    #[serde(default)]
    pub guilds: GuildSelector,
    /// Presence changes per online session, multiplied by the shape (default 0).
    #[serde(default)]
    pub presence_changes_per_session_per_s: f64,
}

/// How a rate changes over time: a factor that multiplies it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// The rate as given, all the time.
    #[default]
    Constant,
    /// A linear ramp: `from` times the rate at the start of the window, `to` times at its end.
    Ramp { from: f64, to: f64 },
    /// A daily cycle: the rate is the mean over a day; it peaks at `peak_hour` (0 to 24) and
    /// its peak is `peak_to_trough` times its trough, following a cosine. Virtual time 0 is
    /// `hour_at_zero` o'clock (default 0, midnight).
    Daily {
        peak_hour: f64,
        peak_to_trough: f64,
        #[serde(default)]
        hour_at_zero: f64,
    },
}

/// A set of guilds: all, the largest, those of a size range, or listed indices.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum GuildSelector {
    /// Every guild.
    #[default]
    All,
    /// The k guilds with the most members (equal sizes: the lower index first).
    Largest(u32),
    /// The guilds with `min` to `max` members, both included.
    Sizes { min: u32, max: u32 },
    /// These guild indices (0-based, in the order of `sizes`).
    List(Vec<u32>),
}

/// A Poisson rate per guild, or per online member (so big guilds publish more).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rate {
    PerGuildPerS(f64),
    PerMemberPerS(f64),
}

/// Extra publishing to some guilds: `count` publishes to each at `at_s`, or their publish
/// rate multiplied by `multiplier` over `[from_s, to_s)`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    /// One guild, by index (0-based, in the order of `sizes`); or `guilds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild: Option<u32>,
    /// The guilds (instead of `guild`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guilds: Option<GuildSelector>,
    /// When the `count` publishes arrive (with `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_s: Option<f64>,
    /// Publishes to each guild at `at_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The window of a rate multiplier (with `to_s` and `multiplier`, instead of `at_s` and
    /// `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    /// Every publish rate of the guilds (the base rate and every phase's) is multiplied by
    /// this over the window; overlapping multipliers multiply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplier: Option<f64>,
}

/// Bounds on one metric. For a sweep, `over` says what must lie within them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The smallest value allowed (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest value allowed (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// For a sweep, at each point: the mean over replications (`mean`, default), the whole
    /// 95 % confidence interval of the mean (`ci`: at least 2 replications), or every
    /// replication (`every`). A single run is judged on its value.
    #[serde(default)]
    pub over: Over,
}

/// What of a sweep point's replications an expectation judges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Over {
    /// The mean over the point's replications.
    #[default]
    Mean,
    /// The whole 95 % confidence interval of the mean (Student's t).
    Ci,
    /// Every replication's value.
    Every,
}

/// What a run writes besides the summary.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Width of the time-series bins (default 100).
    #[serde(default = "default_sample_interval_ms")]
    pub sample_interval_ms: f64,
    /// Plots to draw (default: all of the kinds).
    #[serde(default = "PlotKind::all")]
    pub plots: Vec<PlotKind>,
    /// Write `trace.json`, the run as a Chrome trace-event file for Perfetto, with these
    /// filters (optional; `{}` traces everything up to the cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceConfig>,
    /// Named windows of virtual time, each summarised like the whole run in `summary.json`
    /// (`windows.<name>`), over what happened in it. Whole time bins: `from_s` and `to_s` are
    /// multiples of `sample_interval_ms`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<OutputWindow>,
}

/// A named window of virtual time, `[from_s, to_s)`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputWindow {
    /// Letters, digits, `_` and `-`: it names the window's block in `summary.json` and its
    /// metrics (`windows.<name>.latency_ms.p99`).
    pub name: String,
    pub from_s: f64,
    pub to_s: f64,
}

/// What the timeline trace holds: a window of virtual time, some guilds, some nodes, and a
/// cap on its events (`crate::metrics::trace`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceConfig {
    /// Start of the traced window of virtual time (default 0).
    #[serde(default)]
    pub from_s: f64,
    /// End of the traced window (default: the horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    /// Guild indices: only these guilds, their members' sessions and the processes their
    /// messages pass through (default: every process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guilds: Option<Vec<u32>>,
    /// Node names (`session-3`): only these nodes' tracks (default: every node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<String>>,
    /// At most this many trace events (default 200000); reaching it ends the trace there,
    /// which the file's metadata and the command's output state.
    #[serde(default = "default_trace_events")]
    pub max_events: u64,
}

fn default_trace_events() -> u64 {
    200_000
}

impl Default for TraceConfig {
    fn default() -> Self {
        Self {
            from_s: 0.0,
            to_s: None,
            guilds: None,
            nodes: None,
            max_events: default_trace_events(),
        }
    }
}

fn default_sample_interval_ms() -> f64 {
    100.0
}

impl Default for Output {
    fn default() -> Self {
        Self {
            sample_interval_ms: default_sample_interval_ms(),
            plots: PlotKind::all(),
            trace: None,
            windows: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlotKind {
    /// Cumulative distribution of delivery latency.
    LatencyCdf,
    /// Fan-out duration against the number of recipients.
    FanoutVsSize,
    /// Largest guild mailbox depth per time bin.
    MailboxDepth,
    /// Sessions online, registry queue depth and node memory on one shared time axis.
    StormTimeline,
}

impl PlotKind {
    pub fn all() -> Vec<PlotKind> {
        vec![
            PlotKind::LatencyCdf,
            PlotKind::FanoutVsSize,
            PlotKind::MailboxDepth,
            PlotKind::StormTimeline,
        ]
    }
}
