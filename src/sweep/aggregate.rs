//! A sweep's tables, read back from the run folders (so a resumed or merged sweep writes the
//! same bytes as one that ran everything at once), in plan order:
//!
//! - `sweep.csv`, tidy: `point,replication,seed,run,<swept fields>,metric,value`, one row per
//!   point, replication and metric;
//! - `aggregate.csv`: `point,<swept fields>,metric,replications,mean,sd,ci95_low,ci95_high,
//!   min,max,merged`, one row per point and metric; `merged` is the statistic of the exactly
//!   merged histograms of all replications, for the duration metrics (`latency_ms.p99`, ...).

use super::metrics::HISTOGRAMS;
use super::plan::Plan;
use super::store;
use crate::metrics::DurationHistogram;
use crate::metrics::flat::flatten;
use crate::metrics::stats::{Stats, describe};
use crate::table::fmt_num;
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) const SWEEP_CSV: &str = "sweep.csv";
pub(crate) const AGGREGATE_CSV: &str = "aggregate.csv";

/// The results of every point.
pub(crate) struct Aggregate {
    /// Metric names, sorted.
    pub(crate) metrics: Vec<String>,
    /// `[point][metric]`: the statistics over the replications that have a value (none when
    /// no replication has one), and the merged-histogram value.
    pub(crate) points: Vec<Vec<(Option<Stats>, Option<f64>)>>,
    pub(crate) sweep_csv: Vec<u8>,
}

impl Aggregate {
    /// Position of `metric` in [`Aggregate::metrics`].
    pub(crate) fn metric_index(&self, metric: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m == metric)
    }
}

/// Reads every run of `plan` from `out` (all must be complete) and aggregates them.
pub(crate) fn collect(plan: &Plan, out: &Path) -> Result<Aggregate> {
    let mut header: Vec<String> = ["point", "replication", "seed", "run"]
        .map(String::from)
        .to_vec();
    header.extend(plan.columns.iter().cloned());
    header.extend(["metric".to_string(), "value".to_string()]);
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(&header)?;

    let mut names: Option<Vec<String>> = None;
    let mut points = Vec::new();
    for (p, point) in plan.points.iter().enumerate() {
        let runs: Vec<_> = plan.runs.iter().filter(|r| r.point == p).collect();
        let mut values: Vec<Vec<Option<f64>>> = Vec::new();
        let mut merged: Vec<DurationHistogram> = HISTOGRAMS
            .iter()
            .map(|_| DurationHistogram::new())
            .collect();
        for run in &runs {
            let dir = out.join(&run.dir);
            if !store::is_complete(&dir, run) {
                bail!("run {} is not complete", run.dir);
            }
            let flat = flatten(&store::read_summary(&dir)?);
            let run_names: Vec<String> = flat.iter().map(|(n, _)| n.clone()).collect();
            match &names {
                None => names = Some(run_names),
                Some(n) if *n != run_names => {
                    bail!("run {} reports other metrics than the first run", run.dir)
                }
                Some(_) => {}
            }
            values.resize(flat.len(), Vec::new());
            for (m, (name, number)) in flat.iter().enumerate() {
                let mut row = vec![
                    p.to_string(),
                    run.replication.to_string(),
                    run.seed().to_string(),
                    run.dir.clone(),
                ];
                row.extend(point.labels.iter().cloned());
                let text = number.as_ref().map(|n| n.to_string()).unwrap_or_default();
                row.extend([name.clone(), text]);
                csv.write_record(&row)?;
                values[m].push(number.as_ref().map(|n| n.as_f64().unwrap_or(f64::NAN)));
            }
            for (h, (_, file)) in merged.iter_mut().zip(HISTOGRAMS) {
                h.merge(&store::read_histogram(&dir, file)?);
            }
        }
        let merged_values = merged_metrics(&merged);
        let names = names.as_ref().expect("every point has a run");
        points.push(
            names
                .iter()
                .zip(&values)
                .map(|(name, v)| {
                    let present: Vec<f64> = v.iter().flatten().copied().collect();
                    let stats = (!present.is_empty()).then(|| describe(&present));
                    (stats, merged_values.get(name).copied().flatten())
                })
                .collect(),
        );
    }
    Ok(Aggregate {
        metrics: names.unwrap_or_default(),
        points,
        sweep_csv: csv.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))?,
    })
}

/// The metrics of merged histograms, named like those of `summary.json` (`None` without
/// durations).
fn merged_metrics(merged: &[DurationHistogram]) -> BTreeMap<String, Option<f64>> {
    let mut out = BTreeMap::new();
    for (h, (block, _)) in merged.iter().zip(HISTOGRAMS) {
        let stats = serde_json::to_value(h.stats_ms()).expect("stats serialise");
        for (name, number) in flatten(&stats) {
            let value = number.map(|n| n.as_f64().unwrap_or(f64::NAN));
            out.insert(format!("{block}.{name}"), value);
        }
    }
    out
}

/// `aggregate.csv`.
pub(crate) fn aggregate_csv(plan: &Plan, agg: &Aggregate) -> Result<Vec<u8>> {
    let mut header = vec!["point".to_string()];
    header.extend(plan.columns.iter().cloned());
    header.extend(
        [
            "metric",
            "replications",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "min",
            "max",
            "merged",
        ]
        .map(String::from),
    );
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(&header)?;
    let opt = |x: Option<f64>| x.map(fmt_num).unwrap_or_default();
    for (p, (point, rows)) in plan.points.iter().zip(&agg.points).enumerate() {
        for (name, (s, merged)) in agg.metrics.iter().zip(rows) {
            let mut row = vec![p.to_string()];
            row.extend(point.labels.iter().cloned());
            row.push(name.clone());
            match s {
                Some(s) => row.extend([
                    s.n.to_string(),
                    fmt_num(s.mean),
                    opt(s.sd),
                    opt(s.ci95.map(|c| c.0)),
                    opt(s.ci95.map(|c| c.1)),
                    fmt_num(s.min),
                    fmt_num(s.max),
                ]),
                // No replication observed anything: no statistic.
                None => row.extend(["0".to_string()].into_iter().chain(vec![String::new(); 6])),
            }
            row.push(opt(*merged));
            csv.write_record(&row)?;
        }
    }
    csv.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}
