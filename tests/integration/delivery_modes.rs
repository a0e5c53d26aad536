//! Deliveries computed in closed form give exactly the result files of one event per delivery.

use super::support::{experiment, load, read_dir_files, run, scratch_dir};
use guildsim::report;

fn files(name: &str, dir_name: &str, sets: &[&str]) -> Vec<(String, Vec<u8>)> {
    let loaded = load(&experiment(name), sets, true);
    let dir = scratch_dir(dir_name);
    report::write_run(&dir, &loaded, &run(&loaded)).unwrap();
    let files = read_dir_files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    // resolved.yaml records the mode itself (and report.html shows resolved.yaml; the rest of
    // it is drawn from the files compared here); every other file must match.
    files
        .into_iter()
        .filter(|(n, _)| {
            n != guildsim::identity::RESOLVED
                && n != report::html::REPORT
                && n != guildsim::files::manifest::KEY_FILE
        })
        .collect()
}

#[test]
fn folded_and_per_event_deliveries_give_identical_results() {
    for name in [
        "quickstart.yaml",
        "bench-fanout.yaml",
        "discord-2017-naive-fanout.yaml",
        "discord-2017-manifold.yaml",
        "discord-2017-everyone-sends.yaml",
        "discord-2017-ring-lookups.yaml",
        "discord-2017-registry-semaphore.yaml",
        "validation-mm1.yaml",
        "discord-2019-member-list.yaml",
        "discord-2019-zenmonitor.yaml",
        "discord-2023-passive.yaml",
        "discord-2023-relays.yaml",
        "design-generations.yaml",
    ] {
        let folded = files(name, &format!("folded-{name}"), &["run.deliveries=folded"]);
        let per_event = files(
            name,
            &format!("per-event-{name}"),
            &["run.deliveries=per_event"],
        );
        assert!(!folded.is_empty());
        for ((file, a), (_, b)) in folded.iter().zip(&per_event) {
            assert!(a == b, "{name}: {file} differs between delivery modes");
        }
    }
}

#[test]
fn busy_sessions_fall_back_to_events_and_still_agree() {
    // A session that takes time to handle a delivery cannot be folded; both modes must agree.
    let sets = ["model.costs.session_receive={dist: uniform, min_us: 5, max_us: 500}"];
    let with = |mode: &str| {
        let mut all = sets.to_vec();
        all.push(mode);
        files("quickstart.yaml", &format!("busy-{mode}"), &all)
    };
    assert_eq!(
        with("run.deliveries=folded"),
        with("run.deliveries=per_event")
    );
}
