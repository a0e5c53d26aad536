//! A sweep's folder on disk: each run's files, the key file that marks a run complete, and the
//! manifests that say which experiment, guildsim version and shard wrote a folder.
//!
//! ```text
//! <out>/resolved.yaml                  the experiment with its sweep, every default written out
//! <out>/sweep.json                     manifest of a whole sweep (shard-I-of-N.json for a shard)
//! <out>/sweep.csv, aggregate.csv, *.svg
//! <out>/runs/<point>/r007/             one run: its usual result files, three .hist files, and
//!                      run-key.txt     written last: version, key, and each file with its size
//! ```
//!
//! A run is complete when its `run-key.txt` names the run's current key and every file it lists
//! exists with the listed size. A run is rewritten from scratch (its folder removed first), so
//! an interrupted run never looks complete.

use super::metrics::HISTOGRAMS;
use super::plan::{Plan, RunSpec, VERSION};
use crate::metrics::DurationHistogram;
use crate::report::{self, atomic::write_atomic};
use crate::runner::RunResult;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

pub const KEY_FILE: &str = "run-key.txt";
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

/// The text of a complete run's key file.
fn key_text(run: &RunSpec, files: &[(String, u64)]) -> String {
    let mut text = format!("guildsim {VERSION}\nkey {}\n", run.key);
    for (name, size) in files {
        text.push_str(&format!("{size} {name}\n"));
    }
    text
}

/// Whether `dir` holds the complete results of `run`.
pub fn is_complete(dir: &Path, run: &RunSpec) -> bool {
    let Ok(text) = fs::read_to_string(dir.join(KEY_FILE)) else {
        return false;
    };
    let mut lines = text.lines();
    if lines.next() != Some(&format!("guildsim {VERSION}")) {
        return false;
    }
    if lines.next() != Some(&format!("key {}", run.key)) {
        return false;
    }
    lines.all(|line| {
        let Some((size, name)) = line.split_once(' ') else {
            return false;
        };
        let size: Option<u64> = size.parse().ok();
        fs::metadata(dir.join(name)).is_ok_and(|m| Some(m.len()) == size)
    })
}

/// Writes every file of a finished run into `dir`, replacing whatever was there; the key file
/// comes last.
pub fn write_run(dir: &Path, run: &RunSpec, result: &RunResult) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    let mut paths = report::write_results(dir, &run.loaded, result)?;
    let rec = &result.world.rec;
    for ((_, file), hist) in HISTOGRAMS
        .iter()
        .zip([&rec.latency, &rec.fanout, &rec.sojourn])
    {
        let path = dir.join(file);
        write_atomic(&path, &hist.to_bytes())?;
        paths.push(path);
    }
    let mut files = Vec::new();
    for path in paths {
        let size = fs::metadata(&path)?.len();
        let name = path
            .file_name()
            .context("result file without a name")?
            .to_string_lossy()
            .into_owned();
        files.push((name, size));
    }
    files.sort();
    write_atomic(&dir.join(KEY_FILE), key_text(run, &files).as_bytes())
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

/// Copies a complete run folder from `from` to `to` (the key file last).
pub fn copy_run(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        fs::remove_dir_all(to).with_context(|| format!("cannot clear {}", to.display()))?;
    }
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut names: Vec<String> = fs::read_dir(from)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.retain(|n| n != KEY_FILE && !n.starts_with('.'));
    names.sort();
    names.push(KEY_FILE.to_string());
    for name in names {
        let bytes = fs::read(from.join(&name))
            .with_context(|| format!("cannot read {}", from.join(&name).display()))?;
        write_atomic(&to.join(&name), &bytes)?;
    }
    Ok(())
}

/// Removes run folders under `out/runs` that are not part of `plan` (left by an earlier
/// version of the experiment); returns how many.
pub fn prune_stale(out: &Path, plan: &Plan) -> Result<usize> {
    let runs = out.join(RUNS);
    if !runs.is_dir() {
        return Ok(0);
    }
    let wanted: std::collections::BTreeSet<&str> =
        plan.runs.iter().map(|r| r.dir.as_str()).collect();
    let points: std::collections::BTreeSet<String> = plan
        .points
        .iter()
        .map(|p| format!("{RUNS}/{}", p.dir))
        .collect();
    let mut removed = 0;
    for point in sorted_entries(&runs)? {
        let rel_point = format!("{RUNS}/{point}");
        let path = runs.join(&point);
        if !points.contains(&rel_point) || !path.is_dir() {
            removed += count_runs(&path);
            remove_path(&path)?;
            continue;
        }
        for rep in sorted_entries(&path)? {
            if !wanted.contains(format!("{rel_point}/{rep}").as_str()) {
                removed += 1;
                remove_path(&path.join(rep))?;
            }
        }
    }
    Ok(removed)
}

fn sorted_entries(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    Ok(names)
}

fn count_runs(path: &Path) -> usize {
    fs::read_dir(path).map(|d| d.count()).unwrap_or(1)
}

fn remove_path(path: &Path) -> Result<()> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    result.with_context(|| format!("cannot remove {}", path.display()))
}
