//! The `guildsim` command line: parse arguments, run, report, and turn errors into exit codes
//! (0 success, 1 a run finished but a declared check failed, 2 bad usage, configuration or
//! I/O). This is the only place that reads the wall clock or talks to the terminal.

use anyhow::Result;
use clap::{Parser, Subcommand};

/// `println!` that does not panic when standard output is closed (`guildsim run ... | head -1`):
/// what the reader no longer wants is dropped; the command goes on and exits with its own code.
/// Any other failure (a full disk, `> /dev/full`) is remembered, and the command exits with
/// code 2 instead of 0: output is never lost silently.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::stdout_result(writeln!(std::io::stdout(), $($arg)*));
    }};
}

/// `print!` with the same rule as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::stdout_result(write!(std::io::stdout(), $($arg)*));
    }};
}

/// `eprintln!` that never panics: when standard error cannot be written (`2>/dev/full`) the
/// message is lost, but the exit code still tells what happened.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Set when a write to standard output failed other than because its reader stopped early.
static STDOUT_LOST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Remembers a failed write to standard output (a closed pipe is the reader's choice, not a
/// failure).
fn stdout_result(result: std::io::Result<()>) {
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        STDOUT_LOST.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The exit code once standard output is flushed: 2 if something written to it was lost.
fn finish(code: ExitCode) -> ExitCode {
    use std::io::Write as _;
    stdout_result(std::io::stdout().flush());
    if STDOUT_LOST.load(std::sync::atomic::Ordering::Relaxed) {
        errln!("error: cannot write to standard output: the output is incomplete (exit code 2)");
        return ExitCode::from(2);
    }
    code
}

mod cli;
use cli::memory::MemoryWatch;

use guildsim::check::Checked;
use guildsim::compare;
use guildsim::config::editor_schema::{self, SchemaKind};
use guildsim::config::{self, ConfigErrors, LoadOptions, Loaded};
use guildsim::estimate::{self, Estimate, fmt_bytes, parse_bytes};
use guildsim::expect::{EXPECTATIONS_CSV, Verdicts};
use guildsim::files::{folder, paths};
use guildsim::report;
use guildsim::runner::{self, RunResult};
use guildsim::search::{self, SearchPlan};
use guildsim::sim::time::{secs, to_secs};
use guildsim::sim::{Nanos, StopReason};
use guildsim::sweep::{self, Plan, RunSpec, Shard, exec, merge};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    /// Run an experiment, or every run of its sweep, and write the results.
    ///
    /// A single run writes summary.json, CSV tables, resolved.yaml and SVG plots. An experiment
    /// with a `sweep:` runs every point and replication, each in its own folder under runs/,
    /// and writes sweep.csv, aggregate.csv and the sweep's plots; rerunning the same command
    /// skips the runs that are complete already.
    Run {
        /// The experiment file (experiments/*.yaml, or a resolved.yaml from an earlier run).
        experiment: PathBuf,
        /// Directory for the result files [default: results/<experiment name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Sweep runs to execute at once, each single-threaded [default: all cores]. The result
        /// files are the same for any value.
        #[arg(long, short, value_name = "N")]
        jobs: Option<usize>,
        /// Run only share I of N of a sweep's runs (I from 0 to N-1: runs whose index modulo N is
        /// I), then combine the shards' folders with `guildsim merge`. For a Slurm array
        /// `--array=0-9`: `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
        #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
        shard: Option<Shard>,
        /// Refuse to start a run whose estimated memory exceeds SIZE (e.g. 512M, 4G), and run
        /// fewer sweep jobs at once so that they fit [default: the available memory].
        #[arg(long, value_name = "SIZE", value_parser = parse_bytes)]
        max_memory: Option<u64>,
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
        /// Also write the run's timeline trace to FILE (Chrome trace-event JSON: open it in
        /// ui.perfetto.dev or chrome://tracing), filtered by the experiment's `output.trace`
        /// (`--set output.trace.guilds=[0]`, ...) or with its defaults. An existing FILE is
        /// replaced only if guildsim wrote it; FILE may not lie inside the run's folder.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Start a run estimated at more than 1e11 events and deliveries (hours of wall time)
        /// even without a `run.event_budget`.
        #[arg(long)]
        allow_long_run: bool,
        /// No estimate, progress bar or result table (errors are still printed). The progress
        /// bar is also hidden when standard error is not a terminal.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Combine the folders of a sweep's shards into the files one process would have written.
    ///
    /// Takes the output folders of `run --shard I/N` and writes the runs, sweep.csv,
    /// aggregate.csv and the plots. Folders from another experiment or guildsim version, and
    /// merges with runs missing, are refused.
    Merge {
        /// Shard output folders (any order; a folder may hold several shards' runs).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Folder for the merged results [default: the first DIR].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare two run folders, or two sweep folders, of the same experiment.
    ///
    /// Runs: every metric of summary.json in both (dotted names, as in sweeps and `expect:`),
    /// the change and its percentage of the base value. Sweeps: per point and metric, the
    /// means over replications from aggregate.csv, the change, its percentage, and whether it
    /// is beyond the 95 % level (`beyond_95ci`: Welch's t on the two points' replications;
    /// with one replication on a side, any change counts). Prints the rows that differ and
    /// writes every row with --csv. Folders of different experiments, or with other metrics,
    /// swept fields or points, are refused (exit code 2).
    Compare {
        /// The base folder (e.g. results of the main branch).
        base: PathBuf,
        /// The folder to compare with it (e.g. results of a change).
        new: PathBuf,
        /// Exit with code 1 if a metric differs by more than PERCENT of its base value (for
        /// sweeps, only differences beyond the 95 % level count): a gate for CI.
        #[arg(long, value_name = "PERCENT")]
        fail_above: Option<f64>,
        /// Compare only this metric, e.g. `latency_ms.p99` (repeatable) [default: every one].
        #[arg(long = "metric", value_name = "NAME")]
        metrics: Vec<String>,
        /// Also write the whole table (every row) as CSV to FILE, which must not exist.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Print every row, not only those that differ.
        #[arg(long)]
        all: bool,
        /// Print nothing but errors and the rows above --fail-above.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Validate experiment files without running them.
    Check {
        /// Experiment files to check.
        #[arg(required = true)]
        experiments: Vec<PathBuf>,
        /// Override one field before checking, as `run --set` does (repeatable).
        #[arg(long = "set", value_name = "FIELD.PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Measure speed and memory: the reference fan-out workload (experiments/bench-fanout.yaml)
    /// with folded and with per-event deliveries, memory per session and per membership, and
    /// with --full the full-scale 2017 cluster.
    Bench {
        /// The reference benchmark experiment.
        #[arg(long, default_value = "experiments/bench-fanout.yaml")]
        experiment: PathBuf,
        /// Also run this full-scale experiment (it takes minutes: the README's Performance
        /// section gives the measured time).
        #[arg(long, num_args = 0..=1, default_missing_value = "experiments/discord-2017-full.yaml")]
        full: Option<PathBuf>,
        /// Sessions of the worlds built to measure memory per session and per membership
        /// (1,000 to 100,000,000: the worlds are made of guilds of 1,000 members).
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..=100_000_000))]
        memory_sessions: u64,
        /// Runs of the reference workload, 1 to 1,000 (the median is reported).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1_000))]
        repeat: u16,
    },
    /// Fit model parameters to measurements (the BEAM testbed's CSV files) and predict the
    /// configurations held out.
    Calibrate(guildsim::calibrate::Args),
    /// Print the JSON Schema of experiment or model files, for editors and validators.
    ///
    /// Generated from the types guildsim reads, with every field's documentation and unit.
    /// The repository ships both in schema/, and every shipped YAML file names its schema in a
    /// first-line `# yaml-language-server: $schema=...` comment, so editors with a YAML
    /// language server complete and check fields as you type.
    Schema {
        /// Which file kind.
        #[arg(value_enum, default_value = "experiment")]
        kind: SchemaFile,
    },
    /// One benchmark case, run by `bench` in a child process (prints one JSON line).
    #[command(hide = true)]
    BenchCase {
        experiment: PathBuf,
        #[arg(long = "set")]
        sets: Vec<String>,
        #[arg(long)]
        build_only: bool,
    },
}

/// The file kinds `schema` describes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum SchemaFile {
    /// Experiments (experiments/*.yaml, resolved.yaml).
    Experiment,
    /// Models (models/*.yaml).
    Model,
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output (exit 0), usage errors to standard error
            // (exit 2), through the same non-panicking writers as everything else.
            if e.use_stderr() {
                errln!("{}", e.render());
                return finish(ExitCode::from(2));
            }
            out!("{}", e.render());
            return finish(ExitCode::SUCCESS);
        }
    };
    let code = match run(cli) {
        Ok(code) => code,
        Err(Failure::Config(e)) => {
            errln!("error: invalid experiment\n{e}");
            ExitCode::from(2)
        }
        Err(Failure::Usage(e)) => {
            errln!("error: {e:#}");
            ExitCode::from(2)
        }
    };
    finish(code)
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Run {
            experiment,
            out,
            jobs,
            shard,
            max_memory,
            seed,
            mut sets,
            test_scale,
            trace,
            allow_long_run,
            quiet,
        } => {
            if let Some(seed) = seed {
                sets.push(format!("seed={seed}"));
            }
            let options = LoadOptions { sets, test_scale };
            let assembled = config::assemble(&experiment, &options)?;
            let out = out.unwrap_or_else(|| Path::new("results").join(&assembled.name));
            let out = paths::resolve(&out, "--out")?.path();
            let (limit, limit_what) = memory_limit(max_memory);
            let trace = match &trace {
                Some(file) => Some(report::trace_file::check_target(file, &out)?),
                None => None,
            };
            if let Some(plan) = search::plan(&assembled)? {
                if trace.is_some() || shard.is_some() {
                    return Err(anyhow::anyhow!(
                        "{} is a capacity search: it runs whole, in one process (--trace and \
                         --shard are for single runs and sweeps)",
                        experiment.display()
                    )
                    .into());
                }
                search::plan::check_sets(&plan, &options.sets).map_err(anyhow::Error::msg)?;
                let jobs = jobs
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                let options = SweepOptions {
                    allow_long_run,
                    jobs,
                    shard: Shard::WHOLE,
                    limit,
                    limit_what,
                    quiet,
                };
                return run_search(&plan, &out, &options);
            }
            if let Some(plan) = sweep::plan(&assembled)? {
                if trace.is_some() {
                    return Err(anyhow::anyhow!(
                        "--trace traces a single run, but {} is a sweep: set `output.trace` \
                         (`--set output.trace={{}}`) to write trace.json into every run's folder",
                        experiment.display()
                    )
                    .into());
                }
                sweep::plan::check_sets(&plan, &options.sets).map_err(anyhow::Error::msg)?;
                let jobs = jobs
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                let options = SweepOptions {
                    allow_long_run,
                    jobs,
                    shard: shard.unwrap_or(Shard::WHOLE),
                    limit,
                    limit_what,
                    quiet,
                };
                return run_sweep(&plan, &out, &options);
            }
            if shard.is_some() {
                return Err(anyhow::anyhow!(
                    "--shard splits a sweep, but {} has no `sweep:` section",
                    experiment.display()
                )
                .into());
            }
            let loaded = config::finish(assembled)?;
            runner::precheck(&loaded)?;
            let lock = folder::claim_run_folder(&out, &loaded.name)?;
            print_notes(&lock.notes);
            let est = estimate::estimate(&loaded.experiment);
            estimate::fit_jobs(
                std::slice::from_ref(&est),
                &[format!("the run of {}", loaded.name)],
                1,
                limit,
                &limit_what,
            )
            .map_err(anyhow::Error::msg)?;
            let budgeted = loaded.experiment.run.event_budget.is_some();
            estimate::check_work(
                &est,
                &format!("the run of {}", loaded.name),
                budgeted,
                allow_long_run,
            )
            .map_err(anyhow::Error::msg)?;
            if !quiet {
                outln!("estimate: {}", describe_estimate(&est));
            }
            let started = Instant::now();
            let watch = MemoryWatch::new(limit);
            let result = simulate_with_progress(&loaded, trace.is_some(), quiet, &watch)?;
            if result.outcome.stop == StopReason::Interrupted {
                return Err(anyhow::anyhow!(
                    "the run of {} was stopped at {:.3} s of virtual time: it held {} of memory, \
                     more than {limit_what} ({}), against an estimate of {} (an overloaded run \
                     keeps queueing: registry calls, mailboxes); shorten run.horizon_s or set \
                     run.event_budget. No result was written.",
                    loaded.name,
                    to_secs(result.end_time),
                    fmt_bytes(watch.peak_bytes()),
                    fmt_bytes(limit),
                    fmt_bytes(est.memory_bytes),
                )
                .into());
            }
            let wall = started.elapsed().as_secs_f64();
            let files = report::write_run(&out, &loaded, &result)?;
            let trace_written = match &trace {
                Some(file) => Some(report::trace_file::write_target(file, &loaded, &result)?),
                None => None,
            };
            if !quiet {
                print_table(&result, wall);
                outln!("results: {} files in {}", files.len(), out.display());
            }
            if let Some(t) = result.world.trace.as_deref() {
                let place = match &trace {
                    Some(file) => file.path().display().to_string(),
                    None => out.join(report::TRACE).display().to_string(),
                };
                let events = trace_written.map_or(t.events(), |s| s.events);
                print_trace(t, events, &place, quiet);
            }
            let verdicts = report::run_verdicts(&loaded, &result)?;
            Ok(verdict_code(verdicts.as_ref(), &out, quiet))
        }
        Command::Compare {
            base,
            new,
            fail_above,
            metrics,
            csv,
            all,
            quiet,
        } => run_compare(
            &base,
            &new,
            fail_above,
            &metrics,
            csv.as_deref(),
            all,
            quiet,
        ),
        Command::Merge { dirs, out, quiet } => {
            let dirs = dirs
                .iter()
                .map(|d| paths::existing_folder(d, "merge"))
                .collect::<Result<Vec<_>>>()?;
            let out = match out {
                Some(out) => paths::resolve(&out, "--out")?.path(),
                None => dirs[0].clone(),
            };
            let report = merge::merge(&dirs, &out).map_err(failure)?;
            print_notes(&report.notes);
            if !quiet {
                outln!(
                    "merged {} runs ({} copied) into {}: {} files",
                    report.runs,
                    report.copied,
                    out.display(),
                    report.files.len()
                );
            }
            Ok(verdict_code(report.verdicts.as_ref(), &out, quiet))
        }
        Command::Check { experiments, sets } => {
            let mut errors = Vec::new();
            let options = LoadOptions {
                sets,
                test_scale: false,
            };
            for path in &experiments {
                match guildsim::check::check(path, &options) {
                    Ok(Checked::Search {
                        points,
                        replications,
                        max_runs,
                    }) => outln!(
                        "ok: {} (search: {points} point(s) x {replications} replications, at most {max_runs} runs)",
                        path.display(),
                    ),
                    Ok(Checked::Sweep {
                        points,
                        replications,
                        runs,
                    }) => outln!(
                        "ok: {} (sweep: {points} points x {replications} replications = {runs} runs)",
                        path.display(),
                    ),
                    Ok(Checked::Run {
                        nodes,
                        guilds,
                        sessions,
                        memberships,
                    }) => outln!(
                        "ok: {} ({nodes} nodes, {guilds} guilds, {sessions} sessions, {memberships} memberships)",
                        path.display(),
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
            full,
            memory_sessions,
            repeat,
        } => {
            cli::bench::bench(&experiment, full.as_deref(), memory_sessions, repeat.into())
                .map_err(failure)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate(args) => guildsim::calibrate::command(args).map_err(failure),
        Command::Schema { kind } => {
            let kind = match kind {
                SchemaFile::Experiment => SchemaKind::Experiment,
                SchemaFile::Model => SchemaKind::Model,
            };
            out!("{}", editor_schema::schema_json(kind));
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchCase {
            experiment,
            sets,
            build_only,
        } => {
            cli::bench::case(&experiment, sets, build_only).map_err(failure)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// An error from the library: configuration errors keep their own exit message.
fn failure(e: anyhow::Error) -> Failure {
    match e.downcast::<ConfigErrors>() {
        Ok(c) => Failure::Config(c),
        Err(e) => Failure::Usage(e),
    }
}

/// The memory a run may use: `--max-memory`, or the available memory (MemAvailable).
fn memory_limit(max_memory: Option<u64>) -> (u64, String) {
    match (max_memory, mem_available_bytes()) {
        (Some(m), _) => (m, "--max-memory".into()),
        (None, Some(a)) => (a, "the available memory (MemAvailable)".into()),
        (None, None) => (u64::MAX, "unknown".into()),
    }
}

/// MemAvailable from /proc/meminfo (Linux), in bytes.
fn mem_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The estimate with its main terms: what it holds, what it does, what it writes.
fn describe_estimate(e: &Estimate) -> String {
    format!(
        "about {} of memory, {} ({} sessions, {} online memberships, {} guilds, {} time bins, \
         {} ring points; {:.2e} deliveries, {:.2e} queued events; timeseries.csv up to {})",
        fmt_bytes(e.memory_bytes),
        fmt_seconds(e.seconds),
        e.sessions,
        e.memberships,
        e.guilds,
        e.bins,
        e.ring_points,
        e.deliveries,
        e.events,
        fmt_bytes(e.csv_bytes),
    )
}

/// An estimated duration: "under a second", "about 16 s", "about 2.5 min", "about 3.0 h".
fn fmt_seconds(s: f64) -> String {
    if s < 1.0 {
        "under a second".into()
    } else {
        format!("about {}", estimate::fmt_duration(s))
    }
}

struct SweepOptions {
    allow_long_run: bool,
    jobs: usize,
    shard: Shard,
    limit: u64,
    limit_what: String,
    quiet: bool,
}

fn run_sweep(plan: &Plan, out: &Path, o: &SweepOptions) -> Result<ExitCode, Failure> {
    let todo = exec::todo(plan, out, o.shard);
    let (estimates, budgeted): (Vec<Estimate>, Vec<bool>) =
        exec::estimates(&todo.run)?.into_iter().unzip();
    let names: Vec<String> = todo.run.iter().map(|r| r.dir.clone()).collect();
    let jobs = estimate::fit_jobs(&estimates, &names, o.jobs, o.limit, &o.limit_what)
        .map_err(anyhow::Error::msg)?;
    for ((e, name), budgeted) in estimates.iter().zip(&names).zip(&budgeted) {
        estimate::check_work(e, &format!("run {name}"), *budgeted, o.allow_long_run)
            .map_err(anyhow::Error::msg)?;
    }
    if !o.quiet {
        let share = if o.shard.count > 1 {
            format!(
                "; shard {}/{}: {} of them",
                o.shard.index,
                o.shard.count,
                todo.run.len() + todo.reused.len()
            )
        } else {
            String::new()
        };
        outln!(
            "sweep {}: {} points x {} replications = {} runs{share}; {} complete already, {} to run on {jobs} job(s)",
            plan.base.name,
            plan.points.len(),
            plan.sweep.replications,
            plan.runs.len(),
            todo.reused.len(),
            todo.run.len(),
        );
        if jobs < o.jobs.min(todo.run.len()) {
            outln!(
                "  (fewer jobs than asked, so that they fit in {})",
                o.limit_what
            );
        }
        if let Some((i, e)) = estimates
            .iter()
            .enumerate()
            .max_by_key(|(_, e)| e.memory_bytes)
        {
            let total: f64 = estimates.iter().map(|e| e.seconds).sum();
            outln!("  largest run {}: {}", names[i], describe_estimate(e));
            outln!(
                "  all runs: {} on {jobs} job(s)",
                fmt_seconds(total / jobs as f64)
            );
        }
    }
    let lock = exec::start(plan, out, o.shard).map_err(failure)?;
    print_notes(&lock.notes);
    let started = Instant::now();
    let mut bar = SweepBar::new(plan, &todo.run, &estimates, jobs, o.quiet);
    bar.watch = MemoryWatch::new(o.limit);
    let result = exec::run_all(&todo.run, out, jobs, &bar);
    bar.bar.finish_and_clear();
    result.map_err(failure)?;
    let written = exec::finish(plan, out, o.shard).map_err(failure)?;
    print_notes(&written.notes);
    let files = &written.files;
    if !o.quiet {
        outln!(
            "ran {} runs in {:.1} s wall time; results in {}",
            todo.run.len(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
        if o.shard.count > 1 {
            outln!(
                "shard {}/{} done: when every shard is, combine the folders with `guildsim merge DIR... --out DIR`",
                o.shard.index,
                o.shard.count
            );
        } else {
            outln!("tables and plots: {} files", files.len());
        }
    }
    Ok(verdict_code(written.verdicts.as_ref(), out, o.quiet))
}

/// `guildsim compare`: prints the rows that differ (all with `all`), writes the CSV, and
/// returns 1 when a row differs by more than `fail_above` percent.
fn run_compare(
    base: &Path,
    new: &Path,
    fail_above: Option<f64>,
    metrics: &[String],
    csv: Option<&Path>,
    all: bool,
    quiet: bool,
) -> Result<ExitCode, Failure> {
    if let Some(p) = fail_above
        && !(p.is_finite() && p >= 0.0)
    {
        return Err(anyhow::anyhow!("--fail-above must be a percentage >= 0, got {p}").into());
    }
    let csv = match csv {
        Some(file) => {
            let resolved = paths::resolve(file, "--csv")?;
            for dir in [base, new] {
                if let Ok(dir) = paths::existing_folder(dir, "compare")
                    && resolved.path().starts_with(&dir)
                {
                    return Err(anyhow::anyhow!(
                        "--csv {}: not inside a results folder ({}), which holds only guildsim's files",
                        file.display(),
                        dir.display()
                    )
                    .into());
                }
            }
            Some(resolved.path())
        }
        None => None,
    };
    let csv = csv.as_deref();
    let c = compare::compare(base, new, metrics)?;
    if let Some(file) = csv {
        guildsim::files::atomic::write_new(file, &c.csv())?;
    }
    let differing = c.above(None);
    let failing = fail_above.map(|p| c.above(Some(p))).unwrap_or_default();
    if !quiet {
        let shown: Vec<Vec<String>> = if all {
            c.rows.clone()
        } else {
            differing.iter().map(|&i| c.rows[i].clone()).collect()
        };
        let what = if c.kind == "run" {
            "metrics"
        } else {
            "point metrics"
        };
        if differing.is_empty() {
            outln!(
                "{} folders of `{}`: no differences in {} {what}",
                c.kind,
                c.experiment,
                c.rows.len()
            );
        } else {
            outln!(
                "{} folders of `{}`: {} of {} {what} differ{}",
                c.kind,
                c.experiment,
                differing.len(),
                c.rows.len(),
                if c.kind == "sweep" {
                    " beyond the 95 % level"
                } else {
                    ""
                }
            );
        }
        if !shown.is_empty() {
            print_table_text(&guildsim::table::text(&c.header, &shown));
        }
        if let Some(file) = csv {
            print_table_text(&format!("table: {}\n", file.display()));
        }
    }
    if let Some(p) = fail_above
        && !failing.is_empty()
    {
        if quiet {
            let rows: Vec<Vec<String>> = failing.iter().map(|&i| c.rows[i].clone()).collect();
            print_table_text(&guildsim::table::text(&c.header, &rows));
        }
        errln!(
            "error: {} metric(s) differ by more than {p} % (exit code 1)",
            failing.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a long table to standard output; a reader that stops early (`| head`) ends the
/// output, not the process with a panic.
fn print_table_text(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Prints the verdicts of the experiment's expectations (with `quiet`, only when one failed)
/// and returns the exit code: 1 if one failed, else 0.
fn verdict_code(verdicts: Option<&Verdicts>, out: &Path, quiet: bool) -> ExitCode {
    let Some(v) = verdicts else {
        return ExitCode::SUCCESS;
    };
    if !quiet || v.failed > 0 {
        print_table_text(&v.text());
        outln!(
            "expectations: {} of {} met ({})",
            v.rows.len() - v.failed,
            v.rows.len(),
            out.join(EXPECTATIONS_CSV).display()
        );
    }
    if v.failed > 0 {
        errln!("error: {} expectation(s) failed (exit code 1)", v.failed);
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs a capacity search: each step's runs checked against memory and the work limit, then
/// run on `jobs` threads; prints each step and, at the end, the answers.
fn run_search(plan: &SearchPlan, out: &Path, o: &SweepOptions) -> Result<ExitCode, Failure> {
    if !o.quiet {
        outln!(
            "search {}: {} for {} point(s) x {} replications, at most {} runs",
            plan.base.name,
            plan.search.field,
            plan.points.len(),
            plan.search.replications,
            plan.max_runs()
        );
        // The largest runs are at an end of the bracket: estimate both at every point.
        let settings = plan.settings;
        let mut largest: Option<(String, Estimate)> = None;
        for p in 0..plan.points.len() {
            for end in [settings.from, settings.to] {
                let runs = plan.runs_at(p, end, 0)?;
                if let Some(run) = runs.first() {
                    let e = estimate::estimate(&run.load()?.experiment);
                    if largest
                        .as_ref()
                        .is_none_or(|(_, l)| e.memory_bytes > l.memory_bytes)
                    {
                        largest = Some((run.dir.clone(), e));
                    }
                }
            }
        }
        if let Some((name, e)) = largest {
            outln!("  largest run {name}: {}", describe_estimate(&e));
        }
    }
    let started = Instant::now();
    let watch = MemoryWatch::new(o.limit);
    let observer = SearchWatch { watch: &watch };
    let finished = search::exec::run(
        plan,
        out,
        |runs| {
            let (estimates, budgeted): (Vec<Estimate>, Vec<bool>) =
                exec::estimates(runs)?.into_iter().unzip();
            let names: Vec<String> = runs.iter().map(|r| r.dir.clone()).collect();
            let jobs = estimate::fit_jobs(&estimates, &names, o.jobs, o.limit, &o.limit_what)
                .map_err(anyhow::Error::msg)?;
            for ((e, name), budgeted) in estimates.iter().zip(&names).zip(&budgeted) {
                estimate::check_work(e, &format!("run {name}"), *budgeted, o.allow_long_run)
                    .map_err(anyhow::Error::msg)?;
            }
            exec::run_all(runs, out, jobs, &observer)
        },
        |step, runs, todo| {
            if !o.quiet {
                outln!(
                    "  step {step}: {runs} runs ({} complete already)",
                    runs - todo
                );
            }
        },
    )
    .map_err(failure)?;
    print_notes(&finished.notes);
    if !o.quiet {
        for (p, s) in finished.searches.iter().enumerate() {
            let at = plan
                .columns
                .iter()
                .zip(&plan.points[p].labels)
                .map(|(c, v)| format!("{c}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let (lo, hi) = s.bracket.bounds();
            let show = |v: Option<f64>| v.map_or("-".to_string(), |v| plan.value_text(v));
            outln!(
                "  {}{}: {} ({}, bracket {} to {})",
                at,
                if at.is_empty() { "answer" } else { "" },
                show(s.answer()),
                search::tables::status_name(s.bracket.status),
                show(lo),
                show(hi)
            );
        }
        outln!(
            "ran {} runs ({} complete already) in {:.1} s wall time; results in {}: {} files",
            finished.runs - finished.reused,
            finished.reused,
            started.elapsed().as_secs_f64(),
            out.display(),
            finished.files.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Stops a search's runs when the process outgrows the memory it may use.
struct SearchWatch<'a> {
    watch: &'a MemoryWatch,
}

impl exec::Observer for SearchWatch<'_> {
    fn progress(&self, _worker: usize, _run: &RunSpec, _now: Nanos) -> ControlFlow<()> {
        self.watch.check()
    }
}

/// One progress bar over a whole sweep: its length is the estimated work of the runs to do,
/// so the ETA weighs big runs more than small ones; the message counts runs.
struct SweepBar {
    bar: ProgressBar,
    /// The process's memory, checked as the runs go.
    watch: MemoryWatch,
    /// Estimated work of each run of the plan (by run index), in microseconds.
    weight: Vec<u64>,
    /// Work done inside the run each worker is on.
    partial: Vec<AtomicU64>,
    done_weight: AtomicU64,
    done_runs: AtomicUsize,
    total_runs: usize,
}

impl SweepBar {
    fn new(
        plan: &Plan,
        todo: &[&RunSpec],
        estimates: &[Estimate],
        jobs: usize,
        quiet: bool,
    ) -> Self {
        let mut weight = vec![0; plan.runs.len()];
        for (run, e) in todo.iter().zip(estimates) {
            weight[run.index] = ((e.seconds * 1e6) as u64).max(1);
        }
        let total: u64 = todo.iter().map(|r| weight[r.index]).sum();
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {msg} (ETA {eta})",
            )
            .expect("valid template"),
        );
        bar.set_message(format!("0/{} runs", todo.len()));
        SweepBar {
            bar,
            watch: MemoryWatch::new(u64::MAX),
            weight,
            partial: (0..jobs).map(|_| AtomicU64::new(0)).collect(),
            done_weight: AtomicU64::new(0),
            done_runs: AtomicUsize::new(0),
            total_runs: todo.len(),
        }
    }

    fn redraw(&self) {
        let partial: u64 = self.partial.iter().map(|p| p.load(Ordering::Relaxed)).sum();
        self.bar
            .set_position(self.done_weight.load(Ordering::Relaxed) + partial);
    }
}

impl exec::Observer for SweepBar {
    fn progress(&self, worker: usize, run: &RunSpec, now: Nanos) -> ControlFlow<()> {
        let horizon = exec::horizon(run).max(1);
        let w = self.weight[run.index];
        let part = (w as f64 * (now.min(horizon) as f64 / horizon as f64)) as u64;
        self.partial[worker].store(part, Ordering::Relaxed);
        self.redraw();
        self.watch.check()
    }

    fn finished(&self, worker: usize, run: &RunSpec) {
        self.partial[worker].store(0, Ordering::Relaxed);
        self.done_weight
            .fetch_add(self.weight[run.index], Ordering::Relaxed);
        let done = self.done_runs.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar
            .set_message(format!("{done}/{} runs", self.total_runs));
        self.redraw();
    }
}

/// Notes on what guildsim found and left alone, on standard error.
fn print_notes(notes: &[String]) {
    for n in notes {
        errln!("note: {n}");
    }
}

/// What the trace holds, and whether its cap ended it (never silent, even with `--quiet`).
fn print_trace(t: &guildsim::metrics::trace::Trace, events: u64, place: &str, quiet: bool) {
    if !quiet {
        outln!(
            "trace: {events} events from {} s to {} s of virtual time in {place}",
            to_secs(t.from),
            to_secs(t.to)
        );
    }
    if let Some(at) = t.full_at {
        errln!(
            "trace: the cap of {} events was reached at {} s of virtual time: {place} ends there \
             (raise output.trace.max_events, or narrow it with output.trace.from_s, to_s, guilds \
             or nodes)",
            t.cap,
            to_secs(at)
        );
    }
}

fn simulate_with_progress(
    loaded: &Loaded,
    trace: bool,
    quiet: bool,
    watch: &MemoryWatch,
) -> Result<RunResult, ConfigErrors> {
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
    let progress = |now| {
        bar.set_position(now);
        bar.set_message(format!("{:.2} s", to_secs(now)));
        watch.check()
    };
    let result = runner::prepare(loaded).map(|mut prepared| {
        if trace {
            prepared.ensure_trace();
        }
        runner::execute_until(loaded, prepared, progress)
    });
    bar.finish_and_clear();
    result
}

fn print_table(result: &RunResult, wall_s: f64) {
    let s = &result.summary;
    let row = |name: &str, st: &guildsim::metrics::DurationStats| {
        // Nothing measured: a dash, not 0.
        let cell = |v: f64| {
            if st.count > 0 {
                format!("{v:>12.3}")
            } else {
                format!("{:>12}", "-")
            }
        };
        outln!(
            "{name:<22} {} {} {} {} {}",
            cell(st.mean),
            cell(st.p50),
            cell(st.p99),
            cell(st.p999),
            cell(st.max)
        );
    };
    outln!(
        "{:<22} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "(ms)",
        "mean",
        "p50",
        "p99",
        "p99.9",
        "max"
    );
    row("delivery latency", &s.latency_ms);
    row("fan-out duration", &s.fanout_duration_ms);
    row("time in guild queue", &s.guild_sojourn_ms);
    outln!(
        "publishes {}  deliveries {}  guild mailbox max {}  node busy mean {:.3}  max {:.3}",
        s.publishes_total,
        s.deliveries_total,
        s.guild_mailbox_depth_max,
        s.node_busy_fraction_mean,
        s.node_busy_fraction_max
    );
    outln!(
        "stopped: {:?} at {:.3} s virtual  |  wall {:.2} s, {:.2} M events/s, {:.2} M deliveries/s, {} queued events",
        s.stop.reason,
        s.stop.end_time_s,
        wall_s,
        s.events_total as f64 / wall_s / 1e6,
        s.deliveries_total as f64 / wall_s / 1e6,
        result.outcome.queued_events
    );
}
