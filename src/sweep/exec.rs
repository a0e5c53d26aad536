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
use crate::report::{RESOLVED, atomic::write_atomic};
use crate::runner;
use crate::sim::Nanos;
use crate::sim::time::secs;
use anyhow::{Context, Result};
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
    /// `worker` is running `run` and has reached virtual time `now`.
    fn progress(&self, _worker: usize, _run: &RunSpec, _now: Nanos) {}
    /// `worker` finished `run` (its files are written).
    fn finished(&self, _worker: usize, _run: &RunSpec) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// Writes the top-level `resolved.yaml` and the manifest, so that a folder identifies its
/// experiment even before its runs finish, and removes tables left by an earlier sweep there
/// (they are rewritten when every run is done).
pub fn start(plan: &Plan, out: &Path, shard: Shard) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    if shard.count == 1 {
        for name in [SWEEP_CSV, AGGREGATE_CSV] {
            let path = out.join(name);
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
    }
    write_atomic(&out.join(RESOLVED), &plan.resolved_yaml)?;
    Manifest::of(plan, shard.info()).write(out)
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
    let result = runner::simulate(&run.loaded, |now| observer.progress(worker, run, now))
        .map_err(anyhow::Error::new)?;
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
pub fn finish(plan: &Plan, out: &Path, shard: Shard) -> Result<Vec<PathBuf>> {
    if shard.count > 1 {
        return Ok(Vec::new());
    }
    write_tables(plan, out)
}

/// Writes `sweep.json`, `sweep.csv`, `aggregate.csv` and the plots of a complete sweep in
/// `out`, removing shard manifests and runs that are not part of the plan.
pub fn write_tables(plan: &Plan, out: &Path) -> Result<Vec<PathBuf>> {
    let agg = aggregate::collect(plan, out)?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let path = out.join(name);
        write_atomic(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    put(RESOLVED, &plan.resolved_yaml)?;
    put(SWEEP_CSV, &agg.sweep_csv)?;
    put(AGGREGATE_CSV, &aggregate::aggregate_csv(plan, &agg)?)?;
    let mut charts = charts::draw(plan, &agg)?;
    charts.extend(super::timelines::draw(plan, out)?);
    for (name, svg) in &charts {
        put(name, svg.as_bytes())?;
    }
    // Plots an earlier version of the experiment declared.
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(name) = name
            && name.ends_with(".svg")
            && !charts.iter().any(|(c, _)| *c == name)
        {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Manifest::of(plan, None).write(out)?;
    written.push(out.join(store::MANIFEST));
    store::remove_shard_manifests(out)?;
    store::prune_stale(out, plan)?;
    Ok(written)
}
