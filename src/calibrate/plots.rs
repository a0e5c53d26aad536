//! The calibration's plots, drawn with the project's charts (`report::plots`): measured beside
//! predicted p50 and p99 delivery latency, per mode and scheduler count,
//!
//! - against guild size (`latency-p99-members-naive-s1.svg`): at each size, the row measured
//!   at the lowest rate and the one at the highest;
//! - against publish rate (`latency-p99-rate-naive-s1.svg`): one pair of lines for the
//!   smallest, a middle and the largest size.
//!
//! Measured lines are named `measured: ...`, predicted ones `predicted: ...`; every row that
//! is fitted or held out counts (the fitted ones are the lowest rates with the default rule).

use super::calibration::Calibration;
use super::measurements::Mode;
use super::metrics::{MetricId, by_column};
use super::select::{Role, same_cell};
use crate::report::plots::{Axis, LineOptions, Scale, Series, line_chart_with};
use anyhow::Result;

/// Every plot, by file name, in a fixed order.
pub(crate) fn draw(c: &Calibration) -> Result<Vec<(String, String)>> {
    let mut cells: Vec<(Mode, u32)> = c
        .measurements
        .rows
        .iter()
        .zip(c.roles)
        .filter(|(_, role)| **role != Role::Excluded)
        .map(|(r, _)| (r.config.mode, r.config.schedulers))
        .collect();
    cells.sort();
    cells.dedup();
    let mut out = Vec::new();
    for (stat, words) in [("p50", "p50"), ("p99", "p99")] {
        let metric = by_column(&format!("latency_us_{stat}")).expect("a metric");
        for &(mode, schedulers) in &cells {
            let rows = rows_of(c, mode, schedulers);
            let tag = format!("{}-s{schedulers}", mode.name());
            let what = format!("{} fan-out, {schedulers} scheduler(s)", mode.name());
            let y = Axis {
                label: format!("{words} delivery latency (µs)"),
                scale: Scale::Log,
            };
            let by_size = against_members(c, &rows, metric);
            if !by_size.is_empty() {
                let sizes = distinct(
                    rows.iter()
                        .map(|&i| c.measurements.rows[i].config.members as f64),
                );
                out.push((
                    format!("latency-{stat}-members-{tag}.svg"),
                    line_chart_with(
                        &format!("{words} latency against guild size: {what}"),
                        &Axis {
                            label: "guild size (members)".into(),
                            scale: Scale::Log,
                        },
                        &y,
                        &by_size,
                        &LineOptions {
                            x_ticks_at: Some(sizes),
                            ..LineOptions::default()
                        },
                    )?,
                ));
            }
            let by_rate = against_rate(c, &rows, metric);
            if !by_rate.is_empty() {
                out.push((
                    format!("latency-{stat}-rate-{tag}.svg"),
                    line_chart_with(
                        &format!("{words} latency against publish rate: {what}"),
                        &Axis {
                            label: "publish rate (per second)".into(),
                            scale: Scale::Log,
                        },
                        &y,
                        &by_rate,
                        &LineOptions::default(),
                    )?,
                ));
            }
        }
    }
    Ok(out)
}

/// The fitted and held-out rows of a mode and scheduler count, in row order.
fn rows_of(c: &Calibration, mode: Mode, schedulers: u32) -> Vec<usize> {
    (0..c.measurements.rows.len())
        .filter(|&i| {
            let k = &c.measurements.rows[i].config;
            c.roles[i] != Role::Excluded && k.mode == mode && k.schedulers == schedulers
        })
        .collect()
}

fn distinct(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// A measured and a predicted series over `points` (row, x), leaving out rows without both.
fn pair(c: &Calibration, name: &str, points: &[(usize, f64)], metric: MetricId) -> Vec<Series> {
    let mut measured = Vec::new();
    let mut predicted = Vec::new();
    for &(row, x) in points {
        let (m, p) = c.pair(row, metric);
        if let (Some(m), Some(p)) = (m, p)
            && m > 0.0
            && p > 0.0
        {
            measured.push((x, m));
            predicted.push((x, p));
        }
    }
    if measured.is_empty() {
        return Vec::new();
    }
    vec![
        Series {
            name: format!("measured: {name}"),
            points: measured,
            band: None,
        },
        Series {
            name: format!("predicted: {name}"),
            points: predicted,
            band: None,
        },
    ]
}

/// Per size, the lowest-rate and the highest-rate row (a size measured at one rate has only
/// the first); one pair of series each.
fn against_members(c: &Calibration, rows: &[usize], metric: MetricId) -> Vec<Series> {
    let rate = |i: usize| c.measurements.rows[i].config.rate_per_s;
    let mut lowest = Vec::new();
    let mut highest = Vec::new();
    for &i in rows {
        let cell: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&j| {
                same_cell(
                    &c.measurements.rows[j].config,
                    &c.measurements.rows[i].config,
                )
            })
            .collect();
        if cell[0] != i {
            continue;
        }
        let lo = *cell
            .iter()
            .min_by(|&&a, &&b| rate(a).total_cmp(&rate(b)))
            .expect("a row");
        let hi = *cell
            .iter()
            .max_by(|&&a, &&b| rate(a).total_cmp(&rate(b)))
            .expect("a row");
        let x = c.measurements.rows[i].config.members as f64;
        lowest.push((lo, x));
        if hi != lo {
            highest.push((hi, x));
        }
    }
    lowest.sort_by(|a, b| a.1.total_cmp(&b.1));
    highest.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut series = pair(c, "lowest rate", &lowest, metric);
    series.extend(pair(c, "highest rate", &highest, metric));
    series
}

/// For the smallest, a middle and the largest size, every rate measured.
fn against_rate(c: &Calibration, rows: &[usize], metric: MetricId) -> Vec<Series> {
    let sizes = distinct(
        rows.iter()
            .map(|&i| c.measurements.rows[i].config.members as f64),
    );
    if sizes.is_empty() {
        return Vec::new();
    }
    let mut chosen = vec![sizes[0], sizes[sizes.len() / 2], sizes[sizes.len() - 1]];
    chosen.dedup();
    let mut series = Vec::new();
    for size in chosen {
        let mut points: Vec<(usize, f64)> = rows
            .iter()
            .filter(|&&i| c.measurements.rows[i].config.members as f64 == size)
            .map(|&i| (i, c.measurements.rows[i].config.rate_per_s))
            .collect();
        points.sort_by(|a, b| a.1.total_cmp(&b.1));
        series.extend(pair(c, &format!("{size} members"), &points, metric));
    }
    series
}
