//! A tiny world for focused tests of the model's mechanisms: an experiment of a handful of
//! entities written in a few lines (guild sizes, and any field set as `--set` sets it), built
//! and run through the same code as every run, so that a test can look at one mechanism's
//! sends, order, counters and memory.
//!
//! ```ignore
//! let r = Tiny::new(&[5]).set("model.fanout.strategy", "manifold").publish_at(0.1).run();
//! assert_eq!(r.summary.guild_sends, 2);
//! ```

use crate::config::yaml_source;
use crate::config::{Assembled, Loaded, finish};
use crate::runner::{self, RunResult};
use crate::world::World;
use std::path::PathBuf;

/// A tiny experiment: one guild node and two session nodes of 4 schedulers each, 100 µs
/// between nodes, sends of 2 µs (local) and 50 µs (remote), naive fan-out; guilds of the given
/// sizes with every member online, each user in one guild; no publishing unless asked; a
/// run of 1 s.
#[derive(Clone)]
pub(crate) struct Tiny {
    sizes: Vec<u32>,
    sets: Vec<String>,
}

impl Tiny {
    pub(crate) fn new(sizes: &[u32]) -> Tiny {
        Tiny {
            sizes: sizes.to_vec(),
            sets: Vec::new(),
        }
    }

    /// Sets field `path` to `value` (YAML), as `--set path=value` does.
    pub(crate) fn set(mut self, path: &str, value: &str) -> Tiny {
        self.sets.push(format!("{path}={value}"));
        self
    }

    /// `session-1` (with round-robin placement, sessions 1, 3, ...) restarts at 0.2 s for 0.3
    /// s, its sessions reconnecting at once at 0.5 s.
    pub(crate) fn restart_session_1(self) -> Tiny {
        self.set("workload.users.placement", ROUND_ROBIN).set(
            "workload.storms",
            "[{node_restart: {node: session-1, at_s: 0.2, down_s: 0.3, reconnect_jitter_s: 0}}]",
        )
    }

    /// One publish into guild 0 at `at_s`.
    pub(crate) fn publish_at(self, at_s: f64) -> Tiny {
        self.set(
            "workload.bursts",
            &format!("[{{guild: 0, at_s: {at_s}, count: 1}}]"),
        )
    }

    fn text(&self) -> String {
        let sizes: Vec<String> = self.sizes.iter().map(u32::to_string).collect();
        format!(
            "name: tiny
seed: 1
model:
  nodes:
    - {{name: guild, count: 1, hosts: [guilds], schedulers: 4}}
    - {{name: session, count: 2, hosts: [sessions], schedulers: 4}}
  network: {{latency_us: 100, local_latency_us: 0}}
  costs:
    send_local: {{dist: constant, us: 2}}
    send_remote: {{dist: constant, us: 50}}
  scheduling: {{time_slice_us: 1000}}
  fanout: {{strategy: naive}}
run:
  horizon_s: 1
workload:
  guilds:
    sizes: {{list: [{}]}}
    online_fraction: 1.0
  users:
    guilds_per_user_mean: 1
  publishes:
    rate: {{per_guild_per_s: 0}}
output:
  sample_interval_ms: 100
",
            sizes.join(", ")
        )
    }

    /// The experiment, validated as any run's.
    pub(crate) fn loaded(&self) -> Loaded {
        let (mut doc, mut map) = yaml_source::parse_str(&self.text(), "tiny.yaml").expect("tiny");
        for set in &self.sets {
            yaml_source::apply_set(&mut doc, &mut map, set).unwrap_or_else(|e| panic!("{e}"));
        }
        finish(Assembled {
            doc,
            map,
            path: PathBuf::from("tiny.yaml"),
            name: "tiny".into(),
            input_bytes: 0,
        })
        .unwrap_or_else(|e| panic!("a tiny world that validates: {e}"))
    }

    /// The world built, before anything runs.
    pub(crate) fn world(&self) -> World {
        let mut queue = crate::sim::EventQueue::new();
        crate::world::build(&self.loaded().experiment, &mut queue).expect("a tiny world builds")
    }

    /// The whole run, summarised.
    pub(crate) fn run(&self) -> RunResult {
        runner::simulate(&self.loaded(), |_| {}).expect("a tiny world runs")
    }
}

/// Asserts that `actual` is `expected` to within rounding (summary figures are rounded to six
/// decimals, and hand-computed ones are sums of microseconds).
#[track_caller]
pub(crate) fn assert_close(actual: f64, expected: f64) {
    let tolerance = 1e-9 + 1e-6 * expected.abs();
    assert!(
        (actual - expected).abs() <= tolerance,
        "expected {expected}, got {actual}"
    );
}

/// Nodes for tests that need local sends: one node hosting guilds and sessions (`mixed-0`,
/// node 0) and one hosting sessions (`session-0`, node 1), with sessions placed in turn
/// (session `i` on node `i % 2`). Use as `.set("model.nodes", MIXED_NODES)` with
/// [`ROUND_ROBIN`] for `workload.users.placement`.
pub(crate) const MIXED_NODES: &str = "[{name: mixed, count: 1, hosts: [guilds, sessions], \
     schedulers: 4}, {name: session, count: 1, hosts: [sessions], schedulers: 4}]";

/// Sessions placed in turn on the session nodes: with Tiny's nodes, session `i` is on
/// `session-(i % 2)` (node `1 + i % 2`).
pub(crate) const ROUND_ROBIN: &str = "round_robin";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_world_builds_and_runs() {
        let w = Tiny::new(&[3, 5]).world();
        assert_eq!((w.guilds.len(), w.sessions.len(), w.nodes.len()), (2, 8, 3));
        let r = Tiny::new(&[3, 5]).publish_at(0.1).run();
        assert_eq!(r.summary.publishes_total, 1);
        assert_eq!(r.summary.deliveries_total, 3);
    }
}
