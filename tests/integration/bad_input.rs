//! Bad input: the binary exits with code 2 and names file, line, column and field path.

use super::{experiment, scratch_dir};
use std::path::Path;
use std::process::Command;

/// Runs `guildsim check` (or `run`) on a copy of an experiment with `edit` applied.
fn check_edited(name: &str, edit: impl Fn(String) -> String) -> (i32, String) {
    let dir = scratch_dir(&format!("bad-{name}"));
    let original = std::fs::read_to_string(experiment("quickstart.yaml")).unwrap();
    let text = edit(original).replace(
        "../models/",
        &format!("{}/models/", super::root().display()),
    );
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    let out = guildsim(&["check", path.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

/// Runs the built binary; returns its exit code and standard error.
pub fn guildsim(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts exit code 2 and an error at `file:line_col: path:` that mentions `what`.
pub fn assert_located(out: &(i32, String), file: &str, line_col: &str, path: &str, what: &str) {
    let (code, stderr) = out;
    assert_eq!(*code, 2, "exit code; stderr: {stderr}");
    let place = format!("{file}:{line_col}: {path}:");
    assert!(stderr.contains(&place), "expected `{place}` in: {stderr}");
    assert!(stderr.contains(what), "expected `{what}` in: {stderr}");
}

#[test]
fn unknown_field() {
    let out = check_edited("unknown", |t| {
        t.replace("    online_fraction: 0.6", "    online_fractoin: 0.6")
    });
    assert_located(
        &out,
        "unknown.yaml",
        "17:5",
        "workload.guilds.online_fractoin",
        "expected `sizes` or `online_fraction`",
    );
}

#[test]
fn wrong_type() {
    let out = check_edited("wrong-type", |t| t.replace("seed: 42", "seed: forty-two"));
    assert_located(&out, "wrong-type.yaml", "11:7", "seed", "invalid type");
}

#[test]
fn negative_rate() {
    let out = check_edited("negative", |t| {
        t.replace("per_member_per_s: 0.002", "per_member_per_s: -1")
    });
    assert_located(
        &out,
        "negative.yaml",
        "22:30",
        "workload.publishes.rate.per_member_per_s",
        "must be a number from 0 to 1000000 per second, got -1",
    );
}

#[test]
fn missing_model_file() {
    let out = check_edited("missing-model", |t| {
        t.replace(
            "../models/discord-2017.yaml",
            "../models/no-such-model.yaml",
        )
    });
    assert_located(
        &out,
        "missing-model.yaml",
        "6:8",
        "model",
        "no-such-model.yaml",
    );
}

#[test]
fn bad_override_on_the_command_line() {
    let path = experiment("quickstart.yaml");
    let out = guildsim(&[
        "run",
        path.to_str().unwrap(),
        "--quiet",
        "--set",
        "run.horizon_s=-3",
        "--out",
        "/nonexistent",
    ]);
    assert_located(
        &out,
        "--set run.horizon_s=-3",
        "1:1",
        "run.horizon_s",
        "must be a number above 0 and at most 10000000 s, got -3",
    );
}

#[test]
fn every_shipped_experiment_checks() {
    let dir = super::root().join("experiments");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let args: Vec<&str> = std::iter::once("check")
        .chain(files.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let (code, stderr) = guildsim(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(Path::new(&dir).join("quickstart.yaml").exists());
}

#[test]
fn too_many_partitioners() {
    let out = check_edited("partitioners", |t| {
        t.replace("seed: 42", "seed: 42\n# manifold\n").replace(
            "model_overrides:\n",
            "model_overrides:\n  fanout: {strategy: manifold, manifold: {partitioners: 40}}\n",
        )
    });
    assert_located(
        &out,
        "partitioners.yaml",
        "8:57",
        "model.fanout.manifold.partitioners",
        "must be an integer from 1 to 32, got 40",
    );
}

#[test]
fn unknown_lookup_mode() {
    let out = check_edited("lookup", |t| {
        t.replace(
            "model_overrides:\n",
            "model_overrides:\n  ring: {lookup: etc}\n",
        )
    });
    assert_located(
        &out,
        "lookup.yaml",
        "8:18",
        "model.ring.lookup",
        "expected one of `process`, `ets`, `fastglobal`",
    );
}

#[test]
fn restart_of_a_node_that_does_not_exist() {
    let out = check_edited("restart", |t| {
        t.replace(
            "  bursts:\n",
            "  storms:\n    - node_restart: {node: session-9, at_s: 1, down_s: 1, reconnect_jitter_s: 1}\n  bursts:\n",
        )
    });
    assert_located(
        &out,
        "restart.yaml",
        "26:28",
        "workload.storms[0].node_restart.node",
        "no node named `session-9`",
    );
}

#[test]
fn datacenter_with_an_unknown_group() {
    let out = check_edited("datacenter", |t| {
        t.replace(
            "model_overrides:\n",
            "model_overrides:\n  network: {latency_us: 200, datacenters: [{name: east, groups: [guild, sesion]}]}\n",
        )
    });
    assert_located(
        &out,
        "datacenter.yaml",
        "8:73",
        "model.network.datacenters[0].groups[1]",
        "no node group named `sesion`",
    );
}

#[test]
fn unreachable_datacenters_are_named() {
    let out = check_edited("unreachable", |t| {
        t.replace(
            "model_overrides:\n",
            "model_overrides:\n  network: {latency_us: 200, datacenters: [{name: east, groups: [guild]}, {name: west, groups: [session]}]}\n",
        )
    });
    let (code, stderr) = &out;
    assert_eq!(*code, 2, "{stderr}");
    assert!(
        stderr.contains("unreachable.yaml:8:43: model.network.datacenters:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`guild-0` and `session-0` cannot reach each other"),
        "{stderr}"
    );
}

#[test]
fn zero_semaphore() {
    let out = check_edited("semaphore", |t| {
        t.replace(
            "model_overrides:\n",
            "model_overrides:\n  registry: {semaphore: 0}\n",
        )
    });
    assert_located(
        &out,
        "semaphore.yaml",
        "8:25",
        "model.registry.semaphore",
        "must be an integer from 1 to 1000000000, got 0",
    );
}

/// A name becomes the output folder: anything that could leave `results/` is refused.
#[test]
fn name_that_is_not_a_folder_name() {
    let out = check_edited("bad-name", |t| {
        t.replace("seed: 42", "name: ../escape\nseed: 42")
    });
    assert_located(
        &out,
        "bad-name.yaml",
        "11:7",
        "name",
        "must be 1 to 100 letters, digits",
    );
}
