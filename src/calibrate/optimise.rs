//! The search for the parameter values with the lowest error: argmin's Nelder-Mead simplex
//! (derivative-free: each evaluation is a set of simulations, whose results move in steps
//! as events reorder, so there is no gradient to follow).
//!
//! It works on `x = ln(value / start)` per parameter (`params.rs`), from a first simplex of
//! the start and, for each parameter, the start with that parameter 1.5 times larger. It
//! stops when the errors at the simplex's vertices agree to within 1e-6 (their standard
//! deviation), or after `max_iterations`. Nothing in it is random, so the same inputs give the
//! same evaluations in the same order.

use super::evaluate::Evaluator;
use argmin::core::{CostFunction, Error, Executor, State, TerminationStatus};
use argmin::solver::neldermead::NelderMead;

/// How the search ended.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub(crate) iterations: u64,
    pub(crate) stopped: String,
}

/// The evaluator as argmin's problem.
struct Problem<'e, 'a> {
    evaluator: &'e Evaluator<'a>,
}

impl CostFunction for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Self::Param) -> Result<f64, Error> {
        Ok(self.evaluator.error_at(x))
    }
}

/// Runs Nelder-Mead over `dimensions` parameters; the evaluations are in `evaluator`.
pub(crate) fn minimise(
    evaluator: &Evaluator,
    dimensions: usize,
    max_iterations: u64,
) -> anyhow::Result<Outcome> {
    let start = vec![0.0; dimensions];
    let mut simplex = vec![start.clone()];
    for i in 0..dimensions {
        let mut vertex = start.clone();
        vertex[i] = 1.5f64.ln();
        simplex.push(vertex);
    }
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(1e-6)
        .map_err(|e| anyhow::anyhow!("Nelder-Mead: {e}"))?;
    let result = Executor::new(Problem { evaluator }, solver)
        .configure(|state| state.max_iters(max_iterations))
        .timer(false)
        .run()
        .map_err(|e| anyhow::anyhow!("Nelder-Mead: {e}"))?;
    if let Some(e) = evaluator.take_failure() {
        return Err(e);
    }
    let state = result.state();
    let stopped = match state.get_termination_status() {
        TerminationStatus::Terminated(reason) => reason.to_string(),
        TerminationStatus::NotTerminated => "not terminated".into(),
    };
    Ok(Outcome {
        iterations: state.get_iter(),
        stopped,
    })
}
