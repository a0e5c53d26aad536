//! The cluster network: nodes of one datacenter (or of the whole cluster when there are no
//! datacenters) are fully meshed; `links` join datacenters or single nodes. The latency
//! between two nodes is the shortest path; the bandwidth of that pair is the narrowest link on
//! the widest of the shortest paths. A pair with no path is an error that names both nodes.
//!
//! Nodes that no link names individually are interchangeable inside their datacenter, so the
//! paths are searched on a small graph of *classes* (petgraph): one vertex per datacenter for
//! those nodes, and one per node that a link names. The search is Dijkstra on (latency, then
//! the wider bottleneck), exact with zero latencies too. Its cost depends on the number of
//! datacenters and links, not on the number of nodes; only filling the node-pair table (for the
//! run, not for `check`) grows with the square of the node count.

use crate::config::schema::Network;
use crate::sim::Nanos;
use crate::sim::time::us;
use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::visit::EdgeRef;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Latency and bandwidth between every pair of nodes, row-major `from * n + to`.
pub(crate) struct Topology {
    pub(crate) latency: Vec<Nanos>,
    /// Bytes per second, `None` for unlimited.
    pub(crate) bandwidth: Vec<Option<u64>>,
}

/// A path's (or a link's) quality: latency first, then the wider bottleneck. Bandwidth is in
/// bytes per second, `u64::MAX` for unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Label {
    latency: Nanos,
    bandwidth: u64,
}

impl Label {
    const HERE: Label = Label {
        latency: 0,
        bandwidth: u64::MAX,
    };

    /// This path followed by `link`.
    fn then(self, link: Label) -> Label {
        Label {
            latency: self.latency.saturating_add(link.latency),
            bandwidth: self.bandwidth.min(link.bandwidth),
        }
    }

    /// Sort key: smaller is better.
    fn key(self) -> (Nanos, Reverse<u64>) {
        (self.latency, Reverse(self.bandwidth))
    }

    fn better(self, other: Label) -> bool {
        self.key() < other.key()
    }

    fn bandwidth(self) -> Option<u64> {
        (self.bandwidth != u64::MAX).then_some(self.bandwidth)
    }
}

fn link_label(latency_us: f64, mbps: Option<f64>) -> Label {
    Label {
        latency: us(latency_us),
        bandwidth: mbps.map_or(u64::MAX, |m| {
            (m * 1e6 / 8.0).round().clamp(1.0, (u64::MAX - 1) as f64) as u64
        }),
    }
}

/// The class graph and the paths between its vertices.
struct Classes {
    /// Class of each node.
    of: Vec<usize>,
    /// Nodes in each class (for messages and the intra-class rule).
    size: Vec<usize>,
    /// First node of each class.
    first: Vec<usize>,
    /// Best path between two distinct members of one class, if it has two.
    within: Vec<Option<Label>>,
    /// Best path between classes, row-major; `None` when unreachable.
    between: Vec<Option<Label>>,
}

type Fail = (String, String);

/// Which datacenter each node is in (all in one when none are declared).
fn datacenters(network: &Network, node_groups: &[String]) -> Result<Vec<usize>, Fail> {
    if network.datacenters.is_empty() {
        return Ok(vec![0; node_groups.len()]);
    }
    let mut dc = vec![usize::MAX; node_groups.len()];
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
    Ok(dc)
}

/// One end of a link: a datacenter (all its nodes) or one node.
#[derive(Clone, Copy)]
enum End {
    Datacenter(usize),
    Node(usize),
}

fn resolve_ends(network: &Network, node_names: &[String]) -> Result<Vec<(End, End)>, Fail> {
    let end = |name: &str, path: String| -> Result<End, Fail> {
        if let Some(d) = network.datacenters.iter().position(|c| c.name == name) {
            return Ok(End::Datacenter(d));
        }
        node_names
            .iter()
            .position(|x| x == name)
            .map(End::Node)
            .ok_or_else(|| (path, format!("`{name}` is neither a datacenter nor a node")))
    };
    network
        .links
        .iter()
        .enumerate()
        .map(|(l, link)| {
            let path = format!("model.network.links[{l}]");
            Ok((
                end(&link.from, format!("{path}.from"))?,
                end(&link.to, format!("{path}.to"))?,
            ))
        })
        .collect()
}

impl Classes {
    fn build(
        network: &Network,
        node_names: &[String],
        node_groups: &[String],
    ) -> Result<Self, Fail> {
        let n = node_names.len();
        let dc = datacenters(network, node_groups)?;
        let ends = resolve_ends(network, node_names)?;
        // Classes: each node a link names, then the rest of each datacenter.
        let mut of = vec![usize::MAX; n];
        let mut class_dc = Vec::new();
        for &(a, b) in &ends {
            for e in [a, b] {
                if let End::Node(i) = e
                    && of[i] == usize::MAX
                {
                    of[i] = class_dc.len();
                    class_dc.push(dc[i]);
                }
            }
        }
        let mut rest = vec![usize::MAX; dc.iter().copied().max().map_or(0, |d| d + 1)];
        for i in 0..n {
            if of[i] == usize::MAX {
                if rest[dc[i]] == usize::MAX {
                    rest[dc[i]] = class_dc.len();
                    class_dc.push(dc[i]);
                }
                of[i] = rest[dc[i]];
            }
        }
        let k = class_dc.len();
        let mut size = vec![0; k];
        let mut first = vec![usize::MAX; k];
        for (i, &c) in of.iter().enumerate() {
            size[c] += 1;
            first[c] = first[c].min(i);
        }

        let mut graph: UnGraph<(), Label> = UnGraph::with_capacity(k, k);
        let vertices: Vec<NodeIndex> = (0..k).map(|_| graph.add_node(())).collect();
        let mut within: Vec<Option<Label>> = vec![None; k];
        let offer_within = |within: &mut Vec<Option<Label>>, c: usize, l: Label| {
            if size[c] >= 2 && within[c].is_none_or(|w| l.better(w)) {
                within[c] = Some(l);
            }
        };
        let mesh = link_label(network.latency_us, network.bandwidth_mbps);
        for a in 0..k {
            offer_within(&mut within, a, mesh);
            for b in a + 1..k {
                if class_dc[a] == class_dc[b] {
                    graph.add_edge(vertices[a], vertices[b], mesh);
                }
            }
        }
        let members = |e: End| -> Vec<usize> {
            match e {
                End::Datacenter(d) => (0..k).filter(|&c| class_dc[c] == d).collect(),
                End::Node(i) => vec![of[i]],
            }
        };
        for (link, &(from, to)) in network.links.iter().zip(&ends) {
            let label = link_label(link.latency_us, link.bandwidth_mbps);
            for a in members(from) {
                for b in members(to) {
                    if a == b {
                        offer_within(&mut within, a, label);
                    } else {
                        graph.add_edge(vertices[a], vertices[b], label);
                    }
                }
            }
        }

        let mut between = vec![None; k * k];
        for a in 0..k {
            let best = widest_shortest(&graph, vertices[a]);
            for b in 0..k {
                between[a * k + b] = best[b];
            }
            // Two members of one class may also meet through another class and back.
            if size[a] >= 2 {
                for (x, label) in best.iter().enumerate() {
                    if let Some(l) = label
                        && x != a
                    {
                        offer_within(&mut within, a, l.then(*l));
                    }
                }
            }
        }
        Ok(Classes {
            of,
            size,
            first,
            within,
            between,
        })
    }

    fn pair(&self, a: usize, b: usize) -> Option<Label> {
        let (ca, cb) = (self.of[a], self.of[b]);
        if ca == cb {
            self.within[ca]
        } else {
            self.between[ca * self.size.len() + cb]
        }
    }

    /// An error naming two nodes that cannot reach each other, if any.
    fn unreachable(&self, network: &Network, node_names: &[String]) -> Result<(), Fail> {
        let k = self.size.len();
        for a in 0..k {
            for b in a + 1..k {
                if self.between[a * k + b].is_none() {
                    return Err((
                        if network.datacenters.is_empty() {
                            "model.network"
                        } else {
                            "model.network.datacenters"
                        }
                        .into(),
                        format!(
                            "nodes `{}` and `{}` cannot reach each other; add a link between their datacenters",
                            node_names[self.first[a].min(self.first[b])],
                            node_names[self.first[a].max(self.first[b])]
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The best label from `source` to every vertex: Dijkstra ordered by (latency, wider
/// bottleneck), which extending a path by a link preserves, so the search is exact.
fn widest_shortest(graph: &UnGraph<(), Label>, source: NodeIndex) -> Vec<Option<Label>> {
    let mut best: Vec<Option<Label>> = vec![None; graph.node_count()];
    let mut done = vec![false; graph.node_count()];
    let mut heap = BinaryHeap::new();
    best[source.index()] = Some(Label::HERE);
    heap.push(Reverse((Label::HERE.key(), source.index())));
    while let Some(Reverse((_, at))) = heap.pop() {
        if std::mem::replace(&mut done[at], true) {
            continue;
        }
        let here = best[at].expect("queued vertices have a label");
        for edge in graph.edges(NodeIndex::new(at)) {
            let other = if edge.source().index() == at {
                edge.target().index()
            } else {
                edge.source().index()
            };
            let through = here.then(*edge.weight());
            if !done[other] && best[other].is_none_or(|b| through.better(b)) {
                best[other] = Some(through);
                heap.push(Reverse((through.key(), other)));
            }
        }
    }
    best
}

/// Checks that the network names only existing datacenters and nodes and that every node can
/// reach every other, without building the node-pair table (cheap, for `guildsim check`).
pub(crate) fn check(
    network: &Network,
    node_names: &[String],
    node_groups: &[String],
) -> Result<(), Fail> {
    Classes::build(network, node_names, node_groups)?.unreachable(network, node_names)
}

/// Builds the topology of `node_names` (node `i` belongs to group `node_groups[i]`).
pub(crate) fn build(
    network: &Network,
    node_names: &[String],
    node_groups: &[String],
) -> Result<Topology, Fail> {
    let classes = Classes::build(network, node_names, node_groups)?;
    classes.unreachable(network, node_names)?;
    let n = node_names.len();
    let local = us(network.local_latency_us);
    let mut latency = vec![0; n * n];
    let mut bandwidth = vec![None; n * n];
    for a in 0..n {
        for b in 0..n {
            if a == b {
                latency[a * n + b] = local;
            } else {
                let label = classes.pair(a, b).expect("every pair was found reachable");
                latency[a * n + b] = label.latency;
                bandwidth[a * n + b] = label.bandwidth();
            }
        }
    }
    Ok(Topology { latency, bandwidth })
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

    #[test]
    fn zero_latency_links_end_the_search() {
        // Post-mortem: a latency of 0 with 3 or more nodes looped forever looking for the
        // narrowest link (zero-latency predecessors pointed at each other).
        let mut net = network();
        net.latency_us = 0.0;
        net.bandwidth_mbps = Some(100.0);
        let (names, groups) = names(5);
        let t = build(&net, &names, &groups).unwrap();
        assert_eq!(t.latency[1], 0);
        assert_eq!(t.bandwidth[1], Some(12_500_000));
        assert!(check(&net, &names, &groups).is_ok());
    }

    #[test]
    fn equal_latencies_take_the_wider_path() {
        // a and c are joined directly (10 ms, 8 Mbit/s) and through b (5 + 5 ms, unlimited).
        let mut net = network();
        net.datacenters = ["a", "b", "c"]
            .map(|g| Datacenter {
                name: format!("dc-{g}"),
                groups: vec![g.into()],
            })
            .to_vec();
        let link = |from: &str, to: &str, ms: f64, mbps: Option<f64>| Link {
            from: from.into(),
            to: to.into(),
            latency_us: ms * 1e3,
            bandwidth_mbps: mbps,
        };
        net.links = vec![
            link("dc-a", "dc-c", 10.0, Some(8.0)),
            link("dc-a", "dc-b", 5.0, None),
            link("b-0", "dc-c", 5.0, None),
        ];
        let names: Vec<String> = ["a-0", "b-0", "c-0", "c-1"].map(String::from).to_vec();
        let groups: Vec<String> = ["a", "b", "c", "c"].map(String::from).to_vec();
        let t = build(&net, &names, &groups).unwrap();
        assert_eq!(t.latency[2], 10_000_000);
        assert_eq!(t.bandwidth[2], None, "the unlimited path through b");
        // c-0 to c-1: the datacenter's own mesh (200 µs).
        assert_eq!(t.latency[2 * 4 + 3], 200_000);
    }

    #[test]
    fn members_of_a_datacenter_may_meet_through_another() {
        // Inside dc-x the mesh is slow (1 s); through the hub it is 2 x 1 ms.
        let mut net = network();
        net.latency_us = 1e6;
        net.datacenters = vec![
            Datacenter {
                name: "dc-x".into(),
                groups: vec!["x".into()],
            },
            Datacenter {
                name: "dc-h".into(),
                groups: vec!["h".into()],
            },
        ];
        net.links = vec![Link {
            from: "dc-x".into(),
            to: "dc-h".into(),
            latency_us: 1_000.0,
            bandwidth_mbps: None,
        }];
        let names: Vec<String> = ["x-0", "x-1", "x-2", "h-0"].map(String::from).to_vec();
        let groups: Vec<String> = ["x", "x", "x", "h"].map(String::from).to_vec();
        let t = build(&net, &names, &groups).unwrap();
        assert_eq!(t.latency[1], 2_000_000);
    }

    #[test]
    fn a_thousand_nodes_are_checked_at_once() {
        // Post-mortem: 1,000 nodes took 40 s in `check` (Dijkstra over a full mesh per node).
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
        net.links = vec![Link {
            from: "east".into(),
            to: "west".into(),
            latency_us: 5_000.0,
            bandwidth_mbps: None,
        }];
        let names: Vec<String> = (0..1000)
            .map(|i| format!("{}-{}", if i < 500 { "a" } else { "b" }, i % 500))
            .collect();
        let groups: Vec<String> = (0..1000)
            .map(|i| (if i < 500 { "a" } else { "b" }).to_string())
            .collect();
        let classes = Classes::build(&net, &names, &groups).unwrap();
        assert_eq!(
            classes.size.len(),
            2,
            "two classes, not a thousand vertices"
        );
        let t = build(&net, &names, &groups).unwrap();
        assert_eq!(t.latency[999], 5_000_000);
        assert_eq!(t.latency[1], 200_000);
    }
}
