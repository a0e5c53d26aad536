//! Output folders: guildsim never deletes or mixes with files it did not write, a folder holds
//! one complete run or nothing (whatever moment a run is killed at), one process writes a folder
//! at a time, and content, not size, decides whether a run can be reused or merged.
//! Each test is a regression test for a defect found by trying it as an adversarial user would.

use super::support::{
    arg, experiment, experiment_arg, guildsim, read_tree, root, run_test_scale, scratch_dir,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const SWEEP: &str = "scaling-guild-size.yaml";
const SINGLE: &str = "quickstart.yaml";

/// `guildsim run EXPERIMENT --test-scale -q --out OUT [extra...]`.
fn run_into(name: &str, out: &Path, extra: &[&str]) -> (i32, String) {
    run_test_scale(&experiment(name), out, extra)
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
    let (code, stderr) = guildsim(&["merge", &arg(&shards), "--out", &arg(&docs)]);
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
        .args([
            "run",
            &experiment_arg(name),
            "--test-scale",
            "-q",
            "--jobs",
            "2",
        ])
        .args(["--out", &arg(out)])
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
                    .args([
                        "run",
                        &experiment_arg(SINGLE),
                        "--test-scale",
                        "-q",
                        "--out",
                        &arg(&out),
                    ])
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
    let (code, stderr) = guildsim(&["merge", &arg(&shard), "--out", &arg(&dir.join("m"))]);
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

// ---- Issue 19: a manifest, a link or a path must never make guildsim delete what it did not
// write. Each test reproduces one finding of that issue; every one deleted or lost a file
// before.

/// Bait files around `dir/out`: a notes folder beside it and a file above it, with contents.
fn bait(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let notes = dir.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    let files = [
        (notes.join("thesis.tex"), b"\\chapter{mine}".to_vec()),
        (dir.join("bait.txt"), b"keep me".to_vec()),
    ];
    for (p, b) in &files {
        std::fs::write(p, b).unwrap();
    }
    files.to_vec()
}

fn assert_intact(bait: &[(PathBuf, Vec<u8>)]) {
    for (p, b) in bait {
        assert_eq!(
            &std::fs::read(p).unwrap(),
            b,
            "{} changed or vanished",
            p.display()
        );
    }
}

/// Rewrites the JSON manifest `file`, adding an entry to its `files` list.
fn add_listed(file: &Path, name: &str) {
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let sha = guildsim::identity::sha256_hex(b"keep me");
    m["files"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": name, "size": 7, "sha256": sha}));
    std::fs::write(file, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

#[test]
fn paths_in_a_sweep_manifest_never_reach_outside_the_folder() {
    // Finding 1: a `files` entry `../../notes/thesis.tex` (or an absolute path) in sweep.json,
    // a shard manifest or a search's manifest was removed on rerun, resume or merge, exit 0.
    let dir = scratch_dir("i19-manifest-paths");
    let bait = bait(&dir);
    let out = dir.join("out");
    assert_eq!(run_into(SWEEP, &out, &[]).0, 0);
    for entry in [
        "../notes/thesis.tex",
        &dir.join("bait.txt").display().to_string(),
        "..",
    ] {
        let manifest = out.join("sweep.json");
        let before = std::fs::read(&manifest).unwrap();
        add_listed(&manifest, entry);
        let (code, stderr) = run_into(SWEEP, &out, &["--set", "sweep.replications=1"]);
        assert_eq!(code, 2, "{entry}: {stderr}");
        assert!(stderr.contains("not a guildsim sweep manifest"), "{stderr}");
        assert_intact(&bait);
        std::fs::write(&manifest, before).unwrap();
    }
    // A shard folder from another host whose manifest lists a path outside: merge refuses.
    let shard = dir.join("shard");
    assert_eq!(run_into(SWEEP, &shard, &["--shard", "0/1"]).0, 0);
    add_listed(&shard.join("sweep.json"), "../notes/thesis.tex");
    let (code, stderr) = guildsim(&["merge", &arg(&shard), "--out", &arg(&dir.join("merged"))]);
    assert_eq!(code, 2, "{stderr}");
    assert_intact(&bait);
    assert!(
        !dir.join("merged").exists(),
        "a refused merge leaves nothing behind"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_that_changed_since_guildsim_wrote_it_is_never_removed() {
    // Finding 2: a listed file whose size and SHA-256 no longer matched (a user's own
    // latency_cdf.svg) was deleted on rerun; one replaced by a folder was moved aside and
    // deleted with the user's files on the next run.
    let dir = scratch_dir("i19-changed");
    let out = dir.join("q");
    assert_eq!(run_into(SINGLE, &out, &[]).0, 0);
    let svg = out.join("latency_cdf.svg");
    std::fs::write(&svg, "<svg>my own figure</svg>").unwrap();
    let (code, stderr) = run_into(SINGLE, &out, &["--seed", "3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("latency_cdf.svg (changed after guildsim wrote it"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&svg).unwrap(),
        "<svg>my own figure</svg>"
    );
    // Replaced by a folder of the user's: refused, and nothing is moved aside.
    std::fs::remove_file(&svg).unwrap();
    std::fs::create_dir(&svg).unwrap();
    std::fs::write(svg.join("mine.txt"), "mine").unwrap();
    let (code, stderr) = run_into(SINGLE, &out, &["--seed", "3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("replaced by a folder"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(svg.join("mine.txt")).unwrap(),
        "mine"
    );
    let parent: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(parent.iter().all(|n| !n.contains(".old-")), "{parent:?}");
    // The manifest itself edited so that its record fits the user's file: still not removed,
    // because the name it lists is not a plain name, or the content is not recorded.
    std::fs::remove_dir_all(&svg).unwrap();
    assert_eq!(run_into(SINGLE, &out, &["--seed", "3"]).0, 0);

    // An empty folder a user made inside a sweep's runs/ survives a rerun that prunes runs.
    let sweep = dir.join("sweep");
    assert_eq!(run_into(SWEEP, &sweep, &[]).0, 0);
    let mine = sweep.join("runs").join("my-empty-folder");
    std::fs::create_dir(&mine).unwrap();
    let (code, stderr) = run_into(SWEEP, &sweep, &["--set", "sweep.replications=1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(mine.is_dir(), "the user's empty folder is still there");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn paths_are_judged_where_they_really_lead() {
    // Finding 3: `--out r/qa/../qa` lost an existing run; `--out` as a link emptied its
    // target through it; `--trace r/zz/../run/summary.json` overwrote the run's summary.
    let dir = scratch_dir("i19-paths");
    let r = dir.join("r");
    std::fs::create_dir_all(r.join("zz")).unwrap();
    let qa = r.join("qa");
    assert_eq!(run_into(SINGLE, &qa, &[]).0, 0);
    let dotted = r.join("qa").join("..").join("qa");
    let (code, stderr) = run_into(SINGLE, &dotted, &["--seed", "3"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        qa.join("run-key.txt").is_file(),
        "the run is there, replaced"
    );
    let fresh = dir.join("fresh");
    assert_eq!(run_into(SINGLE, &fresh, &["--seed", "3"]).0, 0);
    assert!(read_tree(&qa) == read_tree(&fresh));

    // A link as --out: refused; the target and the link stay as they were.
    let link = dir.join("link");
    std::os::unix::fs::symlink(&qa, &link).unwrap();
    let before = read_tree(&qa);
    let (code, stderr) = run_into(SINGLE, &link, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(read_tree(&qa) == before);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    // A link to an empty folder: refused too (the results would be stranded).
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let link2 = dir.join("link2");
    std::os::unix::fs::symlink(&empty, &link2).unwrap();
    assert_eq!(run_into(SINGLE, &link2, &[]).0, 2);

    // --trace into the run's folder through `..` or a link: refused, the summary intact.
    let summary = qa.join("summary.json");
    let kept = std::fs::read(&summary).unwrap();
    for trace in [
        r.join("zz").join("..").join("qa").join("summary.json"),
        link.join("summary.json"),
    ] {
        let (code, stderr) = run_into(SINGLE, &qa, &["--trace", &arg(&trace)]);
        assert_eq!(code, 2, "{}: {stderr}", trace.display());
        assert!(stderr.contains("inside the run's folder"), "{stderr}");
        assert_eq!(std::fs::read(&summary).unwrap(), kept);
    }
    // A trace file guildsim wrote is replaced; the same file changed by hand is not.
    let trace = dir.join("t.json");
    assert_eq!(run_into(SINGLE, &fresh, &["--trace", &arg(&trace)]).0, 0);
    assert_eq!(run_into(SINGLE, &fresh, &["--trace", &arg(&trace)]).0, 0);
    let mut edited = std::fs::read(&trace).unwrap();
    edited[40] ^= 1;
    std::fs::write(&trace, &edited).unwrap();
    let (code, stderr) = run_into(SINGLE, &fresh, &["--trace", &arg(&trace)]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(std::fs::read(&trace).unwrap(), edited);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_refused_merge_leaves_nothing_and_mixed_shards_are_refused_when_written() {
    // Finding 4: a merge refused for a missing run left `runs/` behind without a manifest,
    // which guildsim then refused to touch; shards of two seeds wrote into one folder, exit 0.
    let dir = scratch_dir("i19-merge");
    let shards = dir.join("shards");
    assert_eq!(run_into(SWEEP, &shards, &["--shard", "0/2"]).0, 0);
    let merged = dir.join("merged");
    let (code, stderr) = guildsim(&["merge", &arg(&shards), "--out", &arg(&merged)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing"), "{stderr}");
    assert!(!merged.exists(), "nothing written");
    // The other shard with another seed, into the same folder: refused when it starts.
    let (code, stderr) = run_into(SWEEP, &shards, &["--shard", "1/2", "--seed", "99"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("another configuration"), "{stderr}");
    // The right shard completes the folder and the suggested merge works.
    assert_eq!(run_into(SWEEP, &shards, &["--shard", "1/2"]).0, 0);
    let (code, stderr) = guildsim(&["merge", &arg(&shards), "--out", &arg(&merged)]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_removal_goes_through_one_function() {
    // The issue's rule: a test greps that no other source file removes anything.
    let mut offenders = Vec::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.ends_with("files/removal.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for needle in ["remove_file", "remove_dir_all", "remove_dir("] {
                if text.contains(needle) {
                    offenders.push(format!("{}: {needle}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "removals outside files/removal.rs: {offenders:?}"
    );
}
