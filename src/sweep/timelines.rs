//! Timeline comparisons a sweep declares (`sweep.timelines`): panels of `timeseries.csv`
//! metrics on one shared time axis, one line per value of a swept field, each from the first
//! replication of its point. [`check`] validates the declarations when the plan is made.

use super::charts::{is_file_name, short};
use super::plan::{Plan, Point};
use crate::config::Loaded;
use crate::config::sweep::Sweep;
use crate::config::yaml_source::{ConfigError, FieldPath};
use crate::report::plots::{self, Axis, Panel, Scale, Series};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Metrics of `timeseries.csv` for the whole cluster.
const CLUSTER_METRICS: &[&str] = &[
    "deliveries",
    "publishes",
    "latency_ms_mean",
    "latency_ms_max",
    "guild_mailbox_depth_max",
    "presence_deliveries",
    "sessions_online",
    "registry_queue_depth_max",
];
/// Metrics of `timeseries.csv` per node (a panel shows their largest value over the nodes).
const NODE_METRICS: &[&str] = &["busy_fraction", "run_queue_max", "memory_bytes_max"];

/// The column of the swept field `field`, if it is swept.
fn column(columns: &[String], field: &str) -> Option<usize> {
    let normal = FieldPath::parse(field).ok()?.to_string();
    columns.iter().position(|c| *c == normal)
}

/// Problems with the timeline declarations of `sweep`, located in `base`'s sources.
pub fn check(
    sweep: &Sweep,
    columns: &[String],
    points: &[Point],
    base: &Loaded,
) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    for (i, timeline) in sweep.timelines.iter().enumerate() {
        let at = |key: &str| format!("sweep.timelines[{i}].{key}");
        let file_ok = is_file_name(&timeline.file)
            && !sweep.plots.iter().any(|p| p.file == timeline.file)
            && !sweep.timelines[..i].iter().any(|t| t.file == timeline.file);
        if !file_ok {
            errors.push(base.error_at(
                &at("file"),
                "must be a new file name of letters, digits, `_`, `-` and `.` (`.svg` is added)",
            ));
        }
        match column(columns, &timeline.lines) {
            None => errors.push(base.error_at(
                &at("lines"),
                format!(
                    "`{}` is not swept; swept fields: {}",
                    timeline.lines,
                    columns.join(", ")
                ),
            )),
            Some(l) => {
                for (c, name) in columns.iter().enumerate() {
                    let mut seen: Vec<&str> = points.iter().map(|p| p.labels[c].as_str()).collect();
                    seen.sort();
                    seen.dedup();
                    if c != l && seen.len() > 1 {
                        errors.push(base.error_at(
                            &at("lines"),
                            format!("`{name}` also varies; a timeline compares the values of one swept field"),
                        ));
                    }
                }
            }
        }
        if timeline.panels.is_empty() {
            errors.push(base.error_at(&at("panels"), "at least one metric is needed"));
        }
        for (k, metric) in timeline.panels.iter().enumerate() {
            if !CLUSTER_METRICS.contains(&metric.as_str())
                && !NODE_METRICS.contains(&metric.as_str())
            {
                errors.push(base.error_at(
                    &format!("sweep.timelines[{i}].panels[{k}]"),
                    format!(
                        "unknown time-series metric `{metric}`; one of: {}, {}",
                        CLUSTER_METRICS.join(", "),
                        NODE_METRICS.join(", ")
                    ),
                ));
            }
        }
    }
    errors
}

/// Per metric, (time, value) points of a run's `timeseries.csv` (node metrics: max over nodes).
fn read_series(path: &Path) -> Result<BTreeMap<String, Vec<(f64, f64)>>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{} is not valid CSV", path.display()))?;
        let (time, scope, metric, value) = (&record[0], &record[1], &record[2], &record[3]);
        let (time, value): (f64, f64) = (time.parse()?, value.parse()?);
        let series = out.entry(metric.to_string()).or_default();
        match series.last_mut() {
            Some(last) if scope != "cluster" && last.0 == time => last.1 = last.1.max(value),
            _ => series.push((time, value)),
        }
    }
    Ok(out)
}

/// Every declared timeline, as (file name, SVG), from the runs in `out`.
pub fn draw(plan: &Plan, out: &Path) -> Result<Vec<(String, String)>> {
    let mut charts = Vec::new();
    for timeline in &plan.sweep.timelines {
        let l = column(&plan.columns, &timeline.lines).context("checked when planning")?;
        let mut runs = Vec::new();
        for run in plan.runs.iter().filter(|r| r.replication == 0) {
            let label = format!(
                "{}={}",
                short(&timeline.lines),
                plan.points[run.point].labels[l]
            );
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
                    label: metric.clone(),
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
        let svg = plots::timeline_chart(&title, "virtual time (s)", &panels)?;
        charts.push((format!("{}.svg", timeline.file), svg));
    }
    Ok(charts)
}
