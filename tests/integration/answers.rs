//! A sweep's answer at a glance: the console output ends with one row per point (the swept
//! values, the key metrics with their intervals, whether the point keeps up), the same table
//! heads `report.html` with the full aggregate collapsed below it, and a swept field whose
//! values are not numbers (a design's label) can be a plot's x axis. The table's presence and
//! content are checked, not pixels.

use super::support::{
    arg, assert_located, check_text, experiment, guildsim, guildsim_with_stdout, position,
    position_in, scratch_dir,
};

const DESIGNS: &str = "designs-one-size.yaml";
const NAMES: [&str; 3] = ["2017 naive", "2017 Manifold", "2023 relays + passive"];

/// Runs the three-design sweep at test scale (with `extra` arguments), returns its folder and
/// standard output.
fn run_designs(name: &str, extra: &[&str]) -> (std::path::PathBuf, String) {
    let out = scratch_dir(&format!("answer-{name}")).join("out");
    let (e, o) = (arg(&experiment(DESIGNS)), arg(&out));
    let mut args = vec!["run", e.as_str(), "--test-scale", "--out", o.as_str()];
    args.extend(extra);
    let (code, stdout, stderr) = guildsim_with_stdout(&args);
    assert_eq!(code, 0, "{stderr}");
    (out, stdout)
}

#[test]
fn a_sweep_ends_its_output_with_one_row_per_point() {
    let (_, stdout) = run_designs("console", &[]);
    let start = stdout
        .find("answer (one row per point")
        .unwrap_or_else(|| panic!("no answer in: {stdout}"));
    let answer = &stdout[start..];
    let lines: Vec<&str> = answer.lines().collect();
    // The header: the swept field shown, each key metric of `sweep.summary`, the verdict.
    let header = lines[1];
    assert!(header.starts_with("model.design"), "{header}");
    for metric in [
        "latency_ms.p99",
        "guild_busy_fraction_max",
        "deliveries_total",
    ] {
        assert!(header.contains(metric), "{metric} missing: {header}");
    }
    assert!(header.contains("(mean [95 % CI])") && header.ends_with("keeps up?"));
    // One row per design, in the sweep's order, each with a verdict and intervals.
    for (row, name) in lines[2..5].iter().zip(NAMES) {
        assert!(row.starts_with(name), "{row}");
        assert!(
            ["keeps up", "does NOT keep up", "mixed (", "not judged"]
                .iter()
                .any(|v| row.ends_with(v) || row.contains(v)),
            "no verdict: {row}"
        );
        assert!(row.contains(" ["), "no interval: {row}");
    }
    // The zipped fields are named under the table, not repeated in every row.
    assert!(!header.contains("model.fanout.strategy"));
    assert!(answer.contains("model.fanout.strategy varies with the fields shown"));
    // It is the end of the output.
    assert!(
        lines
            .last()
            .unwrap()
            .contains("aggregate.csv has every metric")
    );
}

#[test]
fn the_answer_heads_the_report_and_the_aggregate_is_collapsed() {
    let (out, stdout) = run_designs("report", &[]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let answer = html
        .find("<h2 id=\"answer\">Answer</h2>")
        .expect("an answer");
    let plots = html.find("<h2 id=\"plots\">").unwrap();
    let all = html.find("<h2 id=\"all\">").unwrap();
    assert!(answer < plots && plots < all, "the answer comes first");
    // The same rows as the console's, cell by cell.
    for name in NAMES {
        let row = html[answer..plots]
            .find(&format!("<td>{name}</td>"))
            .unwrap_or_else(|| panic!("{name} not in the answer"));
        let console = stdout.lines().find(|l| l.starts_with(name)).unwrap();
        let first_number = console[name.len()..].split_whitespace().next().unwrap();
        assert!(
            html[answer + row..plots].contains(&format!(">{first_number} [")),
            "{name}: {first_number} not in the report's row"
        );
    }
    // Wide tables scroll in their own box; the aggregate is collapsed below the plots.
    assert!(html.contains(".wide{overflow-x:auto"));
    assert!(html[answer..plots].contains("<div class=\"wide\"><table>"));
    let details = html[all..]
        .find("<details><summary>aggregate.csv")
        .expect("collapsed");
    assert!(html[all + details..].contains("</details>"));
}

#[test]
fn summary_lists_the_answer_s_metrics() {
    let (_, stdout) = run_designs(
        "summary",
        &["--set", "sweep.summary=[fanout_duration_ms.p50]"],
    );
    let header = stdout
        .lines()
        .find(|l| l.starts_with("model.design"))
        .unwrap();
    assert!(header.contains("fanout_duration_ms.p50"), "{header}");
    assert!(!header.contains("latency_ms.p99"), "{header}");
}

#[test]
fn an_unknown_summary_metric_is_located() {
    let text = std::fs::read_to_string(experiment(DESIGNS))
        .unwrap()
        .replace("deliveries_total]", "deliveries_totl]");
    let (out, text) = check_text("answer-bad-summary", "bad-summary", &text);
    let at = position(&text, "deliveries_totl");
    assert_located(
        &out,
        "bad-summary.yaml",
        &at,
        "sweep.summary[2]",
        "unknown metric `deliveries_totl`",
    );
}

#[test]
fn designs_go_on_a_categorical_axis_in_the_sweep_s_order() {
    let (out, _) = run_designs("categories", &[]);
    let svg = std::fs::read_to_string(out.join("guild_busy.svg")).unwrap();
    let at: Vec<usize> = NAMES
        .iter()
        .map(|n| {
            let tick = format!(">\n{n}\n</text>");
            svg.find(&tick).unwrap_or_else(|| panic!("{n} not a tick"))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "not in the sweep's order"
    );
    // No line joins the designs: each point stands alone with its interval bar (every path
    // drawn is an axis, a tick, a bar or a cap: two points).
    for line in svg.lines().filter(|l| l.contains("<polyline")) {
        let points = line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            points.split_whitespace().count() <= 2,
            "a joining line: {line}"
        );
    }
}

#[test]
fn a_categorical_axis_cannot_be_logarithmic() {
    let text = std::fs::read_to_string(experiment(DESIGNS))
        .unwrap()
        .replace("      log_y: true\n", "      log_x: true\n");
    let (out, text) = check_text("answer-log-categories", "log-categories", &text);
    let at = position_in(&text, "log_x: true", "true");
    assert_located(
        &out,
        "log-categories.yaml",
        &at,
        "sweep.plots[0].log_x",
        "its axis lists them, it cannot be logarithmic",
    );
}

#[test]
fn a_design_zipped_with_its_fields_is_not_told_to_use_where() {
    // The zipped strategy varies with the design on x: no `where`/`lines` suggestion.
    let (code, err) = guildsim(&["check", &arg(&experiment(DESIGNS))]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("varies too"), "{err}");
}
