//! Users with behaviour (`model.passive.users`, issue 23): in a guild with passive sessions,
//! every member is a user who opens the guild now and then and looks at it for a while. Its
//! session is active while the user looks, passive otherwise, so the active share is an
//! output of the open rate and the dwell time (`r d / (1 + r d)` in steady state).
//!
//! - **Opens.** While passive, a member opens the guild at rate `r` (Poisson). A guild draws
//!   candidates at `r` times its members and takes one when the member drawn is passive and
//!   joined: thinning, exact for a Poisson process per passive member.
//! - **Wake-ups.** An `@everyone` announcement adds, for each passive member, a rate
//!   `h0 e^(-t/tau)` with `h0 = -ln(1 - respond) / tau`: a share `respond` of the passive
//!   members opens the guild because of it, most within a few `tau`. A second stream of
//!   candidates, thinned by the decay as well, stops after `10 tau`.
//! - **Dwell.** Each open schedules the user's leave after a dwell time (exponential or
//!   constant); leaving makes the session passive again.
//! - **State sync.** Opening costs a sync: the session asks the guild's relay on its node,
//!   which writes the member-list range, unread counts and the missed messages (at most
//!   `max_messages`) into one reply (`relay_us` plus `per_message_us` each); the session node
//!   serialises and compresses the reply (`session_bytes.rs`). With `max_per_s`, a relay
//!   admits at most that many syncs a second, the others wait their turn.
//! - **Mentions.** A chat message mentions a member with probability `per_message`; a
//!   mentioned passive member gets it as it happens (the guild sends it to its session),
//!   counted apart.
//!
//! Who is active is a flag per membership slot. Fan-outs to the active members (or, for
//! digests, to the passive ones) go through the relays, each of which takes its members
//! with the right flag when it starts on a message (`relays.rs`).

use super::event::{Event, ProcRef};
use super::ids::GuildId;
use super::mailbox::Msg;
use super::sends::Outgoing;
use super::state::{NOT_JOINED, World};
use crate::config::schema::{DwellKind, EventKind, Experiment, UsersStart};
use crate::metrics::histogram::DurationHistogram;
use crate::sim::rng::{RngStreams, StreamRng};
use crate::sim::time::{secs, us};
use crate::sim::{EventQueue, Nanos};
use rand::Rng;

/// A member's session is passive.
pub(crate) const PASSIVE: u8 = 0;
/// Its user opened the guild; its relay has not answered its sync yet.
pub(crate) const OPENING: u8 = 1;
/// Its relay answered its sync: it receives what active sessions receive.
pub(crate) const ACTIVE: u8 = 2;

/// Guilds whose active share `timeseries.csv` reports one by one (the first ones with users).
pub(crate) const TRACKED: usize = 8;

/// A count of members integrated over time: over the whole run, and per time bin when it has
/// bins.
#[derive(Clone, Debug, Default)]
pub(crate) struct Integral {
    pub(crate) level: u64,
    last: Nanos,
    area: u128,
    bins: Vec<u128>,
}

impl Integral {
    fn new(bins: usize) -> Integral {
        Integral {
            bins: vec![0; bins],
            ..Integral::default()
        }
    }

    /// The count was `level` since the last change; it changes at `now`.
    fn advance(&mut self, now: Nanos, interval: Nanos) {
        let mut from = self.last;
        self.area += self.level as u128 * now.saturating_sub(from) as u128;
        while from < now && !self.bins.is_empty() {
            let bin = (from / interval) as usize;
            let to = now.min((bin as u64 + 1) * interval);
            if let Some(area) = self.bins.get_mut(bin) {
                *area += self.level as u128 * (to - from) as u128;
            }
            from = to;
        }
        self.last = self.last.max(now);
    }

    /// The time-average count over `[0, end)`.
    fn mean(&self, end: Nanos) -> f64 {
        let area = self.area + self.level as u128 * end.saturating_sub(self.last) as u128;
        area as f64 / end.max(1) as f64
    }

    /// The time-average count in `bin` over `members` (the run ended at `end`).
    fn fraction(&self, bin: usize, members: u64, interval: Nanos, end: Nanos) -> Option<f64> {
        let from = bin as u64 * interval;
        if members == 0 || from >= end {
            return None;
        }
        let to = end.min(from + interval);
        let mut area = self.bins.get(bin).copied().unwrap_or(0);
        // The part of the bin after the last change.
        let last = self.last.max(from);
        if last < to {
            area += self.level as u128 * (to - last) as u128;
        }
        Some(area as f64 / ((to - from) as f64 * members as f64))
    }
}

/// Which of a guild's members a fan-out goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    All,
    Active,
    Passive,
}

/// Users' behaviour: parameters, who is active, and what it measured.
pub(crate) struct Behaviour {
    /// Opens per nanosecond per passive member.
    open_rate: f64,
    dwell_mean: f64,
    dwell: DwellKind,
    start: UsersStart,
    /// The wake-up's initial extra rate per member (per ns) and its time constant.
    wake: Option<(f64, Nanos)>,
    pub(crate) sync_relay: Nanos,
    pub(crate) sync_per_message: Nanos,
    sync_max_messages: u32,
    pub(crate) sync_base_bytes: u64,
    /// Time between two syncs a relay admits.
    sync_spacing: Option<Nanos>,
    mention: f64,
    /// Passive sessions receive chat, presence as it happens.
    passive_chat: bool,
    passive_presence: bool,
    pub(crate) min_members: u32,
    rng: StreamRng,
    /// Per membership slot: `PASSIVE`, `OPENING` (the user opened the guild, its session
    /// waits for its sync) or `ACTIVE`.
    pub(crate) state: Vec<u8>,
    /// Per membership slot: the guild's chat count when the user last looked.
    seen: Vec<u32>,
    /// Per guild: chat events published, its active members integrated over time (per bin
    /// too for the first [`TRACKED`] guilds with users), the start of the latest wake-up
    /// (with whether its stream of candidates runs).
    chat_seq: Vec<u32>,
    pub(crate) active: Vec<Integral>,
    wake_start: Vec<Nanos>,
    wake_running: Vec<bool>,
    /// Guilds whose users have behaviour.
    pub(crate) guilds: Vec<u32>,
    /// Per relay group: when its next sync may start (with `max_per_s`).
    next_sync: Vec<Nanos>,
    /// Per relay process: the members it sends the current message to.
    pub(crate) lists: Vec<Vec<u32>>,
    /// All behaviour guilds' active members, integrated per time bin.
    total: Integral,
    interval: Nanos,
    pub(crate) counters: UserCounters,
    pub(crate) sync_time: DurationHistogram,
    /// Per bin: opens, syncs completed, and the longest sync.
    pub(crate) bin_opens: Vec<u64>,
    pub(crate) bin_syncs: Vec<u64>,
    pub(crate) bin_sync_max: Vec<Nanos>,
}

/// What the users did.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct UserCounters {
    pub(crate) opens: u64,
    pub(crate) wake_opens: u64,
    pub(crate) leaves: u64,
    pub(crate) syncs_requested: u64,
    pub(crate) syncs_done: u64,
    pub(crate) sync_messages: u64,
    pub(crate) mentions: u64,
    pub(crate) mentions_passive: u64,
}

impl Behaviour {
    /// Users' behaviour for `exp`, if its large guilds have passive sessions with users.
    pub(crate) fn new(exp: &Experiment, streams: &RngStreams) -> Option<Behaviour> {
        let passive = &exp.model.passive;
        let users = passive.users.as_ref()?;
        let min_members = passive.min_members?;
        let wake = users.wake.as_ref().map(|w| {
            let tau = secs(w.time_constant_s).max(1);
            let h0 = -(1.0 - w.respond).ln() / tau as f64;
            (h0, tau)
        });
        let sync = &users.sync;
        Some(Behaviour {
            open_rate: users.opens_per_hour / 3600e9,
            dwell_mean: users.dwell_s * 1e9,
            dwell: users.dwell,
            start: users.start,
            wake,
            sync_relay: us(sync.relay_us),
            sync_per_message: us(sync.per_message_us),
            sync_max_messages: sync.max_messages,
            sync_base_bytes: sync.base_bytes,
            sync_spacing: sync.max_per_s.map(|r| ((1e9 / r).round() as Nanos).max(1)),
            mention: users.mentions.as_ref().map_or(0.0, |m| m.per_message),
            passive_chat: passive.receives.contains(&EventKind::Chat),
            passive_presence: passive.receives.contains(&EventKind::Presence),
            min_members,
            rng: streams.stream("users"),
            state: Vec::new(),
            seen: Vec::new(),
            chat_seq: Vec::new(),
            active: Vec::new(),
            wake_start: Vec::new(),
            wake_running: Vec::new(),
            guilds: Vec::new(),
            next_sync: Vec::new(),
            lists: Vec::new(),
            total: Integral::default(),
            interval: 1,
            counters: UserCounters::default(),
            sync_time: DurationHistogram::new(),
            bin_opens: Vec::new(),
            bin_syncs: Vec::new(),
            bin_sync_max: Vec::new(),
        })
    }

    /// The steady-state active share: `r d / (1 + r d)`.
    pub(crate) fn expected_fraction(&self) -> f64 {
        let rd = self.open_rate * self.dwell_mean;
        rd / (1.0 + rd)
    }

    /// What is left of a dwell under way at a random moment (its equilibrium residual).
    fn dwell_left(&mut self) -> Nanos {
        match self.dwell {
            DwellKind::Constant => {
                let u: f64 = self.rng.random();
                ((1.0 - u) * self.dwell_mean).round() as Nanos
            }
            DwellKind::Exponential => exp_draw(&mut self.rng, self.dwell_mean),
        }
        .max(1)
    }

    fn dwell(&mut self) -> Nanos {
        match self.dwell {
            DwellKind::Constant => self.dwell_mean.round() as Nanos,
            DwellKind::Exponential => exp_draw(&mut self.rng, self.dwell_mean),
        }
        .max(1)
    }

    /// Brings guild `g`'s and the cluster's integrals of active members up to `now`.
    fn integrate(&mut self, g: usize, now: Nanos) {
        self.active[g].advance(now, self.interval);
        self.total.advance(now, self.interval);
    }

    /// Guild `g`'s active members change by `delta` (after [`Self::integrate`]).
    fn change(&mut self, g: usize, delta: i64) {
        let guild = &mut self.active[g];
        guild.level = guild.level.saturating_add_signed(delta);
        self.total.level = self.total.level.saturating_add_signed(delta);
    }

    /// Guild `g`'s time-average active members over `[0, end)`.
    pub(crate) fn mean_active(&self, g: usize, end: Nanos) -> f64 {
        self.active[g].mean(end)
    }

    /// The share of behaviour guilds' members that were active in `bin`.
    pub(crate) fn bin_fraction(&self, bin: usize, members: u64, end: Nanos) -> Option<f64> {
        self.total.fraction(bin, members, self.interval, end)
    }
}

/// An exponential draw with mean `mean` (nanoseconds).
fn exp_draw(rng: &mut StreamRng, mean: f64) -> Nanos {
    let u: f64 = rng.random();
    (-(1.0 - u).ln() * mean).round() as Nanos
}

impl World {
    /// Sets up who is active in every guild with passive sessions and starts the users.
    pub(crate) fn start_users(&mut self, queue: &mut EventQueue<Event>) {
        let Some(mut b) = self.behaviour.take() else {
            return;
        };
        let guilds = self.guilds.len();
        let slots = self.member_session.len();
        b.state = vec![PASSIVE; slots];
        b.seen = vec![0; slots];
        b.chat_seq = vec![0; guilds];
        b.active = vec![Integral::default(); guilds];
        b.wake_start = vec![0; guilds];
        b.wake_running = vec![false; guilds];
        b.next_sync = vec![0; self.groups.len()];
        b.lists = vec![Vec::new(); self.services.len()];
        b.interval = self.rec.interval.max(1);
        b.total = Integral::new(self.rec.bins);
        b.bin_opens = vec![0; self.rec.bins];
        b.bin_syncs = vec![0; self.rec.bins];
        b.bin_sync_max = vec![0; self.rec.bins];
        let p = b.expected_fraction();
        let horizon = self.params.horizon;
        for (g, guild) in self.guilds.iter().enumerate() {
            if guild.len < b.min_members {
                continue;
            }
            if b.guilds.len() < TRACKED {
                b.active[g] = Integral::new(self.rec.bins);
            }
            b.guilds.push(g as u32);
            if b.start == UsersStart::Stationary {
                for slot in guild.first..guild.first + guild.len {
                    if b.rng.random::<f64>() < p {
                        b.state[slot as usize] = ACTIVE;
                        b.change(g, 1);
                        // The time left of a dwell already under way: a fresh draw for an
                        // exponential dwell (memoryless), uniform up to a constant one.
                        let at = b.dwell_left();
                        if at <= horizon {
                            queue.schedule(at, Event::UserLeaves { slot });
                        }
                    }
                }
            }
            let first = exp_draw(&mut b.rng, 1.0 / (b.open_rate * guild.len as f64));
            if b.open_rate > 0.0 && first <= horizon {
                queue.schedule(first, Event::UserOpens { guild: g as u32 });
            }
        }
        self.behaviour = Some(b);
    }

    pub(crate) fn users_mut(&mut self) -> &mut Behaviour {
        self.behaviour.as_mut().expect("users with behaviour")
    }

    /// Members of `by_node[range]` in `part` that `out` reaches: joined before its snapshot,
    /// not its origin, and below its bound (the member list's shifted updates).
    pub(crate) fn part_recipients(
        &self,
        range: std::ops::Range<u32>,
        part: Part,
        out: &Outgoing,
    ) -> u32 {
        let below = self.below(out.origin);
        self.by_node[range.start as usize..range.end as usize]
            .iter()
            .filter(|&&slot| {
                self.member_joined[slot as usize] < out.snapshot
                    && slot != out.origin.raw()
                    && slot < below
                    && self.in_part(slot, part)
            })
            .count() as u32
    }

    /// A candidate open in guild `g` (the usual rate, or with `wake` the announcement's).
    pub(crate) fn user_opens(
        &mut self,
        g: u32,
        wake: bool,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let gi = g as usize;
        let (first, len) = (self.guilds[gi].first, self.guilds[gi].len);
        let horizon = self.params.horizon;
        let b = self.behaviour.as_mut().expect("users with behaviour");
        let (rate, decay) = if wake {
            let Some((h0, tau)) = b.wake else { return };
            let age = now - b.wake_start[gi];
            if age > 10 * tau {
                b.wake_running[gi] = false;
                return;
            }
            (h0, (-(age as f64) / tau as f64).exp())
        } else {
            (b.open_rate, 1.0)
        };
        let next = now.saturating_add(exp_draw(&mut b.rng, 1.0 / (rate * len as f64)).max(1));
        if next <= horizon {
            let event = if wake {
                Event::UserWakes { guild: g }
            } else {
                Event::UserOpens { guild: g }
            };
            queue.schedule(next, event);
        } else if wake {
            b.wake_running[gi] = false;
        }
        let slot = first + b.rng.random_range(0..len);
        let take = decay >= 1.0 || b.rng.random::<f64>() < decay;
        if !take
            || b.state[slot as usize] != PASSIVE
            || self.member_joined[slot as usize] == NOT_JOINED
        {
            return;
        }
        if wake {
            self.users_mut().counters.wake_opens += 1;
        }
        self.open(GuildId(g), slot, now, queue);
    }

    /// The user of membership `slot` opens guild `g`: its session asks its relay for a sync,
    /// and is active once the relay has answered.
    fn open(&mut self, g: GuildId, slot: u32, now: Nanos, queue: &mut EventQueue<Event>) {
        let gi = g.index();
        let horizon = self.params.horizon;
        let b = self.behaviour.as_mut().expect("users with behaviour");
        b.state[slot as usize] = OPENING;
        b.counters.opens += 1;
        let bin = ((now / b.interval) as usize).min(b.bin_opens.len().saturating_sub(1));
        if let Some(n) = b.bin_opens.get_mut(bin) {
            *n += 1;
        }
        let missed = (b.chat_seq[gi].wrapping_sub(b.seen[slot as usize])).min(b.sync_max_messages);
        let leaves = now + b.dwell();
        if leaves <= horizon {
            queue.schedule(leaves, Event::UserLeaves { slot });
        }
        // The sync: a request to the relay serving the member, on the member's node.
        let Some(group) = self.relay_group_of(g, slot) else {
            self.activate(gi, slot, now);
            return;
        };
        let b = self.behaviour.as_mut().expect("users with behaviour");
        b.counters.syncs_requested += 1;
        let mut at = now;
        if let Some(spacing) = b.sync_spacing {
            at = at.max(b.next_sync[group]);
            b.next_sync[group] = at.saturating_add(spacing);
        }
        if at > self.params.horizon {
            // Its turn comes after the run: the session stays opening until its user leaves.
            return;
        }
        let node = self.groups[group].node;
        let relay = self.relays().group_service[group];
        let at = at + self.latency(node, node);
        self.send_msg(
            ProcRef::Service(relay),
            Msg::SyncRequest {
                slot,
                missed,
                opened: now,
            },
            at,
            queue,
        );
    }

    /// The relay of membership `slot` (guild `g`) answered its sync: it is active, unless
    /// its user left meanwhile.
    fn activate(&mut self, g: usize, slot: u32, now: Nanos) {
        let b = self.behaviour.as_mut().expect("users with behaviour");
        if b.state[slot as usize] != OPENING {
            return;
        }
        b.integrate(g, now);
        b.state[slot as usize] = ACTIVE;
        b.change(g, 1);
    }

    /// The user of membership `slot` leaves its guild: its session is passive again.
    pub(crate) fn user_leaves(&mut self, slot: u32, now: Nanos) {
        let g = self.guild_of_slot(slot).index();
        let b = self.behaviour.as_mut().expect("users with behaviour");
        let state = b.state[slot as usize];
        if state == PASSIVE {
            return;
        }
        if state == ACTIVE {
            b.integrate(g, now);
            b.change(g, -1);
        }
        b.state[slot as usize] = PASSIVE;
        b.counters.leaves += 1;
        b.seen[slot as usize] = b.chat_seq[g];
    }

    /// Guild `g` takes up `out`: a chat event counts for the syncs; an announcement wakes
    /// the passive members; a message may mention a member. Returns the guild's time spent.
    pub(crate) fn users_take_up(
        &mut self,
        g: GuildId,
        out: &Outgoing,
        now: Nanos,
        t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let gi = g.index();
        if out.origin != super::mailbox::Origin::CHAT
            || self
                .behaviour
                .as_ref()
                .is_none_or(|b| self.guilds[gi].len < b.min_members)
        {
            return t;
        }
        let everyone = self.is_everyone(g, out);
        let horizon = self.params.horizon;
        let b = self.behaviour.as_mut().expect("users with behaviour");
        b.chat_seq[gi] = b.chat_seq[gi].wrapping_add(1);
        // A response of 0 wakes nobody: no stream of candidates to draw.
        if everyone && b.wake.is_some_and(|(h0, _)| h0 > 0.0) {
            b.wake_start[gi] = now;
            if !b.wake_running[gi] && now <= horizon {
                b.wake_running[gi] = true;
                queue.schedule(now, Event::UserWakes { guild: gi as u32 });
            }
        }
        if everyone || b.passive_chat || b.mention <= 0.0 || b.rng.random::<f64>() >= b.mention {
            return t;
        }
        b.counters.mentions += 1;
        let (first, len) = (self.guilds[gi].first, self.guilds[gi].len);
        let slot = first + b.rng.random_range(0..len);
        if b.state[slot as usize] == ACTIVE || self.member_joined[slot as usize] == NOT_JOINED {
            return t;
        }
        b.counters.mentions_passive += 1;
        // The guild sends the message straight to the mentioned member's session.
        let from = self.guilds[gi].node;
        let to = super::ids::NodeId(self.member_info[slot as usize] as u16);
        let t = t + self.reply_cost(from, to);
        self.rec.guild_sends += 1;
        let arrival = t + self.latency(from, to);
        let info = self.member_info[slot as usize];
        let mut queue_sends = self.sends(queue);
        queue_sends.deliver(slot, info, arrival, out.publish_time, false);
        t
    }

    /// Which members of guild `g` `out` goes to.
    pub(crate) fn part(&self, g: GuildId, out: &Outgoing) -> Part {
        let Some(b) = &self.behaviour else {
            return Part::All;
        };
        if self.guilds[g.index()].len < b.min_members {
            return Part::All;
        }
        if out.origin == super::mailbox::Origin::DIGEST {
            return Part::Passive;
        }
        let receives = if out.presence {
            b.passive_presence
        } else {
            b.passive_chat || self.is_everyone(g, out)
        };
        if receives { Part::All } else { Part::Active }
    }

    /// Whether membership `slot` is in `part`.
    #[inline]
    pub(crate) fn in_part(&self, slot: u32, part: Part) -> bool {
        match (part, &self.behaviour) {
            (Part::All, _) | (_, None) => true,
            (Part::Active, Some(b)) => b.state[slot as usize] == ACTIVE,
            (Part::Passive, Some(b)) => b.state[slot as usize] != ACTIVE,
        }
    }

    /// What the users did, for the summary.
    pub(crate) fn users_summary(
        &self,
        end: Nanos,
    ) -> Option<crate::metrics::summary::UsersSummary> {
        let b = self.behaviour.as_ref()?;
        let round6 = |x: f64| (x * 1e6).round() / 1e6;
        let mut guilds: Vec<u32> = b.guilds.clone();
        guilds.sort_by_key(|&g| (std::cmp::Reverse(self.guilds[g as usize].len), g));
        guilds.truncate(20);
        let members: u64 = b
            .guilds
            .iter()
            .map(|&g| self.guilds[g as usize].len as u64)
            .sum();
        let area: f64 = b
            .guilds
            .iter()
            .map(|&g| b.mean_active(g as usize, end))
            .sum();
        let c = b.counters;
        Some(crate::metrics::summary::UsersSummary {
            active_fraction_expected: round6(b.expected_fraction()),
            active_fraction_mean: round6(area / members.max(1) as f64),
            guilds: guilds
                .iter()
                .map(|&g| {
                    let len = self.guilds[g as usize].len;
                    crate::metrics::summary::GuildActive {
                        guild: g,
                        members: len,
                        active_fraction_mean: round6(
                            b.mean_active(g as usize, end) / len.max(1) as f64,
                        ),
                        active_at_end: b.active[g as usize].level as u32,
                    }
                })
                .collect(),
            opens: c.opens,
            wake_opens: c.wake_opens,
            leaves: c.leaves,
            syncs_requested: c.syncs_requested,
            syncs_done: c.syncs_done,
            sync_messages: c.sync_messages,
            sync_ms: b.sync_time.stats_ms(),
            mentions: c.mentions,
            mentions_passive: c.mentions_passive,
        })
    }

    /// The share of the members of guilds with passive sessions active in bin `bin`.
    pub(crate) fn active_fraction_in_bin(&self, bin: usize, end: Nanos) -> Option<f64> {
        let b = self.behaviour.as_ref()?;
        let members: u64 = b
            .guilds
            .iter()
            .map(|&g| self.guilds[g as usize].len as u64)
            .sum();
        b.bin_fraction(bin, members, end)
    }

    /// The active share of each of the first [`TRACKED`] guilds with users in `bin`.
    pub(crate) fn guild_fractions_in_bin(&self, bin: usize, end: Nanos) -> Vec<(u32, f64)> {
        let Some(b) = &self.behaviour else {
            return Vec::new();
        };
        b.guilds
            .iter()
            .take(TRACKED)
            .filter_map(|&g| {
                let members = self.guilds[g as usize].len as u64;
                let f = b.active[g as usize].fraction(bin, members, b.interval, end)?;
                Some((g, f))
            })
            .collect()
    }

    /// Bin `bin`'s opens, syncs completed and longest sync (ns), with users.
    pub(crate) fn users_in_bin(&self, bin: usize) -> Option<(u64, u64, Nanos)> {
        let b = self.behaviour.as_ref()?;
        Some((
            *b.bin_opens.get(bin)?,
            b.bin_syncs[bin],
            b.bin_sync_max[bin],
        ))
    }

    /// Relay `i` answers the sync of membership `slot`, which missed `missed` messages:
    /// returns the end of its work and sends the reply to the session.
    pub(crate) fn relay_sync(
        &mut self,
        i: u32,
        slot: u32,
        missed: u32,
        opened: Nanos,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let g = self.guild_of_slot(slot).index();
        self.activate(g, slot, now);
        let b = self.behaviour.as_mut().expect("users with behaviour");
        let work = b.sync_relay + b.sync_per_message.saturating_mul(missed as Nanos);
        let bytes = b.sync_base_bytes + missed as u64 * self.params.event_bytes;
        b.counters.sync_messages += missed as u64;
        self.services[i as usize].work.done = true;
        let node = self.services[i as usize].node;
        let mut t = now + work;
        t += self.reply_cost(node, node);
        let s = self.member_session[slot as usize];
        let at = t + self.latency(node, node);
        let bytes = bytes.min(u32::MAX as u64) as u32;
        self.send_msg(
            ProcRef::Session(s),
            Msg::SyncReply {
                slot,
                bytes,
                opened,
            },
            at,
            queue,
        );
        t
    }

    /// A session has its sync reply, opened at `opened`, written out to its client.
    pub(crate) fn sync_done(&mut self, opened: Nanos, now: Nanos) {
        let b = self.behaviour.as_mut().expect("users with behaviour");
        b.counters.syncs_done += 1;
        let took = now.saturating_sub(opened);
        b.sync_time.record(took);
        let bin = ((now / b.interval) as usize).min(b.bin_syncs.len().saturating_sub(1));
        if let Some(n) = b.bin_syncs.get_mut(bin) {
            *n += 1;
            b.bin_sync_max[bin] = b.bin_sync_max[bin].max(took);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    fn users(extra: &[(&str, &str)]) -> Tiny {
        let mut t = Tiny::new(&[2000])
            .set("model.fanout.strategy", "relays")
            .set("model.passive.min_members", "1000")
            .set("model.passive.users", "{opens_per_hour: 400, dwell_s: 1}")
            .set("run.horizon_s", "60");
        for (k, v) in extra {
            t = t.set(k, v);
        }
        t
    }

    #[test]
    fn the_stationary_start_draws_the_steady_share_and_users_come_and_go() {
        // r d = 400 / 3600: a tenth active.
        let w = users(&[]).world();
        let b = w.behaviour.as_ref().expect("users");
        assert!((b.expected_fraction() - 0.1).abs() < 1e-12);
        let active = b.state.iter().filter(|&&a| a == super::ACTIVE).count();
        assert_eq!(active as u64, b.active[0].level);
        assert!((150..250).contains(&active), "{active}");
        let r = users(&[]).run();
        let s = r.summary.passive.users.expect("users summary");
        assert!(s.opens > 0 && s.leaves > 0, "{s:?}");
        assert_eq!(s.syncs_done, s.syncs_requested, "{s:?}");
    }

    #[test]
    fn a_mentioned_passive_member_gets_the_message_as_it_happens() {
        // Nobody ever opens the guild: chat reaches nobody but the member it mentions.
        let s = users(&[
            ("model.passive.users.start", "passive"),
            ("model.passive.users.opens_per_hour", "0"),
            ("model.passive.users.mentions", "{per_message: 1}"),
        ])
        .set("workload.bursts", "[{guild: 0, at_s: 0.5, count: 2}]")
        .run()
        .summary;
        let u = s.passive.users.expect("users summary");
        assert_eq!((u.mentions, u.mentions_passive), (2, 2));
        assert_eq!(s.deliveries_total, 2);
        assert_eq!(u.opens, 0);
    }

    #[test]
    fn sessions_that_pay_per_byte_write_digests_out_to_passive_clients() {
        let s = users(&[
            ("model.passive.users.start", "passive"),
            ("model.passive.users.opens_per_hour", "0"),
            ("model.passive.digest_interval_ms", "1000"),
            ("model.passive.digest_bytes", "600"),
            ("model.costs.serialise_ns_per_byte", "10"),
            ("model.costs.compression_ratio", "3"),
        ])
        .publish_at(0.5)
        .run()
        .summary;
        // One digest to the 2,000 passive members, 200 bytes each after compression.
        assert_eq!(s.passive.digest_deliveries, 2000);
        let bytes = s.client_bytes.expect("bytes");
        assert_eq!((bytes.active, bytes.passive), (0, 2000 * 200));
        // 600 bytes at 10 ns each on the sessions.
        assert!(
            (s.busy_s.of("session") - 2000.0 * 6e-6).abs() < 1e-9,
            "{:?}",
            s.busy_s
        );
    }

    #[test]
    fn an_announcement_wakes_the_share_that_responds_and_a_response_of_0_wakes_nobody() {
        let wake = |respond: &str| {
            users(&[
                ("model.passive.users.start", "passive"),
                ("model.passive.users.opens_per_hour", "0"),
                ("model.passive.users.dwell_s", "1000"),
                (
                    "model.passive.users.wake",
                    &format!("{{respond: {respond}, time_constant_s: 1}}"),
                ),
            ])
            .set(
                "workload.bursts",
                "[{guild: 0, at_s: 1, count: 1, everyone: true}]",
            )
            .run()
            .summary
            .passive
            .users
            .expect("users summary")
        };
        // Once drew an infinite gap and scheduled the next candidate before now: a hang.
        assert_eq!(wake("0").wake_opens, 0);
        // Half of the 2,000 passive members answer (within 10 tau): about 1,000.
        let half = wake("0.5");
        assert!((900..1100).contains(&half.wake_opens), "{half:?}");
        assert_eq!(half.opens, half.wake_opens);
    }

    #[test]
    fn a_passive_start_has_nobody_active_until_users_open() {
        let w = users(&[("model.passive.users.start", "passive")]).world();
        let b = w.behaviour.as_ref().expect("users");
        assert_eq!(b.active[0].level, 0);
        assert!(b.state.iter().all(|&a| a == super::PASSIVE));
    }
}
