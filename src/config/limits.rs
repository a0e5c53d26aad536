//! The documented range of every number an experiment or model may hold. `check` (and every
//! run) refuses a value outside its range with its location; inside the ranges, the model's
//! arithmetic cannot overflow (virtual time is `u64` nanoseconds: the longest time and the
//! largest durations below stay many orders of magnitude under its 584 years), no count can
//! make a run allocate without the memory guard seeing it, and `check` itself stays cheap.
//!
//! The README's YAML reference lists these ranges; `limits_are_consistent` below keeps the
//! time bounds inside what `u64` nanoseconds hold.

/// Any time or duration in seconds (horizon, storm times, restarts, publishing window):
/// at most 10^7 s, about 115 days.
pub(crate) const MAX_TIME_S: f64 = 1e7;
/// Any duration in milliseconds (timeouts, backoff, bins): at most the same 10^7 s.
pub(crate) const MAX_TIME_MS: f64 = MAX_TIME_S * 1e3;
/// A cost or latency in microseconds (a distribution's parameter, a link): at most 10^9 µs
/// (1,000 s).
pub(crate) const MAX_DURATION_US: f64 = 1e9;
/// The smallest non-zero time slice: one nanosecond.
pub(crate) const MIN_TIME_SLICE_US: f64 = 1e-3;
/// The log-normal shape: at most 4 (its p99.99 is then about 10^6 times its median).
pub(crate) const MAX_SIGMA: f64 = 4.0;

/// Nodes in all groups together.
pub(crate) const MAX_NODES: u64 = 4096;
/// Schedulers of one node, and Manifold workers per node.
pub(crate) const MAX_SCHEDULERS: u32 = 1024;
/// Virtual points per guild node on the ring.
pub(crate) const MAX_REPLICAS: u32 = 4096;
/// Guilds in an experiment.
pub(crate) const MAX_GUILDS: u64 = 10_000_000;
/// Members of one guild.
pub(crate) const MAX_GUILD_MEMBERS: u32 = 10_000_000;
/// Users (sessions) and online memberships in all: ids are `u32`.
pub(crate) const MAX_SESSIONS: u64 = 1 << 31;
pub(crate) const MAX_MEMBERSHIPS: u64 = 1 << 31;
/// Mean guilds per user.
pub(crate) const MIN_GUILDS_PER_USER: f64 = 1e-3;
pub(crate) const MAX_GUILDS_PER_USER: f64 = 1e6;
/// Publishes of one burst (to each of its guilds).
pub(crate) const MAX_BURST: u32 = 10_000_000;
/// Bursts of an experiment, and phases of publishing.
pub(crate) const MAX_BURSTS: usize = 10_000;
pub(crate) const MAX_PHASES: usize = 1_000;
/// A burst's rate multiplier: at most 1000 (candidate publishes are drawn at the largest
/// multiplier of the moment and thinned, each candidate an event).
pub(crate) const MAX_BURST_MULTIPLIER: f64 = 1000.0;
/// A shape's factors: a ramp's ends, a daily cycle's peak-to-trough ratio.
pub(crate) const MAX_SHAPE_FACTOR: f64 = 1e6;
/// Any rate per second (publishes, presence changes).
pub(crate) const MAX_RATE_PER_S: f64 = 1e6;
/// The power law's exponent.
pub(crate) const MAX_EXPONENT: f64 = 100.0;

/// Size of one message (event, presence update, call, recipient entry): 16 MiB.
pub(crate) const MAX_MESSAGE_BYTES: u64 = 1 << 24;
/// A channel's send buffer, and the memory of one session, guild or member: 1 GiB.
pub(crate) const MAX_ENTITY_BYTES: u64 = 1 << 30;
/// A node's memory limit: 1 PiB.
pub(crate) const MAX_LIMIT_BYTES: u64 = 1 << 50;
/// A guild's young heap and virtual binary heap threshold: at least 1 KiB (OTP's smallest
/// heap, `min_heap_size` 233 words, is 1,864 bytes), so that one message's allocation makes at
/// most about 10^10 collections, whose pause is then capped (`world/gc.rs`).
pub(crate) const MIN_GC_HEAP_BYTES: u64 = 1 << 10;
/// Collections between two full sweeps (OTP's `fullsweep_after` is a small integer; 2^32 - 1
/// is more than any run makes).
pub(crate) const MAX_FULLSWEEP_AFTER: u64 = u32::MAX as u64;
/// A collection's pause per byte: at most 1 ms a byte.
pub(crate) const MAX_GC_NS_PER_BYTE: f64 = 1e6;
/// Link bandwidth in Mbit/s: from 1 kbit/s to 1 Pbit/s.
pub(crate) const MIN_BANDWIDTH_MBPS: f64 = 1e-3;
pub(crate) const MAX_BANDWIDTH_MBPS: f64 = 1e9;
/// Backoff growth per attempt.
pub(crate) const MAX_MULTIPLIER: f64 = 1000.0;
/// Registry calls in flight per node under a Semaphore.
pub(crate) const MAX_SEMAPHORE: u32 = 1_000_000_000;

/// Events of one timeline trace (about 100 bytes each in the file, 40 in memory).
pub(crate) const MAX_TRACE_EVENTS: u64 = 10_000_000;
/// Guilds and nodes a trace's filters may name.
pub(crate) const MAX_TRACE_FILTER: usize = 100_000;

/// Expectations of an experiment (`expect:`).
pub(crate) const MAX_EXPECTATIONS: usize = 1_000;

/// Named windows of a run (`output.windows`).
pub(crate) const MAX_WINDOWS: usize = 100;

/// Time-series bins of a run.
pub(crate) const MAX_BINS: u64 = 1_000_000;

/// Steps of one `linear` or `log` sweep range, replications of a sweep, and runs in all.
pub(crate) const MAX_STEPS: u32 = 10_000;
pub(crate) const MAX_REPLICATIONS: u32 = 10_000;
pub(crate) const MAX_RUNS: u64 = 100_000;
/// A sweep's (or search's) points x the bytes of its input files: planning checks every point
/// as a run, at roughly a few MB a second.
pub(crate) const MAX_PLAN_BYTES: u64 = 256 << 20;
/// A capacity search: bisection steps after its two ends, and its precision (relative on a
/// log scale, from 10^-6 to 10; absolute on a linear one, above 0).
pub(crate) const MAX_SEARCH_STEPS: u32 = 60;
pub(crate) const MIN_SEARCH_PRECISION: f64 = 1e-6;
pub(crate) const MAX_LOG_PRECISION: f64 = 10.0;
/// A search's values (its bracket's ends and every value between): at most this large in
/// magnitude, so that integers stay exact in `f64`.
pub(crate) const MAX_SEARCH_VALUE: f64 = 1e15;

/// A number as a person reads it: plain from 10^-4 to below 10^10, in scientific notation
/// beyond (a limit is never printed as a 300-digit number).
pub(crate) fn fmt_num(value: f64) -> String {
    let a = value.abs();
    if value.is_finite() && a != 0.0 && !(1e-4..1e10).contains(&a) {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_consistent() {
        let ns = |s: f64| s * 1e9;
        // A time, plus a few of the largest durations and draws, stays far below u64::MAX ns.
        let worst = ns(MAX_TIME_S) * 4.0
            + MAX_DURATION_US * 1e3 * 4.0
            + crate::sim::dist::MAX_DRAW_NS as f64 * 4.0;
        assert!(worst < u64::MAX as f64 / 100.0);
        assert_eq!(MAX_TIME_MS / 1e3, MAX_TIME_S);
        // Memory of every session of a node at the largest per-session size fits in u64.
        assert!((MAX_SESSIONS as f64) * (MAX_ENTITY_BYTES as f64) < u64::MAX as f64);
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(fmt_num(1e308), "1e308");
        assert_eq!(fmt_num(30000.0), "30000");
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(1e-9), "1e-9");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(f64::NAN), "NaN");
    }
}
