//! A sweep is checked whole before any run: a bad entry, value, range, zip, plot or label
//! exits with code 2 at the file, line, column and field path of the sweep entry at fault; a
//! `--set` of a swept field, a shard out of range and a run that cannot fit in memory are
//! refused with a message that says what to change.

use super::support::{
    assert_located, check_text, experiment, guildsim, position, position_in, scratch_dir,
};

const SCALING: &str = "scaling-guild-size.yaml";

/// `guildsim check` on a copy of the scaling experiment with `edit` applied; returns the
/// result and the edited text.
fn check_edited(name: &str, edit: impl Fn(&str) -> String) -> ((i32, String), String) {
    let original = std::fs::read_to_string(experiment(SCALING)).unwrap();
    let text = edit(&original);
    assert_ne!(text, original, "the edit changed nothing");
    check_text(&format!("sweep-bad-{name}"), name, &text)
}

#[test]
fn a_field_that_does_not_exist() {
    let (out, text) = check_edited("no-field", |t| {
        t.replace(
            "field: workload.guilds.sizes.fixed.members",
            "field: workload.guilds.sizes.fixed.membrs",
        )
    });
    let at = position(&text, "workload.guilds.sizes.fixed.membrs");
    assert_located(
        &out,
        "no-field.yaml",
        &at,
        "workload.guilds.sizes.fixed.membrs",
        "unknown field `membrs`",
    );
}

#[test]
fn a_value_of_the_wrong_type() {
    let (out, text) = check_edited("wrong-type", |t| {
        t.replace(
            "log: {from: 100, to: 100000, steps: 7}",
            "values: [100, lots]",
        )
    });
    let at = position(&text, "lots]");
    assert_located(
        &out,
        "wrong-type.yaml",
        &at,
        "workload.guilds.sizes.fixed.members",
        "invalid type",
    );
}

#[test]
fn an_impossible_value_is_located_at_the_sweep_entry() {
    let (out, text) = check_edited("impossible", |t| {
        t.replace(
            "steps: 7}   # 100, 316, 1000, ..., 100000\n",
            "steps: 7}\n    - {field: workload.guilds.online_fraction, values: [0.5, 2]}\n",
        )
    });
    let at = position(&text, "2]}");
    assert_located(
        &out,
        "impossible.yaml",
        &at,
        "workload.guilds.online_fraction",
        "must be a number from 0 to 1, got 2",
    );
}

#[test]
fn an_empty_range() {
    let (out, text) = check_edited("empty", |t| {
        t.replace("to: 100000, steps: 7}", "to: 100000, steps: 0}")
    });
    let at = position_in(&text, "steps: 0}", "0}");
    assert_located(
        &out,
        "empty.yaml",
        &at,
        "sweep.grid[1].log.steps",
        "an empty range gives no runs",
    );
    let (out, text) = check_edited("empty-list", |t| {
        t.replace("values: [naive, manifold]", "values: []")
    });
    let at = position_in(&text, "values: []", "[]");
    assert_located(
        &out,
        "empty-list.yaml",
        &at,
        "sweep.grid[0].values",
        "is empty",
    );
}

#[test]
fn a_zip_of_lists_of_different_lengths() {
    let (out, text) = check_edited("zip", |t| {
        t.replace(
            "    - field: workload.guilds.sizes.fixed.members\n      log: {from: 100, to: 100000, steps: 7}   # 100, 316, 1000, ..., 100000",
            "    - zip:\n        - {field: workload.guilds.sizes.fixed.members, values: [100, 1000, 10000]}\n        - {field: workload.publishes.rate.per_guild_per_s, values: [1, 0.1]}",
        )
    });
    let at = position(&text, "[1, 0.1]");
    assert_located(
        &out,
        "zip.yaml",
        &at,
        "sweep.grid[1].zip[1].values",
        "a zip needs equally many values",
    );
}

#[test]
fn a_plot_of_an_unknown_metric_or_unswept_field() {
    let (out, text) = check_edited("metric", |t| {
        t.replace("metric: latency_ms.p99", "metric: latency_ms.p98")
    });
    let at = position(&text, "latency_ms.p98");
    assert_located(
        &out,
        "metric.yaml",
        &at,
        "sweep.plots[0].metric",
        "unknown metric `latency_ms.p98`",
    );
    let (out, text) = check_edited("lines", |t| {
        t.replacen(
            "lines: model.fanout.strategy",
            "lines: model.fanout.strategie",
            1,
        )
    });
    let at = position(&text, "model.fanout.strategie");
    assert_located(
        &out,
        "lines.yaml",
        &at,
        "sweep.plots[0].lines",
        "is not swept",
    );
}

#[test]
fn a_plot_over_a_larger_grid_needs_the_other_fields_fixed() {
    let third_axis = |t: &str| {
        t.replace(
            "steps: 7}   # 100, 316, 1000, ..., 100000\n",
            "steps: 7}\n    - {field: workload.guilds.online_fraction, values: [0.5, 1]}\n",
        )
    };
    let (out, text) = check_edited("unfixed", third_axis);
    let at = position_in(&text, "x: workload", "workload");
    assert_located(
        &out,
        "unfixed.yaml",
        &at,
        "sweep.plots[0].x",
        "`workload.guilds.online_fraction` varies too (2 values)",
    );
    let (out, _) = check_edited("fixed", |t| {
        third_axis(t).replace(
            "      log_x: true\n",
            "      where: {workload.guilds.online_fraction: 0.5}\n      log_x: true\n",
        )
    });
    assert_eq!(out.0, 0, "{}", out.1);
}

#[test]
fn a_set_of_a_swept_field_is_refused() {
    let exp = experiment(SCALING);
    let (code, stderr) = guildsim(&[
        "run",
        exp.to_str().unwrap(),
        "--test-scale",
        "-q",
        "--set",
        "workload.guilds.sizes.fixed.members=5",
        "--out",
        "/nonexistent/never-written",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`workload.guilds.sizes.fixed.members` is swept"),
        "{stderr}"
    );
}

#[test]
fn a_shard_out_of_range_is_refused() {
    let exp = experiment(SCALING);
    let (code, stderr) = guildsim(&[
        "run",
        exp.to_str().unwrap(),
        "--test-scale",
        "-q",
        "--shard",
        "3/3",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("0-based"), "{stderr}");
    let quick = experiment("quickstart.yaml");
    let (code, stderr) = guildsim(&["run", quick.to_str().unwrap(), "-q", "--shard", "0/2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("has no `sweep:`"), "{stderr}");
}

#[test]
fn a_run_that_does_not_fit_in_memory_is_refused() {
    let dir = scratch_dir("sweep-memory");
    let out = dir.join("out");
    for exp in [SCALING, "quickstart.yaml"] {
        let path = experiment(exp);
        let (code, stderr) = guildsim(&[
            "run",
            path.to_str().unwrap(),
            "--test-scale",
            "-q",
            "--max-memory",
            "4M",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("needs about"), "{stderr}");
        assert!(stderr.contains("--max-memory is 4.0 MiB"), "{stderr}");
        assert!(stderr.contains("shrink it with"), "{stderr}");
        assert!(!out.exists(), "nothing is written before the check");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_labels_and_axis_options_are_located() {
    // A log axis cannot start at zero.
    let (out, text) = check_edited("zero-log", |t| {
        t.replacen(
            "      log_y: true\n",
            "      log_y: true\n      y_from_zero: true\n",
            1,
        )
    });
    let at = position_in(&text, "y_from_zero: true", "true");
    assert_located(
        &out,
        "zero-log.yaml",
        &at,
        "sweep.plots[0].y_from_zero",
        "a log axis cannot start at zero",
    );
    // A legend text must be a string.
    let (out, text) = check_edited("label-type", |t| {
        t.replacen(
            "      lines: model.fanout.strategy\n",
            "      lines: model.fanout.strategy\n      labels: {naive: [a, b]}\n",
            1,
        )
    });
    let at = position(&text, "{naive");
    assert_located(
        &out,
        "label-type.yaml",
        &at,
        "sweep.plots[0].labels",
        "must be a string of at most 200 characters",
    );
    // An axis label of 201 characters.
    let long = "x".repeat(201);
    let (out, text) = check_edited("long-label", |t| {
        t.replacen(
            "      log_x: true\n",
            &format!("      log_x: true\n      x_label: {long}\n"),
            1,
        )
    });
    let at = position(&text, &long);
    assert_located(
        &out,
        "long-label.yaml",
        &at,
        "sweep.plots[0].x_label",
        "must be at most 200 characters",
    );
}

/// Issue 25: a zipped swept field's `--set` suggestion names its place in the zip.
#[test]
fn a_zipped_field_s_suggestion_names_its_place_in_the_zip() {
    let (code, err) = guildsim(&[
        "check",
        &super::support::experiment_arg("design-generations.yaml"),
        "--set",
        "model.fanout.strategy=naive",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--set 'sweep.grid[0].zip[1].values=[...]'"),
        "{err}"
    );
    let (code, err) = guildsim(&[
        "check",
        &super::support::experiment_arg("design-generations.yaml"),
        "--set",
        "workload.publishes.presence_changes_per_session_per_s=0.1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--set 'sweep.grid[1].values=[...]'"), "{err}");
}
