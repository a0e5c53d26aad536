//! Same binary, experiment and seed: byte-identical result files. Another seed: different.

use super::{experiment, load, read_dir_files, run, scratch_dir};
use guildsim::report;

fn run_into(name: &str, sets: &[&str]) -> Vec<(String, Vec<u8>)> {
    let loaded = load(&experiment("quickstart.yaml"), sets, true);
    let dir = scratch_dir(name);
    report::write_results(&dir, &loaded, &run(&loaded)).unwrap();
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
