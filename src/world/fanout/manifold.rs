//! Manifold (B17, discord/manifold): the guild finds its recipients (a permission check per
//! member, `costs.permission_check_us`), groups them by node (a cost per recipient) and makes one send per destination node, to that node's partitioner; the
//! partitioner pays a hashing cost per recipient and sends one local message to each worker
//! that has recipients; each worker sends the event to its recipients (one local send each).
//! A recipient always goes to the same worker and a guild to the same partitioner, so every
//! session receives a guild's events in publish order. With `offload`, a local sender process
//! does the guild's grouping and per-node sends in its place; with `binary`, the event is
//! encoded once per publish instead of once per destination node.

use crate::config::schema::Experiment;
use crate::metrics::recorder::ProcessKind;
use crate::sim::rng::hash64;
use crate::sim::{EventQueue, Nanos};
use crate::world::event::{Event, ProcRef};
use crate::world::ids::{GuildId, NodeId, SessionId};
use crate::world::mailbox::Msg;
use crate::world::node::Node;
use crate::world::process::ProcCore;
use crate::world::sends::Outgoing;
use crate::world::state::{Service, World};
use crate::world::targets::Target;

/// Manifold's parameters in engine units, and its hashing key.
pub(crate) struct Manifold {
    pub(crate) params: ManifoldParams,
    /// Key for hashing guilds onto partitioners and sessions onto workers.
    pub(crate) key: u64,
}

pub(crate) struct ManifoldParams {
    pub(crate) partitioners: u32,
    pub(crate) group_cost_per_recipient_ns: f64,
    pub(crate) partition_cost_per_recipient_ns: f64,
    pub(crate) offload: bool,
    pub(crate) binary: bool,
}

impl Manifold {
    pub(crate) fn new(exp: &Experiment) -> Manifold {
        let m = &exp.model.fanout.manifold;
        Manifold {
            params: ManifoldParams {
                partitioners: m.partitioners,
                group_cost_per_recipient_ns: m.group_cost_per_recipient_us * 1e3,
                partition_cost_per_recipient_ns: m.partition_cost_per_recipient_us * 1e3,
                offload: m.offload,
                binary: m.binary,
            },
            key: hash64(exp.seed, 0x6d61_6e69_666f_6c64),
        }
    }

    /// Node `n`'s partitioners, workers and senders, from service index `services.len()`.
    pub(super) fn node_services(&self, node: &mut Node, n: usize, services: &mut Vec<Service>) {
        node.services_first = services.len() as u32;
        let mut add = |kind: ProcessKind, number: u32| {
            services.push(Service {
                core: ProcCore::default(),
                node: NodeId(n as u16),
                kind,
                number,
                work: Default::default(),
            })
        };
        for p in 0..self.params.partitioners {
            add(ProcessKind::Partitioner, p);
        }
        for w in 0..node.workers {
            add(ProcessKind::Worker, w);
        }
        for p in 0..self.params.partitioners {
            add(ProcessKind::Sender, p);
        }
    }
}

/// The estimator's view: workers send to sessions on their own node, every scheduler of the
/// session nodes at once; a storm's join or leave is a batch per node and per worker, each an
/// event in and out (measured on discord-2017-full: 160 events per join).
pub(super) fn estimates(exp: &Experiment, send_local_us: f64) -> super::Estimates {
    super::Estimates {
        send_us: send_local_us,
        parallel_senders: super::session_schedulers(exp),
        membership_bytes: super::groups::MEMBERSHIP_BYTES,
        process_bytes: 0.0,
        storm_join_events: 160.0,
    }
}

/// The events of one publish to a guild of `online` members: a batch per destination node
/// and per (node, worker), each an arrival and a slice end.
pub(super) fn group_events(exp: &Experiment, online: f64) -> f64 {
    let workers: f64 = exp
        .model
        .nodes
        .iter()
        .filter(|g| g.hosts.contains(&crate::config::schema::Role::Sessions))
        .map(|g| {
            g.count as f64
                * exp
                    .model
                    .fanout
                    .manifold
                    .workers_per_node
                    .unwrap_or(g.schedulers) as f64
        })
        .sum();
    2.0 * (online.min(super::session_nodes(exp)) + online.min(workers))
}

impl World {
    /// Manifold, in the guild: group by node and send once per node, or hand the publish to
    /// a local sender process (`offload`).
    pub(super) fn manifold_guild_sends(
        &mut self,
        g: GuildId,
        out: Outgoing,
        first_slice: bool,
        now: Nanos,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let gi = g.index();
        let node = self.guilds[gi].node;
        // Manifold's snapshot: the members joined by now.
        let out = Outgoing {
            snapshot: self.guilds[gi].join_seq,
            ..out
        };
        let to_worker = self.to_everyone_worker(g, &out);
        if self.manifold().params.offload || to_worker {
            // The guild still finds the recipients (permission checks), unless a worker does
            // (`everyone.rs`); the sender groups them by node and sends.
            let target = self.fanout_target(g, &out);
            let recipients = self.target_recipients(g, &target, out.origin);
            if first_slice && !to_worker {
                t +=
                    self.recipient_checks(recipients) + self.everyone_mentions(g, &out, recipients);
            }
            t += self.params.send_local.sample(&mut self.costs_rng);
            self.rec.guild_sends += 1;
            let sender = self.sender_of(node, g);
            let at = t + self.latency(node, node);
            self.send_msg(ProcRef::Service(sender), Msg::batch(g.0, out), at, queue);
            let work = &mut self.guilds[gi].work;
            work.sends = 1;
            work.recipients = recipients;
            work.done = true;
            return t;
        }
        let target = self.fanout_target(g, &out);
        let recipients = self.target_recipients(g, &target, out.origin);
        if first_slice {
            t += self.recipient_checks(recipients)
                + self.everyone_mentions(g, &out, recipients)
                + self.grouping_cost(recipients);
        }
        let mut work = self.guilds[gi].work;
        let fixed = self.fanout_costs(ProcRef::Guild(g), node, work.started, now);
        t = self.manifold_node_sends(node, g, out, &target, now, t, fixed, &mut work, queue);
        self.rec.guild_sends += (work.sends - self.guilds[gi].work.sends) as u64;
        work.recipients = recipients;
        self.guilds[gi].work = work;
        t
    }

    /// The guild's search for `recipients` recipients (permission checks), once per publish,
    /// before it hands them to Manifold.
    pub(super) fn recipient_checks(&self, recipients: u32) -> Nanos {
        self.params
            .permission_check
            .saturating_mul(recipients as Nanos)
    }

    /// Manifold's grouping of recipients by node (once per publish), and the encoding when
    /// it is done once (`binary`).
    pub(super) fn grouping_cost(&mut self, recipients: u32) -> Nanos {
        let mut cost = (self.manifold().params.group_cost_per_recipient_ns * recipients as f64)
            .round() as Nanos;
        if self.manifold().params.binary {
            cost += self.params.encode.sample(&mut self.costs_rng);
        }
        cost
    }

    /// Manifold: from node `from`, one send per node that holds recipients of `batch`'s
    /// guild in `target`, to that node's partitioner for the guild, continuing at `work.next`
    /// (an index into the target's groups). `fixed` as in [`Self::send_on_channel`].
    #[allow(clippy::too_many_arguments)]
    pub(super) fn manifold_node_sends(
        &mut self,
        from: NodeId,
        g: GuildId,
        out: Outgoing,
        target: &Target,
        now: Nanos,
        mut t: Nanos,
        fixed: Option<(Nanos, Nanos)>,
        work: &mut crate::world::process::Work,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let (groups_first, groups_len) = (target.groups_first, target.groups_len);
        let origin_in = self.origin_in(target, out.origin);
        let slice_end = self.fanout_deadline(from, now);
        let event_bytes = if out.presence {
            self.params.presence_bytes
        } else {
            self.params.event_bytes
        };
        let below = self.below(out.origin);
        while work.next < groups_len && t < slice_end {
            let start = work.next;
            let to = self.groups[(groups_first + start) as usize].node;
            let mut end = start;
            let mut recipients = 0u32;
            while end < groups_len && self.groups[(groups_first + end) as usize].node == to {
                recipients += self.group_joined(self.groups[(groups_first + end) as usize], below);
                end += 1;
            }
            if origin_in && self.member_info[out.origin.raw() as usize] as u16 == to.0 {
                recipients -= 1;
            }
            if recipients == 0 {
                work.next = end;
                continue;
            }
            let bytes = event_bytes + self.params.recipient_bytes * recipients as u64;
            let Some((done_at, leaves)) =
                self.send_on_channel(from, to, now, t, bytes, fixed, work)
            else {
                break;
            };
            t = done_at;
            if !self.manifold().params.binary {
                t += self.params.encode.sample(&mut self.costs_rng);
            }
            work.next = end;
            work.sends += 1;
            let partitioner = self.partitioner_of(to, g);
            let at = t.max(leaves) + self.latency(from, to);
            let node_batch = Msg::node_batch(groups_first + start, (end - start) as u16, out);
            self.send_batch(
                ProcRef::Service(partitioner),
                node_batch,
                recipients,
                at,
                queue,
            );
            if self.channels.limited(from.index(), to.index()) {
                break;
            }
        }
        work.done = work.next >= groups_len;
        t
    }

    /// The partitioner of `node` that guild `g` always uses.
    pub(crate) fn partitioner_of(&self, node: NodeId, g: GuildId) -> u32 {
        let n = &self.nodes[node.index()];
        n.services_first
            + (hash64(self.manifold().key, g.0 as u64) % self.manifold().params.partitioners as u64)
                as u32
    }

    /// The sender process of `node` that guild `g` always uses (`offload`).
    pub(crate) fn sender_of(&self, node: NodeId, g: GuildId) -> u32 {
        let n = &self.nodes[node.index()];
        let p = self.manifold().params.partitioners;
        n.services_first
            + p
            + n.workers
            + (hash64(self.manifold().key, g.0 as u64) % p as u64) as u32
    }

    /// The worker of its node that session `s` always goes to.
    #[inline]
    pub(crate) fn worker_of(&self, s: SessionId) -> u16 {
        let n = &self.nodes[self.session_node[s.index()].index()];
        (hash64(self.manifold().key ^ 0x5bd1_e995, s.0 as u64) % n.workers as u64) as u16
    }

    /// The index (into `groups`) of the group holding `slot` of guild `g`: groups are ordered
    /// by (passive, node, worker).
    pub(super) fn manifold_group_of(&self, g: GuildId, slot: u32) -> Option<usize> {
        let guild = &self.guilds[g.index()];
        if guild.groups_len == 0 {
            return None;
        }
        let passive = |slot: u32| slot - guild.first >= guild.active;
        let node = self.session_node[self.member_session[slot as usize].index()];
        let range = guild.groups_first as usize..(guild.groups_first + guild.groups_len) as usize;
        let groups = &self.groups[range.clone()];
        let key = (
            passive(slot),
            node,
            self.worker_of(self.member_session[slot as usize]),
        );
        let i = groups.partition_point(|gr| {
            (passive(self.by_node[gr.start as usize]), gr.node, gr.worker) < key
        });
        Some(range.start + i)
    }

    pub(super) fn partitioner_slice(
        &mut self,
        i: u32,
        node: NodeId,
        batch: Msg,
        first_slice: bool,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let (
            Msg::NodeBatch {
                first_group,
                groups,
                ..
            },
            Some(out),
        ) = (batch, batch.outgoing())
        else {
            unreachable!("a partitioner handles node batches")
        };
        let range = first_group..first_group + groups as u32;
        let mut work = self.services[i as usize].work;
        let mut t = now;
        if first_slice {
            work.next = range.start;
            let below = self.below(out.origin);
            let recipients: u32 = self.groups[range.start as usize..range.end as usize]
                .iter()
                .map(|&gr| self.group_joined(gr, below))
                .sum();
            work.recipients = recipients;
            t += (self.manifold().params.partition_cost_per_recipient_ns * recipients as f64)
                .round() as Nanos;
        }
        let slice_end = self.fanout_deadline(node, now);
        let local = self.latency(node, node);
        let may_crash = self.nodes[node.index()].may_crash;
        let fixed = self.fanout_costs(ProcRef::Service(i), node, work.started, now);
        let workers_first =
            self.nodes[node.index()].services_first + self.manifold().params.partitioners;
        while work.next < range.end && t < slice_end {
            let group = self.groups[work.next as usize];
            work.next += 1;
            if self.group_joined(group, self.below(out.origin)) == 0 {
                continue;
            }
            t += match fixed {
                Some((local, _)) => local,
                None => self.params.send_local.sample(&mut self.costs_rng),
            };
            work.sends += 1;
            // Counted only for a node that may crash (only read if the batch is lost).
            let recipients = if may_crash {
                self.group_recipients(group, 0, out.snapshot, out.origin)
            } else {
                0
            };
            self.send_batch(
                ProcRef::Service(workers_first + group.worker as u32),
                Msg::worker_batch(work.next - 1, out),
                recipients,
                t + local,
                queue,
            );
        }
        work.done = work.next >= range.end;
        self.services[i as usize].work = work;
        t
    }

    pub(super) fn worker_slice(
        &mut self,
        i: u32,
        node: NodeId,
        batch: Msg,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let (Msg::WorkerBatch { group, .. }, Some(out)) = (batch, batch.outgoing()) else {
            unreachable!("a worker handles worker batches")
        };
        let g = self.groups[group as usize];
        debug_assert_eq!(
            (g.node, g.worker as u32),
            (node, self.services[i as usize].number)
        );
        self.group_sends(i, node, group, out, now, now, queue)
    }

    /// A sender (`offload`) does the guild's grouping and per-node sends in its place.
    pub(super) fn sender_slice(
        &mut self,
        i: u32,
        node: NodeId,
        batch: Msg,
        first_slice: bool,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let (Msg::Batch { guild, .. }, Some(out)) = (batch, batch.outgoing()) else {
            unreachable!("a sender handles batches")
        };
        let target = self.fanout_target(GuildId(guild), &out);
        let mut t = now;
        if first_slice {
            let recipients = self.target_recipients(GuildId(guild), &target, out.origin);
            if self.to_everyone_worker(GuildId(guild), &out) {
                // A worker's walk of an @everyone (`everyone.rs`).
                t += self.worker_walk(recipients);
            }
            t += self.grouping_cost(recipients);
        }
        let mut work = self.services[i as usize].work;
        let fixed = self.fanout_costs(ProcRef::Service(i), node, work.started, now);
        t = self.manifold_node_sends(
            node,
            GuildId(guild),
            out,
            &target,
            now,
            t,
            fixed,
            &mut work,
            queue,
        );
        self.services[i as usize].work = work;
        t
    }

    /// Manifold's processes guild `g`'s messages pass through: the partitioners it uses on
    /// session nodes, its sender (`offload`), and its groups' workers.
    pub(super) fn manifold_processes_of(&self, g: GuildId, mark: &mut [bool]) {
        let guild = &self.guilds[g.index()];
        for n in 0..self.nodes.len() {
            if self.nodes[n].hosts_sessions {
                mark[self.partitioner_of(NodeId(n as u16), g) as usize] = true;
            }
        }
        if self.manifold().params.offload {
            mark[self.sender_of(guild.node, g) as usize] = true;
        }
        let groups = guild.groups_first as usize..(guild.groups_first + guild.groups_len) as usize;
        for group in &self.groups[groups] {
            let node = &self.nodes[group.node.index()];
            let first = node.services_first + self.manifold().params.partitioners;
            mark[(first + group.worker as u32) as usize] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::ids::SessionId;
    use crate::world::tiny::{ROUND_ROBIN, Tiny, assert_close};

    /// Five members in turn on two session nodes (3 on node 1, 2 on node 2), one worker per
    /// node, no grouping or hashing cost.
    fn tiny() -> Tiny {
        Tiny::new(&[5])
            .set("model.fanout.strategy", "manifold")
            .set("model.fanout.manifold.workers_per_node", "1")
            .set("model.fanout.manifold.group_cost_per_recipient_us", "0")
            .set("model.fanout.manifold.partition_cost_per_recipient_us", "0")
            .set("workload.users.placement", ROUND_ROBIN)
            .publish_at(0.1)
    }

    #[test]
    fn a_guild_sends_one_batch_per_session_node_and_workers_send_locally() {
        let r = tiny().run();
        let s = &r.summary;
        // The guild: two remote sends (done at 50 and 100 µs, arriving at 150 and 200 µs).
        assert_eq!(s.guild_sends, 2);
        assert_eq!(s.inter_node_messages, 2);
        assert_close(s.busy_s.of("guild"), 100e-6);
        // Each partitioner: one local send to its worker (2 µs); each worker: a local send
        // per recipient (2 µs each, no latency): 154, 156, 158 µs on node 1, 204, 206 µs on
        // node 2.
        assert_close(s.busy_s.of("partitioner"), 4e-6);
        assert_close(s.busy_s.of("worker"), 10e-6);
        assert_eq!(s.deliveries_total, 5);
        assert_close(s.latency_ms.min, 0.154);
        assert_close(s.latency_ms.max, 0.206);
        assert_close(
            s.latency_ms.mean,
            (154.0 + 156.0 + 158.0 + 204.0 + 206.0) / 5.0 / 1e3,
        );
    }

    #[test]
    fn the_guild_checks_every_recipient_before_it_hands_them_to_manifold() {
        // 5 recipients at 10 µs: 50 µs before the first batch leaves, on the guild.
        let s = tiny()
            .set("model.costs.permission_check_us", "10")
            .run()
            .summary;
        assert_close(s.busy_s.of("guild"), 150e-6);
        assert_close(s.latency_ms.min, 0.204);
        assert_close(s.latency_ms.max, 0.256);
        // With offload the guild still checks them, then makes one local send (2 µs); the
        // sender does the per-node sends.
        let s = tiny()
            .set("model.costs.permission_check_us", "10")
            .set("model.fanout.manifold.offload", "true")
            .run()
            .summary;
        assert_close(s.busy_s.of("guild"), 52e-6);
        assert_close(s.busy_s.of("sender"), 100e-6);
    }

    #[test]
    fn a_session_always_goes_to_the_same_worker_and_a_guild_to_the_same_partitioner() {
        let w = tiny()
            .set("model.fanout.manifold.workers_per_node", "4")
            .set("model.fanout.manifold.partitioners", "3")
            .world();
        for s in 0..w.sessions.len() as u32 {
            let worker = w.worker_of(SessionId(s));
            assert!(worker < 4);
            assert_eq!(worker, w.worker_of(SessionId(s)));
        }
        let g = crate::world::ids::GuildId(0);
        for n in [1u16, 2] {
            let node = crate::world::ids::NodeId(n);
            let p = w.partitioner_of(node, g);
            let first = w.nodes[n as usize].services_first;
            assert!(
                (first..first + 3).contains(&p),
                "one of the node's partitioners"
            );
            assert_eq!(
                w.services[p as usize].kind,
                crate::metrics::recorder::ProcessKind::Partitioner
            );
        }
        // Each group is one (node, worker) run of the guild's members, in that order.
        let guild = &w.guilds[0];
        let groups = &w.groups[guild.groups_first as usize..][..guild.groups_len as usize];
        let keys: Vec<_> = groups.iter().map(|gr| (gr.node, gr.worker)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
        for gr in groups {
            for k in gr.start..gr.end {
                let s = w.member_session[w.by_node[k as usize] as usize];
                assert_eq!(
                    (w.session_node[s.index()], w.worker_of(s)),
                    (gr.node, gr.worker)
                );
            }
        }
    }
}
