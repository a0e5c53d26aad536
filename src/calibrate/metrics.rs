//! The statistics a measurement and a guildsim run have in common: each measurement column
//! (microseconds) and the `summary.json` metric (milliseconds) that predicts it, and the
//! stated error that a calibration minimises.
//!
//! The error of a prediction `p` of a measured `m` is `ln(p / m)`: symmetric in over- and
//! under-prediction and free of units. The calibration error over a set of rows and metrics
//! is the root mean square of those logarithms, each capped at `ln(100)` in size (a term
//! without a prediction, or with a measured or predicted 0, counts the cap): one badly
//! missed point cannot hide every other.

/// One statistic: the measurement's column and the summary metric that predicts it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Metric {
    pub(crate) column: &'static str,
    pub(crate) summary: &'static str,
}

/// A metric by its index in [`METRICS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MetricId(pub usize);

impl MetricId {
    pub(crate) fn get(self) -> Metric {
        METRICS[self.0]
    }
}

const fn m(column: &'static str, summary: &'static str) -> Metric {
    Metric { column, summary }
}

/// Every statistic calibrate compares, in the measurement format's column order.
pub(crate) const METRICS: &[Metric] = &[
    m("latency_us_mean", "latency_ms.mean"),
    m("latency_us_p50", "latency_ms.p50"),
    m("latency_us_p90", "latency_ms.p90"),
    m("latency_us_p99", "latency_ms.p99"),
    m("latency_us_p999", "latency_ms.p999"),
    m("latency_us_max", "latency_ms.max"),
    m("fanout_us_mean", "fanout_duration_ms.mean"),
    m("fanout_us_p50", "fanout_duration_ms.p50"),
    m("fanout_us_p90", "fanout_duration_ms.p90"),
    m("fanout_us_p99", "fanout_duration_ms.p99"),
    m("fanout_us_p999", "fanout_duration_ms.p999"),
    m("fanout_us_max", "fanout_duration_ms.max"),
    m("presence_latency_us_mean", "presence_latency_ms.mean"),
    m("presence_latency_us_p50", "presence_latency_ms.p50"),
    m("presence_latency_us_p90", "presence_latency_ms.p90"),
    m("presence_latency_us_p99", "presence_latency_ms.p99"),
    m("presence_latency_us_p999", "presence_latency_ms.p999"),
    m("presence_latency_us_max", "presence_latency_ms.max"),
];

/// The metrics fitted when none is named: the targets (mean latency, p99 latency,
/// mean fan-out duration).
pub(crate) const DEFAULT_FIT: [&str; 3] = ["latency_us_mean", "latency_us_p99", "fanout_us_mean"];

/// The metric of a measurement column, or the list of names there are.
pub(crate) fn by_column(name: &str) -> Result<MetricId, String> {
    METRICS
        .iter()
        .position(|m| m.column == name)
        .map(MetricId)
        .ok_or_else(|| {
            format!(
                "`{name}` is not a measured statistic; one of: {}",
                METRICS
                    .iter()
                    .map(|m| m.column)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// A term's size is capped at this (a factor of 100 either way).
pub(crate) fn cap() -> f64 {
    100f64.ln()
}

/// `ln(predicted / measured)`, capped in size; the cap when either is missing or not above 0.
pub(crate) fn log_error(measured: Option<f64>, predicted: Option<f64>) -> f64 {
    match (measured, predicted) {
        (Some(m), Some(p)) if m > 0.0 && p > 0.0 => (p / m).ln().clamp(-cap(), cap()),
        _ => cap(),
    }
}

/// `(predicted - measured) / measured`, when both are known and the measurement is above 0.
pub(crate) fn relative_error(measured: Option<f64>, predicted: Option<f64>) -> Option<f64> {
    match (measured, predicted) {
        (Some(m), Some(p)) if m > 0.0 => Some((p - m) / m),
        _ => None,
    }
}

/// The root mean square of `terms` (0 without any).
pub(crate) fn rms(terms: &[f64]) -> f64 {
    if terms.is_empty() {
        0.0
    } else {
        (terms.iter().map(|t| t * t).sum::<f64>() / terms.len() as f64).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_symmetric_and_capped() {
        let over = log_error(Some(100.0), Some(200.0));
        let under = log_error(Some(200.0), Some(100.0));
        assert!((over + under).abs() < 1e-12 && over > 0.0);
        assert_eq!(log_error(Some(1.0), Some(1e9)), cap());
        assert_eq!(log_error(Some(1.0), None), cap());
        assert_eq!(relative_error(Some(100.0), Some(110.0)), Some(0.1));
        assert_eq!(rms(&[3.0, 4.0]), (12.5f64).sqrt());
    }

    #[test]
    fn every_default_metric_exists() {
        for name in DEFAULT_FIT {
            by_column(name).unwrap();
        }
    }
}
