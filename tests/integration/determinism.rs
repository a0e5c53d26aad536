//! Same binary, experiment and seed: byte-identical result files. Another seed: different.

use super::support::{experiment, load, read_dir_files, run, scratch_dir};
use guildsim::report;

fn run_into(name: &str, sets: &[&str]) -> Vec<(String, Vec<u8>)> {
    let loaded = load(&experiment("quickstart.yaml"), sets, true);
    let dir = scratch_dir(name);
    report::write_run(&dir, &loaded, &run(&loaded)).unwrap();
    let files = read_dir_files(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let first = run_into("seed-a", &[]);
    let second = run_into("seed-b", &[]);
    assert!(
        first.len() >= 6,
        "expected every result file, got {:?}",
        first.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(first, second);

    let other = run_into("seed-c", &["seed=43"]);
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&first), names(&other));
    for ((name, a), (_, b)) in first.iter().zip(&other) {
        assert_ne!(a, b, "{name} did not change with the seed");
    }
}

/// Rerunning a run's `resolved.yaml` repeats it under the experiment's name (not "resolved"),
/// with byte-identical files; a `name:` field replaces the file name.
#[test]
fn resolved_yaml_reruns_under_the_experiment_name() {
    let loaded = load(&experiment("quickstart.yaml"), &[], true);
    let first = scratch_dir("resolved-first");
    report::write_run(&first, &loaded, &run(&loaded)).unwrap();

    let again = load(&first.join(guildsim::identity::RESOLVED), &[], false);
    assert_eq!(again.name, "quickstart");
    let second = scratch_dir("resolved-second");
    report::write_run(&second, &again, &run(&again)).unwrap();
    assert_eq!(read_dir_files(&first), read_dir_files(&second));

    let renamed = load(
        &first.join(guildsim::identity::RESOLVED),
        &["name=storm-2"],
        false,
    );
    assert_eq!(renamed.name, "storm-2");
    assert_eq!(renamed.experiment.name.as_deref(), Some("storm-2"));
    std::fs::remove_dir_all(&first).unwrap();
    std::fs::remove_dir_all(&second).unwrap();
}
