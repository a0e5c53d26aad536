//! The metrics of a run, as a sweep sees them: every numeric field of `summary.json`, named by
//! its dotted path (`latency_ms.p99`, `deliveries_total`, `stop.end_time_s`), sorted by name.
//! Per-node figures (the `nodes` list) and the fields that restate the configuration (`seed`,
//! `stop.horizon_s`, `stop.event_budget`) are left out.

use crate::metrics::Summary;
use serde_json::{Number, Value};

/// Fields of `summary.json` that are configuration, not results.
const NOT_METRICS: [&str; 3] = ["seed", "stop.horizon_s", "stop.event_budget"];

/// The histograms a run stores for exact merging: (`summary.json` block, file name).
pub const HISTOGRAMS: [(&str, &str); 3] = [
    ("latency_ms", "latency.hist"),
    ("fanout_duration_ms", "fanout.hist"),
    ("guild_sojourn_ms", "sojourn.hist"),
];

/// Every metric of a parsed `summary.json`, sorted by name.
pub fn flatten(summary: &Value) -> Vec<(String, Number)> {
    let mut out = Vec::new();
    walk(summary, "", &mut out);
    out.retain(|(name, _)| !NOT_METRICS.contains(&name.as_str()));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(value: &Value, prefix: &str, out: &mut Vec<(String, Number)>) {
    match value {
        Value::Number(n) => out.push((prefix.to_string(), n.clone())),
        Value::Object(map) => {
            for (key, v) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                walk(v, &name, out);
            }
        }
        _ => {}
    }
}

/// Names of every metric a run reports.
pub fn names() -> Vec<String> {
    let summary = serde_json::to_value(Summary::default()).expect("a summary serialises");
    flatten(&summary)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_durations_and_counters_but_not_configuration() {
        let names = names();
        for expected in [
            "latency_ms.p99",
            "fanout_duration_ms.mean",
            "deliveries_total",
            "stop.end_time_s",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        for absent in ["seed", "stop.horizon_s", "experiment", "nodes"] {
            assert!(!names.iter().any(|n| n == absent), "{absent} in {names:?}");
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
