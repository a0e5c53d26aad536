//! Series mapped to plot space (log10 on log axes), with points an axis cannot show removed.

use plotters::style::RGBColor;

use super::Series;
use super::style::colour;

/// A series with its points mapped to plot space (log10 for log axes) and
/// invalid points removed.
pub(super) struct Prepared {
    pub(super) name: String,
    pub(super) colour: RGBColor,
    pub(super) points: Vec<(f64, f64)>,
    /// Indices into `points` where the line starts again after values the axis cannot show
    /// (a time bin with nothing observed): the line is broken there, not drawn across.
    pub(super) gaps: Vec<usize>,
    pub(super) band: Vec<(f64, f64, f64)>,
}

impl Prepared {
    /// The points in runs without a gap, in order.
    pub(super) fn segments(&self) -> impl Iterator<Item = &[(f64, f64)]> {
        let starts = std::iter::once(0).chain(self.gaps.iter().copied());
        let ends = self
            .gaps
            .iter()
            .copied()
            .chain(std::iter::once(self.points.len()));
        starts.zip(ends).map(|(a, b)| &self.points[a..b])
    }
}

/// Largest magnitude drawn: beyond it the range arithmetic could overflow.
pub(super) const MAX_MAGNITUDE: f64 = 1e300;

/// Maps a data value to plot space; `None` for values the axis cannot show
/// (non-finite, absurdly large, or not positive on a log axis).
pub(super) fn to_plot(v: f64, log: bool) -> Option<f64> {
    if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
        None
    } else if log {
        (v > 0.0).then(|| v.log10())
    } else {
        Some(v)
    }
}

pub(super) fn prepare(
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
        .map(|(i, s)| {
            let mut points = Vec::with_capacity(s.points.len());
            let mut gaps = Vec::new();
            let mut dropped = false;
            for &(x, y) in &s.points {
                match (to_plot(x, xlog), fy(y)) {
                    (Some(x), Some(y)) => {
                        if dropped && !points.is_empty() {
                            gaps.push(points.len());
                        }
                        dropped = false;
                        points.push((x, y));
                    }
                    _ => dropped = true,
                }
            }
            Prepared {
                name: s.name.clone(),
                colour: colour(i),
                points,
                gaps,
                band: s
                    .band
                    .iter()
                    .flatten()
                    .filter_map(|&(x, lo, hi)| Some((to_plot(x, xlog)?, fy(lo)?, fy(hi)?)))
                    .collect(),
            }
        })
        .collect()
}

pub(super) fn x_values(series: &[Prepared]) -> Vec<f64> {
    series
        .iter()
        .flat_map(|s| {
            let pts = s.points.iter().map(|p| p.0);
            let band = s.band.iter().map(|b| b.0);
            pts.chain(band)
        })
        .collect()
}

pub(super) fn y_values(series: &[Prepared]) -> Vec<f64> {
    series
        .iter()
        .flat_map(|s| {
            let pts = s.points.iter().map(|p| p.1);
            let band = s.band.iter().flat_map(|b| [b.1, b.2]);
            pts.chain(band)
        })
        .collect()
}

pub(super) fn has_data(series: &[Prepared]) -> bool {
    series
        .iter()
        .any(|s| !s.points.is_empty() || !s.band.is_empty())
}
