//! A run folder's manifest, `run-key.txt`: which guildsim version and experiment wrote the
//! folder, the run's key, and every file with its size and SHA-256. It is written last, so a
//! folder with a manifest whose files all match it holds one complete run; it is also the list
//! of the only files guildsim may ever remove from that folder.
//!
//! ```text
//! guildsim 0.1.0
//! key 3f2a...                     SHA-256 of the version and the run's resolved.yaml
//! experiment quickstart
//! 10234 9c1e... summary.json      size, SHA-256, name; one line per file, sorted by name
//! ```
//!
//! A staging folder's journal (`.guildsim-journal`) has the same form, written as the files
//! are: a line for each file before the file itself.

use super::names::is_plain_name;
use super::record::Recorded;
use crate::identity::VERSION;
use std::fs;
use std::path::Path;

/// The manifest's file name.
pub const KEY_FILE: &str = "run-key.txt";

/// One file of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileEntry {
    pub(crate) name: String,
    pub(crate) recorded: Recorded,
}

/// A parsed `run-key.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RunManifest {
    pub(crate) version: String,
    pub(crate) key: String,
    pub(crate) experiment: String,
    pub(crate) files: Vec<FileEntry>,
}

/// Manifests and journals larger than this are not guildsim's (a run writes a few dozen files).
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

impl RunManifest {
    /// A manifest of `files` (sorted by name).
    pub(crate) fn new(key: &str, experiment: &str, mut files: Vec<FileEntry>) -> Self {
        files.sort_by(|a, b| a.name.cmp(&b.name));
        RunManifest {
            version: VERSION.to_string(),
            key: key.to_string(),
            experiment: experiment.to_string(),
            files,
        }
    }

    /// The header lines, without files (how a journal starts).
    pub(crate) fn header(key: &str, experiment: &str) -> String {
        format!("guildsim {VERSION}\nkey {key}\nexperiment {experiment}\n")
    }

    /// One file's line.
    pub(crate) fn line(name: &str, recorded: &Recorded) -> String {
        format!("{} {} {name}\n", recorded.size, recorded.sha256)
    }

    pub(crate) fn render(&self) -> String {
        let mut text = Self::header(&self.key, &self.experiment);
        for f in &self.files {
            text.push_str(&Self::line(&f.name, &f.recorded));
        }
        text
    }

    /// Parses a manifest (or a journal); `None` if `text` is not one: any line that is not a
    /// size, a SHA-256 and a plain name makes the whole text not guildsim's.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let version = lines.next()?.strip_prefix("guildsim ")?.to_string();
        let key = lines.next()?.strip_prefix("key ")?.to_string();
        let experiment = lines.next()?.strip_prefix("experiment ")?.to_string();
        let mut files = Vec::new();
        for line in lines {
            let (size, rest) = line.split_once(' ')?;
            let size: u64 = size.parse().ok()?;
            let (sha256, name) = rest.split_once(' ')?;
            if !Recorded::is_sha256(sha256) || !is_plain_name(name) {
                return None;
            }
            files.push(FileEntry {
                name: name.to_string(),
                recorded: Recorded {
                    size,
                    sha256: sha256.to_ascii_lowercase(),
                },
            });
        }
        Some(RunManifest {
            version,
            key,
            experiment,
            files,
        })
    }

    /// The manifest `name` in folder `dir` and the bytes it was read from, if it is one (a
    /// regular file, not a link).
    pub(crate) fn read_named(dir: &Path, name: &str) -> Option<(Self, Vec<u8>)> {
        let path = dir.join(name);
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
            return None;
        }
        let bytes = fs::read(&path).ok()?;
        let m = Self::parse(std::str::from_utf8(&bytes).ok()?)?;
        Some((m, bytes))
    }

    /// The manifest of the run folder `dir`, if it has one.
    pub(crate) fn read(dir: &Path) -> Option<Self> {
        Self::read_named(dir, KEY_FILE).map(|(m, _)| m)
    }

    /// Whether the manifest lists `name` (the manifest itself included).
    pub(crate) fn owns(&self, name: &str) -> bool {
        name == KEY_FILE || self.files.iter().any(|f| f.name == name)
    }

    /// Why the files in `dir` do not match this manifest, or `Ok` if every listed file exists
    /// with its size and SHA-256.
    pub(crate) fn verify(&self, dir: &Path) -> Result<(), String> {
        for f in &self.files {
            match check_file(&dir.join(&f.name), &f.recorded) {
                FileState::Matches => {}
                FileState::Missing => return Err(format!("{} is missing", f.name)),
                FileState::Changed(why) => {
                    return Err(format!(
                        "{} does not match its SHA-256 in {KEY_FILE} ({why})",
                        f.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// Listed files present in `dir` whose content is not the recorded one, with why: the
    /// files guildsim may not replace or remove. Missing files are fine (nothing to lose).
    pub(crate) fn changed(&self, dir: &Path) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter_map(|f| match check_file(&dir.join(&f.name), &f.recorded) {
                FileState::Changed(why) => Some((f.name.clone(), why)),
                _ => None,
            })
            .collect()
    }
}

/// How a file on disk compares with its record.
pub(crate) enum FileState {
    Matches,
    Missing,
    Changed(String),
}

/// Compares the file at `path` (not followed if a link) with `recorded`.
pub(crate) fn check_file(path: &Path, recorded: &Recorded) -> FileState {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return FileState::Missing,
        Err(e) => return FileState::Changed(format!("cannot inspect it: {e}")),
    };
    if meta.file_type().is_symlink() {
        return FileState::Changed("replaced by a symbolic link".into());
    }
    if !meta.is_file() {
        return FileState::Changed("replaced by a folder or a special file".into());
    }
    if meta.len() != recorded.size {
        return FileState::Changed("changed after guildsim wrote it: another size".into());
    }
    match fs::read(path) {
        Ok(bytes) if recorded.matches(&bytes) => FileState::Matches,
        Ok(_) => FileState::Changed("changed after guildsim wrote it".into()),
        Err(e) => FileState::Changed(format!("cannot read it: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::removal::remove_scratch;

    #[test]
    fn renders_and_parses_back() {
        let m = RunManifest::new(
            "ab",
            "quickstart",
            vec![FileEntry {
                name: "summary.json".into(),
                recorded: Recorded::of(b"abc"),
            }],
        );
        assert_eq!(RunManifest::parse(&m.render()), Some(m));
    }

    #[test]
    fn a_manifest_without_hashes_or_experiment_is_not_guildsims() {
        assert_eq!(
            RunManifest::parse("guildsim 0.1.0\nkey ab\n3 summary.json\n"),
            None
        );
        let h = Recorded::of(b"abc").sha256;
        assert!(
            RunManifest::parse(&format!("guildsim 0.1.0\nkey ab\nexperiment e\n3 {h} s\n"))
                .is_some()
        );
    }

    #[test]
    fn a_listed_path_outside_the_folder_is_not_a_manifest() {
        let h = Recorded::of(b"abc").sha256;
        for name in ["../x", "a/b", "/etc/passwd", ".."] {
            let text = format!("guildsim 0.1.0\nkey ab\nexperiment e\n3 {h} {name}\n");
            assert_eq!(RunManifest::parse(&text), None, "{name}");
        }
    }

    #[test]
    fn one_changed_byte_of_the_same_size_fails_verification() {
        let dir = std::env::temp_dir().join(format!("guildsim-manifest-{}", std::process::id()));
        remove_scratch(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("summary.json"), b"{\"p99\": 12.5}").unwrap();
        let m = RunManifest::new(
            "k",
            "e",
            vec![FileEntry {
                name: "summary.json".into(),
                recorded: Recorded::of(b"{\"p99\": 12.5}"),
            }],
        );
        assert_eq!(m.verify(&dir), Ok(()));
        assert!(m.changed(&dir).is_empty());
        fs::write(dir.join("summary.json"), b"{\"p99\": 13.5}").unwrap();
        let err = m.verify(&dir).unwrap_err();
        assert!(err.contains("summary.json does not match"), "{err}");
        assert_eq!(m.changed(&dir).len(), 1);
        remove_scratch(&dir);
    }
}
