//! The `guildsim` command line: parse arguments, run, report, and turn errors into exit codes
//! (0 success, 1 a run finished but a declared check failed, 2 bad usage, configuration or
//! I/O). This is the only place that reads the wall clock or talks to the terminal.

use anyhow::Result;
use clap::{Parser, Subcommand};
use guildsim::config::{self, ConfigErrors, LoadOptions, Loaded};
use guildsim::report;
use guildsim::runner::{self, RunResult};
use guildsim::sim::time::{secs, to_secs};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// A deterministic discrete-event simulator of a Discord-style real-time tier: sessions,
/// guild processes and nodes on virtual time, message fan-out and presence storms.
#[derive(Parser)]
#[command(name = "guildsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment and write its results (summary.json, CSV tables, resolved.yaml, SVG plots).
    Run {
        /// The experiment file (experiments/*.yaml, or a resolved.yaml from an earlier run).
        experiment: PathBuf,
        /// Directory for the result files [default: results/<experiment name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Master seed, overriding the experiment's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Override one field of the assembled experiment, e.g. `--set workload.publishes.rate.per_guild_per_s=20`
        /// or `--set model.costs.send_remote.max_us=80` (repeatable; the value is parsed as YAML).
        #[arg(long = "set", value_name = "FIELD.PATH=VALUE")]
        sets: Vec<String>,
        /// Use the experiment's `test_overrides` (the small scale of the snapshot tests).
        #[arg(long)]
        test_scale: bool,
        /// No progress bar and no result table.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Validate experiment files without running them.
    Check {
        /// Experiment files to check.
        #[arg(required = true)]
        experiments: Vec<PathBuf>,
    },
    /// Measure speed and memory on the reference fan-out workload (experiments/bench-fanout.yaml).
    Bench {
        /// The benchmark experiment.
        #[arg(long, default_value = "experiments/bench-fanout.yaml")]
        experiment: PathBuf,
        /// Sessions for the memory measurement (guilds of 1,000 members, one guild per user).
        #[arg(long, default_value_t = 1_000_000)]
        memory_sessions: u64,
    },
}

/// An error with the exit code it maps to.
enum Failure {
    Usage(anyhow::Error),
    Config(ConfigErrors),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Usage(e)
    }
}

impl From<ConfigErrors> for Failure {
    fn from(e: ConfigErrors) -> Self {
        Failure::Config(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Config(e)) => {
            eprintln!("error: invalid experiment\n{e}");
            ExitCode::from(2)
        }
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Run {
            experiment,
            out,
            seed,
            mut sets,
            test_scale,
            quiet,
        } => {
            if let Some(seed) = seed {
                sets.push(format!("seed={seed}"));
            }
            let loaded = config::load_experiment(&experiment, &LoadOptions { sets, test_scale })?;
            let out = out.unwrap_or_else(|| Path::new("results").join(&loaded.name));
            let started = Instant::now();
            let result = simulate_with_progress(&loaded, quiet)?;
            let wall = started.elapsed().as_secs_f64();
            let files = report::write_results(&out, &loaded, &result)?;
            if !quiet {
                print_table(&result, wall);
                println!("results: {} files in {}", files.len(), out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { experiments } => {
            let mut errors = Vec::new();
            for path in &experiments {
                match config::load_experiment(path, &LoadOptions::default())
                    .and_then(|l| runner::precheck(&l))
                {
                    Ok(counts) => println!(
                        "ok: {} ({} nodes, {} guilds, {} sessions, {} memberships)",
                        path.display(),
                        counts.nodes,
                        counts.guilds,
                        counts.sessions,
                        counts.memberships
                    ),
                    Err(e) => errors.extend(e.0),
                }
            }
            if errors.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                Err(ConfigErrors(errors).into())
            }
        }
        Command::Bench {
            experiment,
            memory_sessions,
        } => bench(&experiment, memory_sessions),
    }
}

fn simulate_with_progress(loaded: &Loaded, quiet: bool) -> Result<RunResult, ConfigErrors> {
    let horizon = secs(loaded.experiment.run.horizon_s);
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(horizon), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {msg} virtual time (ETA {eta})",
        )
        .expect("valid template"),
    );
    let result = runner::simulate(loaded, |now| {
        bar.set_position(now);
        bar.set_message(format!("{:.2} s", to_secs(now)));
    });
    bar.finish_and_clear();
    result
}

fn print_table(result: &RunResult, wall_s: f64) {
    let s = &result.summary;
    let row = |name: &str, st: &guildsim::metrics::DurationStats| {
        println!(
            "{name:<22} {:>12.3} {:>12.3} {:>12.3} {:>12.3} {:>12.3}",
            st.mean, st.p50, st.p99, st.p999, st.max
        );
    };
    println!(
        "{:<22} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "(ms)", "mean", "p50", "p99", "p99.9", "max"
    );
    row("delivery latency", &s.latency_ms);
    row("fan-out duration", &s.fanout_duration_ms);
    row("time in guild queue", &s.guild_sojourn_ms);
    println!(
        "publishes {}  deliveries {}  guild mailbox max {}  node busy mean {:.3}  max {:.3}",
        s.publishes_total,
        s.deliveries_total,
        s.guild_mailbox_depth_max,
        s.node_busy_fraction_mean,
        s.node_busy_fraction_max
    );
    println!(
        "stopped: {:?} at {:.3} s virtual  |  wall {:.2} s, {:.2} M events/s, {:.2} M deliveries/s, {} queued events",
        s.stop.reason,
        s.stop.end_time_s,
        wall_s,
        s.events_total as f64 / wall_s / 1e6,
        s.deliveries_total as f64 / wall_s / 1e6,
        result.outcome.queued_events
    );
}

/// Peak resident memory of this process so far, in bytes (Linux), if known.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Current resident memory, in bytes (Linux), if known.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn bench(experiment: &Path, memory_sessions: u64) -> Result<ExitCode, Failure> {
    let mib = |b: Option<u64>| {
        b.map(|b| format!("{:.1} MiB", b as f64 / 1048576.0))
            .unwrap_or_else(|| "n/a".into())
    };
    for (label, sets) in [
        ("folded deliveries", vec![]),
        (
            "one event per delivery",
            vec!["run.deliveries=per_event".to_string()],
        ),
    ] {
        let loaded = config::load_experiment(
            experiment,
            &LoadOptions {
                sets,
                test_scale: false,
            },
        )?;
        let started = Instant::now();
        let result = runner::simulate(&loaded, |_| {})?;
        let wall = started.elapsed().as_secs_f64();
        let s = &result.summary;
        println!("{} ({label}):", experiment.display());
        println!(
            "  wall {:.3} s | {:.1} M events/s | {:.1} M deliveries/s | {} deliveries | {} queued events | peak queue {} | peak memory {}",
            wall,
            s.events_total as f64 / wall / 1e6,
            s.deliveries_total as f64 / wall / 1e6,
            s.deliveries_total,
            result.outcome.queued_events,
            result.outcome.queue_len_max,
            mib(peak_rss_bytes())
        );
        println!(
            "  latency mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
            s.latency_ms.mean, s.latency_ms.p50, s.latency_ms.p99
        );
    }
    // Memory per session: build a world of `memory_sessions` sessions (guilds of 1,000 members,
    // one guild per user) and measure resident memory before and after.
    let guilds = memory_sessions.div_ceil(1000);
    let sets = vec![
        format!("workload.guilds.sizes={{fixed: {{count: {guilds}, members: 1000}}}}"),
        "workload.users.guilds_per_user_mean=1".into(),
        "run.horizon_s=0.001".into(),
    ];
    let loaded = config::load_experiment(
        experiment,
        &LoadOptions {
            sets,
            test_scale: false,
        },
    )?;
    let before = rss_bytes();
    let result = runner::simulate(&loaded, |_| {})?;
    let after = rss_bytes();
    let sessions = result.summary.entities.sessions;
    if let (Some(b), Some(a)) = (before, after) {
        println!(
            "memory: {} sessions, {} memberships: {:.1} bytes per session (resident growth {} over {} sessions, memberships included)",
            sessions,
            result.summary.entities.memberships,
            a.saturating_sub(b) as f64 / sessions as f64,
            mib(Some(a.saturating_sub(b))),
            sessions
        );
    }
    Ok(ExitCode::SUCCESS)
}
