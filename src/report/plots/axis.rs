//! Axis ranges, tick positions and tick labels, and the coordinate type every chart uses.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::labels::{format_decade, format_linear, format_sig};

/// Range (in plot space), tick positions and tick labels for one axis.
#[derive(Debug, Clone)]
pub(super) struct AxisPlan {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<(f64, String)>,
    pub(super) light: Vec<f64>,
}

impl AxisPlan {
    /// Plans an axis from plot-space values (already log10 for log axes).
    pub(super) fn new(values: &[f64], log: bool, target_ticks: usize) -> Self {
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

    /// Labels the axis at `values` (data values; log10 of them on a log axis) when there are
    /// at most 12 inside the range, each with a compact label; the round ticks become light
    /// grid lines.
    pub(super) fn ticks_at(&mut self, values: &[f64], log: bool) {
        let mut at: Vec<(f64, String)> = values
            .iter()
            .filter(|v| v.is_finite() && (!log || **v > 0.0))
            .map(|&v| {
                (
                    if log { v.log10() } else { v },
                    super::labels::format_sig(v),
                )
            })
            .filter(|(p, _)| (self.lo..=self.hi).contains(p))
            .collect();
        at.sort_by(|a, b| a.0.total_cmp(&b.0));
        at.dedup_by(|a, b| a.1 == b.1);
        if at.len() < 2 || at.len() > 12 {
            return;
        }
        self.light.extend(self.ticks.iter().map(|t| t.0));
        self.ticks = at;
    }

    /// A categorical axis: category `i` at `i`, labelled with its name, half a category of
    /// room on each side.
    pub(super) fn categories(names: &[String]) -> Self {
        AxisPlan {
            lo: -0.5,
            hi: names.len().max(1) as f64 - 0.5,
            ticks: names
                .iter()
                .enumerate()
                .map(|(i, n)| (i as f64, n.clone()))
                .collect(),
            light: Vec::new(),
        }
    }

    /// Moves the bottom of a linear axis to zero (no tick below it).
    pub(super) fn start_at_zero(&mut self) {
        if self.lo < 0.0 && self.hi > 0.0 {
            self.lo = 0.0;
            self.ticks.retain(|t| t.0 >= 0.0);
            self.light.retain(|&l| l >= 0.0);
        }
    }

    /// Plans a horizontal axis, using fewer ticks when the labels would not
    /// fit side by side in the plot width.
    pub(super) fn new_x(values: &[f64], log: bool) -> Self {
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

    pub(super) fn coord(&self) -> PlanCoord {
        PlanCoord {
            inner: (self.lo..self.hi).into(),
            bold: self.ticks.iter().map(|t| t.0).collect(),
            light: self.light.clone(),
        }
    }

    /// Label of the tick nearest to `v` (plotters asks only for our ticks).
    pub(super) fn label(&self, v: f64) -> String {
        self.ticks
            .iter()
            .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }

    /// Pixel width of the y label area: widest tick label plus room for the
    /// rotated axis description.
    pub(super) fn label_area_width(&self) -> u32 {
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
pub(super) struct PlanCoord {
    inner: RangedCoordf64,
    bold: Vec<f64>,
    pub(super) light: Vec<f64>,
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
pub(super) fn padded_range(values: &[f64], log: bool) -> (f64, f64) {
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
pub(super) fn nice_step(raw: f64) -> f64 {
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
pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>, f64) {
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
pub(super) fn log_ticks(lo: f64, hi: f64, target: usize) -> (Vec<(f64, String)>, Vec<f64>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
