//! How much memory and time a run will need, from the experiment alone (no world is built):
//! expected entity counts (sessions, memberships, guilds, nodes, time bins, histograms) and
//! expected work (publishes, deliveries, queued events), turned into bytes and seconds by a
//! linear model whose coefficients were measured (peak RSS with `/usr/bin/time -v`, wall time
//! of release builds on the 2-core reference machine; see the README's sweep section).
//!
//! The estimate is for refusing what cannot fit and for telling a user roughly what to expect,
//! not a promise: a run that overloads its guilds keeps publishes queued, which this model
//! does not count.

mod admit;
pub(crate) mod storms;
pub(crate) mod workload;

pub use admit::{Candidate, Limits, admit, fmt_seconds};
pub mod speed;

use crate::config::schema::{DeliveryMode, DistConfig, Experiment, ListStructure, Role, Storm};
use crate::error::Refused;
use crate::metrics::recorder::SIZE_CLASSES;
use crate::metrics::{bin_histogram, histogram};

/// Bytes of a process with nothing in it (program, allocator, small structures).
const BASE_BYTES: f64 = 5.0 * 1048576.0;
/// Per session (user): its process and lifecycle state, its node, its membership index, and
/// the build's scratch arrays (measured: `guildsim bench`, 1M sessions in 1 and 5 guilds).
const SESSION_BYTES: f64 = 44.0;
/// Per online membership: the member's session, join number and node/online copy, and the
/// session's list of memberships.
const MEMBERSHIP_BYTES: f64 = 16.0;
/// Per online membership with `run.check_order`: the last publish time delivered.
const CHECK_ORDER_BYTES: f64 = 8.0;
/// Per reconnection of a storm (session x guild): the messages and events in flight.
const STORM_JOIN_BYTES: f64 = 64.0;
/// Per guild: its process, placement, size and publish rate (alias table).
const GUILD_BYTES: f64 = 96.0;
/// Per time bin: the recorder's cluster counters (with the guilds' backlog integral, 16, and
/// the lowest sessions online, 8), and per node and bin its busy time and run queue.
const BIN_BYTES: f64 = 124.0;
/// Per node and bin: busy time and run queue (12), the memory gauge's highest and lowest (16),
/// and the memory series while it is written.
const NODE_BIN_BYTES: f64 = 36.0;
/// Per event of a timeline trace: its record (about 40 bytes), its place in the time order
/// (16) and its line of JSON while the file is written (about 110).
const TRACE_EVENT_BYTES: f64 = 170.0;
/// Per row of `timeseries.csv` (one bin, scope and metric): the text of the row, held in
/// memory while the file is written.
const SERIES_ROW_BYTES: f64 = 48.0;
/// Rows of `timeseries.csv` per bin: cluster metrics, and per node.
const CLUSTER_ROWS_PER_BIN: f64 = 11.0;
const NODE_ROWS_PER_BIN: f64 = 3.0;
/// Per point of the consistent-hash ring (its hash and node).
const RING_POINT_BYTES: f64 = 16.0;
/// Per ordered pair of nodes: latency, bandwidth and the distribution channel.
const NODE_PAIR_BYTES: f64 = 32.0;
/// Per histogram (3 summaries and one per recipient-size class): a log-linear histogram from 1 ns
/// to 28 h at 3 significant digits.
const HISTOGRAM_BYTES: f64 = 37_888.0 * 8.0;
/// Per delivery in flight when deliveries are events (`run.deliveries: per_event`, or
/// sessions that take time to receive): a queued event.
const QUEUED_DELIVERY_BYTES: f64 = 32.0;

/// Work (queued events plus closed-form deliveries) above which a run must state a
/// `run.event_budget` or be started with `--allow-long-run`: about an hour on one core.
pub(crate) const MAX_WORK: f64 = 1e11;

/// Seconds per folded delivery, per queued event, per session or membership built, per run
/// (building the recorder, summarising), and per time bin and node (gauges, rows), on the
/// reference machine (this project's 2-core machine, release build, fitted to the shipped
/// experiments' runs in issue 25); `speed` scales them to the machine a run is on.
const DELIVERY_S: f64 = 8e-9;
const EVENT_S: f64 = 200e-9;
const BUILD_S: f64 = 25e-9;
const RUN_S: f64 = 1e-3;
const BIN_NODE_S: f64 = 0.5e-6;

/// What a run is expected to hold and do.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub guilds: u64,
    pub memberships: u64,
    pub sessions: u64,
    pub nodes: u64,
    pub(crate) bins: u64,
    pub(crate) histograms: u64,
    /// Points of the consistent-hash ring.
    pub(crate) ring_points: u64,
    /// Bytes of `timeseries.csv`.
    pub(crate) csv_bytes: u64,
    pub(crate) publishes: f64,
    pub deliveries: f64,
    pub(crate) events: f64,
    /// Presence updates delivered (status changes, joins and leaves of storms).
    pub presence_deliveries: f64,
    /// At most this many more events if every registry call of a storm were refused or timed
    /// out and retried until the horizon (counted by the work guard, not in `seconds`: most
    /// calls are answered at once).
    pub(crate) retry_bound: f64,
    /// Expected peak resident memory.
    pub memory_bytes: u64,
    /// Expected wall time on the reference machine (release build, one core); see
    /// [`Estimate::on_this_machine`] for this machine's.
    pub seconds: f64,
    /// The largest memory term, for a message that says what to shrink.
    pub dominant: &'static str,
}

impl Estimate {
    /// What to change in the experiment to shrink the largest memory term.
    pub fn advice(&self) -> &'static str {
        match self.dominant {
            "sessions" => {
                "fewer sessions: smaller workload.guilds.sizes or online_fraction, or a larger \
                 workload.users.guilds_per_user_mean (or a smaller workload.users.count)"
            }
            "memberships" => {
                "fewer online memberships: smaller workload.guilds.sizes or online_fraction"
            }
            "storms" => {
                "smaller storms: fewer users in workload.storms logins, or fewer sessions per restarted node"
            }
            "windows" => "fewer output.windows, or a shorter run.horizon_s",
            "time series" | "latency per bin" => {
                "fewer time bins: a shorter run.horizon_s or a wider output.sample_interval_ms"
            }
            "queued deliveries" => "folded deliveries (run.deliveries: folded) or fewer publishes",
            "ring" => "fewer model.ring.replicas or fewer guild nodes",
            "node pairs" => "fewer nodes in model.nodes",
            "workload" => "fewer phases with per-member rates over many guilds",
            _ => "a smaller workload",
        }
    }
}

fn mean_us(d: &DistConfig) -> f64 {
    match *d {
        DistConfig::Constant { us } => us,
        DistConfig::Uniform { min_us, max_us } => (min_us + max_us) / 2.0,
        DistConfig::Exponential { mean_us } => mean_us,
        DistConfig::Lognormal { median_us, sigma } => median_us * (sigma * sigma / 2.0).exp(),
    }
}

/// The estimate for one validated experiment.
pub fn estimate(exp: &Experiment) -> Estimate {
    // With `run.until` the run may be taken to its cap: estimated there (memory holds one
    // attempt at a time; the attempts before the last add at most twice its time, which the
    // estimate leaves out).
    if exp.run.until.is_some() && exp.run.longest_horizon_s() > exp.run.horizon_s {
        let mut longest = exp.clone();
        longest.run.horizon_s = exp.run.longest_horizon_s();
        return estimate(&longest);
    }
    let all = workload::classes(
        &exp.workload.guilds.sizes,
        exp.workload.guilds.online_fraction,
    );
    let classes: Vec<(f64, f64)> = all.iter().map(|c| (c.n, c.online)).collect();
    let guilds: f64 = classes.iter().map(|c| c.0).sum();
    let online_sum: f64 = classes.iter().map(|c| c.0 * c.1).sum();
    // The counts the run builds (the guild sizes drawn as the build draws them, as `check`
    // counts them: cheap, no size stored), else the expected counts of the size classes.
    let exact = crate::world::build::counts(exp).ok();
    let memberships = exact.map_or(online_sum.round() as u64, |c| c.memberships);
    let sessions = exact.map_or_else(|| exp.workload.users.resolve(online_sum), |c| c.sessions);
    let nodes: u64 = exp.model.nodes.iter().map(|g| g.count as u64).sum();
    let horizon = exp.run.horizon_s;
    let interval_s = exp.output.sample_interval_ms / 1e3;
    let bins = (horizon / interval_s).floor() as u64 + 1;
    let histograms = 3 + SIZE_CLASSES as u64;

    // Work: publishes, each sent to every online member, but no guild sends for longer than
    // the horizon (an overloaded guild leaves the rest queued).
    // The strategy says who sends and at what cost (`world::fanout::estimates`): naive fan-out
    // sends from the guild to every node; grouped strategies send from the session nodes, to
    // sessions on their own node, in parallel.
    let strategy = crate::world::fanout::estimates(
        exp,
        mean_us(&exp.model.costs.send_local),
        mean_us(&exp.model.costs.send_remote),
        memberships as f64,
        guilds,
    );
    let send_us = strategy.send_us;
    let sends_cap = horizon * 1e6 / send_us.max(1e-3) * strategy.parallel_senders;
    let work = workload::work(exp, &all, sessions as f64, sends_cap);
    let mut publishes = work.publishes;
    let mut deliveries = work.deliveries;
    let mean_online = online_sum / guilds.max(1.0);
    // Presence changes: each goes to every guild of the session, each to its online members.
    let guilds_per_session = online_sum / (sessions.max(1) as f64);
    let changes = work.changes;
    // A session's guilds are chosen in proportion to their online members, so the guild a
    // change is published in has on average sum(n o^2) / sum(n o) members online, not the
    // mean: with power-law sizes, many times more.
    let size_biased_online =
        classes.iter().map(|c| c.0 * c.1 * c.1).sum::<f64>() / online_sum.max(1.0);
    // With a member list an update reaches the subscribers of its range only.
    let per_update_cap = match exp.model.member_list.structure {
        ListStructure::None => f64::INFINITY,
        _ => exp.model.member_list.range_size as f64,
    };
    let presence_deliveries =
        (changes * guilds_per_session * size_biased_online.min(per_update_cap))
            .min(sends_cap * guilds);
    deliveries += presence_deliveries;
    publishes += changes * guilds_per_session;
    // A guild yields its scheduler every time slice: one queued event per slice of sends.
    let slices = deliveries * send_us / exp.model.scheduling.time_slice_us.max(1e-3);
    let per_event_deliveries = exp.run.deliveries == DeliveryMode::PerEvent
        || mean_us(&exp.model.costs.session_receive) > 0.0
        || exp.model.costs.serialise_ns_per_byte + exp.model.costs.compress_ns_per_byte > 0.0;
    // Grouped strategies' messages: each group of recipients a publish reaches is a
    // message that arrives (an event) and a slice that ends (another).
    let mut events =
        publishes * (2.0 + group_events_per_publish(exp, &all)) + slices + work.candidates;
    // Passive sessions' digests: a tick per interval, a digest per guild (at most).
    if let (Some(_), Some(interval_ms)) = (
        exp.model.passive.min_members,
        exp.model.passive.digest_interval_ms,
    ) {
        events += horizon * 1e3 / interval_ms.max(1.0) * (1.0 + guilds);
    }
    // Users who open guilds (`passive.users`): a candidate per open rate, members and second
    // (at most every membership), and per open its sync and leave (about 5 events); an
    // announcement's wake-up adds at most -10 ln(1 - respond) candidates per member.
    if let (Some(_), Some(users)) = (exp.model.passive.min_members, &exp.model.passive.users) {
        let candidates = users.opens_per_hour / 3600.0 * memberships as f64 * horizon;
        events += candidates * 6.0;
        if let Some(w) = &users.wake {
            let announcements: f64 = exp
                .workload
                .bursts
                .iter()
                .filter(|b| b.everyone)
                .map(|b| b.count.unwrap_or(0) as f64)
                .sum();
            events += -10.0 * (1.0 - w.respond).ln() * memberships as f64 * announcements * 2.0;
        }
    }
    if per_event_deliveries {
        events += deliveries;
    }

    // Deliveries in flight when they are events: a guild's sends of about one network latency.
    let in_flight = if per_event_deliveries {
        let sends_per_latency = exp.model.network.latency_us / send_us.max(1e-3);
        guilds * sends_per_latency.min(mean_online).max(1.0)
    } else {
        0.0
    };
    // Bins the report writes: up to the horizon at most (a run that drains earlier writes
    // fewer), each a row per cluster metric and per node metric.
    let rows = bins as f64 * (CLUSTER_ROWS_PER_BIN + NODE_ROWS_PER_BIN * nodes as f64);
    let csv_bytes = rows * SERIES_ROW_BYTES;
    let series = bins as f64 * (BIN_BYTES + NODE_BIN_BYTES * nodes as f64) + csv_bytes;
    // Each bin's latency histogram, at most from 0 to the horizon (`bin_histogram.rs`).
    let horizon_ns = crate::sim::time::secs(horizon.clamp(0.0, 1e7));
    let bin_histograms = bins as f64 * 8.0 * bin_histogram::buckets_to(horizon_ns) as f64;
    // Windows: chat and presence buckets per segment of time, three histograms per window.
    let windows = exp.output.windows.len() as f64;
    let segments = if windows > 0.0 {
        2.0 * windows + 1.0
    } else {
        0.0
    };
    let window_bytes = segments * 2.0 * 8.0 * (histogram::index(horizon_ns) + 1) as f64
        + windows * 3.0 * HISTOGRAM_BYTES;
    let guild_nodes: u64 = exp
        .model
        .nodes
        .iter()
        .filter(|g| g.hosts.contains(&Role::Guilds))
        .map(|g| g.count as u64)
        .sum();
    let ring_points = guild_nodes * exp.model.ring.replicas as u64;
    let node_pairs = (nodes * nodes) as f64;
    // A trace holds at most its cap of events: the record, its place in the time order and
    // its line of JSON while the file is written.
    let trace_events = exp
        .output
        .trace
        .as_ref()
        .map_or(0.0, |t| t.max_events as f64);
    // A grouped strategy's groups, and a second set of them per range of a member list.
    let group_sets = if exp.model.member_list.structure == ListStructure::None {
        1.0
    } else {
        2.0
    };
    let per_membership = MEMBERSHIP_BYTES
        + strategy.membership_bytes * group_sets
        + if exp.run.check_order {
            CHECK_ORDER_BYTES
        } else {
            0.0
        };
    // Storms: every session of a restarted node (or of a login storm) joins its guilds again,
    // and each join (and leave) is published to the guild's other online members: a storm of
    // k of a guild's n online members makes about k(n - k) + k(k - 1)/2 presence deliveries
    // (n(n - 1)/2 when all log in together). A node over its memory limit crashes again after
    // every restart: a crash loop, one storm per cycle.
    let session_nodes: u64 = exp
        .model
        .nodes
        .iter()
        .filter(|g| g.hosts.contains(&Role::Sessions))
        .map(|g| g.count as u64)
        .sum();
    let users = (sessions as f64).max(1.0);
    let node_share = 1.0 / session_nodes.max(1) as f64;
    let mut storm_shares: Vec<(f64, f64)> = exp
        .workload
        .storms
        .iter()
        .map(|storm| match storm {
            // (share of each guild's members in the storm, times it happens)
            Storm::Login { users: n, .. } => ((*n as f64 / users).min(1.0), 1.0),
            // A restart: its sessions leave, then join again.
            Storm::NodeRestart { .. } => (node_share, 2.0),
        })
        .collect();
    // A crash loop: the node's sessions leave their guilds at its first crash; after every
    // restart they start reconnecting and the node crashes again before they are back in their
    // guilds (measured on the quickstart's cluster: 1.0 to 1.9 events per session of the node
    // and cycle, and next to no presence), so each later cycle costs events, not deliveries.
    let crashes = crash_loops(exp, sessions as f64, session_nodes);
    let crash_events = crashes * 1.5 * sessions as f64 * node_share;
    if crashes > 0.0 {
        // The first crash of each node: its sessions leave every guild they had joined.
        storm_shares.push((node_share * session_nodes as f64, 1.0));
    }
    let mut storm_sessions = 0.0;
    let mut storm_deliveries = 0.0;
    // Memory holds one storm's reconnections at a time per storm (a crash loop's cycles
    // follow each other).
    let mut storm_memory_sessions = 0.0;
    for &(share, times) in &storm_shares {
        storm_sessions += share * sessions as f64 * times;
        storm_memory_sessions += share * sessions as f64;
        if times == 0.0 {
            continue;
        }
        storm_deliveries += times
            * all
                .iter()
                .map(|c| {
                    let k = share * c.online;
                    let fan =
                        (k * (c.online - k) + k * (k - 1.0).max(0.0) / 2.0).min(k * per_update_cap);
                    c.n * fan.min(sends_cap)
                })
                .sum::<f64>();
    }
    let storm_joins = storm_sessions * guilds_per_session;
    let storm_memory_joins = storm_memory_sessions * guilds_per_session;
    let presence_deliveries = presence_deliveries + storm_deliveries;
    deliveries += storm_deliveries;
    events += storm_deliveries * send_us / exp.model.scheduling.time_slice_us.max(1e-3);
    if per_event_deliveries {
        events += storm_deliveries;
    }
    let terms = [
        ("sessions", SESSION_BYTES * sessions as f64),
        ("memberships", per_membership * memberships as f64),
        ("storms", STORM_JOIN_BYTES * storm_memory_joins),
        ("guilds", GUILD_BYTES * guilds),
        ("time series", series),
        ("latency per bin", bin_histograms),
        ("windows", window_bytes),
        ("histograms", HISTOGRAM_BYTES * histograms as f64),
        ("queued deliveries", QUEUED_DELIVERY_BYTES * in_flight),
        ("ring", RING_POINT_BYTES * ring_points as f64),
        ("node pairs", NODE_PAIR_BYTES * node_pairs),
        ("trace", TRACE_EVENT_BYTES * trace_events),
        ("workload", work.bytes),
        ("fan-out processes", strategy.process_bytes),
    ];
    let dominant = terms
        .iter()
        .filter(|t| t.0 != "histograms")
        .fold(("guilds", f64::MIN), |a, &t| if t.1 > a.1 { t } else { a })
        .0;
    let memory = BASE_BYTES + terms.iter().map(|t| t.1).sum::<f64>();
    // Each storm join (and the leave before it) is a presence fan-out.
    let storm_events = storm_joins * strategy.storm_join_events;
    let mut events = events + storm_events + crash_events;
    // Each retry of a registry call: the backoff's end, a slice, the call or its refusal.
    let mut retry_bound = storm_joins * retries_per_call(exp) * 3.0;
    // A budget stops the run at exactly that many events and deliveries.
    if let Some(budget) = exp.run.event_budget {
        let scale = (budget as f64 / (events + deliveries).max(1.0)).min(1.0);
        events *= scale;
        deliveries *= scale;
        retry_bound = retry_bound.min(budget as f64);
    }
    let seconds = RUN_S
        + DELIVERY_S * deliveries
        + EVENT_S * events
        + BUILD_S * (sessions + memberships) as f64
        + BIN_NODE_S * (bins * nodes) as f64;
    Estimate {
        guilds: guilds.round() as u64,
        memberships,
        sessions,
        nodes,
        bins,
        histograms,
        ring_points,
        csv_bytes: csv_bytes as u64,
        publishes,
        deliveries,
        events,
        presence_deliveries,
        retry_bound,
        memory_bytes: memory as u64,
        seconds,
        dominant,
    }
}

impl Estimate {
    /// Queued events plus closed-form deliveries: the work the run will do, at most (retries
    /// of refused registry calls counted as if every call were refused).
    pub fn work(&self) -> f64 {
        self.events + self.deliveries + self.retry_bound
    }
}

/// An error if a run's work passes [`MAX_WORK`] without a `run.event_budget` (`budgeted`)
/// or `--allow-long-run` (`allowed`): such a run would take hours or days.
pub(crate) fn check_work(
    e: &Estimate,
    name: &str,
    budgeted: bool,
    allowed: bool,
) -> Result<(), Refused> {
    if budgeted || allowed || e.work() <= MAX_WORK {
        return Ok(());
    }
    let why = if e.retry_bound > e.events + e.deliveries {
        "of which most are retries of registry calls, if its storms' calls were refused or \
         timed out: the backoff (model.registry.backoff) lets a session retry that often until \
         the horizon"
            .to_string()
    } else {
        format!(
            "{:.1e} publishes; about {} of wall time",
            e.publishes,
            fmt_duration(e.seconds)
        )
    };
    Err(Refused(format!(
        "{name} would handle up to about {:.1e} events and deliveries ({why}), more than {:.0e}: \
         bound it with run.event_budget (e.g. --set run.event_budget={}), or pass \
         --allow-long-run to run it anyway",
        e.work(),
        MAX_WORK,
        MAX_WORK as u64
    )))
}

/// A duration as text: "40 s", "3.5 h", "12 days".
pub(crate) fn fmt_duration(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.0} days", s / 86_400.0)
    }
}

/// How many of the runs estimated by `estimates` may run at once within `limit_bytes`, at most
/// `jobs`; an error naming the largest run and what to shrink if even one does not fit.
/// `names[i]` names run `i` in messages; `limit_what` says where the limit comes from.
pub(crate) fn fit_jobs(
    estimates: &[Estimate],
    names: &[String],
    jobs: usize,
    limit_bytes: u64,
    limit_what: &str,
) -> Result<usize, Refused> {
    let Some((i, largest)) = estimates
        .iter()
        .enumerate()
        .max_by_key(|(_, e)| e.memory_bytes)
    else {
        return Ok(jobs.max(1));
    };
    if largest.memory_bytes > limit_bytes {
        return Err(Refused(format!(
            "{} needs about {} of memory ({} sessions, {} online memberships, {} guilds, \
             {} time bins) but {limit_what} is {}: shrink it with {}",
            names[i],
            fmt_bytes(largest.memory_bytes),
            largest.sessions,
            largest.memberships,
            largest.guilds,
            largest.bins,
            fmt_bytes(limit_bytes),
            largest.advice()
        )));
    }
    let fit = (limit_bytes / largest.memory_bytes.max(1)) as usize;
    Ok(jobs.clamp(1, fit.max(1)))
}

/// Bytes as text: `512.0 KiB`, `3.2 GiB`.
pub(crate) fn fmt_bytes(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Parses a size such as `512M`, `4G`, `2GiB`, `1.5g` or a number of bytes.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 512M, 4G)"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1048576.0,
        "g" | "gb" | "gib" => 1073741824.0,
        "t" | "tb" | "tib" => 1099511627776.0,
        other => return Err(format!("unknown size unit `{other}` (use K, M, G or T)")),
    };
    Ok((value * factor) as u64)
}

/// The events of one publish's recipient groups (`world::fanout::group_events`), over the
/// guilds weighted by their online members (a large guild publishes and changes presence more
/// often).
fn group_events_per_publish(exp: &Experiment, all: &[workload::Class]) -> f64 {
    let weight: f64 = all.iter().map(|c| c.n * c.online).sum();
    if weight <= 0.0 {
        return 0.0;
    }
    all.iter()
        .map(|c| c.n * c.online * crate::world::fanout::group_events(exp, c.online))
        .sum::<f64>()
        / weight
}

/// How many times one registry call may be retried before the horizon, at most: as if every
/// attempt were refused by the Semaphore (at once) or timed out (after `timeout_ms`), with the
/// backoff's mean delays (a jittered delay is on average `1 - jitter / 2` of its base).
fn retries_per_call(exp: &Experiment) -> f64 {
    let r = &exp.model.registry;
    let b = &r.backoff;
    let wait_s = if r.semaphore.is_some() {
        0.0
    } else {
        r.timeout_ms / 1e3
    };
    let factor = 1.0 - b.jitter / 2.0;
    let max_s = b.max_ms / 1e3;
    let horizon = exp.run.horizon_s;
    let (mut t, mut k, mut delay_s) = (0.0, 0.0, b.initial_ms / 1e3);
    while t < horizon {
        let step = (wait_s + delay_s.min(max_s) * factor).max(1e-9);
        if delay_s >= max_s || b.multiplier <= 1.0 || k >= 1e4 {
            // From here every attempt takes the same time.
            return k + ((horizon - t) / step).ceil();
        }
        t += step;
        k += 1.0;
        delay_s *= b.multiplier;
    }
    k
}

/// How many times a session node crashes on its memory limit, in all: when its sessions
/// alone pass the limit, it crashes as soon as enough of them are back after each restart, so
/// it loops for the whole horizon (each cycle: the restart, then the share of the reconnection
/// jitter that brings it over the limit again).
fn crash_loops(exp: &Experiment, sessions: f64, session_nodes: u64) -> f64 {
    let m = &exp.model.memory;
    let Some(limit) = m.limit_bytes else {
        return 0.0;
    };
    let per_node = sessions / session_nodes.max(1) as f64;
    let static_bytes = per_node * m.session_bytes as f64;
    if static_bytes <= limit as f64 || per_node <= 0.0 {
        return 0.0;
    }
    let refill = m.reconnect_jitter_s * (limit as f64 / static_bytes);
    let cycle = (m.restart_s + refill).max(1e-6);
    session_nodes as f64 * (exp.run.horizon_s / cycle).ceil()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema::GuildSizes;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("4G"), Ok(4 << 30));
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("3X").is_err());
        assert_eq!(fmt_bytes(3 << 30), "3.0 GiB");
        assert_eq!(fmt_bytes(100), "100 B");
    }

    #[test]
    fn zipf_classes_lie_within_the_support() {
        let sizes = GuildSizes::Zipf {
            count: 1000,
            min: 2,
            max: 5000,
            exponent: 1.6,
        };
        let classes = workload::classes(&sizes, 1.0);
        let guilds: f64 = classes.iter().map(|c| c.n).sum();
        assert!((guilds - 1000.0).abs() < 1e-6);
        assert!(classes.iter().all(|c| (2.0..=5000.0).contains(&c.online)));
    }
}
