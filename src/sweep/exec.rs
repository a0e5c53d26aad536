//! Running a sweep: pick this shard's runs, skip those already complete in the output folder
//! (resume), run the rest on `jobs` threads (each run single-threaded), then write the tables
//! and plots, or, for one shard of several, its manifest.
//!
//! Every file a run writes depends only on the run itself, and the tables are read back from
//! the run folders in plan order, so the output is byte-identical for any number of jobs and
//! any split into shards.

use super::aggregate::{self, AGGREGATE_CSV, SWEEP_CSV};
use super::answer::Answer;
use super::charts;
use super::plan::{Plan, RunSpec};
use super::store;
use crate::config::ConfigErrors;
use crate::estimate::{self, Candidate, Estimate, Limits};
use crate::expect::{self, EXPECTATIONS_CSV, PointStats, Verdicts};
use crate::files::atomic::write_atomic;
use crate::files::folder;
use crate::files::lock::{FolderLock, LockMode};
use crate::files::sweep_folder::{self, listed_files};
use crate::files::sweep_manifest::{ListedFile, ShardInfo};
use crate::identity::RESOLVED;
use crate::report::html;
use crate::runner;
use crate::sim::time::secs;
use crate::sim::{Nanos, StopReason};
use anyhow::{Context, Result, bail};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Share `index` (0-based) of `count` shards: the runs whose position modulo `count` is `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with 0 <= I < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("expected I/N (e.g. 0/4), got `{text}`"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("shard index `{i}` is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("shard count `{n}` is not a number"))?;
        if count == 0 {
            return Err("the shard count must be >= 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard {index}/{count}: shard indices are 0-based, 0 to {}; with a Slurm array \
                 numbered from 1, pass $((SLURM_ARRAY_TASK_ID - 1))",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    pub(crate) fn contains(&self, run: &RunSpec) -> bool {
        run.index % self.count == self.index
    }

    fn info(&self) -> Option<ShardInfo> {
        (self.count > 1).then_some(ShardInfo {
            index: self.index,
            count: self.count,
        })
    }
}

/// This shard's runs, split into those still to run and those complete in `out` already.
pub struct Todo<'a> {
    pub run: Vec<&'a RunSpec>,
    pub reused: Vec<&'a RunSpec>,
}

pub fn todo<'a>(plan: &'a Plan, out: &Path, shard: Shard) -> Todo<'a> {
    let (reused, run) = plan
        .runs
        .iter()
        .filter(|r| shard.contains(r))
        .partition(|r| store::is_complete(&out.join(&r.dir), r));
    Todo { run, reused }
}

/// Told what happens while runs execute; called from the worker threads.
pub trait Observer: Sync {
    /// `worker` is running `run` and has reached virtual time `now`; `Break` stops the run
    /// (out of memory), which fails the sweep without writing that run.
    fn progress(&self, _worker: usize, _run: &RunSpec, _now: Nanos) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    /// `worker` finished `run` (its files are written).
    fn finished(&self, _worker: usize, _run: &RunSpec) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// Takes the output folder (exclusively for a whole sweep, shared with the other shards for
/// one shard), refuses it if it holds anything but this experiment's own results as guildsim
/// wrote them (for a shard: of this very configuration), clears what killed processes left
/// there, then writes the top-level `resolved.yaml` and the manifest, so that the folder
/// identifies its experiment before its runs finish. A whole sweep also removes the tables of
/// an earlier sweep there (they are rewritten when every run is done). The folder stays locked
/// until the returned lock is dropped; its notes say what was left alone.
pub fn start(plan: &Plan, out: &Path, shard: Shard) -> Result<FolderLock> {
    let mode = if shard.count == 1 {
        LockMode::Exclusive
    } else {
        LockMode::Shared
    };
    let mut lock = folder::claim_sweep_folder(out, &plan.base.name, mode, &plan.experiment_sha256)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    let earlier = listed_files(out)?;
    if shard.count == 1 {
        lock.notes = sweep_folder::remove_leftovers(out, |_| true)?;
        sweep_folder::remove_listed(out, &earlier, |n| n == SWEEP_CSV || n == AGGREGATE_CSV)?;
    } else {
        let mine: std::collections::BTreeSet<&str> = plan
            .runs
            .iter()
            .filter(|r| shard.contains(r))
            .map(|r| r.dir.as_str())
            .collect();
        lock.notes = sweep_folder::remove_leftovers(out, |run| mine.contains(run))?;
    }
    // The manifest first: from then on the folder is recognisably this experiment's.
    let mut manifest = store::manifest_of(plan, shard.info());
    manifest.files = listed_files(out)?;
    sweep_folder::write_manifest(out, &manifest)?;
    write_atomic(&out.join(RESOLVED), &plan.resolved_yaml)?;
    Ok(lock)
}

/// Runs `runs` on `jobs` threads, writing each into its folder under `out`. The first failure
/// stops the others from starting new runs and is returned.
pub fn run_all(runs: &[&RunSpec], out: &Path, jobs: usize, observer: &dyn Observer) -> Result<()> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for worker in 0..jobs.clamp(1, runs.len().max(1)) {
            let (next, failed, first_error) = (&next, &failed, &first_error);
            scope.spawn(move || {
                while !failed.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(run) = runs.get(i) else { break };
                    if let Err(e) = run_one(run, out, worker, observer) {
                        failed.store(true, Ordering::SeqCst);
                        first_error
                            .lock()
                            .expect("no worker panics holding the lock")
                            .get_or_insert(e);
                    }
                }
            });
        }
    });
    match first_error.into_inner().expect("workers are done") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn run_one(run: &RunSpec, out: &Path, worker: usize, observer: &dyn Observer) -> Result<()> {
    let loaded = run.load().map_err(anyhow::Error::new)?;
    let result = runner::simulate_until(&loaded, |now| observer.progress(worker, run, now))
        .map_err(anyhow::Error::new)?;
    if result.outcome.stop == StopReason::Interrupted {
        bail!(
            "run {} was stopped at {:.3} s of virtual time: the process ran out of the memory \
             it may use (its queues grew past the estimate: an overloaded run keeps queueing); \
             shorten run.horizon_s, set run.event_budget or run fewer --jobs",
            run.dir,
            crate::sim::time::to_secs(result.end_time)
        );
    }
    store::write_run(&out.join(&run.dir), run, &loaded, &result)
        .with_context(|| format!("writing run {}", run.dir))?;
    observer.finished(worker, run);
    Ok(())
}

/// The runs' estimates and how many of them may run at once, at most `jobs`, or why they may
/// not run ([`estimate::admit`]). Each run's experiment is built, estimated and dropped in
/// turn, so that estimating a sweep holds one run at a time.
pub fn admit(runs: &[&RunSpec], jobs: usize, limits: &Limits) -> crate::error::Result<Admitted> {
    let candidates = runs
        .iter()
        .map(|r| {
            let loaded = r.load()?;
            let e = &loaded.experiment;
            Ok(Candidate::in_folder(
                &r.dir,
                estimate::estimate(e),
                e.run.event_budget.is_some(),
            ))
        })
        .collect::<Result<Vec<_>, ConfigErrors>>()?;
    let jobs = estimate::admit(&candidates, jobs, limits)?;
    Ok(Admitted {
        estimates: candidates.into_iter().map(|c| c.estimate).collect(),
        jobs,
    })
}

/// Runs admitted by [`admit`].
pub struct Admitted {
    /// Each run's estimate, in the order of the runs.
    pub(crate) estimates: Vec<Estimate>,
    /// How many run at once.
    pub(crate) jobs: usize,
}

/// The run's virtual horizon, for progress fractions.
pub fn horizon(run: &RunSpec) -> Nanos {
    secs(run.horizon_s)
}

/// After the runs: for a whole sweep, the tables and plots (and stale runs removed); for a
/// shard, nothing more. Returns the files written.
pub fn finish(plan: &Plan, out: &Path, shard: Shard) -> Result<Written> {
    if shard.count > 1 {
        return Ok(Written {
            files: Vec::new(),
            verdicts: None,
            notes: Vec::new(),
            answer: None,
        });
    }
    write_tables(plan, out)
}

/// What [`write_tables`] wrote, and the verdicts of the experiment's `expect:` section (if any)
/// that `expectations.csv` holds.
pub struct Written {
    pub files: Vec<PathBuf>,
    pub verdicts: Option<Verdicts>,
    /// What guildsim found and left alone (files it could not verify).
    pub(crate) notes: Vec<String>,
    /// The answer table of a whole sweep (none for a shard).
    pub answer: Option<Answer>,
}

/// The verdicts of `expect:` at every point of the sweep, if it has expectations.
pub(crate) fn verdicts(plan: &Plan, agg: &aggregate::Aggregate) -> Option<Verdicts> {
    let expect = &plan.base.experiment.expect;
    if expect.is_empty() {
        return None;
    }
    let points: Vec<PointStats> = plan
        .points
        .iter()
        .zip(&agg.points)
        .map(|(point, stats)| PointStats {
            labels: &point.labels,
            stats: expect
                .keys()
                .map(|m| agg.metric_index(m).and_then(|i| stats[i].0.as_ref()))
                .collect(),
        })
        .collect();
    let replications = plan.sweep.replications as usize;
    Some(expect::judge_sweep(
        expect,
        &plan.columns,
        &points,
        replications,
    ))
}

/// Writes `sweep.json`, `sweep.csv`, `aggregate.csv` and the plots of a complete sweep in
/// `out`, removing shard manifests, the plots an earlier version of the experiment declared and
/// runs that are not part of the plan (only what a manifest lists as guildsim's). The manifest
/// lists the new files before they are written, so a kill at any moment leaves nothing unlisted.
pub(crate) fn write_tables(plan: &Plan, out: &Path) -> Result<Written> {
    let agg = aggregate::collect(plan, out)?;
    let mut tables: Vec<(String, Vec<u8>)> = vec![
        (SWEEP_CSV.to_string(), agg.sweep_csv.clone()),
        (
            AGGREGATE_CSV.to_string(),
            aggregate::aggregate_csv(plan, &agg)?,
        ),
    ];
    let verdicts = verdicts(plan, &agg);
    let mut charts = charts::draw(plan, &agg)?;
    charts.extend(super::timelines::draw(plan, out)?);
    let answer = super::answer::answer(plan, &agg);
    let report = super::report::page(plan, &tables[1].1, &charts, verdicts.as_ref(), &answer)?;
    if let Some(v) = &verdicts {
        tables.push((EXPECTATIONS_CSV.to_string(), v.csv()));
    }
    tables.extend(charts.into_iter().map(|(n, svg)| (n, svg.into_bytes())));
    tables.push((html::REPORT.to_string(), report.into_bytes()));
    replace_top_files(
        out,
        &plan.resolved_yaml,
        &tables,
        store::manifest_of(plan, None),
    )?;
    let mut written = vec![out.join(RESOLVED)];
    written.extend(tables.iter().map(|(n, _)| out.join(n)));
    written.push(out.join(store::MANIFEST));
    sweep_folder::remove_shard_manifests(out, &plan.experiment_sha256)?;
    let notes = store::prune_stale(out, plan)?;
    Ok(Written {
        files: written,
        verdicts,
        notes,
        answer: Some(answer),
    })
}

/// Replaces the top-level files of a sweep or search folder with `files`: the manifest lists
/// the earlier files and the new ones (with their records) before anything is written, then
/// `resolved.yaml` and the files are written, the earlier files that are no longer written are
/// removed (each checked against its record), and the manifest lists only the new ones. A kill
/// at any moment leaves nothing unlisted. `manifest` names the experiment whose
/// `resolved.yaml` this is.
pub(crate) fn replace_top_files(
    out: &Path,
    resolved_yaml: &[u8],
    files: &[(String, Vec<u8>)],
    mut manifest: crate::files::sweep_manifest::Manifest,
) -> Result<()> {
    let earlier = listed_files(out)?;
    let new: Vec<ListedFile> = files.iter().map(|(n, b)| ListedFile::of(n, b)).collect();
    // A file about to be replaced must still be the one guildsim wrote.
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let replaced: Vec<ListedFile> = earlier
        .iter()
        .filter(|f| names.contains(&f.name.as_str()))
        .cloned()
        .collect();
    for (name, _) in files {
        let path = out.join(name);
        if std::fs::symlink_metadata(&path).is_ok() {
            let recorded: Vec<_> = replaced
                .iter()
                .filter(|f| &f.name == name)
                .map(ListedFile::recorded)
                .collect();
            let ok = std::fs::read(&path)
                .is_ok_and(|b| path.is_file() && recorded.iter().any(|r| r.matches(&b)));
            if !ok {
                anyhow::bail!(
                    "{} changed after guildsim wrote it (or guildsim did not write it); guildsim \
                     does not replace it: move it away and run again",
                    path.display()
                );
            }
        }
    }
    let mut all: Vec<ListedFile> = earlier.iter().chain(&new).cloned().collect();
    all.sort();
    all.dedup();
    manifest.files = all;
    sweep_folder::write_manifest(out, &manifest)?;
    write_atomic(&out.join(RESOLVED), resolved_yaml)?;
    for (name, bytes) in files {
        write_atomic(&out.join(name), bytes)?;
    }
    sweep_folder::remove_listed(out, &earlier, |n| !names.contains(&n))?;
    manifest.files = new;
    sweep_folder::write_manifest(out, &manifest)
}
