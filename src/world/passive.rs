//! Passive sessions (MJ, secondary): in a guild of at least `min_members` members only a
//! fraction of the sessions are active, their users looking at the guild; the others are
//! passive and get a reduced stream: the event kinds they still receive (`receives`), and,
//! with `digest_interval_ms`, a periodic digest of the chat they missed.
//!
//! Member slots are in random order, so the first `active_fraction` of a guild's slots are
//! its active members; a grouped fan-out's groups are ordered active first, so that every
//! fan-out target is one run of slots and one run of groups (`targets.rs`).
//!
//! A digest is a message the guild fans out to its passive members, counted as it is sent
//! (`digest_deliveries`): the guild, or the fan-out's processes, pay a send per
//! passive member, but the digest carries no event whose latency is measured.

use super::event::Event;
use super::ids::{GuildId, NodeId};
use super::mailbox::{Msg, Origin};
use super::sends::{Outgoing, RunEnd};
use super::state::{ONLINE_BIT, World};
use crate::config::schema::{EventKind, Experiment};
use crate::sim::time::ms;
use crate::sim::{EventQueue, Nanos};

/// Passive sessions, when large guilds have them: the parameters, and the digests' state.
pub(crate) struct Passive {
    pub(crate) min_members: u32,
    pub(crate) active_fraction: f64,
    /// Passive sessions receive chat events, presence updates, as they happen.
    pub(crate) chat: bool,
    pub(crate) presence: bool,
    /// How often passive members get a digest of missed chat.
    pub(crate) digest_interval: Option<Nanos>,
    /// A digest's size (before compression).
    pub(crate) digest_bytes: u64,
    /// Per guild, whether chat arrived since its last digest; the guilds with passive members.
    digest_due: Vec<bool>,
    digest_guilds: Vec<u32>,
}

impl Passive {
    /// Passive sessions for `exp`, if its large guilds have them.
    pub(crate) fn new(exp: &Experiment) -> Option<Passive> {
        let config = &exp.model.passive;
        Some(Passive {
            min_members: config.min_members?,
            active_fraction: config.active_fraction,
            chat: config.receives.contains(&EventKind::Chat),
            presence: config.receives.contains(&EventKind::Presence),
            digest_interval: config.digest_interval_ms.map(|v| ms(v).max(1)),
            digest_bytes: config.digest_bytes,
            digest_due: Vec::new(),
            digest_guilds: Vec::new(),
        })
    }
}

impl World {
    /// Marks each large guild's active members: the first `active_fraction` of its slots (at
    /// least one); and starts the digests.
    pub(crate) fn mark_active(&mut self, queue: &mut EventQueue<Event>) {
        let Some(passive) = &self.passive else {
            return;
        };
        // With users who open and leave (`behaviour.rs`), who is active changes: every slot
        // stays in the active part here, and fan-outs take the active flag per member.
        let users = self.behaviour.is_some();
        let (min, fraction) = (passive.min_members, passive.active_fraction);
        let digest_interval = passive.digest_interval;
        let mut passive_guilds = Vec::new();
        for (g, guild) in self.guilds.iter_mut().enumerate() {
            if guild.len >= min {
                let active = if users {
                    guild.len
                } else {
                    active_members(guild.len, fraction)
                };
                guild.active = active.clamp(1, guild.len);
                if guild.active < guild.len || users {
                    passive_guilds.push(g as u32);
                }
            }
        }
        if let Some(interval) = digest_interval {
            let guilds = self.guilds.len();
            let passive = self.passive.as_mut().expect("passive sessions");
            passive.digest_due = vec![false; guilds];
            passive.digest_guilds = passive_guilds;
            if interval <= self.params.horizon {
                queue.schedule(interval, Event::DigestTick);
            }
        }
    }

    /// Chat reached guild `g`: its passive members will get a digest.
    #[inline]
    pub(crate) fn note_chat(&mut self, g: GuildId) {
        if let Some(due) = self
            .passive
            .as_mut()
            .and_then(|p| p.digest_due.get_mut(g.index()))
        {
            *due = true;
        }
    }

    /// Every guild with passive members and chat since its last digest publishes one.
    pub(crate) fn digest_tick(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        let count = self.passive.as_ref().map_or(0, |p| p.digest_guilds.len());
        for k in 0..count {
            let passive = self.passive.as_mut().expect("digests are on");
            let g = passive.digest_guilds[k] as usize;
            if !passive.digest_due[g] {
                continue;
            }
            passive.digest_due[g] = false;
            self.rec.digests += 1;
            let digest = Msg::Publish {
                publish_time: now,
                origin: Origin::DIGEST,
            };
            self.enqueue(
                super::event::ProcRef::Guild(GuildId(g as u32)),
                digest,
                now,
                queue,
            );
        }
        let interval = self
            .passive
            .as_ref()
            .and_then(|p| p.digest_interval)
            .expect("digests are on");
        if now + interval <= self.params.horizon {
            queue.schedule(now + interval, Event::DigestTick);
        }
    }

    /// From node `from`, starting at `t`, sends a digest to the joined members `slots(i)`
    /// for `i` in `next..len`, until `slice_end`: a send each, counted, not recorded as a
    /// delivery. `fixed` as in [`World::send_on_channel`].
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn digest_sends(
        &mut self,
        from: NodeId,
        slots: impl Fn(u32) -> u32,
        mut next: u32,
        len: u32,
        out: Outgoing,
        mut t: Nanos,
        slice_end: Nanos,
        fixed: Option<(Nanos, Nanos)>,
        queue: &mut EventQueue<Event>,
    ) -> RunEnd {
        let mut sends = 0;
        while next < len && t < slice_end {
            let slot = slots(next) as usize;
            next += 1;
            if self.member_joined[slot] >= out.snapshot {
                continue;
            }
            let info = self.member_info[slot];
            let to = NodeId(info as u16);
            let remote = to != from;
            t += match (remote, fixed) {
                (true, Some((_, cost))) | (false, Some((cost, _))) => cost,
                (true, None) => self.params.send_remote.sample(&mut self.costs_rng),
                (false, None) => self.params.send_local.sample(&mut self.costs_rng),
            };
            sends += 1;
            self.rec.inter_node_messages += u64::from(remote);
            let arrival = t + self.latency(from, to);
            if info & ONLINE_BIT != 0 && arrival <= self.params.horizon {
                self.rec.digest_deliveries += 1;
                if self.params.sessions_busy() {
                    // The session writes the digest out to its client.
                    let bytes = self.passive.as_ref().map_or(0, |p| p.digest_bytes);
                    let s = self.member_session[slot];
                    let msg = Msg::SyncReply {
                        slot: slot as u32,
                        bytes: bytes.min(u32::MAX as u64) as u32,
                        opened: super::state::DIGEST_OUT,
                    };
                    self.send_msg(super::event::ProcRef::Session(s), msg, arrival, queue);
                }
            }
        }
        RunEnd { t, next, sends }
    }
}

/// The active members of a guild of `len` at `fraction`: the fraction rounded up, except that a
/// product within rounding error of a whole number is that number (100 x 0.07 is
/// 7.000000000000001 in binary floating point; 7 members, not 8).
fn active_members(len: u32, fraction: f64) -> u32 {
    let x = len as f64 * fraction;
    let nearest = x.round();
    if (x - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest as u32
    } else {
        x.ceil() as u32
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    /// A guild of 5 with passive sessions: 40 % active (2 members), digests every 100 ms.
    fn passive() -> Tiny {
        Tiny::new(&[5, 3])
            .set("model.passive.min_members", "5")
            .set("model.passive.active_fraction", "0.4")
            .set("model.passive.digest_interval_ms", "100")
            .publish_at(0.05)
    }

    #[test]
    fn chat_goes_to_active_members_and_a_digest_to_passive_ones() {
        let w = passive().world();
        assert_eq!((w.guilds[0].active, w.guilds[1].active), (2, 3));
        let s = passive().run().summary;
        // The chat: two sends; one digest at 0.1 s: three sends, none after (no more chat).
        assert_eq!(s.deliveries_total, 2);
        assert_eq!(s.passive.digests, 1);
        assert_eq!(s.passive.digest_deliveries, 3);
        assert_eq!(s.guild_sends, 2 + 3);
    }

    #[test]
    fn passive_members_receive_the_kinds_they_ask_for() {
        let s = passive()
            .set("model.passive.receives", "[chat]")
            .run()
            .summary;
        assert_eq!(s.deliveries_total, 5);
    }

    #[test]
    fn a_fraction_of_a_guild_that_is_a_whole_number_of_members_is_that_number() {
        let w = Tiny::new(&[100])
            .set("model.passive.min_members", "5")
            .set("model.passive.active_fraction", "0.07")
            .world();
        assert_eq!(w.guilds[0].active, 7);
    }
}
