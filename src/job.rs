//! What `guildsim run` does with an experiment, decided once and admitted once.
//!
//! [`plan`] turns an assembled experiment and the run options into a [`Job`]: a single run (a
//! validated experiment), a sweep (`sweep::Plan`) or a capacity search (`search::SearchPlan`),
//! with its output folder resolved and the options that do not apply to it refused. [`run`]
//! then claims the folder, admits the runs against the memory and work limits
//! ([`estimate::admit`], the one check for every kind: a single run, a sweep's runs, each step
//! of a search), runs them and writes the results. It tells an [`Observer`] what happens as it
//! goes; the command line prints with it, draws progress bars and stops runs that outgrow the
//! memory the process may use. The library decides and runs; the caller only watches.

use crate::config::{self, Assembled, Loaded};
use crate::error::{Refused, Result};
use crate::estimate::{self, Candidate, Estimate, Limits, fmt_bytes};
use crate::expect::Verdicts;
use crate::files::folder;
use crate::files::paths::{self, Resolved};
use crate::report::{self, trace_file};
use crate::runner::{self, RunResult};
use crate::search::{self, SearchPlan};
use crate::sim::time::to_secs;
use crate::sim::{Nanos, StopReason};
use crate::sweep::exec::{self, Todo, Written};
use crate::sweep::{self, Plan, Shard};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// How to run an experiment (`guildsim run`'s options).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The output folder [default: `results/<experiment name>`].
    pub out: Option<PathBuf>,
    /// The `--set` overrides the experiment was assembled with: a sweep or a search refuses
    /// those it would overwrite.
    pub sets: Vec<String>,
    /// Runs at once, at most (sweeps and searches).
    pub jobs: usize,
    /// This share of a sweep's runs only.
    pub shard: Option<Shard>,
    /// Also write a single run's timeline trace to this file.
    pub trace: Option<PathBuf>,
}

/// A planned job.
pub struct Job {
    /// The output folder, resolved.
    pub out: PathBuf,
    /// Runs at once, at most (sweeps and searches; admission may run fewer).
    pub(crate) jobs: usize,
    pub kind: Kind,
}

/// What a job runs.
pub enum Kind {
    /// One run, and the file its timeline trace also goes to (`--trace`), checked.
    Single {
        loaded: Box<Loaded>,
        trace: Option<Resolved>,
    },
    /// Every run of a sweep, or one shard's.
    Sweep { plan: Box<Plan>, shard: Shard },
    /// A capacity search, whole.
    Search { plan: Box<SearchPlan> },
}

/// Decides what `assembled` runs, resolves its output folder and refuses the options that do
/// not apply to it: `--trace` outside a single run, `--shard` outside a sweep, a `--set` that a
/// sweep or search would overwrite. A single run is validated here, cross-field rules included.
pub fn plan(assembled: Assembled, options: &Options) -> Result<Job> {
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&assembled.name));
    let out = paths::resolve(&out, "--out")?.path();
    let trace = match &options.trace {
        Some(file) => Some(trace_file::check_target(file, &out)?),
        None => None,
    };
    let experiment = assembled.path.display().to_string();
    let job = |kind| Job {
        out: out.clone(),
        jobs: options.jobs,
        kind,
    };
    if let Some(plan) = search::plan(&assembled)? {
        if trace.is_some() || options.shard.is_some() {
            return Err(Refused(format!(
                "{experiment} is a capacity search: it runs whole, in one process (--trace and \
                 --shard are for single runs and sweeps)"
            ))
            .into());
        }
        search::plan::check_sets(&plan, &options.sets)?;
        return Ok(job(Kind::Search {
            plan: Box::new(plan),
        }));
    }
    if let Some(plan) = sweep::plan(&assembled)? {
        if trace.is_some() {
            return Err(Refused(format!(
                "--trace traces a single run, but {experiment} is a sweep: set `output.trace` \
                 (`--set output.trace={{}}`) to write trace.json into every run's folder"
            ))
            .into());
        }
        sweep::plan::check_sets(&plan, &options.sets)?;
        return Ok(job(Kind::Sweep {
            plan: Box::new(plan),
            shard: options.shard.unwrap_or(Shard::WHOLE),
        }));
    }
    if options.shard.is_some() {
        return Err(Refused(format!(
            "--shard splits a sweep, but {experiment} has no `sweep:` section"
        ))
        .into());
    }
    let loaded = config::finish(assembled)?;
    runner::precheck(&loaded)?;
    Ok(job(Kind::Single {
        loaded: Box::new(loaded),
        trace,
    }))
}

/// The largest run a search can make, by estimated memory, and its folder: its runs are
/// largest at an end of the bracket, so both ends are estimated at every point.
pub fn largest_search_run(plan: &SearchPlan) -> Result<Option<(String, Estimate)>> {
    let settings = plan.settings;
    let mut largest: Option<(String, Estimate)> = None;
    for p in 0..plan.points.len() {
        for end in [settings.from, settings.to] {
            let runs = plan.runs_at(p, end, 0)?;
            if let Some(run) = runs.first() {
                let e = estimate::estimate(&run.load()?.experiment);
                if largest
                    .as_ref()
                    .is_none_or(|(_, l)| e.memory_bytes > l.memory_bytes)
                {
                    largest = Some((run.dir.clone(), e));
                }
            }
        }
    }
    Ok(largest)
}

/// What was admitted, told before the runs start.
pub enum Admitted<'a> {
    /// A single run and its estimate.
    Single {
        loaded: &'a Loaded,
        estimate: &'a Estimate,
    },
    /// A sweep's runs: those to run (each with its estimate) and those complete already, how
    /// many run at once, and how many were asked for (fewer run when they would not fit).
    Sweep {
        plan: &'a Plan,
        shard: Shard,
        todo: &'a Todo<'a>,
        estimates: &'a [Estimate],
        jobs: usize,
        asked: usize,
    },
}

/// Told what a job does as it goes; every method has a default that ignores it. Runs of sweeps
/// and searches report through the supertraits, from their worker threads.
pub trait Observer: search::exec::Observer {
    /// What guildsim found in the output folder and left alone.
    fn notes(&self, _notes: &[String]) {}
    /// The runs are admitted (a sweep's output folder is not claimed yet).
    fn admitted(&self, _admitted: &Admitted<'_>) {}
    /// The output folder is claimed and the runs start.
    fn starting(&self, _admitted: &Admitted<'_>) {}
    /// A single run has reached virtual time `now`. `Break` with the memory the process holds,
    /// in bytes, stops it: it outgrew the memory it may use, and nothing is written.
    fn single_progress(&self, _now: Nanos) -> ControlFlow<u64> {
        ControlFlow::Continue(())
    }
    /// The runs are over (a single run's or a sweep's; the result files come next).
    fn ran(&self) {}
}

/// What a finished job wrote.
pub enum Done {
    Single(Box<SingleDone>),
    Sweep {
        /// Runs made (the others were complete already).
        ran: usize,
        written: Written,
    },
    Search(search::exec::Finished),
}

/// A finished single run.
pub struct SingleDone {
    pub result: RunResult,
    /// The files written in the run's folder.
    pub files: Vec<PathBuf>,
    /// Where the timeline trace went and how many events it holds, if one was taken.
    pub trace: Option<TraceWritten>,
    /// The verdicts of the experiment's `expect:` section, if it has one.
    pub verdicts: Option<Verdicts>,
}

/// A written timeline trace.
pub struct TraceWritten {
    pub place: PathBuf,
    pub events: u64,
}

/// Runs `job` within `limits`, telling `observer` as it goes, and writes its results.
pub fn run(job: &Job, limits: &Limits, observer: &dyn Observer) -> Result<Done> {
    match &job.kind {
        Kind::Single { loaded, trace } => {
            run_single(loaded, trace.as_ref(), &job.out, limits, observer)
        }
        Kind::Sweep { plan, shard } => run_sweep(plan, *shard, job, limits, observer),
        Kind::Search { plan } => {
            let finished = search::exec::run(plan, &job.out, job.jobs, limits, observer)?;
            observer.notes(&finished.notes);
            Ok(Done::Search(finished))
        }
    }
}

fn run_single(
    loaded: &Loaded,
    trace: Option<&Resolved>,
    out: &Path,
    limits: &Limits,
    observer: &dyn Observer,
) -> Result<Done> {
    let lock = folder::claim_run_folder(out, &loaded.name)?;
    observer.notes(&lock.notes);
    let est = estimate::estimate(&loaded.experiment);
    let budgeted = loaded.experiment.run.event_budget.is_some();
    estimate::admit(
        &[Candidate::single(&loaded.name, est.clone(), budgeted)],
        1,
        limits,
    )?;
    let admitted = Admitted::Single {
        loaded,
        estimate: &est,
    };
    observer.admitted(&admitted);
    observer.starting(&admitted);
    let mut held_bytes = 0;
    let result = runner::prepare(loaded).map(|mut prepared| {
        if trace.is_some() {
            prepared.ensure_trace();
        }
        runner::execute_until(loaded, prepared, |now| {
            observer.single_progress(now).map_break(|bytes| {
                held_bytes = bytes;
            })
        })
    });
    observer.ran();
    let result = result?;
    if result.outcome.stop == StopReason::Interrupted {
        return Err(Refused(format!(
            "the run of {} was stopped at {:.3} s of virtual time: it held {} of memory, more \
             than {} ({}), against an estimate of {} (an overloaded run keeps queueing: \
             registry calls, mailboxes); shorten run.horizon_s or set run.event_budget. No \
             result was written.",
            loaded.name,
            to_secs(result.end_time),
            fmt_bytes(held_bytes),
            limits.memory_what,
            fmt_bytes(limits.memory_bytes),
            fmt_bytes(est.memory_bytes),
        ))
        .into());
    }
    let files = report::write_run(out, loaded, &result)?;
    let stats = match trace {
        Some(file) => Some(trace_file::write_target(file, loaded, &result)?),
        None => None,
    };
    let trace_written = result.world.trace.as_deref().map(|t| TraceWritten {
        place: trace.map_or_else(|| out.join(report::TRACE), Resolved::path),
        events: stats.map_or(t.events(), |s| s.events),
    });
    let verdicts = report::run_verdicts(loaded, &result)?;
    drop(lock);
    Ok(Done::Single(Box::new(SingleDone {
        result,
        files,
        trace: trace_written,
        verdicts,
    })))
}

fn run_sweep(
    plan: &Plan,
    shard: Shard,
    job: &Job,
    limits: &Limits,
    observer: &dyn Observer,
) -> Result<Done> {
    let out = &job.out;
    let todo = exec::todo(plan, out, shard);
    let fitted = exec::admit(&todo.run, job.jobs, limits)?;
    let admitted = Admitted::Sweep {
        plan,
        shard,
        todo: &todo,
        estimates: &fitted.estimates,
        jobs: fitted.jobs,
        asked: job.jobs,
    };
    observer.admitted(&admitted);
    let lock = exec::start(plan, out, shard)?;
    observer.notes(&lock.notes);
    observer.starting(&admitted);
    let ran = exec::run_all(&todo.run, out, fitted.jobs, observer);
    observer.ran();
    ran?;
    let written = exec::finish(plan, out, shard)?;
    observer.notes(&written.notes);
    drop(lock);
    Ok(Done::Sweep {
        ran: todo.run.len(),
        written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LoadOptions;
    use crate::error::Error;

    fn plan_of(file: &str, sets: &[&str], options: Options) -> Result<Job> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("experiments")
            .join(file);
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let load = LoadOptions {
            sets: sets.clone(),
            test_scale: true,
        };
        let out = std::env::temp_dir().join(format!("guildsim-job-{}", std::process::id()));
        let options = Options {
            out: Some(out),
            sets,
            jobs: 1,
            ..options
        };
        plan(config::assemble(&path, &load)?, &options)
    }

    fn refused(result: Result<Job>) -> String {
        match result {
            Err(Error::Refused(r)) => r.0,
            Err(e) => panic!("not a refusal: {e}"),
            Ok(_) => panic!("planned"),
        }
    }

    #[test]
    fn each_experiment_plans_its_kind() {
        let kind = |file| plan_of(file, &[], Options::default()).unwrap().kind;
        assert!(matches!(kind("quickstart.yaml"), Kind::Single { .. }));
        assert!(matches!(
            kind("scaling-guild-size.yaml"),
            Kind::Sweep { shard, .. } if shard == Shard::WHOLE
        ));
        assert!(matches!(
            kind("capacity-guild-size.yaml"),
            Kind::Search { .. }
        ));
    }

    #[test]
    fn options_that_do_not_apply_are_refused() {
        let shard = || Options {
            shard: Some(Shard { index: 0, count: 2 }),
            ..Options::default()
        };
        let trace = || Options {
            trace: Some(std::env::temp_dir().join("guildsim-job-trace.json")),
            ..Options::default()
        };
        let single = refused(plan_of("quickstart.yaml", &[], shard()));
        assert!(single.contains("has no `sweep:` section"), "{single}");
        let sweep = refused(plan_of("scaling-guild-size.yaml", &[], trace()));
        assert!(sweep.starts_with("--trace traces a single run"), "{sweep}");
        for options in [shard(), trace()] {
            let search = refused(plan_of("capacity-guild-size.yaml", &[], options));
            assert!(search.contains("is a capacity search"), "{search}");
        }
    }

    #[test]
    fn a_set_that_a_sweep_would_overwrite_is_refused() {
        let plan = plan_of("scaling-guild-size.yaml", &[], Options::default()).unwrap();
        let Kind::Sweep { plan, .. } = plan.kind else {
            panic!("a sweep")
        };
        // The sweep's own first value: only that it is swept matters.
        let set = format!("{}={}", plan.columns[0], plan.points[0].labels[0]);
        let why = refused(plan_of(
            "scaling-guild-size.yaml",
            &[&set],
            Options::default(),
        ));
        assert!(why.contains("is swept"), "{why}");
    }
}
