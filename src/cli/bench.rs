//! `guildsim bench`: speed and memory of the simulator, measured, never asserted.
//!
//! Each case runs in a child process (`guildsim bench-case`, hidden) so that its peak
//! resident memory is its own. Cases: the reference fan-out workload
//! (`experiments/bench-fanout.yaml`) with deliveries folded and with one event per delivery;
//! two worlds built without running, to separate the memory of a session from that of a
//! membership; and, with `--full`, the full-scale 2017 cluster.
//!
//! A run with storms is measured per phase: build, steady traffic (up to the first storm),
//! storm (until the number of sessions online last changes) and drain (the rest), by
//! stopping the run every virtual second to read the wall clock and the peak memory. The
//! stops do not change what the run does.

use super::output::outln;
use anyhow::{Context, Result, bail};
use guildsim::config::schema::{Experiment, Storm};
use guildsim::config::{self, LoadOptions};
use guildsim::runner::{self, Checkpoint};
use guildsim::sim::Nanos;
use guildsim::sim::time::{NS_PER_S, secs, to_secs};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// What one case measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct CaseReport {
    pub build_s: f64,
    pub run_s: f64,
    pub sessions: u64,
    pub memberships: u64,
    pub events_total: u64,
    pub queued_events: u64,
    pub deliveries: u64,
    pub presence_deliveries: u64,
    pub peak_rss_bytes: u64,
    pub latency_mean_ms: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    /// Build, then the run's phases (one, `steady`, without storms).
    pub phases: Vec<PhaseReport>,
}

/// One phase of a measured run.
#[derive(Debug, Serialize, Deserialize)]
pub struct PhaseReport {
    pub name: String,
    /// Virtual time covered.
    pub from_s: f64,
    pub to_s: f64,
    pub wall_s: f64,
    /// Events handled (queued and folded), those through the queue, and deliveries (chat and
    /// presence) received in the phase.
    pub events: u64,
    pub queued_events: u64,
    pub deliveries: u64,
    /// Peak resident memory of the process by the end of the phase.
    pub peak_rss_bytes: u64,
}

/// A checkpoint of the run with the wall time and peak memory at it.
struct Stop {
    at: Checkpoint,
    wall_s: f64,
    peak_rss_bytes: u64,
}

/// When the first storm starts, if there is one.
fn storm_start(exp: &Experiment) -> Option<Nanos> {
    exp.workload
        .storms
        .iter()
        .map(|storm| match storm {
            Storm::Login { start_s, .. } => secs(*start_s),
            Storm::NodeRestart { at_s, .. } => secs(*at_s),
        })
        .min()
}

/// Sums the stops into phases: steady up to `storm_start`, storm up to `storm_end`, drain
/// after it.
fn phases(stops: &[Stop], storm_start: Nanos, storm_end: Nanos) -> Vec<PhaseReport> {
    let mut out: Vec<PhaseReport> = Vec::new();
    let mut prev: Option<&Stop> = None;
    for stop in stops {
        let name = if stop.at.time <= storm_start {
            "steady"
        } else if stop.at.time <= storm_end {
            "storm"
        } else {
            "drain"
        };
        let zero = Checkpoint {
            time: 0,
            events: 0,
            queued_events: 0,
            deliveries: 0,
            presence_deliveries: 0,
            sessions_online: 0,
        };
        let (from, wall_from) = prev.map_or((zero, 0.0), |p| (p.at, p.wall_s));
        if out.last().is_none_or(|p| p.name != name) {
            out.push(PhaseReport {
                name: name.to_string(),
                from_s: to_secs(from.time),
                to_s: 0.0,
                wall_s: 0.0,
                events: 0,
                queued_events: 0,
                deliveries: 0,
                peak_rss_bytes: 0,
            });
        }
        let phase = out.last_mut().expect("a phase");
        phase.to_s = to_secs(stop.at.time);
        phase.wall_s += stop.wall_s - wall_from;
        phase.events += stop.at.events - from.events;
        phase.queued_events += stop.at.queued_events - from.queued_events;
        phase.deliveries += stop.at.deliveries + stop.at.presence_deliveries
            - from.deliveries
            - from.presence_deliveries;
        phase.peak_rss_bytes = stop.peak_rss_bytes;
        prev = Some(stop);
    }
    out
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The process's peak resident memory so far.
fn peak_rss() -> u64 {
    status_kib("VmHWM:").unwrap_or(0) * 1024
}

/// Runs one case in this process and prints its report as one JSON line.
pub fn case(experiment: &Path, sets: Vec<String>, build_only: bool) -> Result<()> {
    let loaded = config::load_experiment(
        experiment,
        &LoadOptions {
            sets,
            test_scale: false,
        },
    )?;
    let started = Instant::now();
    let prepared = runner::prepare(&loaded)?;
    let build_s = started.elapsed().as_secs_f64();
    let build_peak = peak_rss();
    let (sessions, memberships) = {
        let counts = runner::precheck(&loaded)?;
        (counts.sessions, counts.memberships)
    };
    let mut report = CaseReport {
        build_s,
        run_s: 0.0,
        sessions,
        memberships,
        events_total: 0,
        queued_events: 0,
        deliveries: 0,
        presence_deliveries: 0,
        peak_rss_bytes: 0,
        latency_mean_ms: 0.0,
        latency_p50_ms: 0.0,
        latency_p99_ms: 0.0,
        phases: vec![PhaseReport {
            name: "build".to_string(),
            from_s: 0.0,
            to_s: 0.0,
            wall_s: build_s,
            events: 0,
            queued_events: 0,
            deliveries: 0,
            peak_rss_bytes: build_peak,
        }],
    };
    if !build_only {
        let storm = storm_start(&loaded.experiment);
        let mut stops = Vec::new();
        let started = Instant::now();
        let result = match storm {
            // Without a storm the run is one phase: no stops.
            None => runner::execute(&loaded, prepared, |_| {}),
            Some(_) => runner::execute_in_steps(&loaded, prepared, NS_PER_S, |at| {
                stops.push(Stop {
                    at,
                    wall_s: started.elapsed().as_secs_f64(),
                    peak_rss_bytes: peak_rss(),
                })
            }),
        };
        report.run_s = started.elapsed().as_secs_f64();
        let s = &result.summary;
        if storm.is_none() {
            stops.push(Stop {
                at: Checkpoint {
                    time: result.end_time,
                    events: s.events_total,
                    queued_events: result.outcome.queued_events,
                    deliveries: s.deliveries_total,
                    presence_deliveries: s.presence_deliveries_total,
                    sessions_online: 0,
                },
                wall_s: report.run_s,
                peak_rss_bytes: peak_rss(),
            });
        }
        // The storm lasts until the number of sessions online last changes (whole seconds).
        let storm_start = storm.unwrap_or(Nanos::MAX);
        let storm_end = result.world.rec.last_online_change.div_ceil(NS_PER_S) * NS_PER_S;
        report
            .phases
            .extend(phases(&stops, storm_start, storm_end.max(storm_start)));
        report.events_total = s.events_total;
        report.queued_events = result.outcome.queued_events;
        report.deliveries = s.deliveries_total;
        report.presence_deliveries = s.presence_deliveries_total;
        report.latency_mean_ms = s.latency_ms.mean;
        report.latency_p50_ms = s.latency_ms.p50;
        report.latency_p99_ms = s.latency_ms.p99;
    } else {
        std::hint::black_box(&prepared);
    }
    report.peak_rss_bytes = peak_rss();
    outln!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Runs a case in a child process.
fn child(experiment: &Path, sets: &[String], build_only: bool) -> Result<CaseReport> {
    let exe = std::env::current_exe().context("cannot find the guildsim executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("bench-case").arg(experiment);
    for set in sets {
        cmd.arg("--set").arg(set);
    }
    if build_only {
        cmd.arg("--build-only");
    }
    let out = cmd.output().context("cannot start a benchmark case")?;
    if !out.status.success() {
        bail!(
            "benchmark case failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .last()
        .context("a benchmark case printed nothing")?;
    Ok(serde_json::from_str(line)?)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

fn print_run(title: &str, r: &CaseReport) {
    let all = r.deliveries + r.presence_deliveries;
    outln!("{title}");
    outln!(
        "  run {:.3} s (build {:.3} s) | {:.1} M deliveries/s | {:.1} M events/s | {} deliveries | {} events, {} through the queue | peak memory {}",
        r.run_s,
        r.build_s,
        all as f64 / r.run_s / 1e6,
        r.events_total as f64 / r.run_s / 1e6,
        all,
        r.events_total,
        r.queued_events,
        mib(r.peak_rss_bytes)
    );
    outln!(
        "  latency mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
        r.latency_mean_ms,
        r.latency_p50_ms,
        r.latency_p99_ms
    );
}

/// One line per phase: its virtual time, wall time, rates and the peak memory by its end.
fn print_phases(r: &CaseReport) {
    for p in &r.phases {
        if p.name == "build" {
            outln!(
                "  {:<6} {:>6.1} s wall, peak memory {}",
                p.name,
                p.wall_s,
                mib(p.peak_rss_bytes)
            );
            continue;
        }
        let per_s = |x: u64| x as f64 / p.wall_s.max(1e-9) / 1e6;
        outln!(
            "  {:<6} {:>6.1} s wall for {:.0}-{:.0} virtual s | {:.2} M events/s ({:.2} M/s through the queue) | {:.2} M deliveries/s | {} events, {} deliveries | peak memory {}",
            p.name,
            p.wall_s,
            p.from_s,
            p.to_s,
            per_s(p.events),
            per_s(p.queued_events),
            per_s(p.deliveries),
            p.events,
            p.deliveries,
            mib(p.peak_rss_bytes)
        );
    }
}

/// `guildsim bench`.
pub fn bench(
    experiment: &Path,
    full: Option<&Path>,
    memory_sessions: u64,
    repeat: usize,
) -> Result<()> {
    // The reference case several times: wall time on a shared machine varies from run to run,
    // so the median is the figure to quote.
    let mut runs = (0..repeat.max(1))
        .map(|_| child(experiment, &[], false))
        .collect::<Result<Vec<_>>>()?;
    let rate = |r: &CaseReport| (r.deliveries + r.presence_deliveries) as f64 / r.run_s;
    runs.sort_by(|a, b| rate(a).total_cmp(&rate(b)));
    let folded = &runs[runs.len() / 2];
    print_run(
        &format!(
            "{} (deliveries folded in closed form; median of {} runs):",
            experiment.display(),
            runs.len()
        ),
        folded,
    );
    outln!(
        "  deliveries/s over the {} runs: min {:.1} M, median {:.1} M, max {:.1} M",
        runs.len(),
        rate(&runs[0]) / 1e6,
        rate(folded) / 1e6,
        rate(&runs[runs.len() - 1]) / 1e6
    );
    let per_event = child(experiment, &["run.deliveries=per_event".to_string()], false)?;
    print_run(
        &format!("{} (one event per delivery):", experiment.display()),
        &per_event,
    );

    // Memory: the same sessions in 1 and in 5 guilds of 1,000 members each; the difference is
    // the memberships' share.
    let world = |guilds_per_user: u64| -> Vec<String> {
        vec![
            format!(
                "workload.guilds.sizes={{fixed: {{count: {}, members: 1000}}}}",
                memory_sessions * guilds_per_user / 1000
            ),
            format!("workload.users.guilds_per_user_mean={guilds_per_user}"),
        ]
    };
    let one = child(experiment, &world(1), true)?;
    let five = child(experiment, &world(5), true)?;
    let per_membership = (five.peak_rss_bytes as f64 - one.peak_rss_bytes as f64)
        / (five.memberships - one.memberships) as f64;
    let per_session =
        (one.peak_rss_bytes as f64 - per_membership * one.memberships as f64) / one.sessions as f64;
    outln!(
        "memory: {} sessions in 1 guild each: {} peak; in 5 guilds each: {} peak; so {:.1} bytes per membership and {:.1} bytes per session (fixed costs included)",
        one.sessions,
        mib(one.peak_rss_bytes),
        mib(five.peak_rss_bytes),
        per_membership,
        per_session
    );

    if let Some(full) = full {
        let r = child(full, &[], false)?;
        print_run(&format!("{} (full scale):", full.display()), &r);
        print_phases(&r);
        outln!(
            "  {} sessions, {} memberships: {:.1} bytes per session, {:.1} bytes per membership at the peak (everything included)",
            r.sessions,
            r.memberships,
            r.peak_rss_bytes as f64 / r.sessions as f64,
            r.peak_rss_bytes as f64 / r.memberships as f64
        );
    }
    Ok(())
}
