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

use super::ids::GuildId;
use super::mailbox::NO_ORIGIN;
use super::sends::Outgoing;
use super::state::{Group, NOT_JOINED, World};
use crate::sim::{Dist, Nanos};

/// The size at which R19 measured the update costs.
const PUBLISHED_SIZE: f64 = 250_000.0;

pub struct MemberListParams {
    /// One update's cost at 250,000 members.
    pub cost: Dist,
    /// The cost grows as log2(n) (else as n).
    pub log_scaling: bool,
    pub range_size: u32,
}

/// The members a fan-out goes to: membership slots `first .. first + len` (naive), and the
/// Manifold groups of the same members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub first: u32,
    pub len: u32,
    pub groups_first: u32,
    pub groups_len: u32,
    /// The target is the whole guild.
    pub whole: bool,
}

impl World {
    /// Guild `g` updates its member list once (a join, leave or presence change): the time it
    /// takes (0 without a member list).
    pub fn list_update_cost(&mut self, g: GuildId) -> Nanos {
        let Some(list) = &self.params.member_list else {
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

    /// Where `out`, published by guild `g`, goes: a chat event to every member; a presence
    /// update, with a member list, to the subscribers of its member's range.
    pub fn fanout_target(&self, g: GuildId, out: &Outgoing) -> Target {
        let guild = &self.guilds[g.index()];
        let whole = Target {
            first: guild.first,
            len: guild.len,
            groups_first: guild.groups_first,
            groups_len: guild.groups_len,
            whole: true,
        };
        let Some(list) = &self.params.member_list else {
            return whole;
        };
        if !out.presence || out.origin == NO_ORIGIN {
            return whole;
        }
        let size = list.range_size;
        let range = (out.origin - guild.first) / size;
        let lo = range * size;
        let hi = (lo + size).min(guild.len);
        let (groups_first, groups_len) = self.range_groups(g, range);
        Target {
            first: guild.first + lo,
            len: hi - lo,
            groups_first,
            groups_len,
            whole: false,
        }
    }

    /// The range of the list that membership `slot` of guild `g` sits in.
    pub fn range_of(&self, g: GuildId, slot: u32) -> u32 {
        let size = self
            .params
            .member_list
            .as_ref()
            .map_or(u32::MAX, |l| l.range_size);
        (slot - self.guilds[g.index()].first) / size
    }

    /// Manifold: the groups of range `range` of guild `g`'s list, as (first, len).
    fn range_groups(&self, g: GuildId, range: u32) -> (u32, u32) {
        let guild = &self.guilds[g.index()];
        let first = guild.range_groups_first as usize;
        let groups = &self.groups[first..first + guild.range_groups_len as usize];
        let range_of = |gr: &Group| self.range_of(g, self.by_node[gr.start as usize]);
        let start = groups.partition_point(|gr| range_of(gr) < range);
        let end = groups.partition_point(|gr| range_of(gr) <= range);
        ((first + start) as u32, (end - start) as u32)
    }

    /// Manifold: the index (into `groups`) of the range group holding `slot` of guild `g`.
    pub fn range_group_of(&self, g: GuildId, slot: u32) -> Option<usize> {
        let guild = &self.guilds[g.index()];
        if guild.range_groups_len == 0 {
            return None;
        }
        let first = guild.range_groups_first as usize;
        let groups = &self.groups[first..first + guild.range_groups_len as usize];
        let s = self.member_session[slot as usize];
        let key = (
            self.range_of(g, slot),
            self.session_node[s.index()],
            self.worker_of(s),
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

    /// Members a message of guild `g` about `origin` reaches in `target` now.
    pub fn target_recipients(&self, g: GuildId, target: &Target, origin: u32) -> u32 {
        if target.whole {
            return self.recipients(g, origin);
        }
        let range =
            target.groups_first as usize..(target.groups_first + target.groups_len) as usize;
        let joined: u32 = self.groups[range].iter().map(|gr| gr.joined).sum();
        let origin_in = origin != NO_ORIGIN
            && (target.first..target.first + target.len).contains(&origin)
            && self.member_joined[origin as usize] != NOT_JOINED;
        joined - u32::from(origin_in)
    }
}
