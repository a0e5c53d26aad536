//! Who spends the time: scheduler time per kind of process and per guild, and the fan-out
//! work (the time processes spend making fan-out sends and the per-recipient work around
//! them), so that designs compare on work, not only on latency.

use super::event::ProcRef;
use super::state::World;
use crate::metrics::recorder::ProcessKind;
use crate::sim::Nanos;

impl World {
    /// The kind of process `p` is, for the busy figures.
    pub(crate) fn process_kind(&self, p: ProcRef) -> ProcessKind {
        match p {
            ProcRef::Guild(_) => ProcessKind::Guild,
            ProcRef::Session(_) => ProcessKind::Session,
            ProcRef::Service(i) => self.services[i as usize].kind,
        }
    }

    /// `p` held a scheduler over `[start, end)`.
    pub(crate) fn record_process_busy(&mut self, p: ProcRef, start: Nanos, end: Nanos) {
        let kind = self.process_kind(p);
        let guild = match p {
            ProcRef::Guild(g) => Some(g.index()),
            _ => None,
        };
        self.rec.process_busy(kind, guild, start, end);
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::recorder::ProcessKind;
    use crate::world::event::ProcRef;
    use crate::world::ids::{GuildId, SessionId};
    use crate::world::tiny::{Tiny, assert_close};

    #[test]
    fn busy_time_is_counted_per_kind_of_process() {
        let tiny = Tiny::new(&[4]).set("model.fanout.strategy", "manifold");
        let w = tiny.world();
        assert_eq!(
            w.process_kind(ProcRef::Guild(GuildId(0))),
            ProcessKind::Guild
        );
        assert_eq!(
            w.process_kind(ProcRef::Session(SessionId(3))),
            ProcessKind::Session
        );
        let registry = w.nodes[0].registry.expect("a guild node's registry");
        assert_eq!(
            w.process_kind(ProcRef::Service(registry)),
            ProcessKind::Registry
        );
        let first = w.nodes[1].services_first;
        assert_eq!(
            w.process_kind(ProcRef::Service(first)),
            ProcessKind::Partitioner
        );
        // Naive: only the guild works, 4 sends of 50 µs per publish; two publishes.
        let r = Tiny::new(&[4])
            .set("workload.bursts", "[{guild: 0, at_s: 0.1, count: 2}]")
            .run();
        assert_close(r.summary.busy_s.of("guild"), 400e-6);
        assert_close(r.summary.busy_s.of("worker"), 0.0);
        assert_close(r.summary.busy_s.of("session"), 0.0);
        assert_close(r.summary.fanout_work_s, 400e-6);
    }
}
