//! Timeline charts: several panels stacked on one shared time axis.

use anyhow::Result;
use plotters::prelude::*;

use super::axis::AxisPlan;
use super::legend::plan_y_with_legend;
use super::panel::{PanelSpec, Style, draw_panel};
use super::prepare::{Prepared, prepare, x_values, y_values};
use super::style::{FONT, PANEL_HEIGHT, TITLE_SIZE, WIDTH, X_LABEL_AREA};
use super::{Panel, Scale};

/// Several panels stacked vertically that share one x axis (time). Each panel
/// has its own y axis and legend; only the bottom panel has x tick labels and
/// all panels share the x range (union of all series).
#[cfg(test)]
pub(crate) fn timeline_chart(title: &str, x_label: &str, panels: &[Panel]) -> Result<String> {
    timeline_chart_marked(title, x_label, panels, &[])
}

/// A [`timeline_chart`] with moments marked by vertical lines on every panel (labelled on
/// the top one): storms, restarts, bursts.
pub(crate) fn timeline_chart_marked(
    title: &str,
    x_label: &str,
    panels: &[Panel],
    marks: &[(f64, String)],
) -> Result<String> {
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
                    marks,
                    mark_labels: true,
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
                        marks,
                        mark_labels: i == 0,
                    },
                )?;
            }
        }
        root.present()?;
    }
    Ok(buf)
}
