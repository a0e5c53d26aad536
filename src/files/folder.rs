//! Output folders that guildsim owns, and nothing else: the rules that keep a user's files safe.
//!
//! - **Ownership.** guildsim writes into a folder only if it is absent, empty, or holds results
//!   of the same experiment that guildsim wrote: every file listed in a manifest, each with the
//!   content it was written with. Anything else (another experiment's results, a file guildsim
//!   did not write, a result file the user changed or replaced, a link) is refused with the
//!   names, and nothing is touched.
//! - **Whole runs.** A run is written into a staging folder beside its target and moved into
//!   place with renames, so a run folder holds one complete run or nothing, never a mix.
//! - **One writer.** A lock file beside the output folder keeps a second process out
//!   ([`super::lock`]).
//! - **Leftovers.** Staging and retired folders of killed processes are cleared by the next
//!   process that takes the folder, file by file against their journals and manifests
//!   ([`super::staging::clear_recorded_folder`]); what cannot be verified is left and named.

use super::lock::{self, FolderLock, LockMode, parent_and_name};
use super::manifest::{KEY_FILE, RunManifest};
use super::names::{leftover_of, retired_name};
use super::removal::{Kept, Root};
use super::staging::{Staging, clear_recorded_folder};
use super::sweep_folder;
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};

/// What an existing folder holds.
enum Contents {
    Absent,
    Empty,
    /// A single run's folder, of the named experiment.
    Run(RunManifest),
    /// A sweep's folder, of the named experiment.
    Sweep(String),
    /// Neither: some other folder.
    Other,
}

fn contents(out: &Path) -> Result<Contents> {
    let meta = match fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::Absent),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", out.display())),
    };
    if meta.file_type().is_symlink() {
        bail!(
            "{} is a symbolic link: guildsim never writes or replaces anything through a link; \
             name the real location instead",
            out.display()
        );
    }
    if !meta.is_dir() {
        bail!("{} exists and is not a folder", out.display());
    }
    if entries(out)?.is_empty() {
        return Ok(Contents::Empty);
    }
    if let Some(m) = RunManifest::read(out) {
        return Ok(Contents::Run(m));
    }
    // A file with a manifest's name that is not one of guildsim's is named as such.
    if let Some(found) = super::sweep_manifest::read_manifests(out)?
        .into_iter()
        .next()
    {
        return Ok(Contents::Sweep(found.manifest.experiment));
    }
    Ok(Contents::Other)
}

/// Checks that a single run of `experiment` may replace `out`, locks it, checks again (another
/// process may have written it meanwhile) and clears what killed processes left beside it. A
/// refused folder gets no lock file beside it.
pub(crate) fn claim_run_folder(out: &Path, experiment: &str) -> Result<FolderLock> {
    check_run_folder(out, experiment)?;
    let mut lock = lock::lock(out, LockMode::Exclusive)?;
    check_run_folder(out, experiment)?;
    lock.notes = remove_leftovers(out)?;
    Ok(lock)
}

/// Refuses `out` unless a single run of `experiment` may replace it: absent, empty, or that
/// experiment's own single-run folder, holding only the files its manifest lists, each as
/// guildsim wrote it.
pub(crate) fn check_run_folder(out: &Path, experiment: &str) -> Result<()> {
    match contents(out)? {
        Contents::Absent | Contents::Empty => Ok(()),
        Contents::Run(m) if m.experiment == experiment => {
            refuse_foreign(out, foreign_in_run(out, &m)?)
        }
        Contents::Run(m) => refuse_other_experiment(out, &m.experiment),
        Contents::Sweep(name) => refuse_other_experiment(out, &name),
        Contents::Other => refuse_foreign(out, entries(out)?),
    }
}

/// Refuses `out` unless a sweep of `experiment` may write there (see
/// [`sweep_folder::foreign_in_sweep`]).
pub(crate) fn check_sweep_folder(out: &Path, experiment: &str) -> Result<()> {
    match contents(out)? {
        Contents::Absent | Contents::Empty => Ok(()),
        Contents::Sweep(name) if name == experiment => {
            refuse_foreign(out, sweep_folder::foreign_in_sweep(out)?)
        }
        Contents::Sweep(name) => refuse_other_experiment(out, &name),
        Contents::Run(m) => refuse_other_experiment(out, &m.experiment),
        Contents::Other => {
            // A sweep killed before its first manifest leaves only temporary files.
            let names = entries(out)?;
            if names.iter().all(|n| super::names::is_temp_file(n)) {
                return Ok(());
            }
            refuse_foreign(out, names)
        }
    }
}

/// Checks that a sweep of `experiment` may write `out`, locks it and checks again. A shard
/// (`LockMode::Shared`) also refuses a folder whose manifests are of another configuration of
/// the experiment (`experiment_sha256`): shards of one sweep must share everything.
pub(crate) fn claim_sweep_folder(
    out: &Path,
    experiment: &str,
    mode: LockMode,
    experiment_sha256: &str,
) -> Result<FolderLock> {
    let check = || -> Result<()> {
        check_sweep_folder(out, experiment)?;
        if mode == LockMode::Shared {
            sweep_folder::check_same_configuration(out, experiment_sha256)?;
        }
        Ok(())
    };
    check()?;
    let lock = lock::lock(out, mode)?;
    check()?;
    Ok(lock)
}

pub(crate) fn refuse_other_experiment(out: &Path, name: &str) -> Result<()> {
    bail!(
        "{} holds the results of experiment `{name}`; guildsim does not replace another \
         experiment's results: choose another --out, or remove that folder yourself",
        out.display()
    )
}

/// Refuses a folder that holds `foreign` entries (names, each with why, if not plain).
pub(crate) fn refuse_foreign(out: &Path, foreign: Vec<String>) -> Result<()> {
    if foreign.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 8;
    let mut names = foreign
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if foreign.len() > SHOWN {
        names.push_str(&format!(" and {} more", foreign.len() - SHOWN));
    }
    bail!(
        "{} holds files that guildsim did not write, or that changed since it wrote them \
         ({names}); guildsim never deletes, replaces or mixes with them: choose another --out \
         (an absent or empty folder), or move them away",
        out.display()
    )
}

/// Entries of a run folder that guildsim may not replace: names its manifest does not list,
/// and listed files whose content is no longer the recorded one (each with why).
pub(crate) fn foreign_in_run(dir: &Path, m: &RunManifest) -> Result<Vec<String>> {
    let mut foreign: Vec<String> = entries(dir)?.into_iter().filter(|n| !m.owns(n)).collect();
    if fs::symlink_metadata(dir.join(KEY_FILE)).is_ok_and(|meta| !meta.is_file()) {
        foreign.push(format!("{KEY_FILE} (not a regular file)"));
    }
    foreign.extend(
        m.changed(dir)
            .into_iter()
            .map(|(name, why)| format!("{name} ({why})")),
    );
    Ok(foreign)
}

/// The names in `dir`, sorted.
pub(crate) fn entries(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read folder {}", dir.display()))?;
    names.sort();
    Ok(names)
}

/// Clears the staging and retired folders of `out` that killed processes left beside it. Call
/// it only while holding the folder's lock. Returns notes on what it left.
pub(crate) fn remove_leftovers(out: &Path) -> Result<Vec<String>> {
    let (parent, name) = parent_and_name(out)?;
    let Ok(root) = Root::open(&parent) else {
        return Ok(Vec::new());
    };
    let mut notes = Vec::new();
    for entry in entries(root.path())?
        .iter()
        .filter(|e| leftover_of(e) == Some(name.as_str()))
    {
        notes.extend(describe_kept(&clear_recorded_folder(&root, entry)));
    }
    Ok(notes)
}

/// Notes on what guildsim left, one per path.
pub(crate) fn describe_kept(kept: &[Kept]) -> Vec<String> {
    kept.iter()
        .map(|k| {
            format!(
                "left {} where it is: {}; remove it yourself if you do not need it",
                k.path.display(),
                k.why
            )
        })
        .collect()
}

/// Writes a run folder whole: `write` fills a fresh staging folder, whose journal records each
/// file before it is written; the manifest is added last, then the folder replaces `out`. The
/// caller has checked that `out` may be replaced ([`check_run_folder`], or a sweep's audit).
/// Returns the paths of its files.
pub(crate) fn write_run_folder(
    out: &Path,
    key: &str,
    experiment: &str,
    write: impl FnOnce(&mut Staging) -> Result<()>,
) -> Result<Vec<PathBuf>> {
    let mut staging = Staging::create(out, key, experiment)?;
    if let Err(e) = write(&mut staging) {
        let kept = describe_kept(&staging.abandon());
        return Err(e.context(kept.join("; ")).context("no result was written"))
            .map_err(|e| e.context(format!("writing {}", out.display())));
    }
    let (dir, names) = staging.finish()?;
    put_in_place(&dir, out)?;
    Ok(names.iter().map(|n| out.join(n)).collect())
}

/// Moves the complete folder `staging` to `out`. An absent or empty `out` is simply replaced
/// (a rename onto an empty folder); guildsim's own earlier run there is checked again, moved
/// aside, and cleared file by file once the new one is in place.
fn put_in_place(staging: &Path, out: &Path) -> Result<()> {
    let existing = match fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", out.display())),
        Ok(m) if m.is_dir() && !m.file_type().is_symlink() => Some(entries(out)?),
        Ok(_) => bail!(
            "{} is not a folder any more; the new results are in {}",
            out.display(),
            staging.display()
        ),
    };
    if existing.as_ref().is_none_or(|e| e.is_empty()) {
        return fs::rename(staging, out).with_context(|| {
            format!(
                "cannot move the results into {}; they are in {}",
                out.display(),
                staging.display()
            )
        });
    }
    // Files may have appeared or changed while the run ran: check again, so that none is lost.
    let foreign = match RunManifest::read(out) {
        Some(m) => foreign_in_run(out, &m)?,
        None => entries(out)?,
    };
    if !foreign.is_empty() {
        bail!(
            "{} changed while the run ran ({}); guildsim left it as it is, and the new results \
             are in {}",
            out.display(),
            foreign.join(", "),
            staging.display()
        );
    }
    let (parent, name) = parent_and_name(out)?;
    let root =
        Root::open(&parent).with_context(|| format!("cannot resolve {}", parent.display()))?;
    let retired_name = retired_name(&name);
    if let Some(k) = clear_recorded_folder(&root, &retired_name).first() {
        bail!(
            "cannot move {} aside: {k}; the new results are in {}",
            out.display(),
            staging.display()
        );
    }
    let retired = parent.join(&retired_name);
    fs::rename(out, &retired).with_context(|| {
        format!(
            "cannot move {} aside; the new results are in {}",
            out.display(),
            staging.display()
        )
    })?;
    if let Err(e) = fs::rename(staging, out) {
        let back = fs::rename(&retired, out);
        return Err(e).with_context(|| match back {
            Ok(()) => format!(
                "cannot move the results into {}, which is as it was; they are in {}",
                out.display(),
                staging.display()
            ),
            Err(_) => format!(
                "cannot move the results into {}; they are in {}, and the earlier run is in {}",
                out.display(),
                staging.display(),
                retired.display()
            ),
        });
    }
    let kept = clear_recorded_folder(&root, &retired_name);
    if !kept.is_empty() {
        bail!(
            "the new results are in {}, but the earlier run's folder could not be cleared: {}",
            out.display(),
            describe_kept(&kept).join("; ")
        );
    }
    Ok(())
}
