//! The timeline trace: valid trace-event JSON (complete slices, flows that pair up and bind to
//! slices, timestamps in order per track), byte-identical twice, within its cap and honest
//! about reaching it; its filters; and `--trace FILE` never overwriting a file guildsim did
//! not write.

use super::support::{experiment, guildsim, load, root, scratch_dir};
use guildsim::report;
use guildsim::runner;
use serde_json::Value;
use std::collections::BTreeMap;

/// The trace of `name` at test scale with `sets`, as bytes.
fn trace_of(name: &str, sets: &[&str]) -> Vec<u8> {
    let loaded = load(&experiment(name), sets, true);
    let result = runner::simulate_traced(&loaded, |_| {}).unwrap();
    report::trace_file(&loaded, &result).unwrap().0
}

/// What a structurally valid trace holds.
#[derive(Debug, Default)]
struct Shape {
    slices: usize,
    flows: usize,
    counters: usize,
    events: u64,
    complete: bool,
}

/// Checks the structure of a trace-event file; panics with the first problem.
fn check_structure(bytes: &[u8]) -> Shape {
    let doc: Value = serde_json::from_slice(bytes).expect("valid JSON");
    assert!(bytes.starts_with(report::trace::TRACE_PREFIX.as_bytes()));
    let meta = &doc["otherData"];
    let events = doc["traceEvents"].as_array().expect("an event list");
    // Per track (pid, tid): its slices in order, and the last timestamp seen.
    let mut last_ts: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    let mut slices: BTreeMap<(u64, u64), Vec<(i64, i64)>> = BTreeMap::new();
    // Microseconds with nanosecond decimals, read back as whole nanoseconds.
    let ns = |v: &Value| (v.as_f64().expect("a time") * 1000.0).round() as i64;
    let mut flow_ends: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    let mut shape = Shape::default();
    let mut bound = Vec::new();
    for e in events {
        let ph = e["ph"].as_str().expect("a phase");
        assert!(
            ["M", "X", "C", "i", "s", "f"].contains(&ph),
            "phase {ph} (no B/E pairs: slices are complete X events)"
        );
        if ph == "M" {
            continue;
        }
        shape.events += 1;
        let ts = ns(&e["ts"]);
        let track = (
            e["pid"].as_u64().expect("pid"),
            e["tid"].as_u64().unwrap_or(0),
        );
        let last = last_ts.entry(track).or_insert(i64::MIN);
        assert!(ts >= *last, "timestamps go back on track {track:?}: {e}");
        *last = ts;
        match ph {
            "X" => {
                let dur = ns(&e["dur"]);
                assert!(dur >= 0);
                let track_slices = slices.entry(track).or_default();
                if let Some(&(start, end)) = track_slices.last() {
                    // Slices of one track follow each other or nest.
                    assert!(
                        ts >= end || ts + dur <= end,
                        "{e} overlaps ({start}, {end})"
                    );
                }
                track_slices.push((ts, ts + dur));
                shape.slices += 1;
            }
            "C" => shape.counters += 1,
            "s" | "f" => {
                let id = e["id"].as_u64().expect("a flow id");
                let ends = flow_ends.entry(id).or_default();
                if ph == "s" {
                    ends.0 += 1;
                } else {
                    assert_eq!(e["bp"], "e", "a flow ends in its enclosing slice");
                    ends.1 += 1;
                }
                bound.push((track, ts));
            }
            _ => {}
        }
    }
    for (id, ends) in &flow_ends {
        assert_eq!(*ends, (1, 1), "flow {id} does not pair up");
    }
    // Every flow's start and end lie in a slice of their track.
    for (track, ts) in bound {
        let inside = slices[&track].iter().any(|&(s, e)| s <= ts && ts <= e);
        assert!(inside, "a flow event at {ts} on {track:?} is in no slice");
    }
    shape.flows = flow_ends.len();
    assert_eq!(meta["events"].as_u64(), Some(shape.events));
    assert!(shape.events <= meta["max_events"].as_u64().unwrap());
    shape.complete = meta["complete"].as_bool().unwrap();
    assert_eq!(shape.complete, meta["cap_reached_at_s"].is_null());
    shape
}

#[test]
fn the_quickstart_trace_is_valid_identical_twice_and_complete() {
    let a = trace_of("quickstart.yaml", &[]);
    assert_eq!(a, trace_of("quickstart.yaml", &[]), "not byte-identical");
    let shape = check_structure(&a);
    assert!(
        shape.complete,
        "the quickstart's default trace fits its cap"
    );
    assert!(shape.slices > 1000 && shape.counters > 100, "{shape:?}");
}

#[test]
fn a_node_restart_trace_has_flows_and_states_its_cap() {
    // Manifold with a session node restarting, traced from the restart on.
    let sets = ["output.trace={from_s: 2, max_events: 30000}"];
    let a = trace_of("discord-2017-full.yaml", &sets);
    assert_eq!(a, trace_of("discord-2017-full.yaml", &sets));
    let shape = check_structure(&a);
    assert!(shape.flows > 100, "guild batches to other nodes: {shape:?}");
    assert!(!shape.complete, "30,000 events do not hold the storm");
    assert!(shape.events <= 30_000);
    let doc: Value = serde_json::from_slice(&a).unwrap();
    let names: Vec<&str> = doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    for kind in ["partitioner", "worker", "guild", "session"] {
        assert!(names.iter().any(|n| n.starts_with(kind)), "no {kind} slice");
    }
    assert!(names.iter().any(|n| n.starts_with("crash of session-")));
}

#[test]
fn filters_keep_only_what_they_name() {
    let sets = ["output.trace={guilds: [0], to_s: 3}"]; // its burst is at 2 s
    let doc: Value = serde_json::from_slice(&trace_of("quickstart.yaml", &sets)).unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    for e in events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] != "fanout")
    {
        let name = e["name"].as_str().unwrap();
        assert!(
            name == "guild 0" || name.starts_with("session ") || name.starts_with("registry"),
            "{name} is not guild 0's"
        );
        assert!(e["ts"].as_f64().unwrap() <= 3e6, "after to_s");
    }
    assert!(events.iter().any(|e| e["name"] == "guild 0"));
    let sets = ["output.trace={nodes: [session-1]}"];
    let doc: Value = serde_json::from_slice(&trace_of("quickstart.yaml", &sets)).unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    let processes: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "process_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    assert_eq!(processes, ["cluster", "node session-1 (sessions)"]);
    let pids: std::collections::BTreeSet<u64> =
        events.iter().filter_map(|e| e["pid"].as_u64()).collect();
    assert_eq!(pids.len(), 2, "{pids:?}");
}

#[test]
fn trace_file_never_replaces_a_file_guildsim_did_not_write() {
    let dir = scratch_dir("trace-file");
    let exp = experiment("validation-mm1.yaml");
    let (e, out, file) = (
        exp.to_str().unwrap(),
        dir.join("out"),
        dir.join("mine.json"),
    );
    std::fs::write(&file, "{\"my\": \"data\"}").unwrap();
    let args = |f: &str| {
        vec![
            "run".to_string(),
            e.to_string(),
            "--test-scale".into(),
            "-q".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--trace".into(),
            f.into(),
        ]
    };
    let run = |f: &str| {
        let a = args(f);
        guildsim(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, err) = run(file.to_str().unwrap());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a trace guildsim wrote"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"{\"my\": \"data\"}");
    // Inside the run's folder: refused.
    let inside = out.join("trace.json");
    let (code, err) = run(inside.to_str().unwrap());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("inside the run's folder"), "{err}");
    // A new file, then the same again: guildsim's own trace is replaced.
    let ours = dir.join("trace.json");
    assert_eq!(run(ours.to_str().unwrap()).0, 0);
    let first = std::fs::read(&ours).unwrap();
    assert_eq!(run(ours.to_str().unwrap()).0, 0);
    assert_eq!(std::fs::read(&ours).unwrap(), first);
    check_structure(&first);
}

#[test]
fn an_output_trace_section_puts_trace_json_in_the_run_folder_and_manifest() {
    let dir = scratch_dir("trace-section");
    let out = dir.join("out");
    let exp = experiment("validation-mm1.yaml");
    let args = [
        "run",
        exp.to_str().unwrap(),
        "--test-scale",
        "-q",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "output.trace={max_events: 500}",
    ];
    let (code, err) = guildsim(&args);
    assert_eq!(code, 0, "{err}");
    let trace = std::fs::read(out.join("trace.json")).unwrap();
    let shape = check_structure(&trace);
    assert!(shape.events <= 500);
    let manifest = std::fs::read_to_string(out.join("run-key.txt")).unwrap();
    assert!(manifest.contains("trace.json"), "{manifest}");
    if !shape.complete {
        assert!(err.contains("cap of 500 events was reached"), "{err}");
    }
}

#[test]
fn a_trace_changes_no_result() {
    for name in ["quickstart.yaml", "discord-2017-full.yaml"] {
        let loaded = load(&experiment(name), &[], true);
        let plain = runner::simulate(&loaded, |_| {}).unwrap();
        let traced = runner::simulate_traced(&loaded, |_| {}).unwrap();
        assert!(traced.world.trace.is_some());
        assert_eq!(
            report::summary_json(&plain).unwrap(),
            report::summary_json(&traced).unwrap(),
            "{name}"
        );
        assert_eq!(
            report::timeseries_csv(&plain).unwrap(),
            report::timeseries_csv(&traced).unwrap()
        );
    }
}

#[test]
fn bad_trace_filters_are_located() {
    use super::support::assert_located;
    let exp = experiment("quickstart.yaml");
    let dir = scratch_dir("trace-bad");
    let set = "output.trace={max_events: 0, guilds: [2000], nodes: [guild-7]}";
    let out_dir = dir.join("out");
    let args = [
        "run",
        exp.to_str().unwrap(),
        "-q",
        "--out",
        out_dir.to_str().unwrap(),
        "--set",
        set,
    ];
    let out = guildsim(&args);
    assert_eq!(out.0, 2, "{}", out.1);
    assert!(!out_dir.exists(), "nothing is written");
    for (path, what) in [
        (
            "output.trace.max_events",
            "must be an integer from 1 to 10000000",
        ),
        ("output.trace.guilds[0]", "must be a guild index below 2000"),
        ("output.trace.nodes[0]", "must name a node of the model"),
    ] {
        assert!(
            out.1.contains(&format!("{path}: {what}")),
            "{path}: {}",
            out.1
        );
    }
    // In a file, the error points at the value.
    let text = std::fs::read_to_string(&exp)
        .unwrap()
        .replace("../models/", &format!("{}/models/", root().display()))
        + "\n";
    let text = text.replacen("output:\n", "output:\n  trace: {to_s: -1}\n", 1);
    assert!(
        text.contains("trace: {to_s: -1}"),
        "quickstart has an output section"
    );
    let file = dir.join("bad.yaml");
    std::fs::write(&file, &text).unwrap();
    let line = text.lines().position(|l| l.contains("to_s: -1")).unwrap() + 1;
    let column = text.lines().nth(line - 1).unwrap().find("-1").unwrap() + 1;
    let out = guildsim(&["check", file.to_str().unwrap()]);
    assert_located(
        &out,
        "bad.yaml",
        &format!("{line}:{column}"),
        "output.trace.to_s",
        "must be a number from 0",
    );
}
