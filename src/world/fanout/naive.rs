//! Naive fan-out (2017, B17): the guild sends to each joined member in member order, one send
//! at a time, in its own single thread. Each send occupies the guild for `send_local` or
//! `send_remote`, plus `permission_check_us` to find the recipient and check its permissions
//! in the channel; the event reaches the session after the network latency.

use crate::sim::{EventQueue, Nanos};
use crate::world::event::{Event, ProcRef};
use crate::world::ids::{GuildId, NodeId};
use crate::world::mailbox::Origin;
use crate::world::sends::Outgoing;
use crate::world::state::{NOT_JOINED, World};

/// The estimator's view: the guild alone sends, to every node.
pub(super) fn estimates(send_local_us: f64, send_remote_us: f64) -> super::Estimates {
    super::Estimates {
        send_us: send_remote_us.max(send_local_us),
        parallel_senders: 1.0,
        membership_bytes: 0.0,
        process_bytes: 0.0,
        storm_join_events: 8.0,
    }
}

impl World {
    /// Naive: send to joined members in member order from `t`.
    pub(super) fn naive_sends(
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
        if out.origin == Origin::DIGEST {
            let end = self.digest_sends(
                node,
                |i| first + i,
                work.next,
                len,
                out,
                t,
                slice_end,
                fixed,
                queue,
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
            let check = self.params.permission_check + self.everyone_mentions(g, &out, 1);
            let end = self
                .sends(queue)
                .with_costs(fixed)
                .with_per_recipient(check)
                .run(node, out, |i| first + i, work.next, len, t, slice_end);
            t = end.t;
            work.next = end.next;
            work.sends += end.sends;
            self.rec.guild_sends += end.sends as u64;
        }
        while work.next < len && t < slice_end && self.folded_room > 0 {
            // Some channels queue: one send at a time, each on its channel in time order.
            let slot = first + work.next;
            if self.member_joined[slot as usize] == NOT_JOINED || slot == out.origin.raw() {
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
            t = done_at + self.params.permission_check + self.everyone_mentions(g, &out, 1);
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
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::{MIXED_NODES, ROUND_ROBIN, Tiny, assert_close};

    #[test]
    fn a_guild_sends_to_each_member_one_send_after_another() {
        // Five members, all on session nodes: five remote sends of 50 µs from the publish;
        // send k (1..=5) completes at 50k µs and arrives 100 µs later.
        let r = Tiny::new(&[5]).publish_at(0.1).run();
        let s = &r.summary;
        assert_eq!(s.guild_sends, 5);
        assert_eq!(s.deliveries_total, 5);
        assert_eq!(s.inter_node_messages, 5);
        assert_close(s.latency_ms.min, 0.150);
        assert_close(s.latency_ms.max, 0.350);
        assert_close(s.latency_ms.mean, 0.250);
        assert_close(s.busy_s.of("guild"), 250e-6);
        assert_close(s.fanout_duration_ms.max, 0.250);
    }

    #[test]
    fn a_guild_checks_each_recipient_before_its_send() {
        // 10 µs per recipient on top of each 50 µs send: send k completes at 60k µs.
        let r = Tiny::new(&[5])
            .set("model.costs.permission_check_us", "10")
            .publish_at(0.1)
            .run();
        let s = &r.summary;
        assert_eq!(s.deliveries_total, 5);
        assert_close(s.latency_ms.min, 0.160);
        assert_close(s.latency_ms.max, 0.400);
        assert_close(s.busy_s.of("guild"), 300e-6);
        // The same with send costs drawn (not constant): the check still adds 10 µs a member.
        let r = Tiny::new(&[5])
            .set("model.costs.permission_check_us", "10")
            .set(
                "model.costs.send_remote",
                "{dist: uniform, min_us: 49.999, max_us: 50.001}",
            )
            .publish_at(0.1)
            .run();
        assert!((r.summary.busy_s.of("guild") - 300e-6).abs() < 1e-8);
    }

    #[test]
    fn a_guild_sends_to_its_members_in_member_order() {
        // Half the members are on the guild's node (2 µs, no latency), half remote (50 µs,
        // 100 µs): the mean latency depends on the order of the sends.
        let tiny = Tiny::new(&[6])
            .set("model.nodes", MIXED_NODES)
            .set("workload.users.placement", ROUND_ROBIN)
            .publish_at(0.1);
        let w = tiny.world();
        let g = &w.guilds[0];
        let latency_sum = |slots: &mut dyn Iterator<Item = u32>| {
            let (mut t, mut sum) = (0u64, 0u64);
            for slot in slots {
                let local = w.session_node[w.member_session[slot as usize].index()] == g.node;
                t += if local { 2_000 } else { 50_000 };
                sum += t + if local { 0 } else { 100_000 };
            }
            sum as f64 / 6.0 / 1e6
        };
        let in_order = latency_sum(&mut (g.first..g.first + g.len));
        let reversed = latency_sum(&mut (g.first..g.first + g.len).rev());
        assert_ne!(in_order, reversed, "a member order that tells orders apart");
        let r = tiny.run();
        assert_eq!(r.summary.deliveries_total, 6);
        assert_eq!(r.summary.inter_node_messages, 3);
        assert_close(r.summary.latency_ms.mean, in_order);
    }
}
