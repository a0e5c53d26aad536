//! The layout of a sweep's (or a search's) folder on disk, and what guildsim may touch in it:
//!
//! ```text
//! <out>/resolved.yaml          the experiment with its sweep (its SHA-256 is in the manifests)
//! <out>/sweep.json             manifest of a whole sweep (shard-I-of-N.json for a shard)
//! <out>/sweep.csv, aggregate.csv, *.svg, report.html   listed in a manifest, with records
//! <out>/runs/<point>/r007/     one run: its files and run-key.txt, written last
//! ```
//!
//! Every check compares content with records: a listed table that changed, a `resolved.yaml`
//! that no manifest's SHA-256 names, a run file that changed, a link anywhere on the way, are
//! all named in a refusal. Removals go through [`super::removal`]; stale runs and killed
//! processes' staging folders are cleared file by file ([`clear_recorded_folder`]).

use super::folder::{describe_kept, entries, foreign_in_run};
use super::manifest::RunManifest;
use super::names::{is_temp_file, leftover_of, temp_target};
use super::record::Recorded;
use super::removal::{self, DirProof, Root, What};
use super::staging::clear_recorded_folder;
use super::sweep_manifest::{Found, ListedFile, Manifest, is_manifest_name, read_manifests};
use crate::identity::{RESOLVED, VERSION};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The folder of a sweep's runs.
pub(crate) const RUNS: &str = "runs";

fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

fn is_real_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Refuses a folder whose manifests come from another configuration of the experiment (shards
/// must share the experiment file, overrides, seed and scale) or another guildsim version.
pub(crate) fn check_same_configuration(out: &Path, experiment_sha256: &str) -> Result<()> {
    if !is_real_dir(out) {
        return Ok(());
    }
    for f in read_manifests(out)? {
        if f.manifest.experiment_sha256 != experiment_sha256 || f.manifest.guildsim != VERSION {
            bail!(
                "{} holds {} of another configuration of experiment `{}` (resolved.yaml \
                 sha256 {}, guildsim {}); shards of one sweep must come from the same experiment \
                 file, overrides, seed, scale and guildsim: choose another --out for this one",
                out.display(),
                f.name,
                f.manifest.experiment,
                &f.manifest.experiment_sha256[..12],
                f.manifest.guildsim
            );
        }
    }
    Ok(())
}

/// Names in a sweep folder that guildsim may not touch: anything not a manifest,
/// `resolved.yaml` as a manifest records it, a listed table or plot with its recorded content,
/// a temporary file, or a run folder holding only its own files as recorded. Each with why.
pub(crate) fn foreign_in_sweep(out: &Path) -> Result<Vec<String>> {
    let manifests = read_manifests(out)?;
    let mut foreign = Vec::new();
    for name in entries(out)? {
        let path = out.join(&name);
        if is_manifest_name(&name) || is_temp_file(&name) {
            continue;
        }
        if name == RESOLVED {
            match fs::read(&path) {
                Ok(bytes)
                    if is_real_file(&path)
                        && manifests.iter().any(|f| {
                            f.manifest.experiment_sha256 == Recorded::of(&bytes).sha256
                        }) => {}
                _ => foreign.push(format!(
                    "{RESOLVED} (changed after guildsim wrote it: no manifest records it)"
                )),
            }
            continue;
        }
        if name == RUNS {
            if is_real_dir(&path) {
                foreign.extend(foreign_in_runs(&path)?);
            } else {
                foreign.push(format!("{RUNS} (not a folder)"));
            }
            continue;
        }
        let records: Vec<Recorded> = manifests
            .iter()
            .flat_map(|f| f.manifest.records_of(&name))
            .collect();
        if records.is_empty() {
            foreign.push(name);
            continue;
        }
        match fs::read(&path) {
            Ok(bytes) if is_real_file(&path) && records.iter().any(|r| r.matches(&bytes)) => {}
            _ => foreign.push(format!("{name} (changed after guildsim wrote it)")),
        }
    }
    Ok(foreign)
}

fn foreign_in_runs(runs: &Path) -> Result<Vec<String>> {
    let mut foreign = Vec::new();
    for point in entries(runs)? {
        let path = runs.join(&point);
        if !is_real_dir(&path) {
            foreign.push(format!("{RUNS}/{point}"));
            continue;
        }
        for rep in entries(&path)? {
            let run = path.join(&rep);
            let rel = format!("{RUNS}/{point}/{rep}");
            if !is_real_dir(&run) {
                foreign.push(rel);
                continue;
            }
            if leftover_of(&rep).is_some() {
                continue;
            }
            match RunManifest::read(&run) {
                Some(m) => foreign.extend(
                    foreign_in_run(&run, &m)?
                        .into_iter()
                        .map(|n| format!("{rel}/{n}")),
                ),
                None => foreign.push(rel),
            }
        }
    }
    Ok(foreign)
}

/// The top-level files the folder's manifests list (tables and plots guildsim wrote).
pub(crate) fn listed_files(out: &Path) -> Result<Vec<ListedFile>> {
    if !is_real_dir(out) {
        return Ok(Vec::new());
    }
    let mut files: Vec<ListedFile> = read_manifests(out)?
        .into_iter()
        .flat_map(|f| f.manifest.files)
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Removes the top-level files that `listed` records and `which` picks, each checked against
/// its records. A file that does not match is an error naming it (nothing more is removed).
pub(crate) fn remove_listed(
    out: &Path,
    listed: &[ListedFile],
    which: impl Fn(&str) -> bool,
) -> Result<()> {
    let root = Root::open(out).with_context(|| format!("cannot resolve {}", out.display()))?;
    let names: BTreeSet<&str> = listed
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| which(n))
        .collect();
    for name in names {
        let records: Vec<Recorded> = listed
            .iter()
            .filter(|f| f.name == name)
            .map(ListedFile::recorded)
            .collect();
        removal::remove(&root, name, What::FileAnyOf(&records)).map_err(|k| {
            anyhow::anyhow!("guildsim does not replace or remove {k}: move it away and run again")
        })?;
    }
    Ok(())
}

/// Writes a manifest into the folder.
pub(crate) fn write_manifest(out: &Path, manifest: &Manifest) -> Result<()> {
    super::atomic::write_atomic(&out.join(manifest.file_name()), &manifest.render())
}

/// Removes the shard manifests from `dir` (after a merge into it, or a whole run), each checked
/// against the bytes read and verified as a manifest of this very configuration.
pub(crate) fn remove_shard_manifests(dir: &Path, experiment_sha256: &str) -> Result<()> {
    let root = Root::open(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    for Found {
        name,
        manifest,
        bytes,
        ..
    } in read_manifests(dir)?
    {
        if manifest.shard.is_none() {
            continue;
        }
        if manifest.experiment_sha256 != experiment_sha256 {
            bail!(
                "{} is a shard of another configuration of the experiment; guildsim leaves it \
                 where it is: move it away and run again",
                dir.join(&name).display()
            );
        }
        removal::remove(&root, &name, What::File(&Recorded::of(&bytes)))
            .map_err(|k| anyhow::anyhow!("cannot remove {k}"))?;
    }
    Ok(())
}

/// Clears what killed processes left in a sweep folder: temporary files of atomic writes at
/// the top that hold what a manifest records, and staging folders of runs for which `mine`
/// holds (their process is gone: the caller holds the lock that covers those runs). Returns
/// notes on what it left.
pub(crate) fn remove_leftovers(out: &Path, mine: impl Fn(&str) -> bool) -> Result<Vec<String>> {
    if !is_real_dir(out) {
        return Ok(Vec::new());
    }
    let root = Root::open(out).with_context(|| format!("cannot resolve {}", out.display()))?;
    let manifests = read_manifests(out)?;
    let mut kept = Vec::new();
    for name in entries(out)? {
        let Some(target) = temp_target(&name) else {
            continue;
        };
        let mut records: Vec<Recorded> = manifests
            .iter()
            .flat_map(|f| f.manifest.records_of(target))
            .collect();
        if target == RESOLVED {
            // A complete temporary copy of resolved.yaml holds what a manifest records.
            if let Ok(bytes) = fs::read(out.join(&name))
                && manifests
                    .iter()
                    .any(|f| f.manifest.experiment_sha256 == Recorded::of(&bytes).sha256)
            {
                records.push(Recorded::of(&bytes));
            }
        }
        if is_manifest_name(target)
            && let Ok(bytes) = fs::read(out.join(&name))
            && Manifest::parse(&bytes).is_ok()
        {
            records.push(Recorded::of(&bytes));
        }
        if !records.is_empty() {
            // Killed between creating it and writing it: empty, nothing to lose.
            records.push(Recorded::of(b""));
        }
        let result = if records.is_empty() {
            Err(removal::Kept {
                path: out.join(&name),
                why: "a temporary file whose content no manifest records (a killed process was \
                      writing it)"
                    .into(),
            })
        } else {
            removal::remove(&root, &name, What::FileAnyOf(&records))
        };
        kept.extend(result.err());
    }
    let runs = out.join(super::sweep_folder::RUNS);
    if is_real_dir(&runs) {
        for point in entries(&runs)? {
            let path = runs.join(&point);
            if !is_real_dir(&path) {
                continue;
            }
            let Ok(point_root) = Root::open(&path) else {
                continue;
            };
            for rep in entries(&path)? {
                if let Some(run) = leftover_of(&rep)
                    && mine(&format!("{RUNS}/{point}/{run}"))
                {
                    kept.extend(clear_recorded_folder(&point_root, &rep));
                }
            }
        }
    }
    Ok(describe_kept(&kept))
}

/// Removes the run folders under `out/runs` that `wanted` does not name (`runs/<point>/r007`:
/// an earlier version of the experiment's), and staging folders killed processes left, each
/// cleared file by file; a point folder is removed once it held only such runs. Returns how
/// many runs were removed, and notes on what was left.
pub(crate) fn prune_runs_except(
    out: &Path,
    wanted: &BTreeSet<&str>,
) -> Result<(usize, Vec<String>)> {
    let runs = out.join(RUNS);
    if !is_real_dir(&runs) {
        return Ok((0, Vec::new()));
    }
    let runs_root =
        Root::open(&runs).with_context(|| format!("cannot resolve {}", runs.display()))?;
    let (mut removed, mut kept) = (0, Vec::new());
    for point in entries(&runs)? {
        let path = runs.join(&point);
        if !is_real_dir(&path) {
            continue;
        }
        let point_root =
            Root::open(&path).with_context(|| format!("cannot resolve {}", path.display()))?;
        let mut cleared_any = false;
        for rep in entries(&path)? {
            let run = path.join(&rep);
            let stale = leftover_of(&rep).is_some()
                || (!wanted.contains(format!("{RUNS}/{point}/{rep}").as_str())
                    && is_real_dir(&run)
                    && RunManifest::read(&run).is_some());
            if !stale {
                continue;
            }
            let left = clear_recorded_folder(&point_root, &rep);
            if left.is_empty() {
                cleared_any = true;
                removed += usize::from(leftover_of(&rep).is_none());
            }
            kept.extend(left);
        }
        if cleared_any && entries(&path)?.is_empty() {
            kept.extend(
                removal::remove(
                    &runs_root,
                    &point,
                    What::EmptyDir(DirProof::EmptiedOfOwnFiles),
                )
                .err(),
            );
        }
    }
    Ok((removed, describe_kept(&kept)))
}
