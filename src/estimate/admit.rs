//! Admission: whether runs may start, and how many at once, from their estimates. One check
//! for every kind of job (a single run, a sweep, each step of a search, a calibration's
//! evaluations): the largest run must fit in the memory the process may use, as many run at
//! once as fit, and no run may pass the work limit without a `run.event_budget` or
//! `--allow-long-run`. Also the estimate in words, as `guildsim run` prints it.

use super::{Estimate, check_work, fit_jobs, fmt_bytes, fmt_duration};
use crate::error::Refused;

/// What runs may use. The caller measures the memory (the library never reads the machine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The memory the runs may hold together, in bytes.
    pub memory_bytes: u64,
    /// Where that limit comes from, in messages: `--max-memory`, `the available memory
    /// (MemAvailable)`.
    pub memory_what: String,
    /// Start runs above the work limit even without a `run.event_budget` (`--allow-long-run`).
    pub allow_long_run: bool,
}

impl Limits {
    /// No limit: any memory, any work (for tests and tools that bound their runs otherwise).
    pub fn none() -> Self {
        Limits {
            memory_bytes: u64::MAX,
            memory_what: "unknown".into(),
            allow_long_run: true,
        }
    }
}

/// A run to admit: its estimate, whether it states a `run.event_budget`, and its names in the
/// messages that refuse it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub(crate) estimate: Estimate,
    pub(crate) budgeted: bool,
    /// How the memory refusal names it.
    pub(crate) name: String,
    /// How the work refusal names it.
    pub(crate) work_name: String,
}

impl Candidate {
    /// The run of a single-run experiment: "the run of quickstart".
    pub(crate) fn single(experiment: &str, estimate: Estimate, budgeted: bool) -> Self {
        let name = format!("the run of {experiment}");
        Candidate {
            estimate,
            budgeted,
            work_name: name.clone(),
            name,
        }
    }

    /// A run of a sweep, a search or a calibration, by its folder: "runs/0-.../r000".
    pub(crate) fn in_folder(dir: &str, estimate: Estimate, budgeted: bool) -> Self {
        Candidate {
            estimate,
            budgeted,
            name: dir.to_string(),
            work_name: format!("run {dir}"),
        }
    }
}

/// How many of `runs` may run at once (at most `jobs`, at least 1), or why they may not run:
/// the largest does not fit in `limits.memory_bytes`, or one passes the work limit.
pub fn admit(runs: &[Candidate], jobs: usize, limits: &Limits) -> Result<usize, Refused> {
    let estimates: Vec<Estimate> = runs.iter().map(|r| r.estimate.clone()).collect();
    let names: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();
    let jobs = fit_jobs(
        &estimates,
        &names,
        jobs,
        limits.memory_bytes,
        &limits.memory_what,
    )?;
    for r in runs {
        check_work(&r.estimate, &r.work_name, r.budgeted, limits.allow_long_run)?;
    }
    Ok(jobs)
}

impl Estimate {
    /// The estimate with its main terms: what it holds, what it does, what it writes.
    pub fn describe(&self) -> String {
        format!(
            "about {} of memory, {} ({} sessions, {} online memberships, {} guilds, {} time \
             bins, {} ring points; {:.2e} deliveries, {:.2e} queued events; timeseries.csv up \
             to {})",
            fmt_bytes(self.memory_bytes),
            fmt_seconds(self.seconds),
            self.sessions,
            self.memberships,
            self.guilds,
            self.bins,
            self.ring_points,
            self.deliveries,
            self.events,
            fmt_bytes(self.csv_bytes),
        )
    }
}

/// An estimated duration: "under a second", "about 16 s", "about 2.5 min", "about 3.0 h".
pub fn fmt_seconds(s: f64) -> String {
    if s < 1.0 {
        "under a second".into()
    } else {
        format!("about {}", fmt_duration(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, LoadOptions};
    use std::path::Path;

    fn quickstart() -> Estimate {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/quickstart.yaml");
        let loaded = config::load_experiment(&path, &LoadOptions::default()).unwrap();
        super::super::estimate(&loaded.experiment)
    }

    fn limits(memory_bytes: u64, allow_long_run: bool) -> Limits {
        Limits {
            memory_bytes,
            memory_what: "--max-memory".into(),
            allow_long_run,
        }
    }

    #[test]
    fn as_many_run_at_once_as_fit() {
        let e = quickstart();
        let runs: Vec<Candidate> = (0..4)
            .map(|i| Candidate::in_folder(&format!("r{i}"), e.clone(), false))
            .collect();
        assert_eq!(admit(&runs, 4, &Limits::none()), Ok(4));
        assert_eq!(
            admit(&runs, 4, &limits(2 * e.memory_bytes + 1, false)),
            Ok(2)
        );
        assert_eq!(admit(&[], 3, &limits(1, false)), Ok(3));
    }

    #[test]
    fn a_run_too_large_is_refused_by_its_name() {
        let e = quickstart();
        let single = [Candidate::single("quickstart", e.clone(), false)];
        let refused = admit(&single, 1, &limits(e.memory_bytes - 1, false)).unwrap_err();
        assert!(
            refused.0.starts_with("the run of quickstart needs about"),
            "{refused}"
        );
        assert!(refused.0.contains("but --max-memory is"), "{refused}");
    }

    #[test]
    fn too_much_work_is_refused_unless_budgeted_or_allowed() {
        let mut e = quickstart();
        e.events = 2.0 * super::super::MAX_WORK;
        let refuse = |budgeted, allowed| {
            admit(
                &[Candidate::in_folder("runs/r000", e.clone(), budgeted)],
                1,
                &limits(u64::MAX, allowed),
            )
        };
        let refused = refuse(false, false).unwrap_err();
        assert!(
            refused.0.starts_with("run runs/r000 would handle"),
            "{refused}"
        );
        assert_eq!(refuse(true, false), Ok(1));
        assert_eq!(refuse(false, true), Ok(1));
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(fmt_seconds(0.5), "under a second");
        assert_eq!(fmt_seconds(16.0), "about 16 s");
    }
}
