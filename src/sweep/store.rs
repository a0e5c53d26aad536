//! A sweep's folder on disk: each run's files, the key file that marks a run complete, and the
//! manifests that say which experiment, guildsim version and shard wrote a folder.
//!
//! ```text
//! <out>/resolved.yaml                  the experiment with its sweep, every default written out
//! <out>/sweep.json                     manifest of a whole sweep (shard-I-of-N.json for a shard)
//! <out>/sweep.csv, aggregate.csv, *.svg
//! <out>/runs/<point>/r007/             one run: its usual result files, three .hist files, and
//!                      run-key.txt     written last: version, key, and each file's size and hash
//! ```
//!
//! A run is complete when its `run-key.txt` names the run's current key and every file it lists
//! exists with the listed size and SHA-256. A run is written whole into a staging folder and
//! moved into place, so an interrupted run never looks complete. Only files a manifest lists
//! (or staging folders and temporary files, by their names) are ever removed.

use super::metrics::HISTOGRAMS;
use super::plan::{Plan, RunSpec, VERSION};
use crate::metrics::DurationHistogram;
use crate::report::folder::{self, entries, is_temp_file};
use crate::report::manifest::RunManifest;
use crate::report::{self, RESOLVED, atomic::write_atomic};
use crate::runner::RunResult;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

pub use crate::report::manifest::KEY_FILE;
pub const MANIFEST: &str = "sweep.json";
pub const RUNS: &str = "runs";

/// Which experiment and guildsim version wrote a sweep folder, and which share of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub guildsim: String,
    pub experiment: String,
    /// SHA-256 of the top-level `resolved.yaml`.
    pub experiment_sha256: String,
    pub points: usize,
    pub replications: u32,
    pub runs: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// The tables and plots at the top of the folder that guildsim wrote (or is about to
    /// write): the only top-level files besides manifests and `resolved.yaml` it may remove.
    #[serde(default)]
    pub files: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: usize,
    pub count: usize,
}

impl Manifest {
    pub fn of(plan: &Plan, shard: Option<ShardInfo>) -> Self {
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

    /// The manifest's file name: `sweep.json`, or `shard-I-of-N.json` for a shard.
    pub fn file_name(&self) -> String {
        match self.shard {
            None => MANIFEST.to_string(),
            Some(s) => format!("shard-{}-of-{}.json", s.index, s.count),
        }
    }

    pub fn write(&self, out: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        write_atomic(&out.join(self.file_name()), text.as_bytes())
    }
}

/// Every manifest in `dir` (a whole sweep's and shards'), sorted by file name.
pub fn read_manifests(dir: &Path) -> Result<Vec<(PathBuf, Manifest)>> {
    let mut found = Vec::new();
    let entries =
        fs::read_dir(dir).with_context(|| format!("cannot read folder {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == MANIFEST || (name.starts_with("shard-") && name.ends_with(".json")) {
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let manifest: Manifest = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a guildsim sweep manifest", path.display()))?;
            found.push((path, manifest));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Removes the shard manifests from `dir` (after a merge into it, or a whole run).
pub fn remove_shard_manifests(dir: &Path) -> Result<()> {
    for (path, manifest) in read_manifests(dir)? {
        if manifest.shard.is_some() {
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Whether `dir` holds the complete results of `run`: a manifest with this version and the
/// run's key, and every listed file with its size and SHA-256. `Err` says why not.
pub fn completeness(dir: &Path, run: &RunSpec) -> Result<(), String> {
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
pub fn is_complete(dir: &Path, run: &RunSpec) -> bool {
    completeness(dir, run).is_ok()
}

/// Writes every file of a finished run into `dir`, whole: staged beside it, manifest last,
/// then moved into place (replacing guildsim's own earlier run there).
pub fn write_run(dir: &Path, run: &RunSpec, result: &RunResult) -> Result<()> {
    folder::write_run_folder(dir, &run.key, &run.loaded.name, |staging| {
        let mut names = report::file_names(&report::write_results(staging, &run.loaded, result)?);
        let rec = &result.world.rec;
        for ((_, file), hist) in HISTOGRAMS
            .iter()
            .zip([&rec.latency, &rec.fanout, &rec.sojourn])
        {
            write_atomic(&staging.join(file), &hist.to_bytes())?;
            names.push(file.to_string());
        }
        Ok(names)
    })?;
    Ok(())
}

/// The parsed `summary.json` of a complete run.
pub fn read_summary(dir: &Path) -> Result<serde_json::Value> {
    let path = dir.join(report::SUMMARY);
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// One stored histogram of a complete run.
pub fn read_histogram(dir: &Path, file: &str) -> Result<DurationHistogram> {
    let path = dir.join(file);
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    match DurationHistogram::from_bytes(&bytes) {
        Ok(h) => Ok(h),
        Err(e) => bail!("{}: {e}", path.display()),
    }
}

/// Copies the complete run folder `from` to `to`, whole (the files its manifest lists).
pub fn copy_run(from: &Path, to: &Path) -> Result<()> {
    let m =
        RunManifest::read(from).with_context(|| format!("{} has no {KEY_FILE}", from.display()))?;
    let experiment = m.experiment.clone().unwrap_or_default();
    folder::write_run_folder(to, &m.key, &experiment, |staging| {
        for f in &m.files {
            let bytes = fs::read(from.join(&f.name))
                .with_context(|| format!("cannot read {}", from.join(&f.name).display()))?;
            write_atomic(&staging.join(&f.name), &bytes)?;
        }
        Ok(m.files.iter().map(|f| f.name.clone()).collect())
    })?;
    Ok(())
}

/// Removes run folders under `out/runs` that are not part of `plan` (left by an earlier
/// version of the experiment), and staging folders killed processes left; only folders that
/// guildsim wrote (a run manifest, or a staging name) are touched. Returns how many runs.
pub fn prune_stale(out: &Path, plan: &Plan) -> Result<usize> {
    let wanted: BTreeSet<&str> = plan.runs.iter().map(|r| r.dir.as_str()).collect();
    prune_runs_except(out, &wanted)
}

/// Removes run folders under `out/runs` that `wanted` does not name (`runs/<point>/r007`),
/// as [`prune_stale`] does for a plan (a search names the runs it made).
pub fn prune_runs_except(out: &Path, wanted: &BTreeSet<&str>) -> Result<usize> {
    let runs = out.join(RUNS);
    if !runs.is_dir() {
        return Ok(0);
    }
    let mut removed = 0;
    for point in entries(&runs)? {
        let path = runs.join(&point);
        if !path.is_dir() {
            continue;
        }
        for rep in entries(&path)? {
            let run = path.join(&rep);
            if is_leftover(&rep) {
                remove_path(&run)?;
            } else if !wanted.contains(format!("{RUNS}/{point}/{rep}").as_str()) && is_own_run(&run)
            {
                remove_path(&run)?;
                removed += 1;
            }
        }
        if entries(&path)?.is_empty() {
            fs::remove_dir(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(removed)
}

/// Removes what killed processes left in a sweep folder: temporary files of atomic writes at
/// the top, and staging folders of runs for which `mine` holds (their process is gone: the
/// caller holds the lock that covers those runs).
pub fn remove_leftovers(out: &Path, mine: impl Fn(&str) -> bool) -> Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    for name in entries(out)? {
        if is_temp_file(&name) {
            remove_path(&out.join(name))?;
        }
    }
    let runs = out.join(RUNS);
    if !runs.is_dir() {
        return Ok(());
    }
    for point in entries(&runs)? {
        let path = runs.join(&point);
        if !path.is_dir() {
            continue;
        }
        for rep in entries(&path)? {
            if let Some(run) = leftover_of(&rep)
                && mine(&format!("{RUNS}/{point}/{run}"))
            {
                remove_path(&path.join(&rep))?;
            }
        }
    }
    Ok(())
}

/// Names in a sweep folder that guildsim did not write: not a manifest, `resolved.yaml`, a
/// table or plot a manifest lists, a temporary file, or a run folder with every file listed in
/// its own manifest.
pub fn foreign_in_sweep(out: &Path) -> Result<Vec<String>> {
    let manifests = read_manifests(out)?;
    let listed: BTreeSet<&str> = manifests
        .iter()
        .flat_map(|(_, m)| m.files.iter().map(String::as_str))
        .collect();
    let mut foreign = Vec::new();
    for name in entries(out)? {
        let path = out.join(&name);
        let own = name == RESOLVED
            || is_manifest_name(&name)
            || listed.contains(name.as_str())
            || is_temp_file(&name);
        if own && path.is_file() {
            continue;
        }
        if name == RUNS && path.is_dir() {
            foreign.extend(foreign_in_runs(&path)?);
        } else {
            foreign.push(name);
        }
    }
    Ok(foreign)
}

fn foreign_in_runs(runs: &Path) -> Result<Vec<String>> {
    let mut foreign = Vec::new();
    for point in entries(runs)? {
        let path = runs.join(&point);
        if !path.is_dir() {
            foreign.push(format!("{RUNS}/{point}"));
            continue;
        }
        for rep in entries(&path)? {
            let run = path.join(&rep);
            let rel = format!("{RUNS}/{point}/{rep}");
            if is_leftover(&rep) && run.is_dir() {
                continue;
            }
            match RunManifest::read(&run).filter(|_| run.is_dir()) {
                Some(m) => foreign.extend(
                    folder::foreign_in_run(&run, &m)?
                        .into_iter()
                        .map(|n| format!("{rel}/{n}")),
                ),
                None => foreign.push(rel),
            }
        }
    }
    Ok(foreign)
}

/// The experiment a sweep folder's manifests name, if it has one.
pub fn manifest_experiment(dir: &Path) -> Option<String> {
    read_manifests(dir)
        .ok()?
        .into_iter()
        .next()
        .map(|(_, m)| m.experiment)
}

fn is_manifest_name(name: &str) -> bool {
    name == MANIFEST || (name.starts_with("shard-") && name.ends_with(".json"))
}

/// The run a staging or retired run folder belongs to: `.r007.tmp-123` -> `r007`.
fn leftover_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?;
    let (run, suffix) = rest.rsplit_once('.')?;
    let pid = suffix
        .strip_prefix("tmp-")
        .or_else(|| suffix.strip_prefix("old-"))?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some(run)
}

fn is_leftover(name: &str) -> bool {
    leftover_of(name).is_some()
}

fn is_own_run(path: &Path) -> bool {
    path.is_dir()
        && RunManifest::read(path)
            .is_some_and(|m| folder::foreign_in_run(path, &m).is_ok_and(|f| f.is_empty()))
}

fn remove_path(path: &Path) -> Result<()> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    result.with_context(|| format!("cannot remove {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_and_staging_names() {
        assert!(is_temp_file(".sweep.csv.123.tmp"));
        assert!(!is_temp_file(".sweep.csv.tmp"));
        assert!(!is_temp_file("sweep.csv.1.tmp"));
        assert_eq!(leftover_of(".r007.tmp-55"), Some("r007"));
        assert_eq!(leftover_of(".r007.old-55"), Some("r007"));
        assert_eq!(leftover_of(".r007.tmp-"), None);
        assert_eq!(leftover_of("r007"), None);
    }
}
