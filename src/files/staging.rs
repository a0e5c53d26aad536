//! Staging folders: a run is written into `.<name>.tmp-<pid>` beside its target, then moved
//! into place whole. Before each file is written, its size and SHA-256 go into the staging
//! folder's journal (`.guildsim-journal`), so that the folder a killed process leaves behind
//! can be cleared by the next one file by file, each checked against its record
//! ([`clear_recorded_folder`]), and nothing else touched. A journalled file that is still empty
//! (its process was killed between creating and writing it) holds nothing and goes too; one
//! killed in the middle of its write is left, and named.

use super::atomic::write_atomic;
use super::manifest::{FileEntry, KEY_FILE, RunManifest};
use super::names::{is_plain_name, staging_name, temp_target};
use super::record::Recorded;
use super::removal::{self, DirProof, Kept, Root, What};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The journal of a staging folder.
pub(crate) const JOURNAL: &str = ".guildsim-journal";

/// A staging folder this process is writing.
pub(crate) struct Staging {
    parent: Root,
    name: String,
    dir: PathBuf,
    journal: Vec<u8>,
    key: String,
    experiment: String,
    files: Vec<FileEntry>,
}

impl Staging {
    /// Creates the staging folder of `target` (a folder named by a resolved path) for this
    /// process, clearing one an earlier process with the same id left (checked file by file).
    pub(crate) fn create(target: &Path, key: &str, experiment: &str) -> Result<Staging> {
        let (parent, target_name) = super::lock::parent_and_name(target)?;
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create folder {}", parent.display()))?;
        let parent = Root::open(&parent)
            .with_context(|| format!("cannot resolve folder {}", parent.display()))?;
        let name = staging_name(&target_name);
        let dir = parent.join(&name);
        if fs::symlink_metadata(&dir).is_ok() {
            let kept = clear_recorded_folder(&parent, &name);
            if let Some(k) = kept.first() {
                bail!(
                    "cannot use the staging folder {}: {k}; remove it yourself",
                    dir.display()
                );
            }
        }
        fs::create_dir(&dir)
            .with_context(|| format!("cannot create staging folder {}", dir.display()))?;
        let mut staging = Staging {
            parent,
            name,
            dir,
            journal: Vec::new(),
            key: key.to_string(),
            experiment: experiment.to_string(),
            files: Vec::new(),
        };
        staging.append(RunManifest::header(key, experiment).as_bytes())?;
        Ok(staging)
    }

    #[cfg(test)]
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn append(&mut self, line: &[u8]) -> Result<()> {
        let path = self.dir.join(JOURNAL);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        f.write_all(line)
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.journal.extend_from_slice(line);
        Ok(())
    }

    /// Writes result file `name` into the folder, recorded in the journal first. The file is
    /// written in place, without a temporary file or a flush of its own: the folder is moved
    /// into place whole once complete, and a process killed in the few microseconds of a
    /// write leaves at most one partial file, which the next process names and leaves.
    pub(crate) fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        if !is_plain_name(name) || name == KEY_FILE || name == JOURNAL {
            bail!("guildsim bug: `{name}` is not a result file name");
        }
        if self.files.iter().any(|f| f.name == name) {
            bail!("guildsim bug: {name} written twice into one run");
        }
        let recorded = Recorded::of(bytes);
        self.append(RunManifest::line(name, &recorded).as_bytes())?;
        super::atomic::write_new(&self.dir.join(name), bytes)?;
        self.files.push(FileEntry {
            name: name.to_string(),
            recorded,
        });
        Ok(())
    }

    /// The names written so far, in order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.files.iter().map(|f| f.name.clone()).collect()
    }

    /// Writes the manifest (the folder is then one complete run) and removes the journal;
    /// returns the folder's path and its files' names (the manifest's included).
    pub(crate) fn finish(mut self) -> Result<(PathBuf, Vec<String>)> {
        let mut names = self.names();
        let manifest = RunManifest::new(&self.key, &self.experiment, self.files.clone());
        let rendered = manifest.render();
        // The manifest is journalled too, so that its temporary file can be cleared.
        self.append(RunManifest::line(KEY_FILE, &Recorded::of(rendered.as_bytes())).as_bytes())?;
        write_atomic(&self.dir.join(KEY_FILE), rendered.as_bytes())?;
        let root = Root::open(&self.dir)
            .with_context(|| format!("cannot resolve {}", self.dir.display()))?;
        removal::remove(&root, JOURNAL, What::File(&Recorded::of(&self.journal)))
            .map_err(|k| anyhow::anyhow!("cannot finish {}: {k}", self.dir.display()))?;
        names.push(KEY_FILE.to_string());
        Ok((self.dir, names))
    }

    /// Takes back everything written (after a failure): each file checked against its record,
    /// then the journal and the folder. What cannot be taken back is named.
    pub(crate) fn abandon(self) -> Vec<Kept> {
        clear_recorded_folder(&self.parent, &self.name)
    }
}

/// Clears the folder `name` inside `parent` that guildsim wrote (a staging folder, a retired
/// run, a stale run of a sweep): every file its manifest or journal records is removed if its
/// content is the recorded one (a temporary file of an atomic write too, if complete), then the
/// records themselves, then the folder. Anything else stays, and is returned with the reason;
/// so do the records and the folder, which then still explain what it was.
pub(crate) fn clear_recorded_folder(parent: &Root, name: &str) -> Vec<Kept> {
    let dir = parent.join(name);
    let kept = |why: &str| {
        vec![Kept {
            path: dir.clone(),
            why: why.to_string(),
        }]
    };
    match fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return kept("not a folder (guildsim expected its own)"),
        Err(_) => return Vec::new(),
    }
    let Ok(root) = Root::open(&dir) else {
        return kept("cannot be resolved");
    };
    let records: Vec<(String, RunManifest, Vec<u8>)> = [KEY_FILE, JOURNAL]
        .iter()
        .filter_map(|n| RunManifest::read_named(&dir, n).map(|(m, b)| (n.to_string(), m, b)))
        .collect();
    let mut known: BTreeMap<&str, Vec<Recorded>> = BTreeMap::new();
    for (_, m, _) in &records {
        for f in &m.files {
            let r = known.entry(&f.name).or_default();
            r.push(f.recorded.clone());
            // A process killed between creating a journalled file and writing it leaves it
            // empty: it holds nothing to lose.
            r.push(Recorded::of(b""));
        }
    }
    let Ok(entries) = super::folder::entries(&dir) else {
        return kept("cannot be read");
    };
    if records.is_empty() && !entries.is_empty() {
        return kept("it has no manifest or journal of guildsim's: not recognisably guildsim's");
    }
    let mut left = Vec::new();
    for entry in &entries {
        if records.iter().any(|(n, _, _)| n == entry) {
            continue;
        }
        let records_of = known
            .get(entry.as_str())
            .or_else(|| temp_target(entry).and_then(|t| known.get(t)));
        match records_of {
            Some(r) => {
                if let Err(k) = removal::remove(&root, entry, What::FileAnyOf(r)) {
                    left.push(k);
                }
            }
            None => left.push(Kept {
                path: dir.join(entry),
                why: "not listed in the folder's manifest or journal".into(),
            }),
        }
    }
    if !left.is_empty() {
        return left;
    }
    for (n, _, bytes) in &records {
        if let Err(k) = removal::remove(&root, n, What::File(&Recorded::of(bytes))) {
            return vec![k];
        }
    }
    let proof = if entries.is_empty() {
        // Nothing in it at all: an empty folder is removed only if it is a staging or retired
        // folder by name, which only guildsim gives (a killed process's, before its journal).
        if super::names::leftover_of(name).is_none() {
            return kept("an empty folder guildsim did not make");
        }
        DirProof::MadeByThisProcess
    } else {
        DirProof::EmptiedOfOwnFiles
    };
    match removal::remove(parent, name, What::EmptyDir(proof)) {
        Ok(()) => Vec::new(),
        Err(k) => vec![k],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::removal::remove_scratch;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("guildsim-staging-{}-{name}", std::process::id()));
        remove_scratch(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_finished_staging_folder_holds_the_files_and_its_manifest_only() {
        let dir = scratch("finish");
        let mut s = Staging::create(&dir.join("q"), "k", "e").unwrap();
        s.write("summary.json", b"{}").unwrap();
        s.write("a.csv", b"x\n").unwrap();
        let (path, names) = s.finish().unwrap();
        assert_eq!(names, ["summary.json", "a.csv", KEY_FILE]);
        let mut on_disk = crate::files::folder::entries(&path).unwrap();
        on_disk.sort();
        assert_eq!(on_disk, ["a.csv", KEY_FILE, "summary.json"]);
        let m = RunManifest::read(&path).unwrap();
        assert_eq!(m.verify(&path), Ok(()));
        remove_scratch(&dir);
    }

    #[test]
    fn a_killed_processes_folder_is_cleared_file_by_file() {
        let dir = scratch("clear");
        let mut s = Staging::create(&dir.join("q"), "k", "e").unwrap();
        s.write("summary.json", b"{}").unwrap();
        s.write("a.csv", b"x\n").unwrap();
        let name = s.name.clone();
        let staged = s.dir.clone();
        std::mem::forget(s); // as if killed
        // A partial temporary file of the next write, and a file the user put there.
        fs::write(staged.join(".b.svg.77.tmp"), b"<sv").unwrap();
        fs::write(staged.join("mine.txt"), b"mine").unwrap();
        let parent = Root::open(&dir).unwrap();
        let kept = clear_recorded_folder(&parent, &name);
        let mut paths: Vec<String> = kept
            .iter()
            .map(|k| k.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        paths.sort();
        assert_eq!(paths, [".b.svg.77.tmp", "mine.txt"]);
        assert!(!staged.join("summary.json").exists(), "recorded files go");
        assert!(
            staged.join(JOURNAL).exists(),
            "the journal stays to explain the rest"
        );
        let inside = Root::open(&staged).unwrap();
        for (n, b) in [(".b.svg.77.tmp", &b"<sv"[..]), ("mine.txt", b"mine")] {
            removal::remove(&inside, n, What::File(&Recorded::of(b))).unwrap();
        }
        assert!(clear_recorded_folder(&parent, &name).is_empty());
        assert!(!staged.exists());
        remove_scratch(&dir);
    }

    #[test]
    fn a_changed_file_is_kept() {
        let dir = scratch("changed");
        let mut s = Staging::create(&dir.join("q"), "k", "e").unwrap();
        s.write("summary.json", b"{}").unwrap();
        fs::write(s.dir().join("summary.json"), b"{\"mine\": 1}").unwrap();
        let kept = s.abandon();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].why.contains("changed"), "{}", kept[0]);
        remove_scratch(&dir);
    }
}
