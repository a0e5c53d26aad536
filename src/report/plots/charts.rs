//! Single-panel charts: line charts with bands, latency CDFs and scatter plots.

use anyhow::Result;
use plotters::prelude::*;

use super::axis::AxisPlan;
use super::legend::plan_y_with_legend;
use super::panel::{PanelSpec, Style, draw_panel};
use super::prepare::{prepare, x_values, y_values};
use super::style::{HEIGHT, WIDTH};
use super::{Axis, Scale, Series};

/// A line chart: one line (with point markers) per series, legend with series
/// names, optional confidence bands.
pub(crate) fn line_chart(title: &str, x: &Axis, y: &Axis, series: &[Series]) -> Result<String> {
    line_chart_with(title, x, y, series, &LineOptions::default())
}

/// Options of a line chart beyond its axes.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineOptions {
    /// Label the x axis at these values (the swept values) instead of round numbers.
    pub(crate) x_ticks_at: Option<Vec<f64>>,
    /// Start a linear y axis at zero.
    pub(crate) y_from_zero: bool,
    /// Moments to mark with a labelled vertical line (x in data units).
    pub(crate) marks: Vec<(f64, String)>,
    /// A categorical x axis: category `i` is drawn at x = `i` (a series may sit a little to
    /// the side of it), labelled with its name; points with interval bars, no lines.
    pub(crate) x_categories: Option<Vec<String>>,
}

/// [`line_chart`] with options.
pub(crate) fn line_chart_with(
    title: &str,
    x: &Axis,
    y: &Axis,
    series: &[Series],
    options: &LineOptions,
) -> Result<String> {
    let style = match options.x_categories {
        Some(_) => Style::Points,
        None => Style::Lines { markers: true },
    };
    render_single(title, x, y, series, style, None, options)
}

/// Empirical CDF of latency: x axis = latency (label given), y = fraction of
/// deliveries in [0,1]. Each series' points are (x, cumulative fraction)
/// already computed by the caller; drawn as plain lines. x may be log.
pub(crate) fn cdf_chart(title: &str, x: &Axis, series: &[Series]) -> Result<String> {
    let y = Axis {
        label: "fraction of deliveries".to_string(),
        scale: Scale::Linear,
    };
    render_single(
        title,
        x,
        &y,
        series,
        Style::Lines { markers: false },
        Some((0.0, 1.0)),
        &LineOptions::default(),
    )
}

/// Scatter of points (e.g. fan-out duration against guild size), one colour
/// per series, legend.
#[cfg(test)]
pub(crate) fn scatter_chart(title: &str, x: &Axis, y: &Axis, series: &[Series]) -> Result<String> {
    render_single(
        title,
        x,
        y,
        series,
        Style::Scatter,
        None,
        &LineOptions::default(),
    )
}

/// One chart with one panel: the y axis planned so that the legend has a free corner
/// (unless `y_fixed` gives the range).
fn render_single(
    title: &str,
    x: &Axis,
    y: &Axis,
    series: &[Series],
    style: Style,
    y_fixed: Option<(f64, f64)>,
    options: &LineOptions,
) -> Result<String> {
    let xlog = x.scale == Scale::Log;
    let ylog = y.scale == Scale::Log;
    let prepared = prepare(series, xlog, ylog, y_fixed);
    let mut xplan = match &options.x_categories {
        Some(names) => AxisPlan::categories(names),
        None => AxisPlan::new_x(&x_values(&prepared), xlog),
    };
    if let Some(at) = &options.x_ticks_at {
        xplan.ticks_at(at, xlog);
    }
    let yplan = match y_fixed {
        Some((lo, hi)) => AxisPlan::new(&[lo, hi], ylog, 6),
        None => {
            let mut values = y_values(&prepared);
            if options.y_from_zero && !ylog {
                values.push(0.0);
            }
            let plain = AxisPlan::new(&values, ylog, 6);
            // About the plotting area: caption, margins and label areas taken off.
            let dims = (WIDTH - plain.label_area_width() - 36, HEIGHT - 110);
            let mut plan = plan_y_with_legend(&values, ylog, 6, &xplan, &prepared, style, dims);
            if options.y_from_zero && !ylog {
                plan.start_at_zero();
            }
            plan
        }
    };

    // Marks in plot space (log10 of the value on a log axis).
    let marks: Vec<(f64, String)> = options
        .marks
        .iter()
        .filter(|(x, _)| !xlog || *x > 0.0)
        .map(|(x, label)| (if xlog { x.log10() } else { *x }, label.clone()))
        .collect();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        draw_panel(
            &root,
            &PanelSpec {
                caption: Some(title),
                x: &xplan,
                y: &yplan,
                x_desc: Some(&x.label),
                y_desc: &y.label,
                series: &prepared,
                style,
                y_label_area: yplan.label_area_width(),
                marks: &marks,
                mark_labels: true,
            },
        )?;
        root.present()?;
    }
    Ok(buf)
}
