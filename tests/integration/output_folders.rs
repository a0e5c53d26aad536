//! Output folders: guildsim never deletes or mixes with files it did not write, a folder holds
//! one complete run or nothing (whatever moment a run is killed at), one process writes a folder
//! at a time, and content, not size, decides whether a run can be reused or merged.
//! Each test is a regression test for a defect found by trying it as an adversarial user would.

use super::bad_input::guildsim;
use super::{experiment, read_tree, scratch_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const SWEEP: &str = "scaling-guild-size.yaml";
const SINGLE: &str = "quickstart.yaml";

fn exp(name: &str) -> String {
    experiment(name).to_str().unwrap().to_string()
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// `guildsim run EXPERIMENT --test-scale -q --out OUT [extra...]`.
fn run_into(name: &str, out: &Path, extra: &[&str]) -> (i32, String) {
    let (e, o) = (exp(name), s(out));
    let mut args = vec!["run", e.as_str(), "--test-scale", "-q", "--out", o.as_str()];
    args.extend(extra);
    guildsim(&args)
}

/// A folder of a user's own files, as `docs/` with the README figures was.
fn users_folder(dir: &Path) -> (PathBuf, Vec<(String, Vec<u8>)>) {
    let docs = dir.join("docs");
    std::fs::create_dir_all(docs.join("runs")).unwrap();
    std::fs::write(docs.join("figure.svg"), "<svg>my figure</svg>").unwrap();
    std::fs::write(docs.join("runs").join("notes.txt"), "my notes").unwrap();
    let before = read_tree(&docs);
    (docs, before)
}

#[test]
fn a_sweep_into_a_folder_of_user_files_is_refused_and_deletes_nothing() {
    // Post-mortem: `run scaling-guild-size.yaml --out docs` deleted the five README figures.
    let dir = scratch_dir("out-user-files-sweep");
    let (docs, before) = users_folder(&dir);
    let (code, stderr) = run_into(SWEEP, &docs, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("did not write"), "{stderr}");
    assert!(stderr.contains("figure.svg"), "{stderr}");
    assert_eq!(read_tree(&docs), before, "the user's files are untouched");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_single_run_or_merge_into_a_folder_of_user_files_is_refused() {
    let dir = scratch_dir("out-user-files-single");
    let (docs, before) = users_folder(&dir);
    let (code, stderr) = run_into(SINGLE, &docs, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("figure.svg"), "{stderr}");

    let shards = dir.join("shards");
    assert_eq!(run_into(SWEEP, &shards, &["--shard", "0/1"]).0, 0);
    let (code, stderr) = guildsim(&["merge", &s(&shards), "--out", &s(&docs)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("did not write"), "{stderr}");
    assert_eq!(read_tree(&docs), before, "the user's files are untouched");
    assert!(
        !dir.join(".docs.guildsim-lock").exists(),
        "a refused folder gets no lock file beside it"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn another_experiments_results_are_refused() {
    // Post-mortem: a sweep pruned another experiment's whole `runs/`.
    let dir = scratch_dir("out-other-experiment");
    let out = dir.join("out");
    assert_eq!(run_into(SWEEP, &out, &[]).0, 0);
    let before = read_tree(&out);
    let (code, stderr) = run_into("discord-2017-registry-semaphore.yaml", &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("holds the results of experiment `scaling-guild-size`"),
        "{stderr}"
    );
    let (code, stderr) = run_into(SINGLE, &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(read_tree(&out), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_added_to_a_sweep_folder_is_kept_and_named() {
    let dir = scratch_dir("out-added-file");
    let out = dir.join("out");
    assert_eq!(run_into(SWEEP, &out, &[]).0, 0);
    let run = std::fs::read_dir(out.join("runs")).unwrap().next().unwrap();
    let rep = std::fs::read_dir(run.unwrap().path()).unwrap().next();
    let added = rep.unwrap().unwrap().path().join("my-analysis.ipynb");
    std::fs::write(&added, "{}").unwrap();
    let (code, stderr) = run_into(SWEEP, &out, &["--set", "sweep.replications=1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("my-analysis.ipynb"), "{stderr}");
    assert!(added.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rerun_replaces_the_whole_run_folder() {
    // Post-mortem: a rerun with fewer plots left the old SVGs beside the new summary.
    let dir = scratch_dir("out-rerun");
    let out = dir.join("q");
    assert_eq!(run_into(SINGLE, &out, &[]).0, 0);
    assert!(out.join("mailbox_depth.svg").exists());
    let fewer = ["--set", "output.plots=[latency_cdf]", "--seed", "3"];
    assert_eq!(run_into(SINGLE, &out, &fewer).0, 0);
    let fresh = dir.join("fresh");
    assert_eq!(run_into(SINGLE, &fresh, &fewer).0, 0);
    assert_eq!(read_tree(&out), read_tree(&fresh));
    let parent: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        parent
            .iter()
            .all(|n| !n.contains(".tmp-") && !n.contains(".old-")),
        "no staging folder is left: {parent:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts `guildsim run` and kills it with SIGKILL after `after`.
fn run_and_kill(name: &str, out: &Path, after: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(["run", &exp(name), "--test-scale", "-q", "--jobs", "2"])
        .args(["--out", &s(out)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

/// What a kill may leave behind that guildsim cannot verify, removed from `tree` after checking
/// it: in a staging folder (`.r002.tmp-123/`) or as a temporary file (`.sweep.csv.123.tmp`), a
/// file a killed process was writing when it died, which must be a prefix of the file it was to
/// become in `expected` (guildsim leaves it and names it: it cannot prove the content is its
/// own), and the staging folder's journal that explains it.
fn without_kill_leftovers(
    tree: Vec<(String, Vec<u8>)>,
    expected: &[(String, Vec<u8>)],
) -> Vec<(String, Vec<u8>)> {
    use guildsim::files::names::{leftover_of, temp_target};
    tree.into_iter()
        .filter(|(rel, bytes)| {
            if expected.iter().any(|(n, _)| n == rel) {
                return true;
            }
            let parts: Vec<&str> = rel.split('/').collect();
            let staged = parts.iter().any(|p| leftover_of(p).is_some());
            let intended: Vec<&str> = parts
                .iter()
                .map(|p| leftover_of(p).or_else(|| temp_target(p)).unwrap_or(p))
                .collect();
            if staged && parts.last() == Some(&".guildsim-journal") {
                return false;
            }
            let intended = intended.join("/");
            let partial = expected
                .iter()
                .find(|(n, _)| *n == intended)
                .is_some_and(|(_, full)| full.starts_with(bytes) && bytes.len() < full.len());
            assert!(
                partial || !(staged || temp_target(parts.last().unwrap()).is_some()),
                "{rel} is left, but it is not part of {intended}"
            );
            !partial
        })
        .collect()
}

/// Kills a run at several moments, reruns the same command each time, and compares the
/// folder (and its parent: no leftovers but the unverifiable partial files of a killed write)
/// with an uninterrupted run's.
fn killed_runs_leave_nothing_mixed(name: &str, test: &str) {
    let dir = scratch_dir(test);
    let reference = dir.join("reference");
    let started = std::time::Instant::now();
    assert_eq!(run_into(name, &reference, &["--jobs", "2"]).0, 0);
    // Kill moments spread over the whole run, writing phase included.
    let whole = started.elapsed();
    let expected = read_tree(&reference);
    for i in 0..7u32 {
        let out = dir.join(format!("killed-{i}"));
        let after = whole * (i + 1) / 8;
        let ms = after.as_millis();
        run_and_kill(name, &out, after);
        if out.exists() && name == SINGLE {
            let files = read_tree(&out);
            assert!(
                files == expected,
                "killed after {ms} ms: a single run folder must be whole or absent"
            );
        }
        let (code, stderr) = run_into(name, &out, &["--jobs", "2"]);
        assert_eq!(code, 0, "rerun after a kill at {ms} ms: {stderr}");
        assert!(
            without_kill_leftovers(read_tree(&out), &expected) == expected,
            "killed after {ms} ms, then rerun: the folder differs from an uninterrupted run"
        );
    }
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".guildsim-lock"))
        .filter(|n| {
            // A single run's staging folder with a partial file in it.
            guildsim::files::names::leftover_of(n).is_none_or(|target| {
                let prefixed: Vec<(String, Vec<u8>)> = read_tree(&dir.join(n))
                    .into_iter()
                    .map(|(f, b)| (format!("{n}/{f}"), b))
                    .collect();
                let expected_here: Vec<(String, Vec<u8>)> = expected
                    .iter()
                    .map(|(f, b)| (format!("{target}/{f}"), b.clone()))
                    .collect();
                !without_kill_leftovers(prefixed, &expected_here).is_empty()
            })
        })
        .collect();
    left.sort();
    let mut wanted: Vec<String> = (0..7).map(|i| format!("killed-{i}")).collect();
    wanted.push("reference".into());
    assert_eq!(
        left, wanted,
        "nothing but the result folders, their locks and partial writes"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_single_run_killed_at_any_moment_then_rerun_is_whole() {
    killed_runs_leave_nothing_mixed(SINGLE, "out-kill-single");
}

#[test]
fn a_sweep_killed_at_any_moment_then_rerun_is_whole() {
    killed_runs_leave_nothing_mixed(SWEEP, "out-kill-sweep");
}

#[test]
fn two_processes_on_one_folder_never_mix() {
    // Post-mortem: two runs into one folder at once ended mixed in 2 of 10 trials, both exit 0.
    let dir = scratch_dir("out-two-at-once");
    let seed = |n: &str| vec!["--seed".to_string(), n.to_string()];
    let refs: Vec<_> = ["1", "2"]
        .iter()
        .map(|n| {
            let out = dir.join(format!("ref-{n}"));
            let args: Vec<&str> = ["--seed", n].to_vec();
            assert_eq!(run_into(SINGLE, &out, &args).0, 0);
            read_tree(&out)
        })
        .collect();
    for trial in 0..4 {
        let out = dir.join(format!("both-{trial}"));
        let children: Vec<_> = ["1", "2"]
            .iter()
            .map(|n| {
                Command::new(env!("CARGO_BIN_EXE_guildsim"))
                    .args(["run", &exp(SINGLE), "--test-scale", "-q", "--out", &s(&out)])
                    .args(seed(n))
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        for o in &outputs {
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                o.status.success() || stderr.contains("in use by another guildsim process"),
                "{stderr}"
            );
        }
        let files = read_tree(&out);
        assert!(
            files == refs[0] || files == refs[1],
            "trial {trial}: the folder is a mix of two runs"
        );
    }

    // Two sweeps at once: the second is told the folder is in use.
    let out = dir.join("sweep");
    let lock =
        guildsim::files::lock::lock(&out, guildsim::files::lock::LockMode::Exclusive).unwrap();
    let (code, stderr) = run_into(SWEEP, &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("in use by another guildsim process"),
        "{stderr}"
    );
    drop(lock);
    assert_eq!(run_into(SWEEP, &out, &[]).0, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merge_checks_content_not_sizes() {
    // Post-mortem: one changed digit in a run's summary.json kept its size and merged silently.
    let dir = scratch_dir("out-merge-content");
    let shard = dir.join("shard");
    assert_eq!(run_into(SWEEP, &shard, &["--shard", "0/1"]).0, 0);
    let point = std::fs::read_dir(shard.join("runs")).unwrap().next();
    let run = point.unwrap().unwrap().path().join("r000");
    let summary = run.join("summary.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    let at = text.find("\"seed\": ").unwrap() + "\"seed\": ".len();
    let mut bytes = text.clone().into_bytes();
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    assert_eq!(bytes.len(), text.len(), "one digit changed, same size");
    std::fs::write(&summary, &bytes).unwrap();
    let (code, stderr) = guildsim(&["merge", &s(&shard), "--out", &s(&dir.join("m"))]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("summary.json does not match"), "{stderr}");
    assert!(stderr.contains("r000"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn temporary_files_a_killed_process_left_are_removed_only_if_complete() {
    // Post-mortem: `.*.<pid>.tmp` files of a sweep killed while writing its tables stayed.
    // Since issue 19 a temporary file is removed only if it holds what a manifest records (a
    // complete write killed before its rename); a partial one is left and named.
    let dir = scratch_dir("out-stale-temp");
    let out = dir.join("out");
    assert_eq!(run_into(SWEEP, &out, &[]).0, 0);
    let expected = read_tree(&out);
    let aggregate = std::fs::read(out.join("aggregate.csv")).unwrap();
    std::fs::write(out.join(".aggregate.csv.99999.tmp"), &aggregate).unwrap();
    std::fs::write(out.join(".sweep.csv.99998.tmp"), "half a table").unwrap();
    let (code, stderr) = run_into(SWEEP, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(".sweep.csv.99998.tmp"), "{stderr}");
    assert!(!out.join(".aggregate.csv.99999.tmp").exists());
    let mut tree = read_tree(&out);
    tree.retain(|(n, _)| n != ".sweep.csv.99998.tmp");
    assert!(tree == expected);
    std::fs::remove_dir_all(&dir).unwrap();
}
