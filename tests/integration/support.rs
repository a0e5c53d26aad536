//! What the tests share: where the experiments are, loading and running them through the
//! library, scratch folders and reading result trees, and running the built binary (plain, with
//! a hang guard, on an edited experiment) with the assertions its refusals need.

use guildsim::config::{self, LoadOptions, Loaded};
use guildsim::runner::{self, RunResult};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (where `experiments/` and `models/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn experiment(name: &str) -> PathBuf {
    root().join("experiments").join(name)
}

/// A path as a command-line argument.
pub fn arg(path: &Path) -> String {
    path.display().to_string()
}

/// The path of a shipped experiment as a command-line argument.
pub fn experiment_arg(name: &str) -> String {
    arg(&experiment(name))
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

/// Runs the built binary; returns its exit code and standard error.
pub fn guildsim(args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = guildsim_with_stdout(args);
    (code, stderr)
}

/// Runs the built binary; returns its exit code, standard output and standard error.
pub fn guildsim_with_stdout(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the built binary with a hang guard: killed, and the test failed, after `limit`.
/// Returns its exit code, standard error and the seconds it took.
pub fn timed(args: &[&str], limit: Duration) -> (i32, String, f64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("guildsim {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed().as_secs_f64(),
    )
}

/// Runs the built binary with a generous hang guard (it measures nothing); returns its exit
/// code and standard error.
pub fn guarded(args: &[&str]) -> (i32, String) {
    let (code, stderr, _) = timed(args, Duration::from_secs(120));
    (code, stderr)
}

/// `guildsim check FILE` with a hang guard: exit code, standard error and seconds.
pub fn check_timed(file: &str) -> (i32, String, f64) {
    timed(&["check", file], Duration::from_secs(30))
}

/// `guildsim run EXPERIMENT --test-scale -q --out OUT [extra...]`, with a hang guard: exit
/// code and standard error.
pub fn run_test_scale(experiment: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let (e, o) = (arg(experiment), arg(out));
    let mut args = vec!["run", e.as_str(), "--test-scale", "-q", "--out", o.as_str()];
    args.extend(extra);
    guarded(&args)
}

/// `guildsim run quickstart.yaml --test-scale` with `--set`s, into the fresh folder
/// `dir/name`, with a hang guard.
pub fn run_quickstart(dir: &Path, name: &str, sets: &[&str]) -> (i32, String) {
    let extra: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
    run_test_scale(&experiment("quickstart.yaml"), &dir.join(name), &extra)
}

/// `guildsim check` on `text` written to `<name>.yaml` in the scratch folder `scratch`, with
/// `../models/` made absolute so the file may live anywhere. Returns the exit code and
/// standard error, and the text as written (to find positions in).
pub fn check_text(scratch: &str, name: &str, text: &str) -> ((i32, String), String) {
    let dir = scratch_dir(scratch);
    let file = text.replace("../models/", &format!("{}/models/", root().display()));
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, &file).unwrap();
    let out = guildsim(&["check", &arg(&path)]);
    std::fs::remove_dir_all(&dir).unwrap();
    (out, file)
}

/// Asserts exit code 2 and an error at `file:line_col: path:` that mentions `what`.
pub fn assert_located(out: &(i32, String), file: &str, line_col: &str, path: &str, what: &str) {
    let (code, stderr) = out;
    assert_eq!(*code, 2, "exit code; stderr: {stderr}");
    let place = format!("{file}:{line_col}: {path}:");
    assert!(stderr.contains(&place), "expected `{place}` in: {stderr}");
    assert!(stderr.contains(what), "expected `{what}` in: {stderr}");
}

/// `line:column` (1-based, characters) where `needle` starts in the first `context` of `text`.
pub fn position_in(text: &str, context: &str, needle: &str) -> String {
    let start = text
        .find(context)
        .unwrap_or_else(|| panic!("`{context}` not in the file"));
    let at = start
        + context
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not in `{context}`"));
    let line = text[..at].matches('\n').count() + 1;
    let column = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{line}:{column}")
}

/// `line:column` where `needle` first starts in `text`.
pub fn position(text: &str, needle: &str) -> String {
    position_in(text, needle, needle)
}
