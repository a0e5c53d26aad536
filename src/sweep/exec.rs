//! Running a sweep: pick this shard's runs, skip those already complete in the output folder
//! (resume), run the rest on `jobs` threads (each run single-threaded), then write the tables
//! and plots, or, for one shard of several, its manifest.
//!
//! Every file a run writes depends only on the run itself, and the tables are read back from
//! the run folders in plan order, so the output is byte-identical for any number of jobs and
//! any split into shards.

use super::aggregate::{self, AGGREGATE_CSV, SWEEP_CSV};
use super::charts;
use super::plan::{Plan, RunSpec};
use super::store::{self, Manifest, ShardInfo};
use crate::expect::{self, EXPECTATIONS_CSV, PointStats, Verdicts};
use crate::report::folder::{self, FolderLock, LockMode};
use crate::report::html;
use crate::report::{RESOLVED, atomic::write_atomic};
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

    pub fn contains(&self, run: &RunSpec) -> bool {
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
/// one shard), refuses it if it holds anything but this experiment's own results, removes what
/// killed processes left there, then writes the top-level `resolved.yaml` and the manifest, so
/// that the folder identifies its experiment before its runs finish. A whole sweep also
/// removes the tables of an earlier sweep there (they are rewritten when every run is done).
/// The folder stays locked until the returned lock is dropped.
pub fn start(plan: &Plan, out: &Path, shard: Shard) -> Result<FolderLock> {
    let mode = if shard.count == 1 {
        LockMode::Exclusive
    } else {
        LockMode::Shared
    };
    let lock = folder::claim_sweep_folder(out, &plan.base.name, mode)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    let earlier = listed_files(out)?;
    if shard.count == 1 {
        store::remove_leftovers(out, |_| true)?;
        for name in [SWEEP_CSV, AGGREGATE_CSV] {
            let path = out.join(name);
            if earlier.iter().any(|f| f == name) && path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
    } else {
        let mine: std::collections::BTreeSet<&str> = plan
            .runs
            .iter()
            .filter(|r| shard.contains(r))
            .map(|r| r.dir.as_str())
            .collect();
        store::remove_leftovers(out, |run| mine.contains(run))?;
    }
    // The manifest first: from then on the folder is recognisably this experiment's.
    let mut manifest = Manifest::of(plan, shard.info());
    manifest.files = earlier;
    manifest.write(out)?;
    write_atomic(&out.join(RESOLVED), &plan.resolved_yaml)?;
    Ok(lock)
}

/// The top-level files that the folder's manifests list (tables and plots guildsim wrote).
pub fn listed_files(out: &Path) -> Result<Vec<String>> {
    if !out.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<String> = store::read_manifests(out)?
        .into_iter()
        .flat_map(|(_, m)| m.files)
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
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
    let result = runner::simulate_until(&run.loaded, |now| observer.progress(worker, run, now))
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
    store::write_run(&out.join(&run.dir), run, &result)
        .with_context(|| format!("writing run {}", run.dir))?;
    observer.finished(worker, run);
    Ok(())
}

/// The run's virtual horizon, for progress fractions.
pub fn horizon(run: &RunSpec) -> Nanos {
    secs(run.loaded.experiment.run.horizon_s)
}

/// After the runs: for a whole sweep, the tables and plots (and stale runs removed); for a
/// shard, nothing more. Returns the files written.
pub fn finish(plan: &Plan, out: &Path, shard: Shard) -> Result<Written> {
    if shard.count > 1 {
        return Ok(Written {
            files: Vec::new(),
            verdicts: None,
        });
    }
    write_tables(plan, out)
}

/// What [`write_tables`] wrote, and the verdicts of the experiment's `expect:` section (if any)
/// that `expectations.csv` holds.
pub struct Written {
    pub files: Vec<PathBuf>,
    pub verdicts: Option<Verdicts>,
}

/// The verdicts of `expect:` at every point of the sweep, if it has expectations.
pub fn verdicts(plan: &Plan, agg: &aggregate::Aggregate) -> Option<Verdicts> {
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
pub fn write_tables(plan: &Plan, out: &Path) -> Result<Written> {
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
    let report = super::report::page(plan, &tables[1].1, &charts, verdicts.as_ref())?;
    if let Some(v) = &verdicts {
        tables.push((EXPECTATIONS_CSV.to_string(), v.csv()));
    }
    tables.extend(charts.into_iter().map(|(n, svg)| (n, svg.into_bytes())));
    tables.push((html::REPORT.to_string(), report.into_bytes()));
    let names: Vec<String> = tables.iter().map(|(n, _)| n.clone()).collect();

    let earlier = listed_files(out)?;
    let mut manifest = Manifest::of(plan, None);
    manifest.files = earlier.iter().chain(&names).cloned().collect();
    manifest.files.sort();
    manifest.files.dedup();
    manifest.write(out)?;

    let mut written = vec![out.join(RESOLVED)];
    write_atomic(&out.join(RESOLVED), &plan.resolved_yaml)?;
    for (name, bytes) in &tables {
        let path = out.join(name);
        write_atomic(&path, bytes)?;
        written.push(path);
    }
    for stale in earlier.iter().filter(|f| !names.contains(f)) {
        let path = out.join(stale);
        if path.is_file() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    manifest.files = names;
    manifest.write(out)?;
    written.push(out.join(store::MANIFEST));
    store::remove_shard_manifests(out)?;
    store::prune_stale(out, plan)?;
    Ok(Written {
        files: written,
        verdicts,
    })
}
