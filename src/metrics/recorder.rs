//! The recorder: everything measured during one run, updated by the model as events happen.
//!
//! Time series are kept in fixed bins of `interval` nanoseconds covering `[0, horizon]`; a
//! value is attributed to the bin of the virtual time at which it happened (a delivery to the
//! bin of its arrival), so the series do not depend on the order in which the model computed
//! them.

use super::bin_histogram::BinHistogram;
use super::gauge::Gauge;
use super::histogram::{self, DurationHistogram};
use super::windows::Windows;
use crate::sim::Nanos;

/// Recipient-count classes for fan-out durations: class k holds fan-outs to [2^k, 2^(k+1))
/// recipients (class 0 also holds fan-outs to nobody).
pub(crate) const SIZE_CLASSES: usize = 32;

/// The kinds of process: every process of the model is one, and its scheduler time is
/// reported per kind. A fan-out strategy's own processes are kinds here too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ProcessKind {
    Guild,
    Session,
    Partitioner,
    Worker,
    Sender,
    Registry,
    Ring,
    Relay,
}

impl ProcessKind {
    /// Every kind, in the order reports list them.
    pub(crate) const ALL: [ProcessKind; 8] = [
        ProcessKind::Guild,
        ProcessKind::Session,
        ProcessKind::Partitioner,
        ProcessKind::Worker,
        ProcessKind::Sender,
        ProcessKind::Registry,
        ProcessKind::Ring,
        ProcessKind::Relay,
    ];
    /// How many kinds there are.
    pub(crate) const COUNT: usize = Self::ALL.len();

    /// The kind's name in reports and the trace (one line per kind).
    pub(crate) fn name(self) -> &'static str {
        match self {
            ProcessKind::Guild => "guild",
            ProcessKind::Session => "session",
            ProcessKind::Partitioner => "partitioner",
            ProcessKind::Worker => "worker",
            ProcessKind::Sender => "sender",
            ProcessKind::Registry => "registry",
            ProcessKind::Ring => "ring",
            ProcessKind::Relay => "relay",
        }
    }
}

pub(crate) fn size_class(recipients: u32) -> usize {
    (31 - recipients.max(1).leading_zeros()) as usize
}

/// The exact moments of a batch of deliveries recorded in a tight loop, whose bucket counts
/// and per-bin statistics went straight into the recorder's arrays (through a [`BatchView`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DeliveryBatch {
    pub(crate) count: u64,
    pub(crate) sum: u128,
    pub(crate) min: Nanos,
    pub(crate) max: Nanos,
}

/// The arrays a batch of deliveries of one kind writes to, in parts that a loop can borrow
/// apart (the buckets, the bins' statistics, the bins' histograms).
pub(crate) struct BatchView<'a> {
    /// Latency buckets: of the run's histogram, or, with windows, of every segment of time
    /// one after another (a bin's segment starts at [`BinStats::base`]).
    pub(crate) buckets: &'a mut [u64],
    pub(crate) bins: BinStats<'a>,
    /// Each bin's latency histogram (chat events; empty for presence updates).
    pub(crate) hists: &'a mut [BinHistogram],
}

/// Per-bin statistics of one kind of delivery.
pub(crate) struct BinStats<'a> {
    counts: &'a mut [u64],
    /// Latency sum, largest and smallest per bin.
    sums: &'a mut [u64],
    maxes: &'a mut [u64],
    mins: &'a mut [u64],
    /// The segment of each bin (empty without windows), and the buckets per segment.
    segment_of_bin: &'a [u16],
    stride: usize,
    pub(crate) interval: Nanos,
    last_bin: usize,
}

impl BinStats<'_> {
    /// The time bin of `t`.
    #[inline]
    pub(crate) fn bin(&self, t: Nanos) -> usize {
        ((t / self.interval) as usize).min(self.last_bin)
    }

    /// Where the buckets of bin `bin`'s segment start in [`BatchView::buckets`].
    #[inline]
    pub(crate) fn base(&self, bin: usize) -> usize {
        self.segment_of_bin
            .get(bin)
            .map_or(0, |&s| s as usize * self.stride)
    }

    /// The buckets of bin `bin`'s segment, out of `all` (the view's buckets; all of them
    /// without windows).
    #[inline]
    pub(crate) fn segment<'b>(&self, all: &'b mut [u64], bin: usize) -> &'b mut [u64] {
        match self.segment_of_bin.get(bin) {
            Some(&s) => &mut all[s as usize * self.stride..][..self.stride],
            None => all,
        }
    }

    /// Adds `count` deliveries of total latency `sum`, largest latency `max` and smallest `min`
    /// to bin `bin`.
    #[inline(never)]
    pub(crate) fn add(&mut self, bin: usize, count: u64, sum: u64, max: Nanos, min: Nanos) {
        if count == 0 {
            return;
        }
        self.counts[bin] += count;
        self.sums[bin] += sum;
        self.maxes[bin] = self.maxes[bin].max(max);
        self.mins[bin] = self.mins[bin].min(min);
    }
}

pub struct Recorder {
    pub interval: Nanos,
    pub(crate) horizon: Nanos,
    pub(crate) bins: usize,

    pub(crate) latency: DurationHistogram,
    pub(crate) presence_latency: DurationHistogram,
    pub(crate) fanout: DurationHistogram,
    pub(crate) presence_fanout: DurationHistogram,
    pub(crate) sojourn: DurationHistogram,
    pub(crate) fanout_by_size: Vec<DurationHistogram>,
    /// Sum of recipients of the fan-outs in each size class (for the mean size).
    pub fanout_recipients_sum: Vec<u64>,

    pub(crate) publishes: u64,
    pub(crate) publishes_completed: u64,
    /// Presence changes of online sessions (each published to the session's guilds).
    pub(crate) presence_changes: u64,
    pub(crate) deliveries: u64,
    pub(crate) presence_deliveries: u64,
    pub(crate) deliveries_dropped: u64,
    /// Sends made by guild processes (to sessions, partitioners or senders).
    pub(crate) guild_sends: u64,
    /// Messages between processes of different nodes.
    pub(crate) inter_node_messages: u64,
    pub(crate) lookups: u64,
    pub(crate) lookup_work_ns: u64,
    pub(crate) registry_calls: u64,
    pub(crate) registry_served: u64,
    pub(crate) registry_answered: u64,
    pub(crate) registry_timeouts: u64,
    pub(crate) semaphore_rejections: u64,
    pub(crate) crashes: u64,
    pub(crate) memory_limit_exceeded: u64,
    pub(crate) order_violations: u64,
    /// When the number of online sessions last changed, and to what.
    pub last_online_change: Nanos,
    /// When a guild last finished handling a join (before its presence fan-out).
    pub(crate) last_join_handled: Nanos,
    /// When a session last received a presence update.
    pub(crate) last_presence_delivery: Nanos,

    pub bin_deliveries: Vec<u64>,
    pub(crate) bin_latency_sum_ns: Vec<u64>,
    pub(crate) bin_latency_max_ns: Vec<u64>,
    pub bin_publishes: Vec<u64>,
    pub(crate) bin_mailbox_max: Vec<u32>,
    pub bin_presence_deliveries: Vec<u64>,
    pub bin_registry_depth_max: Vec<u32>,
    /// Per bin: the longest relay mailbox (relays only; empty until the first).
    pub(crate) bin_relay_depth_max: Vec<u32>,
    /// Per bin: the smallest chat latency (`u64::MAX` in a bin without any), and presence
    /// latency sum, largest and smallest.
    pub(crate) bin_latency_min_ns: Vec<u64>,
    pub(crate) bin_presence_sum_ns: Vec<u64>,
    pub(crate) bin_presence_max_ns: Vec<u64>,
    pub(crate) bin_presence_min_ns: Vec<u64>,
    /// Per bin: a histogram of chat latency, for its percentiles.
    pub(crate) bin_latency: Vec<BinHistogram>,
    /// Named windows of the run (`output.windows`).
    pub(crate) windows: Windows,
    /// Sessions online.
    pub sessions_online: Gauge,
    /// Memory per node, in bytes.
    pub(crate) node_memory: Vec<Gauge>,
    /// Scheduler time used, per node and bin (`node * bins + bin`).
    pub(crate) node_busy_ns: Vec<u64>,
    /// Longest run queue seen, per node and bin.
    pub(crate) node_run_queue_max: Vec<u32>,

    /// Scheduler time used per kind of process (indexed by `ProcessKind as usize`) and per
    /// guild, and the fan-out work (time spent on fan-out sends and their per-recipient work).
    pub(crate) busy_by_kind_ns: [u64; ProcessKind::COUNT],
    /// Member-list updates and the guild time they took.
    /// `:DOWN` notifications put into guilds' mailboxes, the first and the last time.
    pub(crate) monitor_downs: u64,
    pub(crate) first_down: Nanos,
    pub(crate) last_down: Nanos,
    /// Passive sessions' digests published, and the digests sent to online sessions.
    pub(crate) digests: u64,
    pub(crate) digest_deliveries: u64,
    /// Bytes sessions sent their clients (after compression): to active and to passive
    /// sessions, and per node and bin (`node * bins + bin`; empty until the first).
    pub(crate) client_bytes: [u64; 2],
    pub(crate) node_client_bytes: Vec<u64>,
    pub(crate) member_list_updates: u64,
    pub(crate) member_list_work_ns: u64,
    pub(crate) member_list_cost_min_ns: Nanos,
    pub(crate) member_list_cost_max_ns: Nanos,
    pub(crate) guild_busy_ns: Vec<u64>,
    /// The same counted only over the run's second half, `[horizon / 2, horizon)`, where
    /// `keeps_up` judges the run.
    pub(crate) guild_busy_late_ns: Vec<u64>,
    pub(crate) fanout_work_ns: u64,

    pub(crate) guild_mailbox_depth_max: u32,
    pub(crate) registry_depth_max: u32,
    pub(crate) node_memory_peak: u64,
    /// Publishes waiting in or being handled by guilds, and its integral over time.
    in_guilds: u64,
    in_guilds_since: Nanos,
    in_guilds_integral: u128,
    /// Per bin, the integral of `in_guilds` over the bin (publishes x ns), up to
    /// `in_guilds_since`.
    bin_in_guilds: Vec<u128>,
    /// Messages in session mailboxes (deliveries, digests, sync replies), and per bin the
    /// integral of that number, up to `in_sessions_since`.
    in_sessions: u64,
    in_sessions_since: Nanos,
    bin_in_sessions: Vec<u128>,
}

impl Recorder {
    pub(crate) fn new(interval: Nanos, horizon: Nanos, nodes: usize) -> Self {
        assert!(interval > 0);
        // Bins cover [0, horizon]; an event at the horizon itself goes to the last bin.
        let bins = horizon.div_ceil(interval).max(1) as usize;
        Self {
            interval,
            horizon,
            bins,
            latency: {
                let mut h = DurationHistogram::new();
                h.reserve_to(horizon);
                h
            },
            presence_latency: {
                let mut h = DurationHistogram::new();
                h.reserve_to(horizon);
                h
            },
            fanout: DurationHistogram::new(),
            presence_fanout: DurationHistogram::new(),
            sojourn: DurationHistogram::new(),
            fanout_by_size: vec![DurationHistogram::new(); SIZE_CLASSES],
            fanout_recipients_sum: vec![0; SIZE_CLASSES],
            publishes: 0,
            publishes_completed: 0,
            presence_changes: 0,
            deliveries: 0,
            presence_deliveries: 0,
            deliveries_dropped: 0,
            guild_sends: 0,
            inter_node_messages: 0,
            lookups: 0,
            lookup_work_ns: 0,
            registry_calls: 0,
            registry_served: 0,
            registry_answered: 0,
            registry_timeouts: 0,
            semaphore_rejections: 0,
            crashes: 0,
            memory_limit_exceeded: 0,
            order_violations: 0,
            last_online_change: 0,
            last_join_handled: 0,
            last_presence_delivery: 0,
            bin_deliveries: vec![0; bins],
            bin_latency_sum_ns: vec![0; bins],
            bin_latency_max_ns: vec![0; bins],
            bin_publishes: vec![0; bins],
            bin_mailbox_max: vec![0; bins],
            bin_presence_deliveries: vec![0; bins],
            bin_registry_depth_max: vec![0; bins],
            bin_relay_depth_max: Vec::new(),
            bin_latency_min_ns: vec![u64::MAX; bins],
            bin_presence_sum_ns: vec![0; bins],
            bin_presence_max_ns: vec![0; bins],
            bin_presence_min_ns: vec![u64::MAX; bins],
            bin_latency: vec![BinHistogram::default(); bins],
            windows: Windows::default(),
            sessions_online: Gauge::new(bins, 0),
            node_memory: vec![Gauge::new(bins, 0); nodes],
            node_busy_ns: vec![0; nodes * bins],
            node_run_queue_max: vec![0; nodes * bins],
            busy_by_kind_ns: [0; ProcessKind::COUNT],
            monitor_downs: 0,
            first_down: Nanos::MAX,
            last_down: 0,
            digests: 0,
            digest_deliveries: 0,
            client_bytes: [0; 2],
            node_client_bytes: Vec::new(),
            member_list_updates: 0,
            member_list_work_ns: 0,
            member_list_cost_min_ns: Nanos::MAX,
            member_list_cost_max_ns: 0,
            guild_busy_ns: Vec::new(),
            guild_busy_late_ns: Vec::new(),
            fanout_work_ns: 0,
            guild_mailbox_depth_max: 0,
            registry_depth_max: 0,
            node_memory_peak: 0,
            in_guilds: 0,
            in_guilds_since: 0,
            in_guilds_integral: 0,
            bin_in_guilds: vec![0; bins],
            in_sessions: 0,
            in_sessions_since: 0,
            bin_in_sessions: vec![0; bins],
        }
    }

    #[inline]
    fn bin(&self, t: Nanos) -> usize {
        ((t / self.interval) as usize).min(self.bins - 1)
    }

    /// Names the windows of the run: `(name, from, to)`, edges on whole bins.
    pub(crate) fn set_windows(&mut self, list: &[(String, Nanos, Nanos)]) {
        let stride = self.latency.buckets_mut().len();
        self.windows = Windows::new(list, self.interval, self.bins, stride);
    }

    /// A session on `node` sent `bytes` to its client at `at`, a passive session's or not.
    pub(crate) fn client_bytes(&mut self, node: usize, bytes: u64, passive: bool, at: Nanos) {
        self.client_bytes[usize::from(passive)] += bytes;
        if self.node_client_bytes.is_empty() {
            self.node_client_bytes = vec![0; self.node_memory.len() * self.bins];
        }
        let b = self.bin(at);
        self.node_client_bytes[node * self.bins + b] += bytes;
    }

    /// A session received an event (or a presence update) published at `publish_time`, at
    /// `at` (<= horizon).
    #[inline(always)]
    pub(crate) fn delivery(&mut self, at: Nanos, publish_time: Nanos, presence: bool) {
        debug_assert!(at <= self.horizon);
        let latency = at - publish_time;
        let b = self.bin(at);
        {
            let BatchView {
                buckets,
                mut bins,
                hists,
            } = self.batch_view(presence);
            let fine = histogram::index(latency);
            buckets[bins.base(b) + fine] += 1;
            if let Some(h) = hists.get_mut(b) {
                h.add(fine);
            }
            bins.add(b, 1, latency, latency, latency);
        }
        let batch = DeliveryBatch {
            count: 1,
            sum: latency as u128,
            min: latency,
            max: latency,
        };
        self.finish_batch(&batch, presence, publish_time);
    }

    /// The arrays a batch of chat events (or presence updates) writes to.
    pub(crate) fn batch_view(&mut self, presence: bool) -> BatchView<'_> {
        let (interval, last_bin) = (self.interval, self.bins - 1);
        let (segments, segment_of_bin, stride) = self.windows.split(presence);
        if presence {
            BatchView {
                buckets: segments.unwrap_or(self.presence_latency.buckets_mut()),
                bins: BinStats {
                    counts: &mut self.bin_presence_deliveries,
                    sums: &mut self.bin_presence_sum_ns,
                    maxes: &mut self.bin_presence_max_ns,
                    mins: &mut self.bin_presence_min_ns,
                    segment_of_bin,
                    stride,
                    interval,
                    last_bin,
                },
                hists: &mut [],
            }
        } else {
            BatchView {
                buckets: segments.unwrap_or(self.latency.buckets_mut()),
                bins: BinStats {
                    counts: &mut self.bin_deliveries,
                    sums: &mut self.bin_latency_sum_ns,
                    maxes: &mut self.bin_latency_max_ns,
                    mins: &mut self.bin_latency_min_ns,
                    segment_of_bin,
                    stride,
                    interval,
                    last_bin,
                },
                hists: &mut self.bin_latency,
            }
        }
    }

    /// At the end of a run: with windows, the run's latency histograms get the buckets of all
    /// segments (the moments were kept all along).
    pub(crate) fn finish(&mut self) {
        if !self.windows.is_empty() {
            let chat = self.windows.total(false);
            self.latency.buckets_mut().copy_from_slice(&chat);
            let presence = self.windows.total(true);
            self.presence_latency
                .buckets_mut()
                .copy_from_slice(&presence);
        }
    }

    /// Adds the exact moments of a batch of events published at `publish_time`.
    pub(crate) fn finish_batch(
        &mut self,
        batch: &DeliveryBatch,
        presence: bool,
        publish_time: Nanos,
    ) {
        if presence && batch.count > 0 {
            let last = publish_time + batch.max;
            self.last_presence_delivery = self.last_presence_delivery.max(last);
        }
        let hist = if presence {
            &mut self.presence_latency
        } else {
            &mut self.latency
        };
        hist.add_moments(batch.count, batch.sum, batch.min, batch.max);
        if presence {
            self.presence_deliveries += batch.count;
        } else {
            self.deliveries += batch.count;
        }
    }

    /// A chat event was published to a guild (its mailbox depth is recorded apart).
    pub(crate) fn publish_arrived(&mut self, now: Nanos) {
        self.publishes += 1;
        let b = self.bin(now);
        self.bin_publishes[b] += 1;
        self.change_in_guilds(now, 1);
    }

    /// A guild finished the presence fan-out it started at `started`.
    pub(crate) fn presence_completed(&mut self, now: Nanos, started: Nanos) {
        self.presence_fanout.record(now - started);
        if !self.windows.is_empty() {
            self.windows.completed(now, now - started, None);
        }
    }

    /// A guild finished handling a join at `at` (ignored past the horizon).
    pub(crate) fn join_handled(&mut self, at: Nanos) {
        if at <= self.horizon {
            self.last_join_handled = self.last_join_handled.max(at);
        }
    }

    /// A `:DOWN` reaches a guild's mailbox at `at` (ignored past the horizon).
    pub(crate) fn monitor_down(&mut self, at: Nanos) {
        if at <= self.horizon {
            self.monitor_downs += 1;
            self.first_down = self.first_down.min(at);
            self.last_down = self.last_down.max(at);
        }
    }

    /// A guild updated its member list, which took `cost`.
    pub(crate) fn member_list_update(&mut self, cost: Nanos) {
        self.member_list_updates += 1;
        self.member_list_work_ns += cost;
        self.member_list_cost_min_ns = self.member_list_cost_min_ns.min(cost);
        self.member_list_cost_max_ns = self.member_list_cost_max_ns.max(cost);
    }

    /// A ring lookup that took `cost`.
    pub(crate) fn lookup(&mut self, cost: Nanos) {
        self.lookups += 1;
        self.lookup_work_ns += cost;
    }

    /// `count` sessions are online from `now`.
    pub(crate) fn sessions_online(&mut self, now: Nanos, count: u32) {
        let b = self.bin(now);
        self.sessions_online.set(b, count as u64);
        self.last_online_change = now;
    }

    /// A registry mailbox holds `depth` calls at `now`.
    pub(crate) fn registry_depth(&mut self, now: Nanos, depth: u32) {
        let b = self.bin(now);
        self.bin_registry_depth_max[b] = self.bin_registry_depth_max[b].max(depth);
        self.registry_depth_max = self.registry_depth_max.max(depth);
    }

    /// A relay took up a message with `depth` in its mailbox at `now`.
    pub(crate) fn relay_depth(&mut self, now: Nanos, depth: u32) {
        if self.bin_relay_depth_max.is_empty() {
            self.bin_relay_depth_max = vec![0; self.bins];
        }
        let b = self.bin(now);
        self.bin_relay_depth_max[b] = self.bin_relay_depth_max[b].max(depth);
    }

    /// `node` uses `bytes` of memory at `now`.
    #[inline]
    pub(crate) fn node_memory(&mut self, node: usize, now: Nanos, bytes: u64) {
        let b = self.bin(now);
        self.node_memory[node].set(b, bytes);
        self.node_memory_peak = self.node_memory_peak.max(bytes);
    }

    /// A guild finished a publish: handling started at `started`, the last send completed at
    /// `now`, the publish arrived at `publish_time`.
    pub(crate) fn publish_completed(
        &mut self,
        now: Nanos,
        started: Nanos,
        publish_time: Nanos,
        recipients: u32,
    ) {
        self.publishes_completed += 1;
        self.fanout.record(now - started);
        self.sojourn.record(now - publish_time);
        if !self.windows.is_empty() {
            self.windows
                .completed(now, now - started, Some(now - publish_time));
        }
        self.fanout_by_size[size_class(recipients)].record(now - started);
        self.fanout_recipients_sum[size_class(recipients)] += recipients as u64;
        self.change_in_guilds(now, -1);
    }

    /// A guild mailbox holds `depth` messages at `now`.
    pub(crate) fn guild_mailbox_depth(&mut self, now: Nanos, depth: u32) {
        let b = self.bin(now);
        self.bin_mailbox_max[b] = self.bin_mailbox_max[b].max(depth);
        self.guild_mailbox_depth_max = self.guild_mailbox_depth_max.max(depth);
    }

    fn change_in_guilds(&mut self, now: Nanos, delta: i64) {
        self.in_guilds_integral += self.in_guilds as u128 * (now - self.in_guilds_since) as u128;
        if self.in_guilds > 0 {
            let (since, level) = (self.in_guilds_since, self.in_guilds);
            Self::spread(
                &mut self.bin_in_guilds,
                self.interval,
                self.horizon,
                since,
                now,
                level,
            );
        }
        self.in_guilds_since = now;
        self.in_guilds = self
            .in_guilds
            .checked_add_signed(delta)
            .expect("publish count underflow");
    }

    /// Adds `level x` the overlap of `[from, to)` with each bin to `bins` (time cut at `horizon`).
    fn spread(
        bins: &mut [u128],
        interval: Nanos,
        horizon: Nanos,
        from: Nanos,
        to: Nanos,
        level: u64,
    ) {
        let to = to.min(horizon);
        let mut t = from;
        while t < to {
            let b = ((t / interval) as usize).min(bins.len() - 1);
            let bin_end = ((b as u64 + 1) * interval).min(to);
            let end = if b == bins.len() - 1 { to } else { bin_end };
            bins[b] += level as u128 * (end - t) as u128;
            t = end;
        }
    }

    /// `delta` messages went into (or out of) session mailboxes at `now`.
    pub(crate) fn change_in_sessions(&mut self, now: Nanos, delta: i64) {
        if self.in_sessions > 0 {
            let (since, level) = (self.in_sessions_since, self.in_sessions);
            Self::spread(
                &mut self.bin_in_sessions,
                self.interval,
                self.horizon,
                since,
                now,
                level,
            );
        }
        self.in_sessions_since = now;
        self.in_sessions = self.in_sessions.saturating_add_signed(delta);
    }

    /// Per bin, the time-average number of messages in session mailboxes: the sessions'
    /// backlog, which `keeps_up` follows when sessions pay per byte.
    pub(crate) fn session_backlog_by_bin(&self) -> Vec<f64> {
        self.backlog_by_bin(
            &self.bin_in_sessions,
            self.in_sessions,
            self.in_sessions_since,
        )
    }

    /// Per bin, the time-average number of publishes in guild mailboxes (waiting or being
    /// fanned out): the guilds' backlog, which `keeps_up` follows.
    pub(crate) fn guild_backlog_by_bin(&self) -> Vec<f64> {
        self.backlog_by_bin(&self.bin_in_guilds, self.in_guilds, self.in_guilds_since)
    }

    /// `integrals` per bin brought up to the horizon at `level` since `since`, as averages.
    fn backlog_by_bin(&self, integrals: &[u128], level: u64, since: Nanos) -> Vec<f64> {
        let mut bins = integrals.to_vec();
        if level > 0 {
            Self::spread(
                &mut bins,
                self.interval,
                self.horizon,
                since,
                self.horizon,
                level,
            );
        }
        bins.iter()
            .enumerate()
            .map(|(b, &v)| {
                let start = b as u64 * self.interval;
                let end = if b + 1 == self.bins {
                    self.horizon
                } else {
                    start + self.interval
                };
                let len = end.saturating_sub(start).max(1);
                v as f64 / len as f64
            })
            .collect()
    }

    /// Time-average number of publishes in guild mailboxes (waiting or being fanned out) over
    /// `[0, end]`.
    pub(crate) fn in_guilds_mean(&self, end: Nanos) -> f64 {
        if end == 0 {
            return 0.0;
        }
        let tail = self.in_guilds as u128 * end.saturating_sub(self.in_guilds_since) as u128;
        (self.in_guilds_integral + tail) as f64 / end as f64
    }

    /// `node` used a scheduler over `[start, end)`.
    pub(crate) fn busy(&mut self, node: usize, start: Nanos, end: Nanos) {
        let end = end.min(self.horizon);
        let mut t = start;
        while t < end {
            let b = self.bin(t);
            let bin_end = ((b as u64 + 1) * self.interval).min(end);
            self.node_busy_ns[node * self.bins + b] += bin_end - t;
            t = bin_end;
        }
    }

    /// A process of `kind` (guild `guild`, if a guild) used a scheduler over `[start, end)`
    /// (counted up to the horizon).
    pub(crate) fn process_busy(
        &mut self,
        kind: ProcessKind,
        guild: Option<usize>,
        start: Nanos,
        end: Nanos,
    ) {
        let time = end.min(self.horizon).saturating_sub(start);
        self.busy_by_kind_ns[kind as usize] += time;
        if let Some(g) = guild {
            if g >= self.guild_busy_ns.len() {
                self.guild_busy_ns.resize(g + 1, 0);
            }
            self.guild_busy_ns[g] += time;
            let late = end
                .min(self.horizon)
                .saturating_sub(start.max(self.horizon / 2));
            if late > 0 {
                if g >= self.guild_busy_late_ns.len() {
                    self.guild_busy_late_ns.resize(g + 1, 0);
                }
                self.guild_busy_late_ns[g] += late;
            }
        }
    }

    /// A process spent `[start, end)` on fan-out sends and their per-recipient work (counted
    /// up to the horizon).
    #[inline]
    pub(crate) fn fanout_work(&mut self, start: Nanos, end: Nanos) {
        self.fanout_work_ns += end.min(self.horizon).saturating_sub(start);
    }

    /// `node`'s run queue holds `len` processes at `now`.
    pub(crate) fn run_queue(&mut self, node: usize, now: Nanos, len: u32) {
        let i = node * self.bins + self.bin(now);
        self.node_run_queue_max[i] = self.node_run_queue_max[i].max(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_time_is_split_across_bins() {
        let mut r = Recorder::new(10, 100, 2);
        r.busy(1, 5, 27);
        assert_eq!(&r.node_busy_ns[r.bins..r.bins + 4], &[5, 10, 7, 0]);
        assert_eq!(r.node_busy_ns[..r.bins].iter().sum::<u64>(), 0);
    }

    #[test]
    fn queue_integral_gives_the_time_average() {
        let mut r = Recorder::new(10, 100, 1);
        r.publish_arrived(0);
        r.publish_arrived(10);
        r.publish_completed(20, 0, 0, 1);
        r.publish_completed(40, 20, 10, 1);
        // 1 over [0,10), 2 over [10,20), 1 over [20,40), 0 after: (10 + 20 + 20) / 50.
        assert_eq!(r.in_guilds_mean(50), 1.0);
    }

    #[test]
    fn size_classes_are_powers_of_two() {
        assert_eq!(size_class(0), 0);
        assert_eq!(size_class(1), 0);
        assert_eq!(size_class(2), 1);
        assert_eq!(size_class(1023), 9);
        assert_eq!(size_class(1024), 10);
    }
}
