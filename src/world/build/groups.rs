//! Build stage: Manifold groups. Each guild's membership slots sorted by (node, worker) into
//! `by_node` and cut into groups, one per worker of a node that has members of the guild.
//! With a member list, each range of the list gets groups of its own too, sorted by (range,
//! node, worker), so that a range update goes once per node holding its subscribers.

use crate::world::ids::{GuildId, NodeId};
use crate::world::state::{Group, NOT_JOINED, World};

impl World {
    /// Sorts each guild's slots by (node, worker) into `by_node` and cuts them into groups;
    /// then, with a member list, the same per range of the list.
    pub(super) fn build_groups(&mut self) {
        let lists = self.params.member_list.is_some();
        self.by_node = Vec::with_capacity(self.member_session.len() * (1 + lists as usize));
        let mut keyed: Vec<(u32, NodeId, u16, u32)> = Vec::new();
        for g in 0..self.guilds.len() {
            let (first, len) = (self.guilds[g].first, self.guilds[g].len);
            let passes: &[bool] = if lists { &[false, true] } else { &[false] };
            for &by_range in passes {
                keyed.clear();
                keyed.extend((first..first + len).map(|slot| {
                    let s = self.member_session[slot as usize];
                    let range = if by_range {
                        self.range_of(GuildId(g as u32), slot)
                    } else {
                        0
                    };
                    (range, self.session_node[s.index()], self.worker_of(s), slot)
                }));
                keyed.sort_unstable();
                let groups_first = self.groups.len() as u32;
                self.cut_groups(&keyed);
                let groups_len = self.groups.len() as u32 - groups_first;
                let guild = &mut self.guilds[g];
                if by_range {
                    (guild.range_groups_first, guild.range_groups_len) = (groups_first, groups_len);
                } else {
                    (guild.groups_first, guild.groups_len) = (groups_first, groups_len);
                }
            }
        }
    }

    /// Appends the slots of `keyed` (sorted by key, then slot) to `by_node`, one group per
    /// run of equal (range, node, worker).
    fn cut_groups(&mut self, keyed: &[(u32, NodeId, u16, u32)]) {
        for (i, &(range, node, worker, slot)) in keyed.iter().enumerate() {
            let at = self.by_node.len() as u32;
            self.by_node.push(slot);
            let new_group = i == 0 || {
                let (r, n, w, _) = keyed[i - 1];
                (r, n, w) != (range, node, worker)
            };
            if new_group {
                self.groups.push(Group {
                    node,
                    worker,
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
    pub(super) fn count_group_joins(&mut self) {
        for i in 0..self.groups.len() {
            let Group { start, end, .. } = self.groups[i];
            self.groups[i].joined = (start..end)
                .filter(|&k| self.member_joined[self.by_node[k as usize] as usize] != NOT_JOINED)
                .count() as u32;
        }
    }
}
