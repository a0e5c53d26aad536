//! A search's result files, computed from what the steps recorded (itself read from the run
//! folders in plan order): `search.csv` (the answer of each search), `search-steps.csv` (every
//! value tried, its mean and verdict, and the bracket after it), `search-runs.csv` (every run)
//! and `search.json` (all of it), `search.svg` when `search.plot` asks for it, and
//! `report.html` (all of it on one page).

use super::bisect::{Bracket, Status};
use super::plan::SearchPlan;
use super::report;
use crate::config::search::Find;
use crate::config::validate::figures::column;
use crate::report::names::{human, line_label};
use crate::report::plots::{self, Axis, Scale, Series};
use anyhow::Result;
use serde::Serialize;
use serde_json::json;

pub(crate) const ANSWERS_CSV: &str = "search.csv";
pub(crate) const STEPS_CSV: &str = "search-steps.csv";
pub(crate) const RUNS_CSV: &str = "search-runs.csv";
pub(crate) const JSON: &str = "search.json";
pub(crate) const PLOT: &str = "search.svg";

/// One run of a value: its replication, seed, folder and metric (`None`: no observations).
#[derive(Clone, Debug, Serialize)]
pub struct RunRecord {
    pub(crate) replication: u32,
    pub(crate) seed: u64,
    pub(crate) run: String,
    pub value: Option<f64>,
}

/// One value tried: the step, the mean of the metric over its runs (`None` when a run has
/// no value), the verdict and the bracket after the step.
#[derive(Clone, Debug)]
pub struct Tried {
    pub(crate) step: u32,
    pub value: f64,
    pub mean: Option<f64>,
    pub within: bool,
    pub(crate) bracket: (Option<f64>, Option<f64>),
    pub runs: Vec<RunRecord>,
}

/// One point's search: its final bracket and the values it tried, in order.
#[derive(Clone, Debug)]
pub struct PointSearch {
    pub bracket: Bracket,
    pub tried: Vec<Tried>,
}

impl PointSearch {
    /// The answer: the best value known within the limit (none if even the best end fails).
    pub fn answer(&self) -> Option<f64> {
        self.bracket.good
    }
}

/// Every result file of a finished search, as (name, bytes), in the order they are written.
pub(crate) fn files(plan: &SearchPlan, searches: &[PointSearch]) -> Result<Vec<(String, Vec<u8>)>> {
    let answers = answers_csv(plan, searches)?;
    let steps = steps_csv(plan, searches)?;
    let svg = chart(plan, searches)?;
    let page = report::page(
        plan,
        &answers,
        &steps,
        svg.as_deref().map(|svg| (PLOT, svg)),
    )?;
    let mut out = vec![
        (ANSWERS_CSV.to_string(), answers),
        (STEPS_CSV.to_string(), steps),
        (RUNS_CSV.to_string(), runs_csv(plan, searches)?),
        (JSON.to_string(), json_file(plan, searches)?),
    ];
    if let Some(svg) = svg {
        out.push((PLOT.to_string(), svg.into_bytes()));
    }
    out.push((report::REPORT.to_string(), page.into_bytes()));
    Ok(out)
}

fn text(plan: &SearchPlan, v: Option<f64>) -> String {
    v.map(|v| plan.value_text(v)).unwrap_or_default()
}

fn number(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Searching => "searching",
        Status::Converged => "converged",
        Status::NoneWithin => "none_within",
        Status::AllWithin => "all_within",
        Status::StepLimit => "step_limit",
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn header(plan: &SearchPlan, rest: &[&str]) -> Vec<String> {
    std::iter::once("point".to_string())
        .chain(plan.columns.iter().cloned())
        .chain(rest.iter().map(|s| s.to_string()))
        .collect()
}

fn lead(plan: &SearchPlan, p: usize) -> Vec<String> {
    std::iter::once(p.to_string())
        .chain(plan.points[p].labels.iter().cloned())
        .collect()
}

fn answers_csv(plan: &SearchPlan, searches: &[PointSearch]) -> Result<Vec<u8>> {
    let mut w = writer();
    let field = plan.search.field.as_str();
    w.write_record(header(
        plan,
        &[
            "status",
            field,
            "bracket_low",
            "bracket_high",
            "steps",
            "runs",
        ],
    ))?;
    for (p, s) in searches.iter().enumerate() {
        let (lo, hi) = s.bracket.bounds();
        let runs: usize = s.tried.iter().map(|t| t.runs.len()).sum();
        let mut row = lead(plan, p);
        row.extend([
            status_name(s.bracket.status).to_string(),
            text(plan, s.answer()),
            text(plan, lo),
            text(plan, hi),
            s.bracket.steps.to_string(),
            runs.to_string(),
        ]);
        w.write_record(row)?;
    }
    Ok(w.into_inner()?)
}

fn steps_csv(plan: &SearchPlan, searches: &[PointSearch]) -> Result<Vec<u8>> {
    let mut w = writer();
    let mean = format!("{} (mean of the runs)", plan.search.metric);
    w.write_record(header(
        plan,
        &[
            "step",
            &plan.search.field,
            &mean,
            "within",
            "bracket_low",
            "bracket_high",
        ],
    ))?;
    for (p, s) in searches.iter().enumerate() {
        for t in &s.tried {
            let mut row = lead(plan, p);
            row.extend([
                t.step.to_string(),
                plan.value_text(t.value),
                number(t.mean),
                t.within.to_string(),
                text(plan, t.bracket.0),
                text(plan, t.bracket.1),
            ]);
            w.write_record(row)?;
        }
    }
    Ok(w.into_inner()?)
}

fn runs_csv(plan: &SearchPlan, searches: &[PointSearch]) -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(header(
        plan,
        &[
            "step",
            &plan.search.field,
            "replication",
            "seed",
            "run",
            &plan.search.metric,
        ],
    ))?;
    for (p, s) in searches.iter().enumerate() {
        for t in &s.tried {
            for r in &t.runs {
                let mut row = lead(plan, p);
                row.extend([
                    t.step.to_string(),
                    plan.value_text(t.value),
                    r.replication.to_string(),
                    r.seed.to_string(),
                    r.run.clone(),
                    number(r.value),
                ]);
                w.write_record(row)?;
            }
        }
    }
    Ok(w.into_inner()?)
}

fn json_file(plan: &SearchPlan, searches: &[PointSearch]) -> Result<Vec<u8>> {
    let s = &plan.search;
    let value = |v: Option<f64>| -> serde_json::Value {
        match v {
            Some(v) => serde_json::to_value(plan.value(v)).unwrap_or(serde_json::Value::Null),
            None => serde_json::Value::Null,
        }
    };
    let points: Vec<serde_json::Value> = searches
        .iter()
        .enumerate()
        .map(|(p, ps)| {
            let swept: serde_json::Map<String, serde_json::Value> = plan
                .columns
                .iter()
                .zip(&plan.points[p].labels)
                .map(|(c, v)| (c.clone(), json!(v)))
                .collect();
            let (lo, hi) = ps.bracket.bounds();
            let tried: Vec<serde_json::Value> = ps
                .tried
                .iter()
                .map(|t| {
                    json!({
                        "step": t.step,
                        "value": value(Some(t.value)),
                        "mean": t.mean,
                        "within": t.within,
                        "bracket": [value(t.bracket.0), value(t.bracket.1)],
                        "runs": t.runs,
                    })
                })
                .collect();
            json!({
                "point": p,
                "swept": swept,
                "status": ps.bracket.status,
                "answer": value(ps.answer()),
                "bracket": [value(lo), value(hi)],
                "steps": ps.bracket.steps,
                "tried": tried,
            })
        })
        .collect();
    let doc = json!({
        "experiment": plan.base.name,
        "field": s.field,
        "metric": s.metric,
        "max": s.max,
        "min": s.min,
        "find": s.find,
        "scale": s.scale,
        "precision": s.precision,
        "replications": s.replications,
        "searches": points,
    });
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// The answer against `search.plot.x`, one line per value of `lines`.
fn chart(plan: &SearchPlan, searches: &[PointSearch]) -> Result<Option<String>> {
    let Some(plot) = &plan.search.plot else {
        return Ok(None);
    };
    let swept = |f: &str| column(&plan.columns, f);
    let x = swept(&plot.x).expect("checked by the plan");
    let lines = plot.lines.as_deref().and_then(swept);
    let mut groups: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (p, s) in searches.iter().enumerate() {
        let label = lines
            .map(|l| plan.points[p].labels[l].clone())
            .unwrap_or_default();
        let xv: f64 = plan.points[p].labels[x].parse().expect("checked numeric");
        let entry = match groups.iter_mut().position(|(g, _)| *g == label) {
            Some(i) => &mut groups[i].1,
            None => {
                groups.push((label, Vec::new()));
                &mut groups.last_mut().expect("pushed").1
            }
        };
        if let Some(a) = s.answer() {
            entry.push((xv, a));
        }
    }
    let series: Vec<Series> = groups
        .into_iter()
        .map(|(label, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let name = match lines {
                Some(l) => line_label(&Default::default(), &plan.columns[l], &label),
                None => human(&plan.search.field),
            };
            Series {
                name,
                points,
                band: None,
            }
        })
        .collect();
    let scale = |log| if log { Scale::Log } else { Scale::Linear };
    let x_axis = Axis {
        label: human(&plan.columns[x]),
        scale: scale(plot.log_x),
    };
    let limit = match (plan.search.max, plan.search.min) {
        (Some(m), _) => format!("<= {m}"),
        (_, Some(m)) => format!(">= {m}"),
        _ => String::new(),
    };
    let which = match plan.search.find {
        Find::Largest => "largest",
        Find::Smallest => "smallest",
    };
    let y_axis = Axis {
        label: format!(
            "{which} {} with {} {limit}",
            human(&plan.search.field),
            human(&plan.search.metric)
        ),
        scale: scale(plot.log_y),
    };
    let title = plot
        .title
        .clone()
        .unwrap_or_else(|| format!("{}: {which} {}", plan.base.name, human(&plan.search.field)));
    let mut swept: Vec<f64> = plan
        .points
        .iter()
        .filter_map(|p| p.labels[x].parse().ok())
        .collect();
    swept.sort_by(f64::total_cmp);
    swept.dedup();
    let options = plots::LineOptions {
        x_ticks_at: plot.log_x.then_some(swept),
        y_from_zero: false,
        marks: Vec::new(),
        x_categories: None,
    };
    Ok(Some(plots::line_chart_with(
        &title, &x_axis, &y_axis, &series, &options,
    )?))
}
