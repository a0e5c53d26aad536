//! The one way guildsim removes anything from disk. Every removal in the program goes through
//! [`remove`] (a test greps the sources for any other `remove_file` or `remove_dir`), and it
//! removes a path only when all of this holds:
//!
//! 1. the path is named relative to a folder guildsim owns ([`Root`], resolved when it was
//!    opened), by plain names only: no separator inside a name, no `.` or `..`, not absolute;
//! 2. resolved on disk, it is still inside that folder: no component on the way, and not the
//!    path itself, is a symbolic link, so nothing outside can be reached through one;
//! 3. a file is a regular file whose size and SHA-256 are those guildsim recorded when it wrote
//!    it ([`Recorded`]); a folder is empty, and guildsim made it or has just emptied it of its own
//!    files ([`DirProof`]).
//!
//! Anything else is left exactly where it is and returned as [`Kept`], with the reason, for the
//! caller to name in a refusal or a note. A manifest or journal that lists the files is
//! removed last, checked against the bytes guildsim read from it and trusted.

use super::names::is_plain_relative;
use super::record::Recorded;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// A folder guildsim owns, by its resolved path (symbolic links followed once, when opened).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Root(PathBuf);

impl Root {
    /// The resolved folder `path`; an error if it is not an existing folder.
    pub(crate) fn open(path: &Path) -> std::io::Result<Root> {
        let resolved = fs::canonicalize(path)?;
        if !fs::metadata(&resolved)?.is_dir() {
            return Err(std::io::Error::new(
                ErrorKind::NotADirectory,
                format!("{} is not a folder", path.display()),
            ));
        }
        Ok(Root(resolved))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// `rel` (plain names joined by `/`) under this folder.
    pub(crate) fn join(&self, rel: &str) -> PathBuf {
        rel.split('/').fold(self.0.clone(), |p, c| p.join(c))
    }
}

/// Why guildsim may remove an empty folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DirProof {
    /// This process created it (a staging folder nothing was written into).
    MadeByThisProcess,
    /// It held only files guildsim recorded, and they have just been removed through [`remove`]
    /// (a retired or stale run folder, a staging folder of a killed process, a sweep's point
    /// folder whose last run was stale).
    EmptiedOfOwnFiles,
}

/// What is to be removed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum What<'a> {
    /// A regular file with this content.
    File(&'a Recorded),
    /// A regular file with any one of these contents (a file listed by two manifests, as while
    /// a sweep's tables are replaced).
    FileAnyOf(&'a [Recorded]),
    /// An empty folder.
    EmptyDir(#[allow(dead_code)] DirProof),
}

/// A path guildsim did not remove, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Kept {
    pub(crate) path: PathBuf,
    pub(crate) why: String,
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.why)
    }
}

/// Removes `root/rel` under the rules of this module, or says why it was kept. A path that
/// does not exist is not an error (there is nothing to keep).
pub(crate) fn remove(root: &Root, rel: &str, what: What) -> Result<(), Kept> {
    let path = root.join(rel);
    let kept = |why: String| Kept {
        path: path.clone(),
        why,
    };
    if !is_plain_relative(rel) {
        return Err(kept(
            "not a plain name inside the folder guildsim owns".into(),
        ));
    }
    // Every component on the way must be a real folder, not a link to somewhere else.
    let mut at = root.path().to_path_buf();
    let components: Vec<&str> = rel.split('/').collect();
    for c in &components[..components.len() - 1] {
        at.push(c);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(kept(format!(
                    "{} is a symbolic link: guildsim never removes through one",
                    at.display()
                )));
            }
            Ok(_) => return Err(kept(format!("{} is not a folder", at.display()))),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(kept(format!("cannot inspect {}: {e}", at.display()))),
        }
    }
    let meta = match fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(kept(format!("cannot inspect it: {e}"))),
    };
    if meta.file_type().is_symlink() {
        return Err(kept("a symbolic link, which guildsim never writes".into()));
    }
    // Resolved, the folder that holds it is still inside the root.
    let parent = path.parent().unwrap_or(root.path());
    match fs::canonicalize(parent) {
        Ok(p) if p.starts_with(root.path()) => {}
        Ok(p) => {
            return Err(kept(format!(
                "resolves to {}, outside {}",
                p.display(),
                root.path().display()
            )));
        }
        Err(e) => return Err(kept(format!("cannot resolve it: {e}"))),
    }
    match what {
        What::File(recorded) => remove_file(&path, &meta, std::slice::from_ref(recorded), kept),
        What::FileAnyOf(recorded) => remove_file(&path, &meta, recorded, kept),
        What::EmptyDir(_) => {
            if !meta.is_dir() {
                return Err(kept(
                    "not a folder (guildsim expected its own, empty)".into(),
                ));
            }
            match fs::remove_dir(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) if e.kind() == ErrorKind::DirectoryNotEmpty => Err(kept(
                    "it holds files guildsim did not write or cannot verify".into(),
                )),
                Err(e) => Err(kept(format!("cannot remove it: {e}"))),
            }
        }
    }
}

fn remove_file(
    path: &Path,
    meta: &fs::Metadata,
    recorded: &[Recorded],
    kept: impl Fn(String) -> Kept,
) -> Result<(), Kept> {
    if !meta.is_file() {
        return Err(kept(
            "not a regular file (guildsim wrote a file there)".into(),
        ));
    }
    if !recorded.iter().any(|r| r.size == meta.len()) {
        return Err(kept(
            "its size is not the one guildsim recorded: changed since guildsim wrote it".into(),
        ));
    }
    let bytes = fs::read(path).map_err(|e| kept(format!("cannot read it: {e}")))?;
    if !recorded.iter().any(|r| r.matches(&bytes)) {
        return Err(kept(
            "its SHA-256 is not the one guildsim recorded: changed since guildsim wrote it".into(),
        ));
    }
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(kept(format!("cannot remove it: {e}"))),
    }
}

/// Removes a scratch folder of a unit test (only under the system's temporary folder, and only
/// folders named `guildsim-...`): tests clean up through this module too.
#[cfg(test)]
pub(crate) fn remove_scratch(dir: &Path) {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    assert!(
        dir.starts_with(std::env::temp_dir()) && name.is_some_and(|n| n.starts_with("guildsim-")),
        "not a test's scratch folder: {}",
        dir.display()
    );
    let _ = fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(name: &str) -> (PathBuf, Root) {
        let dir =
            std::env::temp_dir().join(format!("guildsim-removal-{}-{name}", std::process::id()));
        remove_scratch(&dir);
        fs::create_dir_all(dir.join("owned/sub")).unwrap();
        let root = Root::open(&dir.join("owned")).unwrap();
        (dir, root)
    }

    #[test]
    fn removes_a_recorded_file_and_keeps_a_changed_one() {
        let (dir, root) = sandbox("content");
        fs::write(root.join("a.csv"), b"1,2\n").unwrap();
        fs::write(root.join("b.csv"), b"1,3\n").unwrap();
        let r = Recorded::of(b"1,2\n");
        assert_eq!(remove(&root, "a.csv", What::File(&r)), Ok(()));
        assert!(!root.join("a.csv").exists());
        let kept = remove(&root, "b.csv", What::File(&r)).unwrap_err();
        assert!(kept.why.contains("SHA-256"), "{kept}");
        assert!(root.join("b.csv").exists());
        assert_eq!(remove(&root, "gone.csv", What::File(&r)), Ok(()));
        remove_scratch(&dir);
    }

    #[test]
    fn never_leaves_the_root() {
        let (dir, root) = sandbox("escape");
        fs::write(dir.join("thesis.tex"), b"x").unwrap();
        let r = Recorded::of(b"x");
        for rel in [
            "../thesis.tex",
            "/tmp/thesis.tex",
            "sub/../../thesis.tex",
            "",
            ".",
        ] {
            assert!(remove(&root, rel, What::File(&r)).is_err(), "{rel}");
        }
        // A link inside the root to a file or a folder outside it.
        std::os::unix::fs::symlink(dir.join("thesis.tex"), root.join("link.tex")).unwrap();
        std::os::unix::fs::symlink(&dir, root.join("up")).unwrap();
        assert!(remove(&root, "link.tex", What::File(&r)).is_err());
        assert!(remove(&root, "up/thesis.tex", What::File(&r)).is_err());
        assert!(dir.join("thesis.tex").exists());
        assert!(root.join("link.tex").symlink_metadata().is_ok());
        remove_scratch(&dir);
    }

    #[test]
    fn folders_only_when_empty() {
        let (dir, root) = sandbox("dirs");
        fs::write(root.join("sub/notes.txt"), b"mine").unwrap();
        let proof = What::EmptyDir(DirProof::EmptiedOfOwnFiles);
        assert!(remove(&root, "sub", proof).is_err());
        assert!(root.join("sub/notes.txt").exists());
        fs::remove_file(root.join("sub/notes.txt")).unwrap();
        assert_eq!(remove(&root, "sub", proof), Ok(()));
        fs::write(root.join("file"), b"").unwrap();
        assert!(remove(&root, "file", proof).is_err());
        remove_scratch(&dir);
    }
}
