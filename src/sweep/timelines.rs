//! Timeline comparisons a sweep declares (`sweep.timelines`): panels of `timeseries.csv`
//! metrics on one shared time axis, one line per value of a swept field, each from the first
//! replication of its point. The declarations are checked when the plan is made
//! (`crate::config::validate::figures`).

use super::plan::Plan;
use crate::config::validate::figures::column;
use crate::report::names::{human, line_label};
use crate::report::plots::{self, Axis, Panel, Scale, Series};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Per metric, (time, value) points of a run's `timeseries.csv` (node metrics: max over nodes).
fn read_series(path: &Path) -> Result<BTreeMap<String, Vec<(f64, f64)>>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{} is not valid CSV", path.display()))?;
        let (time, scope, metric, value) = (&record[0], &record[1], &record[2], &record[3]);
        // Nothing observed in that bin (a latency without deliveries): a gap in the line.
        let value: f64 = if value.is_empty() {
            f64::NAN
        } else {
            value.parse()?
        };
        let time: f64 = time.parse()?;
        let series = out.entry(metric.to_string()).or_default();
        match series.last_mut() {
            Some(last) if scope != "cluster" && last.0 == time => last.1 = last.1.max(value),
            _ => series.push((time, value)),
        }
    }
    Ok(out)
}

/// Every declared timeline, as (file name, SVG), from the runs in `out`.
pub(crate) fn draw(plan: &Plan, out: &Path) -> Result<Vec<(String, String)>> {
    let mut charts = Vec::new();
    for timeline in &plan.sweep.timelines {
        let l = column(&plan.columns, &timeline.lines).context("checked when planning")?;
        let mut runs = Vec::new();
        for run in plan.runs.iter().filter(|r| r.replication == 0) {
            let value = &plan.points[run.point].labels[l];
            let label = line_label(&timeline.labels, &timeline.lines, value);
            runs.push((
                label,
                read_series(&out.join(&run.dir).join(crate::report::TIMESERIES))?,
            ));
        }
        let panels = timeline
            .panels
            .iter()
            .map(|metric| Panel {
                y: Axis {
                    label: human(metric),
                    scale: Scale::Linear,
                },
                series: runs
                    .iter()
                    .map(|(label, series)| Series {
                        name: label.clone(),
                        points: series.get(metric).cloned().unwrap_or_default(),
                        band: None,
                    })
                    .collect(),
            })
            .collect::<Vec<_>>();
        let title = timeline
            .title
            .clone()
            .unwrap_or_else(|| plan.base.name.clone());
        // Storms and bursts are marked when every point has the same ones.
        let swept =
            |c: &String| c.starts_with("workload.storms") || c.starts_with("workload.bursts");
        let marks = if plan.columns.iter().any(swept) {
            Vec::new()
        } else {
            crate::report::marks::workload_marks(&plan.base.experiment)
        };
        let svg = plots::timeline_chart_marked(&title, "virtual time (s)", &panels, &marks)?;
        charts.push((format!("{}.svg", timeline.file), svg));
    }
    Ok(charts)
}
