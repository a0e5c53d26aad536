//! The consistent-hash ring (after discord/ex_hash_ring): each guild node owns `replicas`
//! virtual points on a 64-bit circle, derived from md5 of `"<node name>:<replica>"`; a key
//! belongs to the node of the first point at or after its hash (wrapping around), found by
//! binary search. Adding or removing a node moves only the keys that must move: those that
//! land on its points.

use super::ids::NodeId;
use md5::{Digest, Md5};

#[derive(Clone, Debug)]
pub(crate) struct Ring {
    /// (point, node), sorted by point.
    points: Vec<(u64, NodeId)>,
}

/// The ring point of replica `replica` of the node called `name`.
fn point(name: &str, replica: u32) -> u64 {
    let digest = Md5::digest(format!("{name}:{replica}").as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("md5 has 16 bytes"))
}

impl Ring {
    /// A ring over `nodes` (id and name), `replicas` points each.
    pub(crate) fn new(nodes: &[(NodeId, String)], replicas: u32) -> Self {
        assert!(
            !nodes.is_empty() && replicas > 0,
            "a ring needs nodes and replicas"
        );
        let mut points: Vec<(u64, NodeId)> = nodes
            .iter()
            .flat_map(|(id, name)| (0..replicas).map(move |r| (point(name, r), *id)))
            .collect();
        // Ties (practically impossible with md5) break by node id, deterministically.
        points.sort_unstable();
        Self { points }
    }

    /// The node that owns `key` (a 64-bit hash of the guild id).
    #[inline]
    pub(crate) fn lookup(&self, key: u64) -> NodeId {
        let i = self.points.partition_point(|&(p, _)| p < key);
        self.points[if i == self.points.len() { 0 } else { i }].1
    }

    pub(crate) fn points(&self) -> usize {
        self.points.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::hash64;

    fn nodes(n: u16) -> Vec<(NodeId, String)> {
        (0..n).map(|i| (NodeId(i), format!("guild-{i}"))).collect()
    }

    #[test]
    fn keys_spread_evenly_over_nodes() {
        let ring = Ring::new(&nodes(10), 512);
        assert_eq!(ring.points(), 5120);
        let mut counts = [0u32; 10];
        for g in 0..100_000u64 {
            counts[ring.lookup(hash64(1, g)).index()] += 1;
        }
        for c in counts {
            assert!((8_500..11_500).contains(&c), "unbalanced ring: {counts:?}");
        }
    }

    #[test]
    fn removing_a_node_moves_only_its_keys() {
        let before = Ring::new(&nodes(10), 512);
        let after = Ring::new(&nodes(9), 512);
        let (mut moved, mut on_removed) = (0, 0);
        for g in 0..50_000u64 {
            let key = hash64(1, g);
            let (a, b) = (before.lookup(key), after.lookup(key));
            if a == NodeId(9) {
                on_removed += 1;
            }
            if a != b {
                moved += 1;
                assert_eq!(a, NodeId(9), "a key moved off a node that stayed");
            }
        }
        assert_eq!(moved, on_removed);
        assert!(moved > 0);
    }

    #[test]
    fn adding_a_node_moves_keys_only_to_it() {
        let before = Ring::new(&nodes(10), 512);
        let after = Ring::new(&nodes(11), 512);
        let mut moved = 0;
        for g in 0..50_000u64 {
            let key = hash64(1, g);
            let (a, b) = (before.lookup(key), after.lookup(key));
            if a != b {
                moved += 1;
                assert_eq!(b, NodeId(10), "a key moved between nodes that stayed");
            }
        }
        // About 1/11 of the keys.
        assert!((3_500..5_600).contains(&moved), "moved {moved}");
    }
}
