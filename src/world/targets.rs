//! Where a fan-out goes. A chat event goes to every member of the guild; a presence update
//! too, unless the guild keeps a member list (then only to the subscribers of its member's
//! range, `member_list.rs`); and in a guild with passive sessions only to the active members,
//! unless passive sessions receive that kind, while a digest goes to the passive members only
//! (`passive.rs`).
//!
//! A target is a run of membership slots (what the naive guild walks) and the groups holding
//! the same members (what a grouped fan-out sends to): every guild orders its slots and
//! groups so that each target is contiguous in both.

use super::ids::GuildId;
use super::mailbox::{About, Origin};
use super::sends::Outgoing;
use super::state::{NOT_JOINED, World};

/// The members a fan-out goes to: membership slots `first .. first + len`, and the groups
/// `groups_first .. groups_first + groups_len` holding the same members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) first: u32,
    pub(crate) len: u32,
    pub(crate) groups_first: u32,
    pub(crate) groups_len: u32,
    /// The target is the whole guild.
    pub(crate) whole: bool,
}

impl World {
    /// Where `out`, published by guild `g`, goes.
    pub(crate) fn fanout_target(&self, g: GuildId, out: &Outgoing) -> Target {
        let guild = &self.guilds[g.index()];
        let active = guild.active;
        let part = |lo: u32, hi: u32, groups_lo: u32, groups_hi: u32| Target {
            first: guild.first + lo,
            len: hi - lo,
            groups_first: guild.groups_first + groups_lo,
            groups_len: groups_hi - groups_lo,
            whole: lo == 0 && hi == guild.len,
        };
        let all_groups = guild.groups_len;
        if out.origin == Origin::DIGEST {
            if self.behaviour.is_some() {
                // Users with behaviour: the relays take the passive members (`behaviour.rs`).
                return part(0, guild.len, 0, all_groups);
            }
            return part(active, guild.len, guild.active_groups, all_groups);
        }
        let member = out.presence.then(|| out.origin.slot()).flatten();
        let presence = member.is_some();
        if let (Some(slot), Some(list)) = (member, &self.member_list) {
            if list.shifted {
                // Every range from the member's down: the active slots below its bound.
                let below = self.below(out.origin) - guild.first;
                return part(0, below, 0, guild.active_groups);
            }
            let range = self.place_range_of(g, slot);
            let (first, len) = self.range_slots(g, range);
            let (groups_first, groups_len) = self.range_groups(g, range);
            return Target {
                first,
                len,
                groups_first,
                groups_len,
                whole: false,
            };
        }
        let passive_receives = self
            .passive
            .as_ref()
            .is_none_or(|p| if presence { p.presence } else { p.chat });
        if passive_receives {
            part(0, guild.len, 0, all_groups)
        } else {
            part(0, active, 0, guild.active_groups)
        }
    }

    /// Whether `origin` is a joined member in `target`.
    pub(crate) fn origin_in(&self, target: &Target, origin: Origin) -> bool {
        match origin.about() {
            About::Member(slot) => {
                (target.first..target.first + target.len).contains(&slot)
                    && self.member_joined[slot as usize] != NOT_JOINED
            }
            About::Chat | About::Digest => false,
        }
    }

    /// The group of `target` that holds `out`'s origin, if it is a joined member of it.
    pub(crate) fn origin_group(&self, g: GuildId, target: &Target, out: &Outgoing) -> Option<u32> {
        if !self.origin_in(target, out.origin) {
            return None;
        }
        let slot = out.origin.slot()?;
        let by_range = out.presence && self.member_list.as_ref().is_some_and(|l| !l.shifted);
        let group = if by_range {
            self.range_group_of(g, slot)
        } else {
            self.group_of(g, slot)
        };
        group.map(|i| i as u32)
    }

    /// Members a message of guild `g` about `origin` reaches in `target` now.
    pub(crate) fn target_recipients(&self, g: GuildId, target: &Target, origin: Origin) -> u32 {
        if target.whole {
            return self.recipients(g, origin);
        }
        let groups =
            target.groups_first as usize..(target.groups_first + target.groups_len) as usize;
        let below = self.below(origin);
        let joined: u32 = self.groups[groups]
            .iter()
            .map(|&gr| self.group_joined(gr, below))
            .sum();
        joined.saturating_sub(u32::from(self.origin_in(target, origin)))
    }
}

#[cfg(test)]
mod tests {
    use crate::world::ids::GuildId;
    use crate::world::mailbox::Origin;
    use crate::world::sends::Outgoing;
    use crate::world::tiny::Tiny;

    fn out(origin: Origin, presence: bool) -> Outgoing {
        Outgoing {
            publish_time: 0,
            origin,
            presence,
            snapshot: u32::MAX,
        }
    }

    #[test]
    fn a_target_is_the_whole_guild_its_active_members_its_passive_ones_or_a_range() {
        let g = GuildId(0);
        let w = Tiny::new(&[10])
            .set("model.fanout.strategy", "manifold")
            .set("model.passive.min_members", "5")
            .set("model.passive.active_fraction", "0.5")
            .set("model.passive.digest_interval_ms", "100")
            .world();
        let first = w.guilds[0].first;
        // Chat: the 5 active members; a digest: the 5 passive ones; the groups alike.
        let chat = w.fanout_target(g, &out(Origin::CHAT, false));
        assert_eq!((chat.first, chat.len, chat.whole), (first, 5, false));
        assert_eq!(chat.groups_len, w.guilds[0].active_groups);
        let digest = w.fanout_target(g, &out(Origin::DIGEST, false));
        assert_eq!((digest.first, digest.len), (first + 5, 5));
        assert_eq!(
            digest.groups_first + digest.groups_len,
            w.guilds[0].groups_first + w.guilds[0].groups_len
        );
        assert_eq!(w.target_recipients(g, &chat, Origin::CHAT), 5);
        // A presence update about an active member goes to the four other active ones.
        let about = Origin::member(first);
        assert!(w.origin_in(&chat, about));
        assert_eq!(w.target_recipients(g, &chat, about), 4);

        // Without passive sessions, the whole guild; with a member list of 3 ranges (4, 4 and
        // 2 places) watched by 3, 4 and 3 members, the subscribers of the member's range:
        // member 9 is at place 9, in the last range, whose subscribers are the first 3 slots.
        let listed = Tiny::new(&[10])
            .set("model.fanout.strategy", "manifold")
            .set("model.member_list.structure", "sorted_set")
            .set("model.member_list.range_size", "4")
            .set("model.member_list.subscribers", "uniform");
        let w = listed
            .clone()
            .set("model.member_list.presence_updates", "own_range")
            .world();
        let whole = w.fanout_target(g, &out(Origin::CHAT, false));
        assert_eq!((whole.first, whole.len, whole.whole), (first, 10, true));
        assert_eq!(w.place_range_of(g, first + 9), 2);
        let range = w.fanout_target(g, &out(Origin::member(first + 9), true));
        assert_eq!((range.first, range.len, range.whole), (first, 3, false));
        // Shifted: its range and every range below it, the same 3 here; from the top range
        // (member 0, at place 0), all 10.
        let w = listed.world();
        let below = w.fanout_target(g, &out(Origin::member(first + 9), true));
        assert_eq!((below.first, below.len), (first, 3));
        let top = w.fanout_target(g, &out(Origin::member(first), true));
        assert_eq!((top.first, top.len), (first, 10));
        assert_eq!(w.target_recipients(g, &top, Origin::member(first)), 9);
    }
}
