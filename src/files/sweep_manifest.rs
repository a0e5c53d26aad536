//! A sweep folder's manifests: `sweep.json` for a whole sweep (or a search), and
//! `shard-I-of-N.json` for one shard of it. Each says which experiment and guildsim version
//! wrote the folder (the SHA-256 of its `resolved.yaml`), and lists the tables and plots at the
//! top of the folder with the size and SHA-256 guildsim wrote them with: the only top-level
//! files, besides the manifests and `resolved.yaml`, it may ever replace or remove. A manifest
//! that lists anything but plain names with records is not guildsim's.

use super::names::is_plain_name;
use super::record::Recorded;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) const MANIFEST: &str = "sweep.json";

/// Larger files are not guildsim's manifests (a sweep lists a few dozen tables and plots).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Which experiment and guildsim version wrote a sweep folder, and which share of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub(crate) guildsim: String,
    pub(crate) experiment: String,
    /// SHA-256 of the top-level `resolved.yaml`.
    pub(crate) experiment_sha256: String,
    pub(crate) points: usize,
    pub(crate) replications: u32,
    pub(crate) runs: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shard: Option<ShardInfo>,
    /// The tables and plots at the top of the folder that guildsim wrote (or is about to
    /// write), with their records; a name may appear twice while a file is being replaced.
    #[serde(default)]
    pub(crate) files: Vec<ListedFile>,
}

/// One top-level file a manifest lists.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListedFile {
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
}

impl ListedFile {
    pub(crate) fn of(name: &str, bytes: &[u8]) -> Self {
        let r = Recorded::of(bytes);
        ListedFile {
            name: name.to_string(),
            size: r.size,
            sha256: r.sha256,
        }
    }

    pub(crate) fn recorded(&self) -> Recorded {
        Recorded {
            size: self.size,
            sha256: self.sha256.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShardInfo {
    pub(crate) index: usize,
    pub(crate) count: usize,
}

/// A manifest as read from disk, with its bytes (the record it is removed against).
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) name: String,
    pub(crate) manifest: Manifest,
    pub(crate) bytes: Vec<u8>,
}

impl Manifest {
    /// The manifest's file name: `sweep.json`, or `shard-I-of-N.json` for a shard.
    pub(crate) fn file_name(&self) -> String {
        match self.shard {
            None => MANIFEST.to_string(),
            Some(s) => format!("shard-{}-of-{}.json", s.index, s.count),
        }
    }

    pub(crate) fn render(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).expect("a manifest serialises");
        text.push('\n');
        text.into_bytes()
    }

    /// Parses a manifest; an error says why it is not guildsim's.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if !Recorded::is_sha256(&m.experiment_sha256) {
            return Err("experiment_sha256 is not a SHA-256".into());
        }
        if let Some(f) = m
            .files
            .iter()
            .find(|f| !is_plain_name(&f.name) || !Recorded::is_sha256(&f.sha256))
        {
            return Err(format!(
                "it lists `{}`, which is not a plain file name with a SHA-256",
                f.name
            ));
        }
        if let Some(s) = m.shard
            && (s.count < 2 || s.index >= s.count)
        {
            return Err(format!("shard {}/{} is not a shard", s.index, s.count));
        }
        Ok(m)
    }

    /// The records of top-level file `name` (several while it is being replaced).
    pub(crate) fn records_of(&self, name: &str) -> Vec<Recorded> {
        self.files
            .iter()
            .filter(|f| f.name == name)
            .map(ListedFile::recorded)
            .collect()
    }
}

/// Whether `name` is a manifest's file name.
pub(crate) fn is_manifest_name(name: &str) -> bool {
    name == MANIFEST || (name.starts_with("shard-") && name.ends_with(".json"))
}

/// Every manifest in `dir` (a whole sweep's and shards'), sorted by file name. A file with a
/// manifest's name that is not one is an error naming it.
pub(crate) fn read_manifests(dir: &Path) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    let entries =
        fs::read_dir(dir).with_context(|| format!("cannot read folder {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read folder {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_manifest_name(&name) {
            continue;
        }
        let path = entry.path();
        let meta = fs::symlink_metadata(&path)
            .with_context(|| format!("cannot inspect {}", path.display()))?;
        if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
            bail!(
                "{} is not a guildsim sweep manifest (not a regular file of at most 16 MiB)",
                path.display()
            );
        }
        let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let manifest = Manifest::parse(&bytes).map_err(|why| {
            anyhow::anyhow!("{} is not a guildsim sweep manifest: {why}", path.display())
        })?;
        found.push(Found {
            path,
            name,
            manifest,
            bytes,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(files: Vec<ListedFile>) -> Manifest {
        Manifest {
            guildsim: "0.1.0".into(),
            experiment: "e".into(),
            experiment_sha256: Recorded::of(b"x").sha256,
            points: 1,
            replications: 1,
            runs: 1,
            shard: None,
            files,
        }
    }

    #[test]
    fn renders_and_parses_back() {
        let m = manifest(vec![ListedFile::of("sweep.csv", b"a,b\n")]);
        assert_eq!(Manifest::parse(&m.render()), Ok(m));
    }

    #[test]
    fn a_listed_path_that_is_not_a_plain_name_is_not_a_manifest() {
        for name in [
            "../../notes/thesis.tex",
            "/home/u/thesis.tex",
            "runs/x",
            "..",
        ] {
            let mut f = ListedFile::of("x", b"x");
            f.name = name.into();
            let err = Manifest::parse(&manifest(vec![f]).render()).unwrap_err();
            assert!(err.contains("not a plain file name"), "{name}: {err}");
        }
        let mut f = ListedFile::of("sweep.csv", b"x");
        f.sha256 = "abc".into();
        assert!(Manifest::parse(&manifest(vec![f]).render()).is_err());
        // The format before records (a list of names) is not accepted either.
        let old = br#"{"guildsim":"0.1.0","experiment":"e","experiment_sha256":"x","points":1,"replications":1,"runs":1,"files":["sweep.csv"]}"#;
        assert!(Manifest::parse(old).is_err());
    }
}
