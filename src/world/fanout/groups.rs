//! Groups: the sets of a guild's members that one process sends to, and what the grouped
//! strategies share: building them, a process's run of sends to its group, counting a group's
//! recipients, and the batches whose recipients a crash may lose.
//!
//! Each guild's slots are sorted by (passive, node, sub-group, slot) into `by_node` and cut
//! into groups, active members' groups first when the guild has passive sessions; the
//! strategy says what the sub-group is and how a node's run is cut ([`World::group_sub_key`],
//! [`World::cut_into_groups`]). With a member list, each range of the list (active members
//! only) gets groups of its own too, sorted by (range, node, sub-group), so that a range update
//! goes once per group holding its subscribers.
//!
//! Losses: a batch carries no recipient list, its recipients are the members of its groups
//! that had joined before its snapshot. A batch is lost when it reaches a crashed node (it was
//! in flight, or sent before the guild learnt of the crash), or when its node crashes while it
//! waits in, or is being handled by, a process there. A batch in flight has its recipient
//! count stored beside its mailbox slot when it is sent (the sender's count at that moment,
//! since members may leave before it arrives); one queued at the crash is counted from the
//! members' state then, which still holds every recipient (the crashed node's leaves have not
//! reached any guild yet). One gap remains: with Manifold's `offload`, the sender groups the
//! members joined when it runs, so members who leave between the guild's handing it a
//! publish and its grouping are neither sent to nor counted (a test bounds this below 0.1 %
//! of deliveries).

use crate::sim::{EventQueue, Nanos};
use crate::world::event::{Event, ProcRef};
use crate::world::ids::{GuildId, NodeId};
use crate::world::mailbox::{Msg, Origin};
use crate::world::state::{NOT_JOINED, World};

/// Bytes per online membership for one set of groups: its place in the by-node order, and
/// the (node, worker) groups (at most one per membership).
pub(crate) const MEMBERSHIP_BYTES: f64 = 20.0;

/// The members of one guild handled by one process of one node:
/// `by_node[start..end]` (membership slots).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Group {
    pub(crate) node: NodeId,
    /// Which process of the node sends to it: the strategy's sub-group (a Manifold worker's
    /// index, or the group's place among the guild's groups on its node).
    pub(crate) worker: u16,
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// Members of the group currently joined.
    pub(crate) joined: u32,
}

/// A slot with what orders it: (class, node, sub-group, slot), where the class is whether it
/// is passive, or its range.
pub(crate) type Keyed = (u32, NodeId, u16, u32);

impl World {
    /// Builds every guild's groups, then, with a member list, its range groups.
    pub(super) fn build_groups(&mut self) {
        // Range groups serve `own_range` updates; `shifted` ones go through the groups.
        let lists = self.member_list.as_ref().is_some_and(|l| !l.shifted);
        self.by_node = Vec::with_capacity(self.member_session.len() * (1 + lists as usize));
        let mut keyed: Vec<Keyed> = Vec::new();
        for gi in 0..self.guilds.len() {
            let g = GuildId(gi as u32);
            let (first, len, active) = {
                let guild = &self.guilds[gi];
                (guild.first, guild.len, guild.active)
            };
            keyed.clear();
            keyed.extend((first..first + len).map(|slot| {
                let s = self.member_session[slot as usize];
                let passive = u32::from(slot - first >= active);
                let sub = self.group_sub_key(s);
                (passive, self.session_node[s.index()], sub, slot)
            }));
            keyed.sort_unstable();
            let groups_first = self.groups.len() as u32;
            self.cut_into_groups(&keyed);
            let guild = &mut self.guilds[gi];
            guild.groups_first = groups_first;
            guild.groups_len = self.groups.len() as u32 - groups_first;
            let active_slots = (first + active) as usize;
            guild.active_groups = self.groups[groups_first as usize..]
                .iter()
                .take_while(|gr| (self.by_node[gr.start as usize] as usize) < active_slots)
                .count() as u32;
            if lists {
                keyed.clear();
                keyed.extend((first..first + active).map(|slot| {
                    let s = self.member_session[slot as usize];
                    let node = self.session_node[s.index()];
                    (
                        self.range_of(g, slot),
                        node,
                        self.sub_group_of(g, slot),
                        slot,
                    )
                }));
                keyed.sort_unstable();
                let range_first = self.groups.len() as u32;
                self.cut_groups(&keyed);
                self.range_groups_built(g, range_first as usize);
                let range_len = self.groups.len() as u32 - range_first;
                let list = self.member_list.as_mut().expect("a member list");
                list.range_groups[gi] = (range_first, range_len);
            }
        }
    }

    /// Appends the slots of `keyed` (sorted) to `by_node`, one group per run of equal (class,
    /// node, sub-group).
    pub(super) fn cut_groups(&mut self, keyed: &[Keyed]) {
        for (i, &(class, node, sub, slot)) in keyed.iter().enumerate() {
            let at = self.by_node.len() as u32;
            self.by_node.push(slot);
            let new_group = i == 0 || {
                let (c, n, w, _) = keyed[i - 1];
                (c, n, w) != (class, node, sub)
            };
            if new_group {
                self.groups.push(Group {
                    node,
                    worker: sub,
                    start: at,
                    end: at + 1,
                    joined: 0,
                });
            } else {
                self.groups.last_mut().expect("a group").end = at + 1;
            }
        }
    }

    /// Sets each group's count of joined members (after the initial joins).
    pub(crate) fn count_group_joins(&mut self) {
        for i in 0..self.groups.len() {
            let Group { start, end, .. } = self.groups[i];
            self.groups[i].joined = (start..end)
                .filter(|&k| self.member_joined[self.by_node[k as usize] as usize] != NOT_JOINED)
                .count() as u32;
        }
    }

    /// Service `i` (a process of the strategy) on `node` sends `out` to the members of group
    /// `group` from `t`, in a slice that started at `now`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn group_sends(
        &mut self,
        i: u32,
        node: NodeId,
        group: u32,
        out: crate::world::sends::Outgoing,
        now: Nanos,
        t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let group = self.groups[group as usize];
        let len = self.group_len_below(group, self.below(out.origin));
        let by_node = std::mem::take(&mut self.by_node);
        let slots = &by_node[group.start as usize..(group.start + len) as usize];
        let t = self.slots_sends(i, node, slots, out, now, t, queue);
        self.by_node = by_node;
        t
    }

    /// Service `i` on `node` sends `out` (or, for a digest, the digest) to the members in
    /// `slots`, from its next one, in a slice that started at `now`; returns when its last
    /// send completes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn slots_sends(
        &mut self,
        i: u32,
        node: NodeId,
        slots: &[u32],
        out: crate::world::sends::Outgoing,
        now: Nanos,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let mut work = self.services[i as usize].work;
        let slice_end = self.fanout_deadline(node, now);
        let len = slots.len() as u32;
        let fixed = self.fanout_costs(ProcRef::Service(i), node, work.started, now);
        let end = if out.origin == Origin::DIGEST {
            let at = |k: u32| slots[k as usize];
            self.digest_sends(node, at, work.next, len, out, t, slice_end, fixed, queue)
        } else {
            self.sends(queue).with_costs(fixed).run(
                node,
                out,
                |k| slots[k as usize],
                work.next,
                len,
                t,
                slice_end,
            )
        };
        t = end.t;
        work.next = end.next;
        work.sends += end.sends;
        work.done = work.next >= len;
        self.services[i as usize].work = work;
        t
    }

    /// The deliveries a worker batch of `group` makes: members that joined before `snapshot`,
    /// other than `origin` and below its bound ([`World::below`]), from member index `from`
    /// of the group.
    pub(crate) fn group_recipients(
        &self,
        group: Group,
        from: u32,
        snapshot: u32,
        origin: Origin,
    ) -> u32 {
        let below = self.below(origin);
        self.by_node[(group.start + from) as usize..group.end as usize]
            .iter()
            .filter(|&&slot| {
                self.member_joined[slot as usize] < snapshot && slot != origin.raw() && slot < below
            })
            .count() as u32
    }

    /// Sends a Manifold batch for `recipients` deliveries to `to`, arriving at `at`.
    pub(crate) fn send_batch(
        &mut self,
        to: ProcRef,
        msg: Msg,
        recipients: u32,
        at: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let slot = self.mailboxes.detach(msg);
        let i = slot as usize;
        if i >= self.batch_recipients.len() {
            self.batch_recipients.resize(i + 1, 0);
        }
        self.batch_recipients[i] = recipients;
        self.trace_message(to, at);
        queue.schedule(at, Event::MsgArrive { to, slot });
    }

    /// The message in flight in mailbox slot `slot` reached a crashed node: the deliveries
    /// it would have led to (a Manifold batch's recipients; 0 for anything else).
    pub(crate) fn lost_in_flight(&self, slot: u32) -> u64 {
        match self.mailboxes.msg(slot) {
            Msg::NodeBatch { .. } | Msg::WorkerBatch { .. } => {
                self.batch_recipients[slot as usize] as u64
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::mailbox::Origin;
    use crate::world::tiny::{ROUND_ROBIN, Tiny};

    #[test]
    fn groups_cover_each_guilds_members_once_and_count_the_joined() {
        let w = Tiny::new(&[5, 3])
            .set("model.fanout.strategy", "manifold")
            .set("workload.users.placement", ROUND_ROBIN)
            .world();
        for guild in &w.guilds {
            let groups = &w.groups[guild.groups_first as usize..][..guild.groups_len as usize];
            // Contiguous runs of `by_node` that hold exactly the guild's slots.
            let (start, end) = (groups[0].start, groups[groups.len() - 1].end);
            assert!(groups.windows(2).all(|p| p[0].end == p[1].start));
            let mut slots: Vec<u32> = w.by_node[start as usize..end as usize].to_vec();
            slots.sort();
            assert_eq!(
                slots,
                (guild.first..guild.first + guild.len).collect::<Vec<_>>()
            );
            // Every member is online at the start: a group's joined count is its size.
            for gr in groups {
                assert_eq!(gr.joined, gr.end - gr.start);
                assert_eq!(
                    w.group_recipients(*gr, 0, u32::MAX, Origin::CHAT),
                    gr.joined
                );
                // A member that joined at or after the snapshot is not a recipient.
                assert_eq!(w.group_recipients(*gr, 0, 0, Origin::CHAT), 0);
            }
            let joined: u32 = groups.iter().map(|gr| gr.joined).sum();
            assert_eq!(joined, guild.online);
        }
        // A presence update is not sent to the member it is about.
        let gr = w.groups[0];
        let origin = Origin::member(w.by_node[gr.start as usize]);
        assert_eq!(w.group_recipients(gr, 0, u32::MAX, origin), gr.joined - 1);
    }
}
