//! Exit codes tell the truth: output that could not be written (standard output or error on
//! a full device) is exit code 2, never 0 with the output lost or 101 from a panic; a reader
//! that stops early (`guildsim run ... | head -1`) does not crash a run whose files are
//! written. (Expectations' exit codes are `expect.rs`'s.)

use super::support::{experiment, experiment_arg, scratch_dir};
use std::process::{Command, Stdio};

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
    let quickstart = experiment_arg("quickstart.yaml");
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
fn a_reader_that_stops_early_does_not_crash_the_run() {
    // `guildsim run ... | head -1`: standard output closed before the table is printed.
    let dir = scratch_dir("closed-stdout");
    let mut child = Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(["run", "--test-scale", "--out"])
        .arg(dir.join("out"))
        .arg(experiment("quickstart.yaml"))
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
