//! Fan-out: how a guild sends one published event to its members.
//!
//! Naive (2017): the guild sends to each member in member order, one send at a time, in its
//! own single thread. Each send occupies the guild for a cost drawn from `send_local` or
//! `send_remote`; the event reaches the session after the network latency between the two
//! nodes. A slice of the guild's work is a run of consecutive sends: their completion times
//! follow in closed form from the slice's start, so a slice is one event however many sends
//! it holds.

use super::event::Event;
use super::ids::GuildId;
use super::mailbox::Msg;
use super::state::World;
use crate::sim::{EventQueue, Nanos};

impl World {
    /// Runs sends of guild `g`'s current publish from `now` for about one time slice; returns
    /// the completion time of the last send of the slice.
    pub fn guild_slice(&mut self, g: GuildId, now: Nanos, queue: &mut EventQueue<Event>) -> Nanos {
        let guild = &mut self.guilds[g.index()];
        let publish_time = match self.mailboxes.front(&guild.core.mailbox) {
            Some(Msg::Publish { publish_time }) => publish_time,
            other => unreachable!("guild {g:?} scheduled with {other:?}"),
        };
        if !guild.in_progress {
            guild.in_progress = true;
            guild.next = 0;
            guild.started = now;
        }
        let (node, first, len, mut next) = (guild.node, guild.first, guild.len, guild.next);
        let slice_end = now.saturating_add(self.params.time_slice);
        let mut t = now;
        while next < len && t < slice_end {
            let s = self.members[(first + next) as usize];
            next += 1;
            let to = self.session_node[s.index()];
            if to == node {
                t += self.params.send_local.sample(&mut self.costs_rng);
                self.rec.sends_local += 1;
            } else {
                t += self.params.send_remote.sample(&mut self.costs_rng);
                self.rec.sends_remote += 1;
            }
            let arrival = t + self.latency(node, to);
            self.deliver(s, arrival, publish_time, queue);
        }
        self.guilds[g.index()].next = next;
        t
    }

    /// A slice of guild `g` ended at `now`: if every member has been sent to, the publish is
    /// complete and leaves the mailbox.
    pub fn guild_slice_done(&mut self, g: GuildId, now: Nanos) {
        let guild = &mut self.guilds[g.index()];
        if guild.next < guild.len {
            return;
        }
        let Some(Msg::Publish { publish_time }) = self.mailboxes.pop(&mut guild.core.mailbox)
        else {
            unreachable!("guild {g:?} finished a publish it did not have");
        };
        guild.in_progress = false;
        let (started, recipients, depth) = (guild.started, guild.len, guild.core.mailbox.len());
        self.rec
            .publish_completed(now, started, publish_time, recipients);
        self.rec.guild_mailbox_depth(now, depth);
    }
}
