//! Whole-or-nothing file writes: write a temporary file beside the target, flush it to disk,
//! then rename it over the target. A reader never sees a half-written result file. A write
//! that fails removes its temporary file through [`removal`](super::removal), checked against
//! exactly the bytes that reached it.

use super::names::temp_name;
use super::record::Recorded;
use super::removal::{self, Root, What};
use anyhow::{Context, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;

/// The folder that holds `path` (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` into `file`, counting what reached it; on failure, the count.
fn write_counted(file: &mut File, bytes: &[u8]) -> Result<(), (usize, std::io::Error)> {
    let mut done = 0;
    while done < bytes.len() {
        match file.write(&bytes[done..]) {
            Ok(0) => return Err((done, ErrorKind::WriteZero.into())),
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err((done, e)),
        }
    }
    file.sync_all().map_err(|e| (done, e))
}

/// Removes a file this process created and filled with `written`, if it still holds exactly
/// that; a note if it does not.
fn take_back(path: &Path, written: &[u8]) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let root = Root::open(folder_of(path)).ok()?;
    removal::remove(&root, &name, What::File(&Recorded::of(written)))
        .err()
        .map(|k| format!("; {k} was left there"))
}

/// Writes `bytes` to `path` atomically (replacing the file there: the caller has checked that
/// guildsim may replace it).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .context("result path has no file name")?
        .to_string_lossy()
        .into_owned();
    // The process id keeps two processes writing the same file (shards sharing a folder)
    // from clobbering each other's temporary file.
    let tmp = folder_of(path).join(temp_name(&name));
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => bail!(
            "cannot write {}: the temporary file {} exists (left by a killed process with this \
             process id?); guildsim does not replace it: remove it yourself",
            path.display(),
            tmp.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", tmp.display())),
    };
    if let Err((done, e)) = write_counted(&mut file, bytes) {
        drop(file);
        let note = take_back(&tmp, &bytes[..done]).unwrap_or_default();
        return Err(e).with_context(|| format!("cannot write {}{note}", tmp.display()));
    }
    drop(file);
    if let Err(e) = fs::rename(&tmp, path) {
        let note = take_back(&tmp, bytes).unwrap_or_default();
        return Err(e).with_context(|| {
            format!(
                "cannot rename {} to {}{note}",
                tmp.display(),
                path.display()
            )
        });
    }
    Ok(())
}

/// Writes `bytes` to `path`, which must not exist: a file guildsim hands to the user (a
/// comparison's table) is never replaced. Created exclusively, so a file that appears
/// meanwhile is not replaced either; a failed write takes back only what it wrote.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => bail!(
            "{} exists: guildsim writes this file only where none exists (remove it or name \
             another)",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    if let Err((done, e)) = write_counted(&mut file, bytes) {
        drop(file);
        let note = take_back(path, &bytes[..done]).unwrap_or_default();
        return Err(e).with_context(|| format!("cannot write {}{note}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::removal::remove_scratch;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("guildsim-atomic-{}-{name}", std::process::id()));
        remove_scratch(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = scratch("replace");
        let target = dir.join("summary.json");
        write_atomic(&target, b"first version, longer").unwrap();
        write_atomic(&target, b"second").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("summary.json")]);
        remove_scratch(&dir);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let target = std::env::temp_dir().join("guildsim-no-such-dir/x/summary.json");
        assert!(write_atomic(&target, b"x").is_err());
    }

    #[test]
    fn a_new_file_never_replaces_one() {
        let dir = scratch("new");
        let target = dir.join("compare.csv");
        fs::write(&target, b"mine").unwrap();
        let err = write_new(&target, b"a,b\n").unwrap_err().to_string();
        assert!(err.contains("exists"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"mine");
        write_new(&dir.join("other.csv"), b"a,b\n").unwrap();
        remove_scratch(&dir);
    }
}
