//! When a fan-out's sends draw their cost (`costs.send_draw`): per send (the default, from the
//! `costs` stream), or once per fan-out or per interval on each node, so that the cost of the
//! moment holds for many sends (a fan-out of 30,000 sends at one draw of 30-70 µs takes
//! 0.9-2.1 s, V1).
//!
//! A fixed draw comes from a generator keyed by the process and the time its message started
//! (per fan-out) or by the node and the interval (per interval), so it is the same in every
//! slice of the fan-out and takes nothing from the `costs` stream.

use super::event::ProcRef;
use super::ids::NodeId;
use super::state::World;
use crate::sim::Nanos;
use crate::sim::rng::{hash64, keyed_stream};

/// When fan-out send costs are drawn, in engine units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // `per_send`, `per_fanout`, `per_interval`: when a cost is drawn
pub(crate) enum Draw {
    PerSend,
    PerFanout,
    /// Interval length in nanoseconds (>= 1).
    PerInterval(Nanos),
}

impl World {
    /// The (local, remote) cost every send of `p`'s current fan-out takes in a slice starting
    /// at `now` on `node`, when costs are not drawn per send; `started`: when `p` started
    /// handling the message.
    pub(crate) fn fanout_costs(
        &self,
        p: ProcRef,
        node: NodeId,
        started: Nanos,
        now: Nanos,
    ) -> Option<(Nanos, Nanos)> {
        let index = match self.params.send_draw {
            Draw::PerSend => return None,
            Draw::PerFanout => {
                let process = match p {
                    ProcRef::Guild(g) => g.0 as u64,
                    ProcRef::Session(s) => 1 << 32 | s.0 as u64,
                    ProcRef::Service(i) => 2 << 32 | i as u64,
                };
                hash64(process, started)
            }
            Draw::PerInterval(interval) => hash64(node.0 as u64, now / interval),
        };
        let mut rng = keyed_stream(self.params.cost_key, index);
        let local = self.params.send_local.sample(&mut rng);
        let remote = self.params.send_remote.sample(&mut rng);
        Some((local, remote))
    }
}

impl World {
    /// When a slice of fan-out sends starting at `now` on `node` must end: at the end of the
    /// time slice (see [`World::slice_deadline`]), and, with costs drawn per interval, at the
    /// end of the interval, so that each slice takes the costs of one interval.
    pub(crate) fn fanout_deadline(&self, node: NodeId, now: Nanos) -> Nanos {
        let end = self.slice_deadline(node, now);
        match self.params.send_draw {
            Draw::PerInterval(interval) => end.min((now / interval + 1).saturating_mul(interval)),
            Draw::PerSend | Draw::PerFanout => end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::{Tiny, assert_close};

    fn uniform_remote(draw: &str) -> Tiny {
        Tiny::new(&[5])
            .set(
                "model.costs.send_remote",
                "{dist: uniform, min_us: 10, max_us: 90}",
            )
            .set("model.costs.send_draw", draw)
            .publish_at(0.1)
    }

    #[test]
    fn a_cost_drawn_per_fanout_holds_for_every_send_of_it() {
        // Five sends of one cost c: latencies 100 + c, ..., 100 + 5c µs.
        let s = uniform_remote("per_fanout").run().summary;
        let c = s.latency_ms.min - 0.1;
        assert!(c > 0.0);
        assert_close(s.latency_ms.max, 0.1 + 5.0 * c);
        assert_close(s.latency_ms.mean, 0.1 + 3.0 * c);
        // Busy seconds are rounded to the microsecond.
        assert!((s.busy_s.of("guild") - 5.0 * c / 1e3).abs() <= 0.5e-6);
        // Per send, five draws: not evenly spaced (with this seed).
        let s = uniform_remote("per_send").run().summary;
        let c = s.latency_ms.min - 0.1;
        assert!((s.latency_ms.max - (0.1 + 5.0 * c)).abs() > 1e-3);
    }

    #[test]
    fn a_cost_drawn_per_interval_is_the_nodes_for_the_whole_interval() {
        let w = uniform_remote("{per_interval_ms: 1}").world();
        let (guild, node) = (ProcRef::Guild(crate::world::ids::GuildId(0)), NodeId(0));
        let ms = 1_000_000;
        let a = w
            .fanout_costs(guild, node, 0, ms + 100)
            .expect("a fixed cost");
        let b = w
            .fanout_costs(guild, node, 7, 2 * ms - 1)
            .expect("a fixed cost");
        assert_eq!(a, b, "the same interval, whoever asks, whenever it started");
        assert!((10_000..=90_000).contains(&a.1));
        // A slice ends with its interval (the guild node is uncontended: no time slice).
        assert_eq!(w.fanout_deadline(node, ms + 500_000), 2 * ms);
        // Per send: no fixed cost.
        let w = uniform_remote("per_send").world();
        assert_eq!(w.fanout_costs(guild, node, 0, ms), None);
        assert_eq!(w.fanout_deadline(node, ms), Nanos::MAX);
    }
}
