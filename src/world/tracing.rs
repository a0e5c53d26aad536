//! The model's hooks into the timeline trace (`crate::metrics::trace`): each is an inlined
//! check of `World::trace` that calls a cold function only when a trace is being taken, so a
//! run without a trace pays one predictable branch per hook and nothing in the send loops.
//! Also which processes a trace's guild filter covers, and how processes are named.

use super::event::ProcRef;
use super::ids::{GuildId, NodeId};
use super::process::Work;
use super::state::World;
use crate::config::schema::TraceConfig;
use crate::metrics::recorder::ProcessKind;
use crate::metrics::trace::{Counter, FanoutRec, Filter, Mark, Proc, Trace};
use crate::sim::Nanos;
use crate::sim::time::secs;

impl World {
    /// Starts taking a trace with `cfg`'s window, filters and cap (validated).
    pub(crate) fn enable_trace(&mut self, cfg: &TraceConfig) {
        // The trace records each slice end where the queue handles it (`deferred.rs`).
        self.params.defer_slice_ends = false;
        let mut filter = Filter {
            nodes: self
                .nodes
                .iter()
                .map(|n| {
                    cfg.nodes
                        .as_ref()
                        .is_none_or(|names| names.contains(&n.name))
                })
                .collect(),
            ..Default::default()
        };
        if let Some(guilds) = &cfg.guilds {
            self.filter_guilds(&mut filter, guilds);
        }
        let to = cfg.to_s.map_or(self.params.horizon, secs);
        self.trace = Some(Box::new(Trace::new(
            secs(cfg.from_s),
            to,
            cfg.max_events,
            filter,
        )));
    }

    /// The guilds of `guilds`, their members' sessions, and the processes their messages pass
    /// through: Manifold's partitioners, senders and workers, the guilds' registries, and the
    /// ring processes of their members' nodes.
    fn filter_guilds(&self, filter: &mut Filter, guilds: &[u32]) {
        let mut g_mask = vec![false; self.guilds.len()];
        let mut s_mask = vec![false; self.sessions.len()];
        let mut p_mask = vec![false; self.services.len()];
        for &g in guilds {
            let gid = GuildId(g);
            let guild = &self.guilds[g as usize];
            g_mask[g as usize] = true;
            if let Some(registry) = self.nodes[guild.node.index()].registry {
                p_mask[registry as usize] = true;
            }
            for slot in guild.first..guild.first + guild.len {
                let s = self.member_session[slot as usize];
                s_mask[s.index()] = true;
                if let Some(ring) = self.nodes[self.session_node[s.index()].index()].ring_process {
                    p_mask[ring as usize] = true;
                }
            }
            self.fanout_processes_of(gid, &mut p_mask);
        }
        filter.guilds = Some(g_mask);
        filter.sessions = Some(s_mask);
        filter.services = Some(p_mask);
    }

    /// The trace's name of `p`.
    pub(crate) fn trace_proc(&self, p: ProcRef) -> Proc {
        let index = match p {
            ProcRef::Guild(g) => g.0,
            ProcRef::Session(s) => s.0,
            ProcRef::Service(i) => i,
        };
        Proc {
            kind: self.process_kind(p),
            index,
        }
    }

    /// A process's label in the trace: `guild 12`, `session 4031`, `worker 3`, `partitioner 0`.
    pub(crate) fn process_label(&self, p: Proc) -> String {
        let number = match p.kind {
            ProcessKind::Guild | ProcessKind::Session => p.index,
            _ => self.service_number(p.index),
        };
        format!("{} {number}", p.kind.name())
    }

    /// A service's number among its node's services of its kind.
    fn service_number(&self, i: u32) -> u32 {
        self.services[i as usize].number
    }

    /// `p` starts a slice on a scheduler of its node at `now`.
    #[inline(always)]
    pub(crate) fn trace_slice(&mut self, p: ProcRef, now: Nanos) {
        if self.trace.is_some() {
            self.trace_slice_cold(p, now);
        }
    }

    #[cold]
    #[inline(never)]
    fn trace_slice_cold(&mut self, p: ProcRef, now: Nanos) {
        let (node, proc) = (self.node_of(p).0, self.trace_proc(p));
        if let Some(t) = self.trace.as_deref_mut() {
            t.slice(node, proc, now);
        }
    }

    /// The slice started by [`World::trace_slice`] ends at `end`.
    #[inline(always)]
    pub(crate) fn trace_slice_done(&mut self, end: Nanos) {
        if let Some(t) = self.trace.as_deref_mut() {
            t.slice_done(end);
        }
    }

    /// A message to `to` arriving at `at` (a flow when it crosses nodes).
    #[inline(always)]
    pub(crate) fn trace_message(&mut self, to: ProcRef, at: Nanos) {
        if self.trace.is_some() {
            self.trace_message_cold(to, at);
        }
    }

    #[cold]
    #[inline(never)]
    fn trace_message_cold(&mut self, to: ProcRef, at: Nanos) {
        let (node, proc) = (self.node_of(to).0, self.trace_proc(to));
        if let Some(t) = self.trace.as_deref_mut() {
            t.message(proc, node, at);
        }
    }

    /// `p`'s mailbox holds `depth` messages at `now` (sessions are not traced: too many).
    #[inline(always)]
    pub(crate) fn trace_mailbox(&mut self, p: ProcRef, node: NodeId, depth: u32, now: Nanos) {
        if self.trace.is_some() && !matches!(p, ProcRef::Session(_)) {
            self.trace_counter_cold(
                Counter::Mailbox(node.0, self.trace_proc(p)),
                now,
                depth as u64,
            );
        }
    }

    /// `node`'s run queue changed at `now`.
    #[inline(always)]
    pub(crate) fn trace_run_queue(&mut self, node: usize, now: Nanos) {
        if self.trace.is_some() {
            let len = self.nodes[node].run_queue.len() as u64;
            self.trace_counter_cold(Counter::RunQueue(node as u16), now, len);
        }
    }

    /// `node`'s memory is `bytes` at `now`.
    #[inline(always)]
    pub(crate) fn trace_memory(&mut self, node: NodeId, now: Nanos, bytes: u64) {
        if self.trace.is_some() {
            self.trace_counter_cold(Counter::Memory(node.0), now, bytes);
        }
    }

    /// The number of sessions online changed at `now`.
    #[inline(always)]
    pub(crate) fn trace_online(&mut self, now: Nanos) {
        if self.trace.is_some() {
            let online = self.sessions_online as u64;
            self.trace_counter_cold(Counter::SessionsOnline, now, online);
        }
    }

    #[cold]
    #[inline(never)]
    fn trace_counter_cold(&mut self, counter: Counter, now: Nanos, value: u64) {
        if let Some(t) = self.trace.as_deref_mut() {
            t.counter(counter, now, value);
        }
    }

    /// Guild `g` finished handling a message at `end`, started at `work.started` (a publish
    /// unless `presence`).
    #[inline(always)]
    pub(crate) fn trace_fanout(&mut self, g: GuildId, work: &Work, end: Nanos, presence: bool) {
        if self.trace.is_some() {
            self.trace_fanout_cold(g, work, end, presence);
        }
    }

    #[cold]
    #[inline(never)]
    fn trace_fanout_cold(&mut self, g: GuildId, work: &Work, end: Nanos, presence: bool) {
        let rec = FanoutRec {
            guild: g.0,
            node: self.guilds[g.index()].node.0,
            start: work.started,
            end,
            recipients: work.recipients,
            presence,
        };
        if let Some(t) = self.trace.as_deref_mut() {
            t.fanout(rec);
        }
    }

    /// Something happened at `now` (a crash, a restart, a burst).
    #[inline(always)]
    pub(crate) fn trace_mark(&mut self, now: Nanos, mark: Mark) {
        if let Some(t) = self.trace.as_deref_mut() {
            t.mark(now, mark);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::ids::SessionId;
    use crate::world::tiny::Tiny;

    #[test]
    fn a_guild_filter_covers_its_members_and_the_processes_its_messages_pass_through() {
        let mut w = Tiny::new(&[2, 2])
            .set("model.fanout.strategy", "manifold")
            .set("workload.users.guilds_per_user_mean", "2")
            .world();
        let mut filter = Filter::default();
        w.filter_guilds(&mut filter, &[1]);
        assert_eq!(filter.guilds, Some(vec![false, true]));
        let sessions = filter.sessions.expect("sessions filtered");
        for (s, &traced) in sessions.iter().enumerate() {
            let member = (w.guilds[1].first..w.guilds[1].first + 2)
                .any(|slot| w.member_session[slot as usize] == SessionId(s as u32));
            assert_eq!(traced, member, "session {s}");
        }
        let services = filter.services.expect("services filtered");
        let registry = w.nodes[0].registry.expect("a registry") as usize;
        assert!(services[registry]);
        // Each session node's partitioner for the guild, not the other partitioners.
        for n in [1u16, 2] {
            let p = w.partitioner_of(NodeId(n), GuildId(1)) as usize;
            assert!(services[p]);
        }
        // Taking a trace queues every slice end.
        w.enable_trace(&TraceConfig::default());
        assert!(!w.params.defer_slice_ends);
        assert!(w.trace.is_some());
    }

    #[test]
    fn processes_are_named_by_kind_and_number() {
        let w = Tiny::new(&[3])
            .set("model.fanout.strategy", "manifold")
            .world();
        let label = |p| w.process_label(w.trace_proc(p));
        assert_eq!(label(ProcRef::Guild(GuildId(0))), "guild 0");
        assert_eq!(label(ProcRef::Session(SessionId(2))), "session 2");
        // Session node 1's services: partitioner 0, workers 0-3, sender 0, then its ring.
        let first = w.nodes[1].services_first;
        assert_eq!(label(ProcRef::Service(first)), "partitioner 0");
        assert_eq!(label(ProcRef::Service(first + 3)), "worker 2");
        assert_eq!(label(ProcRef::Service(first + 5)), "sender 0");
    }
}
