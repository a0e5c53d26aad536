//! Service processes: Manifold's partitioners, workers and senders (discord/manifold), the
//! guild registries and the ring processes.
//!
//! - A partitioner receives one batch per publish for its node, pays a hashing cost per
//!   recipient, and sends one local message to each worker that has recipients.
//! - A worker sends the event to each of its recipients (one local send each). A recipient
//!   always goes to the same worker and a guild to the same partitioner, so every session
//!   receives a guild's events in publish order.
//! - A sender (`offload`) does the guild's grouping and per-node sends in its place.
//! - A registry (one per guild node) answers one call at a time with the guild's process.
//! - A ring process (one per session node, lookup mode `process`) answers one lookup at a time.

use super::event::{Event, ProcRef};
use super::ids::{GuildId, NodeId, SessionId};
use super::mailbox::Msg;
use super::state::{ServiceKind, Work, World};
use crate::sim::{EventQueue, Nanos};

impl World {
    /// Runs service `i`'s current message for about one time slice.
    pub fn service_slice(&mut self, i: u32, now: Nanos, queue: &mut EventQueue<Event>) -> Nanos {
        let service = &mut self.services[i as usize];
        let head = self
            .mailboxes
            .front(&service.core.mailbox)
            .expect("a service runs with a message");
        let first_slice = !service.work.active;
        if first_slice {
            service.work = Work {
                active: true,
                started: now,
                ..Default::default()
            };
        }
        let (node, kind) = (service.node, service.kind);
        if kind == ServiceKind::Registry {
            let depth = service.core.mailbox.len();
            self.rec.registry_depth(now, depth);
        }
        match (kind, head) {
            (ServiceKind::Partitioner, Msg::NodeBatch { .. }) => {
                let end = self.partitioner_slice(i, node, head, first_slice, now, queue);
                self.rec.fanout_work(now, end);
                end
            }
            (ServiceKind::Worker(w), Msg::WorkerBatch { .. }) => {
                let end = self.worker_slice(i, node, w, head, now, queue);
                self.rec.fanout_work(now, end);
                end
            }
            (ServiceKind::Relay, Msg::WorkerBatch { .. }) => {
                let end = self.relay_slice(i, node, head, first_slice, now, queue);
                self.rec.fanout_work(now, end);
                end
            }
            (ServiceKind::Sender, Msg::Batch { guild, .. }) => {
                let out = head.outgoing().expect("a batch");
                let target = self.fanout_target(GuildId(guild), &out);
                let mut t = now;
                if first_slice {
                    let recipients = self.target_recipients(GuildId(guild), &target, out.origin);
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
                self.rec.fanout_work(now, t);
                t
            }
            (ServiceKind::Registry, Msg::RegistryCall { session, token }) => {
                let to = self.session_node[session.index()];
                let mut t = now + self.params.registry_call.sample(&mut self.costs_rng);
                t += self.reply_cost(node, to);
                queue.schedule(t + self.latency(node, to), Event::Reply { session, token });
                self.rec.registry_served += 1;
                self.services[i as usize].work.done = true;
                t
            }
            (ServiceKind::Ring, Msg::RingCall { session, token }) => {
                let lookup = self.params.lookup_cost.sample(&mut self.costs_rng);
                self.rec.lookup(lookup);
                let t = now + lookup + self.params.send_local.sample(&mut self.costs_rng);
                queue.schedule(
                    t + self.latency(node, node),
                    Event::Reply { session, token },
                );
                self.services[i as usize].work.done = true;
                t
            }
            (kind, msg) => unreachable!("{kind:?} got {msg:?}"),
        }
    }

    fn reply_cost(&mut self, from: NodeId, to: NodeId) -> Nanos {
        if from == to {
            self.params.send_local.sample(&mut self.costs_rng)
        } else {
            self.rec.inter_node_messages += 1;
            self.params.send_remote.sample(&mut self.costs_rng)
        }
    }

    fn partitioner_slice(
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
            let recipients: u32 = self.groups[range.start as usize..range.end as usize]
                .iter()
                .map(|gr| gr.joined)
                .sum();
            work.recipients = recipients;
            t += (self.params.manifold.partition_cost_per_recipient_ns * recipients as f64).round()
                as Nanos;
        }
        let slice_end = self.fanout_deadline(node, now);
        let local = self.latency(node, node);
        let may_crash = self.nodes[node.index()].may_crash;
        let fixed = self.fanout_costs(ProcRef::Service(i), node, work.started, now);
        let workers_first =
            self.nodes[node.index()].services_first + self.params.manifold.partitioners;
        while work.next < range.end && t < slice_end {
            let group = self.groups[work.next as usize];
            work.next += 1;
            if group.joined == 0 {
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

    fn worker_slice(
        &mut self,
        i: u32,
        node: NodeId,
        w: u16,
        batch: Msg,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let (Msg::WorkerBatch { group, .. }, Some(out)) = (batch, batch.outgoing()) else {
            unreachable!("a worker handles worker batches")
        };
        let g = self.groups[group as usize];
        debug_assert_eq!((g.node, g.worker), (node, w));
        self.group_sends(i, node, group, out, now, now, queue)
    }

    /// Service `i` (a worker or a relay) on `node` sends `out` to the members of group
    /// `group` from `t`, in a slice that started at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn group_sends(
        &mut self,
        i: u32,
        node: NodeId,
        group: u32,
        out: super::sends::Outgoing,
        now: Nanos,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let group = self.groups[group as usize];
        let mut work = self.services[i as usize].work;
        let slice_end = self.fanout_deadline(node, now);
        let len = group.end - group.start;
        let start = group.start;
        let fixed = self.fanout_costs(ProcRef::Service(i), node, work.started, now);
        let by_node = std::mem::take(&mut self.by_node);
        let end = if out.origin == super::passive::DIGEST {
            let slots = |i| by_node[(start + i) as usize];
            self.digest_sends(node, slots, work.next, len, out, t, slice_end, fixed)
        } else {
            self.sends(queue).with_costs(fixed).run(
                node,
                out,
                |i| by_node[(start + i) as usize],
                work.next,
                len,
                t,
                slice_end,
            )
        };
        self.by_node = by_node;
        t = end.t;
        work.next = end.next;
        work.sends += end.sends;
        work.done = work.next >= len;
        self.services[i as usize].work = work;
        t
    }

    /// A slice of service `i` ended: when its message is done it leaves the mailbox.
    pub fn service_slice_done(&mut self, i: u32, now: Nanos, _queue: &mut EventQueue<Event>) {
        if !self.services[i as usize].work.done {
            return;
        }
        self.dequeue(ProcRef::Service(i), now);
        self.services[i as usize].work = Work::default();
    }

    /// The registry process of the node of guild `g`.
    pub fn registry_of(&self, g: GuildId) -> u32 {
        self.nodes[self.guilds[g.index()].node.index()].registry
    }

    /// The ring process of session `s`'s node.
    pub fn ring_process_of(&self, s: SessionId) -> u32 {
        self.nodes[self.session_node[s.index()].index()].ring_process
    }
}
