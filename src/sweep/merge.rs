//! `guildsim merge`: combine the folders of a sweep's shards (or of interrupted runs of it)
//! into the files one process would have written. The plan is rebuilt from the shards'
//! `resolved.yaml`, every run is taken from the first folder that holds it complete, and the
//! tables are written by the same code as a whole sweep's. Folders from different experiments,
//! configurations or guildsim versions are refused, and so is a merge with a run missing or
//! damaged: every check is made before anything is written, so a refused merge leaves nothing
//! behind.

use super::exec;
use super::plan::{self, Plan};
use super::store;
use crate::config::{self, LoadOptions};
use crate::files::folder;
use crate::files::lock::LockMode;
use crate::files::manifest::RunManifest;
use crate::files::sweep_folder;
use crate::files::sweep_manifest::{Manifest, read_manifests};
use crate::identity::{RESOLVED, VERSION, sha256_hex};
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

/// What a merge did.
pub struct MergeReport {
    pub runs: usize,
    /// Runs copied into the output folder (the others were there already).
    pub copied: usize,
    pub files: Vec<PathBuf>,
    /// The verdicts of the experiment's `expect:` section, if it has one.
    pub verdicts: Option<crate::expect::Verdicts>,
    /// What guildsim found and left alone (files it could not verify).
    pub notes: Vec<String>,
}

/// Merges the sweep folders `dirs` into `out` (which may be one of them).
pub fn merge(dirs: &[PathBuf], out: &Path) -> crate::error::Result<MergeReport> {
    Ok(merge_folders(dirs, out)?)
}

fn merge_folders(dirs: &[PathBuf], out: &Path) -> Result<MergeReport> {
    let Some(first_dir) = dirs.first() else {
        bail!("name at least one folder to merge");
    };
    let mut manifests: Vec<(PathBuf, Manifest)> = Vec::new();
    for dir in dirs {
        let found = read_manifests(dir)?;
        if found.is_empty() {
            bail!(
                "{} is not a sweep folder: it has no {} or shard-I-of-N.json (written by \
                 `guildsim run` on an experiment with a sweep)",
                dir.display(),
                store::MANIFEST
            );
        }
        manifests.extend(found.into_iter().map(|f| (f.path, f.manifest)));
    }
    let (first_file, first) = &manifests[0];
    for (file, m) in &manifests {
        if m.guildsim != VERSION {
            bail!(
                "cannot merge: {} was written by guildsim {}, but this is guildsim {VERSION}; \
                 runs are keyed by version, so merge with the guildsim that ran them \
                 (or rerun that shard with this one)",
                file.display(),
                m.guildsim
            );
        }
        if m.experiment != first.experiment || m.experiment_sha256 != first.experiment_sha256 {
            bail!(
                "cannot merge: {} is from experiment `{}` (resolved.yaml sha256 {}) but {} is \
                 from `{}` (sha256 {}); shards must come from the same experiment file, \
                 overrides, seed and scale",
                file.display(),
                m.experiment,
                &m.experiment_sha256[..12.min(m.experiment_sha256.len())],
                first_file.display(),
                first.experiment,
                &first.experiment_sha256[..12.min(first.experiment_sha256.len())],
            );
        }
    }
    let plan = load_plan(first_dir, first)?;

    // Every check before anything is written: the folder, then every run's source.
    folder::check_sweep_folder(out, &plan.base.name)?;
    let sources = find_sources(&plan, dirs, out, &manifests)?;
    let mut lock = folder::claim_sweep_folder(
        out,
        &plan.base.name,
        LockMode::Exclusive,
        &plan.experiment_sha256,
    )?;
    // Another process may have changed the sources meanwhile: find them again, locked.
    let sources = if out.exists() {
        find_sources(&plan, dirs, out, &manifests)?
    } else {
        sources
    };
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    lock.notes = sweep_folder::remove_leftovers(out, |_| true)?;
    let mut copied = 0;
    for (run, source) in plan.runs.iter().zip(&sources) {
        if let Some(source) = source {
            store::copy_run(source, &out.join(&run.dir))?;
            copied += 1;
        }
    }
    let written = exec::write_tables(&plan, out)?;
    let mut notes = lock.notes.clone();
    notes.extend(written.notes);
    Ok(MergeReport {
        runs: plan.runs.len(),
        copied,
        files: written.files,
        verdicts: written.verdicts,
        notes,
    })
}

/// For every run of the plan, the folder to copy it from (`None`: complete in `out` already).
/// An error if a run is missing everywhere or damaged.
fn find_sources(
    plan: &Plan,
    dirs: &[PathBuf],
    out: &Path,
    manifests: &[(PathBuf, Manifest)],
) -> Result<Vec<Option<PathBuf>>> {
    let mut sources = Vec::with_capacity(plan.runs.len());
    let mut missing = Vec::new();
    let mut damaged = Vec::new();
    for run in &plan.runs {
        if store::is_complete(&out.join(&run.dir), run) {
            sources.push(None);
            continue;
        }
        match dirs
            .iter()
            .map(|d| d.join(&run.dir))
            .find(|d| store::is_complete(d, run))
        {
            Some(source) => sources.push(Some(source)),
            None => {
                sources.push(None);
                missing.push(run);
                damaged.extend(dirs.iter().find_map(|d| {
                    let dir = d.join(&run.dir);
                    (dir.exists() && RunManifest::read(&dir).is_some())
                        .then(|| store::completeness(&dir, run).err())
                        .flatten()
                        .map(|why| format!("{}: {why}", d.display()))
                }));
            }
        }
    }
    if let Some(why) = damaged.first() {
        bail!(
            "{} run(s) do not match their manifests, e.g. {why}; rerun the shard that holds \
             them (its other complete runs are kept) and merge again",
            damaged.len()
        );
    }
    if let Some(run) = missing.first() {
        let shard_hint = manifests
            .iter()
            .find_map(|(_, m)| m.shard)
            .map(|s| format!(" (it belongs to shard {}/{})", run.index % s.count, s.count))
            .unwrap_or_default();
        bail!(
            "{} of {} runs are missing or incomplete, e.g. {}{shard_hint}; run the missing \
             shards (rerunning a shard keeps its complete runs) and merge again",
            missing.len(),
            plan.runs.len(),
            run.dir
        );
    }
    Ok(sources)
}

/// Rebuilds the plan from a sweep folder's `resolved.yaml`.
fn load_plan(dir: &Path, manifest: &Manifest) -> Result<Plan> {
    let path = dir.join(RESOLVED);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if sha256_hex(&bytes) != manifest.experiment_sha256 {
        bail!(
            "{} does not match its manifest (edited after the run?)",
            path.display()
        );
    }
    let mut assembled = config::assemble(&path, &LoadOptions::default())
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    assembled.name = manifest.experiment.clone();
    let plan = plan::plan(&assembled)
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("{} has no sweep", path.display()))?;
    if plan.experiment_sha256 != manifest.experiment_sha256 {
        bail!(
            "{} does not reproduce the experiment it came from (guildsim bug: please report)",
            path.display()
        );
    }
    Ok(plan)
}
