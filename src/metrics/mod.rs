//! Measurements taken during a run: latency histograms, counters, time-binned series, and the
//! run summary built from them; the metrics of a summary by name, and statistics over
//! replications. Nothing here does I/O, and nothing here knows the configuration: it sits
//! below `config`, which checks metric names against [`flat::names_with_windows`].

pub mod bin_histogram;
pub mod flat;
pub mod gauge;
pub mod histogram;
pub mod recorder;
pub mod stats;
pub mod summary;
pub mod trace;
pub mod windows;

pub use histogram::{DurationHistogram, DurationStats};
pub use recorder::Recorder;
pub use summary::Summary;
