//! Output folders that guildsim owns, and nothing else: the rules that keep a user's files safe.
//!
//! - **Ownership.** guildsim writes into a folder only if it is absent, empty, or holds results
//!   of the same experiment that guildsim wrote (every file listed in a manifest). Anything else,
//!   another experiment's results or a single file guildsim did not write, is refused with the
//!   names, and nothing is deleted that a manifest does not list.
//! - **Whole runs.** A run is written into a fresh staging folder beside its target and moved
//!   into place with renames, so a run folder holds one complete run or nothing, never a mix.
//! - **One writer.** A lock file beside the output folder (`.<name>.guildsim-lock`) keeps a
//!   second guildsim process out ("in use"); shards of one sweep share it.
//! - **No leftovers.** Staging folders and temporary files carry the writing process's id in
//!   their names; the next process that holds the lock removes those a killed process left.

use super::manifest::{KEY_FILE, RunManifest};
use anyhow::{Context, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

/// How a process holds an output folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// The only writer (a single run, a whole sweep, a merge).
    Exclusive,
    /// One shard of a sweep: other shards may write the same folder.
    Shared,
}

/// An output folder held by this process; released when dropped.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
    path: PathBuf,
}

impl FolderLock {
    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The folder's parent and name: `results/quickstart` -> (`results`, `quickstart`).
pub fn parent_and_name(out: &Path) -> Result<(PathBuf, String)> {
    let resolved = match out.file_name() {
        Some(_) => out.to_path_buf(),
        None => fs::canonicalize(out)
            .with_context(|| format!("cannot resolve output folder {}", out.display()))?,
    };
    let name = resolved
        .file_name()
        .with_context(|| format!("{} cannot be an output folder", out.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match resolved.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// Takes the lock of output folder `out` (creating its parent folders), or says who holds it.
/// The lock file stays: removing it would let two processes hold two different files.
pub fn lock(out: &Path, mode: LockMode) -> Result<FolderLock> {
    let (parent, name) = parent_and_name(out)?;
    fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create folder {}", parent.display()))?;
    let path = parent.join(format!(".{name}.guildsim-lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot create lock file {}", path.display()))?;
    let taken = match mode {
        LockMode::Exclusive => file.try_lock(),
        LockMode::Shared => file.try_lock_shared(),
    };
    match taken {
        Ok(()) => Ok(FolderLock { _file: file, path }),
        Err(fs::TryLockError::WouldBlock) => bail!(
            "output folder {} is in use by another guildsim process (lock {}); wait for it to \
             finish or choose another --out",
            out.display(),
            path.display()
        ),
        Err(fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Checks that a single run of `experiment` may replace `out`, locks it, checks again (another
/// process may have written it meanwhile) and removes what killed processes left. A refused
/// folder gets no lock file beside it.
pub fn claim_run_folder(out: &Path, experiment: &str) -> Result<FolderLock> {
    check_run_folder(out, experiment)?;
    let lock = lock(out, LockMode::Exclusive)?;
    check_run_folder(out, experiment)?;
    remove_leftovers(out)?;
    Ok(lock)
}

/// Checks that a sweep of `experiment` may write `out`, locks it and checks again.
pub fn claim_sweep_folder(out: &Path, experiment: &str, mode: LockMode) -> Result<FolderLock> {
    check_sweep_folder(out, experiment)?;
    let lock = lock(out, mode)?;
    check_sweep_folder(out, experiment)?;
    Ok(lock)
}

/// What an existing folder holds.
enum Contents {
    Absent,
    Empty,
    /// A single run's folder, of the named experiment (if the manifest says).
    Run(Option<String>),
    /// A sweep's folder, of the named experiment.
    Sweep(String),
    /// Neither: some other folder.
    Other,
}

fn contents(out: &Path) -> Result<Contents> {
    if !out.exists() {
        return Ok(Contents::Absent);
    }
    if !out.is_dir() {
        bail!("{} exists and is not a folder", out.display());
    }
    // A process killed before its first manifest leaves only temporary files.
    if entries(out)?.iter().all(|n| is_temp_file(n)) {
        return Ok(Contents::Empty);
    }
    if let Some(m) = RunManifest::read(out) {
        return Ok(Contents::Run(m.experiment));
    }
    if let Some(name) = crate::sweep::store::manifest_experiment(out) {
        return Ok(Contents::Sweep(name));
    }
    Ok(Contents::Other)
}

/// Refuses `out` unless a single run of `experiment` may replace it: absent, empty, or that
/// experiment's own single-run folder with nothing in it that its manifest does not list.
pub fn check_run_folder(out: &Path, experiment: &str) -> Result<()> {
    match contents(out)? {
        Contents::Absent | Contents::Empty => Ok(()),
        Contents::Run(Some(name)) if name == experiment => {
            let m = RunManifest::read(out).context("run manifest vanished")?;
            refuse_foreign(out, foreign_in_run(out, &m)?)
        }
        Contents::Run(Some(name)) | Contents::Sweep(name) => refuse_other_experiment(out, &name),
        Contents::Run(None) | Contents::Other => refuse_foreign(out, entries(out)?),
    }
}

/// Refuses `out` unless a sweep of `experiment` may write there: absent, empty, or that
/// experiment's sweep folder with nothing in it that a manifest does not list.
pub fn check_sweep_folder(out: &Path, experiment: &str) -> Result<()> {
    match contents(out)? {
        Contents::Absent | Contents::Empty => Ok(()),
        Contents::Sweep(name) if name == experiment => {
            refuse_foreign(out, crate::sweep::store::foreign_in_sweep(out)?)
        }
        Contents::Sweep(name) | Contents::Run(Some(name)) => refuse_other_experiment(out, &name),
        Contents::Run(None) | Contents::Other => refuse_foreign(out, entries(out)?),
    }
}

fn refuse_other_experiment(out: &Path, name: &str) -> Result<()> {
    bail!(
        "{} holds the results of experiment `{name}`; guildsim does not replace another \
         experiment's results: choose another --out, or remove that folder yourself",
        out.display()
    )
}

fn refuse_foreign(out: &Path, foreign: Vec<String>) -> Result<()> {
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
        "{} holds files that guildsim did not write ({names}); guildsim never deletes or mixes \
         with them: choose another --out (an absent or empty folder), or move them away",
        out.display()
    )
}

/// Names in a run folder that its manifest does not list.
pub fn foreign_in_run(dir: &Path, m: &RunManifest) -> Result<Vec<String>> {
    Ok(entries(dir)?.into_iter().filter(|n| !m.owns(n)).collect())
}

/// A temporary file of an atomic write: `.<name>.<pid>.tmp`.
pub fn is_temp_file(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|r| r.strip_suffix(".tmp")) else {
        return false;
    };
    rest.rsplit_once('.')
        .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// The names in `dir`, sorted.
pub fn entries(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read folder {}", dir.display()))?;
    names.sort();
    Ok(names)
}

/// The staging folder of `out` for this process: `<parent>/.<name>.tmp-<pid>`.
fn staging_path(out: &Path) -> Result<PathBuf> {
    let (parent, name) = parent_and_name(out)?;
    Ok(parent.join(format!(".{name}.tmp-{}", std::process::id())))
}

/// Whether `entry` is a staging or retired folder of `name`, left by some process.
fn is_leftover_of(entry: &str, name: &str) -> bool {
    let Some(rest) = entry.strip_prefix(&format!(".{name}.")) else {
        return false;
    };
    ["tmp-", "old-"].iter().any(|kind| {
        rest.strip_prefix(kind)
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Removes the staging and retired folders of `out` that killed processes left. Call it only
/// while holding the folder's lock (or, for a sweep's run, its shard's).
pub fn remove_leftovers(out: &Path) -> Result<usize> {
    let (parent, name) = parent_and_name(out)?;
    let Ok(names) = entries(&parent) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in names.iter().filter(|e| is_leftover_of(e, &name)) {
        let path = parent.join(entry);
        let result = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        result.with_context(|| format!("cannot remove leftover {}", path.display()))?;
        removed += 1;
    }
    Ok(removed)
}

/// Writes a run folder whole: `write` fills a fresh staging folder and returns the names of
/// the files it wrote; the manifest is added last, then the folder replaces `out`. The caller
/// has checked that `out` may be replaced ([`check_run_folder`], or a sweep's audit).
pub fn write_run_folder(
    out: &Path,
    key: &str,
    experiment: &str,
    write: impl FnOnce(&Path) -> Result<Vec<String>>,
) -> Result<Vec<PathBuf>> {
    let staging = staging_path(out)?;
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot clear {}", staging.display()))?;
    }
    fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create staging folder {}", staging.display()))?;
    let names = write(&staging)?;
    let manifest = RunManifest::of_files(&staging, key, experiment, &names)?;
    super::atomic::write_atomic(&staging.join(KEY_FILE), manifest.render().as_bytes())?;
    put_in_place(&staging, out)?;
    let mut paths: Vec<PathBuf> = names.iter().map(|n| out.join(n)).collect();
    paths.push(out.join(KEY_FILE));
    Ok(paths)
}

/// Moves the complete folder `staging` to `out`. An existing `out` (guildsim's own, checked by
/// the caller) is first renamed aside, then its listed files are removed.
fn put_in_place(staging: &Path, out: &Path) -> Result<()> {
    let replaced = out.exists() && !entries(out)?.is_empty();
    if !replaced {
        if out.exists() {
            fs::remove_dir(out).with_context(|| format!("cannot replace {}", out.display()))?;
        }
        return fs::rename(staging, out)
            .with_context(|| format!("cannot move results into {}", out.display()));
    }
    let (parent, name) = parent_and_name(out)?;
    let retired = parent.join(format!(".{name}.old-{}", std::process::id()));
    // Files may have appeared while the run ran: check again, so that none is lost.
    if let Some(m) = RunManifest::read(out) {
        let foreign = foreign_in_run(out, &m)?;
        if !foreign.is_empty() {
            bail!(
                "{} gained files that guildsim did not write while the run ran ({}); the new \
                 results are in {}",
                out.display(),
                foreign.join(", "),
                staging.display()
            );
        }
    }
    fs::rename(out, &retired).with_context(|| format!("cannot move {} aside", out.display()))?;
    fs::rename(staging, out)
        .with_context(|| format!("cannot move results into {}", out.display()))?;
    remove_listed(&retired)
}

/// Removes a retired run folder: the files its manifest lists, then the folder if it is empty.
fn remove_listed(dir: &Path) -> Result<()> {
    if let Some(m) = RunManifest::read(dir) {
        for f in &m.files {
            let _ = fs::remove_file(dir.join(&f.name));
        }
        let _ = fs::remove_file(dir.join(KEY_FILE));
    }
    fs::remove_dir(dir).with_context(|| {
        format!(
            "{} still holds files guildsim did not write; they were left there",
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_recognised_by_name_only() {
        assert!(is_leftover_of(".quickstart.tmp-123", "quickstart"));
        assert!(is_leftover_of(".quickstart.old-9", "quickstart"));
        assert!(!is_leftover_of(".quickstart.tmp-", "quickstart"));
        assert!(!is_leftover_of(".quickstart.tmp-12a", "quickstart"));
        assert!(!is_leftover_of(".quickstart2.tmp-1", "quickstart"));
        assert!(!is_leftover_of("quickstart.tmp-1", "quickstart"));
    }

    #[test]
    fn the_parent_of_a_bare_name_is_the_current_folder() {
        let (parent, name) = parent_and_name(Path::new("out")).unwrap();
        assert_eq!((parent, name.as_str()), (PathBuf::from("."), "out"));
        let (parent, name) = parent_and_name(Path::new("results/q/")).unwrap();
        assert_eq!((parent, name.as_str()), (PathBuf::from("results"), "q"));
    }

    #[test]
    fn a_second_exclusive_lock_is_refused_and_shared_locks_coexist() {
        let dir = std::env::temp_dir().join(format!("guildsim-lock-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let held = lock(&out, LockMode::Exclusive).unwrap();
        let err = lock(&out, LockMode::Exclusive).unwrap_err().to_string();
        assert!(err.contains("in use by another guildsim process"), "{err}");
        assert!(lock(&out, LockMode::Shared).is_err());
        drop(held);
        let a = lock(&out, LockMode::Shared).unwrap();
        let b = lock(&out, LockMode::Shared).unwrap();
        assert!(lock(&out, LockMode::Exclusive).is_err());
        drop((a, b));
        fs::remove_dir_all(&dir).unwrap();
    }
}
