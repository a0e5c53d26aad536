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
