//! The lazy member list (R19): a guild keeps its members in a sorted structure, and each
//! client subscribes to the range of the list it can see.
//!
//! - Every join, leave and presence change updates the list, at a cost drawn from the
//!   structure's cost at 250,000 members and scaled to the guild's size (linearly for a plain
//!   list or ordsets, logarithmically for OrderedSet and SortedSet).
//! - A presence update goes to the subscribers of the range that holds its member, not to
//!   every online member. Member slots are in random order, so the model takes the ranges to
//!   be runs of `range_size` consecutive slots: each member subscribes to the range it sits
//!   in, which spreads subscribers uniformly over the ranges. Under Manifold each range has
//!   groups of its own (`build/groups.rs`), so a range update goes once per node that holds
//!   its subscribers.

use super::fanout::groups::Group;
use super::ids::GuildId;
use super::state::World;
use crate::config::schema::{Experiment, ListScaling};
use crate::sim::{Dist, Nanos};

/// The size at which R19 measured the update costs.
const PUBLISHED_SIZE: f64 = 250_000.0;

/// The guilds' member list, when they keep one: its update cost, its ranges, and each
/// guild's range groups.
pub(crate) struct MemberList {
    /// One update's cost at 250,000 members.
    pub(crate) cost: Dist,
    /// The cost grows as log2(n) (else as n).
    pub(crate) log_scaling: bool,
    pub(crate) range_size: u32,
    /// With a grouped fan-out: per guild, its range groups in range order, as (first, len) in
    /// `groups` (built with the other groups, `fanout/groups.rs`).
    pub(crate) range_groups: Vec<(u32, u32)>,
}

impl MemberList {
    /// The member list of `exp`'s `guilds` guilds, if they keep one.
    pub(crate) fn new(exp: &Experiment, guilds: usize) -> Option<MemberList> {
        let config = &exp.model.member_list;
        let published = config.structure.published_cost()?;
        let cost = config.update_cost_at_250k.as_ref().unwrap_or(&published);
        let scaling = config
            .scaling
            .unwrap_or_else(|| config.structure.default_scaling());
        Some(MemberList {
            cost: super::build::dist(cost),
            log_scaling: scaling == ListScaling::Log,
            range_size: config.range_size,
            range_groups: vec![(0, 0); guilds],
        })
    }
}

impl World {
    /// Guild `g` updates its member list once (a join, leave or presence change): the time it
    /// takes (0 without a member list).
    pub(crate) fn list_update_cost(&mut self, g: GuildId) -> Nanos {
        let Some(list) = &self.member_list else {
            return 0;
        };
        let n = (self.guilds[g.index()].len as f64).max(2.0);
        let factor = if list.log_scaling {
            n.log2() / PUBLISHED_SIZE.log2()
        } else {
            n / PUBLISHED_SIZE
        };
        let cost = (list.cost.sample(&mut self.costs_rng) as f64 * factor).round() as Nanos;
        self.rec.member_list_update(cost);
        cost
    }

    /// The range of guild `g`'s list that membership `slot` sits in: an active member's by
    /// its position; a passive member subscribes to no range, and its changes go to the range
    /// its position would be in.
    pub(crate) fn range_of(&self, g: GuildId, slot: u32) -> u32 {
        let size = self.member_list.as_ref().map_or(u32::MAX, |l| l.range_size);
        let guild = &self.guilds[g.index()];
        let index = slot - guild.first;
        if index < guild.active {
            index / size
        } else {
            let ranges = guild.active.div_ceil(size).max(1) as u64;
            (index as u64 * ranges / guild.len as u64) as u32
        }
    }

    /// The membership slots of range `range` of guild `g`'s list, as (first, len).
    pub(crate) fn range_slots(&self, g: GuildId, range: u32) -> (u32, u32) {
        let size = self.member_list.as_ref().map_or(u32::MAX, |l| l.range_size);
        let guild = &self.guilds[g.index()];
        let lo = (range as u64 * size as u64).min(guild.active as u64) as u32;
        let hi = (lo as u64 + size as u64).min(guild.active as u64) as u32;
        (guild.first + lo, hi - lo)
    }

    /// With a grouped fan-out: the groups of range `range` of guild `g`'s list, as (first,
    /// len).
    pub(crate) fn range_groups(&self, g: GuildId, range: u32) -> (u32, u32) {
        let (first, len) = self.range_groups_of(g);
        let groups = &self.groups[first..first + len];
        let range_of = |gr: &Group| self.range_of(g, self.by_node[gr.start as usize]);
        let start = groups.partition_point(|gr| range_of(gr) < range);
        let end = groups.partition_point(|gr| range_of(gr) <= range);
        ((first + start) as u32, (end - start) as u32)
    }

    /// The index (into `groups`) of the range group holding active member `slot` of guild
    /// `g`; `None` without range groups or for a passive member.
    pub(crate) fn range_group_of(&self, g: GuildId, slot: u32) -> Option<usize> {
        let guild = &self.guilds[g.index()];
        let (first, len) = self.range_groups_of(g);
        if len == 0 || slot - guild.first >= guild.active {
            return None;
        }
        let groups = &self.groups[first..first + len];
        let s = self.member_session[slot as usize];
        let key = (
            self.range_of(g, slot),
            self.session_node[s.index()],
            self.sub_group_of(g, slot),
        );
        let i = groups.partition_point(|gr| {
            (
                self.range_of(g, self.by_node[gr.start as usize]),
                gr.node,
                gr.worker,
            ) < key
        });
        Some(first + i)
    }

    /// Guild `g`'s range groups, as (first, len) in `groups` (none without a member list).
    fn range_groups_of(&self, g: GuildId) -> (usize, usize) {
        self.member_list.as_ref().map_or((0, 0), |l| {
            let (first, len) = l.range_groups[g.index()];
            (first as usize, len as usize)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::world::ids::GuildId;
    use crate::world::tiny::{Tiny, assert_close};

    /// A guild of 6 with a member list of ranges of 2, whose update costs 250 ms at 250,000
    /// members, growing linearly: 6 µs at 6 members. Members change status at 4 per second.
    fn listed() -> Tiny {
        Tiny::new(&[6])
            .set("model.member_list.structure", "list")
            .set(
                "model.member_list.update_cost_at_250k",
                "{dist: constant, us: 250000}",
            )
            .set("model.member_list.range_size", "2")
            .set("workload.publishes.presence_changes_per_session_per_s", "4")
    }

    #[test]
    fn a_presence_change_updates_the_list_and_goes_to_its_range_only() {
        let s = listed().run().summary;
        assert!(s.presence_changes > 5);
        // Each change: one update, and one recipient (the other member of its range).
        assert_eq!(s.member_list.updates, s.presence_changes);
        assert_close(s.member_list.update_us_min, 6.0);
        assert_close(s.member_list.update_us_max, 6.0);
        assert_eq!(s.presence_deliveries_total, s.presence_changes);
        // The update (6 µs), then one remote send (50 µs), arriving 100 µs later.
        assert_close(s.presence_latency_ms.max, 0.156);
    }

    #[test]
    fn ranges_are_runs_of_range_size_slots() {
        let w = listed().world();
        let g = GuildId(0);
        let first = w.guilds[0].first;
        let ranges: Vec<u32> = (first..first + 6).map(|slot| w.range_of(g, slot)).collect();
        assert_eq!(ranges, vec![0, 0, 1, 1, 2, 2]);
        assert_eq!(w.range_slots(g, 1), (first + 2, 2));
        let log = listed()
            .set("model.member_list.scaling", "log")
            .world()
            .member_list
            .expect("a list");
        assert!(log.log_scaling);
    }
}
