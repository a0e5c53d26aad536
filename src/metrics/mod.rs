//! Measurements taken during a run: latency histograms, counters, time-binned series, and the
//! run summary built from them; the metrics of a summary by name, and statistics over
//! replications. Nothing here does I/O, and nothing here knows the configuration: it sits
//! below `config`, which checks metric names against [`flat::names_with_windows`].

pub(crate) mod bin_histogram;
pub mod flat;
pub(crate) mod gauge;
pub(crate) mod histogram;
pub mod keeps_up;
pub(crate) mod recorder;
pub(crate) mod stats;
pub mod steady;
pub mod storms;
pub(crate) mod summary;
pub mod trace;
pub mod until;
pub(crate) mod windows;

pub use histogram::{DurationHistogram, DurationStats};
pub(crate) use recorder::Recorder;
pub(crate) use summary::Summary;
