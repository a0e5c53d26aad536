//! `expect:` gates through the binary: a met expectation exits 0, a failed one 1 (with the
//! table in `expectations.csv`, listed in the run's key file), an unknown metric 2 with its
//! location; a sweep is judged per point on the mean, the confidence interval or every
//! replication, as `aggregate.csv` gives them.

use super::support::{assert_located, experiment, guildsim_with_stdout, root, scratch_dir};
use std::path::Path;

/// Runs traffic-burst at test scale into `out` with these expectations.
fn run_burst(out: &Path, expect: &str) -> (i32, String, String) {
    let path = experiment("traffic-burst.yaml");
    let set = format!("expect={expect}");
    guildsim_with_stdout(&[
        "run",
        path.to_str().unwrap(),
        "--test-scale",
        "--out",
        out.to_str().unwrap(),
        "--set",
        &set,
    ])
}

fn summary_value(dir: &Path, metric: &str) -> f64 {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    guildsim::metrics::flat::lookup(&summary, metric)
        .flatten()
        .unwrap()
}

#[test]
fn met_expectations_exit_0_and_a_failed_one_exits_1() {
    let dir = scratch_dir("expect-run");
    let (pass, fail) = (dir.join("pass"), dir.join("fail"));
    // The shipped gates hold at test scale too.
    let (code, stdout, stderr) = guildsim_with_stdout(&[
        "run",
        experiment("traffic-burst.yaml").to_str().unwrap(),
        "--test-scale",
        "-q",
        "--out",
        pass.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let p99 = summary_value(&pass, "windows.before.latency_ms.p99");
    let delivered = summary_value(&pass, "deliveries_total");
    assert!(p99 > 0.0 && delivered > 0.0);

    // A bound at the value itself is met; one just below it is not.
    let at = format!(
        "{{windows.before.latency_ms.p99: {{max: {p99}}}, deliveries_total: {{min: {delivered}}}}}"
    );
    let (code, stdout, stderr) = run_burst(&pass, &at);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("expectations: 2 of 2 met"), "{stdout}");
    let below = format!(
        "{{windows.before.latency_ms.p99: {{max: {}}}, deliveries_total: {{min: {delivered}}}}}",
        p99 * 0.999
    );
    let (code, stdout, stderr) = run_burst(&fail, &below);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("1 expectation(s) failed"), "{stderr}");
    let csv = std::fs::read_to_string(fail.join("expectations.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "metric,value,min,max,verdict");
    assert!(rows[1].starts_with("deliveries_total,") && rows[1].ends_with(",pass"));
    assert!(
        rows[2].starts_with("windows.before.latency_ms.p99,") && rows[2].ends_with(",FAIL"),
        "{csv}"
    );
    // Listed in the run's key file, so guildsim owns it like its other files.
    let key = std::fs::read_to_string(fail.join("run-key.txt")).unwrap();
    assert!(
        key.lines().any(|l| l.ends_with(" expectations.csv")),
        "{key}"
    );
    let report = std::fs::read_to_string(fail.join("report.html")).unwrap();
    assert!(report.contains("1 of 2 met"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_metric_is_refused_with_its_location() {
    let dir = scratch_dir("expect-bad");
    let text = std::fs::read_to_string(experiment("traffic-burst.yaml"))
        .unwrap()
        .replace("../models/", &format!("{}/models/", root().display()))
        .replace(
            "windows.before.latency_ms.p99:",
            "windows.befor.latency_ms.p99:",
        );
    let (line, text_line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("windows.befor."))
        .unwrap();
    // The error points at the expectation's bounds.
    let column = text_line.find('{').unwrap() + 1;
    let path = dir.join("typo.yaml");
    std::fs::write(&path, &text).unwrap();
    for command in ["check", "run"] {
        let (code, _, stderr) = guildsim_with_stdout(&[command, path.to_str().unwrap()]);
        assert_located(
            &(code, stderr),
            "typo.yaml",
            &format!("{}:{column}", line + 1),
            "expect.\"windows.befor.latency_ms.p99\"",
            "unknown metric `windows.befor.latency_ms.p99`; one of windows.after, \
             windows.before, windows.burst",
        );
    }
    assert!(!dir.join("results").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Column `name` of a CSV row.
fn col<'a>(header: &str, row: &'a str, name: &str) -> &'a str {
    let i = header.split(',').position(|h| h == name).unwrap();
    row.split(',').nth(i).unwrap()
}

#[test]
fn a_sweep_is_judged_per_point_on_mean_ci_or_every_replication() {
    let dir = scratch_dir("expect-sweep");
    let text = std::fs::read_to_string(experiment("traffic-burst.yaml"))
        .unwrap()
        .replace("../models/", &format!("{}/models/", root().display()));
    let path = dir.join("gates.yaml");
    let sweep = "sweep:\n  replications: 3\n  grid:\n    \
                 - {field: model.fanout.strategy, values: [naive, manifold]}\n";
    std::fs::write(&path, format!("{text}{sweep}")).unwrap();
    let out = dir.join("out");
    // Bounds that some points miss: p99 of the naive strategy is higher than manifold's.
    let expect = "expect={latency_ms.p99: {max: 100}, latency_ms.mean: {max: 100, over: ci}, \
                  deliveries_total: {min: 1, over: every}}";
    let (code, stdout, stderr) = guildsim_with_stdout(&[
        "run",
        path.to_str().unwrap(),
        "--test-scale",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--set",
        expect,
    ]);
    let agg = std::fs::read_to_string(out.join("aggregate.csv")).unwrap();
    let verdicts = std::fs::read_to_string(out.join("expectations.csv")).unwrap();
    let (ah, vh) = (
        agg.lines().next().unwrap(),
        verdicts.lines().next().unwrap(),
    );
    let mut failed = 0;
    for row in verdicts.lines().skip(1) {
        let (point, metric) = (col(vh, row, "point"), col(vh, row, "metric"));
        let a = agg
            .lines()
            .find(|a| col(ah, a, "point") == point && col(ah, a, "metric") == metric)
            .unwrap();
        let (low, high) = match col(vh, row, "over") {
            "mean" => (col(ah, a, "mean"), col(ah, a, "mean")),
            "ci" => (col(ah, a, "ci95_low"), col(ah, a, "ci95_high")),
            "every" => (col(ah, a, "min"), col(ah, a, "max")),
            other => panic!("over {other}"),
        };
        assert_eq!(
            (col(vh, row, "low"), col(vh, row, "high")),
            (low, high),
            "{row}"
        );
        let (low, high): (f64, f64) = (low.parse().unwrap(), high.parse().unwrap());
        let within = match metric {
            "deliveries_total" => low >= 1.0,
            _ => high <= 100.0,
        };
        let verdict = col(vh, row, "verdict");
        assert_eq!(verdict, if within { "pass" } else { "FAIL" }, "{row}");
        failed += usize::from(!within);
    }
    assert_eq!(verdicts.lines().count(), 1 + 2 * 3);
    assert_eq!(code, if failed > 0 { 1 } else { 0 }, "{stdout}{stderr}");
    assert!(
        failed > 0 && failed < 6,
        "some points pass and some fail: {verdicts}"
    );
    let manifest = std::fs::read_to_string(out.join("sweep.json")).unwrap();
    assert!(manifest.contains("\"expectations.csv\""), "{manifest}");
    std::fs::remove_dir_all(&dir).unwrap();
}
