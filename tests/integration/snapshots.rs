//! One insta snapshot per experiment in `experiments/`, run at the small scale its
//! `test_overrides` declare: any change in any number shows up in review
//! (`cargo insta review`). An experiment without a sweep snapshots its `summary.json`; one
//! with a sweep runs every point and replication and snapshots `aggregate.csv`.

use super::{load, run, scratch_dir};
use guildsim::config::{self, LoadOptions};
use guildsim::sweep::{self, Shard, Silent, exec};

#[test]
fn every_experiment_summary() {
    insta::glob!("../../experiments", "*.yaml", |path| {
        let options = LoadOptions {
            sets: Vec::new(),
            test_scale: true,
        };
        let assembled = config::assemble(path, &options).unwrap_or_else(|e| panic!("{e}"));
        match sweep::plan(&assembled).unwrap_or_else(|e| panic!("{e}")) {
            None => {
                let result = run(&load(path, &[], true));
                insta::assert_json_snapshot!(result.summary);
            }
            Some(plan) => {
                let out = scratch_dir(&format!("snapshot-{}", assembled.name));
                let todo = exec::todo(&plan, &out, Shard::WHOLE);
                exec::run_all(&todo.run, &out, 2, &Silent).unwrap();
                exec::finish(&plan, &out, Shard::WHOLE).unwrap();
                let table = std::fs::read_to_string(out.join("aggregate.csv")).unwrap();
                std::fs::remove_dir_all(&out).unwrap();
                insta::assert_snapshot!(table);
            }
        }
    });
}
