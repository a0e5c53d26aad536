//! Slice ends kept out of the event queue (`world/deferred.rs`) give exactly the result files
//! of queued slice ends.

use super::support::{experiment, load, read_dir_files, scratch_dir};
use guildsim::{report, runner};

fn files(name: &str, keep_out: bool) -> Vec<(String, Vec<u8>)> {
    // Fine time bins: the memory and run-queue maxima see nearly every change.
    let loaded = load(&experiment(name), &["output.sample_interval_ms=10"], true);
    let mut prepared = runner::prepare(&loaded).unwrap();
    if !keep_out {
        prepared = prepared.queue_every_slice_end();
    }
    let result = runner::execute(&loaded, prepared, |_| {});
    let dir = scratch_dir(&format!("slice-ends-{keep_out}-{name}"));
    report::write_run(&dir, &loaded, &result).unwrap();
    let files = read_dir_files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

/// The result files of `name` are the same with slice ends kept out of the queue or queued.
fn same_files(name: &str) {
    let kept = files(name, true);
    let queued = files(name, false);
    assert!(!kept.is_empty());
    assert_eq!(kept.len(), queued.len());
    for ((file, a), (_, b)) in kept.iter().zip(&queued) {
        assert!(a == b, "{name}: {file} differs with slice ends queued");
    }
}

// One test per experiment, so that none runs long alone.
#[test]
fn quickstart() {
    same_files("quickstart.yaml");
}

#[test]
fn manifold() {
    same_files("discord-2017-manifold.yaml");
}

#[test]
fn full_scale_storm() {
    same_files("discord-2017-full.yaml");
}

#[test]
fn registry_stampede() {
    same_files("discord-2017-registry-stampede.yaml");
}

#[test]
fn member_list() {
    same_files("discord-2019-member-list.yaml");
}

#[test]
fn zen_monitor() {
    same_files("discord-2019-zenmonitor.yaml");
}

#[test]
fn passive_sessions() {
    same_files("discord-2023-passive.yaml");
}

#[test]
fn relays() {
    same_files("discord-2023-relays.yaml");
}

#[test]
fn traffic_burst() {
    same_files("traffic-burst.yaml");
}
