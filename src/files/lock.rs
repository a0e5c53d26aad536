//! One writer per output folder: a lock file beside it (`.<name>.guildsim-lock`), held with an
//! advisory lock while the folder is written. Shards of one sweep share it. The lock file stays
//! afterwards: removing it would let two processes hold two different files.

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
    /// What guildsim found and left alone while taking the folder (leftovers of killed
    /// processes it could not verify), for the caller to print.
    pub(crate) notes: Vec<String>,
}

impl FolderLock {}

/// The folder's parent and name: `results/quickstart` -> (`results`, `quickstart`). The caller
/// passes a resolved path ([`super::paths::resolve`]), whose last component is a plain name.
pub(crate) fn parent_and_name(out: &Path) -> Result<(PathBuf, String)> {
    let name = out
        .file_name()
        .with_context(|| format!("{} cannot be an output folder", out.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// Takes the lock of output folder `out` (creating its parent folders), or says who holds it.
pub fn lock(out: &Path, mode: LockMode) -> Result<FolderLock> {
    let (parent, name) = parent_and_name(out)?;
    fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create folder {}", parent.display()))?;
    let path = parent.join(format!(".{name}.guildsim-lock"));
    if fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
        bail!(
            "cannot lock {}: {} is not guildsim's lock file (a link or a folder); remove it \
             yourself",
            out.display(),
            path.display()
        );
    }
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
        Ok(()) => Ok(FolderLock {
            _file: file,
            notes: Vec::new(),
        }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::removal::remove_scratch;

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
        remove_scratch(&dir);
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
        remove_scratch(&dir);
    }
}
