//! The run summary: the key results of one run, written as `summary.json`.
//!
//! Every field is a deterministic function of the experiment and seed; wall-clock figures
//! never appear here. Durations are in milliseconds rounded to whole nanoseconds; fractions
//! are rounded to 6 decimals.

use super::histogram::DurationStats;
use crate::sim::StopReason;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// The experiment's name (its file name without extension).
    pub experiment: String,
    pub seed: u64,
    pub stop: StopInfo,
    pub entities: Entities,
    /// Events handled: queued events plus deliveries computed in closed form.
    pub events_total: u64,
    /// Publishes that reached a guild mailbox.
    pub publishes_total: u64,
    /// Publishes whose fan-out finished.
    pub publishes_completed: u64,
    /// Events received by sessions.
    pub deliveries_total: u64,
    /// Sends by guilds to sessions on their own node / on other nodes.
    pub sends_local: u64,
    pub sends_remote: u64,
    /// Publish (arrival at the guild) to session receive.
    pub latency_ms: DurationStats,
    /// Guild starts handling a publish to its last send completing.
    pub fanout_duration_ms: DurationStats,
    /// Publish arrival at the guild to its last send completing (time in the guild queue).
    pub guild_sojourn_ms: DurationStats,
    /// Deepest guild mailbox (the publish being handled included).
    pub guild_mailbox_depth_max: u32,
    /// Time-average number of publishes in all guild mailboxes together.
    pub guild_queue_length_mean: f64,
    /// Scheduler time used / (run time x schedulers), mean and max over nodes.
    pub node_busy_fraction_mean: f64,
    pub node_busy_fraction_max: f64,
    pub nodes: Vec<NodeSummary>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StopInfo {
    /// `drained` (nothing left to do), `horizon` or `event_budget`.
    pub reason: StopReason,
    /// Virtual time of the last event handled (the horizon when the run stopped there).
    pub end_time_s: f64,
    pub horizon_s: f64,
    pub event_budget: Option<u64>,
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
    pub schedulers: u32,
    pub busy_fraction: f64,
    pub run_queue_max: u32,
}

/// Rounds a ratio to 6 decimals for reports.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
