//! Build stage: Manifold groups. Each guild's membership slots sorted by (node, worker) into
//! `by_node` and cut into groups, one per worker of a node that has members of the guild.

use crate::world::ids::NodeId;
use crate::world::state::{Group, NOT_JOINED, World};

impl World {
    /// Sorts each guild's slots by (node, worker) into `by_node` and cuts them into groups.
    pub(super) fn build_groups(&mut self) {
        self.by_node = Vec::with_capacity(self.member_session.len());
        let mut keyed: Vec<(NodeId, u16, u32)> = Vec::new();
        for g in 0..self.guilds.len() {
            let (first, len) = (self.guilds[g].first, self.guilds[g].len);
            keyed.clear();
            keyed.extend((first..first + len).map(|slot| {
                let s = self.member_session[slot as usize];
                (self.session_node[s.index()], self.worker_of(s), slot)
            }));
            keyed.sort_unstable();
            self.guilds[g].groups_first = self.groups.len() as u32;
            for (i, &(node, worker, slot)) in keyed.iter().enumerate() {
                let at = self.by_node.len() as u32;
                self.by_node.push(slot);
                let new_group = i == 0 || (keyed[i - 1].0, keyed[i - 1].1) != (node, worker);
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
            self.guilds[g].groups_len = self.groups.len() as u32 - self.guilds[g].groups_first;
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
