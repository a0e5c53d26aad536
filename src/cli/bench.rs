//! `guildsim bench`: speed and memory of the simulator, measured, never asserted.
//!
//! Each case runs in a child process (`guildsim bench-case`, hidden) so that its peak
//! resident memory is its own. Cases: the reference fan-out workload
//! (`experiments/bench-fanout.yaml`) with deliveries folded and with one event per delivery;
//! two worlds built without running, to separate the memory of a session from that of a
//! membership; and, with `--full`, the full-scale 2017 cluster.

use anyhow::{Context, Result, bail};
use guildsim::config::{self, LoadOptions};
use guildsim::runner;
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
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
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
    };
    if !build_only {
        let started = Instant::now();
        let result = runner::execute(&loaded, prepared, |_| {});
        report.run_s = started.elapsed().as_secs_f64();
        let s = &result.summary;
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
    report.peak_rss_bytes = status_kib("VmHWM:").unwrap_or(0) * 1024;
    println!("{}", serde_json::to_string(&report)?);
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
    println!("{title}");
    println!(
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
    println!(
        "  latency mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
        r.latency_mean_ms, r.latency_p50_ms, r.latency_p99_ms
    );
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
    println!(
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
    println!(
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
        println!(
            "  {} sessions, {} memberships: {:.1} bytes per session, {:.1} bytes per membership at the peak (everything included)",
            r.sessions,
            r.memberships,
            r.peak_rss_bytes as f64 / r.sessions as f64,
            r.peak_rss_bytes as f64 / r.memberships as f64
        );
    }
    Ok(())
}
