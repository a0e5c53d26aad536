//! Build stage: placement. Sessions on session nodes (uniformly or in turn), guild
//! processes on guild nodes by the consistent-hash ring, and each node's list of sessions.
//! Random stream: `placement`.

use crate::config::schema::{Experiment, SessionPlacement};
use crate::sim::rng::{RngStreams, hash64};
use crate::world::ids::{NodeId, SessionId};
use crate::world::node::Node;
use crate::world::process::ProcCore;
use crate::world::ring::Ring;
use crate::world::state::Guild;
use rand::Rng;

/// The session node of each of the `users` sessions.
pub(super) fn sessions(
    exp: &Experiment,
    session_nodes: &[NodeId],
    users: u32,
    streams: &RngStreams,
) -> Vec<NodeId> {
    let mut placement = streams.stream("placement");
    (0..users)
        .map(|u| match exp.workload.users.placement {
            SessionPlacement::Uniform => {
                session_nodes[placement.random_range(0..session_nodes.len())]
            }
            SessionPlacement::RoundRobin => session_nodes[u as usize % session_nodes.len()],
        })
        .collect()
}

/// The ring of guild nodes and the key that hashes guild indices onto it.
pub(super) fn ring(exp: &Experiment, nodes: &[Node], guild_nodes: &[NodeId]) -> (Ring, u64) {
    let ring = Ring::new(
        &guild_nodes
            .iter()
            .map(|&n| (n, nodes[n.index()].name.clone()))
            .collect::<Vec<_>>(),
        exp.model.ring.replicas,
    );
    (ring, hash64(exp.seed, 0x6775_696c_6473))
}

/// Guild processes, each on the node the ring gives its key, holding membership slots
/// `first[g] .. first[g] + online[g]`.
pub(super) fn guilds(online: &[u32], first: &[u32], ring: &Ring, ring_key: u64) -> Vec<Guild> {
    online
        .iter()
        .zip(first)
        .enumerate()
        .map(|(g, (&len, &first))| Guild {
            node: ring.lookup(hash64(ring_key, g as u64)),
            first,
            len,
            core: ProcCore::default(),
            work: Default::default(),
            join_seq: 0,
            online: 0,
            groups_first: 0,
            groups_len: 0,
            active: len,
            active_groups: 0,
        })
        .collect()
}

/// Sessions grouped by node (a counting sort); sets each node's `sessions_first` and
/// `sessions_end`.
pub(super) fn node_sessions(nodes: &mut [Node], session_node: &[NodeId]) -> Vec<SessionId> {
    let node_count = nodes.len();
    let mut per_node = vec![0u32; node_count + 1];
    for n in session_node {
        per_node[n.index() + 1] += 1;
    }
    for i in 0..node_count {
        per_node[i + 1] += per_node[i];
    }
    for (n, node) in nodes.iter_mut().enumerate() {
        node.sessions_first = per_node[n];
        node.sessions_end = per_node[n + 1];
    }
    let mut node_sessions = vec![SessionId(0); session_node.len()];
    for (s, n) in session_node.iter().enumerate() {
        node_sessions[per_node[n.index()] as usize] = SessionId(s as u32);
        per_node[n.index()] += 1;
    }
    node_sessions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn sessions_go_in_turn_or_uniformly_and_nodes_list_theirs() {
        let session_nodes = [NodeId(1), NodeId(2)];
        let exp = |placement: &str| {
            Tiny::new(&[3])
                .set("workload.users.placement", placement)
                .loaded()
                .experiment
        };
        let streams = RngStreams::new(1);
        let turn = sessions(&exp("round_robin"), &session_nodes, 5, &streams);
        assert_eq!(turn, [1, 2, 1, 2, 1].map(NodeId));
        let uniform = sessions(&exp("uniform"), &session_nodes, 1000, &streams);
        let on_first = uniform.iter().filter(|&&n| n == NodeId(1)).count();
        assert!((400..=600).contains(&on_first), "{on_first}");
        // Node lists: a counting sort by node.
        let mut nodes = crate::world::tiny::Tiny::new(&[3]).world().nodes;
        let listed = node_sessions(&mut nodes, &turn);
        assert_eq!(listed, [0, 2, 4, 1, 3].map(SessionId));
        let ranges: Vec<_> = nodes
            .iter()
            .map(|n| (n.sessions_first, n.sessions_end))
            .collect();
        assert_eq!(ranges, [(0, 0), (0, 3), (3, 5)]);
    }

    #[test]
    fn a_guild_sits_on_the_node_the_ring_gives_its_key() {
        let w = Tiny::new(&[3, 3, 3, 3])
            .set("workload.users.guilds_per_user_mean", "4")
            .set("model.nodes[guild].count", "3")
            .world();
        for (g, guild) in w.guilds.iter().enumerate() {
            assert_eq!(guild.node, w.ring.lookup(w.guild_key(g)));
            assert!(w.nodes[guild.node.index()].hosts_guilds);
        }
        assert_eq!(w.guilds[1].first, 3);
        assert_eq!(w.guilds[3].len, 3);
    }
}
