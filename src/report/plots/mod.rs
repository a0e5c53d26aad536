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
//!
//! Modules: `charts.rs` (single-panel charts: lines, CDFs, scatter plots), `timeline.rs`
//! (stacked panels on one time axis), `prepare.rs` (series mapped to plot space), `panel.rs`
//! (drawing one panel), `legend.rs` (where the legend goes, and room for it), `axis.rs`
//! (ranges and ticks), `labels.rs` (compact tick labels), `style.rs` (sizes, fonts, palette).

mod axis;
mod charts;
mod labels;
mod legend;
mod panel;
mod prepare;
mod style;
#[cfg(test)]
mod tests;
mod timeline;

#[cfg(test)]
pub(crate) use charts::scatter_chart;
pub(crate) use charts::{LineOptions, cdf_chart, line_chart, line_chart_with};
#[cfg(test)]
pub(crate) use timeline::timeline_chart;
pub(crate) use timeline::timeline_chart_marked;

/// One named data series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, f64)>,
    /// Optional confidence band as `(x, low, high)`, drawn as a translucent
    /// filled area in the series colour.
    pub(crate) band: Option<Vec<(f64, f64, f64)>>,
}

/// Axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    Linear,
    Log,
}

/// Axis description: label text and scale.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub(crate) label: String,
    pub(crate) scale: Scale,
}

/// One panel of a [`timeline_chart`]: its own y axis and series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Panel {
    pub(crate) y: Axis,
    pub(crate) series: Vec<Series>,
}
