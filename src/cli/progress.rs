//! Progress bars on standard error while runs execute: one over a single run's virtual time,
//! one over a whole sweep's estimated work. Hidden with `--quiet`; indicatif draws nothing
//! when standard error is not a terminal.

use guildsim::estimate::Estimate;
use guildsim::sim::Nanos;
use guildsim::sim::time::to_secs;
use guildsim::sweep::exec;
use guildsim::sweep::{Plan, RunSpec};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A single run's bar: virtual time out of the horizon.
pub struct RunBar {
    bar: ProgressBar,
}

impl RunBar {
    pub fn new(horizon: Nanos, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(horizon), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {msg} virtual time (ETA {eta})",
            )
            .expect("valid template"),
        );
        RunBar { bar }
    }

    /// The run has reached virtual time `now`.
    pub fn set(&self, now: Nanos) {
        self.bar.set_position(now);
        self.bar.set_message(format!("{:.2} s", to_secs(now)));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// One progress bar over a whole sweep: its length is the estimated work of the runs to do,
/// so the ETA weighs big runs more than small ones; the message counts runs.
pub struct SweepBar {
    bar: ProgressBar,
    /// Estimated work of each run of the plan (by run index), in microseconds.
    weight: Vec<u64>,
    /// Work done inside the run each worker is on.
    partial: Vec<AtomicU64>,
    done_weight: AtomicU64,
    done_runs: AtomicUsize,
    total_runs: usize,
}

impl SweepBar {
    pub fn new(
        plan: &Plan,
        todo: &[&RunSpec],
        estimates: &[Estimate],
        jobs: usize,
        quiet: bool,
    ) -> Self {
        let mut weight = vec![0; plan.runs.len()];
        for (run, e) in todo.iter().zip(estimates) {
            weight[run.index] = ((e.seconds * 1e6) as u64).max(1);
        }
        let total: u64 = todo.iter().map(|r| weight[r.index]).sum();
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {msg} (ETA {eta})",
            )
            .expect("valid template"),
        );
        bar.set_message(format!("0/{} runs", todo.len()));
        SweepBar {
            bar,
            weight,
            partial: (0..jobs).map(|_| AtomicU64::new(0)).collect(),
            done_weight: AtomicU64::new(0),
            done_runs: AtomicUsize::new(0),
            total_runs: todo.len(),
        }
    }

    fn redraw(&self) {
        let partial: u64 = self.partial.iter().map(|p| p.load(Ordering::Relaxed)).sum();
        self.bar
            .set_position(self.done_weight.load(Ordering::Relaxed) + partial);
    }

    /// `worker`'s run has reached virtual time `now`.
    pub fn progress(&self, worker: usize, run: &RunSpec, now: Nanos) {
        let horizon = exec::horizon(run).max(1);
        let w = self.weight[run.index];
        let part = (w as f64 * (now.min(horizon) as f64 / horizon as f64)) as u64;
        self.partial[worker].store(part, Ordering::Relaxed);
        self.redraw();
    }

    /// `worker` finished `run`.
    pub fn finished(&self, worker: usize, run: &RunSpec) {
        self.partial[worker].store(0, Ordering::Relaxed);
        self.done_weight
            .fetch_add(self.weight[run.index], Ordering::Relaxed);
        let done = self.done_runs.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar
            .set_message(format!("{done}/{} runs", self.total_runs));
        self.redraw();
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
