//! Runs of sends to sessions, the hot loop of every fan-out: a guild (naive) or a Manifold
//! worker sends to its members one after another, each send taking `send_local` or
//! `send_remote` of the sender's time, each event arriving after the network latency.
//!
//! [`Sends`] borrows, apart from the rest of the world, exactly what such a run touches, so
//! the loop keeps its state in registers: the membership arrays, the latency table, the cost
//! distributions and their stream, the recorder and the queue. A delivery to an online
//! session is recorded in closed form at its arrival time (folded); any other goes through
//! the event queue.

use super::event::Event;
use super::ids::NodeId;
use super::state::{NOT_JOINED, ONLINE_BIT, World};
use crate::metrics::Recorder;
use crate::sim::rng::StreamRng;
use crate::sim::{Dist, EventQueue, Nanos};

pub struct Sends<'a> {
    member_session: &'a [super::ids::SessionId],
    member_joined: &'a [u32],
    member_info: &'a [u32],
    latency: &'a [Nanos],
    nodes: usize,
    send_local: &'a Dist,
    send_remote: &'a Dist,
    rng: &'a mut StreamRng,
    rec: &'a mut Recorder,
    queue: &'a mut EventQueue<Event>,
    fold: bool,
    horizon: Nanos,
    last_delivered: &'a mut [Nanos],
    check_order: bool,
    folded: &'a mut u64,
    folded_until: &'a mut Nanos,
}

/// What a run of sends did.
#[derive(Clone, Copy, Debug)]
pub struct RunEnd {
    /// Completion time of the last send.
    pub t: Nanos,
    /// Next member index (relative to the start of the member list).
    pub next: u32,
    /// Sends made.
    pub sends: u32,
}

impl World {
    /// The parts of the world a run of sends uses.
    pub fn sends<'a>(&'a mut self, queue: &'a mut EventQueue<Event>) -> Sends<'a> {
        Sends {
            member_session: &self.member_session,
            member_joined: &self.member_joined,
            member_info: &self.member_info,
            latency: &self.params.latency,
            nodes: self.nodes.len(),
            send_local: &self.params.send_local,
            send_remote: &self.params.send_remote,
            rng: &mut self.costs_rng,
            rec: &mut self.rec,
            queue,
            fold: self.params.fold_deliveries,
            horizon: self.params.horizon,
            last_delivered: &mut self.last_delivered,
            check_order: self.params.check_order,
            folded: &mut self.folded,
            folded_until: &mut self.folded_until,
        }
    }
}

/// One event (or presence update) for many members.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing {
    pub publish_time: Nanos,
    /// The member a presence update is about (not sent to it), or `NO_ORIGIN`.
    pub origin: u32,
    pub presence: bool,
    /// Only members that joined before this join number (Manifold's snapshot); `u32::MAX`
    /// for every joined member.
    pub snapshot: u32,
}

impl Sends<'_> {
    /// From node `from`, starting at `t`, sends `out` to the members `slots(i)` for
    /// `i` in `next..len` that are joined (before the snapshot) and are not its origin,
    /// until `slice_end` is reached. `slots` maps a member index to its membership slot.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        from: NodeId,
        out: Outgoing,
        slots: impl Fn(u32) -> u32,
        mut next: u32,
        len: u32,
        mut t: Nanos,
        slice_end: Nanos,
    ) -> RunEnd {
        let row = &self.latency[from.index() * self.nodes..][..self.nodes];
        let mut sends = 0u32;
        while next < len && t < slice_end {
            let slot = slots(next) as usize;
            next += 1;
            let joined = self.member_joined[slot];
            if joined == NOT_JOINED
                || joined >= out.snapshot
                || self.member_session[slot].0 == out.origin
            {
                continue;
            }
            let info = self.member_info[slot];
            let to = info as u16;
            t += if to == from.0 {
                self.send_local.sample(self.rng)
            } else {
                self.rec.inter_node_messages += 1;
                self.send_remote.sample(self.rng)
            };
            sends += 1;
            let arrival = t + row[to as usize];
            self.deliver(slot as u32, info, arrival, out.publish_time, out.presence);
        }
        RunEnd { t, next, sends }
    }

    /// A delivery of an event published at `publish_time` to membership `slot`, arriving at
    /// `arrival`: folded when the session is online, else an event.
    #[inline(always)]
    pub fn deliver(
        &mut self,
        slot: u32,
        info: u32,
        arrival: Nanos,
        publish_time: Nanos,
        presence: bool,
    ) {
        let online = info & ONLINE_BIT != 0;
        if self.fold && online {
            if arrival <= self.horizon {
                self.rec.delivery(arrival, publish_time, presence);
                if self.check_order {
                    let last = &mut self.last_delivered[slot as usize];
                    if publish_time < *last {
                        self.rec.order_violations += 1;
                    }
                    *last = publish_time;
                }
                *self.folded += 1;
                if arrival > *self.folded_until {
                    *self.folded_until = arrival;
                }
            }
        } else {
            self.queue.schedule(
                arrival,
                Event::Deliver {
                    slot,
                    presence,
                    was_online: online,
                    publish_time,
                },
            );
        }
    }
}
