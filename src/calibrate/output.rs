//! The calibration's output folder, under the rules every guildsim folder follows (`files`):
//! claimed only if it is absent, empty or this calibration's own as guildsim wrote it; locked
//! while written; its manifest (`sweep.json`, as for a sweep or a search) written first and
//! listing every top-level file, with its size and SHA-256, before that file is written; runs
//! written whole by the sweep machinery; and only what guildsim's manifests record is ever
//! replaced or removed, each file checked against its record first.
//!
//! The manifest names the calibration `calibrate <experiment>`: a name no experiment can have
//! (experiment names hold no spaces), so a calibration's folder is never taken for an
//! experiment's, nor the reverse. Its `experiment_sha256` is that of the top-level
//! `resolved.yaml` (the experiment as given), as in a sweep's folder.

use crate::files::atomic::write_atomic;
use crate::files::folder;
use crate::files::lock::{FolderLock, LockMode};
use crate::files::sweep_folder::{self, listed_files};
use crate::files::sweep_manifest::Manifest;
use crate::identity::{RESOLVED, VERSION, sha256_hex};
use crate::sweep::exec::replace_top_files;
use crate::sweep::store;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What identifies a calibration's folder.
pub(crate) struct Identity {
    /// `calibrate <experiment>`.
    pub(crate) name: String,
    /// `resolved.yaml`: the experiment as given.
    pub(crate) resolved_yaml: Vec<u8>,
    pub(crate) rows: usize,
}

impl Identity {
    fn manifest(&self, runs: usize) -> Manifest {
        Manifest {
            guildsim: VERSION.to_string(),
            experiment: self.name.clone(),
            experiment_sha256: sha256_hex(&self.resolved_yaml),
            points: self.rows,
            replications: 1,
            runs,
            shard: None,
            files: Vec::new(),
        }
    }
}

/// Claims and locks `out`, clears what killed processes left there and the result files of
/// an earlier calibration (they would not match the runs while this one runs; each checked
/// against its record), and writes the manifest and `resolved.yaml`. The lock's notes say
/// what was left alone.
pub(crate) fn start(out: &Path, id: &Identity) -> Result<FolderLock> {
    let mut lock = folder::claim_sweep_folder(
        out,
        &id.name,
        LockMode::Exclusive,
        &sha256_hex(&id.resolved_yaml),
    )?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    lock.notes = sweep_folder::remove_leftovers(out, |_| true)?;
    let earlier = listed_files(out)?;
    sweep_folder::remove_listed(out, &earlier, |_| true)?;
    sweep_folder::write_manifest(out, &id.manifest(0))?;
    write_atomic(&out.join(RESOLVED), &id.resolved_yaml)?;
    Ok(lock)
}

/// Writes the result files (listed in the manifest first), then removes the runs of earlier
/// calibrations that this one did not make (each checked against its record). Returns the
/// paths written and notes on what was left alone.
pub(crate) fn finish(
    out: &Path,
    id: &Identity,
    files: &[(String, Vec<u8>)],
    made: &BTreeSet<&str>,
) -> Result<(Vec<PathBuf>, Vec<String>)> {
    replace_top_files(out, &id.resolved_yaml, files, id.manifest(made.len()))?;
    let mut written = vec![out.join(RESOLVED)];
    written.extend(files.iter().map(|(n, _)| out.join(n)));
    written.push(out.join(store::MANIFEST));
    let (_, notes) = sweep_folder::prune_runs_except(out, made)?;
    Ok((written, notes))
}
