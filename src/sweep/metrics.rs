//! The metrics of a run, as a sweep sees them: every numeric field of `summary.json`, named by
//! its dotted path (`latency_ms.p99`, `deliveries_total`, `stop.end_time_s`), sorted by name;
//! a `null` (no observations) is a metric without a value.
//! Per-node figures (the `nodes` list) and the fields that restate the configuration (`seed`,
//! `stop.horizon_s`, `stop.event_budget`) are left out.

use crate::config::schema::OutputWindow;
use crate::metrics::Summary;
use crate::metrics::summary::WindowSummary;
use serde_json::{Number, Value};

/// Fields of `summary.json` that are configuration, not results.
const NOT_METRICS: [&str; 3] = ["seed", "stop.horizon_s", "stop.event_budget"];

/// The histograms a run stores for exact merging: (`summary.json` block, file name).
pub const HISTOGRAMS: [(&str, &str); 3] = [
    ("latency_ms", "latency.hist"),
    ("fanout_duration_ms", "fanout.hist"),
    ("guild_sojourn_ms", "sojourn.hist"),
];

/// Every metric of a parsed `summary.json`, sorted by name; `None` for a metric with no
/// observations (`null`: a percentile of no durations).
pub fn flatten(summary: &Value) -> Vec<(String, Option<Number>)> {
    let mut out = Vec::new();
    walk(summary, "", &mut out);
    out.retain(|(name, _)| !NOT_METRICS.contains(&name.as_str()) && !is_window_edge(name));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(value: &Value, prefix: &str, out: &mut Vec<(String, Option<Number>)>) {
    match value {
        Value::Number(n) => out.push((prefix.to_string(), Some(n.clone()))),
        Value::Null => out.push((prefix.to_string(), None)),
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

/// A window's `from_s` and `to_s` restate its configuration.
fn is_window_edge(name: &str) -> bool {
    name.starts_with("windows.") && (name.ends_with(".from_s") || name.ends_with(".to_s"))
}

/// Names of every metric a run reports.
pub fn names() -> Vec<String> {
    names_with_windows(&[])
}

/// Names of every metric a run with these named windows (`output.windows`) reports: those of
/// `summary.json` and `windows.<name>.<metric>` for each window.
pub fn names_with_windows(windows: &[OutputWindow]) -> Vec<String> {
    let mut summary = Summary::default();
    for w in windows {
        summary
            .windows
            .insert(w.name.clone(), WindowSummary::default());
    }
    let summary = serde_json::to_value(summary).expect("a summary serialises");
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
