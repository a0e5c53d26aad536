//! What a sweep's declared figures show, and the checks of their declarations: the plots
//! (`sweep.plots`: which points, which column on x, which makes the lines) and the timelines
//! (`sweep.timelines`: which swept field makes the lines, which time-series metrics). The
//! plan runs the checks before any run starts, so a typo fails at once; `charts.rs` and
//! `timelines.rs` draw from the same selections.

use super::grid::render;
use super::metrics;
use super::points::Point;
use crate::config::Loaded;
use crate::config::sweep::{Sweep, SweepPlot};
use crate::config::yaml_source::{ConfigError, FieldPath};

/// Metrics of `timeseries.csv` for the whole cluster.
const CLUSTER_METRICS: &[&str] = &[
    "deliveries",
    "publishes",
    "latency_ms_mean",
    "latency_ms_p50",
    "latency_ms_p99",
    "latency_ms_max",
    "guild_mailbox_depth_max",
    "presence_deliveries",
    "sessions_online",
    "registry_queue_depth_max",
];
/// Metrics of `timeseries.csv` per node (a panel shows their largest value over the nodes).
const NODE_METRICS: &[&str] = &["busy_fraction", "run_queue_max", "memory_bytes_max"];

/// What a plot shows: the columns of its x axis and lines, and its points (index, point).
pub struct Selection<'a> {
    pub x: usize,
    pub lines: Option<usize>,
    pub chosen: Vec<(usize, &'a Point)>,
}

/// The points a plot shows (after `where`), or the problem with its declaration as
/// (field of the plot, message).
pub fn select<'a>(
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
        let with_lines = lines.is_some_and(|l| follows(chosen.iter().map(|(_, p)| *p), l, c));
        if seen.len() > 1 && !with_lines {
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

/// Whether column `c` follows column `l` among `points` (a field zipped with `lines` varies
/// with it): points with the same `l` value have the same `c` value.
fn follows<'a>(points: impl Iterator<Item = &'a Point> + Clone, l: usize, c: usize) -> bool {
    points.clone().all(|p| {
        points
            .clone()
            .all(|q| p.labels[l] != q.labels[l] || p.labels[c] == q.labels[c])
    })
}

/// Whether `name` can name a chart file: letters, digits, `_`, `-` and `.`.
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Problems with the plot declarations of `sweep`, located in `base`'s sources.
pub fn check_plots(
    sweep: &Sweep,
    columns: &[String],
    points: &[Point],
    base: &Loaded,
) -> Vec<ConfigError> {
    let names = metrics::names_with_windows(&base.experiment.output.windows);
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
        for (key, text) in [
            ("title", &plot.title),
            ("x_label", &plot.x_label),
            ("y_label", &plot.y_label),
        ] {
            if text.as_ref().is_some_and(|t| t.chars().count() > MAX_LABEL) {
                errors.push(
                    base.error_at(&at(key), format!("must be at most {MAX_LABEL} characters")),
                );
            }
        }
        if plot.y_from_zero && plot.log_y {
            errors.push(base.error_at(
                &at("y_from_zero"),
                "a log axis cannot start at zero: drop log_y or y_from_zero",
            ));
        }
        let lines = plot.lines.as_deref().and_then(|l| column(columns, l));
        errors.extend(check_labels(&plot.labels, lines, base, &at("labels")));
    }
    errors
}

/// The longest title, axis label or legend text.
const MAX_LABEL: usize = 200;

/// Problems with a `labels` map: the figure has lines, and each text is a string of at most
/// [`MAX_LABEL`] characters (a key that is no value of the field is unused: test scales sweep
/// fewer values).
fn check_labels(
    labels: &yaml_serde::Mapping,
    lines: Option<usize>,
    base: &Loaded,
    at: &str,
) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    if labels.is_empty() {
        return errors;
    }
    if lines.is_none() {
        errors.push(base.error_at(at, "names values of `lines`, but the figure has none"));
        return errors;
    }
    for (key, text) in labels {
        let value = render(key);
        if text.as_str().is_none_or(|t| t.chars().count() > MAX_LABEL) {
            errors.push(base.error_at(
                at,
                format!(
                    "the text for `{value}` must be a string of at most {MAX_LABEL} characters"
                ),
            ));
        }
    }
    errors
}

/// The column of the swept field `field`, if it is swept.
pub fn column(columns: &[String], field: &str) -> Option<usize> {
    let normal = FieldPath::parse(field).ok()?.to_string();
    columns.iter().position(|c| *c == normal)
}

/// Problems with the timeline declarations of `sweep`, located in `base`'s sources.
pub fn check_timelines(
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
                    if c != l && seen.len() > 1 && !follows(points.iter(), l, c) {
                        errors.push(base.error_at(
                            &at("lines"),
                            format!("`{name}` also varies; a timeline compares the values of one swept field"),
                        ));
                    }
                }
            }
        }
        if timeline
            .title
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_LABEL)
        {
            errors.push(base.error_at(
                &at("title"),
                format!("must be at most {MAX_LABEL} characters"),
            ));
        }
        let lines = column(columns, &timeline.lines);
        errors.extend(check_labels(&timeline.labels, lines, base, &at("labels")));
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

/// The last key of a field path (`model.fanout.strategy` gives `strategy`).
pub fn short(field: &str) -> String {
    FieldPath::parse(field)
        .ok()
        .and_then(|p| p.last_key().map(str::to_string))
        .unwrap_or_else(|| field.to_string())
}
