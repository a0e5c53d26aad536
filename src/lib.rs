//! guildsim: a deterministic discrete-event simulator of a Discord-style real-time tier.
//!
//! Sessions, guild processes and nodes are entities of a single-threaded, seeded event
//! scheduler on integer virtual time (nanoseconds). Modules, in reading order:
//!
//! - [`sim`]: the generic engine (time, event queue, random streams, distributions, run loop);
//!   it knows nothing about chat.
//! - [`identity`]: the guildsim version, SHA-256, `resolved.yaml` and run keys: what names a
//!   run, an experiment and a file's content.
//! - [`table`]: tables as CSV and as aligned text, and the number format of every table.
//! - [`world`]: the chat model (nodes, guilds, sessions, mailboxes, schedulers, fan-out,
//!   workload); no I/O, no wall clock.
//! - [`config`]: YAML models and experiments, assembled, deserialised and validated with
//!   located errors.
//! - [`metrics`]: histograms, counters and time series; the run summary.
//! - [`runner`]: one experiment end to end: load, build, run, summarise.
//! - [`check`]: everything `guildsim check` verifies, cheaply, without building a world.
//! - [`files`]: files guildsim writes (atomic writes, manifests with sizes and SHA-256, staging
//!   folders, locks) and the one function that removes any: only what guildsim recorded.
//! - [`report`]: result files (JSON, CSV, YAML, SVG plots), written atomically.
//! - [`sweep`]: grids of runs with replications, in parallel or in shards, resumed, merged
//!   and aggregated into tables and plots with confidence intervals.
//! - [`search`]: capacity searches: bisection over one field per grid point, on replicated
//!   runs.
//! - [`expect`]: verdicts of an experiment's `expect:` gates on a run or a sweep's points.
//! - [`compare`]: two run or sweep folders side by side, with Welch's t for sweeps.
//! - [`estimate`]: memory and time a run will need, from its entity counts, and the admission
//!   of runs against the memory and work limits.
//! - [`job`]: what `guildsim run` does with an experiment: a single run, a sweep or a search,
//!   planned and admitted once, run with an observer.
//! - [`error`]: the library's error, which a command line maps to exit code 2.
//! - [`calibrate`]: model parameters fitted to measurements of a real system (the BEAM
//!   testbed's CSV files), and the held-out configurations predicted.
//!
//! ## The API
//!
//! Everything is `pub(crate)` except what the binary (`src/main.rs`, `src/cli/`) and the
//! integration tests (`tests/integration/`) use: the commands' entry points and their options
//! and results ([`job`] for `run`, [`check`], [`compare`], `sweep::merge`, [`calibrate`],
//! `config::editor_schema` for `schema`), loading an experiment (`config::load` and its
//! options), one run end to end ([`runner`]) with the summary it returns (`metrics::summary`)
//! and the files it writes ([`report`], `report::trace_file`), the estimate and its admission
//! ([`estimate`]), the error ([`error`]), and the removal rule the tests probe ([`files`]).
//! The model itself ([`world`]) is internal as a whole: tests reach it through runs, and its
//! focused tests live beside it. A `pub` item outside that list is a bug: narrow it to
//! `pub(crate)`.

pub mod calibrate;
pub mod check;
pub mod compare;
pub mod config;
pub mod error;
pub mod estimate;
pub mod expect;
pub mod files;
pub mod identity;
pub mod job;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod search;
pub mod sim;
pub mod sweep;
pub mod table;
pub(crate) mod world;
