//! Relays (MJ, secondary): processes between a guild and its sessions. Each relay serves at
//! most `max_sessions` of one guild's members, all on its own node (a guild has, on each
//! session node holding its members, as many relays as that takes, sharing the members
//! evenly); it holds its members' list, which costs memory on its node.
//!
//! The guild sends each event once per relay that has recipients (a local or remote send,
//! no recipient list: the relay knows its members); the relay checks every recipient's
//! permissions (a cost per recipient), then sends to each locally, like a Manifold worker.
//! Relays keep the guild's order: a member always goes through the same relay, and a relay
//! handles its mailbox in order.

use super::event::{Event, ProcRef};
use super::ids::{GuildId, NodeId};
use super::mailbox::Msg;
use super::sends::Outgoing;
use super::state::World;
use crate::sim::{EventQueue, Nanos};

pub struct RelayParams {
    pub max_sessions: u32,
    /// Permission check per recipient, in nanoseconds.
    pub check_ns: f64,
    pub relay_bytes: u64,
    pub member_bytes: u64,
}

impl World {
    /// Relays, in the guild: one send per relay of the target that has recipients, from `t`.
    pub fn relay_guild_sends(
        &mut self,
        g: GuildId,
        out: Outgoing,
        now: Nanos,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let gi = g.index();
        let node = self.guilds[gi].node;
        // The members joined by now, as with Manifold.
        let out = Outgoing {
            snapshot: self.guilds[gi].join_seq,
            ..out
        };
        let target = self.fanout_target(g, &out);
        let origin_group = self.origin_group(g, &target, &out);
        let mut work = self.guilds[gi].work;
        let fixed = self.fanout_costs(ProcRef::Guild(g), node, work.started, now);
        let slice_end = self.fanout_deadline(node, now);
        let bytes = if out.presence {
            self.params.presence_bytes
        } else {
            self.params.event_bytes
        };
        let sends_before = work.sends;
        while work.next < target.groups_len && t < slice_end {
            let group = target.groups_first + work.next;
            let relay = self.groups[group as usize];
            let recipients = relay.joined - u32::from(origin_group == Some(group));
            if recipients == 0 {
                work.next += 1;
                continue;
            }
            let Some((done_at, leaves)) =
                self.send_on_channel(node, relay.node, now, t, bytes, fixed, &mut work)
            else {
                break;
            };
            t = done_at;
            work.next += 1;
            work.sends += 1;
            let service = self.group_service[group as usize];
            let at = t.max(leaves) + self.latency(node, relay.node);
            let batch = Msg::worker_batch(group, out);
            self.send_batch(ProcRef::Service(service), batch, recipients, at, queue);
            if self.channels.limited(node.index(), relay.node.index()) {
                break;
            }
        }
        self.rec.guild_sends += (work.sends - sends_before) as u64;
        work.recipients = self.target_recipients(g, &target, out.origin);
        work.done = work.next >= target.groups_len;
        self.guilds[gi].work = work;
        t
    }

    /// Relay `i` on `node` handles a batch: on its first slice it checks its recipients'
    /// permissions, then sends to them as a worker does.
    pub fn relay_slice(
        &mut self,
        i: u32,
        node: NodeId,
        batch: Msg,
        first_slice: bool,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let (Msg::WorkerBatch { group, .. }, Some(out)) = (batch, batch.outgoing()) else {
            unreachable!("a relay handles worker batches")
        };
        let mut t = now;
        if first_slice {
            let recipients =
                self.group_recipients(self.groups[group as usize], 0, out.snapshot, out.origin);
            self.services[i as usize].work.recipients = recipients;
            t += (self.params.relays.check_ns * recipients as f64).round() as Nanos;
        }
        self.group_sends(i, node, group, out, now, t, queue)
    }

    /// Relays' memory: each relay process, and each member it serves, on its node.
    pub fn relay_memory(&mut self) {
        if self.group_service.is_empty() {
            return;
        }
        for g in 0..self.guilds.len() {
            let guild = &self.guilds[g];
            let groups =
                guild.groups_first as usize..(guild.groups_first + guild.groups_len) as usize;
            for k in groups {
                let relay = self.groups[k];
                let bytes = self.params.relays.relay_bytes
                    + self.params.relays.member_bytes * (relay.end - relay.start) as u64;
                self.nodes[relay.node.index()].memory_static += bytes;
            }
        }
    }
}
