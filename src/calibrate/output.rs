//! The calibration's output folder, under the rules every guildsim folder follows
//! (`report::folder`): claimed only if it is absent, empty or this calibration's own; locked
//! while written; its manifest (`sweep.json`, as for a sweep or a search) written first and
//! listing every top-level file before that file is written; runs written whole by the sweep
//! machinery; and only files and runs that guildsim's manifests list are ever removed.
//!
//! The manifest names the calibration `calibrate <experiment>`: a name no experiment can have
//! (experiment names hold no spaces), so a calibration's folder is never taken for an
//! experiment's, nor the reverse.

use crate::report::folder::{self, FolderLock, LockMode};
use crate::report::{RESOLVED, atomic::write_atomic};
use crate::sweep::exec::listed_files;
use crate::sweep::plan::VERSION;
use crate::sweep::store::{self, Manifest};
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What identifies a calibration's folder.
pub(crate) struct Identity {
    /// `calibrate <experiment>`.
    pub name: String,
    /// SHA-256 of the calibration's settings and inputs.
    pub sha256: String,
    pub rows: usize,
}

fn manifest(id: &Identity, runs: usize, files: Vec<String>) -> Manifest {
    Manifest {
        guildsim: VERSION.to_string(),
        experiment: id.name.clone(),
        experiment_sha256: id.sha256.clone(),
        points: id.rows,
        replications: 1,
        runs,
        shard: None,
        files,
    }
}

/// Claims and locks `out`, removes what killed processes left there and the result files of
/// an earlier calibration (they would not match the runs while this one runs), and writes the
/// manifest and `resolved.yaml` (the experiment as given).
pub(crate) fn start(out: &Path, id: &Identity, resolved_yaml: &[u8]) -> Result<FolderLock> {
    let lock = folder::claim_sweep_folder(out, &id.name, LockMode::Exclusive)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))?;
    let earlier = listed_files(out)?;
    store::remove_leftovers(out, |_| true)?;
    for name in &earlier {
        let path = out.join(name);
        if path.is_file() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    manifest(id, 0, Vec::new()).write(out)?;
    write_atomic(&out.join(RESOLVED), resolved_yaml)?;
    Ok(lock)
}

/// Writes the result files (listed in the manifest first), then removes the runs of earlier
/// calibrations that this one did not make (only what guildsim's manifests list). Returns
/// the paths written.
pub(crate) fn finish(
    out: &Path,
    id: &Identity,
    files: &[(String, Vec<u8>)],
    made: &BTreeSet<&str>,
) -> Result<Vec<PathBuf>> {
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    manifest(id, made.len(), names.clone()).write(out)?;
    let mut written = vec![out.join(RESOLVED)];
    for (name, bytes) in files {
        write_atomic(&out.join(name), bytes)?;
        written.push(out.join(name));
    }
    written.push(out.join(store::MANIFEST));
    store::prune_runs_except(out, made)?;
    Ok(written)
}
