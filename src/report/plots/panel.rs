//! Drawing one panel: mesh, bands, lines or points, the "no data" note and the legend.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::AxisPlan;
use super::legend::legend_corner;
use super::prepare::{Prepared, has_data};
use super::style::{DESC_SIZE, FONT, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE, X_LABEL_AREA};

/// How a panel's series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Lines { markers: bool },
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
