//! What a sweep's declared figures show, and the checks of their declarations: the plots
//! (`sweep.plots`: which points, which column on x, which makes the lines) and the timelines
//! (`sweep.timelines`: which swept field makes the lines, which time-series metrics). A
//! point is known here by its labels (the value of each swept column, as text). The plan runs
//! the checks before any run starts, so a typo fails at once; `crate::sweep::charts` and
//! `crate::sweep::timelines` draw from the same selections, and a search's plot is checked
//! with [`select`] too.

use super::sweep::render;
use crate::config::Loaded;
use crate::config::sweep::{Sweep, SweepPlot};
use crate::config::yaml_source::{ConfigError, FieldPath};
use crate::metrics::flat::names_with_windows;

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
    "active_fraction",
    "user_opens",
    "syncs",
    "sync_ms_max",
    "relay_mailbox_depth_max",
];
/// Metrics of `timeseries.csv` per node (a panel shows their largest value over the nodes).
const NODE_METRICS: &[&str] = &[
    "busy_fraction",
    "run_queue_max",
    "memory_bytes_max",
    "client_bytes_per_s",
];

/// What a plot shows: the columns of its x axis and lines, and the indices of its points.
pub(crate) struct Selection {
    pub(crate) x: usize,
    pub(crate) lines: Option<usize>,
    pub(crate) chosen: Vec<usize>,
    /// When a value of `x` is not a number (a design's label, a strategy): the axis is
    /// categorical, with these values in the order the sweep lists them.
    pub(crate) categories: Option<Vec<String>>,
}

/// The points a plot shows (after `where`), among the points with these `labels` (one list
/// per point, a label per column), or the problem with its declaration as (field of the
/// plot, message).
pub(crate) fn select(
    plot: &SweepPlot,
    columns: &[String],
    labels: &[Vec<String>],
) -> Result<Selection, (&'static str, String)> {
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
        if !labels.iter().any(|p| p[c] == text) {
            return Err(("where", format!("`{field}` never takes the value {text}")));
        }
        fixed.push((c, text));
    }
    let chosen: Vec<usize> = (0..labels.len())
        .filter(|&p| fixed.iter().all(|(c, t)| labels[p][*c] == *t))
        .collect();
    for (c, name) in columns.iter().enumerate() {
        if c == x || Some(c) == lines || fixed.iter().any(|(f, _)| *f == c) {
            continue;
        }
        let mut seen: Vec<&str> = chosen.iter().map(|&p| labels[p][c].as_str()).collect();
        seen.sort();
        seen.dedup();
        let with = |f: usize| follows(chosen.iter().map(|&p| &labels[p]), f, c);
        // A field zipped with `x` or `lines` varies with it: the design's strategy with its
        // label.
        let with_lines = lines.is_some_and(with) || with(x);
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
    let numeric = chosen.iter().all(|&p| labels[p][x].parse::<f64>().is_ok());
    let categories = (!numeric).then(|| {
        let mut names: Vec<String> = Vec::new();
        for &p in &chosen {
            if !names.contains(&labels[p][x]) {
                names.push(labels[p][x].clone());
            }
        }
        names
    });
    if categories.is_some() && plot.log_x {
        return Err((
            "log_x",
            format!(
                "`{}` takes values that are not numbers ({}): its axis lists them, it cannot be \
                 logarithmic",
                plot.x,
                categories
                    .as_ref()
                    .map(|c| c.join(", "))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(Selection {
        x,
        lines,
        chosen,
        categories,
    })
}

/// Whether column `c` follows column `l` among `points` (their labels: a field zipped with
/// `lines` varies with it): points with the same `l` value have the same `c` value.
fn follows<'a>(points: impl Iterator<Item = &'a Vec<String>> + Clone, l: usize, c: usize) -> bool {
    points
        .clone()
        .all(|p| points.clone().all(|q| p[l] != q[l] || p[c] == q[c]))
}

/// Whether `name` can name a chart file: letters, digits, `_`, `-` and `.`.
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Problems with the plot declarations of `sweep` over the points with these `labels`,
/// located in `base`'s sources.
pub(crate) fn check_plots(
    sweep: &Sweep,
    columns: &[String],
    labels: &[Vec<String>],
    base: &Loaded,
) -> Vec<ConfigError> {
    let windows = &base.experiment.output.windows;
    let gc = super::blocks(&base.experiment);
    let names = names_with_windows(windows.iter().map(|w| w.name.as_str()), gc);
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
        let categorical = match select(plot, columns, labels) {
            Err((key, message)) => {
                errors.push(base.error_at(&at(key), message));
                false
            }
            Ok(sel) => sel.categories.is_some(),
        };
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
        // `labels` names the values of `lines`, or of a categorical x axis.
        let lines = plot.lines.as_deref().and_then(|l| column(columns, l));
        let named = lines.or(categorical.then(|| column(columns, &plot.x)).flatten());
        errors.extend(check_labels(&plot.labels, named, base, &at("labels")));
    }
    errors
}

/// Problems with `sweep.summary`, the metrics of the answer table: each a known metric, none
/// twice, at most [`MAX_SUMMARY`] of them (the table stays readable).
pub(crate) fn check_summary(sweep: &Sweep, base: &Loaded) -> Vec<ConfigError> {
    let windows = &base.experiment.output.windows;
    let gc = super::blocks(&base.experiment);
    let names = names_with_windows(windows.iter().map(|w| w.name.as_str()), gc);
    let mut errors = Vec::new();
    if sweep.summary.len() > MAX_SUMMARY {
        errors.push(base.error_at(
            "sweep.summary",
            format!(
                "at most {MAX_SUMMARY} metrics (got {}): the answer table must stay readable; \
                 aggregate.csv has every metric",
                sweep.summary.len()
            ),
        ));
    }
    for (i, metric) in sweep.summary.iter().enumerate() {
        let at = format!("sweep.summary[{i}]");
        if !names.contains(metric) {
            errors.push(base.error_at(
                &at,
                format!("unknown metric `{metric}`; one of: {}", names.join(", ")),
            ));
        } else if sweep.summary[..i].contains(metric) {
            errors.push(base.error_at(&at, format!("`{metric}` is listed twice")));
        }
    }
    errors
}

/// The most metrics an answer table shows.
pub(crate) const MAX_SUMMARY: usize = 8;

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
        errors.push(base.error_at(
            at,
            "names values of `lines` (or of a categorical `x`), but the figure has none",
        ));
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
pub(crate) fn column(columns: &[String], field: &str) -> Option<usize> {
    let normal = FieldPath::parse(field).ok()?.to_string();
    columns.iter().position(|c| *c == normal)
}

/// Problems with the timeline declarations of `sweep` over the points with these `labels`,
/// located in `base`'s sources.
pub(crate) fn check_timelines(
    sweep: &Sweep,
    columns: &[String],
    labels: &[Vec<String>],
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
                    let mut seen: Vec<&str> = labels.iter().map(|p| p[c].as_str()).collect();
                    seen.sort();
                    seen.dedup();
                    if c != l && seen.len() > 1 && !follows(labels.iter(), l, c) {
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
