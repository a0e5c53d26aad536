//! Capacity searches: an experiment's `search:` section turned into bisection steps over
//! replicated runs, one search per point of its `sweep:` grid (or one without a grid), and the
//! answer, every step's bracket and every run written to CSV and JSON, with a chart.
//!
//! Reading order, each module using only modules before it: [`bisect`] (the bracket: which
//! value to try next, when to stop), [`plan`] (the section checked by
//! `crate::config::validate::search`, the grid's points, the runs of a value),
//! [`tables`] (the result files, with [`report`] for `report.html`), [`exec`] (the steps: runs in parallel within a step, steps
//! in sequence, in the output folder).
//!
//! Architecture invariant: a search's runs are ordinary sweep runs (`sweep::store` writes
//! them, `sweep::exec::run_all` runs them); each step's verdicts are read back from the run
//! folders in plan order, and seeds depend only on the replication, so every file is
//! byte-identical for any `--jobs`.

pub(crate) mod bisect;
pub mod exec;
pub mod plan;
pub(crate) mod report;
pub mod tables;

pub use plan::{SearchPlan, plan};
