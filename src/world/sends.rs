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
use super::mailbox::Origin;
use super::state::{ONLINE_BIT, World};
use crate::metrics::Recorder;
use crate::metrics::bin_histogram;
use crate::metrics::histogram;
use crate::metrics::recorder::{BatchView, DeliveryBatch};
use crate::sim::rng::StreamRng;
use crate::sim::{Dist, EventQueue, Nanos};

pub(crate) struct Sends<'a> {
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
    folded_room: &'a mut u32,
    folded_until: &'a mut Nanos,
    folded_late: &'a mut bool,
    /// (local, remote) costs every send takes, when they are not drawn per send.
    fixed: Option<(Nanos, Nanos)>,
    /// Time the sender spends on each recipient besides the send (naive fan-out: finding it
    /// and checking its permissions, `costs.permission_check_us`).
    per_recipient: Nanos,
}

/// What a run of sends did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunEnd {
    /// Completion time of the last send.
    pub(crate) t: Nanos,
    /// Next member index (relative to the start of the member list).
    pub(crate) next: u32,
    /// Sends made.
    pub(crate) sends: u32,
}

impl World {
    /// The parts of the world a run of sends uses.
    pub(crate) fn sends<'a>(&'a mut self, queue: &'a mut EventQueue<Event>) -> Sends<'a> {
        Sends {
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
            folded_room: &mut self.folded_room,
            folded_until: &mut self.folded_until,
            folded_late: &mut self.folded_late,
            fixed: None,
            per_recipient: 0,
        }
    }
}

/// One event (or presence update) for many members.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outgoing {
    pub(crate) publish_time: Nanos,
    /// Whom the event is about: a presence update is not sent to its member.
    pub(crate) origin: Origin,
    pub(crate) presence: bool,
    /// Only members that joined before this join number (Manifold's snapshot); `u32::MAX`
    /// for every joined member.
    pub(crate) snapshot: u32,
}

/// The cost of one send, local or remote.
trait SendCosts {
    fn cost(&mut self, remote: bool, rng: &mut StreamRng) -> Nanos;
}

/// Constant costs: nothing drawn.
struct ConstantCosts {
    local: Nanos,
    remote: Nanos,
}

impl SendCosts for ConstantCosts {
    #[inline(always)]
    fn cost(&mut self, remote: bool, _: &mut StreamRng) -> Nanos {
        if remote { self.remote } else { self.local }
    }
}

/// Costs drawn from their distributions (one draw per send, from the costs stream), plus a
/// constant per recipient.
struct SampledCosts<'a> {
    local: &'a Dist,
    remote: &'a Dist,
    per_recipient: Nanos,
}

impl SendCosts for SampledCosts<'_> {
    #[inline(always)]
    fn cost(&mut self, remote: bool, rng: &mut StreamRng) -> Nanos {
        let send = if remote {
            self.remote.sample(rng)
        } else {
            self.local.sample(rng)
        };
        send + self.per_recipient
    }
}

impl Sends<'_> {
    /// Every send of the run takes these (local, remote) costs instead of drawing its own
    /// (`costs.send_draw`); `None` keeps the draws.
    pub(crate) fn with_costs(mut self, fixed: Option<(Nanos, Nanos)>) -> Self {
        self.fixed = fixed;
        self
    }

    /// Every send also takes `per_recipient` of the sender's time (the recipient's
    /// permission check, under naive fan-out).
    pub(crate) fn with_per_recipient(mut self, per_recipient: Nanos) -> Self {
        self.per_recipient = per_recipient;
        self
    }

    /// From node `from`, starting at `t`, sends `out` to the members `slots(i)` for
    /// `i` in `next..len` that are joined (before the snapshot) and are not its origin,
    /// until `slice_end` is reached. `slots` maps a member index to its membership slot.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &mut self,
        from: NodeId,
        out: Outgoing,
        slots: impl Fn(u32) -> u32,
        next: u32,
        len: u32,
        t: Nanos,
        slice_end: Nanos,
    ) -> RunEnd {
        // An event budget may leave room for fewer sends than the slice would make.
        let len = len.min(next.saturating_add(*self.folded_room));
        // One loop per combination, each with only what it needs compiled in.
        macro_rules! with_costs {
            ($costs:expr) => {
                match (self.check_order, out.origin != Origin::CHAT) {
                    (false, false) => self.run_with::<_, false, false>(
                        $costs, from, out, slots, next, len, t, slice_end,
                    ),
                    (false, true) => self.run_with::<_, false, true>(
                        $costs, from, out, slots, next, len, t, slice_end,
                    ),
                    (true, false) => self.run_with::<_, true, false>(
                        $costs, from, out, slots, next, len, t, slice_end,
                    ),
                    (true, true) => self.run_with::<_, true, true>(
                        $costs, from, out, slots, next, len, t, slice_end,
                    ),
                }
            };
        }
        let constant = self.fixed.or(
            match (
                self.send_local.constant_value(),
                self.send_remote.constant_value(),
            ) {
                (Some(local), Some(remote)) => Some((local, remote)),
                _ => None,
            },
        );
        let extra = self.per_recipient;
        let end = match constant {
            Some((local, remote)) => with_costs!(ConstantCosts {
                local: local + extra,
                remote: remote + extra,
            }),
            None => with_costs!(SampledCosts {
                local: self.send_local,
                remote: self.send_remote,
                per_recipient: extra,
            }),
        };
        if *self.folded_room != u32::MAX {
            *self.folded_room = self.folded_room.saturating_sub(end.sends);
        }
        end
    }

    /// [`Self::run`] with its costs, order check and origin check fixed at compile time. Kept
    /// out of line so that each variant's loop gets the registers to itself.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn run_with<C: SendCosts, const CHECK_ORDER: bool, const HAS_ORIGIN: bool>(
        &mut self,
        mut costs: C,
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
        let mut remote = 0u64;
        let mut violations = 0u64;
        // Folding applies to online sessions, and not at all when it is off.
        let fold_mask = if self.fold { ONLINE_BIT } else { 0 };
        let horizon = self.horizon;
        // The batch's moments and the current time bin's statistics, kept in registers.
        let (mut count, mut sum, mut min, mut max) = (0u64, 0u128, u64::MAX, 0u64);
        // Bins carry the count, sum, max and min until they close.
        let (mut bin, mut bin_start, mut bin_count, mut bin_sum, mut bin_max, mut bin_min) =
            (0usize, u64::MAX, 0u64, 0u64, 0u64, u64::MAX);
        // A folded delivery lands after the horizon: the run has work left there.
        let mut late = false;
        {
            let BatchView {
                buckets: all,
                mut bins,
                hists,
            } = self.rec.batch_view(out.presence);
            let interval = bins.interval;
            // The buckets of the current bin's segment of time (all of them without windows).
            let mut buckets = bins.segment(all, 0);
            // The current bin's latency histogram (chat events only): the counts it holds
            // and its first coarse bucket; a latency outside goes through `add`.
            let (mut hist, mut hist_lo): (&mut [u64], u32) = (&mut [], 0);
            while next < len && t < slice_end {
                let slot = slots(next) as usize;
                next += 1;
                // NOT_JOINED is u32::MAX: never below a snapshot.
                if self.member_joined[slot] >= out.snapshot
                    || (HAS_ORIGIN && slot as u32 == out.origin.raw())
                {
                    continue;
                }
                let info = self.member_info[slot];
                let to = info as u16;
                let is_remote = to != from.0;
                remote += is_remote as u64;
                t += costs.cost(is_remote, self.rng);
                sends += 1;
                let arrival = t + row[to as usize];
                if info & fold_mask != 0 {
                    // Folded: recorded now, at its arrival time.
                    if arrival <= horizon {
                        let latency = arrival - out.publish_time;
                        let fine = histogram::index(latency);
                        if arrival.wrapping_sub(bin_start) >= interval {
                            bins.add(bin, bin_count, bin_sum, bin_max, bin_min);
                            (count, sum, max, min) = (
                                count + bin_count,
                                sum + bin_sum as u128,
                                max.max(bin_max),
                                min.min(bin_min),
                            );
                            bin = bins.bin(arrival);
                            bin_start = bin as u64 * interval;
                            buckets = bins.segment(all, bin);
                            (hist, hist_lo) = match hists.get_mut(bin) {
                                Some(h) => h.window(),
                                None => (&mut [][..], 0),
                            };
                            (bin_count, bin_sum, bin_max, bin_min) = (0, 0, 0, u64::MAX);
                        }
                        buckets[fine] += 1;
                        let k = bin_histogram::coarse(fine).wrapping_sub(hist_lo) as usize;
                        if k < hist.len() {
                            hist[k] += 1;
                        } else {
                            (hist, hist_lo) = match hists.get_mut(bin) {
                                Some(h) => {
                                    h.add(fine);
                                    h.window()
                                }
                                None => (&mut [][..], 0),
                            };
                        }
                        bin_count += 1;
                        bin_sum += latency;
                        bin_max = bin_max.max(latency);
                        bin_min = bin_min.min(latency);
                        if CHECK_ORDER {
                            let last = &mut self.last_delivered[slot];
                            violations += u64::from(out.publish_time < *last);
                            *last = out.publish_time;
                        }
                    } else {
                        late = true;
                    }
                } else {
                    queue_delivery(
                        self.queue,
                        arrival,
                        Event::Deliver {
                            slot: slot as u32,
                            presence: out.presence,
                            was_online: info & ONLINE_BIT != 0,
                            publish_time: out.publish_time,
                        },
                    );
                }
            }
            bins.add(bin, bin_count, bin_sum, bin_max, bin_min);
            (count, sum, max, min) = (
                count + bin_count,
                sum + bin_sum as u128,
                max.max(bin_max),
                min.min(bin_min),
            );
        }
        let batch = DeliveryBatch {
            count,
            sum,
            min,
            max,
        };
        if batch.count > 0 {
            // The latest arrival is the publish time plus the largest latency.
            *self.folded_until = (*self.folded_until).max(out.publish_time + batch.max);
        }
        *self.folded += batch.count;
        *self.folded_late |= late;
        self.rec
            .finish_batch(&batch, out.presence, out.publish_time);
        self.rec.inter_node_messages += remote;
        self.rec.order_violations += violations;
        RunEnd { t, next, sends }
    }

    /// Counts a delivery to `slot` of an event published before the last one it received.
    fn check_order_of(&mut self, slot: u32, publish_time: Nanos) {
        let last = &mut self.last_delivered[slot as usize];
        if publish_time < *last {
            self.rec.order_violations += 1;
        }
        *last = publish_time;
    }

    /// A delivery of an event published at `publish_time` to membership `slot`, arriving at
    /// `arrival`: folded when the session is online, else an event.
    #[inline(always)]
    pub(crate) fn deliver(
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
                    self.check_order_of(slot, publish_time);
                }
                *self.folded += 1;
                if arrival > *self.folded_until {
                    *self.folded_until = arrival;
                }
            } else {
                *self.folded_late = true;
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

/// A delivery that is not folded, queued as an event: kept out of line so that the send loop,
/// which folds nearly every delivery of a steady run, stays small (inlined, the calendar
/// queue's insertion cost the folded loop about 5 % on the reference workload).
#[inline(never)]
fn queue_delivery(queue: &mut EventQueue<Event>, at: Nanos, event: Event) {
    queue.schedule(at, event);
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::{MIXED_NODES, ROUND_ROBIN, Tiny};

    #[test]
    fn deliveries_in_closed_form_equal_deliveries_through_the_queue() {
        let tiny = Tiny::new(&[6, 4])
            .set("model.nodes", MIXED_NODES)
            .set("workload.users.placement", ROUND_ROBIN)
            .set("workload.users.guilds_per_user_mean", "1.5")
            .set("workload.publishes.rate", "{per_guild_per_s: 20}");
        let folded = tiny.run().summary;
        let queued = tiny.set("run.deliveries", "per_event").run().summary;
        assert!(folded.deliveries_total > 100);
        assert_eq!(folded.deliveries_total, queued.deliveries_total);
        assert_eq!(folded.events_total, queued.events_total);
        assert_eq!(folded.latency_ms.mean, queued.latency_ms.mean);
        assert_eq!(folded.latency_ms.max, queued.latency_ms.max);
        assert_eq!(folded.guild_sends, queued.guild_sends);
        // Folded deliveries are recorded without an event, yet counted as events.
        assert!(folded.events_total > folded.deliveries_total);
    }

    #[test]
    fn a_send_to_a_member_offline_at_the_start_is_skipped() {
        // A login storm keeps users 0 and 1 offline until 0.5 s: a publish at 0.1 s goes to
        // the three others only, and costs three sends; their joins then cost 3 and 4
        // presence sends.
        let r = Tiny::new(&[5])
            .set(
                "workload.storms",
                "[{login: {users: 2, start_s: 0.5, window_s: 0}}]",
            )
            .publish_at(0.1)
            .run();
        assert_eq!(r.summary.guild_sends, 3 + 3 + 4);
        assert_eq!(r.summary.deliveries_total, 3);
        assert_eq!(r.summary.presence_deliveries_total, 3 + 4);
        assert_eq!(r.summary.deliveries_dropped, 0);
    }
}
