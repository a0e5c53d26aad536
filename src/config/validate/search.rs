//! The `search:` section checked, every error located: its own fields (the searched field, the
//! metric, one limit, the bracket, the precision, replications and steps), what it may be
//! combined with (no `expect:`; a `sweep:` that gives only the grid; a searched field that no
//! grid entry sweeps) and its plot, checked like a sweep plot ([`super::figures::select`]).
//! `crate::search::plan` runs these checks in this order; the bisection, the runs of each
//! value and the bound on their number (it needs the bisection's step bound) are
//! `crate::search`'s.

use super::figures;
use crate::config::Loaded;
use crate::config::limits::{
    MAX_LOG_PRECISION, MAX_REPLICATIONS, MAX_SEARCH_STEPS, MAX_SEARCH_VALUE, MIN_SEARCH_PRECISION,
};
use crate::config::search::{Search, SearchScale};
use crate::config::sweep::SweepPlot;
use crate::config::yaml_source::{self, ConfigError, FieldPath, SourceMap};
use crate::metrics::flat::names_with_windows;
use yaml_serde::Value;

/// Parts of an experiment a search cannot vary: they are not part of a run.
const NOT_SEARCHABLE: [&str; 6] = [
    "sweep",
    "search",
    "test_overrides",
    "description",
    "model_overrides",
    "seed",
];

/// The bracket's ends as numbers (`NaN` for an end that is not one).
pub(crate) fn ends(search: &Search) -> (f64, f64) {
    let number = |n: &yaml_serde::Number| n.as_f64().unwrap_or(f64::NAN);
    (number(&search.from), number(&search.to))
}

/// Checks the section's own fields; returns the searched field's path if it is one.
pub(crate) fn check_section(
    search: &Search,
    base: &Loaded,
    errors: &mut Vec<ConfigError>,
) -> Option<FieldPath> {
    let map = &base.source;
    let at = FieldPath::root().key("search");
    let mut fail = |key: &str, message: String| {
        errors.push(yaml_source::error_at(map, &at.key(key), message));
    };
    let field = match FieldPath::parse(&search.field) {
        Ok(f) if f.is_root() => {
            fail("field", "must not be empty".into());
            None
        }
        Ok(f) => match NOT_SEARCHABLE
            .iter()
            .find(|top| f.starts_with(&FieldPath::root().key(top)))
        {
            Some(top) => {
                fail("field", format!("`{top}` cannot be searched"));
                None
            }
            None => Some(f),
        },
        Err(e) => {
            fail("field", e);
            None
        }
    };
    let windows = &base.experiment.output.windows;
    let gc = super::blocks(&base.experiment);
    let names = names_with_windows(windows.iter().map(|w| w.name.as_str()), gc);
    if !names.contains(&search.metric) {
        fail(
            "metric",
            format!(
                "`{}` is not a metric of summary.json; metrics are dotted paths such as \
                 latency_ms.p99, guild_sojourn_ms.mean, deliveries_total",
                search.metric
            ),
        );
    }
    match (search.max, search.min) {
        (Some(_), Some(_)) | (None, None) => fail(
            "max",
            "give exactly one limit: `max` (the metric must stay at most this) or `min` (at \
             least this)"
                .into(),
        ),
        (Some(v), None) | (None, Some(v)) if !v.is_finite() || v.abs() > 1e300 => {
            let key = if search.max.is_some() { "max" } else { "min" };
            fail(key, format!("must be a finite number, got {v}"));
        }
        _ => {}
    }
    let (from, to) = ends(search);
    let mut ends_ok = true;
    for (key, v) in [("from", from), ("to", to)] {
        let log = search.scale == SearchScale::Log;
        if !v.is_finite() || v.abs() > MAX_SEARCH_VALUE || (log && v <= 0.0) {
            let lowest = if log { "above 0" } else { "from -1e15" };
            fail(key, format!("must be a number {lowest} to 1e15, got {v}"));
            ends_ok = false;
        }
    }
    if ends_ok && from >= to {
        fail(
            "to",
            format!("must be larger than `from` ({from}), got {to}"),
        );
    }
    let precision = search.precision;
    let precision_ok = match search.scale {
        SearchScale::Log => (MIN_SEARCH_PRECISION..=MAX_LOG_PRECISION).contains(&precision),
        SearchScale::Linear => precision > 0.0 && precision <= 2.0 * MAX_SEARCH_VALUE,
    };
    if !precision_ok {
        let allowed = match search.scale {
            SearchScale::Log => format!(
                "a relative precision from {MIN_SEARCH_PRECISION:e} to {MAX_LOG_PRECISION} on a \
                 log scale (0.05: within 5 %)"
            ),
            SearchScale::Linear => "a width above 0 and at most 2e15 on a linear scale".into(),
        };
        fail("precision", format!("must be {allowed}, got {precision}"));
    }
    if !(1..=MAX_REPLICATIONS).contains(&search.replications) {
        fail(
            "replications",
            format!(
                "must be an integer from 1 to {MAX_REPLICATIONS}, got {}",
                search.replications
            ),
        );
    }
    if search.max_steps > MAX_SEARCH_STEPS {
        fail(
            "max_steps",
            format!(
                "must be an integer from 0 to {MAX_SEARCH_STEPS}, got {}",
                search.max_steps
            ),
        );
    }
    field
}

/// What a search may be combined with: no `expect:` (a search judges its own limit), and a
/// `sweep:` that gives only the grid (one search per point).
pub(crate) fn check_company(base: &Loaded, errors: &mut Vec<ConfigError>) {
    let map = &base.source;
    if !base.experiment.expect.is_empty() {
        errors.push(yaml_source::error_at(
            map,
            &FieldPath::root().key("expect"),
            "a search judges its own limit (`search.max` or `search.min`), not expectations: \
             remove `expect:` or the `search:`",
        ));
    }
    if let (Some(u), Some(search)) = (&base.experiment.run.until, &base.experiment.search) {
        let steady = format!("steady.{}", u.metric);
        if search.metric != steady {
            errors.push(yaml_source::error_at(
                map,
                &FieldPath::root().key("search").key("metric"),
                format!(
                    "with run.until, each run refines the steady-state `{}`, so the search must \
                     judge that: write `metric: {steady}` (or change run.until.metric), got `{}`",
                    u.metric, search.metric
                ),
            ));
        }
    }
    let Some(sweep) = &base.experiment.sweep else {
        return;
    };
    let sat = FieldPath::root().key("sweep");
    let only_grid = [
        (
            sweep.replications != 1,
            "replications",
            "search.replications",
        ),
        (!sweep.plots.is_empty(), "plots", "search.plot"),
        (!sweep.timelines.is_empty(), "timelines", "search.plot"),
    ];
    for (bad, key, instead) in only_grid {
        if bad {
            errors.push(yaml_source::error_at(
                map,
                &sat.key(key),
                format!(
                    "with a `search:`, the sweep gives only the grid (one search per \
                     point): use `{instead}` instead"
                ),
            ));
        }
    }
}

/// The searched `field` must not overlap a swept one (`columns`); items named by their
/// `name:` (`model.nodes[session]`) are compared by index in the assembled document `doc`.
pub(crate) fn check_overlap(
    field: &FieldPath,
    columns: &[String],
    doc: &Value,
    map: &SourceMap,
    errors: &mut Vec<ConfigError>,
) {
    let at = FieldPath::root().key("search");
    let canonical =
        |path: &FieldPath| yaml_source::resolve_names(doc, path).unwrap_or(path.clone());
    for c in columns {
        let swept = canonical(&FieldPath::parse(c).expect("columns are field paths"));
        if canonical(field).starts_with(&swept) || swept.starts_with(&canonical(field)) {
            errors.push(yaml_source::error_at(
                map,
                &at.key("field"),
                format!("`{field}` overlaps `{c}`, swept by the grid: search another field"),
            ));
        }
    }
}

/// The search plot's declaration checked like a sweep plot's over the grid's points (their
/// `labels`), located at `search.plot`.
pub(crate) fn check_plot(
    search: &Search,
    columns: &[String],
    labels: &[Vec<String>],
    map: &SourceMap,
) -> Option<ConfigError> {
    let plot = search.plot.as_ref()?;
    let as_sweep = SweepPlot {
        file: "search".into(),
        metric: search.metric.clone(),
        x: plot.x.clone(),
        lines: plot.lines.clone(),
        where_: Default::default(),
        log_x: plot.log_x,
        log_y: plot.log_y,
        band: false,
        title: None,
        x_label: None,
        y_label: None,
        y_from_zero: false,
        labels: Default::default(),
    };
    let at = FieldPath::root().key("search").key("plot");
    match figures::select(&as_sweep, columns, labels) {
        Ok(sel) if sel.categories.is_some() => Some(yaml_source::error_at(
            map,
            &at.key("x"),
            format!(
                "a search's plot needs numbers on its x axis, but `{}` takes other values; \
                 draw it as `lines`",
                plot.x
            ),
        )),
        Ok(_) => None,
        Err((key, message)) => Some(yaml_source::error_at(map, &at.key(key), message)),
    }
}
