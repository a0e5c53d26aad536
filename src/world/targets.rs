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
            return part(active, guild.len, guild.active_groups, all_groups);
        }
        let member = out.presence.then(|| out.origin.slot()).flatten();
        let presence = member.is_some();
        if let (Some(slot), Some(_)) = (member, &self.member_list) {
            let range = self.range_of(g, slot);
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
        let by_range = out.presence && self.member_list.is_some();
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
        let joined: u32 = self.groups[groups].iter().map(|gr| gr.joined).sum();
        joined.saturating_sub(u32::from(self.origin_in(target, origin)))
    }
}
