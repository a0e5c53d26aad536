//! A sweep's runs on disk: the files of one run (its usual result files and three `.hist`
//! files), when a run is complete, and copying a complete run. The folder's layout and what
//! guildsim may touch in it are `files::sweep_folder`'s.
//!
//! A run is complete when its `run-key.txt` names the run's current key and every file it lists
//! exists with the listed size and SHA-256. A run is written whole into a staging folder and
//! moved into place, so an interrupted run never looks complete.

use super::metrics::HISTOGRAMS;
use super::plan::{Plan, RunSpec};
use crate::config::Loaded;
use crate::files::folder;
use crate::files::manifest::RunManifest;
use crate::files::sweep_folder;
use crate::files::sweep_manifest::{Manifest, ShardInfo};
use crate::identity::VERSION;
use crate::metrics::DurationHistogram;
use crate::report;
use crate::runner::RunResult;
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

pub(crate) use crate::files::manifest::KEY_FILE;
pub(crate) use crate::files::sweep_manifest::MANIFEST;

/// The manifest of `plan`'s folder (of one shard, or the whole sweep), listing no files yet.
pub(crate) fn manifest_of(plan: &Plan, shard: Option<ShardInfo>) -> Manifest {
    Manifest {
        guildsim: VERSION.to_string(),
        experiment: plan.base.name.clone(),
        experiment_sha256: plan.experiment_sha256.clone(),
        points: plan.points.len(),
        replications: plan.sweep.replications,
        runs: plan.runs.len(),
        shard,
        files: Vec::new(),
    }
}

/// Whether `dir` holds the complete results of `run`: a manifest with this version and the
/// run's key, and every listed file with its size and SHA-256. `Err` says why not.
pub(crate) fn completeness(dir: &Path, run: &RunSpec) -> Result<(), String> {
    let Some(m) = RunManifest::read(dir) else {
        return Err(format!("{} has no {KEY_FILE}", run.dir));
    };
    if m.version != VERSION || m.key != run.key {
        return Err(format!(
            "{} was written for another version or experiment",
            run.dir
        ));
    }
    m.verify(dir).map_err(|e| format!("{}: {e}", run.dir))
}

/// Whether `dir` holds the complete results of `run`.
pub(crate) fn is_complete(dir: &Path, run: &RunSpec) -> bool {
    completeness(dir, run).is_ok()
}

/// Writes every file of a finished run into `dir`, whole: staged beside it, manifest last,
/// then moved into place (replacing guildsim's own earlier run there).
pub(crate) fn write_run(
    dir: &Path,
    run: &RunSpec,
    loaded: &Loaded,
    result: &RunResult,
) -> Result<()> {
    folder::write_run_folder(dir, &run.key, &loaded.name, |staging| {
        report::write_results(staging, loaded, result)?;
        let rec = &result.world.rec;
        for ((_, file), hist) in HISTOGRAMS
            .iter()
            .zip([&rec.latency, &rec.fanout, &rec.sojourn])
        {
            staging.write(file, &hist.to_bytes())?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The parsed `summary.json` of a complete run.
pub(crate) fn read_summary(dir: &Path) -> Result<serde_json::Value> {
    let path = dir.join(report::SUMMARY);
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// One stored histogram of a complete run.
pub(crate) fn read_histogram(dir: &Path, file: &str) -> Result<DurationHistogram> {
    let path = dir.join(file);
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    match DurationHistogram::from_bytes(&bytes) {
        Ok(h) => Ok(h),
        Err(e) => bail!("{}: {e}", path.display()),
    }
}

/// Copies the complete run folder `from` to `to`, whole (the files its manifest lists).
pub(crate) fn copy_run(from: &Path, to: &Path) -> Result<()> {
    let m =
        RunManifest::read(from).with_context(|| format!("{} has no {KEY_FILE}", from.display()))?;
    folder::write_run_folder(to, &m.key, &m.experiment, |staging| {
        for f in &m.files {
            let bytes = fs::read(from.join(&f.name))
                .with_context(|| format!("cannot read {}", from.join(&f.name).display()))?;
            if !f.recorded.matches(&bytes) {
                bail!(
                    "{} changed while it was copied",
                    from.join(&f.name).display()
                );
            }
            staging.write(&f.name, &bytes)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Removes run folders under `out/runs` that are not part of `plan` (left by an earlier
/// version of the experiment), and staging folders killed processes left, each cleared file by
/// file against its records. Returns notes on what was left.
pub(crate) fn prune_stale(out: &Path, plan: &Plan) -> Result<Vec<String>> {
    let wanted: BTreeSet<&str> = plan.runs.iter().map(|r| r.dir.as_str()).collect();
    Ok(sweep_folder::prune_runs_except(out, &wanted)?.1)
}
