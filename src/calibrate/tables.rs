//! The calibration's tables: `calibration.json` (the fitted values, their error, the settings
//! and inputs), `fitted.yaml` (the experiment with the fitted values), `steps.csv` (every
//! evaluation), `runs.csv` (every run), `fit.csv` and `held-out.csv` (measured beside
//! predicted, with the relative error, per row and statistic). No file holds a wall-clock
//! figure or an absolute path that was not given, so the same inputs give the same bytes.

use super::calibration::{Calibration, MetricErrors};
use super::metrics::METRICS;
use super::select::Role;
use crate::config::yaml_source::{self, Location, SourceMap};
use crate::identity::VERSION;
use crate::metrics::summary::round6;
use crate::table;
use anyhow::Result;
use serde::Serialize;
use std::sync::Arc;

pub(crate) const CALIBRATION_JSON: &str = "calibration.json";
pub(crate) const FITTED_YAML: &str = "fitted.yaml";
pub(crate) const STEPS_CSV: &str = "steps.csv";
pub(crate) const RUNS_CSV: &str = "runs.csv";
pub(crate) const FIT_CSV: &str = "fit.csv";
pub(crate) const HELD_OUT_CSV: &str = "held-out.csv";

/// The statement of the error minimised, for the JSON file and the report.
pub(crate) const ERROR_STATED: &str = "root mean square, over the fitted rows and metrics, of \
    ln(predicted / measured), each term capped at ln(100) in size";

#[derive(Serialize)]
struct Json<'a> {
    guildsim: &'a str,
    experiment: &'a str,
    command: &'a str,
    measurements: Vec<JsonFile>,
    rows: JsonRows,
    fit_on: String,
    fit_metrics: Vec<&'static str>,
    error: &'static str,
    parameters: Vec<JsonParam>,
    fit_error: f64,
    held_out_error: Option<f64>,
    metrics: Vec<JsonMetric>,
    optimiser: JsonOptimiser,
    runs: usize,
}

#[derive(Serialize)]
struct JsonFile {
    file: String,
    sha256: String,
    rows: usize,
    facts: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
struct JsonRows {
    fit: usize,
    held_out: usize,
    excluded_not_drained: usize,
}

#[derive(Serialize)]
struct JsonParam {
    field: String,
    start: f64,
    min: f64,
    max: f64,
    fitted: f64,
}

#[derive(Serialize)]
struct JsonMetric {
    metric: &'static str,
    fitted: bool,
    fit: JsonErrors,
    held_out: JsonErrors,
}

#[derive(Serialize)]
struct JsonErrors {
    count: usize,
    rms_log_error: f64,
    mean_abs_relative_error: Option<f64>,
    max_abs_relative_error: Option<f64>,
    worst_row: Option<usize>,
}

#[derive(Serialize)]
struct JsonOptimiser {
    method: &'static str,
    iterations: u64,
    evaluations: usize,
    stopped: String,
}

fn json_errors(e: &MetricErrors) -> JsonErrors {
    JsonErrors {
        count: e.count,
        rms_log_error: round6(e.rms_log),
        mean_abs_relative_error: (e.count > 0).then(|| round6(e.mean_abs_relative)),
        max_abs_relative_error: (e.count > 0).then(|| round6(e.max_abs_relative)),
        worst_row: e.worst_row,
    }
}

/// Every table, by file name.
pub(crate) fn files(c: &Calibration) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(vec![
        (CALIBRATION_JSON.into(), calibration_json(c)?),
        (FITTED_YAML.into(), fitted_yaml(c)?),
        (STEPS_CSV.into(), steps_csv(c)),
        (RUNS_CSV.into(), runs_csv(c)),
        (FIT_CSV.into(), rows_csv(c, Role::Fit)),
        (HELD_OUT_CSV.into(), rows_csv(c, Role::HeldOut)),
    ])
}

fn calibration_json(c: &Calibration) -> Result<Vec<u8>> {
    let m = c.measurements;
    let json = Json {
        guildsim: VERSION,
        experiment: &c.base.name,
        command: &c.command,
        measurements: m
            .files
            .iter()
            .map(|f| JsonFile {
                file: f.path.display().to_string(),
                sha256: f.sha256.clone(),
                rows: f.rows,
                facts: f.facts.iter().cloned().collect(),
            })
            .collect(),
        rows: JsonRows {
            fit: c.rows_in(Role::Fit).len(),
            held_out: c.rows_in(Role::HeldOut).len(),
            excluded_not_drained: c.rows_in(Role::Excluded).len(),
        },
        fit_on: c.fit_on.text(),
        fit_metrics: c.fit_metrics.iter().map(|m| m.get().column).collect(),
        error: ERROR_STATED,
        parameters: c
            .params
            .iter()
            .zip(&c.best.values)
            .map(|(p, &v)| JsonParam {
                field: p.field.to_string(),
                start: p.start,
                min: p.min,
                max: p.max,
                fitted: v,
            })
            .collect(),
        fit_error: round6(c.best.error),
        held_out_error: c.held_out_error().map(round6),
        metrics: c
            .shown_metrics()
            .into_iter()
            .map(|id| JsonMetric {
                metric: id.get().column,
                fitted: c.fit_metrics.contains(&id),
                fit: json_errors(&c.errors(Role::Fit, id)),
                held_out: json_errors(&c.errors(Role::HeldOut, id)),
            })
            .collect(),
        optimiser: JsonOptimiser {
            method: "Nelder-Mead (argmin) on ln(value / start)",
            iterations: c.outcome.iterations,
            evaluations: c.evaluations.len(),
            stopped: c.outcome.stopped.clone(),
        },
        runs: c.runs.len(),
    };
    let mut text = serde_json::to_string_pretty(&json)?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// The experiment as given, with every fitted parameter at its fitted value.
fn fitted_yaml(c: &Calibration) -> Result<Vec<u8>> {
    let mut doc: yaml_serde::Value = yaml_serde::from_slice(&c.base.resolved_yaml)?;
    let mut map = SourceMap::default();
    for (p, &v) in c.params.iter().zip(&c.best.values) {
        let here = Location {
            origin: Arc::clone(&p.origin),
            line: 1,
            column: 1,
        };
        yaml_source::set_at(
            &mut doc,
            &mut map,
            &p.field,
            yaml_serde::Value::Number(v.into()),
            SourceMap::default(),
            &here,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let fields: Vec<String> = c.params.iter().map(|p| p.field.to_string()).collect();
    let mut text = format!(
        "# {} with the values `guildsim calibrate` fitted ({}): see calibration.json\n",
        c.base.name,
        fields.join(", ")
    );
    text.push_str(&yaml_serde::to_string(&doc)?);
    Ok(text.into_bytes())
}

fn steps_csv(c: &Calibration) -> Vec<u8> {
    let mut header = vec!["evaluation".to_string()];
    header.extend(c.params.iter().map(|p| p.field.to_string()));
    header.push("error".into());
    header.extend(
        c.fit_metrics
            .iter()
            .map(|m| format!("error_{}", m.get().column)),
    );
    header.push("runs".into());
    let rows: Vec<Vec<String>> = c
        .evaluations
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut row = vec![i.to_string()];
            row.extend(e.values.iter().map(|v| v.to_string()));
            row.push(finite(e.error));
            row.extend(e.per_metric.iter().map(|v| finite(*v)));
            row.push((e.runs + e.reused).to_string());
            row
        })
        .collect();
    table::csv(&header, &rows)
}

fn runs_csv(c: &Calibration) -> Vec<u8> {
    let header: Vec<String> = ["run", "row", "file", "line", "set", "parameters", "seed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = c
        .runs
        .iter()
        .map(|r| {
            let row = &c.measurements.rows[r.row];
            vec![
                r.dir.clone(),
                r.row.to_string(),
                c.measurements.files[row.file].path.display().to_string(),
                row.line.to_string(),
                c.roles[r.row].name().to_string(),
                r.parameters.clone(),
                r.seed.to_string(),
            ]
        })
        .collect();
    table::csv(&header, &rows)
}

/// The configuration columns of the side-by-side tables.
pub(crate) const CONFIG_HEADER: [&str; 10] = [
    "row",
    "file",
    "line",
    "mode",
    "schedulers",
    "members",
    "rate_per_s",
    "presence_per_session_per_s",
    "duration_s",
    "target_utilisation",
];

/// Measured beside predicted for the rows in `role`: one line per row and statistic.
fn rows_csv(c: &Calibration, role: Role) -> Vec<u8> {
    let mut header: Vec<String> = CONFIG_HEADER.iter().map(|s| s.to_string()).collect();
    header.extend(
        ["metric", "measured_us", "predicted_us", "relative_error"]
            .iter()
            .map(|s| s.to_string()),
    );
    let shown = c.shown_metrics();
    let mut rows = Vec::new();
    for i in c.rows_in(role) {
        for &m in &shown {
            let (measured, predicted) = c.pair(i, m);
            let Some(measured) = measured else { continue };
            let mut row = config_cells(c, i);
            row.push(METRICS[m.0].column.to_string());
            row.push(measured.to_string());
            row.push(predicted.map_or(String::new(), |p| round3(p).to_string()));
            row.push(
                super::metrics::relative_error(Some(measured), predicted)
                    .map_or(String::new(), |r| round6(r).to_string()),
            );
            rows.push(row);
        }
    }
    table::csv(&header, &rows)
}

/// A row's configuration cells, in [`CONFIG_HEADER`]'s order.
pub(crate) fn config_cells(c: &Calibration, i: usize) -> Vec<String> {
    let row = &c.measurements.rows[i];
    let k = &row.config;
    vec![
        i.to_string(),
        c.measurements.files[row.file].path.display().to_string(),
        row.line.to_string(),
        k.mode.name().to_string(),
        k.schedulers.to_string(),
        k.members.to_string(),
        k.rate_per_s.to_string(),
        k.presence_per_session_per_s.to_string(),
        k.duration_s.to_string(),
        k.target_utilisation
            .map_or(String::new(), |u| u.to_string()),
    ]
}

/// An error rounded, or empty when the values were refused (infinite error).
fn finite(x: f64) -> String {
    if x.is_finite() {
        round6(x).to_string()
    } else {
        String::new()
    }
}

/// Microseconds to a nanosecond's precision.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}
