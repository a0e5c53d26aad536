//! The metrics of a run, by name: every numeric field of `summary.json` (a verdict, `true` or
//! `false`, as 1 or 0), named by its dotted
//! path (`latency_ms.p99`, `deliveries_total`, `windows.burst.latency_ms.p99`), sorted by name;
//! a `null` (no observations) is a metric without a value. Per-node figures (the `nodes` list)
//! and the fields that restate the configuration (`seed`, `stop.horizon_s`,
//! `stop.event_budget`, windows' edges) are left out. Sweeps aggregate these metrics, and
//! expectations and comparisons name them.

use super::Summary;
use super::summary::WindowSummary;
use serde_json::{Number, Value};

/// Fields of `summary.json` that are configuration, not results.
const NOT_METRICS: [&str; 3] = ["seed", "stop.horizon_s", "stop.event_budget"];

/// Every metric of a parsed `summary.json`, sorted by name; `None` for a metric with no
/// observations (`null`: a percentile of no durations).
pub(crate) fn flatten(summary: &Value) -> Vec<(String, Option<Number>)> {
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
        // A verdict is a metric of 0 or 1: a sweep's mean is the share of runs where it held.
        Value::Bool(b) => out.push((prefix.to_string(), Some(Number::from(*b as u8)))),
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

/// The value of the metric `name` in a parsed `summary.json`: `None` when no such metric
/// exists, `Some(None)` when it has no observations (`null`), `Some(Some(v))` otherwise.
/// Walks the dotted path directly (no full flattening), so it is cheap to call per run.
pub fn lookup(summary: &Value, name: &str) -> Option<Option<f64>> {
    if NOT_METRICS.contains(&name) || is_window_edge(name) {
        return None;
    }
    let mut value = summary;
    let mut rest = name;
    while !rest.is_empty() {
        let map = value.as_object()?;
        // The longest key that prefixes what is left (keys could hold dots).
        let (key, next) = map
            .keys()
            .filter(|k| rest == k.as_str() || rest.starts_with(&format!("{k}.")))
            .max_by_key(|k| k.len())
            .map(|k| (k, rest.get(k.len() + 1..).unwrap_or("")))?;
        value = &map[key];
        rest = next;
    }
    match value {
        Value::Null => Some(None),
        Value::Number(n) => Some(n.as_f64()),
        Value::Bool(b) => Some(Some(*b as u8 as f64)),
        _ => None,
    }
}

/// The optional blocks of `summary.json` a run reports, from its experiment.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Blocks {
    pub(crate) gc: bool,
    pub(crate) users: bool,
    pub(crate) client_bytes: bool,
}

/// Names of every metric a run reports.
#[cfg(test)]
pub(crate) fn names() -> Vec<String> {
    names_with_windows([], Blocks::default())
}

/// Names of every metric a run with named windows of these names (`output.windows`) reports:
/// those of `summary.json` and `windows.<name>.<metric>` for each window, and with `gc` (the
/// model has `model.gc`) those of the `gc` block.
pub(crate) fn names_with_windows<'a>(
    windows: impl IntoIterator<Item = &'a str>,
    blocks: Blocks,
) -> Vec<String> {
    let mut summary = Summary {
        gc: blocks.gc.then(Default::default),
        client_bytes: blocks.client_bytes.then(Default::default),
        ..Summary::default()
    };
    if blocks.users {
        summary.passive.users = Some(Default::default());
    }
    if blocks.client_bytes {
        summary.keeps_up.sessions = Some(Default::default());
    }
    for name in windows {
        summary
            .windows
            .insert(name.to_string(), WindowSummary::default());
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

    #[test]
    fn lookup_finds_what_flatten_lists() {
        let mut summary = Summary {
            deliveries_total: 7,
            ..Summary::default()
        };
        summary
            .windows
            .insert("after".into(), WindowSummary::default());
        let value = serde_json::to_value(&summary).unwrap();
        for (name, number) in flatten(&value) {
            assert_eq!(
                lookup(&value, &name),
                Some(number.and_then(|n| n.as_f64())),
                "{name}"
            );
        }
        assert_eq!(lookup(&value, "deliveries_total"), Some(Some(7.0)));
        assert!(
            names_with_windows(["after"], Blocks::default())
                .contains(&"windows.after.latency_ms.p99".to_string())
        );
        assert_eq!(lookup(&value, "windows.after.latency_ms.p99"), Some(None));
        for absent in [
            "seed",
            "latency_ms",
            "latency_ms.p98",
            "nodes",
            "",
            "windows.after.from_s",
        ] {
            assert_eq!(lookup(&value, absent), None, "{absent}");
        }
    }
}
