//! Run identity: which guildsim wrote a file, which experiment a folder holds and which run a
//! run folder is. A run is named by its key, the SHA-256 of the guildsim version and the run's
//! `resolved.yaml` (the experiment with every value written out), so the key changes exactly
//! when something that reaches the run's result files changes; content is named by its
//! SHA-256 everywhere (run keys, experiment hashes, the records of written files).
//!
//! A leaf: it knows the serialised form of an experiment, not its type, so that `files`
//! (manifests, records) and everything above can use it.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The guildsim version: part of every run key and manifest, and checked by `merge`.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The file that holds a run's (or a sweep's) fully resolved experiment.
pub const RESOLVED: &str = "resolved.yaml";

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The experiment `name` (an assembled, validated `config::schema::Experiment`) with every
/// default written out, as `resolved.yaml` holds it. Enums are written as in experiment files
/// (`sizes: {fixed: {...}}`, not the tag `!fixed`), so the same field paths work on it
/// (`--set workload.guilds.sizes.fixed.members=10`, sweeps, `merge`).
pub(crate) fn resolved_yaml(name: &str, experiment: &impl Serialize) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    yaml_serde::with::singleton_map_recursive::serialize(
        experiment,
        &mut yaml_serde::Serializer::new(&mut body),
    )?;
    let body = String::from_utf8(body)?;
    Ok(format!(
        "# guildsim: the fully resolved experiment `{name}` (every value explicit).\n\
         # `guildsim run {RESOLVED}` repeats the run from this file alone.\n{body}"
    )
    .into_bytes())
}

/// The key of one run: the SHA-256 of the guildsim version and the run's `resolved.yaml`.
pub(crate) fn run_key(name: &str, experiment: &impl Serialize) -> String {
    let mut bytes = format!("guildsim {VERSION}\n").into_bytes();
    bytes.extend(resolved_yaml(name, experiment).expect("an experiment serialises"));
    sha256_hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_the_version_and_the_resolved_experiment() {
        #[derive(Serialize)]
        struct Exp {
            seed: u64,
        }
        let key = run_key("a", &Exp { seed: 1 });
        assert_eq!(key.len(), 64);
        assert_eq!(key, run_key("a", &Exp { seed: 1 }));
        assert_ne!(key, run_key("a", &Exp { seed: 2 }), "another value");
        assert_ne!(key, run_key("b", &Exp { seed: 1 }), "another name");
        let resolved = resolved_yaml("a", &Exp { seed: 1 }).unwrap();
        let mut bytes = format!("guildsim {VERSION}\n").into_bytes();
        bytes.extend(&resolved);
        assert_eq!(key, sha256_hex(&bytes));
        assert!(String::from_utf8(resolved).unwrap().ends_with("seed: 1\n"));
    }

    #[test]
    fn sha256_of_the_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
