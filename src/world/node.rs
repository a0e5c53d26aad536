//! A node: a machine whose schedulers run its processes, the processes waiting for one, its
//! memory, and the slice ends kept on it out of the queue (`deferred.rs`).

use super::event::ProcRef;
use std::collections::VecDeque;

/// A machine: its schedulers, the processes waiting for one, and its memory.
pub struct Node {
    pub name: String,
    pub schedulers: u32,
    pub running: u32,
    pub run_queue: VecDeque<ProcRef>,
    pub hosts_guilds: bool,
    pub hosts_sessions: bool,
    /// At most `schedulers` of this node's processes can ever be runnable at once: none ever
    /// waits for a scheduler, so a process never needs to give one up mid-message.
    pub uncontended: bool,
    pub up: bool,
    /// Crash count: events of processes from before a crash carry an older epoch.
    pub epoch: u32,
    /// Memory of the node's entities (guilds and members tracked, connected sessions).
    pub memory_static: u64,
    /// Memory of the messages queued in the node's mailboxes.
    pub memory_queued: u64,
    pub crash_pending: bool,
    pub crashes: u32,
    /// Registry process of a guild node, ring process of a session node.
    pub registry: Option<u32>,
    pub ring_process: Option<u32>,
    /// Manifold processes: `partitioners` partitioners, then `workers` workers, then
    /// `partitioners` senders, from service index `services_first`.
    pub services_first: u32,
    pub workers: u32,
    /// Registry calls in flight from this node's sessions (the Semaphore's counter).
    pub registry_in_flight: u32,
    /// This node's sessions are `node_sessions[sessions_first..sessions_end]`.
    pub sessions_first: u32,
    pub sessions_end: u32,
    /// A storm restarts this node, or it hosts only sessions under a memory limit.
    pub may_crash: bool,
    /// Slice ends of this node's processes kept out of the queue (`deferred.rs`).
    pub kept: super::deferred::Kept,
}
