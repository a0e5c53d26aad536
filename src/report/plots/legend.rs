//! Where a panel's legend goes (the corner covering the least data) and, when every corner
//! would cover data, how much the y axis grows to make room for it.

use plotters::prelude::SeriesLabelPosition;

use super::axis::AxisPlan;
use super::panel::Style;
use super::prepare::{Prepared, has_data};

/// The legend box's width and height as fractions of a plotting area of `w` x `h` pixels.
pub(super) fn legend_fraction(series: &[Prepared], (w, h): (u32, u32)) -> (f64, f64) {
    let max_chars = series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let legend_w = 50.0 + 7.5 * max_chars as f64;
    let legend_h = 14.0 + 18.0 * series.len() as f64;
    (
        (legend_w / w.max(1) as f64).min(1.0),
        (legend_h / h.max(1) as f64).min(1.0),
    )
}

/// Picks the plot corner whose legend-sized box covers the fewest data
/// samples (points and points along line segments), and how many it covers;
/// among those, the one covering fewest of `avoid` (points in data space: the
/// labels of marks). Ties go to the first corner in the preference order, so
/// the choice is deterministic.
pub(super) fn legend_corner(
    series: &[Prepared],
    (x, y): (&AxisPlan, &AxisPlan),
    style: Style,
    dims: (u32, u32),
    avoid: &[(f64, f64)],
) -> (SeriesLabelPosition, usize) {
    use SeriesLabelPosition::*;
    let (fw, fh) = legend_fraction(series, dims);

    let (xspan, yspan) = (x.hi - x.lo, y.hi - y.lo);
    let norm = |(u, v): (f64, f64)| ((u - x.lo) / xspan, (v - y.lo) / yspan);
    let mut samples: Vec<(f64, f64)> = Vec::new();
    for s in series {
        samples.extend(s.points.iter().map(|&p| norm(p)));
        samples.extend(
            s.band
                .iter()
                .flat_map(|b| [norm((b.0, b.1)), norm((b.0, b.2))]),
        );
        if matches!(style, Style::Lines { .. }) {
            // Sample along segments so long straight lines count too.
            let step = (s.points.len() / 2000).max(1);
            for pair in s.points.windows(2).step_by(step) {
                let (a, b) = (norm(pair[0]), norm(pair[1]));
                for k in 1..8 {
                    let t = k as f64 / 8.0;
                    samples.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
                }
            }
        }
    }

    let corners = [
        (UpperLeft, false, true),
        (UpperRight, true, true),
        (LowerRight, true, false),
        (LowerLeft, false, false),
    ];
    let avoid: Vec<(f64, f64)> = avoid.iter().map(|&p| norm(p)).collect();
    let mut best = ((usize::MAX, usize::MAX), UpperLeft);
    for (pos, right, top) in corners {
        let covers = |points: &[(f64, f64)]| {
            points
                .iter()
                .filter(|&&(u, v)| {
                    let in_x = if right { u >= 1.0 - fw } else { u <= fw };
                    let in_y = if top { v >= 1.0 - fh } else { v <= fh };
                    in_x && in_y
                })
                .count()
        };
        let count = (covers(&samples), covers(&avoid));
        if count < best.0 {
            best = (count, pos);
        }
    }
    (best.1, best.0.0)
}

/// Plans a panel's y axis so that its legend has a free corner: when every corner of the
/// plain range would cover data (flat lines near the top and the bottom, say), the range
/// grows upwards until the legend fits above the data. `dims` is about the plotting area.
pub(super) fn plan_y_with_legend(
    values: &[f64],
    log: bool,
    ticks: usize,
    x: &AxisPlan,
    series: &[Prepared],
    style: Style,
    dims: (u32, u32),
) -> AxisPlan {
    let plan = AxisPlan::new(values, log, ticks);
    if series.is_empty() || !has_data(series) {
        return plan;
    }
    if legend_corner(series, (x, &plan), style, dims, &[]).1 == 0 {
        return plan;
    }
    let (_, fh) = legend_fraction(series, dims);
    if fh >= 0.8 {
        return plan;
    }
    // The data's span takes the lower (1 - fh) of the range, with a little more room.
    let top = plan.lo + (plan.hi - plan.lo) / (1.0 - fh) * 1.1;
    let mut grown = values.to_vec();
    grown.push(top);
    AxisPlan::new(&grown, log, ticks)
}
