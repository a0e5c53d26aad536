//! The histograms a run of a sweep stores so that a sweep merges them exactly (the metrics
//! themselves are `crate::metrics::flat`'s).

/// The histograms a run stores for exact merging: (`summary.json` block, file name).
pub(crate) const HISTOGRAMS: [(&str, &str); 3] = [
    ("latency_ms", "latency.hist"),
    ("fanout_duration_ms", "fanout.hist"),
    ("guild_sojourn_ms", "sojourn.hist"),
];
