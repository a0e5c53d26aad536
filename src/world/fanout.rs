//! Fan-out: how a guild handles a publish, a join or a leave, and sends the event (or the
//! presence update) to its members.
//!
//! - `naive` (2017): the guild sends to each joined member in member order, one send at a
//!   time, in its own single thread. Each send occupies the guild for `send_local` or
//!   `send_remote`; the event reaches the session after the network latency.
//! - `manifold`: the guild groups its recipients by node (a cost per recipient) and makes one
//!   send per destination node, to that node's partitioner (see `manifold.rs`); with
//!   `offload`, it makes one local send to a sender process that does this instead.
//!
//! A slice of a guild's work is a run of consecutive sends: their completion times follow in
//! closed form from the slice's start, so a slice is one event however many sends it holds.
//! A send on a channel of finite bandwidth is always the first of its slice, so channels are
//! used in time order.

use super::channel::SendOutcome;
use super::event::{Event, ProcRef};
use super::ids::{GuildId, NodeId, SessionId};
use super::mailbox::{Msg, NO_ORIGIN};
use super::passive::DIGEST;
use super::sends::Outgoing;
use super::state::{NOT_JOINED, World};
use super::targets::Target;
use crate::config::schema::FanoutStrategy;
use crate::sim::rng::hash64;
use crate::sim::{EventQueue, Nanos};

impl World {
    /// Runs guild `g`'s current message from `now` for about one time slice; returns the
    /// completion time of the slice's last send.
    pub fn guild_slice(&mut self, g: GuildId, now: Nanos, queue: &mut EventQueue<Event>) -> Nanos {
        let gi = g.index();
        let head = self
            .mailboxes
            .front(&self.guilds[gi].core.mailbox)
            .expect("a guild runs with a message");
        let first_slice = !self.guilds[gi].work.active;
        let depth = self.guilds[gi].core.mailbox.len();
        self.rec.guild_mailbox_depth(now, depth);
        let mut t = now;
        if first_slice {
            self.guilds[gi].work = super::state::Work {
                active: true,
                started: now,
                ..Default::default()
            };
        }
        let (out, fan_out) = match head {
            Msg::Publish {
                publish_time,
                origin,
            } => {
                // A presence change (a publish about a member) moves it in the member list.
                let presence = origin < DIGEST;
                if first_slice && presence {
                    t += self.list_update_cost(g);
                }
                let out = Outgoing {
                    publish_time,
                    origin,
                    presence,
                    snapshot: u32::MAX,
                };
                (out, true)
            }
            Msg::Join { slot, publish_time } => {
                if first_slice {
                    t += self.params.guild_join.sample(&mut self.costs_rng);
                    self.join(g, slot);
                    t += self.list_update_cost(g);
                    self.rec.join_handled(t);
                }
                let out = Outgoing {
                    publish_time,
                    origin: slot,
                    presence: true,
                    snapshot: u32::MAX,
                };
                (out, self.params.presence_on_join)
            }
            Msg::Leave { slot, publish_time } => {
                let mut was_joined = true;
                if first_slice {
                    t += self.params.guild_join.sample(&mut self.costs_rng);
                    was_joined = self.leave(g, slot);
                    if was_joined {
                        t += self.list_update_cost(g);
                    }
                }
                (
                    Outgoing {
                        publish_time,
                        origin: slot,
                        presence: true,
                        snapshot: u32::MAX,
                    },
                    was_joined && self.params.presence_on_leave,
                )
            }
            other => unreachable!("guild {g:?} got {other:?}"),
        };
        // Large guilds publish no presence (decided when the message is taken up).
        let fan_out = fan_out && (!first_slice || !out.presence || self.publishes_presence(g));
        if !fan_out {
            self.guilds[gi].work.done = true;
            return t;
        }
        let end = match self.params.strategy {
            FanoutStrategy::Naive => self.naive_sends(g, out, now, t, queue),
            FanoutStrategy::Manifold => {
                self.manifold_guild_sends(g, out, first_slice, now, t, queue)
            }
            FanoutStrategy::Relays => self.relay_guild_sends(g, out, now, t, queue),
        };
        self.rec.fanout_work(t, end);
        end
    }

    /// Naive: send to joined members in member order from `t`.
    fn naive_sends(
        &mut self,
        g: GuildId,
        out: Outgoing,
        now: Nanos,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let gi = g.index();
        let target = self.fanout_target(g, &out);
        let (node, first, len) = (self.guilds[gi].node, target.first, target.len);
        let mut work = self.guilds[gi].work;
        let slice_end = self.fanout_deadline(node, now);
        let fixed = self.fanout_costs(ProcRef::Guild(g), node, work.started, now);
        if out.origin == DIGEST {
            let end = self.digest_sends(
                node,
                |i| first + i,
                work.next,
                len,
                out,
                t,
                slice_end,
                fixed,
            );
            work.next = end.next;
            work.sends += end.sends;
            self.rec.guild_sends += end.sends as u64;
            work.recipients = work.sends;
            work.done = work.next >= len;
            self.guilds[gi].work = work;
            return end.t;
        }
        let bytes = if out.presence {
            self.params.presence_bytes
        } else {
            self.params.event_bytes
        };
        if !self.channels.any_limited() {
            // Every send is in closed form: one run to the end of the slice.
            let end = self.sends(queue).with_costs(fixed).run(
                node,
                out,
                |i| first + i,
                work.next,
                len,
                t,
                slice_end,
            );
            t = end.t;
            work.next = end.next;
            work.sends += end.sends;
            self.rec.guild_sends += end.sends as u64;
        }
        while work.next < len && t < slice_end && self.folded_room > 0 {
            // Some channels queue: one send at a time, each on its channel in time order.
            let slot = first + work.next;
            if self.member_joined[slot as usize] == NOT_JOINED || slot == out.origin {
                work.next += 1;
                continue;
            }
            let info = self.member_info[slot as usize];
            let to = NodeId(info as u16);
            let Some((done_at, leaves)) =
                self.send_on_channel(node, to, now, t, bytes, fixed, &mut work)
            else {
                break;
            };
            t = done_at;
            work.next += 1;
            work.sends += 1;
            self.rec.guild_sends += 1;
            if self.folded_room != u32::MAX {
                self.folded_room -= 1;
            }
            let arrival = t.max(leaves) + self.latency(node, to);
            self.deliver(slot, info, arrival, out.publish_time, out.presence, queue);
            if self.channels.limited(node.index(), to.index()) {
                break;
            }
        }
        work.recipients = work.sends;
        work.done = work.next >= len;
        self.guilds[gi].work = work;
        t
    }

    /// One send from `from` to `to` starting at `t` in a slice that started at `now`: the
    /// sender's completion time and the time the last byte leaves. `None` when the send must
    /// wait: the channel is busy (the sender is suspended), or it has a finite bandwidth and
    /// the send is not the first of its slice. `fixed`: the fan-out's (local, remote) costs
    /// when they are not drawn per send.
    #[allow(clippy::too_many_arguments)]
    pub fn send_on_channel(
        &mut self,
        from: NodeId,
        to: NodeId,
        now: Nanos,
        t: Nanos,
        bytes: u64,
        fixed: Option<(Nanos, Nanos)>,
        work: &mut super::state::Work,
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

    /// Manifold, in the guild: group by node and send once per node, or hand the publish to
    /// a local sender process (`offload`).
    fn manifold_guild_sends(
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
        if self.params.manifold.offload {
            t += self.params.send_local.sample(&mut self.costs_rng);
            self.rec.guild_sends += 1;
            let sender = self.sender_of(node, g);
            let at = t + self.latency(node, node);
            self.send_msg(ProcRef::Service(sender), Msg::batch(g.0, out), at, queue);
            let target = self.fanout_target(g, &out);
            let recipients = self.target_recipients(g, &target, out.origin);
            let work = &mut self.guilds[gi].work;
            work.sends = 1;
            work.recipients = recipients;
            work.done = true;
            return t;
        }
        let target = self.fanout_target(g, &out);
        let recipients = self.target_recipients(g, &target, out.origin);
        if first_slice {
            t += self.grouping_cost(recipients);
        }
        let mut work = self.guilds[gi].work;
        let fixed = self.fanout_costs(ProcRef::Guild(g), node, work.started, now);
        t = self.manifold_node_sends(node, g, out, &target, now, t, fixed, &mut work, queue);
        self.rec.guild_sends += (work.sends - self.guilds[gi].work.sends) as u64;
        work.recipients = recipients;
        self.guilds[gi].work = work;
        t
    }

    /// Whether guild `g` publishes presence updates: it is not above the size limit.
    pub fn publishes_presence(&self, g: GuildId) -> bool {
        self.params
            .presence_max_online
            .is_none_or(|max| self.guilds[g.index()].online <= max)
    }

    /// Members a message of guild `g` about the member in slot `origin` goes to now.
    pub fn recipients(&self, g: GuildId, origin: u32) -> u32 {
        self.guilds[g.index()].online - u32::from(self.origin_joined(g, origin))
    }

    /// Whether `origin` is a joined member of guild `g` (not `NO_ORIGIN`).
    fn origin_joined(&self, g: GuildId, origin: u32) -> bool {
        origin < DIGEST && {
            debug_assert!(self.guild_holds(g, origin));
            self.member_joined[origin as usize] != NOT_JOINED
        }
    }

    /// Whether membership `slot` is one of guild `g`'s.
    fn guild_holds(&self, g: GuildId, slot: u32) -> bool {
        let guild = &self.guilds[g.index()];
        (guild.first..guild.first + guild.len).contains(&slot)
    }

    /// Manifold's grouping of recipients by node (once per publish), and the encoding when
    /// it is done once (`binary`).
    pub fn grouping_cost(&mut self, recipients: u32) -> Nanos {
        let mut cost =
            (self.params.manifold.group_cost_per_recipient_ns * recipients as f64).round() as Nanos;
        if self.params.manifold.binary {
            cost += self.params.encode.sample(&mut self.costs_rng);
        }
        cost
    }

    /// Manifold: from node `from`, one send per node that holds recipients of `batch`'s
    /// guild in `target`, to that node's partitioner for the guild, continuing at `work.next`
    /// (an index into the target's groups). `fixed` as in [`Self::send_on_channel`].
    #[allow(clippy::too_many_arguments)]
    pub fn manifold_node_sends(
        &mut self,
        from: NodeId,
        g: GuildId,
        out: Outgoing,
        target: &Target,
        now: Nanos,
        mut t: Nanos,
        fixed: Option<(Nanos, Nanos)>,
        work: &mut super::state::Work,
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
        while work.next < groups_len && t < slice_end {
            let start = work.next;
            let to = self.groups[(groups_first + start) as usize].node;
            let mut end = start;
            let mut recipients = 0u32;
            while end < groups_len && self.groups[(groups_first + end) as usize].node == to {
                recipients += self.groups[(groups_first + end) as usize].joined;
                end += 1;
            }
            if origin_in && self.member_info[out.origin as usize] as u16 == to.0 {
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
            if !self.params.manifold.binary {
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
    pub fn partitioner_of(&self, node: NodeId, g: GuildId) -> u32 {
        let n = &self.nodes[node.index()];
        n.services_first
            + (hash64(self.manifold_key, g.0 as u64) % self.params.manifold.partitioners as u64)
                as u32
    }

    /// The sender process of `node` that guild `g` always uses (`offload`).
    pub fn sender_of(&self, node: NodeId, g: GuildId) -> u32 {
        let n = &self.nodes[node.index()];
        let p = self.params.manifold.partitioners;
        n.services_first + p + n.workers + (hash64(self.manifold_key, g.0 as u64) % p as u64) as u32
    }

    /// The worker of its node that session `s` always goes to.
    pub fn worker_of(&self, s: SessionId) -> u16 {
        let n = &self.nodes[self.session_node[s.index()].index()];
        (hash64(self.manifold_key ^ 0x5bd1_e995, s.0 as u64) % n.workers as u64) as u16
    }

    /// Manifold: the index (into `groups`) of the group holding `slot` of guild `g`.
    ///
    /// Groups are ordered by (passive, node, worker) under Manifold, and by (passive, node,
    /// first member) under relays, whose groups cut a node's members into runs.
    pub fn group_of(&self, g: GuildId, slot: u32) -> Option<usize> {
        let guild = &self.guilds[g.index()];
        if guild.groups_len == 0 {
            return None;
        }
        let passive = |slot: u32| slot - guild.first >= guild.active;
        let node = self.session_node[self.member_session[slot as usize].index()];
        let range = guild.groups_first as usize..(guild.groups_first + guild.groups_len) as usize;
        let groups = &self.groups[range.clone()];
        let i = if self.params.strategy == FanoutStrategy::Relays {
            let key = (passive(slot), node, slot);
            groups.partition_point(|gr| {
                let first = self.by_node[gr.start as usize];
                (passive(first), gr.node, first) <= key
            }) - 1
        } else {
            let key = (
                passive(slot),
                node,
                self.worker_of(self.member_session[slot as usize]),
            );
            groups.partition_point(|gr| {
                (passive(self.by_node[gr.start as usize]), gr.node, gr.worker) < key
            })
        };
        Some(range.start + i)
    }

    /// What orders a member's groups within its node: its Manifold worker, or under relays
    /// the place of its relay among the guild's relays on that node.
    pub fn sub_group_of(&self, g: GuildId, slot: u32) -> u16 {
        if self.params.strategy == FanoutStrategy::Relays {
            self.groups[self.group_of(g, slot).expect("a relay")].worker
        } else {
            self.worker_of(self.member_session[slot as usize])
        }
    }

    /// Guild `g` handles the join of its member in `slot`.
    fn join(&mut self, g: GuildId, slot: u32) {
        debug_assert!(self.guild_holds(g, slot));
        let guild = &mut self.guilds[g.index()];
        let was_joined = self.member_joined[slot as usize] != NOT_JOINED;
        self.member_joined[slot as usize] = guild.join_seq;
        guild.join_seq += 1;
        if !was_joined {
            guild.online += 1;
            if let Some(i) = self.group_of(g, slot) {
                self.groups[i].joined += 1;
            }
            if let Some(i) = self.range_group_of(g, slot) {
                self.groups[i].joined += 1;
            }
        }
    }

    /// Guild `g` handles the leave of its member in `slot`; whether it was joined.
    fn leave(&mut self, g: GuildId, slot: u32) -> bool {
        debug_assert!(self.guild_holds(g, slot));
        if self.member_joined[slot as usize] == NOT_JOINED {
            return false;
        }
        self.member_joined[slot as usize] = NOT_JOINED;
        self.guilds[g.index()].online -= 1;
        if let Some(i) = self.group_of(g, slot) {
            self.groups[i].joined -= 1;
        }
        if let Some(i) = self.range_group_of(g, slot) {
            self.groups[i].joined -= 1;
        }
        true
    }

    /// A slice of guild `g` ended at `now`: when its message is done it leaves the mailbox.
    pub fn guild_slice_done(&mut self, g: GuildId, now: Nanos) {
        let work = self.guilds[g.index()].work;
        if !work.done {
            return;
        }
        let msg = self.dequeue(ProcRef::Guild(g), now);
        self.guilds[g.index()].work = Default::default();
        let presence = !matches!(
            msg,
            Msg::Publish {
                origin: NO_ORIGIN,
                ..
            }
        );
        self.trace_fanout(g, &work, now, presence);
        match msg {
            Msg::Publish { origin: DIGEST, .. } => {}
            Msg::Publish {
                publish_time,
                origin: NO_ORIGIN,
            } => {
                self.rec
                    .publish_completed(now, work.started, publish_time, work.recipients);
            }
            Msg::Publish { .. } | Msg::Join { .. } | Msg::Leave { .. } => {
                if work.sends > 0 || work.recipients > 0 {
                    self.rec.presence_completed(now, work.started);
                }
            }
            other => unreachable!("guild {g:?} finished {other:?}"),
        }
    }
}
