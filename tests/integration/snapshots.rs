//! One insta snapshot per experiment in `experiments/`, run at the small scale its
//! `test_overrides` declare: any change in any number shows up in review (README, "Adding an
//! experiment, updating snapshots"). An experiment without a sweep snapshots its
//! `summary.json`; one with a sweep runs every point and replication and snapshots
//! `aggregate.csv`, one line per point and metric with every value named, so that a diff
//! says which metric of which point moved; one with a search runs it and snapshots
//! `search.csv` and `search-steps.csv` (the answers, every value tried and its verdict).

use super::support::{load, run, scratch_dir};
use guildsim::config::{self, LoadOptions};
use guildsim::estimate::Limits;
use guildsim::search;
use guildsim::sweep::{self, Shard, Silent, exec};

#[test]
fn every_experiment_summary() {
    insta::glob!("../../experiments", "*.yaml", |path| {
        let options = LoadOptions {
            sets: Vec::new(),
            test_scale: true,
        };
        let assembled = config::assemble(path, &options).unwrap_or_else(|e| panic!("{e}"));
        if let Some(plan) = search::plan(&assembled).unwrap_or_else(|e| panic!("{e}")) {
            let out = scratch_dir(&format!("snapshot-{}", assembled.name));
            search::exec::run(&plan, &out, 2, &Limits::none(), &Silent).unwrap();
            let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
            let tables = format!("{}\n{}", read("search.csv"), read("search-steps.csv"));
            std::fs::remove_dir_all(&out).unwrap();
            insta::assert_snapshot!(tables);
            return;
        }
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
                insta::assert_snapshot!(labelled(&table, &plan));
            }
        }
    });
}

/// `aggregate.csv` as one line per row, each naming its point (by its run folder), its metric
/// and every value: `0-strategy=naive,members=100 latency_ms.p99: replications=3 mean=...`.
/// The swept fields' columns are left out (the point's folder name carries them), and so are
/// empty values (a standard deviation of one replication).
fn labelled(table: &str, plan: &sweep::Plan) -> String {
    let mut reader = csv::Reader::from_reader(table.as_bytes());
    let header = reader.headers().unwrap().clone();
    let metric = header.iter().position(|h| h == "metric").unwrap();
    let mut out = String::new();
    for record in reader.records() {
        let record = record.unwrap();
        let point: usize = record[0].parse().unwrap();
        let values: Vec<String> = header
            .iter()
            .zip(record.iter())
            .skip(metric + 1)
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        out += &format!(
            "{} {}: {}\n",
            plan.points[point].dir,
            &record[metric],
            values.join(" ")
        );
    }
    out
}
