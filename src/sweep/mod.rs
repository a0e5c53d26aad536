//! Sweeps: an experiment's `sweep:` section turned into many runs (every point of a grid of
//! field values, each replicated with its own seed), run in parallel or in shards, resumed
//! when interrupted, and aggregated into tables and plots with confidence intervals.
//!
//! The `sweep:` section is checked and its grid expanded in `crate::config::validate` (`sweep`
//! for the grid, `figures` for the declared plots and timelines). Reading order here, each
//! module using only modules before it (no import circles): [`points`] (the combinations and
//! their folders), [`metrics`] (the histograms merged exactly), [`plan`] (every run as a
//! validated experiment with a seed, folder and key), [`store`] (run folders, key files,
//! manifests), [`aggregate`] (`sweep.csv`, `aggregate.csv`, with the statistics of
//! `crate::metrics::stats`), [`answer`] (the answer table: one row per point), [`charts`] and [`timelines`] (drawing the declared figures),
//! [`report`] (the folder's `report.html`), [`exec`] (resume, shards, parallel runs) and
//! [`merge`] (shards combined).
//!
//! Architecture invariant: nothing here changes a run. A run in a sweep is an ordinary
//! experiment (`runs/<point>/rNNN/resolved.yaml` repeats it with `guildsim run`), and every
//! table is computed from the run folders in plan order, never from the order in which
//! threads or shards finished.

pub(crate) mod aggregate;
pub mod answer;
pub(crate) mod charts;
pub mod exec;
pub mod merge;
pub(crate) mod metrics;
pub mod plan;
pub(crate) mod points;
pub(crate) mod report;
pub(crate) mod store;
pub(crate) mod timelines;

pub use exec::{Observer, Shard, Silent};
pub use plan::{Plan, RunSpec, plan};
