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
use crate::metrics::summary::round6;
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

/// One run of a value: its replication, seed, folder and metric (`None`: no observations),
/// with the run's verdicts: whether it keeps up (`keeps_up.all`), the metric's 95 % interval
/// when it is a steady-state one, the virtual time it covered and, with `run.until`, what
/// stopped it.
#[derive(Clone, Debug, Serialize)]
pub struct RunRecord {
    pub(crate) replication: u32,
    pub(crate) seed: u64,
    pub(crate) run: String,
    pub value: Option<f64>,
    pub keeps_up: Option<bool>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub(crate) end_time_s: Option<f64>,
    pub(crate) until: Option<String>,
}

/// One value tried: the step, the mean of the metric over its runs (`None` when a run has
/// no value), its 95 % interval (from the runs' own intervals, when they have them), whether
/// a run does not keep up, the verdict and the bracket after the step.
#[derive(Clone, Debug)]
pub struct Tried {
    pub(crate) step: u32,
    pub value: f64,
    pub mean: Option<f64>,
    pub interval: Option<(f64, f64)>,
    pub saturated: bool,
    pub within: bool,
    pub(crate) bracket: (Option<f64>, Option<f64>),
    pub runs: Vec<RunRecord>,
}

impl Tried {
    /// The interval's half-width relative to the mean (the precision reached).
    pub fn relative_half_width(&self) -> Option<f64> {
        let (lo, hi) = self.interval?;
        let m = self.mean?;
        (m > 0.0).then(|| round6((hi - lo) / 2.0 / m))
    }
}

/// The 95 % interval of the mean of independent replications, each with its own interval
/// (symmetric or not, half-widths combined as independent errors: the root of the sum of
/// their squares, over their number). `None` unless every run has one.
pub(crate) fn combined_interval(runs: &[RunRecord]) -> Option<(f64, f64)> {
    let n = runs.len() as f64;
    let mut mean = 0.0;
    let (mut below, mut above) = (0.0, 0.0);
    for r in runs {
        let (v, lo, hi) = (r.value?, r.low?, r.high?);
        mean += v / n;
        below += (v - lo).powi(2);
        above += (hi - v).powi(2);
    }
    (!runs.is_empty()).then(|| {
        (
            round6(mean - below.sqrt() / n),
            round6(mean + above.sqrt() / n),
        )
    })
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

    /// The value tried at the answer, with its metric and interval.
    pub fn at_answer(&self) -> Option<&Tried> {
        let a = self.answer()?;
        self.tried.iter().rev().find(|t| t.value == a)
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
            "metric_at_answer",
            "metric_at_answer_low",
            "metric_at_answer_high",
            "relative_half_width_at_answer",
            "values_not_keeping_up",
        ],
    ))?;
    for (p, s) in searches.iter().enumerate() {
        let (lo, hi) = s.bracket.bounds();
        let runs: usize = s.tried.iter().map(|t| t.runs.len()).sum();
        let at = s.at_answer();
        let mut row = lead(plan, p);
        row.extend([
            status_name(s.bracket.status).to_string(),
            text(plan, s.answer()),
            text(plan, lo),
            text(plan, hi),
            s.bracket.steps.to_string(),
            runs.to_string(),
            number(at.and_then(|t| t.mean)),
            number(at.and_then(|t| t.interval).map(|i| i.0)),
            number(at.and_then(|t| t.interval).map(|i| i.1)),
            number(at.and_then(Tried::relative_half_width)),
            s.tried.iter().filter(|t| t.saturated).count().to_string(),
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
            "low",
            "high",
            "keeps_up",
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
                number(t.interval.map(|i| i.0)),
                number(t.interval.map(|i| i.1)),
                (!t.saturated).to_string(),
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
            "low",
            "high",
            "keeps_up",
            "end_time_s",
            "until",
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
                    number(r.low),
                    number(r.high),
                    r.keeps_up.map(|k| k.to_string()).unwrap_or_default(),
                    number(r.end_time_s),
                    r.until.clone().unwrap_or_default(),
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
                        "interval": t.interval.map(|(lo, hi)| [lo, hi]),
                        "keeps_up": !t.saturated,
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
    // Per line: the answers, and the bracket around each (the answer to the first value
    // beyond the limit), drawn as the line's band.
    type Group = (String, Vec<(f64, f64)>, Vec<(f64, f64, f64)>);
    let mut groups: Vec<Group> = Vec::new();
    for (p, s) in searches.iter().enumerate() {
        let label = lines
            .map(|l| plan.points[p].labels[l].clone())
            .unwrap_or_default();
        let xv: f64 = plan.points[p].labels[x].parse().expect("checked numeric");
        let i = match groups.iter().position(|g| g.0 == label) {
            Some(i) => i,
            None => {
                groups.push((label, Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        if let Some(a) = s.answer() {
            groups[i].1.push((xv, a));
            if let (Some(lo), Some(hi)) = s.bracket.bounds() {
                groups[i].2.push((xv, lo.min(hi), lo.max(hi)));
            }
        }
    }
    let series: Vec<Series> = groups
        .into_iter()
        .map(|(label, mut points, mut band)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            band.sort_by(|a, b| a.0.total_cmp(&b.0));
            let name = match lines {
                Some(l) => line_label(&Default::default(), &plan.columns[l], &label),
                None => human(&plan.search.field),
            };
            Series {
                name,
                points,
                band: (band.len() > 1).then_some(band),
            }
        })
        .collect();
    let saturated: usize = searches
        .iter()
        .map(|s| s.tried.iter().filter(|t| t.saturated).count())
        .sum();
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
    // Under the x axis: what the shading means, and the values judged beyond capacity because
    // a run did not keep up (their latency would only be the run's length).
    let mut x_axis = x_axis;
    x_axis.label.push_str(" (shaded: the bracket");
    if saturated > 0 {
        x_axis.label.push_str(&format!(
            "; {saturated} value(s) tried did not keep up: beyond capacity"
        ));
    }
    x_axis.label.push(')');
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
