//! Evaluating a parameter set: the guildsim runs of some measured rows with the parameters
//! at given values, made in the output folder (or found complete there, as a sweep resumes),
//! and their predictions read back from the run folders in row order, so nothing depends on
//! which run finished first.
//!
//! A run's folder is named by its row and a hash of the parameter values
//! (`runs/c007-3f2a1b9c0d/r000`): the same values on the same row are the same run, so a
//! value the optimiser tries again, the final predictions of the fitted rows, and a
//! calibration run again all reuse it.

use super::measurements::Measurements;
use super::metrics::{self, METRICS, MetricId};
use super::mirror::Base;
use super::params::{self, Param};
use crate::config::ConfigErrors;
use crate::identity::sha256_hex;
use crate::metrics::flat;
use crate::sweep::plan::RunSpec;
use crate::sweep::store;
use anyhow::{Context, Result};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

/// What the runs predict for one row: every statistic of [`METRICS`], in microseconds.
#[derive(Clone, Debug)]
pub(crate) struct Prediction {
    pub(crate) values: Vec<Option<f64>>,
}

impl Prediction {
    pub(crate) fn value(&self, m: MetricId) -> Option<f64> {
        self.values[m.0]
    }
}

/// One evaluation of the optimiser's: the values tried and the error on the fitted rows.
#[derive(Clone, Debug)]
pub(crate) struct Evaluation {
    pub(crate) values: Vec<f64>,
    pub(crate) error: f64,
    /// The error of each fitted metric alone (root mean square of its log errors).
    pub(crate) per_metric: Vec<f64>,
    pub(crate) runs: usize,
    pub(crate) reused: usize,
    /// Why guildsim refused the runs of these values (their error is infinite).
    pub(crate) refused: Option<String>,
}

/// A run the calibration made or reused.
#[derive(Clone, Debug)]
pub(crate) struct RunRecord {
    pub(crate) dir: String,
    pub(crate) row: usize,
    pub(crate) parameters: String,
    pub(crate) seed: u64,
}

/// Runs a batch of runs that are not complete yet, writing each into the output folder.
pub(crate) type Execute<'a> = dyn Fn(&[&RunSpec]) -> Result<()> + 'a;

/// Everything needed to evaluate parameter sets, and what has been evaluated.
pub(crate) struct Evaluator<'a> {
    pub(crate) base: &'a Base,
    pub(crate) measurements: &'a Measurements,
    pub(crate) params: &'a [Param],
    pub(crate) fit_rows: &'a [usize],
    pub(crate) fit_metrics: &'a [MetricId],
    pub(crate) out: &'a Path,
    pub(crate) execute: &'a Execute<'a>,
    /// Told of each new evaluation (its index and itself), for progress.
    pub(crate) told: &'a dyn Fn(usize, &Evaluation),
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    evaluations: Vec<Evaluation>,
    /// Parameter text to evaluation index.
    cache: BTreeMap<String, usize>,
    /// Every run, by folder.
    runs: BTreeMap<String, RunRecord>,
    /// The first failure (runs that could not be built, written or read); later evaluations
    /// are not run.
    failed: Option<anyhow::Error>,
}

impl<'a> Evaluator<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        base: &'a Base,
        measurements: &'a Measurements,
        params: &'a [Param],
        fit_rows: &'a [usize],
        fit_metrics: &'a [MetricId],
        out: &'a Path,
        execute: &'a Execute<'a>,
        told: &'a dyn Fn(usize, &Evaluation),
    ) -> Self {
        Evaluator {
            base,
            measurements,
            params,
            fit_rows,
            fit_metrics,
            out,
            execute,
            told,
            state: RefCell::new(State::default()),
        }
    }

    /// The error at the optimiser's coordinates `x` (infinite once something failed).
    pub(crate) fn error_at(&self, x: &[f64]) -> f64 {
        if self.state.borrow().failed.is_some() {
            return f64::INFINITY;
        }
        let values = params::values(self.params, x);
        match self.evaluate(&values) {
            Ok(e) => e,
            Err(e) => {
                self.state.borrow_mut().failed = Some(e);
                f64::INFINITY
            }
        }
    }

    /// The error of `values` on the fitted rows, evaluated once per distinct value set. Values
    /// that make a run guildsim refuses (a uniform cost's minimum above its maximum, say) have
    /// an infinite error, and no runs.
    pub(crate) fn evaluate(&self, values: &[f64]) -> Result<f64> {
        let key = params::text(self.params, values);
        if let Some(&i) = self.state.borrow().cache.get(&key) {
            return Ok(self.state.borrow().evaluations[i].error);
        }
        let evaluation = match self.specs(self.fit_rows, values) {
            Err(refused) => Evaluation {
                values: values.to_vec(),
                error: f64::INFINITY,
                per_metric: vec![f64::INFINITY; self.fit_metrics.len()],
                runs: 0,
                reused: 0,
                refused: Some(refused.to_string()),
            },
            Ok(specs) => {
                let (predictions, runs, reused) = self.run(&specs, &key)?;
                let mut terms = Vec::new();
                let mut per_metric = Vec::new();
                for &m in self.fit_metrics {
                    let mine: Vec<f64> = self
                        .fit_rows
                        .iter()
                        .zip(&predictions)
                        .map(|(&r, p)| {
                            metrics::log_error(self.measurements.rows[r].value(m), p.value(m))
                        })
                        .collect();
                    per_metric.push(metrics::rms(&mine));
                    terms.extend(mine);
                }
                Evaluation {
                    values: values.to_vec(),
                    error: metrics::rms(&terms),
                    per_metric,
                    runs,
                    reused,
                    refused: None,
                }
            }
        };
        let mut state = self.state.borrow_mut();
        let index = state.evaluations.len();
        (self.told)(index, &evaluation);
        state.cache.insert(key, index);
        let error = evaluation.error;
        state.evaluations.push(evaluation);
        Ok(error)
    }

    /// The predictions of `rows` with the parameters at `values`, and how many runs that took
    /// and how many of them were complete already.
    pub(crate) fn predict(
        &self,
        rows: &[usize],
        values: &[f64],
    ) -> Result<(Vec<Prediction>, usize, usize)> {
        let key = params::text(self.params, values);
        let specs = self
            .specs(rows, values)
            .map_err(anyhow::Error::new)
            .with_context(|| format!("the runs with {key} are not valid"))?;
        self.run(&specs, &key)
    }

    /// The runs of `rows` with the parameters at `values`, or why guildsim refuses them.
    fn specs(&self, rows: &[usize], values: &[f64]) -> Result<Vec<RunSpec>, ConfigErrors> {
        let text = params::text(self.params, values);
        let hash = &sha256_hex(text.as_bytes())[..10];
        let settings = params::settings(self.params, values);
        let width = self
            .measurements
            .rows
            .len()
            .saturating_sub(1)
            .to_string()
            .len();
        let first = self.state.borrow().runs.len();
        rows.iter()
            .enumerate()
            .map(|(k, &row)| {
                let dir = format!("runs/c{row:0width$}-{hash}/r000");
                self.base
                    .run(self.measurements, row, &settings, dir, first + k)
            })
            .collect()
    }

    /// Makes the runs of `specs` that are not complete, then reads every prediction back.
    fn run(&self, specs: &[RunSpec], key: &str) -> Result<(Vec<Prediction>, usize, usize)> {
        let todo: Vec<&RunSpec> = specs
            .iter()
            .filter(|r| !store::is_complete(&self.out.join(&r.dir), r))
            .collect();
        let (made, reused) = (todo.len(), specs.len() - todo.len());
        (self.execute)(&todo)?;
        let mut predictions = Vec::new();
        let mut state = self.state.borrow_mut();
        for spec in specs {
            let summary = store::read_summary(&self.out.join(&spec.dir))?;
            let values = METRICS
                .iter()
                .map(|m| {
                    flat::lookup(&summary, m.summary)
                        .flatten()
                        .map(|ms| ms * 1000.0)
                })
                .collect();
            predictions.push(Prediction { values });
            state
                .runs
                .entry(spec.dir.clone())
                .or_insert_with(|| RunRecord {
                    dir: spec.dir.clone(),
                    row: spec.point,
                    parameters: key.to_string(),
                    seed: spec.seed(),
                });
        }
        Ok((predictions, made, reused))
    }

    /// The failure that stopped the evaluations, if any.
    pub(crate) fn take_failure(&self) -> Option<anyhow::Error> {
        self.state.borrow_mut().failed.take()
    }

    /// Every evaluation, in the order they were made.
    pub(crate) fn evaluations(&self) -> Vec<Evaluation> {
        self.state.borrow().evaluations.clone()
    }

    /// Every run made or reused, by folder.
    pub(crate) fn runs(&self) -> Vec<RunRecord> {
        self.state.borrow().runs.values().cloned().collect()
    }

    /// The evaluation with the lowest error (the first of equals).
    pub(crate) fn best(&self) -> Option<Evaluation> {
        let state = self.state.borrow();
        state
            .evaluations
            .iter()
            .fold(None::<&Evaluation>, |best, e| match best {
                Some(b) if b.error <= e.error => Some(b),
                _ => Some(e),
            })
            .cloned()
    }
}
