//! guildsim's integration tests: one binary, one module per concern. Helpers here load and
//! run experiments through the library (and, for exit codes, through the built binary).

mod bad_input;
mod calibrate;
mod cluster_2017;
mod compare;
mod delivery_modes;
mod designs;
mod determinism;
mod editor_schema;
mod estimates;
mod expect;
mod fixes;
mod hostile_input;
mod input_bounds;
mod manifest_fuzz;
mod mutants;
mod output_folders;
mod phases;
mod plots_readable;
mod report_html;
mod search;
mod slice_ends;
mod snapshots;
mod sweep_input;
mod sweeps;
mod trace;
mod validation;
mod windows;

use guildsim::config::{self, LoadOptions, Loaded};
use guildsim::runner::{self, RunResult};
use std::path::{Path, PathBuf};

/// The repository root (where `experiments/` and `models/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn experiment(name: &str) -> PathBuf {
    root().join("experiments").join(name)
}

/// Loads an experiment with `--set` overrides, at test scale or full scale.
pub fn load(path: &Path, sets: &[&str], test_scale: bool) -> Loaded {
    let options = LoadOptions {
        sets: sets.iter().map(|s| s.to_string()).collect(),
        test_scale,
    };
    config::load_experiment(path, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn run(loaded: &Loaded) -> RunResult {
    runner::simulate(loaded, |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh, empty scratch directory for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guildsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file under `dir`, by path relative to it (`runs/a/r000/summary.json`), with its
/// bytes, sorted.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// The names of the files of a tree, for messages.
pub fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|f| f.0.as_str()).collect()
}

/// Every file of a result directory, by name, with its bytes.
pub fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}
