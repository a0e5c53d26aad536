//! Verdicts of an experiment's `expect:` section: each expectation bounds one metric (named as
//! in [`crate::metrics::flat`]); what is judged is an interval `[low, high]` that must lie within the
//! bounds: a run's value (`low == high`), a sweep point's mean over replications, its 95 %
//! confidence interval of the mean (`over: ci`), or the range of its replications
//! (`over: every`). A metric without a value (no observations, or missing in a replication)
//! fails: an expectation that cannot be confirmed is not met. Pure: the callers print and write
//! the table (`expectations.csv`).

use crate::config::schema::{Expectation, Over};
use crate::metrics::stats::Stats;
use crate::table::{self, fmt_num};
use serde_json::Value;
use std::collections::BTreeMap;

/// The file a run or a sweep writes its verdicts to.
pub const EXPECTATIONS_CSV: &str = "expectations.csv";

/// The table of verdicts: one row per expectation (and sweep point).
#[derive(Clone, Debug, PartialEq)]
pub struct Verdicts {
    pub(crate) header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows whose verdict is not `pass`.
    pub failed: usize,
}

impl Verdicts {
    fn new(header: Vec<String>) -> Self {
        Verdicts {
            header,
            rows: Vec::new(),
            failed: 0,
        }
    }

    fn push(&mut self, mut row: Vec<String>, verdict: Verdict) {
        if verdict != Verdict::Pass {
            self.failed += 1;
        }
        row.push(verdict.text().into());
        self.rows.push(row);
    }

    /// The table as CSV.
    pub(crate) fn csv(&self) -> Vec<u8> {
        table::csv(&self.header, &self.rows)
    }

    /// The table as aligned text, for the terminal (`-` for an empty cell).
    pub fn text(&self) -> String {
        table::text(&self.header, &self.rows)
    }
}

/// The verdict of one expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    Fail,
    /// No value to judge.
    NoValue,
}

impl Verdict {
    pub(crate) fn text(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::NoValue => "FAIL (no value)",
        }
    }
}

/// Whether `[low, high]` lies within `e`'s bounds.
pub(crate) fn judge(e: &Expectation, interval: Option<(f64, f64)>) -> Verdict {
    let Some((low, high)) = interval else {
        return Verdict::NoValue;
    };
    let above = e.min.is_none_or(|min| low >= min);
    let below = e.max.is_none_or(|max| high <= max);
    if above && below && low.is_finite() && high.is_finite() {
        Verdict::Pass
    } else {
        Verdict::Fail
    }
}

fn bound(b: Option<f64>) -> String {
    b.map(fmt_num).unwrap_or_default()
}

/// The verdicts of a single run from its parsed `summary.json`: `metric,value,min,max,verdict`.
pub(crate) fn judge_run(expect: &BTreeMap<String, Expectation>, summary: &Value) -> Verdicts {
    let header = ["metric", "value", "min", "max", "verdict"];
    let mut out = Verdicts::new(header.map(String::from).to_vec());
    for (metric, e) in expect {
        let value = crate::metrics::flat::lookup(summary, metric).flatten();
        let row = vec![
            metric.clone(),
            value.map(fmt_num).unwrap_or_default(),
            bound(e.min),
            bound(e.max),
        ];
        out.push(row, judge(e, value.map(|v| (v, v))));
    }
    out
}

/// One sweep point as the verdicts see it: its labels and, per expectation (in the order of
/// `expect`), the statistics over the replications that have a value.
pub(crate) struct PointStats<'a> {
    pub(crate) labels: &'a [String],
    pub(crate) stats: Vec<Option<&'a Stats>>,
}

/// The verdicts of a sweep, per point and expectation:
/// `point,<swept fields>,metric,over,low,high,min,max,verdict`; `replications` is how many
/// each point has (a point where some lack the metric has no value).
pub(crate) fn judge_sweep(
    expect: &BTreeMap<String, Expectation>,
    columns: &[String],
    points: &[PointStats],
    replications: usize,
) -> Verdicts {
    let mut header = vec!["point".to_string()];
    header.extend(columns.iter().cloned());
    header.extend(["metric", "over", "low", "high", "min", "max", "verdict"].map(String::from));
    let mut out = Verdicts::new(header);
    for (p, point) in points.iter().enumerate() {
        for ((metric, e), stats) in expect.iter().zip(&point.stats) {
            let interval = stats
                .filter(|s| s.n == replications)
                .and_then(|s| match e.over {
                    Over::Mean => Some((s.mean, s.mean)),
                    Over::Ci => s.ci95,
                    Over::Every => Some((s.min, s.max)),
                });
            let mut row = vec![p.to_string()];
            row.extend(point.labels.iter().cloned());
            let over = serde_json::to_value(e.over).expect("a name");
            row.extend([
                metric.clone(),
                over.as_str().unwrap_or_default().to_string(),
                interval.map(|i| fmt_num(i.0)).unwrap_or_default(),
                interval.map(|i| fmt_num(i.1)).unwrap_or_default(),
                bound(e.min),
                bound(e.max),
            ]);
            out.push(row, judge(e, interval));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(min: Option<f64>, max: Option<f64>, over: Over) -> Expectation {
        Expectation { min, max, over }
    }

    #[test]
    fn an_interval_passes_only_within_the_bounds() {
        let max = e(None, Some(100.0), Over::Mean);
        assert_eq!(judge(&max, Some((100.0, 100.0))), Verdict::Pass);
        assert_eq!(judge(&max, Some((99.0, 100.5))), Verdict::Fail);
        assert_eq!(judge(&max, None), Verdict::NoValue);
        let both = e(Some(1.0), Some(2.0), Over::Mean);
        assert_eq!(judge(&both, Some((0.5, 1.5))), Verdict::Fail);
        assert_eq!(judge(&both, Some((1.0, 2.0))), Verdict::Pass);
    }

    #[test]
    fn a_run_is_judged_on_its_summary() {
        let summary = serde_json::json!({
            "latency_ms": {"p99": 120.5, "mean": null},
            "deliveries_total": 10,
        });
        let expect: BTreeMap<String, Expectation> = [
            ("latency_ms.p99", e(None, Some(100.0), Over::Mean)),
            ("latency_ms.mean", e(None, Some(100.0), Over::Mean)),
            ("deliveries_total", e(Some(1.0), None, Over::Mean)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let v = judge_run(&expect, &summary);
        let verdicts: Vec<&str> = v.rows.iter().map(|r| r[4].as_str()).collect();
        assert_eq!(verdicts, ["pass", "FAIL (no value)", "FAIL"]);
        assert_eq!(v.rows[2][1], "120.5");
        assert_eq!(v.failed, 2);
        let text = v.text();
        let line = text
            .lines()
            .find(|l| l.starts_with("latency_ms.mean"))
            .unwrap();
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[..4], ["latency_ms.mean", "-", "-", "100"], "{text}");
    }

    #[test]
    fn a_sweep_point_is_judged_on_its_mean_ci_or_every_replication() {
        let s = crate::metrics::stats::describe(&[90.0, 95.0, 104.0]);
        let labels = vec!["10".to_string()];
        let mut expect = BTreeMap::new();
        for (name, over) in [("a", Over::Mean), ("b", Over::Ci), ("c", Over::Every)] {
            expect.insert(name.to_string(), e(None, Some(100.0), over));
        }
        let point = PointStats {
            labels: &labels,
            stats: vec![Some(&s); 3],
        };
        let v = judge_sweep(&expect, &["x".into()], &[point], 3);
        let verdicts: Vec<&str> = v.rows.iter().map(|r| r[8].as_str()).collect();
        assert_eq!(verdicts, ["pass", "FAIL", "FAIL"]);
        assert_eq!(v.rows[2][4..6], ["90".to_string(), "104".to_string()]);
        // A replication without the metric: no value at the point.
        let point = PointStats {
            labels: &labels,
            stats: vec![Some(&s); 3],
        };
        let v = judge_sweep(&expect, &["x".into()], &[point], 4);
        assert_eq!(v.failed, 3);
    }
}
