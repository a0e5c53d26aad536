//! Refusals that say where and what: a bad experiment exits with code 2 and names the file,
//! line, column and field path, what was wrong and what is allowed, in the project's words
//! (never serde's or Rust's); undecodable bytes, alias bombs and extra documents are located
//! too.

use super::support::{
    assert_located, check_text, check_timed, experiment, experiment_arg, guildsim, root,
    run_quickstart, scratch_dir,
};
use std::path::Path;

/// `guildsim check` on a copy of quickstart.yaml with `edit` applied.
fn check_edited(name: &str, edit: impl Fn(String) -> String) -> (i32, String) {
    let original = std::fs::read_to_string(experiment("quickstart.yaml")).unwrap();
    check_text(&format!("bad-{name}"), name, &edit(original)).0
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
    let dir = root().join("experiments");
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

#[test]
fn gc_young_heap_below_the_smallest() {
    let out = check_edited("gc", |t| {
        t.replace(
            "model_overrides:\n",
            "model_overrides:\n  gc: {young_heap_bytes: 10}\n",
        )
    });
    assert_located(
        &out,
        "gc.yaml",
        "8:26",
        "model.gc.young_heap_bytes",
        "must be an integer from 1024 to 1073741824 bytes, got 10",
    );
}

#[test]
fn everyone_mention_below_zero() {
    let out = check_edited("everyone", |t| {
        t.replace(
            "model_overrides:\n",
            "model_overrides:\n  everyone: {mention_us: -1}\n",
        )
    });
    assert_located(
        &out,
        "everyone.yaml",
        "8:26",
        "model.everyone.mention_us",
        "must be a number from 0 to 1000000000 µs, got -1",
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

#[test]
fn bad_bytes_aliases_and_documents_are_located() {
    // Finding 9: non-UTF-8 input and alias bombs got errors without a line.
    let dir = scratch_dir("bounds-located");
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "bytes.yaml",
            b"name: x\n\xff\xfe: 1\n",
            "bytes.yaml:2:1: not UTF-8",
        ),
        (
            "bomb.yaml",
            b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n",
            "bomb.yaml:2:8: aliases",
        ),
        ("two.yaml", b"a: 1\n---\nb: 2\n", "two.yaml:2:1:"),
    ];
    for (name, bytes, expected) in cases {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        let (code, stderr, _) = check_timed(&file.display().to_string());
        assert_eq!(code, 2, "{stderr}");
        let file_text = file.display().to_string();
        let shown = stderr.replace(&format!("{}/", dir.display()), "");
        assert!(shown.contains(expected), "{file_text}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn messages_speak_the_projects_words() {
    let dir = scratch_dir("hostile-words");
    // Post-mortem: a byte-order mark gave "more than one document" without a line.
    let models = root().join("models").display().to_string();
    let text = std::fs::read_to_string(experiment("quickstart.yaml"))
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
fn small_things_say_what_is_allowed() {
    // Finding 9, one line each.
    let quickstart = experiment_arg("quickstart.yaml");
    let refused = |args: &[&str], what: &str| {
        let (code, stderr) = guildsim(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(what), "{args:?}: {stderr}");
        stderr
    };
    // bench --memory-sessions 1 printed an internal `--set` the user never wrote.
    let stderr = refused(&["bench", "--memory-sessions", "1"], "1000..=100000000");
    assert!(!stderr.contains("--set"), "{stderr}");
    refused(&["bench", "--repeat", "0"], "1..=1000");
    // --set model_overrides.nodes=[] was blamed on a line of the file.
    refused(
        &["check", &quickstart, "--set", "model_overrides.nodes=[]"],
        "--set model_overrides.nodes=[]:1:1: model.nodes: at least one node group",
    );
    // seed 2^64 gave serde's words; max_events: 1e7 a range of 0..2^64.
    refused(
        &["check", &quickstart, "--set", "seed=18446744073709551616"],
        "is too large: guildsim's whole numbers are at most 18446744073709551615",
    );
    refused(
        &[
            "check",
            &quickstart,
            "--set",
            "output.trace={max_events: 1e7}",
        ],
        "write 10000000",
    );
    // A window wholly past the horizon was reported as zeros.
    refused(
        &[
            "check",
            &experiment_arg("traffic-burst.yaml"),
            "--set",
            "run.horizon_s=45",
        ],
        "starts at or after the run's horizon",
    );
}

/// Issue 25: the list of an experiment's top-level fields includes `model_overrides` (read
/// before the others, so serde's list did not know it).
#[test]
fn the_unknown_field_list_names_model_overrides() {
    let out = check_edited("no-overrides", |t| {
        t.replace("seed: 42", "seed: 42\nmodel_override: {}")
    });
    let (code, err) = &out;
    assert_eq!(*code, 2, "{err}");
    assert!(err.contains("unknown field `model_override`"), "{err}");
    assert!(err.contains("`model`, `model_overrides`, `seed`"), "{err}");
}

/// Issue 25: a node group addressed as a mapping key is told how items are named.
#[test]
fn a_node_group_by_key_is_told_about_brackets() {
    let (code, err) = guildsim(&[
        "check",
        &experiment_arg("quickstart.yaml"),
        "--set",
        "model.nodes.session.count=20",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`model.nodes[session].count`"), "{err}");
    // Not for a key that names no item.
    let (code, err) = guildsim(&[
        "check",
        &experiment_arg("quickstart.yaml"),
        "--set",
        "model.nodes.relay.count=20",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("named in brackets"), "{err}");
}
