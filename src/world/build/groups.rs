//! Build stage: groups, the sets of a guild's members that one process sends to.
//!
//! - Manifold: each guild's slots sorted by (passive, node, worker) into `by_node` and cut
//!   into groups, one per worker of a node with members of the guild (active members' groups
//!   first when the guild has passive sessions).
//! - Relays: slots sorted by (passive, node, slot), each node's run cut evenly into relays of
//!   at most `max_sessions` (at most 65,535 per guild and node); every relay group gets its
//!   relay process.
//! - With a member list, each range of the list (active members only) gets groups of its own
//!   too, sorted by (range, node, worker or relay), so that a range update goes once per node
//!   (Manifold) or relay holding its subscribers.

use crate::config::schema::FanoutStrategy;
use crate::world::ids::{GuildId, NodeId};
use crate::world::state::{Group, NOT_JOINED, ProcCore, Service, ServiceKind, World};

/// A slot with what orders it: (class, node, sub-group, slot), where the class is whether it
/// is passive, or its range.
type Keyed = (u32, NodeId, u16, u32);

impl World {
    /// Builds every guild's groups, then, with a member list, its range groups.
    pub(super) fn build_groups(&mut self) {
        let lists = self.params.member_list.is_some();
        let relays = self.params.strategy == FanoutStrategy::Relays;
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
                let sub = if relays { 0 } else { self.worker_of(s) };
                (passive, self.session_node[s.index()], sub, slot)
            }));
            keyed.sort_unstable();
            let groups_first = self.groups.len() as u32;
            if relays {
                self.cut_relays(&keyed);
            } else {
                self.cut_groups(&keyed);
            }
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
                if relays {
                    // A range group goes through the relay of its members.
                    for k in range_first as usize..self.groups.len() {
                        let slot = self.by_node[self.groups[k].start as usize];
                        let relay = self.group_of(g, slot).expect("a relay");
                        self.group_service.push(self.group_service[relay]);
                    }
                }
                let guild = &mut self.guilds[gi];
                guild.range_groups_first = range_first;
                guild.range_groups_len = self.groups.len() as u32 - range_first;
            }
        }
    }

    /// Appends the slots of `keyed` (sorted) to `by_node`, one group per run of equal (class,
    /// node, sub-group).
    fn cut_groups(&mut self, keyed: &[Keyed]) {
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

    /// Appends the slots of `keyed` (sorted) to `by_node` and cuts each run of equal (class,
    /// node) evenly into relays of at most `max_sessions` members, each with its process.
    fn cut_relays(&mut self, keyed: &[Keyed]) {
        let max = self.params.relays.max_sessions.max(1) as usize;
        let mut run = 0;
        while run < keyed.len() {
            let (class, node, _, _) = keyed[run];
            let end = run
                + keyed[run..]
                    .iter()
                    .take_while(|k| (k.0, k.1) == (class, node))
                    .count();
            let members = end - run;
            // A relay's place on its node is a u16: at most 65,535 relays per guild and node.
            let relays = members.div_ceil(max).min(u16::MAX as usize);
            let at = self.by_node.len() as u32;
            self.by_node.extend(keyed[run..end].iter().map(|k| k.3));
            for r in 0..relays {
                let (lo, hi) = (r * members / relays, (r + 1) * members / relays);
                self.groups.push(Group {
                    node,
                    worker: r as u16,
                    start: at + lo as u32,
                    end: at + hi as u32,
                    joined: 0,
                });
                self.group_service.push(self.services.len() as u32);
                self.services.push(Service {
                    core: ProcCore::default(),
                    node,
                    kind: ServiceKind::Relay,
                    work: Default::default(),
                });
            }
            run = end;
        }
    }

    /// Sets each group's count of joined members (after the initial joins).
    pub(super) fn count_group_joins(&mut self) {
        for i in 0..self.groups.len() {
            let Group { start, end, .. } = self.groups[i];
            self.groups[i].joined = (start..end)
                .filter(|&k| self.member_joined[self.by_node[k as usize] as usize] != NOT_JOINED)
                .count() as u32;
        }
    }
}
