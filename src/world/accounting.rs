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
