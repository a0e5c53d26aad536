//! A guild process: how it handles a publish, a join or a leave (the member list's update,
//! joining or leaving), and hands the event (or the presence update) to its fan-out strategy
//! (`fanout/`); when the message is done it leaves the mailbox and its completion is
//! recorded.

use super::event::{Event, ProcRef};
use super::ids::GuildId;
use super::mailbox::{About, Msg, Origin};
use super::sends::Outgoing;
use super::state::{NOT_JOINED, World};
use crate::sim::{EventQueue, Nanos};

impl World {
    /// Runs guild `g`'s current message from `now` for about one time slice; returns the
    /// completion time of the slice's last send.
    pub(crate) fn guild_slice(
        &mut self,
        g: GuildId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let gi = g.index();
        let head = self
            .mailboxes
            .front(&self.guilds[gi].core.mailbox)
            .expect("a guild runs with a message");
        let first_slice = !self.guilds[gi].work.active;
        let depth = self.guilds[gi].core.mailbox.len();
        self.rec.guild_mailbox_depth(now, depth);
        let mut t = now;
        if first_slice {
            self.guilds[gi].work = super::process::Work {
                active: true,
                started: now,
                ..Default::default()
            };
        }
        let (out, fan_out) = match head {
            Msg::Publish {
                publish_time,
                origin,
            } => {
                // A presence change (a publish about a member) moves it in the member list.
                let presence = origin.is_member();
                if first_slice && presence {
                    t += self.list_update_cost(g);
                }
                let out = Outgoing {
                    publish_time,
                    origin,
                    presence,
                    snapshot: u32::MAX,
                };
                (out, true)
            }
            Msg::Join { slot, publish_time } => {
                if first_slice {
                    t += self.params.guild_join.sample(&mut self.costs_rng);
                    self.join(g, slot);
                    t += self.list_update_cost(g);
                    t = self.relay_upkeep(g, slot, t, queue);
                    self.rec.join_handled(t);
                }
                let out = Outgoing {
                    publish_time,
                    origin: Origin::member(slot),
                    presence: true,
                    snapshot: u32::MAX,
                };
                (out, self.params.presence_on_join)
            }
            Msg::Leave { slot, publish_time } => {
                let mut was_joined = true;
                if first_slice {
                    t += self.params.guild_join.sample(&mut self.costs_rng);
                    was_joined = self.leave(g, slot);
                    if was_joined {
                        t += self.list_update_cost(g);
                        t = self.relay_upkeep(g, slot, t, queue);
                    }
                }
                (
                    Outgoing {
                        publish_time,
                        origin: Origin::member(slot),
                        presence: true,
                        snapshot: u32::MAX,
                    },
                    was_joined && self.params.presence_on_leave,
                )
            }
            Msg::RelayResync { group } => {
                // A restarted relay asks for what it holds: the guild sends it (`relays.rs`).
                if first_slice {
                    t = self.relay_resync_reply(g, group, t, queue);
                }
                self.guilds[gi].work.done = true;
                return t;
            }
            other => unreachable!("guild {g:?} got {other:?}"),
        };
        // Large guilds publish no presence (decided when the message is taken up).
        let fan_out = fan_out && (!first_slice || !out.presence || self.publishes_presence(g));
        // The collections its allocation causes pause it before it sends (`gc.rs`).
        if first_slice {
            t += self.gc_take_up(g, fan_out);
        }
        if !fan_out {
            self.guilds[gi].work.done = true;
            return t;
        }
        if first_slice {
            // Users with behaviour: the chat count, wake-ups, mentions (`behaviour.rs`).
            t = self.users_take_up(g, &out, now, t, queue);
        }
        let end = self.fanout_guild_sends(g, out, first_slice, now, t, queue);
        self.rec.fanout_work(t, end);
        end
    }

    /// Whether guild `g` publishes presence updates: it is not above the size limit.
    pub(crate) fn publishes_presence(&self, g: GuildId) -> bool {
        self.params
            .presence_max_online
            .is_none_or(|max| self.guilds[g.index()].online <= max)
    }

    /// Members a message of guild `g` about `origin` goes to now.
    pub(crate) fn recipients(&self, g: GuildId, origin: Origin) -> u32 {
        self.guilds[g.index()].online - u32::from(self.origin_joined(g, origin))
    }

    /// Whether `origin` is a joined member of guild `g`.
    fn origin_joined(&self, g: GuildId, origin: Origin) -> bool {
        origin.slot().is_some_and(|slot| {
            debug_assert!(self.guild_holds(g, slot));
            self.member_joined[slot as usize] != NOT_JOINED
        })
    }

    /// Whether membership `slot` is one of guild `g`'s.
    fn guild_holds(&self, g: GuildId, slot: u32) -> bool {
        let guild = &self.guilds[g.index()];
        (guild.first..guild.first + guild.len).contains(&slot)
    }

    /// Guild `g` handles the join of its member in `slot`.
    fn join(&mut self, g: GuildId, slot: u32) {
        debug_assert!(self.guild_holds(g, slot));
        let guild = &mut self.guilds[g.index()];
        let was_joined = self.member_joined[slot as usize] != NOT_JOINED;
        self.member_joined[slot as usize] = guild.join_seq;
        guild.join_seq += 1;
        if !was_joined {
            guild.online += 1;
            if let Some(i) = self.group_of(g, slot) {
                self.groups[i].joined += 1;
            }
            if let Some(i) = self.range_group_of(g, slot) {
                self.groups[i].joined += 1;
            }
        }
    }

    /// Guild `g` handles the leave of its member in `slot`; whether it was joined.
    fn leave(&mut self, g: GuildId, slot: u32) -> bool {
        debug_assert!(self.guild_holds(g, slot));
        if self.member_joined[slot as usize] == NOT_JOINED {
            return false;
        }
        self.member_joined[slot as usize] = NOT_JOINED;
        self.guilds[g.index()].online -= 1;
        if let Some(i) = self.group_of(g, slot) {
            self.groups[i].joined -= 1;
        }
        if let Some(i) = self.range_group_of(g, slot) {
            self.groups[i].joined -= 1;
        }
        true
    }

    /// A slice of guild `g` ended at `now`: when its message is done it leaves the mailbox.
    pub(crate) fn guild_slice_done(&mut self, g: GuildId, now: Nanos) {
        let work = self.guilds[g.index()].work;
        if !work.done {
            return;
        }
        let msg = self.dequeue(ProcRef::Guild(g), now);
        self.guilds[g.index()].work = Default::default();
        self.gc_message_done(g, &msg, work.sends);
        let chat = matches!(msg, Msg::Publish { origin, .. } if origin.about() == About::Chat);
        self.trace_fanout(g, &work, now, !chat);
        match msg {
            Msg::Publish { origin, .. } if origin.about() == About::Digest => {}
            Msg::Publish { publish_time, .. } if chat => {
                self.rec
                    .publish_completed(now, work.started, publish_time, work.recipients);
            }
            Msg::Publish { .. } | Msg::Join { .. } | Msg::Leave { .. } => {
                if work.sends > 0 || work.recipients > 0 {
                    self.rec.presence_completed(now, work.started);
                }
            }
            Msg::RelayResync { .. } => {}
            other => unreachable!("guild {g:?} finished {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::{Tiny, assert_close};

    #[test]
    fn a_guild_handles_its_publishes_one_after_another_in_arrival_order() {
        // Three publishes at once into a guild of 5: each fan-out takes 5 x 50 µs, the second
        // waits for the first and the third for both; the last send of the third completes at
        // 750 µs and arrives at 850 µs.
        let r = Tiny::new(&[5])
            .set("workload.bursts", "[{guild: 0, at_s: 0.1, count: 3}]")
            .set("run.check_order", "true")
            .run();
        let s = &r.summary;
        assert_eq!(s.publishes_total, 3);
        assert_eq!(s.publishes_completed, 3);
        assert_eq!(s.deliveries_total, 15);
        assert_eq!(s.guild_mailbox_depth_max, 3);
        assert_eq!(s.order_violations, Some(0));
        assert_close(s.latency_ms.min, 0.150);
        assert_close(s.latency_ms.max, 0.850);
        // Each fan-out takes 250 µs once started; they leave the guild at 250, 500, 750 µs.
        assert_close(s.fanout_duration_ms.max, 0.250);
        assert_close(s.guild_sojourn_ms.min, 0.250);
        assert_close(s.guild_sojourn_ms.max, 0.750);
        assert_close(s.busy_s.of("guild"), 750e-6);
    }

    #[test]
    fn a_presence_change_goes_to_every_other_joined_member() {
        // One guild of 5, each user in it: every presence change of a member reaches the
        // four others, and no chat is published.
        let r = Tiny::new(&[5])
            .set("workload.publishes.presence_changes_per_session_per_s", "4")
            .run();
        let s = &r.summary;
        assert!(
            s.presence_changes > 5,
            "some presence changes: {}",
            s.presence_changes
        );
        assert_eq!(s.presence_deliveries_total, 4 * s.presence_changes);
        assert_eq!(s.deliveries_total, 0);
        assert_eq!(s.guild_sends, 4 * s.presence_changes);
        // Four remote sends each: the update's last one arrives 4 x 50 + 100 µs after it.
        assert_close(s.presence_latency_ms.min, 0.150);
        assert_close(s.presence_latency_ms.max, 0.300);
    }

    #[test]
    fn a_guild_above_the_presence_limit_publishes_no_presence() {
        let r = Tiny::new(&[5])
            .set("workload.publishes.presence_changes_per_session_per_s", "4")
            .set("model.presence.max_online_members", "4")
            .run();
        assert!(r.summary.presence_changes > 5);
        assert_eq!(r.summary.presence_deliveries_total, 0);
        assert_eq!(r.summary.guild_sends, 0);
    }
}
