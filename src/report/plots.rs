//! Chart rendering for guildsim reports: line charts, latency CDFs, scatter
//! plots and stacked storm timelines. Every chart is rendered to an SVG
//! `String` in memory (the caller writes the file). Output is deterministic:
//! the same input always gives byte-identical SVG.
//!
//! Ticks are computed here (not by plotters) and log axes are drawn by
//! plotting `log10(value)` on a linear coordinate with custom tick labels, so
//! every chart uses one coordinate type and compact labels (`1k`, `10k`, ...).
//! Text needs no font feature: the SVG backend writes `<text>` elements and
//! plotters' built-in size estimate is used for layout.

use anyhow::Result;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One named data series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Optional confidence band as `(x, low, high)`, drawn as a translucent
    /// filled area in the series colour.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

/// Axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
}

/// Axis description: label text and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub label: String,
    pub scale: Scale,
}

/// One panel of a [`timeline_chart`]: its own y axis and series.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub y: Axis,
    pub series: Vec<Series>,
}

const WIDTH: u32 = 900;
const HEIGHT: u32 = 560;
const PANEL_HEIGHT: u32 = 300;
/// Extra height given to the bottom timeline panel for its x tick labels.
const X_LABEL_AREA: u32 = 52;
const FONT: &str = "sans-serif";
const TITLE_SIZE: u32 = 24;
const TICK_SIZE: u32 = 15;
const DESC_SIZE: u32 = 17;
const LEGEND_SIZE: u32 = 15;

/// Fixed palette (Tableau 10); cycles when there are more series.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A line chart: one line (with point markers) per series, legend with series
/// names, optional confidence bands.
pub fn line_chart(title: &str, x: &Axis, y: &Axis, series: &[Series]) -> Result<String> {
    render_single(title, x, y, series, Style::Lines { markers: true }, None)
}

/// Empirical CDF of latency: x axis = latency (label given), y = fraction of
/// deliveries in [0,1]. Each series' points are (x, cumulative fraction)
/// already computed by the caller; drawn as plain lines. x may be log.
pub fn cdf_chart(title: &str, x: &Axis, series: &[Series]) -> Result<String> {
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
    )
}

/// Scatter of points (e.g. fan-out duration against guild size), one colour
/// per series, legend.
pub fn scatter_chart(title: &str, x: &Axis, y: &Axis, series: &[Series]) -> Result<String> {
    render_single(title, x, y, series, Style::Scatter, None)
}

/// Several panels stacked vertically that share one x axis (time). Each panel
/// has its own y axis and legend; only the bottom panel has x tick labels and
/// all panels share the x range (union of all series).
pub fn timeline_chart(title: &str, x_label: &str, panels: &[Panel]) -> Result<String> {
    let n = panels.len().max(1) as u32;
    let height = 40 + PANEL_HEIGHT * n + X_LABEL_AREA;

    let prepared: Vec<Vec<Prepared>> = panels
        .iter()
        .map(|p| prepare(&p.series, false, p.y.scale == Scale::Log, None))
        .collect();
    let all_x: Vec<f64> = prepared.iter().flat_map(|p| x_values(p)).collect();
    let xplan = AxisPlan::new_x(&all_x, false);
    let empty_y = AxisPlan::new(&[], false, 5);
    let plain_y: Vec<AxisPlan> = panels
        .iter()
        .zip(&prepared)
        .map(|(p, s)| AxisPlan::new(&y_values(s), p.y.scale == Scale::Log, 5))
        .collect();
    let y_area = plain_y
        .iter()
        .map(AxisPlan::label_area_width)
        .max()
        .unwrap_or_else(|| empty_y.label_area_width());
    // About each panel's plotting area (margins and label areas taken off).
    let dims = (WIDTH - y_area - 36, PANEL_HEIGHT - 16);
    let yplans: Vec<AxisPlan> = panels
        .iter()
        .zip(&prepared)
        .map(|(p, s)| {
            let log = p.y.scale == Scale::Log;
            plan_y_with_legend(
                &y_values(s),
                log,
                5,
                &xplan,
                s,
                Style::Lines { markers: false },
                dims,
            )
        })
        .collect();
    let y_area = yplans
        .iter()
        .map(AxisPlan::label_area_width)
        .max()
        .unwrap_or(y_area);

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let body = root.titled(title, (FONT, TITLE_SIZE))?;
        if panels.is_empty() {
            draw_panel(
                &body,
                &PanelSpec {
                    caption: None,
                    x: &xplan,
                    y: &empty_y,
                    x_desc: Some(x_label),
                    y_desc: "",
                    series: &[],
                    style: Style::Lines { markers: false },
                    y_label_area: y_area,
                },
            )?;
        } else {
            let mut rest = body;
            let last = panels.len() - 1;
            for (i, (panel, series)) in panels.iter().zip(&prepared).enumerate() {
                let area = if i == last {
                    rest.clone()
                } else {
                    let (top, bottom) = rest.split_vertically(PANEL_HEIGHT);
                    rest = bottom;
                    top
                };
                draw_panel(
                    &area,
                    &PanelSpec {
                        caption: None,
                        x: &xplan,
                        y: &yplans[i],
                        x_desc: (i == last).then_some(x_label),
                        y_desc: &panel.y.label,
                        series,
                        style: Style::Lines { markers: false },
                        y_label_area: y_area,
                    },
                )?;
            }
        }
        root.present()?;
    }
    Ok(buf)
}

// ---------------------------------------------------------------------------
// Rendering internals
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Lines { markers: bool },
    Scatter,
}

/// A series with its points mapped to plot space (log10 for log axes) and
/// invalid points removed.
struct Prepared {
    name: String,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
    band: Vec<(f64, f64, f64)>,
}

/// Largest magnitude drawn: beyond it the range arithmetic could overflow.
const MAX_MAGNITUDE: f64 = 1e300;

/// Maps a data value to plot space; `None` for values the axis cannot show
/// (non-finite, absurdly large, or not positive on a log axis).
fn to_plot(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
        None
    } else if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

fn prepare(
    series: &[Series],
    xlog: bool,
    ylog: bool,
    y_clamp: Option<(f64, f64)>,
) -> Vec<Prepared> {
    let fy = |v: f64| -> Option<f64> {
        let v = match y_clamp {
            Some((lo, hi)) if v.is_finite() => v.clamp(lo, hi),
            _ => v,
        };
        to_plot(v, ylog)
    };
    series
        .iter()
        .enumerate()
        .map(|(i, s)| Prepared {
            name: s.name.clone(),
            colour: colour(i),
            points: s
                .points
                .iter()
                .filter_map(|&(x, y)| Some((to_plot(x, xlog)?, fy(y)?)))
                .collect(),
            band: s
                .band
                .iter()
                .flatten()
                .filter_map(|&(x, lo, hi)| Some((to_plot(x, xlog)?, fy(lo)?, fy(hi)?)))
                .collect(),
        })
        .collect()
}

fn x_values(series: &[Prepared]) -> Vec<f64> {
    series
        .iter()
        .flat_map(|s| {
            let pts = s.points.iter().map(|p| p.0);
            let band = s.band.iter().map(|b| b.0);
            pts.chain(band)
        })
        .collect()
}

fn y_values(series: &[Prepared]) -> Vec<f64> {
    series
        .iter()
        .flat_map(|s| {
            let pts = s.points.iter().map(|p| p.1);
            let band = s.band.iter().flat_map(|b| [b.1, b.2]);
            pts.chain(band)
        })
        .collect()
}

fn has_data(series: &[Prepared]) -> bool {
    series
        .iter()
        .any(|s| !s.points.is_empty() || !s.band.is_empty())
}

fn render_single(
    title: &str,
    x: &Axis,
    y: &Axis,
    series: &[Series],
    style: Style,
    y_fixed: Option<(f64, f64)>,
) -> Result<String> {
    let xlog = x.scale == Scale::Log;
    let ylog = y.scale == Scale::Log;
    let prepared = prepare(series, xlog, ylog, y_fixed);
    let xplan = AxisPlan::new_x(&x_values(&prepared), xlog);
    let yplan = match y_fixed {
        Some((lo, hi)) => AxisPlan::new(&[lo, hi], ylog, 6),
        None => {
            let values = y_values(&prepared);
            let plain = AxisPlan::new(&values, ylog, 6);
            // About the plotting area: caption, margins and label areas taken off.
            let dims = (WIDTH - plain.label_area_width() - 36, HEIGHT - 110);
            plan_y_with_legend(&values, ylog, 6, &xplan, &prepared, style, dims)
        }
    };

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
            },
        )?;
        root.present()?;
    }
    Ok(buf)
}

struct PanelSpec<'a> {
    caption: Option<&'a str>,
    x: &'a AxisPlan,
    y: &'a AxisPlan,
    /// `None`: no x tick labels or description (upper timeline panels).
    x_desc: Option<&'a str>,
    y_desc: &'a str,
    series: &'a [Prepared],
    style: Style,
    y_label_area: u32,
}

fn draw_panel(area: &DrawingArea<SVGBackend<'_>, Shift>, spec: &PanelSpec<'_>) -> Result<()> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(10)
        .margin_right(28)
        .margin_left(8)
        .margin_bottom(if spec.x_desc.is_some() { 6 } else { 0 })
        .y_label_area_size(spec.y_label_area)
        .x_label_area_size(if spec.x_desc.is_some() {
            X_LABEL_AREA
        } else {
            0
        });
    if let Some(caption) = spec.caption {
        builder.caption(caption, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(spec.x.coord(), spec.y.coord())?;

    let xfmt = |v: &f64| spec.x.label(*v);
    let yfmt = |v: &f64| spec.y.label(*v);
    {
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .bold_line_style(BLACK.mix(0.15))
            .light_line_style(BLACK.mix(0.05))
            .axis_style(BLACK.mix(0.6))
            .label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, DESC_SIZE))
            .y_desc(spec.y_desc);
        if let Some(desc) = spec.x_desc {
            mesh.x_desc(desc);
        }
        mesh.draw()?;
    }

    // Confidence bands first, so lines and markers are drawn on top.
    for s in spec.series {
        if s.band.len() >= 2 {
            let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (b.0, b.2)).collect();
            poly.extend(s.band.iter().rev().map(|b| (b.0, b.1)));
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                s.colour.mix(0.2).filled(),
            )))?;
        }
    }

    for s in spec.series {
        let c = s.colour;
        match spec.style {
            Style::Lines { markers } => {
                let anno = chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))?
                    .label(s.name.as_str());
                let line = move |(x, y): (i32, i32)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (20, 0)], c.stroke_width(2))
                };
                if markers {
                    anno.legend(move |p| line(p) + Circle::new((10, 0), 3, c.filled()));
                } else {
                    anno.legend(line);
                }
                // A lone point has no line segment: always mark it.
                if markers || s.points.len() == 1 {
                    let r = if s.points.len() > 60 { 2 } else { 3 };
                    chart.draw_series(s.points.iter().map(|&p| Circle::new(p, r, c.filled())))?;
                }
            }
            Style::Scatter => {
                chart
                    .draw_series(
                        s.points
                            .iter()
                            .map(|&p| Circle::new(p, 3, c.mix(0.8).filled())),
                    )?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
            }
        }
    }

    if spec.x_desc.is_none() {
        // Upper timeline panel: no x axis line, so close the plot with a frame.
        let frame = [(spec.x.lo, spec.y.lo), (spec.x.hi, spec.y.hi)];
        chart.draw_series(std::iter::once(Rectangle::new(frame, BLACK.mix(0.3))))?;
    }

    if !has_data(spec.series) {
        let centre = ((spec.x.lo + spec.x.hi) / 2.0, (spec.y.lo + spec.y.hi) / 2.0);
        let style = (FONT, 22)
            .into_font()
            .color(&BLACK.mix(0.5))
            .pos(Pos::new(HPos::Center, VPos::Center));
        chart
            .plotting_area()
            .draw(&Text::new("no data", centre, style))?;
    }

    if !spec.series.is_empty() {
        let (position, _) = legend_corner(
            spec.series,
            (spec.x, spec.y),
            spec.style,
            chart.plotting_area().dim_in_pixel(),
        );
        chart
            .configure_series_labels()
            .position(position)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, LEGEND_SIZE))
            .draw()?;
    }
    Ok(())
}

/// The legend box's width and height as fractions of a plotting area of `w` x `h` pixels.
fn legend_fraction(series: &[Prepared], (w, h): (u32, u32)) -> (f64, f64) {
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
/// samples (points and points along line segments), and how many it covers.
/// Ties go to the first corner in the preference order, so the choice is
/// deterministic.
fn legend_corner(
    series: &[Prepared],
    (x, y): (&AxisPlan, &AxisPlan),
    style: Style,
    dims: (u32, u32),
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
    let mut best = (usize::MAX, UpperLeft);
    for (pos, right, top) in corners {
        let count = samples
            .iter()
            .filter(|&&(u, v)| {
                let in_x = if right { u >= 1.0 - fw } else { u <= fw };
                let in_y = if top { v >= 1.0 - fh } else { v <= fh };
                in_x && in_y
            })
            .count();
        if count < best.0 {
            best = (count, pos);
        }
    }
    (best.1, best.0)
}

/// Plans a panel's y axis so that its legend has a free corner: when every corner of the
/// plain range would cover data (flat lines near the top and the bottom, say), the range
/// grows upwards until the legend fits above the data. `dims` is about the plotting area.
fn plan_y_with_legend(
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
    if legend_corner(series, (x, &plan), style, dims).1 == 0 {
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

// ---------------------------------------------------------------------------
// Axis ranges, ticks and labels
// ---------------------------------------------------------------------------

/// Range (in plot space), tick positions and tick labels for one axis.
#[derive(Debug, Clone)]
struct AxisPlan {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
    light: Vec<f64>,
}

impl AxisPlan {
    /// Plans an axis from plot-space values (already log10 for log axes).
    fn new(values: &[f64], log: bool, target_ticks: usize) -> Self {
        let (lo, hi) = padded_range(values, log);
        let (ticks, light) = if log {
            log_ticks(lo, hi, target_ticks)
        } else {
            let (bold, light, step) = linear_ticks(lo, hi, target_ticks);
            let ticks = bold
                .into_iter()
                .map(|t| (t, format_linear(t, step)))
                .collect();
            (ticks, light)
        };
        AxisPlan {
            lo,
            hi,
            ticks,
            light,
        }
    }

    /// Plans a horizontal axis, using fewer ticks when the labels would not
    /// fit side by side in the plot width.
    fn new_x(values: &[f64], log: bool) -> Self {
        let mut target = 8;
        loop {
            let plan = Self::new(values, log, target);
            let width: usize = plan
                .ticks
                .iter()
                .map(|t| t.1.chars().count() * 8 + 24)
                .sum();
            if width <= 760 || target <= 2 {
                return plan;
            }
            target -= 1;
        }
    }

    fn coord(&self) -> PlanCoord {
        PlanCoord {
            inner: (self.lo..self.hi).into(),
            bold: self.ticks.iter().map(|t| t.0).collect(),
            light: self.light.clone(),
        }
    }

    /// Label of the tick nearest to `v` (plotters asks only for our ticks).
    fn label(&self, v: f64) -> String {
        self.ticks
            .iter()
            .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }

    /// Pixel width of the y label area: widest tick label plus room for the
    /// rotated axis description.
    fn label_area_width(&self) -> u32 {
        let chars = self
            .ticks
            .iter()
            .map(|t| t.1.chars().count())
            .max()
            .unwrap_or(1);
        (chars as u32 * 8 + 42).max(60)
    }
}

/// A linear f64 coordinate with precomputed key points. (plotters'
/// `WithKeyPoints<RangedCoordf64>` cannot be used: it has no value formatter,
/// so `configure_mesh` is unavailable for it.)
struct PlanCoord {
    inner: RangedCoordf64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for PlanCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// Data range with a small margin; empty data gives a default range and
/// a degenerate range (all values equal) is widened: all zeros (a count that stayed at zero)
/// show as 0 to 1, not around zero.
fn padded_range(values: &[f64], log: bool) -> (f64, f64) {
    let mut it = values.iter().copied().filter(|v| v.is_finite());
    let Some(first) = it.next() else {
        return (-0.05, 1.05);
    };
    let (mut lo, mut hi) = it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let magnitude = lo.abs().max(hi.abs());
    if hi - lo <= magnitude * 1e-9 {
        let mid = (lo + hi) / 2.0;
        if !log && mid == 0.0 {
            (lo, hi) = (0.0, 1.0);
        } else {
            let half = if log { 0.5 } else { mid.abs() * 0.1 };
            lo = mid - half;
            hi = mid + half;
        }
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// The "nice" step (1, 2 or 5 times a power of ten) closest to `raw`.
fn nice_step(raw: f64) -> f64 {
    let base = 10f64.powf(raw.log10().floor());
    let m = raw / base;
    let n = if m < 1.5 {
        1.0
    } else if m < 3.2 {
        2.0
    } else if m < 7.0 {
        5.0
    } else {
        10.0
    };
    n * base
}

/// Bold ticks, light (minor) ticks and the bold step for a linear range.
fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let step = nice_step((hi - lo) / target.max(1) as f64);
    let k0 = (lo / step).ceil() as i64;
    let k1 = (hi / step).floor() as i64;
    if !step.is_finite() || step <= 0.0 || k1.saturating_sub(k0) > 1000 {
        // Defensive: cannot happen for ranges from `padded_range`.
        return (Vec::new(), Vec::new(), 1.0);
    }
    let bold: Vec<f64> = (k0..=k1).map(|k| k as f64 * step).collect();
    let mantissa = (step / 10f64.powf(step.log10().floor())).round() as i64;
    let sub: i64 = if mantissa == 2 { 4 } else { 5 };
    let substep = step / sub as f64;
    let j0 = (lo / substep).ceil() as i64;
    let j1 = (hi / substep).floor() as i64;
    let light = (j0..=j1)
        .filter(|j| j.rem_euclid(sub) != 0)
        .map(|j| j as f64 * substep)
        .collect();
    (bold, light, step)
}

/// Ticks for a log axis; `lo`/`hi` are log10 values.
fn log_ticks(lo: f64, hi: f64, target: usize) -> (Vec<(f64, String)>, Vec<f64>) {
    let in_range = |t: f64| t >= lo - 1e-12 && t <= hi + 1e-12;
    let d_lo = lo.floor() as i64;
    let d_hi = hi.ceil() as i64;
    let decades: Vec<i64> = (d_lo..=d_hi).filter(|&d| in_range(d as f64)).collect();

    if decades.len() >= 3 {
        // Label every decade, or every 2nd, 5th, 10th, 20th, ... one.
        let raw = decades.len().div_ceil(target.max(1)) as i64;
        let stride = [1, 2, 5]
            .iter()
            .flat_map(|&m| (0..6).map(move |e| m * 10i64.pow(e)))
            .filter(|&n| n >= raw)
            .min()
            .unwrap_or(1);
        let (bold, coarse): (Vec<i64>, Vec<i64>) =
            decades.iter().partition(|d| d.rem_euclid(stride) == 0);
        let ticks = bold.iter().map(|&d| (d as f64, format_decade(d))).collect();
        let light = if stride == 1 {
            (d_lo..=d_hi)
                .flat_map(|d| (2..=9).map(move |k| d as f64 + (k as f64).log10()))
                .filter(|&t| in_range(t))
                .collect()
        } else if coarse.len() <= 60 {
            coarse.iter().map(|&d| d as f64).collect()
        } else {
            Vec::new()
        };
        return (ticks, light);
    }

    // Less than ~2 decades: label 1, 2 and 5 times powers of ten.
    let mults = |ks: &'static [u32]| {
        (d_lo..=d_hi)
            .flat_map(move |d| ks.iter().map(move |&k| (d, k)))
            .filter(|&(d, k)| in_range(d as f64 + (k as f64).log10()))
    };
    let bold: Vec<(i64, u32)> = mults(&[1, 2, 5]).collect();
    if bold.len() >= 3 {
        let ticks = bold
            .iter()
            .map(|&(d, k)| {
                let v = k as f64 * 10f64.powi(d as i32);
                (v.log10(), format_sig(v))
            })
            .collect();
        let light = mults(&[3, 4, 6, 7, 8, 9])
            .map(|(d, k)| d as f64 + (k as f64).log10())
            .collect();
        return (ticks, light);
    }

    // Narrow range (less than a factor of ~2.5): linear ticks on the values.
    let (vlo, vhi) = (10f64.powf(lo), 10f64.powf(hi));
    let (bold, light, step) = linear_ticks(vlo, vhi, target.min(5));
    let ticks = bold
        .into_iter()
        .filter(|&v| v > 0.0)
        .map(|v| (v.log10(), format_linear(v, step)))
        .collect();
    let light = light
        .into_iter()
        .filter(|&v| v > 0.0)
        .map(f64::log10)
        .collect();
    (ticks, light)
}

/// Label for `10^d`: compact (`1k`) for everyday magnitudes, else `1e{d}`.
fn format_decade(d: i64) -> String {
    if (-3..15).contains(&d) {
        format_sig(10f64.powi(d as i32))
    } else {
        format!("1e{d}")
    }
}

const SUFFIXES: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];

fn suffix_for(abs: f64) -> (f64, &'static str) {
    SUFFIXES
        .iter()
        .copied()
        .find(|&(div, _)| abs >= div)
        .unwrap_or((1.0, ""))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Scientific notation with `sig` significant digits, e.g. `2.5e-4`.
fn format_sci(v: f64, sig: usize) -> String {
    let s = format!("{:.*e}", sig.saturating_sub(1), v);
    match s.split_once('e') {
        Some((mantissa, exp)) => format!("{}e{}", trim_zeros(mantissa), exp),
        None => s,
    }
}

/// Compact number with up to 3 significant digits: `1k`, `10k`, `2.5M`, `0.25`.
fn format_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e15).contains(&a) {
        return format_sci(v, 3);
    }
    let q = 10f64.powf(a.log10().floor() - 2.0);
    let r = (v / q).round() * q;
    let (div, suffix) = suffix_for(r.abs());
    let scaled = r / div;
    let decimals = (2 - scaled.abs().log10().floor() as i32).max(0) as usize;
    format!("{}{}", trim_zeros(&format!("{scaled:.decimals$}")), suffix)
}

/// Compact label for a linear tick at `v` on a grid of spacing `step`, with
/// just enough decimals to tell neighbouring ticks apart.
fn format_linear(v: f64, step: f64) -> String {
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let e = step.log10().floor() as i32;
    let q = 10f64.powi(e);
    let r = (v / q).round() * q;
    let a = r.abs();
    if a >= 1e15 || step < 1e-4 {
        let sig = (a.log10().floor() as i32 - e + 1).clamp(1, 15) as usize;
        return format_sci(r, sig);
    }
    let (div, suffix) = suffix_for(a);
    let decimals = (div.log10().round() as i32 - e).max(0) as usize;
    format!(
        "{}{}",
        trim_zeros(&format!("{:.*}", decimals, r / div)),
        suffix
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(label: &str, scale: Scale) -> Axis {
        Axis {
            label: label.to_string(),
            scale,
        }
    }

    fn series(name: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.to_string(),
            points,
            band: None,
        }
    }

    /// How the SVG backend writes a text element's content.
    fn text(s: &str) -> String {
        format!(">\n{s}\n</text>")
    }

    /// Common checks: valid SVG start, title and names present, no NaN or
    /// infinite coordinates leaked, and a second render is byte-identical.
    fn check(render: impl Fn() -> Result<String>, title: &str, names: &[&str]) -> String {
        let svg = render().expect("render failed");
        assert!(
            svg.starts_with("<svg"),
            "not an svg: {}",
            &svg[..50.min(svg.len())]
        );
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(title), "title {title:?} missing");
        for name in names {
            assert!(svg.contains(&text(name)), "series name {name:?} missing");
        }
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "non-finite value in svg"
        );
        assert_eq!(svg, render().unwrap(), "render is not deterministic");
        svg
    }

    fn sample_lines() -> Vec<Series> {
        let xs: [f64; 4] = [1_000.0, 10_000.0, 100_000.0, 1_000_000.0];
        vec![
            Series {
                name: "baseline".into(),
                points: xs.iter().map(|&x| (x, x.log10() * 3.0)).collect(),
                band: Some(
                    xs.iter()
                        .map(|&x| (x, x.log10() * 3.0 - 1.0, x.log10() * 3.0 + 1.5))
                        .collect(),
                ),
            },
            series(
                "sharded",
                xs.iter().map(|&x| (x, x.log10() * 2.0)).collect(),
            ),
        ]
    }

    #[test]
    fn line_chart_with_bands_and_log_x() {
        let x = axis("guild size (members)", Scale::Log);
        let y = axis("p99 latency (ms)", Scale::Linear);
        let s = sample_lines();
        let svg = check(
            || line_chart("Latency by guild size", &x, &y, &s),
            "Latency by guild size",
            &["baseline", "sharded"],
        );
        assert!(svg.contains("guild size (members)") && svg.contains("p99 latency (ms)"));
        for label in ["1k", "10k", "100k", "1M"] {
            assert!(svg.contains(&text(label)), "log tick {label} missing");
        }
        assert!(svg.contains("<polygon"), "confidence band not drawn");
        // Legend box: semi-opaque white background.
        assert!(svg.contains(r##"opacity="0.85" fill="#FFFFFF""##));
        assert!(svg.contains("<circle"), "point markers not drawn");
        assert!(!svg.contains("no data"));
    }

    #[test]
    fn log_log_line_chart() {
        let x = axis("members", Scale::Log);
        let y = axis("bytes", Scale::Log);
        let s = vec![series(
            "memory",
            vec![(10.0, 2e3), (100.0, 2e4), (1e3, 2e5), (1e4, 2e6)],
        )];
        let svg = check(|| line_chart("Memory", &x, &y, &s), "Memory", &["memory"]);
        assert!(svg.contains(&text("1M")) && svg.contains(&text("100")));
    }

    #[test]
    fn empty_inputs_render_no_data() {
        let x = axis("x", Scale::Linear);
        let y = axis("y", Scale::Log);
        let cases: Vec<Vec<Series>> = vec![
            vec![],
            vec![series("nothing", vec![])],
            vec![series(
                "all invalid",
                vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
            )],
            // Log y axis: zero and negative values cannot be drawn.
            vec![series("non positive", vec![(1.0, 0.0), (2.0, -5.0)])],
        ];
        for s in &cases {
            let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
            let svg = check(|| line_chart("Empty line", &x, &y, s), "Empty line", &names);
            assert!(svg.contains("no data"));
            let svg = check(
                || scatter_chart("Empty scatter", &x, &y, s),
                "Empty scatter",
                &names,
            );
            assert!(svg.contains("no data"));
            let svg = check(|| cdf_chart("Empty cdf", &x, s), "Empty cdf", &names);
            let expect_empty = s.iter().all(|s| {
                s.points
                    .iter()
                    .all(|p| !p.0.is_finite() || !p.1.is_finite())
            });
            assert_eq!(svg.contains("no data"), expect_empty);
        }
    }

    #[test]
    fn awkward_points() {
        let lin = axis("x", Scale::Linear);
        let log = axis("y", Scale::Log);
        let single = vec![series("single", vec![(5.0, 7.0)])];
        let equal = vec![series("flat", vec![(0.0, 3.0), (1.0, 3.0), (2.0, 3.0)])];
        let zeros = vec![series("zeros", vec![(0.0, 0.0), (0.0, 0.0)])];
        let extreme = vec![series(
            "extreme",
            vec![
                (-1e300, f64::MAX),
                (1e300, -1e300),
                (0.0, f64::MIN_POSITIVE),
            ],
        )];
        let mixed = vec![
            series(
                "mixed",
                vec![
                    (1.0, 10.0),
                    (f64::NAN, 5.0),
                    (2.0, f64::NEG_INFINITY),
                    (3.0, -4.0),
                    (4.0, 0.0),
                    (5.0, 1000.0),
                ],
            ),
            series("tiny", vec![(1.0, 1e-6), (2.0, 2e-6)]),
        ];
        for (s, names) in [
            (&single, vec!["single"]),
            (&equal, vec!["flat"]),
            (&zeros, vec!["zeros"]),
            (&mixed, vec!["mixed", "tiny"]),
            (&extreme, vec!["extreme"]),
        ] {
            for y in [&lin, &log] {
                check(|| line_chart("Awkward", &lin, y, s), "Awkward", &names);
                check(|| scatter_chart("Awkward", &lin, y, s), "Awkward", &names);
                check(|| cdf_chart("Awkward", y, s), "Awkward", &names);
            }
        }
        // A single point on a CDF still shows up as a marker.
        let svg = cdf_chart("One", &lin, &single).unwrap();
        assert!(svg.contains("<circle"));
    }

    #[test]
    fn many_series_cycle_palette() {
        let x = axis("x", Scale::Linear);
        let y = axis("y", Scale::Linear);
        let s: Vec<Series> = (0..12)
            .map(|i| {
                series(
                    &format!("s{i}"),
                    vec![(0.0, i as f64), (1.0, i as f64 + 1.0)],
                )
            })
            .collect();
        let names: Vec<String> = s.iter().map(|s| s.name.clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let svg = check(|| line_chart("Many", &x, &y, &s), "Many", &names);
        // 10 distinct palette colours are used.
        for c in PALETTE {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            assert!(svg.contains(&hex), "colour {hex} unused");
        }
    }

    #[test]
    fn cdf_chart_renders() {
        let x = axis("delivery latency (ms)", Scale::Log);
        let mk = |name: &str, scale: f64| {
            let pts: Vec<(f64, f64)> = (1..=100)
                .map(|i| (scale * (i as f64).powf(1.5), i as f64 / 100.0))
                .collect();
            series(name, pts)
        };
        let s = vec![mk("fanout=direct", 0.5), mk("fanout=relay", 2.0)];
        let svg = check(
            || cdf_chart("Delivery latency CDF", &x, &s),
            "Delivery latency CDF",
            &["fanout=direct", "fanout=relay"],
        );
        assert!(svg.contains("fraction of deliveries"));
        assert!(svg.contains(&text("0.2")) && svg.contains(&text("1")));
    }

    #[test]
    fn scatter_chart_renders() {
        let x = axis("guild size", Scale::Log);
        let y = axis("fan-out duration (ms)", Scale::Linear);
        let s = vec![
            series(
                "region a",
                (1..40)
                    .map(|i| (i as f64 * 2500.0, (i * i) as f64 * 0.3))
                    .collect(),
            ),
            series(
                "region b",
                (1..40)
                    .map(|i| (i as f64 * 3000.0, (i * 7) as f64))
                    .collect(),
            ),
        ];
        let svg = check(
            || scatter_chart("Fan-out vs guild size", &x, &y, &s),
            "Fan-out vs guild size",
            &["region a", "region b"],
        );
        assert!(svg.matches("<circle").count() >= 78);
    }

    fn storm_panels() -> Vec<Panel> {
        let t: Vec<f64> = (0..=120).map(|i| i as f64 * 0.5).collect();
        vec![
            Panel {
                y: axis("sessions online", Scale::Linear),
                series: vec![series(
                    "sessions",
                    t.iter()
                        .map(|&t| (t, 250_000.0 * (1.0 - (-t / 10.0).exp())))
                        .collect(),
                )],
            },
            Panel {
                y: axis("queue depth", Scale::Log),
                series: vec![
                    series(
                        "registry",
                        t.iter()
                            .map(|&t| (t, 1.0 + 5e4 * (-t / 8.0).exp()))
                            .collect(),
                    ),
                    series(
                        "gateway",
                        t.iter()
                            .map(|&t| (t + 2.0, 1.0 + 9e3 * (-t / 5.0).exp()))
                            .collect(),
                    ),
                ],
            },
            Panel {
                y: axis("node memory (MB)", Scale::Linear),
                series: vec![Series {
                    name: "node-1".into(),
                    points: t.iter().map(|&t| (t, 512.0 + t * 3.0)).collect(),
                    band: Some(
                        t.iter()
                            .map(|&t| (t, 500.0 + t * 2.5, 530.0 + t * 3.5))
                            .collect(),
                    ),
                }],
            },
        ]
    }

    #[test]
    fn timeline_renders() {
        let panels = storm_panels();
        let svg = check(
            || timeline_chart("Reconnect storm", "time (s)", &panels),
            "Reconnect storm",
            &["sessions", "registry", "gateway", "node-1"],
        );
        for label in [
            "sessions online",
            "queue depth",
            "node memory (MB)",
            "time (s)",
        ] {
            assert!(svg.contains(label), "{label} missing");
        }
        // Height: 300 px per panel plus title and x label room.
        assert!(svg.contains(&format!(
            "height=\"{}\"",
            40 + 3 * PANEL_HEIGHT + X_LABEL_AREA
        )));
        // x tick labels only once (bottom panel): "60" is the last x tick.
        assert_eq!(svg.matches(&text("60")).count(), 1);
        assert!(!svg.contains("no data"));
    }

    #[test]
    fn timeline_awkward() {
        check(
            || timeline_chart("No panels", "time (s)", &[]),
            "No panels",
            &[],
        );
        let panels = vec![
            Panel {
                y: axis("empty", Scale::Log),
                series: vec![series("ghost", vec![(1.0, 0.0)])],
            },
            Panel {
                y: axis("one", Scale::Linear),
                series: vec![series("lonely", vec![(3.0, 3.0)])],
            },
        ];
        let svg = check(
            || timeline_chart("Sparse", "t", &panels),
            "Sparse",
            &["ghost", "lonely"],
        );
        assert_eq!(svg.matches("no data").count(), 1);
    }

    #[test]
    fn markup_in_text_is_escaped() {
        let x = axis("a < b", Scale::Linear);
        let s = vec![series("p&q", vec![(1.0, 2.0), (2.0, 3.0)])];
        let svg = check(
            || scatter_chart("Tom & \"Jerry\"", &x, &x, &s),
            "Tom &amp; &quot;Jerry&quot;",
            &["p&amp;q"],
        );
        assert!(svg.contains("a &lt; b"));
    }

    #[test]
    fn number_formatting() {
        assert_eq!(format_sig(1000.0), "1k");
        assert_eq!(format_sig(10f64.powf(4.0)), "10k");
        assert_eq!(format_sig(100_000.0), "100k");
        assert_eq!(format_sig(1999.9999), "2k");
        assert_eq!(format_sig(2_500_000.0), "2.5M");
        assert_eq!(format_sig(123_456.0), "123k");
        assert_eq!(format_sig(0.25), "0.25");
        assert_eq!(format_sig(1.0), "1");
        assert_eq!(format_sig(0.0001), "1e-4");
        assert_eq!(format_linear(0.30000000000000004, 0.1), "0.3");
        assert_eq!(format_linear(1500.0, 500.0), "1.5k");
        assert_eq!(format_linear(2000.0, 500.0), "2k");
        assert_eq!(format_linear(-20.0, 10.0), "-20");
        assert_eq!(format_linear(1e-17, 0.2), "0");
        assert_eq!(format_linear(1_000_400.0, 200.0), "1.0004M");
    }

    #[test]
    fn legend_gets_room_above_flat_lines() {
        // Two flat lines, one near the top and one at the bottom: every corner of the plain
        // range holds data, so the range grows upwards and the top corners come free.
        let lines = [
            series(
                "session nodes (max)",
                (0..30).map(|t| (t as f64, 0.187)).collect(),
            ),
            series(
                "guild nodes (max)",
                (0..30).map(|t| (t as f64, 0.104)).collect(),
            ),
        ];
        let prepared = prepare(&lines, false, false, None);
        let x = AxisPlan::new_x(&x_values(&prepared), false);
        let values = y_values(&prepared);
        let style = Style::Lines { markers: false };
        let dims = (800, 284);
        let covered = |y: &AxisPlan| legend_corner(&prepared, (&x, y), style, dims).1;
        let plain = AxisPlan::new(&values, false, 5);
        assert!(covered(&plain) > 0, "the plain range leaves no corner free");
        let planned = plan_y_with_legend(&values, false, 5, &x, &prepared, style, dims);
        assert_eq!(covered(&planned), 0);
        assert!(planned.hi > plain.hi && planned.lo <= plain.lo);
        // A range with a free corner is left as it is.
        let rising = [series(
            "rising",
            (0..30).map(|t| (t as f64, t as f64)).collect(),
        )];
        let prepared = prepare(&rising, false, false, None);
        let values = y_values(&prepared);
        let planned = plan_y_with_legend(&values, false, 5, &x, &prepared, style, dims);
        assert_eq!(planned.hi, AxisPlan::new(&values, false, 5).hi);
    }

    #[test]
    fn ticks_and_ranges() {
        let (lo, hi) = padded_range(&[3.0, 3.0], false);
        assert!(lo < 3.0 && hi > 3.0);
        // A count that stayed at zero: 0 to 1 with the margin, no negative half.
        assert_eq!(padded_range(&[0.0, 0.0], false), (-0.05, 1.05));
        assert_eq!(padded_range(&[], false), (-0.05, 1.05));
        let (bold, _, step) = linear_ticks(0.0, 100.0, 5);
        assert_eq!(step, 20.0);
        assert_eq!(bold, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (ticks, _) = log_ticks(2.9, 6.1, 8);
        let labels: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["1k", "10k", "100k", "1M"]);
        // Narrow log range still gets at least two labelled ticks.
        let (ticks, _) = log_ticks(2.0f64.log10(), 2.3f64.log10(), 6);
        assert!(ticks.len() >= 2, "{ticks:?}");
        // Many decades are thinned out.
        let (ticks, _) = log_ticks(-0.1, 20.1, 8);
        assert!(ticks.len() <= 8 && ticks.len() >= 3, "{ticks:?}");
    }
}
