//! Chart sizes, fonts and the series palette.

use plotters::style::RGBColor;

pub(super) const WIDTH: u32 = 900;
pub(super) const HEIGHT: u32 = 560;
pub(super) const PANEL_HEIGHT: u32 = 300;
/// Extra height given to the bottom timeline panel for its x tick labels.
pub(super) const X_LABEL_AREA: u32 = 52;
pub(super) const FONT: &str = "sans-serif";
pub(super) const TITLE_SIZE: u32 = 24;
pub(super) const TICK_SIZE: u32 = 15;
pub(super) const DESC_SIZE: u32 = 17;
pub(super) const LEGEND_SIZE: u32 = 15;

/// Fixed palette (Tableau 10); cycles when there are more series.
pub(super) const PALETTE: [RGBColor; 10] = [
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

pub(super) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}
