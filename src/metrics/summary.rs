//! The run summary: the key results of one run, written as `summary.json`.
//!
//! Every field is a deterministic function of the experiment and seed; wall-clock figures
//! never appear here. Durations are in milliseconds rounded to whole nanoseconds; fractions
//! are rounded to 6 decimals.

use super::histogram::DurationStats;
use super::keeps_up::KeepsUp;
use super::steady::Steady;
use super::storms::Storms;
use crate::sim::StopReason;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// The experiment's name (its file name without extension).
    pub(crate) experiment: String,
    pub(crate) seed: u64,
    pub stop: StopInfo,
    /// Whether the guilds and registries keep up with their load, judged over the run's
    /// second half (`metrics/keeps_up.rs`).
    pub keeps_up: KeepsUp,
    /// The warm-up found in the run's own series, and steady-state latency with 95 %
    /// intervals from batch means (`metrics/steady.rs`).
    pub steady: Steady,
    /// With `run.until`: the horizons the run was taken to and the rule that stopped it
    /// (`metrics/until.rs`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<super::until::UntilSummary>,
    pub entities: Entities,
    /// Events handled: queued events plus deliveries computed in closed form.
    pub events_total: u64,
    /// Publishes that reached a guild mailbox.
    pub publishes_total: u64,
    /// Publishes whose fan-out finished.
    pub publishes_completed: u64,
    /// Presence changes of online sessions (workload `presence_changes_per_session_per_s`).
    pub presence_changes: u64,
    /// Chat events received by sessions.
    pub deliveries_total: u64,
    /// Presence updates received by sessions.
    pub presence_deliveries_total: u64,
    /// Deliveries that reached a session that was offline (dropped).
    pub deliveries_dropped: u64,
    /// Sends made by guild processes (to sessions, or with Manifold to partitioners/senders)
    /// for fan-outs that finished.
    pub guild_sends: u64,
    /// Sends of fan-outs still going when the run ended (not in `guild_sends`).
    pub guild_sends_unfinished: u64,
    /// Messages between processes on different nodes (all kinds).
    pub inter_node_messages: u64,
    /// `guild_sends` and `inter_node_messages` per completed chat publish (null without
    /// publishes).
    pub guild_sends_per_publish: Option<f64>,
    pub inter_node_messages_per_publish: Option<f64>,
    /// Publish (arrival at the guild) to session receive, chat events.
    pub latency_ms: DurationStats,
    /// Join or leave (arrival at the guild) to session receive, presence updates.
    pub presence_latency_ms: DurationStats,
    /// Guild starts handling a chat publish to its last send completing.
    pub fanout_duration_ms: DurationStats,
    /// The same for presence updates (join or leave handling included).
    pub presence_fanout_duration_ms: DurationStats,
    /// Publish arrival at the guild to its last send completing (time in the guild queue).
    pub guild_sojourn_ms: DurationStats,
    /// Deepest guild mailbox (the publish being handled included).
    pub guild_mailbox_depth_max: u32,
    /// Time-average number of publishes in all guild mailboxes together.
    pub guild_queue_length_mean: f64,
    /// Time processes spent on fan-out sends and their per-recipient work (grouping,
    /// partitioning): guilds, Manifold senders, partitioners and workers (seconds).
    pub fanout_work_s: f64,
    /// Scheduler time used per kind of process (seconds).
    pub busy_s: ProcessBusy,
    /// The busiest guild's scheduler time / run time.
    pub guild_busy_fraction_max: f64,
    pub member_list: MemberListSummary,
    pub monitors: MonitorsSummary,
    pub passive: PassiveSummary,
    /// Bytes sessions sent their clients, when sessions pay per byte
    /// (`costs.serialise_ns_per_byte`, `costs.compress_ns_per_byte`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_bytes: Option<ClientBytesSummary>,
    /// Guild processes' garbage collections, with `model.gc` (`world/gc.rs`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gc: Option<GcSummary>,
    /// Scheduler time used / (run time x schedulers), mean and max over nodes.
    pub node_busy_fraction_mean: f64,
    pub node_busy_fraction_max: f64,
    pub sessions: SessionsSummary,
    /// The presence storms' length, backlog and whether they ended (`metrics/storms.rs`).
    pub storms: Storms,
    pub ring: RingSummary,
    pub registry: RegistrySummary,
    /// Node crashes (storms and memory).
    pub crashes: u64,
    /// Times a guild node passed the memory limit (guild nodes do not crash in the model).
    pub(crate) memory_limit_exceeded: u64,
    pub node_memory_peak_bytes: u64,
    /// Deliveries received out of publish order (only when `run.check_order` is on).
    pub order_violations: Option<u64>,
    pub nodes: Vec<NodeSummary>,
    /// The named windows of `output.windows`, each summarised over what happened in it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub windows: BTreeMap<String, WindowSummary>,
}

/// What happened in one window of virtual time `[from_s, to_s)`: deliveries that arrived,
/// publishes that reached a guild, fan-outs that completed in it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WindowSummary {
    pub(crate) from_s: f64,
    pub(crate) to_s: f64,
    pub publishes_total: u64,
    pub publishes_completed: u64,
    pub deliveries_total: u64,
    pub presence_deliveries_total: u64,
    pub latency_ms: DurationStats,
    pub(crate) presence_latency_ms: DurationStats,
    pub fanout_duration_ms: DurationStats,
    pub(crate) presence_fanout_duration_ms: DurationStats,
    pub guild_sojourn_ms: DurationStats,
    pub guild_mailbox_depth_max: u32,
    pub(crate) registry_queue_depth_max: u32,
    /// Scheduler time used in the window / (its length x schedulers), mean and max over nodes
    /// (null for a window after the horizon).
    pub(crate) node_busy_fraction_mean: Option<f64>,
    pub node_busy_fraction_max: Option<f64>,
}

/// Passive sessions' digests (MJ).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PassiveSummary {
    /// Digests guilds published, and digests sent to online passive sessions.
    pub digests: u64,
    pub digest_deliveries: u64,
    /// Users who open and leave their guilds (`model.passive.users`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<UsersSummary>,
}

/// Users with behaviour: who was active, the opens, syncs and mentions.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UsersSummary {
    /// The active share in steady state that the open rate `r` and the mean dwell `d` give,
    /// `r d / (1 + r d)`: what `active_fraction_mean` is to be compared with.
    pub active_fraction_expected: f64,
    /// The share of the members of guilds with passive sessions that were active, averaged
    /// over the run (an output of the users' behaviour).
    pub active_fraction_mean: f64,
    /// Per guild with passive sessions (the 20 largest): its members, active share averaged
    /// over the run, and active members at the end.
    pub guilds: Vec<GuildActive>,
    /// Users who opened a guild (of which in response to an announcement), and who left.
    pub opens: u64,
    pub wake_opens: u64,
    pub leaves: u64,
    /// State syncs asked for and completed (the session wrote the reply out), the missed
    /// messages they carried, and the time from the open to the reply written out.
    pub syncs_requested: u64,
    pub syncs_done: u64,
    pub sync_messages: u64,
    pub sync_ms: DurationStats,
    /// Chat messages that mentioned a member, and those whose member was passive (the
    /// guild sent it the message as it happened).
    pub mentions: u64,
    pub mentions_passive: u64,
}

/// One guild's active share.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GuildActive {
    pub guild: u32,
    pub members: u32,
    pub active_fraction_mean: f64,
    pub active_at_end: u32,
}

/// Bytes sessions sent their clients, after compression.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClientBytesSummary {
    pub total: u64,
    /// To active sessions (events, syncs) and to passive ones (digests, mentions, what
    /// passive sessions receive as it happens).
    pub active: u64,
    pub passive: u64,
    /// Per session node: bytes over the run, and the highest rate in one sample interval.
    pub per_node: BTreeMap<String, NodeBytes>,
}

/// One node's bytes to clients.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeBytes {
    pub total: u64,
    pub per_s_max: f64,
}

/// `:DOWN` notifications of sessions lost with their node (ZM).
#[derive(Clone, Debug, Default, Serialize)]
pub struct MonitorsSummary {
    /// Put into guilds' mailboxes (leaves), and the first and last time one was (0 without).
    pub downs: u64,
    pub first_down_s: f64,
    pub last_down_s: f64,
}

/// Guild processes' garbage collections (`model.gc`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct GcSummary {
    /// Minor collections and full sweeps of all guilds, and the full sweeps the virtual binary
    /// heap triggered (counted in `full_sweeps` too).
    pub minor_collections: u64,
    pub full_sweeps: u64,
    pub vheap_full_sweeps: u64,
    /// Guild time spent in collections (seconds) and the longest single collection (ms).
    pub pause_s: f64,
    pub pause_ms_max: f64,
    /// The guild that was busy longest (its index), and its largest heap: state, member data,
    /// mailbox and allocation not yet collected (bytes).
    pub busiest_guild: u64,
    pub busiest_heap_peak_bytes: u64,
}

/// The guilds' member lists (R19).
#[derive(Clone, Debug, Default, Serialize)]
pub struct MemberListSummary {
    /// Updates made (joins, leaves and presence changes handled by guilds with a list).
    pub updates: u64,
    /// The guild time they took (seconds), and the shortest and longest update (µs; 0
    /// without updates).
    pub work_s: f64,
    pub update_us_min: f64,
    pub update_us_max: f64,
}

/// Scheduler time per kind of process, in seconds: one field per kind, named by
/// `ProcessKind::name`, in the order of `ProcessKind::ALL`.
#[derive(Clone, Debug, Default)]
pub struct ProcessBusy(pub Vec<(&'static str, f64)>);

impl ProcessBusy {
    /// The seconds of processes of the kind named `name` (0 for a kind not listed).
    pub fn of(&self, name: &str) -> f64 {
        self.0
            .iter()
            .find(|(kind, _)| *kind == name)
            .map_or(0.0, |(_, seconds)| *seconds)
    }
}

impl Serialize for ProcessBusy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (kind, seconds) in &self.0 {
            map.serialize_entry(kind, seconds)?;
        }
        map.end()
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SessionsSummary {
    pub total: u64,
    pub(crate) online_at_start: u64,
    pub online_at_end: u64,
    /// Virtual time of the last change in the number of online sessions (a session counts as
    /// online once it has sent its last join).
    pub last_change_s: f64,
    /// When a guild last finished handling a join: the storm's joins are all handled.
    pub last_join_handled_s: f64,
    /// When a session last received a presence update (of a join, a leave or a status
    /// change): the storm's presence fan-out is over.
    pub last_presence_delivery_s: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RingSummary {
    pub(crate) points: u64,
    /// `process`, `ets` or `fastglobal`.
    pub(crate) lookup: String,
    pub lookups: u64,
    /// Time spent on lookups, summed over all of them (seconds of CPU).
    pub lookup_work_s: f64,
    /// Guilds that would move if the last guild node left the ring (exactly its guilds), and
    /// if one more guild node joined it (only to the new node).
    pub guilds_moved_if_node_removed: u64,
    pub guilds_on_removed_node: u64,
    pub guilds_moved_if_node_added: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RegistrySummary {
    /// Calls sent by sessions (retries included).
    pub(crate) calls: u64,
    /// Calls the registries handled (timed-out ones still queued included).
    pub(crate) served: u64,
    /// Replies a waiting session received.
    pub answered: u64,
    pub timeouts: u64,
    /// Calls refused at once by the Semaphore.
    pub semaphore_rejections: u64,
    pub queue_depth_max: u32,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StopInfo {
    /// `drained` (nothing left to do), `horizon` or `event_budget`.
    pub reason: StopReason,
    /// Virtual time of the last event handled (the horizon when the run stopped there).
    pub end_time_s: f64,
    pub(crate) horizon_s: f64,
    pub(crate) event_budget: Option<u64>,
}

impl StopInfo {
    /// Why the run stopped, in words: `drained` before the horizon says that the workload
    /// generates no arrival past the horizon (the traffic did not end: the run ended it), so
    /// the run ends when what arrived before it is handled.
    pub fn words(&self) -> String {
        match self.reason {
            StopReason::Drained if self.end_time_s < self.horizon_s => format!(
                "drained at {} s of virtual time: everything that arrived was handled before \
                 the {} s horizon (no arrival is generated past the horizon or the workload's \
                 end, so traffic that goes on to the horizon drains just before it)",
                self.end_time_s, self.horizon_s
            ),
            StopReason::Drained => {
                format!("drained at {} s of virtual time", self.end_time_s)
            }
            StopReason::Horizon => format!("at the horizon, {} s of virtual time", self.end_time_s),
            StopReason::EventBudget => format!(
                "by the event budget ({}) at {} s of virtual time, before the {} s horizon",
                self.event_budget.unwrap_or_default(),
                self.end_time_s,
                self.horizon_s
            ),
            StopReason::Interrupted => {
                format!("interrupted at {} s of virtual time", self.end_time_s)
            }
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Entities {
    pub nodes: u64,
    pub guilds: u64,
    pub sessions: u64,
    pub memberships: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeSummary {
    pub name: String,
    pub(crate) schedulers: u32,
    pub(crate) busy_fraction: f64,
    pub(crate) run_queue_max: u32,
    pub memory_peak_bytes: u64,
    pub crashes: u32,
}

/// Rounds a ratio to 6 decimals for reports.
pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
