//! The command line's arguments (clap): each subcommand's flags with their help text, as
//! `guildsim --help` shows them. Raw flags only; `main` turns them into the library's options.

use clap::{Args, Parser, Subcommand};
use guildsim::estimate::parse_bytes;
use guildsim::sweep::Shard;
use std::path::PathBuf;

/// A deterministic discrete-event simulator of a Discord-style real-time tier: sessions,
/// guild processes and nodes on virtual time, message fan-out and presence storms.
#[derive(Parser)]
#[command(name = "guildsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run an experiment, or every run of its sweep, and write the results.
    ///
    /// A single run writes summary.json, CSV tables, resolved.yaml and SVG plots. An experiment
    /// with a `sweep:` runs every point and replication, each in its own folder under runs/,
    /// and writes sweep.csv, aggregate.csv and the sweep's plots; rerunning the same command
    /// skips the runs that are complete already.
    Run(RunArgs),
    /// Combine the folders of a sweep's shards into the files one process would have written.
    ///
    /// Takes the output folders of `run --shard I/N` and writes the runs, sweep.csv,
    /// aggregate.csv and the plots. Folders from another experiment or guildsim version, and
    /// merges with runs missing, are refused.
    Merge(MergeArgs),
    /// Compare two run folders, or two sweep folders, of the same experiment.
    ///
    /// Runs: every metric of summary.json in both (dotted names, as in sweeps and `expect:`),
    /// the change and its percentage of the base value. Sweeps: per point and metric, the
    /// means over replications from aggregate.csv, the change, its percentage, and whether it
    /// is beyond the 95 % level (`beyond_95ci`: Welch's t on the two points' replications;
    /// with one replication on a side, any change counts). Prints the rows that differ and
    /// writes every row with --csv. Folders of different experiments, or with other metrics,
    /// swept fields or points, are refused (exit code 2).
    Compare(CompareArgs),
    /// Validate experiment files without running them.
    Check(CheckArgs),
    /// Measure speed and memory: the reference fan-out workload (experiments/bench-fanout.yaml)
    /// with folded and with per-event deliveries, memory per session and per membership, and
    /// with --full the full-scale 2017 cluster.
    Bench(BenchArgs),
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

// `guildsim run`'s flags. The structs of flags have plain comments: clap would take a doc
// comment for the command's help, which the variant of `Command` gives.
#[derive(Args)]
pub struct RunArgs {
    /// The experiment file (experiments/*.yaml, or a resolved.yaml from an earlier run).
    pub experiment: PathBuf,
    /// Directory for the result files [default: results/<experiment name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Sweep runs to execute at once, each single-threaded [default: all cores]. The result
    /// files are the same for any value.
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Run only share I of N of a sweep's runs (I from 0 to N-1: runs whose index modulo N is
    /// I), then combine the shards' folders with `guildsim merge`. For a Slurm array
    /// `--array=0-9`: `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Refuse to start a run whose estimated memory exceeds SIZE (e.g. 512M, 4G), and run
    /// fewer sweep jobs at once so that they fit [default: the available memory].
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes)]
    pub max_memory: Option<u64>,
    /// Master seed, overriding the experiment's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override one field of the assembled experiment, e.g. `--set workload.publishes.rate.per_guild_per_s=20`
    /// or `--set model.costs.send_remote.max_us=80` (repeatable; the value is parsed as YAML).
    #[arg(long = "set", value_name = "FIELD.PATH=VALUE")]
    pub sets: Vec<String>,
    /// Use the experiment's `test_overrides` (the small scale of the snapshot tests).
    #[arg(long)]
    pub test_scale: bool,
    /// Also write the run's timeline trace to FILE (Chrome trace-event JSON: open it in
    /// ui.perfetto.dev or chrome://tracing), filtered by the experiment's `output.trace`
    /// (`--set output.trace.guilds=[0]`, ...) or with its defaults. An existing FILE is
    /// replaced only if guildsim wrote it; FILE may not lie inside the run's folder.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Start a run estimated at more than 1e11 events and deliveries (hours of wall time)
    /// even without a `run.event_budget`.
    #[arg(long)]
    pub allow_long_run: bool,
    /// No estimate, progress bar or result table (errors are still printed). The progress
    /// bar is also hidden when standard error is not a terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

// `guildsim merge`'s flags.
#[derive(Args)]
pub struct MergeArgs {
    /// Shard output folders (any order; a folder may hold several shards' runs).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results [default: the first DIR].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

// `guildsim compare`'s flags.
#[derive(Args)]
pub struct CompareArgs {
    /// The base folder (e.g. results of the main branch).
    pub base: PathBuf,
    /// The folder to compare with it (e.g. results of a change).
    pub new: PathBuf,
    /// Exit with code 1 if a metric differs by more than PERCENT of its base value (for
    /// sweeps, only differences beyond the 95 % level count): a gate for CI.
    #[arg(long, value_name = "PERCENT")]
    pub fail_above: Option<f64>,
    /// Compare only this metric, e.g. `latency_ms.p99` (repeatable) [default: every one].
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Also write the whole table (every row) as CSV to FILE, which must not exist.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Print every row, not only those that differ.
    #[arg(long)]
    pub all: bool,
    /// Print nothing but errors and the rows above --fail-above.
    #[arg(long, short)]
    pub quiet: bool,
}

// `guildsim check`'s flags.
#[derive(Args)]
pub struct CheckArgs {
    /// Experiment files to check.
    #[arg(required = true)]
    pub experiments: Vec<PathBuf>,
    /// Override one field before checking, as `run --set` does (repeatable).
    #[arg(long = "set", value_name = "FIELD.PATH=VALUE")]
    pub sets: Vec<String>,
}

// `guildsim bench`'s flags.
#[derive(Args)]
pub struct BenchArgs {
    /// The reference benchmark experiment.
    #[arg(long, default_value = "experiments/bench-fanout.yaml")]
    pub experiment: PathBuf,
    /// Also run this full-scale experiment (it takes minutes: the README's Performance
    /// section gives the measured time).
    #[arg(long, num_args = 0..=1, default_missing_value = "experiments/discord-2017-full.yaml")]
    pub full: Option<PathBuf>,
    /// Sessions of the worlds built to measure memory per session and per membership
    /// (1,000 to 100,000,000: the worlds are made of guilds of 1,000 members).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..=100_000_000))]
    pub memory_sessions: u64,
    /// Runs of the reference workload, 1 to 1,000 (the median is reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1_000))]
    pub repeat: u16,
}

/// The file kinds `schema` describes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SchemaFile {
    /// Experiments (experiments/*.yaml, resolved.yaml).
    Experiment,
    /// Models (models/*.yaml).
    Model,
}
