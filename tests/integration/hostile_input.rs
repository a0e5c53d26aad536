//! Hostile input is normal input: each test is a regression test for a value that once hung,
//! panicked, exhausted memory or got an unhelpful message (the one-line post-mortem says
//! which). Everything goes through the built binary: exit code 2 and a located message for
//! what is refused, exit code 0 for what is accepted. A generous timeout stands guard
//! against hangs; it measures nothing.

use super::bad_input::guildsim;
use super::{experiment, scratch_dir};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const QUICKSTART: &str = "quickstart.yaml";

/// Runs the binary with a hang guard; returns (exit code, standard error).
fn guarded(args: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("guildsim {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `guildsim run quickstart --test-scale` with `sets`, into a fresh folder under `dir`.
fn run_quickstart(dir: &Path, name: &str, sets: &[&str]) -> (i32, String) {
    let exp = experiment(QUICKSTART);
    let out = dir.join(name);
    let mut args = vec![
        "run".to_string(),
        exp.display().to_string(),
        "--test-scale".into(),
        "-q".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    for s in sets {
        args.extend(["--set".to_string(), s.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    guarded(&args)
}

fn refused(out: &(i32, String), field: &str, what: &str) {
    let (code, stderr) = out;
    assert_eq!(*code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{field}:")),
        "no `{field}` in: {stderr}"
    );
    assert!(stderr.contains(what), "no `{what}` in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_zero_latency_network_runs() {
    // Post-mortem: latency 0 with 3+ nodes looped forever in the narrowest-link search.
    let dir = scratch_dir("hostile-latency");
    let (code, stderr) = run_quickstart(&dir, "0", &["model.network.latency_us=0"]);
    assert_eq!(code, 0, "latency 0: {stderr}");
    // Below the clock's resolution, a latency would round to 0 without a word: refused.
    refused(
        &run_quickstart(&dir, "0.0004", &["model.network.latency_us=0.0004"]),
        "model.network.latency_us",
        "below the clock's resolution of 1 ns (0.001 µs): write 0, or at least 0.001",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn values_that_panicked_are_refused_with_their_range() {
    // Post-mortem: each of these passed `check` and then panicked in the run (exit 101).
    let dir = scratch_dir("hostile-panics");
    let cases = [
        (
            "workload.publishes.end_s=1e12",
            "workload.publishes.end_s",
            "must be a number from 0 to 10000000 s, got 1e12",
        ),
        (
            "model.costs.send_remote={dist: lognormal, median_us: 50, sigma: 50}",
            "model.costs.send_remote.sigma",
            "from 0 to 4",
        ),
        (
            "model.costs.send_remote={dist: exponential, mean_us: 9223372036854775807}",
            "model.costs.send_remote.mean_us",
            "at most 1000000000 µs",
        ),
        (
            "workload.publishes.rate={per_member_per_s: 1e308}",
            "workload.publishes.rate.per_member_per_s",
            "got 1e308",
        ),
        (
            "model.messages.event_bytes=18446744073709551615",
            "model.messages.event_bytes",
            "from 0 to 16777216 bytes",
        ),
    ];
    for (i, (set, field, what)) in cases.iter().enumerate() {
        refused(&run_quickstart(&dir, &i.to_string(), &[set]), field, what);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_stays_cheap_for_any_count() {
    // Post-mortem: these made `check` allocate 17-309 GB or never finish.
    let exp = experiment(QUICKSTART);
    let exp = exp.to_str().unwrap();
    let check = |set: &str| guarded(&["run", exp, "-q", "--out", "/nonexistent/x", "--set", set]);
    refused(
        &check("workload.guilds.sizes={fixed: {count: 4294967295, members: 10}}"),
        "workload.guilds.sizes.fixed.count",
        "from 1 to 10000000",
    );
    refused(
        &check("workload.guilds.sizes={zipf: {count: 4294967295, min: 1, max: 9, exponent: 1}}"),
        "workload.guilds.sizes.zipf.count",
        "from 1 to 10000000",
    );
    for count in ["4294967295", "65535"] {
        refused(
            &check(&format!("model.nodes[1].count={count}")),
            "model.nodes",
            "at most 4096 nodes",
        );
    }
    let scaling = experiment("scaling-guild-size.yaml");
    let scaling = scaling.to_str().unwrap();
    let sweep = |set: &str| {
        guarded(&[
            "run",
            scaling,
            "-q",
            "--out",
            "/nonexistent/x",
            "--set",
            set,
        ])
    };
    refused(
        &sweep("sweep.grid[1].log.steps=4294967295"),
        "sweep.grid[1].log.steps",
        "at most 10000",
    );
    refused(
        &sweep("sweep.replications=4294967295"),
        "sweep.replications",
        "from 1 to 10000",
    );
    // A thousand nodes in two datacenters: checked and run without building a cube.
    let dir = scratch_dir("hostile-nodes");
    let (code, stderr) = run_quickstart(
        &dir,
        "nodes",
        &[
            "model.nodes[0].count=500",
            "model.nodes[1].count=500",
            "model.network.datacenters=[{name: a, groups: [guild]}, {name: b, groups: [session]}]",
            "model.network.links=[{from: a, to: b, latency_us: 300}]",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_guard_counts_everything_that_grows() {
    // Post-mortem: each of these passed the memory guard, then used far more than estimated.
    let dir = scratch_dir("hostile-guard");
    refused(
        &run_quickstart(&dir, "bins", &["output.sample_interval_ms=0.0001"]),
        "output.sample_interval_ms",
        "more than 1000000",
    );
    refused(
        &run_quickstart(&dir, "ring", &["model.ring.replicas=10000000"]),
        "model.ring.replicas",
        "from 1 to 4096",
    );
    // A publish rate that would take days: refused without an event budget, run with one.
    let fast = "workload.publishes.rate={per_member_per_s: 1000000}";
    let (code, stderr) = run_quickstart(&dir, "rate", &[fast]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("run.event_budget"), "{stderr}");
    assert!(stderr.contains("--allow-long-run"), "{stderr}");
    let (code, stderr) = run_quickstart(&dir, "budget", &[fast, "run.event_budget=1"]);
    assert_eq!(code, 0, "{stderr}");
    let summary = std::fs::read_to_string(dir.join("budget/summary.json")).unwrap();
    assert!(summary.contains("\"events_total\": 1,"), "{summary}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_event_budget_stops_at_exactly_the_budget() {
    // Post-mortem: `run.event_budget: 1` handled 21 events (a send run folded 20 deliveries).
    let dir = scratch_dir("hostile-budget");
    for budget in [1u64, 2, 21, 777, 5000] {
        let set = format!("run.event_budget={budget}");
        let (code, stderr) = run_quickstart(&dir, &budget.to_string(), &[&set]);
        assert_eq!(code, 0, "{stderr}");
        let text =
            std::fs::read_to_string(dir.join(budget.to_string()).join("summary.json")).unwrap();
        let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(summary["events_total"], budget, "budget {budget}");
        assert_eq!(summary["stop"]["reason"], "event_budget");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_refuses_what_run_would_refuse() {
    // Post-mortem: a bad node name in a sweep value and a bad key in test_overrides passed
    // `check`; `run` then failed after writing resolved.yaml, sweep.json and runs/.
    let dir = scratch_dir("hostile-check");
    let models = super::root().join("models").display().to_string();
    let quickstart = std::fs::read_to_string(experiment(QUICKSTART))
        .unwrap()
        .replace("../models/", &format!("{models}/"));
    let sweep = format!(
        "{quickstart}\nsweep:\n  grid:\n    - field: workload.storms\n      values:\n        - \
         [{{node_restart: {{node: session-0, at_s: 1, down_s: 1, reconnect_jitter_s: 0}}}}]\n        \
         - [{{node_restart: {{node: session-9, at_s: 1, down_s: 1, reconnect_jitter_s: 0}}}}]\n"
    );
    let path = dir.join("sweep-node.yaml");
    std::fs::write(&path, sweep).unwrap();
    let (code, stderr) = guildsim(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no node named `session-9`"), "{stderr}");
    let out = dir.join("out");
    let (code, _) = guildsim(&[
        "run",
        path.to_str().unwrap(),
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(!out.exists(), "nothing is written for a refused sweep");

    let bad_override = quickstart.replace("run.horizon_s: 8", "run.horizon_z: 8");
    let path = dir.join("bad-override.yaml");
    std::fs::write(&path, bad_override).unwrap();
    let (code, stderr) = guildsim(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("horizon_z"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn messages_speak_the_projects_words() {
    let dir = scratch_dir("hostile-words");
    // Post-mortem: a byte-order mark gave "more than one document" without a line.
    let models = super::root().join("models").display().to_string();
    let text = std::fs::read_to_string(experiment(QUICKSTART))
        .unwrap()
        .replace("../models/", &format!("{models}/"));
    let path = dir.join("bom.yaml");
    std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    let (code, stderr) = guildsim(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");

    // Post-mortem: a latency of 1e9 µs set on the command line was blamed on
    // model.memory.restart_s at a line of the model file.
    let (code, stderr) = run_quickstart(&dir, "latency", &["model.network.latency_us=1e9"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--set model.network.latency_us=1e9:1:1: model.network.latency_us:"),
        "{stderr}"
    );
    assert!(stderr.contains("restart_s"), "{stderr}");

    // Post-mortem: a limit printed as a 300-digit number; serde's type names.
    let (_, stderr) = run_quickstart(&dir, "huge", &["model.scheduling.time_slice_us=1e300"]);
    assert!(stderr.contains("got 1e300"), "{stderr}");
    assert!(stderr.len() < 400, "{stderr}");
    for set in [
        "model.nodes[0]={1: 2}",
        "model.nodes[0]=5",
        "seed=x",
        "run=[]",
    ] {
        let (code, stderr) = run_quickstart(&dir, "types", &[set]);
        assert_eq!(code, 2, "{stderr}");
        for rust in ["identifier", "struct ", "u64", "u32", "enum "] {
            assert!(!stderr.contains(rust), "`{rust}` in: {stderr}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reader_that_stops_early_does_not_crash_the_run() {
    // `guildsim run ... | head -1`: standard output closed before the table is printed.
    let dir = scratch_dir("closed-stdout");
    let mut child = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(["run", "--test-scale", "--out"])
        .arg(dir.join("out"))
        .arg(experiment(QUICKSTART))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "no panic (exit 101) on a closed pipe"
    );
    assert!(
        dir.join("out/summary.json").is_file(),
        "the results are written"
    );
}
