//! The plots a sweep declares (`sweep.plots`): one metric's mean over replications against a
//! swept field, one line per value of another swept field, with the 95 % confidence band,
//! drawn by `crate::report::plots::line_chart`. A swept field whose values are not numbers (a
//! design's label, a strategy) makes a categorical x axis: its values in the sweep's order,
//! each point with its interval as a bar. The declarations are checked when the plan is
//! made (`crate::config::validate::figures`).
//!
//! A duration (a `_ms` metric) at a point where a replication did not keep up with its load
//! (`keeps_up.all` below 1) is bounded by the run's length, not an answer: it is left out of
//! its line, and the line's legend says how many points were left out and why.

use super::aggregate::Aggregate;
use super::plan::Plan;
use crate::config::validate::figures::{Selection, select};
use crate::report::names::{human, line_label};
use crate::report::plots::{self, Axis, Scale, Series};
use anyhow::Result;

/// Every declared plot, as (file name, SVG).
pub(crate) fn draw(plan: &Plan, agg: &Aggregate) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let labels: Vec<Vec<String>> = plan.points.iter().map(|p| p.labels.clone()).collect();
    for plot in &plan.sweep.plots {
        let Selection {
            x,
            lines,
            chosen,
            categories,
        } = select(plot, &plan.columns, &labels)
            .map_err(|(key, m)| anyhow::anyhow!("sweep plot `{}`: {key}: {m}", plot.file))?;
        let m = agg
            .metric_index(&plot.metric)
            .ok_or_else(|| anyhow::anyhow!("no metric `{}` in the results", plot.metric))?;
        // Points where a replication did not keep up: their durations are not answers.
        let is_duration = plot.metric.contains("_ms.") || plot.metric.ends_with("_ms");
        let keeps = agg.metric_index("keeps_up.all");
        let saturated = |p: usize| {
            is_duration
                && keeps
                    .and_then(|k| agg.points[p][k].0.as_ref())
                    .is_some_and(|s| s.mean < 1.0)
        };
        let mut groups: Vec<(String, Vec<(f64, usize)>)> = Vec::new();
        for &p in &chosen {
            let label = lines.map(|l| labels[p][l].clone()).unwrap_or_default();
            let xv: f64 = match &categories {
                // A categorical axis: the category's position in the sweep's order.
                Some(names) => names.iter().position(|n| *n == labels[p][x]).unwrap_or(0) as f64,
                None => labels[p][x].parse().expect("checked numeric"),
            };
            match groups.iter_mut().find(|(g, _)| *g == label) {
                Some((_, v)) => v.push((xv, p)),
                None => groups.push((label, vec![(xv, p)])),
            }
        }
        // On a categorical axis the lines' points sit side by side within their category.
        let count = groups.len();
        let offset = |i: usize| match (&categories, count) {
            (Some(_), n) if n > 1 => (i as f64 - (n - 1) as f64 / 2.0) * (0.5 / n as f64),
            _ => 0.0,
        };
        let series: Vec<Series> = groups
            .into_iter()
            .enumerate()
            .map(|(i, (label, mut pts))| {
                pts.iter_mut().for_each(|(xv, _)| *xv += offset(i));
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let left_out = pts.iter().filter(|&&(_, p)| saturated(p)).count();
                pts.retain(|&(_, p)| !saturated(p));
                // A point whose replications observed nothing has no value to draw.
                let stat = |p: usize| agg.points[p][m].0.as_ref();
                let band: Vec<(f64, f64, f64)> = pts
                    .iter()
                    .filter_map(|&(xv, p)| stat(p)?.ci95.map(|(lo, hi)| (xv, lo, hi)))
                    .collect();
                let mut name = match lines {
                    Some(l) => line_label(&plot.labels, &plan.columns[l], &label),
                    None => human(&plot.metric),
                };
                if left_out > 0 {
                    name = format!(
                        "{name} ({left_out} point{} left out: does not keep up, bounded by the run's length)",
                        if left_out == 1 { "" } else { "s" }
                    );
                }
                Series {
                    name,
                    points: pts
                        .iter()
                        .filter_map(|&(xv, p)| Some((xv, stat(p)?.mean)))
                        .collect(),
                    band: (plot.band && !band.is_empty()).then_some(band),
                }
            })
            .collect();
        let scale = |log| if log { Scale::Log } else { Scale::Linear };
        let x_axis = Axis {
            label: (plot.x_label.clone()).unwrap_or_else(|| human(&plan.columns[x])),
            scale: scale(plot.log_x),
        };
        let what = if plot.band && plan.sweep.replications > 1 {
            format!(
                "{}, mean of {} runs, 95 % CI",
                human(&plot.metric),
                plan.sweep.replications
            )
        } else {
            human(&plot.metric)
        };
        let y_axis = Axis {
            label: plot.y_label.clone().unwrap_or(what),
            scale: scale(plot.log_y),
        };
        let title = plot
            .title
            .clone()
            .unwrap_or_else(|| format!("{}: {}", plan.base.name, human(&plot.metric)));
        let mut swept: Vec<f64> = chosen
            .iter()
            .filter_map(|&p| labels[p][x].parse().ok())
            .collect();
        swept.sort_by(f64::total_cmp);
        swept.dedup();
        let options = plots::LineOptions {
            x_ticks_at: (plot.log_x && categories.is_none()).then_some(swept),
            y_from_zero: plot.y_from_zero,
            marks: Vec::new(),
            x_categories: categories.map(|names| category_labels(plot, &names)),
        };
        let svg = plots::line_chart_with(&title, &x_axis, &y_axis, &series, &options)?;
        out.push((format!("{}.svg", plot.file), svg));
    }
    Ok(out)
}

/// The tick labels of a categorical axis: a value's text from the plot's `labels` when it
/// names one (as for lines), else the value itself.
fn category_labels(plot: &crate::config::sweep::SweepPlot, names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            plot.labels
                .iter()
                .find(|(k, _)| crate::config::validate::sweep::render(k) == *n)
                .and_then(|(_, v)| v.as_str().map(String::from))
                .unwrap_or_else(|| n.clone())
        })
        .collect()
}
