//! The lazy member list (R19): a guild keeps its members in a sorted structure, and each
//! client subscribes to the range of the list it can see.
//!
//! - Every join, leave and presence change updates the list, at a cost drawn from the
//!   structure's cost at 250,000 members and scaled to the guild's size (linearly for a plain
//!   list or ordsets, logarithmically for OrderedSet and SortedSet).
//! - The list is cut into ranges of `range_size` places. Each active member's client watches
//!   one range, by `subscribers`: by default a Zipf law over the ranges from the top (most
//!   clients look at the top of the list). Member slots are in random order, so the
//!   subscribers of each range are a run of consecutive active slots, laid out from the last
//!   active slot up (the top range's subscribers last): the subscribers of every range from r
//!   down are then the active slots below one bound.
//! - A member's own place in the list is a fixed scramble of its slot (uniform over the list,
//!   whatever it watches). Its presence change goes to the subscribers of its range
//!   (`own_range`), or, since it moves into or out of the online part of the list and shifts
//!   every later place (`shifted`, the default), to the subscribers of its range and of every
//!   range below it: the active slots below its bound. Groups keep their slots in order, so
//!   each group's recipients of such an update are a prefix of it, and every fan-out strategy
//!   sends to them as it sends chat to the active members.
//! - With `own_range` and a grouped fan-out each range has groups of its own
//!   (`fanout/groups.rs`), so a range update goes once per node that holds its subscribers.

use super::fanout::groups::Group;
use super::ids::GuildId;
use super::mailbox::{About, Origin};
use super::state::{NOT_JOINED, World};
use crate::config::schema::{Experiment, ListScaling, PresenceUpdates};
use crate::sim::{Dist, Nanos};

/// The size at which R19 measured the update costs.
const PUBLISHED_SIZE: f64 = 250_000.0;

/// A multiplier that scrambles a member's index into its place in the list (a prime larger
/// than any guild, so the map is one-to-one).
const PLACE_SCRAMBLE: u64 = 2_654_435_761;

/// The guilds' member list, when they keep one: its update cost, its ranges and who watches
/// them, and each guild's range groups.
pub(crate) struct MemberList {
    /// One update's cost at 250,000 members.
    pub(crate) cost: Dist,
    /// The cost grows as log2(n) (else as n).
    pub(crate) log_scaling: bool,
    pub(crate) range_size: u32,
    /// The Zipf exponent of subscriptions over the ranges (0: uniform).
    zipf: f64,
    /// A presence change updates every range from its member's down.
    pub(crate) shifted: bool,
    /// Per guild, where its subscriber counts start in `above`.
    above_first: Vec<u32>,
    /// Per guild and range r (0 ..= ranges): the guild's active members watching the ranges
    /// above r (0 for r = 0, every active member for r = ranges).
    above: Vec<u32>,
    /// With `shifted`: per membership slot, the bound below which the active slots get its
    /// presence updates.
    bound: Vec<u32>,
    /// With a grouped fan-out and `own_range`: per guild, its range groups in range order, as
    /// (first, len) in `groups` (built with the other groups, `fanout/groups.rs`).
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
            zipf: config.subscribers.exponent(),
            shifted: config.presence_updates == PresenceUpdates::Shifted,
            above_first: Vec::new(),
            above: Vec::new(),
            bound: Vec::new(),
            range_groups: vec![(0, 0); guilds],
        })
    }

    /// Guild `gi`'s counts of subscribers above each range.
    fn above_of(&self, gi: usize) -> &[u32] {
        let first = self.above_first[gi] as usize;
        let end = self
            .above_first
            .get(gi + 1)
            .map_or(self.above.len(), |&e| e as usize);
        &self.above[first..end]
    }
}

/// The ranges of a list of `len` members, `size` to a range.
fn ranges(len: u32, size: u32) -> u32 {
    len.div_ceil(size.max(1)).max(1)
}

/// Appends to `above` the count of `active` subscribers watching the ranges above each range
/// 0 ..= `ranges`, spread by a Zipf law of exponent `s` (rounded so that they add up).
fn push_subscribers(above: &mut Vec<u32>, active: u32, ranges: u32, s: f64) {
    let weight = |r: u32| (r as f64 + 1.0).powf(-s);
    let total: f64 = (0..ranges).map(weight).sum();
    let mut cumulative = 0.0;
    above.push(0);
    for r in 0..ranges {
        cumulative += weight(r);
        let count = if r + 1 == ranges {
            active
        } else {
            ((active as f64 * cumulative / total).round() as u32).min(active)
        };
        above.push(count);
    }
}

impl World {
    /// Lays out every guild's subscriptions (once the active members are known) and, with
    /// `shifted` updates, each member's bound.
    pub(crate) fn build_member_ranges(&mut self) {
        let Some(list) = self.member_list.as_mut() else {
            return;
        };
        list.above_first = Vec::with_capacity(self.guilds.len());
        for guild in &self.guilds {
            list.above_first.push(list.above.len() as u32);
            let ranges = ranges(guild.len, list.range_size);
            push_subscribers(&mut list.above, guild.active, ranges, list.zipf);
        }
        if !list.shifted {
            return;
        }
        let mut bound = vec![u32::MAX; self.member_session.len()];
        for (gi, guild) in self.guilds.iter().enumerate() {
            let above = list.above_of(gi);
            for index in 0..guild.len {
                let place = (index as u64 * PLACE_SCRAMBLE % guild.len as u64) as u32;
                let range = place / list.range_size;
                bound[(guild.first + index) as usize] =
                    guild.first + guild.active - above[range as usize];
            }
        }
        list.bound = bound;
    }

    /// With `shifted` updates: the bound below which the active slots get a presence update
    /// about `origin` (`u32::MAX`, no bound, for chat and digests and without a member list).
    #[inline]
    pub(crate) fn below(&self, origin: Origin) -> u32 {
        match (origin.about(), &self.member_list) {
            (About::Member(slot), Some(list)) if list.shifted => list.bound[slot as usize],
            _ => u32::MAX,
        }
    }

    /// The joined members of `group` below `below` (all of them for `u32::MAX`): the group
    /// keeps its slots in order, so they are a prefix of it.
    pub(crate) fn group_joined(&self, group: Group, below: u32) -> u32 {
        if below == u32::MAX {
            return group.joined;
        }
        let slots = &self.by_node[group.start as usize..group.end as usize];
        let k = slots.partition_point(|&slot| slot < below);
        if k == slots.len() {
            group.joined
        } else if group.joined as usize == slots.len() {
            k as u32
        } else {
            slots[..k]
                .iter()
                .filter(|&&slot| self.member_joined[slot as usize] != NOT_JOINED)
                .count() as u32
        }
    }

    /// How many of `group`'s slots lie below `below`.
    pub(crate) fn group_len_below(&self, group: Group, below: u32) -> u32 {
        if below == u32::MAX {
            return group.end - group.start;
        }
        self.by_node[group.start as usize..group.end as usize].partition_point(|&slot| slot < below)
            as u32
    }

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

    /// The range that active membership `slot` of guild `g` watches.
    pub(crate) fn range_of(&self, g: GuildId, slot: u32) -> u32 {
        let list = self.member_list.as_ref().expect("a member list");
        let guild = &self.guilds[g.index()];
        let index = slot - guild.first;
        debug_assert!(index < guild.active, "a passive member watches no range");
        // Range r's subscribers are the active indices from active - above[r + 1] up to
        // active - above[r].
        let from_end = guild.active - 1 - index;
        let above = list.above_of(g.index());
        (above.partition_point(|&a| a <= from_end) - 1) as u32
    }

    /// The range that holds membership `slot` of guild `g` in the list: its place, whatever
    /// its client watches.
    pub(crate) fn place_range_of(&self, g: GuildId, slot: u32) -> u32 {
        let size = self.member_list.as_ref().map_or(u32::MAX, |l| l.range_size);
        let guild = &self.guilds[g.index()];
        let index = slot - guild.first;
        let place = (index as u64 * PLACE_SCRAMBLE % guild.len as u64) as u32;
        place / size
    }

    /// The membership slots watching range `range` of guild `g`'s list, as (first, len).
    pub(crate) fn range_slots(&self, g: GuildId, range: u32) -> (u32, u32) {
        let list = self.member_list.as_ref().expect("a member list");
        let guild = &self.guilds[g.index()];
        let above = list.above_of(g.index());
        let r = (range as usize).min(above.len() - 2);
        let (lo, hi) = (guild.active - above[r + 1], guild.active - above[r]);
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
    use super::push_subscribers;
    use crate::world::ids::GuildId;
    use crate::world::mailbox::Origin;
    use crate::world::sends::Outgoing;
    use crate::world::tiny::{Tiny, assert_close};

    /// A guild of 6 with a member list of ranges of 2 watched equally, whose update costs
    /// 250 ms at 250,000 members, growing linearly: 6 µs at 6 members. Members change status
    /// at 4 per second.
    fn listed() -> Tiny {
        Tiny::new(&[6])
            .set("model.member_list.structure", "list")
            .set(
                "model.member_list.update_cost_at_250k",
                "{dist: constant, us: 250000}",
            )
            .set("model.member_list.range_size", "2")
            .set("model.member_list.subscribers", "uniform")
            .set("workload.publishes.presence_changes_per_session_per_s", "4")
    }

    fn presence(origin: u32) -> Outgoing {
        Outgoing {
            publish_time: 0,
            origin: Origin::member(origin),
            presence: true,
            snapshot: u32::MAX,
        }
    }

    #[test]
    fn an_own_range_update_goes_to_the_subscribers_of_its_members_range_only() {
        let tiny = listed().set("model.member_list.presence_updates", "own_range");
        let w = tiny.world();
        let g = GuildId(0);
        let first = w.guilds[0].first;
        for slot in first..first + 6 {
            let range = w.place_range_of(g, slot);
            let target = w.fanout_target(g, &presence(slot));
            assert_eq!((target.first, target.len), w.range_slots(g, range));
            assert_eq!(target.len, 2);
        }
        let s = tiny.run().summary;
        assert!(s.presence_changes > 5);
        // Each change: one update of 6 µs, and its range's two subscribers but itself.
        assert_eq!(s.member_list.updates, s.presence_changes);
        assert_close(s.member_list.update_us_min, 6.0);
        assert_close(s.member_list.update_us_max, 6.0);
        assert!(s.presence_deliveries_total >= s.presence_changes);
        assert!(s.presence_deliveries_total <= 2 * s.presence_changes);
    }

    #[test]
    fn a_shifted_update_goes_to_its_range_and_every_range_below() {
        let w = listed().world();
        let g = GuildId(0);
        let first = w.guilds[0].first;
        let mut reached = Vec::new();
        for slot in first..first + 6 {
            let range = w.place_range_of(g, slot);
            let target = w.fanout_target(g, &presence(slot));
            // The subscribers of ranges `range`, `range + 1`, ...: 2 each, below the bound.
            assert_eq!(target.first, first);
            assert_eq!(target.len, 2 * (3 - range));
            let (lo, len) = w.range_slots(g, range);
            assert_eq!(lo + len, first + target.len);
            reached.push(target.len);
        }
        // Places are a scramble of the slots: every range holds two members.
        reached.sort();
        assert_eq!(reached, vec![2, 2, 4, 4, 6, 6]);
        // A run: more deliveries than with own_range, from the same changes.
        let shifted = listed().run().summary;
        let own = listed()
            .set("model.member_list.presence_updates", "own_range")
            .run()
            .summary;
        assert_eq!(shifted.presence_changes, own.presence_changes);
        assert!(shifted.presence_deliveries_total > own.presence_deliveries_total);
    }

    #[test]
    fn ranges_hold_their_subscribers_top_range_last() {
        let w = listed().world();
        let g = GuildId(0);
        let first = w.guilds[0].first;
        let ranges: Vec<u32> = (first..first + 6).map(|slot| w.range_of(g, slot)).collect();
        assert_eq!(ranges, vec![2, 2, 1, 1, 0, 0]);
        assert_eq!(w.range_slots(g, 1), (first + 2, 2));
        let log = listed()
            .set("model.member_list.scaling", "log")
            .world()
            .member_list
            .expect("a list");
        assert!(log.log_scaling);
    }

    #[test]
    fn subscriptions_follow_a_zipf_law_from_the_top() {
        // 1,000 subscribers over 10 ranges at exponent 1: range r gets 1000 / (r + 1) / H(10).
        let mut above = Vec::new();
        push_subscribers(&mut above, 1000, 10, 1.0);
        let h: f64 = (1..=10).map(|k| 1.0 / k as f64).sum();
        assert_eq!(above.len(), 11);
        assert_eq!(above[0], 0);
        assert_eq!(above[10], 1000);
        assert_eq!(above[1], (1000.0 / h).round() as u32);
        assert!(above.windows(2).all(|p| p[0] <= p[1]));
        // Uniform: 100 each.
        let mut above = Vec::new();
        push_subscribers(&mut above, 1000, 10, 0.0);
        assert_eq!(above, (0..=10).map(|r| r * 100).collect::<Vec<_>>());
        // In a world: a 1,000-member guild, ranges of 100, every slot's range agrees with
        // the range's slots, and the top range has the most subscribers.
        let w = Tiny::new(&[1000])
            .set("model.member_list.structure", "sorted_set")
            .world();
        let g = GuildId(0);
        let first = w.guilds[0].first;
        let top = w.range_slots(g, 0);
        assert_eq!(top.1, (1000.0 / h).round() as u32);
        assert_eq!(
            top.0 + top.1,
            first + 1000,
            "the top range's subscribers come last"
        );
        for r in 0..10 {
            let (lo, len) = w.range_slots(g, r);
            assert!((lo..lo + len).all(|slot| w.range_of(g, slot) == r));
        }
    }

    #[test]
    fn every_strategy_reaches_the_same_subscribers_with_shifted_updates() {
        // 300 members in ranges of 10 under a Zipf law, every one active, 10 s of presence
        // changes: the same deliveries whichever process makes the sends, since each group's
        // recipients are a prefix of it.
        let run = |strategy: &str| {
            Tiny::new(&[300])
                .set("model.member_list.structure", "sorted_set")
                .set("model.member_list.range_size", "10")
                .set("model.fanout.strategy", strategy)
                .set("model.fanout.relays.max_sessions", "40")
                .set("run.horizon_s", "10")
                .set(
                    "workload.publishes.presence_changes_per_session_per_s",
                    "0.01",
                )
                .run()
                .summary
        };
        let naive = run("naive");
        assert!(naive.presence_changes > 10, "{naive:?}");
        assert!(naive.presence_deliveries_total > 10 * naive.presence_changes);
        for strategy in ["manifold", "relays"] {
            let s = run(strategy);
            assert_eq!(s.presence_changes, naive.presence_changes, "{strategy}");
            assert_eq!(
                s.presence_deliveries_total, naive.presence_deliveries_total,
                "{strategy}"
            );
        }
    }
}
