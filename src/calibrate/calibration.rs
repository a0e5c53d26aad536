//! A finished calibration: its inputs, every evaluation, the fitted values, the predictions of
//! every row with them, and the errors per metric that the tables, plots and report show.

use super::evaluate::{Evaluation, Prediction, RunRecord};
use super::measurements::Measurements;
use super::metrics::{self, METRICS, MetricId};
use super::mirror::Base;
use super::optimise::Outcome;
use super::params::Param;
use super::select::{FitOn, Role};

/// Everything the result files are made from.
pub(crate) struct Calibration<'a> {
    pub(crate) base: &'a Base,
    pub(crate) measurements: &'a Measurements,
    pub(crate) params: &'a [Param],
    pub(crate) fit_on: &'a FitOn,
    pub(crate) roles: &'a [Role],
    pub(crate) fit_metrics: &'a [MetricId],
    pub(crate) evaluations: Vec<Evaluation>,
    pub(crate) best: Evaluation,
    pub(crate) outcome: Outcome,
    /// Per row: the prediction with the fitted values (`None` for excluded rows).
    pub(crate) predictions: Vec<Option<Prediction>>,
    pub(crate) runs: Vec<RunRecord>,
    /// How to repeat it: `guildsim calibrate ...`.
    pub(crate) command: String,
}

/// How well one metric is predicted on one set of rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct MetricErrors {
    /// Rows with a measurement and a prediction.
    pub(crate) count: usize,
    /// Root mean square of the log errors (the calibration's error, for this metric alone).
    pub(crate) rms_log: f64,
    pub(crate) mean_abs_relative: f64,
    pub(crate) max_abs_relative: f64,
    /// The row with the largest relative error.
    pub(crate) worst_row: Option<usize>,
}

impl Calibration<'_> {
    /// The rows in `role`, in row order.
    pub(crate) fn rows_in(&self, role: Role) -> Vec<usize> {
        (0..self.roles.len())
            .filter(|&i| self.roles[i] == role)
            .collect()
    }

    /// The metrics measured in at least one row that is fitted or predicted.
    pub(crate) fn shown_metrics(&self) -> Vec<MetricId> {
        (0..METRICS.len())
            .map(MetricId)
            .filter(|&m| {
                self.measurements
                    .rows
                    .iter()
                    .zip(self.roles)
                    .any(|(r, &role)| role != Role::Excluded && r.value(m).is_some())
            })
            .collect()
    }

    /// The measured and predicted value of `metric` for `row`.
    pub(crate) fn pair(&self, row: usize, metric: MetricId) -> (Option<f64>, Option<f64>) {
        let measured = self.measurements.rows[row].value(metric);
        let predicted = self.predictions[row].as_ref().and_then(|p| p.value(metric));
        (measured, predicted)
    }

    /// The errors of `metric` over the rows in `role`.
    pub(crate) fn errors(&self, role: Role, metric: MetricId) -> MetricErrors {
        let mut e = MetricErrors::default();
        let mut logs = Vec::new();
        let mut sum = 0.0;
        for row in self.rows_in(role) {
            let (m, p) = self.pair(row, metric);
            if m.is_none() {
                continue;
            }
            logs.push(metrics::log_error(m, p));
            if let Some(rel) = metrics::relative_error(m, p) {
                e.count += 1;
                sum += rel.abs();
                if e.worst_row.is_none() || rel.abs() > e.max_abs_relative {
                    e.max_abs_relative = rel.abs();
                    e.worst_row = Some(row);
                }
            }
        }
        e.rms_log = metrics::rms(&logs);
        if e.count > 0 {
            e.mean_abs_relative = sum / e.count as f64;
        }
        e
    }

    /// The calibration error over the held-out rows and the fitted metrics.
    pub(crate) fn held_out_error(&self) -> Option<f64> {
        let mut terms = Vec::new();
        for row in self.rows_in(Role::HeldOut) {
            for &m in self.fit_metrics {
                let (measured, predicted) = self.pair(row, m);
                if measured.is_some() {
                    terms.push(metrics::log_error(measured, predicted));
                }
            }
        }
        (!terms.is_empty()).then(|| metrics::rms(&terms))
    }
}
