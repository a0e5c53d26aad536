//! Build stage: nodes in the order of their groups, the network between them, and the
//! processes other than guilds and sessions (Manifold's partitioners, workers and senders,
//! registries, ring processes).

use super::{BuildError, error};
use crate::config::schema::{Experiment, Role};
use crate::metrics::recorder::ProcessKind;
use crate::world::fanout::Fanout;
use crate::world::ids::NodeId;
use crate::world::node::Node;
use crate::world::process::ProcCore;
use crate::world::state::{Service, World};
use crate::world::topology::{self, Topology};

/// The machines of the cluster and what runs on them, before any guild or session.
pub(super) struct Cluster {
    pub(crate) nodes: Vec<Node>,
    pub(crate) guild_nodes: Vec<NodeId>,
    pub(crate) session_nodes: Vec<NodeId>,
    pub(crate) topology: Topology,
    pub(crate) services: Vec<Service>,
}

/// Node names (`group-index`), their groups and whether each hosts guilds, in build order.
pub(super) fn layout(exp: &Experiment) -> Vec<(String, String, bool)> {
    exp.model
        .nodes
        .iter()
        .flat_map(|g| {
            (0..g.count).map(move |i| {
                (
                    format!("{}-{i}", g.name),
                    g.name.clone(),
                    g.hosts.contains(&Role::Guilds),
                )
            })
        })
        .collect()
}

/// Builds the nodes, checks that some host guilds and some sessions, builds the network and
/// adds each node's service processes.
pub(super) fn build(exp: &Experiment) -> Result<Cluster, BuildError> {
    let model = &exp.model;
    let mut nodes = Vec::new();
    let mut node_groups = Vec::new();
    for group in &model.nodes {
        for i in 0..group.count {
            nodes.push(Node {
                name: format!("{}-{}", group.name, i),
                schedulers: group.schedulers,
                running: 0,
                run_queue: Default::default(),
                hosts_guilds: group.hosts.contains(&Role::Guilds),
                hosts_sessions: group.hosts.contains(&Role::Sessions),
                uncontended: false,
                up: true,
                epoch: 0,
                memory_static: 0,
                memory_queued: 0,
                crash_pending: false,
                crashes: 0,
                registry: None,
                ring_process: None,
                services_first: 0,
                workers: model
                    .fanout
                    .manifold
                    .workers_per_node
                    .unwrap_or(group.schedulers),
                registry_in_flight: 0,
                sessions_first: 0,
                sessions_end: 0,
                may_crash: false,
                kept: Default::default(),
            });
            node_groups.push(group.name.clone());
        }
    }
    if nodes.len() >= u16::MAX as usize {
        return Err(error(
            "model.nodes",
            format!("at most {} nodes, got {}", u16::MAX - 1, nodes.len()),
        ));
    }
    let hosting = |pick: fn(&Node) -> bool| -> Vec<NodeId> {
        (0..nodes.len())
            .filter(|&n| pick(&nodes[n]))
            .map(|n| NodeId(n as u16))
            .collect()
    };
    let guild_nodes = hosting(|n| n.hosts_guilds);
    let session_nodes = hosting(|n| n.hosts_sessions);
    if guild_nodes.is_empty() {
        return Err(error(
            "model.nodes",
            "no node group hosts guilds (hosts: [guilds])".into(),
        ));
    }
    if session_nodes.is_empty() {
        return Err(error(
            "model.nodes",
            "no node group hosts sessions (hosts: [sessions])".into(),
        ));
    }
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    let topology = topology::build(&model.network, &names, &node_groups)
        .map_err(|(path, message)| error(&path, message))?;
    let services = services(exp, &mut nodes);
    Ok(Cluster {
        nodes,
        guild_nodes,
        session_nodes,
        topology,
        services,
    })
}

/// Each node's processes other than guilds and sessions, node after node: the fan-out
/// strategy's (Manifold's partitioners, workers and senders), a guild node's registry, a
/// session node's ring process.
fn services(exp: &Experiment, nodes: &mut [Node]) -> Vec<Service> {
    let fanout = Fanout::new(exp);
    let mut services = Vec::new();
    let add = |services: &mut Vec<Service>, node: usize, kind: ProcessKind| {
        services.push(Service {
            core: ProcCore::default(),
            node: NodeId(node as u16),
            kind,
            number: 0,
            work: Default::default(),
        });
        (services.len() - 1) as u32
    };
    for (n, node) in nodes.iter_mut().enumerate() {
        World::fanout_node_services(&fanout, node, n, &mut services);
        if node.hosts_guilds {
            node.registry = Some(add(&mut services, n, ProcessKind::Registry));
        }
        if node.hosts_sessions {
            node.ring_process = Some(add(&mut services, n, ProcessKind::Ring));
        }
    }
    services
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn nodes_are_named_by_group_and_index_and_need_both_roles() {
        let exp = Tiny::new(&[3])
            .set("model.nodes[session].count", "3")
            .loaded()
            .experiment;
        let names: Vec<(String, bool)> = layout(&exp).into_iter().map(|l| (l.0, l.2)).collect();
        assert_eq!(
            names,
            [
                ("guild-0".to_string(), true),
                ("session-0".to_string(), false),
                ("session-1".to_string(), false),
                ("session-2".to_string(), false),
            ]
        );
        let cluster = build(&exp).expect("a cluster");
        assert_eq!(cluster.guild_nodes, [NodeId(0)]);
        assert_eq!(cluster.session_nodes, [NodeId(1), NodeId(2), NodeId(3)]);
        let exp = Tiny::new(&[3])
            .set("model.nodes[guild].hosts", "[sessions]")
            .loaded()
            .experiment;
        let e = build(&exp).err().expect("no guild node");
        assert_eq!(e.path, "model.nodes");
    }
}
