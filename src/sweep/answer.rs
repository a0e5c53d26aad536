//! A sweep's answer at a glance: one row per point, the swept fields' values, the
//! experiment's key metrics (mean over replications with its 95 % confidence interval) and
//! whether the point keeps up with its load. The console prints it at the end of a sweep and
//! it heads the sweep's `report.html`; `aggregate.csv` keeps every metric.
//!
//! The key metrics are `sweep.summary` when the experiment lists them, else the metrics of its
//! plots and of its `expect:` section, else `latency_ms.p99`. The verdict comes from
//! `keeps_up.all`, aggregated per point as the share of replications that kept up.

use super::aggregate::Aggregate;
use super::plan::Plan;
use crate::metrics::stats::Stats;
use crate::table::fmt_short as short;

/// The metric whose mean over replications gives the verdict column.
const KEEPS_UP: &str = "keeps_up.all";

/// The answer table: a header and one row of text cells per point, and notes for below it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

/// The metrics the answer shows, in order, each once.
pub(crate) fn key_metrics(plan: &Plan) -> Vec<String> {
    let sweep = &plan.sweep;
    let mut out: Vec<String> = Vec::new();
    let listed: Vec<&String> = if sweep.summary.is_empty() {
        let plots = sweep.plots.iter().map(|p| &p.metric);
        plots.chain(plan.base.experiment.expect.keys()).collect()
    } else {
        sweep.summary.iter().collect()
    };
    for m in listed {
        if m != KEEPS_UP && !out.contains(m) {
            out.push(m.clone());
        }
    }
    if out.is_empty() {
        out.push("latency_ms.p99".into());
    }
    out
}

/// One cell: the mean and its interval, `12.3 [11.9, 12.7]`; the mean alone with one
/// replication; `no observations` when no replication observed anything (never 0).
fn cell(stats: Option<&Stats>) -> String {
    match stats {
        None => "no observations".into(),
        Some(s) => match s.ci95 {
            Some((lo, hi)) => format!("{} [{}, {}]", short(s.mean), short(lo), short(hi)),
            None => short(s.mean),
        },
    }
}

/// The verdict of a point from `keeps_up.all`'s statistics over its replications.
fn verdict(stats: Option<&Stats>) -> String {
    match stats {
        None => "not judged".into(),
        Some(s) if s.mean >= 1.0 => "keeps up".into(),
        Some(s) if s.mean <= 0.0 => "does NOT keep up".into(),
        Some(s) => {
            let kept = (s.mean * s.n as f64).round() as usize;
            format!("mixed ({kept} of {} runs keep up)", s.n)
        }
    }
}

/// The answer table of a complete sweep.
pub(crate) fn answer(plan: &Plan, agg: &Aggregate) -> Answer {
    let metrics: Vec<(String, Option<usize>)> = key_metrics(plan)
        .into_iter()
        .map(|m| {
            let i = agg.metric_index(&m);
            (m, i)
        })
        .collect();
    let keeps = agg.metric_index(KEEPS_UP);
    let labels: Vec<&Vec<String>> = plan.points.iter().map(|p| &p.labels).collect();
    // A field with one value at every point, or zipped with an earlier one (a design's
    // strategy with its label), adds nothing to a row: a note names it.
    let constant = |c: usize| labels.iter().all(|p| p[c] == labels[0][c]);
    let mut shown: Vec<usize> = (0..plan.columns.len())
        .filter(|&c| !constant(c) && !(0..c).any(|e| !constant(e) && follows(&labels, e, c)))
        .collect();
    if shown.is_empty() && !plan.columns.is_empty() {
        shown.push(0);
    }
    let mut header: Vec<String> = shown.iter().map(|&c| plan.columns[c].clone()).collect();
    let with_ci = plan.sweep.replications > 1;
    for (m, _) in &metrics {
        header.push(if with_ci {
            format!("{m} (mean [95 % CI])")
        } else {
            m.clone()
        });
    }
    if keeps.is_some() {
        header.push("keeps up?".into());
    }
    let mut saturated = 0;
    let rows = plan
        .points
        .iter()
        .zip(&agg.points)
        .map(|(point, stats)| {
            let mut row: Vec<String> = shown.iter().map(|&c| point.labels[c].clone()).collect();
            for (_, i) in &metrics {
                row.push(cell(i.and_then(|i| stats[i].0.as_ref())));
            }
            if let Some(k) = keeps {
                let v = stats[k].0.as_ref();
                if v.is_some_and(|s| s.mean < 1.0) {
                    saturated += 1;
                }
                row.push(verdict(v));
            }
            row
        })
        .collect();
    let mut notes = Vec::new();
    for c in (0..plan.columns.len()).filter(|c| !shown.contains(c)) {
        let name = &plan.columns[c];
        notes.push(match labels.first() {
            Some(first) if constant(c) => format!("{name} = {} at every point", first[c]),
            _ => format!("{name} varies with the fields shown (aggregate.csv lists it)"),
        });
    }
    if saturated > 0 && metrics.iter().any(|(m, _)| is_duration(m)) {
        notes.push(format!(
            "{saturated} point(s) do not keep up with their load in every run: their durations \
             are bounded by the run's length, not answers"
        ));
    }
    if with_ci {
        notes.push(format!(
            "mean over {} replications, 95 % confidence interval in brackets; aggregate.csv has \
             every metric",
            plan.sweep.replications
        ));
    } else {
        notes.push("one replication per point: no interval; aggregate.csv has every metric".into());
    }
    Answer {
        header,
        rows,
        notes,
    }
}

/// Whether column `c` is determined by column `e` over these points: points with the same
/// value of `e` have the same value of `c`.
fn follows(labels: &[&Vec<String>], e: usize, c: usize) -> bool {
    labels
        .iter()
        .all(|p| labels.iter().all(|q| p[e] != q[e] || p[c] == q[c]))
}

/// Whether a metric is a duration (bounded by the run's length when the run saturates).
fn is_duration(metric: &str) -> bool {
    metric.contains("_ms.") || metric.ends_with("_ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_never_show_zero_for_nothing_observed() {
        assert_eq!(cell(None), "no observations");
        let s = crate::metrics::stats::describe(&[10.0, 12.0]);
        let text = cell(Some(&s));
        assert!(text.starts_with("11 ["), "{text}");
    }

    #[test]
    fn verdicts_read_the_share_of_runs_that_kept_up() {
        let d = crate::metrics::stats::describe;
        assert_eq!(verdict(Some(&d(&[1.0, 1.0]))), "keeps up");
        assert_eq!(verdict(Some(&d(&[0.0, 0.0]))), "does NOT keep up");
        assert_eq!(
            verdict(Some(&d(&[1.0, 0.0, 1.0]))),
            "mixed (2 of 3 runs keep up)"
        );
        assert_eq!(verdict(None), "not judged");
    }
}
