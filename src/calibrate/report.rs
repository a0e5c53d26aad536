//! A calibration folder's `report.html`: what was fitted on what, the fitted values, the
//! error per statistic on the fitted and on the held-out rows, every plot inline, the
//! side-by-side tables and every evaluation, and `fitted.yaml` (`report::html`).

use super::calibration::{Calibration, MetricErrors};
use super::mirror::describe;
use super::select::Role;
use super::tables::{ERROR_STATED, FIT_CSV, HELD_OUT_CSV, STEPS_CSV};
use crate::metrics::summary::round6;
use crate::report::html::{self, Figure, Page, Table};
use anyhow::Result;

pub(crate) const REPORT: &str = html::REPORT;

/// The page, from the calibration, its tables (by file name) and its plots.
pub(crate) fn page(
    c: &Calibration,
    tables: &[(String, Vec<u8>)],
    plots: &[(String, String)],
    fitted_yaml: &str,
) -> Result<String> {
    let m = c.measurements;
    let count = |role| c.rows_in(role).len();
    let files: Vec<String> = m
        .files
        .iter()
        .map(|f| format!("{} ({} rows)", f.path.display(), f.rows))
        .collect();
    let facts = vec![
        ("repeat it".to_string(), c.command.clone()),
        ("experiment".into(), c.base.name.clone()),
        ("measurements".into(), files.join(", ")),
        (
            "rows".into(),
            format!(
                "{} fitted ({}), {} held out and predicted, {} excluded (not drained)",
                count(Role::Fit),
                c.fit_on.text(),
                count(Role::HeldOut),
                count(Role::Excluded)
            ),
        ),
        (
            "fitted statistics".into(),
            c.fit_metrics
                .iter()
                .map(|m| m.get().column)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("error minimised".into(), ERROR_STATED.into()),
        (
            "optimiser".into(),
            format!(
                "Nelder-Mead (argmin) on ln(value / start): {} evaluations, {} iterations, \
                 stopped: {}",
                c.evaluations.len(),
                c.outcome.iterations,
                c.outcome.stopped
            ),
        ),
        (
            "error on the fitted rows".into(),
            round6(c.best.error).to_string(),
        ),
        (
            "error on the held-out rows".into(),
            c.held_out_error()
                .map_or("- (nothing held out)".into(), |e| round6(e).to_string()),
        ),
        ("runs".into(), c.runs.len().to_string()),
        ("guildsim".into(), crate::identity::VERSION.into()),
    ];
    let parameters = Table {
        caption: "fitted parameters".into(),
        header: ["field", "start", "min", "max", "fitted"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: c
            .params
            .iter()
            .zip(&c.best.values)
            .map(|(p, v)| {
                vec![
                    p.field.to_string(),
                    p.start.to_string(),
                    p.min.to_string(),
                    p.max.to_string(),
                    v.to_string(),
                ]
            })
            .collect(),
    };
    let mut errors = Table {
        caption: "error per statistic: root mean square of ln(predicted / measured), and the \
                  mean and largest size of the relative error (predicted - measured) / measured"
            .into(),
        header: [
            "statistic",
            "fitted",
            "fit rms log error",
            "held-out rows",
            "held-out rms log error",
            "held-out mean |relative error|",
            "held-out max |relative error|",
            "worst held-out row",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: Vec::new(),
    };
    let cell = |e: &MetricErrors, v: f64| {
        if e.count > 0 {
            round6(v).to_string()
        } else {
            "-".into()
        }
    };
    for id in c.shown_metrics() {
        let fit = c.errors(Role::Fit, id);
        let held = c.errors(Role::HeldOut, id);
        errors.rows.push(vec![
            id.get().column.to_string(),
            if c.fit_metrics.contains(&id) {
                "yes"
            } else {
                "no"
            }
            .into(),
            round6(fit.rms_log).to_string(),
            held.count.to_string(),
            cell(&held, held.rms_log),
            cell(&held, held.mean_abs_relative),
            cell(&held, held.max_abs_relative),
            held.worst_row.map_or("-".into(), |r| {
                format!("{r}: {}", describe(&c.measurements.rows[r]))
            }),
        ]);
    }
    let table = |name: &str, caption: &str| -> Result<Table> {
        let bytes = tables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
            .unwrap_or_default();
        html::csv_table(caption, bytes)
    };
    let page = Page {
        title: format!("guildsim calibration: {}", c.base.name),
        description: format!(
            "The parameters {} of {} fitted to measurements: each measured configuration is run \
             as a guildsim run of the experiment (one node holding the guild and its sessions, \
             the configuration's size, rate and schedulers), and the parameters minimise the \
             error of the fitted statistics on the fitted rows; the held-out rows are then \
             predicted with the fitted values.",
            c.params
                .iter()
                .map(|p| p.field.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            c.base.name
        ),
        facts,
        answer: None,
        collapse_tables: false,
        plots_field: None,
        verdicts: None,
        key_results: vec![parameters, errors],
        tables: vec![
            table(
                HELD_OUT_CSV,
                "held-out.csv: the held-out rows, measured beside predicted",
            )?,
            table(
                FIT_CSV,
                "fit.csv: the fitted rows, measured beside predicted",
            )?,
            table(STEPS_CSV, "steps.csv: every evaluation, in order")?,
        ],
        figures: plots
            .iter()
            .map(|(file, svg)| Figure {
                file: file.clone(),
                svg: svg.clone(),
            })
            .collect(),
        resolved_yaml: fitted_yaml.to_string(),
    };
    Ok(html::render(&page))
}
