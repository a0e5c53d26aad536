//! One insta snapshot of the summary of every experiment in `experiments/`, run at the small
//! scale its `test_overrides` declare: any change in any number shows up in review
//! (`cargo insta review`).

use super::{load, run};

#[test]
fn every_experiment_summary() {
    insta::glob!("../../experiments", "*.yaml", |path| {
        let result = run(&load(path, &[], true));
        insta::assert_json_snapshot!(result.summary);
    });
}
