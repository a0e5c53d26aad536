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

use crate::config::Loaded;
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;

/// The manifest's file name.
pub const KEY_FILE: &str = "run-key.txt";

/// The guildsim version: part of every run key.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key of one run: the SHA-256 of the guildsim version and the run's `resolved.yaml`.
pub fn run_key(loaded: &Loaded) -> String {
    let mut bytes = format!("guildsim {VERSION}\n").into_bytes();
    bytes.extend(super::resolved_yaml(loaded).expect("an experiment serialises"));
    sha256_hex(&bytes)
}

/// One file of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    pub size: u64,
    /// Absent in manifests written before hashes were recorded (such runs are never complete).
    pub sha256: Option<String>,
}

/// A parsed `run-key.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunManifest {
    pub version: String,
    pub key: String,
    /// Absent in manifests of older versions.
    pub experiment: Option<String>,
    pub files: Vec<FileEntry>,
}

impl RunManifest {
    /// The manifest of files already written in `dir` (named in `names`).
    pub fn of_files(dir: &Path, key: &str, experiment: &str, names: &[String]) -> Result<Self> {
        let mut files = Vec::new();
        for name in names {
            let path = dir.join(name);
            let bytes =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            files.push(FileEntry {
                name: name.clone(),
                size: bytes.len() as u64,
                sha256: Some(sha256_hex(&bytes)),
            });
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(RunManifest {
            version: VERSION.to_string(),
            key: key.to_string(),
            experiment: Some(experiment.to_string()),
            files,
        })
    }

    pub fn render(&self) -> String {
        let mut text = format!("guildsim {}\nkey {}\n", self.version, self.key);
        if let Some(e) = &self.experiment {
            text.push_str(&format!("experiment {e}\n"));
        }
        for f in &self.files {
            match &f.sha256 {
                Some(h) => text.push_str(&format!("{} {h} {}\n", f.size, f.name)),
                None => text.push_str(&format!("{} {}\n", f.size, f.name)),
            }
        }
        text
    }

    /// Parses a manifest; `None` if `text` is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines().peekable();
        let version = lines.next()?.strip_prefix("guildsim ")?.to_string();
        let key = lines.next()?.strip_prefix("key ")?.to_string();
        let experiment = match lines.peek() {
            Some(l) if l.starts_with("experiment ") => {
                let e = l["experiment ".len()..].to_string();
                lines.next();
                Some(e)
            }
            _ => None,
        };
        let mut files = Vec::new();
        for line in lines {
            let (size, rest) = line.split_once(' ')?;
            let size: u64 = size.parse().ok()?;
            let (sha256, name) = match rest.split_once(' ') {
                Some((h, n)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    (Some(h.to_string()), n)
                }
                _ => (None, rest),
            };
            if !is_plain_name(name) {
                return None;
            }
            files.push(FileEntry {
                name: name.to_string(),
                size,
                sha256,
            });
        }
        Some(RunManifest {
            version,
            key,
            experiment,
            files,
        })
    }

    /// The manifest of the run folder `dir`, if it has one.
    pub fn read(dir: &Path) -> Option<Self> {
        Self::parse(&fs::read_to_string(dir.join(KEY_FILE)).ok()?)
    }

    /// Whether the manifest lists `name` (the manifest itself included).
    pub fn owns(&self, name: &str) -> bool {
        name == KEY_FILE || self.files.iter().any(|f| f.name == name)
    }

    /// Why the files in `dir` do not match this manifest, or `Ok` if every listed file exists
    /// with its size and SHA-256.
    pub fn verify(&self, dir: &Path) -> Result<(), String> {
        for f in &self.files {
            let Some(expected) = &f.sha256 else {
                return Err(format!("{KEY_FILE} has no SHA-256 for {}", f.name));
            };
            let bytes =
                fs::read(dir.join(&f.name)).map_err(|_| format!("{} is missing", f.name))?;
            if bytes.len() as u64 != f.size || sha256_hex(&bytes) != *expected {
                return Err(format!(
                    "{} does not match its SHA-256 in {KEY_FILE} (changed after the run)",
                    f.name
                ));
            }
        }
        Ok(())
    }
}

/// A file name without any path separator or parent reference.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses_back() {
        let m = RunManifest {
            version: "0.1.0".into(),
            key: "ab".into(),
            experiment: Some("quickstart".into()),
            files: vec![FileEntry {
                name: "summary.json".into(),
                size: 3,
                sha256: Some(sha256_hex(b"abc")),
            }],
        };
        assert_eq!(RunManifest::parse(&m.render()), Some(m));
    }

    #[test]
    fn an_old_manifest_parses_without_hashes_and_never_verifies() {
        let m = RunManifest::parse("guildsim 0.1.0\nkey ab\n3 summary.json\n").unwrap();
        assert_eq!(m.experiment, None);
        assert_eq!(m.files[0].sha256, None);
        assert!(m.owns("summary.json") && m.owns(KEY_FILE) && !m.owns("notes.txt"));
        assert!(m.verify(Path::new("/nonexistent")).is_err());
    }

    #[test]
    fn a_listed_path_outside_the_folder_is_not_a_manifest() {
        assert_eq!(RunManifest::parse("guildsim 0.1.0\nkey ab\n3 ../x\n"), None);
        assert_eq!(RunManifest::parse("guildsim 0.1.0\nkey ab\n3 a/b\n"), None);
    }

    #[test]
    fn one_changed_byte_of_the_same_size_fails_verification() {
        let dir = std::env::temp_dir().join(format!("guildsim-manifest-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("summary.json"), b"{\"p99\": 12.5}").unwrap();
        let m = RunManifest::of_files(&dir, "k", "e", &["summary.json".into()]).unwrap();
        assert_eq!(m.verify(&dir), Ok(()));
        fs::write(dir.join("summary.json"), b"{\"p99\": 13.5}").unwrap();
        let err = m.verify(&dir).unwrap_err();
        assert!(err.contains("summary.json does not match"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
