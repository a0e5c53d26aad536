//! `guildsim merge`: combine the folders of a sweep's shards (or of interrupted runs of it)
//! into the files one process would have written. The plan is rebuilt from the shards'
//! `resolved.yaml`, every run is taken from the first folder that holds it complete, and the
//! tables are written by the same code as a whole sweep's. Folders from different experiments
//! or guildsim versions are refused.

use super::exec;
use super::plan::{self, Plan, VERSION};
use super::store::{self, Manifest};
use crate::config::{self, LoadOptions};
use crate::report::RESOLVED;
use crate::report::folder::{self, LockMode};
use crate::report::manifest::RunManifest;
use crate::report::manifest::sha256_hex;
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
}

/// Merges the sweep folders `dirs` into `out` (which may be one of them).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<MergeReport> {
    let Some(first_dir) = dirs.first() else {
        bail!("name at least one folder to merge");
    };
    let mut manifests: Vec<(PathBuf, Manifest)> = Vec::new();
    for dir in dirs {
        let found = store::read_manifests(dir)?;
        if found.is_empty() {
            bail!(
                "{} is not a sweep folder: it has no {} or shard-I-of-N.json (written by \
                 `guildsim run` on an experiment with a sweep)",
                dir.display(),
                store::MANIFEST
            );
        }
        manifests.extend(found);
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

    let _lock = folder::claim_sweep_folder(out, &plan.base.name, LockMode::Exclusive)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    store::remove_leftovers(out, |_| true)?;
    let mut missing = Vec::new();
    let mut damaged = Vec::new();
    let mut copied = 0;
    for run in &plan.runs {
        let target = out.join(&run.dir);
        if store::is_complete(&target, run) {
            continue;
        }
        match dirs
            .iter()
            .map(|d| d.join(&run.dir))
            .find(|d| store::is_complete(d, run))
        {
            Some(source) => {
                store::copy_run(&source, &target)?;
                copied += 1;
            }
            None => {
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
    let written = exec::write_tables(&plan, out)?;
    Ok(MergeReport {
        runs: plan.runs.len(),
        copied,
        files: written.files,
        verdicts: written.verdicts,
    })
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
