//! The cluster network as a petgraph graph: vertices are nodes, edges are links with a
//! latency and an optional bandwidth. Nodes of one datacenter (or of the whole cluster when
//! there are no datacenters) are fully meshed; `links` join datacenters or single nodes. The
//! latency between two nodes is the shortest path; the bandwidth of that pair is the
//! narrowest link on it. A pair with no path is an error that names both nodes.

use crate::config::schema::Network;
use crate::sim::Nanos;
use crate::sim::time::us;
use petgraph::algo::dijkstra;
use petgraph::graph::{NodeIndex, UnGraph};

/// Latency and bandwidth between every pair of nodes, row-major `from * n + to`.
pub struct Topology {
    pub latency: Vec<Nanos>,
    /// Bytes per second, `None` for unlimited.
    pub bandwidth: Vec<Option<u64>>,
}

/// Link weight: latency first; equal latencies keep the wider link.
#[derive(Clone, Copy, Debug)]
struct LinkWeight {
    latency: Nanos,
    bandwidth: Option<u64>,
}

fn bytes_per_s(mbps: Option<f64>) -> Option<u64> {
    mbps.map(|m| (m * 1e6 / 8.0).round().max(1.0) as u64)
}

/// Builds the topology of `node_names` (node `i` belongs to group `node_groups[i]`).
pub fn build(
    network: &Network,
    node_names: &[String],
    node_groups: &[String],
) -> Result<Topology, (String, String)> {
    let n = node_names.len();
    let mut graph: UnGraph<(), LinkWeight> = UnGraph::with_capacity(n, n * n / 2);
    let vertices: Vec<NodeIndex> = (0..n).map(|_| graph.add_node(())).collect();
    let mesh = LinkWeight {
        latency: us(network.latency_us),
        bandwidth: bytes_per_s(network.bandwidth_mbps),
    };
    // Which datacenter each node is in (all in one when none are declared).
    let datacenter: Vec<usize> = if network.datacenters.is_empty() {
        vec![0; n]
    } else {
        let mut dc = vec![usize::MAX; n];
        for (d, center) in network.datacenters.iter().enumerate() {
            for (i, group) in node_groups.iter().enumerate() {
                if center.groups.contains(group) {
                    dc[i] = d;
                }
            }
        }
        if let Some(i) = dc.iter().position(|&d| d == usize::MAX) {
            return Err((
                "model.network.datacenters".into(),
                format!(
                    "node group `{}` is in no datacenter; list it in one datacenter's `groups`",
                    node_groups[i]
                ),
            ));
        }
        dc
    };
    for a in 0..n {
        for b in a + 1..n {
            if datacenter[a] == datacenter[b] {
                graph.add_edge(vertices[a], vertices[b], mesh);
            }
        }
    }
    // Resolve a link end: a datacenter name (all its nodes) or a node name.
    let members = |name: &str| -> Option<Vec<usize>> {
        if let Some(d) = network.datacenters.iter().position(|c| c.name == name) {
            return Some((0..n).filter(|&i| datacenter[i] == d).collect());
        }
        node_names.iter().position(|x| x == name).map(|i| vec![i])
    };
    for (l, link) in network.links.iter().enumerate() {
        let path = format!("model.network.links[{l}]");
        let from = members(&link.from).ok_or_else(|| {
            (
                format!("{path}.from"),
                format!("`{}` is neither a datacenter nor a node", link.from),
            )
        })?;
        let to = members(&link.to).ok_or_else(|| {
            (
                format!("{path}.to"),
                format!("`{}` is neither a datacenter nor a node", link.to),
            )
        })?;
        let weight = LinkWeight {
            latency: us(link.latency_us),
            bandwidth: bytes_per_s(link.bandwidth_mbps),
        };
        for &a in &from {
            for &b in &to {
                if a != b {
                    graph.add_edge(vertices[a], vertices[b], weight);
                }
            }
        }
    }

    let local = us(network.local_latency_us);
    let mut latency = vec![0; n * n];
    let mut bandwidth = vec![None; n * n];
    for a in 0..n {
        let found = dijkstra(&graph, vertices[a], None, |e| e.weight().latency);
        let distances: Vec<Option<Nanos>> =
            vertices.iter().map(|v| found.get(v).copied()).collect();
        for b in 0..n {
            if a == b {
                latency[a * n + b] = local;
                continue;
            }
            let Some(d) = distances[b] else {
                return Err((
                    if network.datacenters.is_empty() {
                        "model.network"
                    } else {
                        "model.network.datacenters"
                    }
                    .into(),
                    format!(
                        "nodes `{}` and `{}` cannot reach each other; add a link between their datacenters",
                        node_names[a], node_names[b]
                    ),
                ));
            };
            latency[a * n + b] = d;
        }
        // Bandwidth of the pair: the narrowest link on a shortest path, found by walking back
        // from each target along edges that lie on some shortest path.
        for b in 0..n {
            if a != b {
                bandwidth[a * n + b] =
                    narrowest_on_shortest_path(&graph, &distances, vertices[a], vertices[b]);
            }
        }
    }
    Ok(Topology { latency, bandwidth })
}

fn narrowest_on_shortest_path(
    graph: &UnGraph<(), LinkWeight>,
    distances: &[Option<Nanos>],
    source: NodeIndex,
    target: NodeIndex,
) -> Option<u64> {
    // Walk back from the target: pick, among the predecessors on a shortest path, the one with
    // the lowest index (deterministic), and keep the narrowest bandwidth seen.
    let mut narrowest: Option<u64> = None;
    let mut at = target;
    while at != source {
        let here = distances[at.index()].expect("reachable");
        let mut best: Option<(NodeIndex, LinkWeight)> = None;
        for edge in graph.edges(at) {
            use petgraph::visit::EdgeRef;
            let other = if edge.source() == at {
                edge.target()
            } else {
                edge.source()
            };
            let w = *edge.weight();
            if distances[other.index()].is_some_and(|d| d + w.latency == here)
                && best.is_none_or(|(b, _)| other.index() < b.index())
            {
                best = Some((other, w));
            }
        }
        let (previous, w) = best.expect("a shortest path has a predecessor");
        narrowest = match (narrowest, w.bandwidth) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        at = previous;
    }
    narrowest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema::{Datacenter, Link};

    fn network() -> Network {
        Network {
            latency_us: 200.0,
            local_latency_us: 1.0,
            bandwidth_mbps: None,
            send_buffer_bytes: 1 << 20,
            datacenters: vec![],
            links: vec![],
        }
    }

    fn names(n: usize) -> (Vec<String>, Vec<String>) {
        (
            (0..n).map(|i| format!("n-{i}")).collect(),
            vec!["n".into(); n],
        )
    }

    #[test]
    fn full_mesh_by_default() {
        let (names, groups) = names(3);
        let t = build(&network(), &names, &groups).unwrap();
        assert_eq!(
            t.latency,
            vec![
                1_000, 200_000, 200_000, 200_000, 1_000, 200_000, 200_000, 200_000, 1_000
            ]
        );
        assert!(t.bandwidth.iter().all(|b| b.is_none()));
    }

    #[test]
    fn datacenters_route_over_the_shortest_path_and_the_narrowest_link() {
        let mut net = network();
        net.bandwidth_mbps = Some(10_000.0);
        net.datacenters = vec![
            Datacenter {
                name: "east".into(),
                groups: vec!["a".into()],
            },
            Datacenter {
                name: "mid".into(),
                groups: vec!["b".into()],
            },
            Datacenter {
                name: "west".into(),
                groups: vec!["c".into()],
            },
        ];
        net.links = vec![
            Link {
                from: "east".into(),
                to: "mid".into(),
                latency_us: 10_000.0,
                bandwidth_mbps: Some(800.0),
            },
            Link {
                from: "mid".into(),
                to: "west".into(),
                latency_us: 20_000.0,
                bandwidth_mbps: None,
            },
        ];
        let names: Vec<String> = ["a-0", "b-0", "c-0"].map(String::from).to_vec();
        let groups: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let t = build(&net, &names, &groups).unwrap();
        assert_eq!(t.latency[2], 30_000_000, "east to west goes through mid");
        assert_eq!(
            t.bandwidth[2],
            Some(100_000_000),
            "800 Mbit/s is the narrowest link"
        );
        assert_eq!(t.bandwidth[5], None);
    }

    #[test]
    fn unreachable_nodes_are_named() {
        let mut net = network();
        net.datacenters = vec![
            Datacenter {
                name: "east".into(),
                groups: vec!["a".into()],
            },
            Datacenter {
                name: "west".into(),
                groups: vec!["b".into()],
            },
        ];
        let names: Vec<String> = ["a-0", "b-0"].map(String::from).to_vec();
        let groups: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let (path, message) = build(&net, &names, &groups).err().unwrap();
        assert_eq!(path, "model.network.datacenters");
        assert!(
            message.contains("`a-0` and `b-0` cannot reach each other"),
            "{message}"
        );
    }
}
