//! The metrics of a run as a sweep sees them (`crate::metrics::flat`), and the histograms a
//! run stores so that a sweep merges them exactly.

pub use crate::metrics::flat::{flatten, names, names_with_windows};

/// The histograms a run stores for exact merging: (`summary.json` block, file name).
pub const HISTOGRAMS: [(&str, &str); 3] = [
    ("latency_ms", "latency.hist"),
    ("fanout_duration_ms", "fanout.hist"),
    ("guild_sojourn_ms", "sojourn.hist"),
];
