//! Inputs with bounds, and answers that tell the truth (issue 19, findings 5, 7, 8 and 9):
//! every input is refused quickly with bounded memory when it is not a file guildsim can read
//! whole, nests too deeply or plans too much work; times below the clock's resolution are
//! refused; an exit code never hides lost output; small messages say what is allowed. Each
//! test reproduces what once hung, ran out of memory, lost a session or misled.

use super::bad_input::guildsim;
use super::{experiment, scratch_dir};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn exp(name: &str) -> String {
    experiment(name).display().to_string()
}

/// `guildsim check FILE` with a hang guard: (exit code, standard error, seconds).
fn check_timed(file: &str) -> (i32, String, f64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(["check", file])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("guildsim check {file} hung");
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
        .replace(
            "../models/",
            &format!("{}/models/", super::root().display()),
        );
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
fn times_below_the_clock_are_refused_and_no_retry_is_lost() {
    // Finding 7: `registry.backoff.initial_ms: 0.0000001` rounded to 0 ns, the retry arrived
    // while the session's own slice ran and was dropped: 2,034 of 20,000 sessions came back
    // and the summary said `drained`.
    let semaphore = exp("discord-2017-registry-semaphore.yaml");
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
        &exp("quickstart.yaml"),
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

#[test]
fn exit_codes_tell_the_truth_when_output_is_lost() {
    // Finding 8: an error while stderr could not be written panicked (exit 101); check,
    // schema, compare and run with stdout on /dev/full exited 0 with their output lost.
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let dir = scratch_dir("bounds-exit");
    let out = dir.join("out").display().to_string();
    let quickstart = exp("quickstart.yaml");
    let run_args = [
        "run",
        quickstart.as_str(),
        "--test-scale",
        "--out",
        out.as_str(),
    ];
    let cases: [&[&str]; 4] = [
        &["check", &quickstart],
        &["schema"],
        &run_args,
        &["compare", &out, &out],
    ];
    for args in cases {
        let status = Command::new(env!("CARGO_BIN_EXE_guildsim"))
            .args(args)
            .stdout(full())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "{args:?} with stdout on /dev/full");
    }
    let status = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(["check", "/nonexistent.yaml"])
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2), "an error with stderr on /dev/full");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn small_things_say_what_is_allowed() {
    // Finding 9, one line each.
    let quickstart = exp("quickstart.yaml");
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
            &exp("traffic-burst.yaml"),
            "--set",
            "run.horizon_s=45",
        ],
        "starts at or after the run's horizon",
    );
}

#[test]
fn compare_reads_only_what_guildsim_wrote() {
    // Finding 9: compare did not verify run-key.txt hashes.
    let dir = scratch_dir("bounds-compare");
    let out = dir.join("run");
    let out_text = out.display().to_string();
    let (code, _) = guildsim(&[
        "run",
        &exp("quickstart.yaml"),
        "--test-scale",
        "-q",
        "--out",
        &out_text,
    ]);
    assert_eq!(code, 0);
    let summary = out.join("summary.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    std::fs::write(&summary, text.replacen("\"seed\": 42", "\"seed\": 43", 1)).unwrap();
    let (code, stderr) = guildsim(&["compare", &out_text, &out_text]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("summary.json does not match"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
