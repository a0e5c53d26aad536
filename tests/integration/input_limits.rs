//! Inputs at and past their limits: each test is a regression test for a value or a file
//! that once hung, panicked, exhausted memory or lost a session (the one-line post-mortem
//! says which). What is refused is refused quickly, with bounded memory, exit code 2 and its
//! documented range; what is accepted runs within the memory and work guards. A generous
//! timeout stands guard against hangs; it measures nothing.

use super::support::{
    check_timed, experiment, experiment_arg, guarded, guildsim, root, run_quickstart, scratch_dir,
};
use std::process::Command;

const QUICKSTART: &str = "quickstart.yaml";

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
    let models = root().join("models").display().to_string();
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
fn devices_pipes_and_deep_nesting_are_refused_at_once() {
    // Finding 5: `check /dev/zero` grew to 23.7 GiB; /dev/urandom never ended; a FIFO
    // blocked; 100,000 levels of nesting took 70 s to refuse.
    let dir = scratch_dir("bounds-devices");
    let fifo = dir.join("fifo.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let deep_flow = dir.join("deep.yaml");
    std::fs::write(
        &deep_flow,
        format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let deep_block = dir.join("deep-block.yaml");
    let block: String = (0..2000)
        .map(|i| format!("{}b:\n", " ".repeat(i)))
        .collect();
    std::fs::write(&deep_block, block).unwrap();
    for (file, what) in [
        ("/dev/zero".to_string(), "not a regular file"),
        ("/dev/urandom".to_string(), "not a regular file"),
        (fifo.display().to_string(), "not a regular file"),
        (deep_flow.display().to_string(), "nest more than 64 levels"),
        (deep_block.display().to_string(), "nest more than 64 levels"),
    ] {
        let (code, stderr, seconds) = check_timed(&file);
        assert_eq!(code, 2, "{file}: {stderr}");
        assert!(stderr.contains(what), "{file}: {stderr}");
        assert!(
            seconds < 5.0,
            "{file}: {seconds} s (under a second on a quiet machine)"
        );
    }
    // A model file that is a device is refused at the field that names it.
    let model = dir.join("model-zero.yaml");
    std::fs::write(&model, "model: /dev/zero\n").unwrap();
    let (code, stderr, _) = check_timed(&model.display().to_string());
    assert_eq!(code, 2);
    assert!(
        stderr.contains(":1:8: model: cannot load model file"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_too_large_lists_too_long_and_plans_too_big_are_refused() {
    let dir = scratch_dir("bounds-sizes");
    let quickstart = std::fs::read_to_string(experiment("quickstart.yaml"))
        .unwrap()
        .replace("../models/", &format!("{}/models/", root().display()));
    // Over 4 MiB.
    let big = dir.join("big.yaml");
    std::fs::write(&big, format!("{quickstart}\n# {}\n", "x".repeat(5 << 20))).unwrap();
    let (code, stderr, _) = check_timed(&big.display().to_string());
    assert_eq!(code, 2);
    assert!(stderr.contains("more than the 4 MiB"), "{stderr}");
    // A list of more than a million items.
    let long = dir.join("long.yaml");
    let items = vec!["1"; 1_000_001].join(",");
    std::fs::write(&long, format!("a: [{items}]\n")).unwrap();
    let (code, stderr, _) = check_timed(&long.display().to_string());
    assert_eq!(code, 2);
    assert!(
        stderr.contains("a list of more than 1000000 items"),
        "{stderr}"
    );
    // A sweep whose points x file size would take too long to plan (finding 5: a 20-point
    // sweep over a 100,000-entry size list took 2.0 GB in check; 80 points 7.6 GB). Planning
    // now holds one point at a time, and points x bytes is bounded.
    let sizes = vec!["3"; 200_000].join(", ");
    let swept = quickstart.replace(
        "sizes: {zipf: {count: 2000, min: 2, max: 5000, exponent: 1.6}}",
        &format!("sizes: {{list: [{sizes}]}}"),
    );
    let seeds: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let sweep = dir.join("sweep.yaml");
    std::fs::write(
        &sweep,
        format!(
            "{swept}sweep:\n  replications: 1\n  grid:\n    - field: seed\n      values: [{}]\n",
            seeds.join(", ")
        ),
    )
    .unwrap();
    let (code, stderr, seconds) = check_timed(&sweep.display().to_string());
    assert_eq!(code, 2);
    assert!(stderr.contains("bytes to check, more than"), "{stderr}");
    assert!(seconds < 5.0, "refused before planning: {seconds} s");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn times_below_the_clock_are_refused_and_no_retry_is_lost() {
    // Finding 7: `registry.backoff.initial_ms: 0.0000001` rounded to 0 ns, the retry arrived
    // while the session's own slice ran and was dropped: 2,034 of 20,000 sessions came back
    // and the summary said `drained`.
    let semaphore = experiment_arg("discord-2017-registry-semaphore.yaml");
    let (code, stderr) = guildsim(&[
        "check",
        &semaphore,
        "--set",
        "model.registry.backoff.initial_ms=0.0000001",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("below the clock's resolution of 1 ns (1e-6 ms): write at least 1e-6"),
        "{stderr}"
    );
    let (code, stderr) = guildsim(&[
        "check",
        &experiment_arg("quickstart.yaml"),
        "--set",
        "run.horizon_s=1e-300",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("run.horizon_s: 1e-300 is below the clock's resolution"),
        "{stderr}"
    );
    // A backoff that never grows from the smallest delay that counts makes sessions spin on
    // the Semaphore: refused by the work guard, not run for hours.
    let spin = "model.registry.backoff={initial_ms: 0.000001, max_ms: 0.000001, multiplier: 1, \
                jitter: 0.9}";
    let (code, stderr) = guildsim(&[
        "run",
        &semaphore,
        "--test-scale",
        "-q",
        "--set",
        "sweep.grid[0].values=[100]",
        "--set",
        spin,
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("retries of registry calls"), "{stderr}");
    // The smallest backoff that counts, with jitter: the first retries are due at the very
    // instant the session's slice ends. Every session still comes back.
    let dir = scratch_dir("bounds-retry");
    let out = dir.join("out");
    let (code, stderr) = guildsim(&[
        "run",
        &semaphore,
        "--test-scale",
        "-q",
        "--out",
        &out.display().to_string(),
        "--set",
        "sweep.grid[0].values=[100]",
        "--set",
        "model.registry.backoff={initial_ms: 0.000001, max_ms: 100, multiplier: 2, jitter: 0.9}",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let summary = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("r000/summary.json");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    assert!(s["registry"]["semaphore_rejections"].as_u64().unwrap() > 1000);
    assert_eq!(
        s["sessions"]["online_at_end"], s["sessions"]["total"],
        "{}",
        s["sessions"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
