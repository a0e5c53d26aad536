//! Fan-out strategies: how a guild's event reaches its members. A closed set, one file each:
//!
//! - [`naive`] (2017): the guild sends to each joined member in member order, one send at a
//!   time, in its own single thread.
//! - [`manifold`] (discord/manifold): the guild groups its recipients by node and makes one
//!   send per destination node, to that node's partitioner, whose workers send locally; with
//!   `offload` a local sender process does the guild's grouping and remote sends.
//! - [`relays`] (MJ, secondary): the guild sends once per relay, each relay serving at most
//!   `max_sessions` of its members on one node; the relay checks permissions and sends.
//!
//! [`Fanout`] holds the strategy and its state; each hook below dispatches with one `match`.
//! Manifold and relays send to *groups* of a guild's members ([`groups`]): the members one
//! process sends to. Adding a strategy touches its file, a variant here, its part of the
//! schema (`config::schema`, `fanout`) and the docs.
//!
//! A slice of a sender's work is a run of consecutive sends: their completion times follow in
//! closed form from the slice's start, so a slice is one event however many sends it holds.
//! A send on a channel of finite bandwidth is always the first of its slice, so channels are
//! used in time order.

pub(crate) mod groups;
pub(crate) mod manifold;
mod naive;
pub(crate) mod relays;

use super::channel::SendOutcome;
use super::event::Event;
use super::ids::{GuildId, NodeId};
use super::mailbox::Msg;
use super::process::Work;
use super::sends::Outgoing;
use super::state::{Service, World};
use crate::config::schema::{Experiment, FanoutStrategy, Role};
use crate::metrics::recorder::ProcessKind;
use crate::sim::{EventQueue, Nanos};

/// The fan-out strategy of a run, with its state.
pub(crate) enum Fanout {
    Naive,
    Manifold(manifold::Manifold),
    Relays(relays::Relays),
}

impl Fanout {
    /// Whether the guild itself walks its online members to find an event's recipients (and
    /// allocates for it, `gc.rs`, and checks their permissions, `costs.permission_check_us`):
    /// naive fan-out and Manifold, `offload` or not (its sender only groups the recipients by
    /// node); with relays each relay walks its own members.
    pub(crate) fn guild_walks_members(&self) -> bool {
        match self {
            Fanout::Naive | Fanout::Manifold(_) => true,
            Fanout::Relays(_) => false,
        }
    }

    /// Copies of an event the guild holds after `sends` sends of it (on its binary heap,
    /// `gc.rs`): one per destination node under Manifold without `offload` or `binary` (it
    /// encodes one per node), else one shared binary.
    pub(crate) fn guild_event_copies(&self, sends: u32) -> u64 {
        match self {
            Fanout::Manifold(m) if !m.params.offload && !m.params.binary => sends.max(1) as u64,
            Fanout::Naive | Fanout::Manifold(_) | Fanout::Relays(_) => 1,
        }
    }

    /// The strategy `exp` asks for, with its parameters in engine units.
    pub(crate) fn new(exp: &Experiment) -> Fanout {
        match exp.model.fanout.strategy {
            FanoutStrategy::Naive => Fanout::Naive,
            FanoutStrategy::Manifold => Fanout::Manifold(manifold::Manifold::new(exp)),
            FanoutStrategy::Relays => Fanout::Relays(relays::Relays::new(exp)),
        }
    }

    /// Whether the strategy sends to groups of members (built at the start).
    pub(crate) fn grouped(&self) -> bool {
        !matches!(self, Fanout::Naive)
    }
}

/// What the estimator needs to know of a strategy, from the experiment alone.
pub(crate) struct Estimates {
    /// Mean cost of one of the sends that reach sessions, in µs.
    pub(crate) send_us: f64,
    /// How many processes send one guild's deliveries at once.
    pub(crate) parallel_senders: f64,
    /// Bytes per online membership for one set of the strategy's groups.
    pub(crate) membership_bytes: f64,
    /// Bytes of the strategy's own processes (relays) and what they hold.
    pub(crate) process_bytes: f64,
    /// Events per join or leave of a storm (measured on discord-2017-full: with Manifold a
    /// batch per node and per worker, each an event in and out).
    pub(crate) storm_join_events: f64,
}

/// The estimator's view of `exp`'s strategy: `send_local_us` and `send_remote_us` are the
/// mean send costs, `memberships` and `guilds` the expected online memberships and guilds.
pub(crate) fn estimates(
    exp: &Experiment,
    send_local_us: f64,
    send_remote_us: f64,
    memberships: f64,
    guilds: f64,
) -> Estimates {
    match exp.model.fanout.strategy {
        FanoutStrategy::Naive => naive::estimates(send_local_us, send_remote_us),
        FanoutStrategy::Manifold => manifold::estimates(exp, send_local_us),
        FanoutStrategy::Relays => relays::estimates(exp, send_local_us, memberships, guilds),
    }
}

/// The events of one publish's recipient groups for a guild of `online` members (an arrival
/// and a slice end per group), under `exp`'s strategy.
pub(crate) fn group_events(exp: &Experiment, online: f64) -> f64 {
    match exp.model.fanout.strategy {
        FanoutStrategy::Naive => 0.0,
        FanoutStrategy::Manifold => manifold::group_events(exp, online),
        FanoutStrategy::Relays => relays::group_events(exp, online),
    }
}

/// Every scheduler of the session nodes: how many processes of a grouped strategy can send at
/// once.
fn session_schedulers(exp: &Experiment) -> f64 {
    exp.model
        .nodes
        .iter()
        .filter(|g| g.hosts.contains(&Role::Sessions))
        .map(|g| g.count as f64 * g.schedulers as f64)
        .sum::<f64>()
        .max(1.0)
}

/// The session nodes.
fn session_nodes(exp: &Experiment) -> f64 {
    exp.model
        .nodes
        .iter()
        .filter(|g| g.hosts.contains(&Role::Sessions))
        .map(|g| g.count as f64)
        .sum()
}

impl World {
    /// The guild's sends of `out` for its current message, from `t` in a slice that started
    /// at `now`; returns when the slice's last send completes.
    pub(crate) fn fanout_guild_sends(
        &mut self,
        g: GuildId,
        out: Outgoing,
        first_slice: bool,
        now: Nanos,
        t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        match self.fanout {
            Fanout::Naive => self.naive_sends(g, out, now, t, queue),
            Fanout::Manifold(_) => self.manifold_guild_sends(g, out, first_slice, now, t, queue),
            Fanout::Relays(_) => self.relay_guild_sends(g, out, now, t, queue),
        }
    }

    /// A slice of fan-out service `i` (a partitioner, worker, sender or relay) on `node`,
    /// handling `head`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fanout_service_slice(
        &mut self,
        i: u32,
        node: NodeId,
        kind: ProcessKind,
        head: Msg,
        first_slice: bool,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        match (kind, head) {
            (ProcessKind::Partitioner, Msg::NodeBatch { .. }) => {
                self.partitioner_slice(i, node, head, first_slice, now, queue)
            }
            (ProcessKind::Worker, Msg::WorkerBatch { .. }) => {
                self.worker_slice(i, node, head, now, queue)
            }
            (ProcessKind::Relay, Msg::WorkerBatch { .. }) => {
                self.relay_slice(i, node, head, first_slice, now, queue)
            }
            (ProcessKind::Relay, Msg::RelayUpdate) => self.relay_update(i, now),
            (ProcessKind::Relay, Msg::RelayResync { group }) => self.relay_rebuild(i, group, now),
            (
                ProcessKind::Relay,
                Msg::SyncRequest {
                    slot,
                    missed,
                    opened,
                },
            ) => self.relay_sync(i, slot, missed, opened, now, queue),
            (ProcessKind::Sender, Msg::Batch { .. }) => {
                self.sender_slice(i, node, head, first_slice, now, queue)
            }
            (kind, msg) => unreachable!("{kind:?} got {msg:?}"),
        }
    }

    /// The strategy's processes on node `n` (created with the node's other services), if any.
    pub(crate) fn fanout_node_services(
        fanout: &Fanout,
        node: &mut super::node::Node,
        n: usize,
        services: &mut Vec<Service>,
    ) {
        if let Fanout::Manifold(m) = fanout {
            m.node_services(node, n, services);
        }
    }

    /// Builds every guild's groups (after the active members are known).
    pub(crate) fn build_fanout_groups(&mut self) {
        if self.fanout.grouped() {
            self.build_groups();
        }
    }

    /// What orders a member's slot within its node when groups are built: its Manifold
    /// worker; relays cut a node's run by position instead.
    pub(crate) fn group_sub_key(&self, s: super::ids::SessionId) -> u16 {
        match self.fanout {
            Fanout::Manifold(_) => self.worker_of(s),
            Fanout::Naive | Fanout::Relays(_) => 0,
        }
    }

    /// Cuts `keyed` (a guild's slots, sorted) into groups: one per Manifold worker of a node,
    /// or relays of at most `max_sessions` members each.
    pub(crate) fn cut_into_groups(&mut self, keyed: &[groups::Keyed]) {
        match self.fanout {
            Fanout::Relays(_) => self.cut_relays(keyed),
            Fanout::Naive | Fanout::Manifold(_) => self.cut_groups(keyed),
        }
    }

    /// Guild `g`'s range groups `from..` are built: under relays each goes through the relay
    /// of its members.
    pub(crate) fn range_groups_built(&mut self, g: GuildId, from: usize) {
        if let Fanout::Relays(_) = self.fanout {
            self.relay_range_groups(g, from);
        }
    }

    /// The index (into `groups`) of the group holding `slot` of guild `g`.
    ///
    /// Groups are ordered by (passive, node, worker) under Manifold, and by (passive, node,
    /// first member) under relays, whose groups cut a node's members into runs.
    pub(crate) fn group_of(&self, g: GuildId, slot: u32) -> Option<usize> {
        match self.fanout {
            Fanout::Naive => None,
            Fanout::Manifold(_) => self.manifold_group_of(g, slot),
            Fanout::Relays(_) => self.relay_group_of(g, slot),
        }
    }

    /// What orders a member's groups within its node: its Manifold worker, or under relays
    /// the place of its relay among the guild's relays on that node.
    pub(crate) fn sub_group_of(&self, g: GuildId, slot: u32) -> u16 {
        match self.fanout {
            Fanout::Relays(_) => self.groups[self.group_of(g, slot).expect("a relay")].worker,
            Fanout::Naive | Fanout::Manifold(_) => {
                self.worker_of(self.member_session[slot as usize])
            }
        }
    }

    /// The strategy's memory at the start, on the nodes that hold it (relays' member lists).
    pub(crate) fn fanout_memory(&mut self) {
        if let Fanout::Relays(_) = self.fanout {
            self.relay_memory();
        }
    }

    /// The deliveries lost with `msg`, queued at fan-out service `i` when its node crashed;
    /// `active`: it was being handled, and `next` is the work's progress.
    pub(crate) fn lost_in_mailbox(&self, i: u32, msg: Msg, active: bool, next: u32) -> u64 {
        match (self.services[i as usize].kind, msg) {
            (
                ProcessKind::Partitioner,
                Msg::NodeBatch {
                    first_group,
                    groups,
                    snapshot,
                    origin,
                    ..
                },
            ) => {
                let from = if active { next } else { first_group };
                (from..first_group + groups as u32)
                    .map(|k| self.group_recipients(self.groups[k as usize], 0, snapshot, origin))
                    .map(u64::from)
                    .sum()
            }
            (
                ProcessKind::Worker | ProcessKind::Relay,
                Msg::WorkerBatch {
                    group,
                    snapshot,
                    origin,
                    ..
                },
            ) => {
                let from = if active { next } else { 0 };
                self.group_recipients(self.groups[group as usize], from, snapshot, origin) as u64
            }
            _ => 0,
        }
    }

    /// The fan-out processes a guild's messages pass through, for a trace's guild filter:
    /// Manifold's partitioners, senders and workers.
    pub(crate) fn fanout_processes_of(&self, g: GuildId, mark: &mut [bool]) {
        if let Fanout::Manifold(_) = self.fanout {
            self.manifold_processes_of(g, mark);
        }
    }

    /// One send from `from` to `to` starting at `t` in a slice that started at `now`: the
    /// sender's completion time and the time the last byte leaves. `None` when the send must
    /// wait: the channel is busy (the sender is suspended), or it has a finite bandwidth and
    /// the send is not the first of its slice. `fixed`: the fan-out's (local, remote) costs
    /// when they are not drawn per send.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_on_channel(
        &mut self,
        from: NodeId,
        to: NodeId,
        now: Nanos,
        t: Nanos,
        bytes: u64,
        fixed: Option<(Nanos, Nanos)>,
        work: &mut Work,
    ) -> Option<(Nanos, Nanos)> {
        let remote = from != to;
        let mut leaves = t;
        if remote && self.channels.limited(from.index(), to.index()) {
            if t > now {
                return None;
            }
            match self.channels.send(from.index(), to.index(), t, bytes) {
                SendOutcome::Leaves(x) => leaves = x,
                SendOutcome::BusyUntil(until) => {
                    work.suspended_until = until;
                    return None;
                }
            }
        }
        let cost = match (remote, fixed) {
            (true, Some((_, cost))) | (false, Some((cost, _))) => cost,
            (true, None) => self.params.send_remote.sample(&mut self.costs_rng),
            (false, None) => self.params.send_local.sample(&mut self.costs_rng),
        };
        self.rec.inter_node_messages += u64::from(remote);
        Some((t + cost, leaves))
    }

    /// Manifold's state (the strategy is Manifold).
    #[inline]
    pub(crate) fn manifold(&self) -> &manifold::Manifold {
        match &self.fanout {
            Fanout::Manifold(m) => m,
            _ => unreachable!("Manifold's state asked for under another strategy"),
        }
    }

    /// Relays' state (the strategy is relays).
    #[inline]
    pub(crate) fn relays(&self) -> &relays::Relays {
        match &self.fanout {
            Fanout::Relays(r) => r,
            _ => unreachable!("relays' state asked for under another strategy"),
        }
    }

    #[inline]
    pub(crate) fn relays_mut(&mut self) -> &mut relays::Relays {
        match &mut self.fanout {
            Fanout::Relays(r) => r,
            _ => unreachable!("relays' state asked for under another strategy"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn the_estimator_counts_a_batch_per_node_and_worker_or_per_relay() {
        // Tiny: 2 session nodes of 4 schedulers (a worker each). A publish to 5 members:
        // Manifold, a batch per node (2) and per worker with recipients (at most 5), each an
        // arrival and a slice end; relays of at most 2, min(5, 2) + 5 / 2; naive, none.
        let exp = |strategy: &str| {
            Tiny::new(&[5])
                .set("model.fanout.strategy", strategy)
                .set("model.fanout.relays.max_sessions", "2")
                .loaded()
                .experiment
        };
        assert_eq!(group_events(&exp("naive"), 5.0), 0.0);
        assert_eq!(group_events(&exp("manifold"), 5.0), 2.0 * (2.0 + 5.0));
        assert_eq!(group_events(&exp("relays"), 5.0), 2.0 * (2.0 + 2.5));
        assert_eq!(estimates(&exp("naive"), 2.0, 50.0, 5.0, 1.0).send_us, 50.0);
        let manifold = estimates(&exp("manifold"), 2.0, 50.0, 5.0, 1.0);
        assert_eq!((manifold.send_us, manifold.parallel_senders), (2.0, 8.0));
    }

    #[test]
    fn only_the_grouped_strategies_build_groups() {
        for (strategy, grouped) in [("naive", false), ("manifold", true), ("relays", true)] {
            let w = Tiny::new(&[4])
                .set("model.fanout.strategy", strategy)
                .world();
            assert_eq!(w.fanout.grouped(), grouped, "{strategy}");
            assert_eq!(!w.groups.is_empty(), grouped, "{strategy}");
        }
    }
}
