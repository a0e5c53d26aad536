//! Running a search in its output folder: both ends of every point's bracket in step 0, then
//! one value per unfinished point per step. The runs of one step (all points' together) are
//! admitted against the memory and work limits and run in parallel as a sweep's runs are
//! (`sweep::exec`); steps run in sequence, each reading its verdicts back from the run folders
//! in plan order, so decisions never depend on which run finished first. A run already
//! complete in the folder (an interrupted search, run again) is reused.
//!
//! The folder follows a sweep's rules (`crate::files::folder`): claimed and locked, its manifest
//! (`sweep.json`) written first and listing every top-level file before it is written; only
//! files and runs that guildsim's manifests list are ever removed.

use super::bisect::{Bracket, Status};
use super::plan::SearchPlan;
use super::tables::{self, PointSearch, RunRecord, Tried};
use crate::estimate::Limits;
use crate::files::atomic::write_atomic;
use crate::files::folder;
use crate::files::lock::{FolderLock, LockMode};
use crate::files::sweep_folder::{self, listed_files};
use crate::files::sweep_manifest::Manifest;
use crate::identity::{RESOLVED, VERSION};
use crate::metrics::flat;
use crate::metrics::summary::round6;
use crate::sweep::exec::{self, replace_top_files};
use crate::sweep::plan::RunSpec;
use crate::sweep::store;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a finished search wrote.
pub struct Finished {
    pub searches: Vec<PointSearch>,
    /// Runs made in all, and how many of them were found complete already.
    pub runs: usize,
    pub reused: usize,
    pub files: Vec<PathBuf>,
    /// What guildsim found and left alone (files it could not verify).
    pub(crate) notes: Vec<String>,
}

/// Told what a search does as it goes: each step as it starts, and its runs' progress as a
/// sweep's ([`exec::Observer`]: a `Break` stops the search).
pub trait Observer: exec::Observer {
    /// Step `number` starts: `runs` runs, of which `todo` are not complete in the folder yet.
    fn step(&self, _number: u32, _runs: usize, _todo: usize) {}
}

impl Observer for exec::Silent {}

/// Runs every search of `plan` in `out`: each step's runs that are not complete yet are
/// admitted against `limits` ([`exec::admit`]) and run on at most `jobs` threads.
pub fn run(
    plan: &SearchPlan,
    out: &Path,
    jobs: usize,
    limits: &Limits,
    observer: &dyn Observer,
) -> Result<Finished> {
    let lock = start(plan, out)?;
    let mut searches: Vec<PointSearch> = (0..plan.points.len())
        .map(|_| PointSearch {
            bracket: Bracket::new(plan.settings),
            tried: Vec::new(),
        })
        .collect();
    let (mut made, mut reused) = (Vec::<String>::new(), 0);
    for number in 0.. {
        // (point, value, runs), in point order then value order.
        let mut batch: Vec<(usize, f64, Vec<RunSpec>)> = Vec::new();
        for (p, s) in searches.iter().enumerate() {
            for value in s.bracket.values_to_try() {
                let runs = plan
                    .runs_at(
                        p,
                        value,
                        made.len() + batch.iter().map(|b| b.2.len()).sum::<usize>(),
                    )
                    .map_err(anyhow::Error::new)
                    .with_context(|| format!("search step {number}"))?;
                batch.push((p, value, runs));
            }
        }
        if batch.is_empty() {
            break;
        }
        let all: Vec<&RunSpec> = batch.iter().flat_map(|b| &b.2).collect();
        let todo: Vec<&RunSpec> = all
            .iter()
            .copied()
            .filter(|r| !store::is_complete(&out.join(&r.dir), r))
            .collect();
        reused += all.len() - todo.len();
        observer.step(number, all.len(), todo.len());
        let admitted = exec::admit(&todo, jobs, limits)?;
        exec::run_all(&todo, out, admitted.jobs, observer)?;
        for (p, value, runs) in &batch {
            let records: Vec<RunRecord> = runs
                .iter()
                .map(|r| read_metric(plan, out, r))
                .collect::<Result<_>>()?;
            let mean = mean(&records);
            // A value where a run does not keep up is beyond capacity, whatever its latency
            // (bounded by the run's length) reads.
            let saturated = records.iter().any(|r| r.keeps_up == Some(false));
            let within = !saturated && plan.within(mean);
            made.extend(runs.iter().map(|r| r.dir.clone()));
            searches[*p].tried.push(Tried {
                step: number,
                value: *value,
                mean,
                interval: tables::combined_interval(&records),
                saturated,
                within,
                bracket: (None, None),
                runs: records,
            });
        }
        for (p, s) in searches.iter_mut().enumerate() {
            let start = s.tried.len() - batch.iter().filter(|b| b.0 == p).count();
            if start == s.tried.len() {
                continue;
            }
            let verdicts: Vec<(f64, bool)> = s.tried[start..]
                .iter()
                .map(|t| (t.value, t.within))
                .collect();
            s.bracket.record(&verdicts);
            let bounds = s.bracket.bounds();
            for t in &mut s.tried[start..] {
                t.bracket = bounds;
            }
        }
    }
    debug_assert!(
        searches
            .iter()
            .all(|s| s.bracket.status != Status::Searching)
    );
    let (files, mut notes) = write_tables(plan, out, &searches, &made)?;
    notes.splice(0..0, lock.notes.iter().cloned());
    Ok(Finished {
        runs: made.len(),
        reused,
        searches,
        files,
        notes,
    })
}

/// A run's metric from its `summary.json` (`None`: no observations).
fn read_metric(plan: &SearchPlan, out: &Path, run: &RunSpec) -> Result<RunRecord> {
    let summary = store::read_summary(&out.join(&run.dir))?;
    let metric = &plan.search.metric;
    let get = |name: &str| flat::lookup(&summary, name).flatten();
    // A steady-state metric has its interval beside it (`steady.latency_ms.p99_low`).
    let (low, high) = if metric.starts_with("steady.") {
        (
            get(&format!("{metric}_low")),
            get(&format!("{metric}_high")),
        )
    } else {
        (None, None)
    };
    Ok(RunRecord {
        replication: run.replication,
        seed: run.seed(),
        run: run.dir.clone(),
        value: get(metric),
        keeps_up: get("keeps_up.all").map(|v| v > 0.5),
        low,
        high,
        end_time_s: get("stop.end_time_s"),
        until: summary
            .pointer("/until/stopped_by")
            .and_then(|v| v.as_str())
            .map(str::to_string),
    })
}

/// The mean over the replications, if every one has a value.
fn mean(records: &[RunRecord]) -> Option<f64> {
    let values: Option<Vec<f64>> = records.iter().map(|r| r.value).collect();
    let values = values?;
    (!values.is_empty()).then(|| round6(values.iter().sum::<f64>() / values.len() as f64))
}

fn manifest(plan: &SearchPlan, runs: usize) -> Manifest {
    Manifest {
        guildsim: VERSION.to_string(),
        experiment: plan.base.name.clone(),
        experiment_sha256: plan.experiment_sha256.clone(),
        points: plan.points.len(),
        replications: plan.search.replications,
        runs,
        shard: None,
        files: Vec::new(),
    }
}

/// Claims and locks the folder (refusing anything but this experiment's own results as
/// guildsim wrote them), clears what killed processes left and removes the result files of an
/// earlier search (they would not match the runs while this one runs, each checked against its
/// record), and writes the manifest and `resolved.yaml`.
fn start(plan: &SearchPlan, out: &Path) -> Result<FolderLock> {
    let mut lock = folder::claim_sweep_folder(
        out,
        &plan.base.name,
        LockMode::Exclusive,
        &plan.experiment_sha256,
    )?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    lock.notes = sweep_folder::remove_leftovers(out, |_| true)?;
    let earlier = listed_files(out)?;
    sweep_folder::remove_listed(out, &earlier, |n| n.starts_with("search"))?;
    let mut m = manifest(plan, 0);
    m.files = listed_files(out)?
        .into_iter()
        .filter(|f| !f.name.starts_with("search"))
        .collect();
    sweep_folder::write_manifest(out, &m)?;
    write_atomic(&out.join(RESOLVED), &plan.resolved_yaml)?;
    Ok(lock)
}

/// Writes the result files (listed in the manifest first, then written), then removes the
/// files and runs of earlier versions of the experiment that this search did not make (only
/// what a manifest of guildsim's records, each checked). Returns the files and notes on what
/// was left alone.
fn write_tables(
    plan: &SearchPlan,
    out: &Path,
    searches: &[PointSearch],
    made: &[String],
) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let files = tables::files(plan, searches)?;
    replace_top_files(out, &plan.resolved_yaml, &files, manifest(plan, made.len()))?;
    let mut written = vec![out.join(RESOLVED)];
    written.extend(files.iter().map(|(n, _)| out.join(n)));
    written.push(out.join(store::MANIFEST));
    sweep_folder::remove_shard_manifests(out, &plan.experiment_sha256)?;
    let wanted: BTreeSet<&str> = made.iter().map(String::as_str).collect();
    let (_, notes) = sweep_folder::prune_runs_except(out, &wanted)?;
    Ok((written, notes))
}
