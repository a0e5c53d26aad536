//! The plots a sweep declares (`sweep.plots`): one metric's mean over replications against a
//! swept field, one line per value of another swept field, with the 95 % confidence band,
//! drawn by `crate::report::plots::line_chart`. [`check`] validates the declarations when the
//! plan is made, so a typo fails before any run starts.

use super::aggregate::Aggregate;
use super::grid::render;
use super::metrics;
use super::plan::{Plan, Point};
use crate::config::Loaded;
use crate::config::sweep::{Sweep, SweepPlot};
use crate::config::yaml_source::{ConfigError, FieldPath};
use crate::report::plots::{self, Axis, Scale, Series};
use anyhow::Result;

/// What a plot shows: the columns of its x axis and lines, and its points (index, point).
struct Selection<'a> {
    x: usize,
    lines: Option<usize>,
    chosen: Vec<(usize, &'a Point)>,
}

/// The points a plot shows (after `where`), or the problem with its declaration as
/// (field of the plot, message).
fn select<'a>(
    plot: &SweepPlot,
    columns: &[String],
    points: &'a [Point],
) -> Result<Selection<'a>, (&'static str, String)> {
    let column = |key: &'static str, text: &str| -> Result<usize, (&'static str, String)> {
        let normal = FieldPath::parse(text)
            .map(|p| p.to_string())
            .map_err(|e| (key, e))?;
        columns.iter().position(|c| *c == normal).ok_or_else(|| {
            (
                key,
                format!(
                    "`{text}` is not swept; swept fields: {}",
                    columns.join(", ")
                ),
            )
        })
    };
    let x = column("x", &plot.x)?;
    let lines = match &plot.lines {
        Some(l) => Some(column("lines", l)?),
        None => None,
    };
    if lines == Some(x) {
        return Err(("lines", "must differ from `x`".into()));
    }
    let mut fixed = Vec::new();
    for (field, value) in &plot.where_ {
        let c = column("where", field)?;
        if c == x || Some(c) == lines {
            return Err((
                "where",
                format!("`{field}` is already `x` or `lines`: it cannot be fixed too"),
            ));
        }
        let text = render(value);
        if !points.iter().any(|p| p.labels[c] == text) {
            return Err(("where", format!("`{field}` never takes the value {text}")));
        }
        fixed.push((c, text));
    }
    let chosen: Vec<(usize, &Point)> = points
        .iter()
        .enumerate()
        .filter(|(_, p)| fixed.iter().all(|(c, t)| p.labels[*c] == *t))
        .collect();
    for (c, name) in columns.iter().enumerate() {
        if c == x || Some(c) == lines || fixed.iter().any(|(f, _)| *f == c) {
            continue;
        }
        let mut seen: Vec<&str> = chosen.iter().map(|(_, p)| p.labels[c].as_str()).collect();
        seen.sort();
        seen.dedup();
        if seen.len() > 1 {
            return Err((
                "x",
                format!(
                    "`{name}` varies too ({} values): fix it with `where: {{{name}: ...}}` \
                     or draw it as `lines`",
                    seen.len()
                ),
            ));
        }
    }
    if let Some((_, p)) = chosen
        .iter()
        .find(|(_, p)| p.labels[x].parse::<f64>().is_err())
    {
        return Err((
            "x",
            format!(
                "the x axis needs numbers, but `{}` takes the value {}",
                plot.x, p.labels[x]
            ),
        ));
    }
    Ok(Selection { x, lines, chosen })
}

/// Whether `name` can name a chart file: letters, digits, `_`, `-` and `.`.
pub(super) fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Problems with the plot declarations of `sweep`, located in `base`'s sources.
pub fn check(
    sweep: &Sweep,
    columns: &[String],
    points: &[Point],
    base: &Loaded,
) -> Vec<ConfigError> {
    let names = metrics::names();
    let mut errors = Vec::new();
    for (i, plot) in sweep.plots.iter().enumerate() {
        let at = |key: &str| format!("sweep.plots[{i}].{key}");
        let file_ok = is_file_name(&plot.file);
        if !file_ok {
            errors.push(base.error_at(
                &at("file"),
                "must be a file name of letters, digits, `_`, `-` and `.` (`.svg` is added)",
            ));
        } else if sweep.plots[..i].iter().any(|p| p.file == plot.file) {
            errors.push(base.error_at(&at("file"), format!("`{}` is used twice", plot.file)));
        }
        if !names.contains(&plot.metric) {
            errors.push(base.error_at(
                &at("metric"),
                format!(
                    "unknown metric `{}`; one of: {}",
                    plot.metric,
                    names.join(", ")
                ),
            ));
        }
        if let Err((key, message)) = select(plot, columns, points) {
            errors.push(base.error_at(&at(key), message));
        }
    }
    errors
}

/// Every declared plot, as (file name, SVG).
pub fn draw(plan: &Plan, agg: &Aggregate) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for plot in &plan.sweep.plots {
        let Selection { x, lines, chosen } = select(plot, &plan.columns, &plan.points)
            .map_err(|(key, m)| anyhow::anyhow!("sweep plot `{}`: {key}: {m}", plot.file))?;
        let m = agg
            .metric_index(&plot.metric)
            .ok_or_else(|| anyhow::anyhow!("no metric `{}` in the results", plot.metric))?;
        let mut groups: Vec<(String, Vec<(f64, usize)>)> = Vec::new();
        for (p, point) in &chosen {
            let label = lines.map(|l| point.labels[l].clone()).unwrap_or_default();
            let xv: f64 = point.labels[x].parse().expect("checked numeric");
            match groups.iter_mut().find(|(g, _)| *g == label) {
                Some((_, v)) => v.push((xv, *p)),
                None => groups.push((label, vec![(xv, *p)])),
            }
        }
        let series: Vec<Series> = groups
            .into_iter()
            .map(|(label, mut pts)| {
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let stat = |p: usize| &agg.points[p][m].0;
                let band: Vec<(f64, f64, f64)> = pts
                    .iter()
                    .filter_map(|&(xv, p)| stat(p).ci95.map(|(lo, hi)| (xv, lo, hi)))
                    .collect();
                let name = match lines {
                    Some(l) => format!("{}={label}", short(&plan.columns[l])),
                    None => plot.metric.clone(),
                };
                Series {
                    name,
                    points: pts.iter().map(|&(xv, p)| (xv, stat(p).mean)).collect(),
                    band: (plot.band && !band.is_empty()).then_some(band),
                }
            })
            .collect();
        let scale = |log| if log { Scale::Log } else { Scale::Linear };
        let x_axis = Axis {
            label: plan.columns[x].clone(),
            scale: scale(plot.log_x),
        };
        let what = if plot.band && plan.sweep.replications > 1 {
            format!(
                "{}, mean of {} replications, 95 % CI",
                plot.metric, plan.sweep.replications
            )
        } else {
            plot.metric.clone()
        };
        let y_axis = Axis {
            label: what,
            scale: scale(plot.log_y),
        };
        let title = plot
            .title
            .clone()
            .unwrap_or_else(|| format!("{}: {}", plan.base.name, plot.metric));
        let svg = plots::line_chart(&title, &x_axis, &y_axis, &series)?;
        out.push((format!("{}.svg", plot.file), svg));
    }
    Ok(out)
}

/// The last key of a field path (`model.fanout.strategy` gives `strategy`).
pub(super) fn short(field: &str) -> String {
    FieldPath::parse(field)
        .ok()
        .and_then(|p| p.last_key().map(str::to_string))
        .unwrap_or_else(|| field.to_string())
}
