//! `guildsim calibrate`: fitting the model's parameters to measurements of a real system, and
//! predicting the configurations that were not fitted.
//!
//! The measurements are CSV files in the format the BEAM testbed writes (testbed/README.md):
//! one row per measured configuration (fan-out mode, schedulers, guild size, publish rate,
//! duration) with its latency and fan-out statistics. Each row becomes a guildsim run of an
//! experiment that mirrors the testbed (one node holding the guild and its sessions), with the
//! row's configuration set by `--set`-style overrides; the named parameters (`--fit`) are
//! moved by argmin's Nelder-Mead to minimise a stated error on a chosen subset of the rows,
//! and the rest are predicted with the fitted values.
//!
//! Modules, each using only the ones before it: [`metrics`] (the statistics both sides have,
//! the error), [`measurements`] (reading the files, every error located), [`select`] (which
//! rows are fitted, which held out), [`mirror`] (a row as a guildsim run), [`params`] (the
//! fitted parameters and their coordinates), [`evaluate`] (a parameter set's runs, made or
//! reused in the output folder, and their predictions), [`optimise`] (Nelder-Mead),
//! [`calibration`] (the finished calibration and its errors), [`tables`], [`plots`] and
//! [`report`] (the result files), [`output`] (the folder's rules), [`cli`] (the command).
//!
//! Architecture invariant: a calibration's runs are ordinary runs written by the sweep
//! machinery (`sweep::exec::run_all`, `sweep::store`); every prediction is read back from the
//! run folders in row order and the optimiser is deterministic, so every file is the same for
//! the same inputs, whatever `--jobs`.

mod calibration;
mod cli;
mod evaluate;
mod measurements;
mod metrics;
mod mirror;
mod optimise;
mod output;
mod params;
mod plots;
mod report;
mod select;
mod tables;

pub use cli::{Args, command};
