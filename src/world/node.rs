//! A node: a machine whose schedulers run its processes, the processes waiting for one, its
//! memory, and the slice ends kept on it out of the queue (`deferred.rs`).

use super::event::ProcRef;
use std::collections::VecDeque;

/// A machine: its schedulers, the processes waiting for one, and its memory.
pub struct Node {
    pub(crate) name: String,
    pub(crate) schedulers: u32,
    pub(crate) running: u32,
    pub(crate) run_queue: VecDeque<ProcRef>,
    pub(crate) hosts_guilds: bool,
    pub hosts_sessions: bool,
    /// At most `schedulers` of this node's processes can ever be runnable at once: none ever
    /// waits for a scheduler, so a process never needs to give one up mid-message.
    pub(crate) uncontended: bool,
    pub(crate) up: bool,
    /// Crash count: events of processes from before a crash carry an older epoch.
    pub(crate) epoch: u32,
    /// Memory of the node's entities (guilds and members tracked, connected sessions).
    pub(crate) memory_static: u64,
    /// Memory of the messages queued in the node's mailboxes.
    pub(crate) memory_queued: u64,
    pub(crate) crash_pending: bool,
    pub(crate) crashes: u32,
    /// Registry process of a guild node, ring process of a session node.
    pub(crate) registry: Option<u32>,
    pub(crate) ring_process: Option<u32>,
    /// Manifold processes: `partitioners` partitioners, then `workers` workers, then
    /// `partitioners` senders, from service index `services_first`.
    pub(crate) services_first: u32,
    pub(crate) workers: u32,
    /// Registry calls in flight from this node's sessions (the Semaphore's counter).
    pub(crate) registry_in_flight: u32,
    /// This node's sessions are `node_sessions[sessions_first..sessions_end]`.
    pub(crate) sessions_first: u32,
    pub(crate) sessions_end: u32,
    /// A storm restarts this node, or it hosts only sessions under a memory limit.
    pub(crate) may_crash: bool,
    /// Slice ends of this node's processes kept out of the queue (`deferred.rs`).
    pub(crate) kept: super::deferred::Kept,
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    #[test]
    fn nodes_are_built_in_group_order_with_their_roles_and_sessions() {
        let w = Tiny::new(&[4, 3])
            .set("workload.users.placement", crate::world::tiny::ROUND_ROBIN)
            .world();
        let names: Vec<&str> = w.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["guild-0", "session-0", "session-1"]);
        let roles: Vec<_> = w
            .nodes
            .iter()
            .map(|n| (n.hosts_guilds, n.hosts_sessions, n.schedulers, n.up))
            .collect();
        assert_eq!(
            roles,
            [
                (true, false, 4, true),
                (false, true, 4, true),
                (false, true, 4, true)
            ]
        );
        // Seven users in turn: 4 on session-0, 3 on session-1.
        let counts: Vec<u32> = w
            .nodes
            .iter()
            .map(|n| n.sessions_end - n.sessions_first)
            .collect();
        assert_eq!(counts, [0, 4, 3]);
        for n in 1..3 {
            let node = &w.nodes[n];
            for k in node.sessions_first..node.sessions_end {
                assert_eq!(
                    w.session_node[w.node_sessions[k as usize].index()].index(),
                    n
                );
            }
        }
        // Two guilds and a registry on 4 schedulers: never contended.
        assert!(w.nodes[0].uncontended);
        assert_eq!(w.nodes[0].registry, Some(0));
    }
}
