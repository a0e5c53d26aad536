//! Drawing one panel: mesh, bands, lines or points, the "no data" note and the legend.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{AxisPlan, PlanCoord};
use super::legend::legend_corner;
use super::prepare::{Prepared, has_data};
use super::style::{DESC_SIZE, FONT, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, X_LABEL_AREA};

/// How a panel's series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Lines {
        markers: bool,
    },
    /// One marker per point with its interval as a vertical bar (the band's low and high at
    /// the point's x), no line: values of a categorical axis.
    Points,
    #[cfg(test)]
    Scatter,
}

pub(super) struct PanelSpec<'a> {
    pub(super) caption: Option<&'a str>,
    pub(super) x: &'a AxisPlan,
    pub(super) y: &'a AxisPlan,
    /// `None`: no x tick labels or description (upper timeline panels).
    pub(super) x_desc: Option<&'a str>,
    pub(super) y_desc: &'a str,
    pub(super) series: &'a [Prepared],
    pub(super) style: Style,
    pub(super) y_label_area: u32,
    /// Moments to mark with a vertical line (x in data units), labelled when `mark_labels`.
    pub(super) marks: &'a [(f64, String)],
    pub(super) mark_labels: bool,
}

/// Dash and gap lengths (pixels) of the lines of successive series; a gap of 0 is solid.
const DASHES: [(u32, u32); 4] = [(1, 0), (10, 5), (3, 4), (14, 4)];

/// Where the marks' labels are drawn (points along each, in data space), for the legend to
/// keep clear of them when it can.
fn mark_label_points(spec: &PanelSpec<'_>, (w, _): (u32, u32)) -> Vec<(f64, f64)> {
    if !spec.mark_labels {
        return Vec::new();
    }
    let per_px = (spec.x.hi - spec.x.lo) / w.max(1) as f64;
    let mut points = Vec::new();
    for (k, (at, label)) in spec.marks.iter().enumerate() {
        let y = mark_label_y(spec, k);
        let width = (label.chars().count() as f64 + 1.0) * 7.0 * per_px;
        points.extend((0..=8).map(|i| (at + width * i as f64 / 8.0, y)));
    }
    points
}

/// The height of mark `k`'s label: near the top, staggered so neighbours do not overlap.
fn mark_label_y(spec: &PanelSpec<'_>, k: usize) -> f64 {
    spec.y.hi - (spec.y.hi - spec.y.lo) * (0.03 + 0.06 * (k % 3) as f64)
}

/// Vertical dashed lines at the marks inside the x range, each labelled at the top.
fn draw_marks(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<PlanCoord, PlanCoord>>,
    spec: &PanelSpec<'_>,
) -> Result<()> {
    let grey = RGBColor(90, 90, 90);
    for (k, (at, label)) in spec.marks.iter().enumerate() {
        if !(spec.x.lo..=spec.x.hi).contains(at) {
            continue;
        }
        let line = vec![(*at, spec.y.lo), (*at, spec.y.hi)];
        chart.draw_series(std::iter::once(DashedPathElement::new(
            line,
            6,
            4,
            grey.stroke_width(1),
        )))?;
        if spec.mark_labels {
            let y = mark_label_y(spec, k);
            let style = (FONT, 13)
                .into_font()
                .color(&grey)
                .pos(Pos::new(HPos::Left, VPos::Top));
            chart
                .plotting_area()
                .draw(&Text::new(format!(" {label}"), (*at, y), style))?;
        }
    }
    Ok(())
}

pub(super) fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    spec: &PanelSpec<'_>,
) -> Result<()> {
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
        if s.band.len() >= 2 && spec.style != Style::Points {
            let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (b.0, b.2)).collect();
            poly.extend(s.band.iter().rev().map(|b| (b.0, b.1)));
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                s.colour.mix(0.2).filled(),
            )))?;
        }
    }

    for (i, s) in spec.series.iter().enumerate() {
        let c = s.colour;
        match spec.style {
            Style::Lines { markers } => {
                // Series differ in dash and marker shape too, not only in colour.
                let (dash, gap) = DASHES[i % DASHES.len()];
                let stroke = c.stroke_width(2);
                let mut segments = s.segments();
                let first = segments.next().unwrap_or_default();
                let anno = if gap == 0 {
                    chart.draw_series(LineSeries::new(first.iter().copied(), stroke))?
                } else {
                    chart.draw_series(DashedLineSeries::new(
                        first.iter().copied(),
                        dash,
                        gap,
                        stroke,
                    ))?
                };
                let anno = anno.label(s.name.as_str());
                let line = move |(x, y): (i32, i32)| {
                    let swatch = vec![(0, 0), (24, 0)];
                    EmptyElement::at((x, y))
                        + DashedPathElement::new(swatch, dash.max(1), gap, stroke)
                };
                // Markers: circles, triangles, crosses in turn.
                let shape = i % 3;
                match (markers, shape) {
                    (false, _) => anno.legend(line),
                    (true, 0) => {
                        anno.legend(move |p| line(p) + Circle::new((12, 0), 4, c.filled()))
                    }
                    (true, 1) => {
                        anno.legend(move |p| line(p) + TriangleMarker::new((12, 0), 5, c.filled()))
                    }
                    (true, _) => {
                        anno.legend(move |p| line(p) + Cross::new((12, 0), 4, c.stroke_width(2)))
                    }
                };
                // The line goes on after each gap, without a label of its own.
                for segment in segments {
                    if gap == 0 {
                        chart.draw_series(LineSeries::new(segment.iter().copied(), stroke))?;
                    } else {
                        let line =
                            DashedLineSeries::new(segment.iter().copied(), dash, gap, stroke);
                        chart.draw_series(line)?;
                    }
                }
                // A lone point has no line segment: always mark it.
                if markers || s.segments().any(|segment| segment.len() == 1) {
                    let r = if s.points.len() > 60 { 3 } else { 4 };
                    let pts: Vec<(f64, f64)> = if markers {
                        s.points.clone()
                    } else {
                        s.segments()
                            .filter(|seg| seg.len() == 1)
                            .map(|seg| seg[0])
                            .collect()
                    };
                    let pts = pts.into_iter();
                    match shape {
                        0 => chart.draw_series(pts.map(|p| Circle::new(p, r, c.filled())))?,
                        1 => chart
                            .draw_series(pts.map(|p| TriangleMarker::new(p, r + 1, c.filled())))?,
                        _ => chart.draw_series(pts.map(|p| Cross::new(p, r, c.stroke_width(2))))?,
                    };
                }
            }
            Style::Points => {
                let stroke = c.stroke_width(2);
                // Interval bars with caps about a sixth of a category wide.
                let cap = 0.08;
                for &(x, lo, hi) in &s.band {
                    let bar = [(x, lo), (x, hi)];
                    let top = [(x - cap, hi), (x + cap, hi)];
                    let bottom = [(x - cap, lo), (x + cap, lo)];
                    for path in [bar, top, bottom] {
                        chart.draw_series(std::iter::once(PathElement::new(path, stroke)))?;
                    }
                }
                let shape = i % 3;
                let pts = s.points.iter().copied();
                let anno = match shape {
                    0 => chart.draw_series(pts.map(|p| Circle::new(p, 5, c.filled())))?,
                    1 => chart.draw_series(pts.map(|p| TriangleMarker::new(p, 6, c.filled())))?,
                    _ => chart.draw_series(pts.map(|p| Cross::new(p, 5, c.stroke_width(2))))?,
                };
                let anno = anno.label(s.name.as_str());
                match shape {
                    0 => anno.legend(move |(x, y)| Circle::new((x + 12, y), 5, c.filled())),
                    1 => anno.legend(move |(x, y)| TriangleMarker::new((x + 12, y), 6, c.filled())),
                    _ => anno.legend(move |(x, y)| Cross::new((x + 12, y), 5, c.stroke_width(2))),
                };
            }
            #[cfg(test)]
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

    draw_marks(&mut chart, spec)?;

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
        let dims = chart.plotting_area().dim_in_pixel();
        let labels = mark_label_points(spec, dims);
        let (position, _) = legend_corner(spec.series, (spec.x, spec.y), spec.style, dims, &labels);
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
