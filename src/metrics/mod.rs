//! Measurements taken during a run: latency histograms, counters, time-binned series, and the
//! run summary built from them. Nothing here does I/O.

pub mod bin_histogram;
pub mod flat;
pub mod gauge;
pub mod histogram;
pub mod recorder;
pub mod summary;
pub mod trace;
pub mod windows;

pub use histogram::{DurationHistogram, DurationStats};
pub use recorder::Recorder;
pub use summary::Summary;
