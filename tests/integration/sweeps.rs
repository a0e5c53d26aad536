//! Sweeps: the same files for any number of jobs and for shards run as separate processes and
//! merged; resume after an interruption; exactly the changed runs rerun after an edit; common
//! random numbers; aggregate statistics that follow from the runs.

use super::support::{experiment, guildsim, names, read_tree, root, scratch_dir};
use guildsim::config::{self, LoadOptions};
use guildsim::sim::rng::derive_seed;
use guildsim::sweep::{self, Plan, Shard, Silent, exec};
use std::path::Path;

const SCALING: &str = "scaling-guild-size.yaml";

/// The sweep tests use one fan-out strategy: 3 sizes x 3 replications at test scale.
const ONE_STRATEGY: &str = "sweep.grid[0].values=[naive]";

/// The plan of the scaling experiment at test scale, with one strategy and `--set` overrides.
fn plan(sets: &[&str]) -> Plan {
    let options = LoadOptions {
        sets: std::iter::once(ONE_STRATEGY)
            .chain(sets.iter().copied())
            .map(|s| s.to_string())
            .collect(),
        test_scale: true,
    };
    let assembled = config::assemble(&experiment(SCALING), &options).unwrap();
    sweep::plan(&assembled)
        .unwrap()
        .expect("the experiment has a sweep")
}

/// Runs what is not complete in `out` and writes the tables; returns (ran, reused).
fn run_sweep(plan: &Plan, out: &Path, jobs: usize) -> (usize, usize) {
    let todo = exec::todo(plan, out, Shard::WHOLE);
    exec::start(plan, out, Shard::WHOLE).unwrap();
    exec::run_all(&todo.run, out, jobs, &Silent).unwrap();
    exec::finish(plan, out, Shard::WHOLE).unwrap();
    (todo.run.len(), todo.reused.len())
}

#[test]
fn any_number_of_jobs_writes_the_same_files() {
    let plan = plan(&[]);
    assert_eq!(plan.runs.len(), 9, "3 sizes x 3 replications at test scale");
    let dir = scratch_dir("sweep-jobs");
    let trees: Vec<_> = [1, 2, 5]
        .into_iter()
        .map(|jobs| {
            let out = dir.join(format!("jobs-{jobs}"));
            assert_eq!(run_sweep(&plan, &out, jobs), (9, 0));
            read_tree(&out)
        })
        .collect();
    let files = names(&trees[0]);
    for expected in [
        "sweep.csv",
        "aggregate.csv",
        "sweep.json",
        "resolved.yaml",
        "latency_p99.svg",
        "fanout_duration_p99.svg",
        "runs/0-strategy=naive,members=100/r000/summary.json",
        "runs/2-strategy=naive,members=3000/r002/latency.hist",
        "runs/2-strategy=naive,members=3000/r002/run-key.txt",
    ] {
        assert!(
            files.contains(&expected),
            "{expected} missing from {files:?}"
        );
    }
    // Point folders list in the grid's order: by guild size, not as text.
    let mut points: Vec<&str> = files
        .iter()
        .filter_map(|f| f.strip_prefix("runs/")?.split('/').next())
        .collect();
    points.dedup();
    let sizes: Vec<u64> = points
        .iter()
        .map(|p| p.rsplit('=').next().unwrap().parse().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{points:?}");
    assert_eq!(trees[0], trees[1], "1 job and 2 jobs differ");
    assert_eq!(trees[0], trees[2], "1 job and 5 jobs differ");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shards_in_separate_processes_merge_into_the_one_process_files() {
    let dir = scratch_dir("sweep-shards");
    let exp = experiment(SCALING);
    let exp = exp.to_str().unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "run",
            exp,
            "--test-scale",
            "--quiet",
            "--set",
            ONE_STRATEGY,
            "--out",
            out,
        ];
        args.extend(extra);
        let (code, stderr) = guildsim(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
    };
    run(&["--jobs", "2"], &path("one"));
    for i in 0..3 {
        run(
            &["--shard", &format!("{i}/3"), "--jobs", "1"],
            &path(&format!("shard-{i}")),
        );
    }
    let shard0 = read_tree(&dir.join("shard-0"));
    assert!(names(&shard0).contains(&"shard-0-of-3.json"));
    assert!(
        !names(&shard0).contains(&"sweep.csv"),
        "a shard has no tables"
    );
    let (code, stderr) = guildsim(&[
        "merge",
        &path("shard-0"),
        &path("shard-2"),
        "--out",
        &path("partial"),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("3 of 9 runs are missing"), "{stderr}");
    assert!(stderr.contains("shard 1/3"), "{stderr}");

    let (code, stderr) = guildsim(&[
        "merge",
        &path("shard-2"),
        &path("shard-0"),
        &path("shard-1"),
        "--out",
        &path("merged"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let one = read_tree(&dir.join("one"));
    let merged = read_tree(&dir.join("merged"));
    assert_eq!(names(&one), names(&merged));
    for ((name, a), (_, b)) in one.iter().zip(&merged) {
        assert!(
            a == b,
            "{name} differs between one process and merged shards"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merge_refuses_other_experiments_and_versions() {
    let dir = scratch_dir("sweep-merge-refusals");
    let exp = experiment(SCALING);
    let exp = exp.to_str().unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let shard = |index: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            exp,
            "--test-scale",
            "-q",
            "--shard",
            index,
            "--out",
            out,
        ];
        args.extend(extra);
        let (code, stderr) = guildsim(&args);
        assert_eq!(code, 0, "{stderr}");
    };
    shard("0/2", &path("a"), &[]);
    shard("1/2", &path("b"), &["--seed", "5"]);
    let (code, stderr) = guildsim(&["merge", &path("a"), &path("b"), "--out", &path("m")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot merge"), "{stderr}");
    assert!(stderr.contains("same experiment file"), "{stderr}");

    let manifest = dir.join("a").join("shard-0-of-2.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let version = format!("\"guildsim\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{text}");
    std::fs::write(
        &manifest,
        text.replace(&version, "\"guildsim\": \"0.0.0-other\""),
    )
    .unwrap();
    let (code, stderr) = guildsim(&["merge", &path("a"), "--out", &path("m")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("written by guildsim 0.0.0-other"),
        "{stderr}"
    );

    let (code, stderr) = guildsim(&["merge", &path("no-such-folder")]);
    assert_eq!(code, 2, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resume_reruns_exactly_what_is_missing_or_half_written() {
    let plan = plan(&[]);
    let dir = scratch_dir("sweep-resume");
    assert_eq!(run_sweep(&plan, &dir, 2), (9, 0));
    let complete = read_tree(&dir);
    assert_eq!(run_sweep(&plan, &dir, 2), (0, 9), "nothing to redo");
    assert_eq!(read_tree(&dir), complete);

    // A run killed while it was written: its staging folder is left with its journal (the
    // manifest not yet written), and the run's own folder is absent.
    let run = |i: usize| dir.join(&plan.runs[i].dir);
    let rep = run(4).file_name().unwrap().to_string_lossy().into_owned();
    let staging = run(4).with_file_name(format!(".{rep}.tmp-4242"));
    std::fs::rename(run(4), &staging).unwrap();
    std::fs::rename(
        staging.join("run-key.txt"),
        staging.join(".guildsim-journal"),
    )
    .unwrap();
    // A run whose folder is gone.
    std::fs::remove_dir_all(run(0)).unwrap();
    // One changed digit of the same size: sizes alone used to pass it as complete; now the
    // sweep refuses to replace a file that changed after guildsim wrote it, and names it.
    let summary = run(7).join("summary.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    let at = text.find(|c: char| c.is_ascii_digit() && c != '9').unwrap();
    let bumped = (text.as_bytes()[at] + 1) as char;
    let edited = format!("{}{bumped}{}", &text[..at], &text[at + 1..]);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&summary, &edited).unwrap();
    let err = exec::start(&plan, &dir, Shard::WHOLE)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("summary.json (changed after guildsim wrote it)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap(),
        edited,
        "left as it is"
    );
    // The user moves it away: the run is redone.
    std::fs::remove_file(&summary).unwrap();
    assert_eq!(run_sweep(&plan, &dir, 2), (3, 6));
    assert_eq!(
        read_tree(&dir),
        complete,
        "leftovers removed, every run whole again"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn changing_the_experiment_reruns_exactly_the_runs_it_changes() {
    let grid = |sizes: &str| {
        format!("sweep.grid[1]={{field: workload.guilds.sizes.fixed.members, values: [{sizes}]}}")
    };
    let dir = scratch_dir("sweep-invalidate");
    assert_eq!(run_sweep(&plan(&[&grid("100, 300")]), &dir, 2), (6, 0));

    // One value of the grid changed: its 3 runs are new, the other 3 are kept, the old ones go.
    let changed = plan(&[&grid("100, 400")]);
    assert_eq!(run_sweep(&changed, &dir, 2), (3, 3));
    let files = read_tree(&dir);
    assert!(
        !names(&files).iter().any(|n| n.contains("members=300")),
        "{:?}",
        names(&files)
    );
    let fresh = scratch_dir("sweep-invalidate-fresh");
    run_sweep(&changed, &fresh, 2);
    assert_eq!(files, read_tree(&fresh), "resumed and fresh sweeps differ");

    // A description reaches no run; a publishing window reaches every run.
    let described = plan(&[&grid("100, 400"), "description=another text"]);
    assert_eq!(run_sweep(&described, &dir, 2), (0, 6));
    let longer = plan(&[&grid("100, 400"), "workload.publishes.end_s=10"]);
    assert_eq!(run_sweep(&longer, &dir, 2), (6, 0));
    // More replications: the first three are kept (same seeds).
    let more = plan(&[
        &grid("100, 400"),
        "workload.publishes.end_s=10",
        "sweep.replications=4",
    ]);
    assert_eq!(run_sweep(&more, &dir, 2), (2, 6));
    assert!(dir.join("latency_p99.svg").exists());
    // Plots dropped from the experiment go too; the runs stay.
    let no_plots = plan(&[
        &grid("100, 400"),
        "workload.publishes.end_s=10",
        "sweep.replications=4",
        "sweep.plots=[]",
    ]);
    assert_eq!(run_sweep(&no_plots, &dir, 2), (0, 8));
    let files = read_tree(&dir);
    assert!(
        !names(&files).iter().any(|n| n.ends_with(".svg")),
        "{:?}",
        names(&files)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&fresh).unwrap();
}

#[test]
fn a_zip_varies_its_fields_together_across_the_grid() {
    let zip = "sweep.grid[1]={zip: [\
        {field: workload.guilds.sizes.fixed.members, values: [100, 200, 300]}, \
        {field: workload.publishes.rate.per_guild_per_s, linear: {from: 1.0, to: 2, steps: 3}}]}";
    let plan = plan(&[zip, "sweep.plots=[]", "sweep.grid[0].values=[naive]"]);
    let labels: Vec<Vec<&str>> = plan
        .points
        .iter()
        .map(|p| p.labels.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        labels,
        [
            ["naive", "100", "1.0"],
            ["naive", "200", "1.5"],
            ["naive", "300", "2.0"]
        ]
    );
    let rate = |p: usize| match plan.runs[p * 3]
        .load()
        .unwrap()
        .experiment
        .workload
        .publishes
        .rate
    {
        guildsim::config::schema::Rate::PerGuildPerS(r) => r,
        _ => panic!("rate per guild"),
    };
    assert_eq!((rate(0), rate(1), rate(2)), (1.0, 1.5, 2.0));
}

#[test]
fn replications_share_their_seed_across_points() {
    let plan = plan(&[]);
    let master = plan.base.experiment.seed;
    for run in &plan.runs {
        assert_eq!(
            run.seed(),
            derive_seed(master, "replication", run.replication as u64)
        );
    }
    let seed_of = |point: usize, rep: u32| {
        plan.runs
            .iter()
            .find(|r| r.point == point && r.replication == rep)
            .unwrap()
            .seed()
    };
    assert_eq!(seed_of(0, 1), seed_of(2, 1));
    assert_ne!(seed_of(0, 1), seed_of(0, 2));
    assert_ne!(
        seed_of(0, 0),
        master,
        "replication seeds are derived, not the master seed"
    );
}

/// Values of `column` in the rows of a CSV whose columns `filter` match.
fn csv_column(bytes: &[u8], filter: &[(&str, &str)], column: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().unwrap().clone();
    let idx = |name: &str| headers.iter().position(|h| h == name).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| filter.iter().all(|(c, v)| &r[idx(c)] == *v))
        .map(|r| r[idx(column)].to_string())
        .collect()
}

#[test]
fn aggregates_follow_from_the_runs() {
    let plan = plan(&[]);
    let dir = scratch_dir("sweep-aggregate");
    run_sweep(&plan, &dir, 2);
    let sweep_csv = std::fs::read(dir.join("sweep.csv")).unwrap();
    let aggregate = std::fs::read(dir.join("aggregate.csv")).unwrap();
    let num = |s: &str| s.parse::<f64>().unwrap();
    for metric in [
        "latency_ms.count",
        "latency_ms.p99",
        "fanout_duration_ms.mean",
    ] {
        let runs: Vec<f64> = csv_column(&sweep_csv, &[("point", "2"), ("metric", metric)], "value")
            .iter()
            .map(|v| num(v))
            .collect();
        assert_eq!(runs.len(), 3);
        let row =
            |col: &str| num(&csv_column(&aggregate, &[("point", "2"), ("metric", metric)], col)[0]);
        let mean = runs.iter().sum::<f64>() / 3.0;
        let sd = (runs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        let half = 4.302_652_73 * sd / 3f64.sqrt(); // Student's t, 2 degrees of freedom
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
        assert!(close(row("mean"), mean), "{metric} mean");
        assert!(close(row("sd"), sd), "{metric} sd");
        assert!(close(row("ci95_low"), mean - half), "{metric} ci95_low");
        assert!(close(row("ci95_high"), mean + half), "{metric} ci95_high");
        let (lo, hi) = runs
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
        assert_eq!((row("min"), row("max")), (lo, hi), "{metric}");
        // The merged histogram: counts add up; a quantile of the pool lies among the parts'.
        let merged = row("merged");
        if metric.ends_with("count") {
            assert_eq!(merged, runs.iter().sum::<f64>());
        } else {
            assert!(
                lo * 0.999 <= merged && merged <= hi * 1.001,
                "{metric}: {merged} not in [{lo}, {hi}]"
            );
        }
    }
    // Counters have no merged histogram.
    assert_eq!(
        csv_column(
            &aggregate,
            &[("point", "0"), ("metric", "deliveries_total")],
            "merged"
        ),
        [""]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn node_groups_can_be_named_in_set_sweeps_and_plots() {
    // `model.nodes[session].count` is the group named `session` (index 1 in the quickstart).
    let dir = scratch_dir("sweep-named-group");
    let exp = dir.join("named.yaml");
    std::fs::write(
        &exp,
        format!(
            "name: named\nmodel: {}\nseed: 1\nrun: {{horizon_s: 2}}\nworkload:\n  \
             guilds: {{sizes: {{fixed: {{count: 10, members: 20}}}}, online_fraction: 1.0}}\n  \
             users: {{guilds_per_user_mean: 1, placement: uniform}}\n  \
             publishes: {{rate: {{per_member_per_s: 0.05}}}}\n\
             sweep:\n  grid:\n    - field: model.nodes[session].count\n      values: [2, 5]\n  \
             plots:\n    - file: p99\n      x: model.nodes[session].count\n      \
             metric: latency_ms.p99\n",
            root().join("models/discord-2017.yaml").display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let (code, text) = guildsim(&["run", exp.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let sweep = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(
        sweep.starts_with("point,replication,seed,run,model.nodes[session].count,"),
        "{sweep}"
    );
    // Each point really ran with that many session nodes.
    for (point, nodes) in [("0-count=2", 2), ("1-count=5", 5)] {
        let resolved =
            std::fs::read_to_string(out.join("runs").join(point).join("r000/resolved.yaml"))
                .unwrap();
        assert!(
            resolved.contains(&format!("name: session\n    count: {nodes}\n")),
            "{point}: {resolved}"
        );
    }
    let svg = std::fs::read_to_string(out.join("p99.svg")).unwrap();
    assert!(svg.contains("session nodes"), "x axis named from the group");
    // The swept group set by index is still the swept field: refused.
    let (code, text) = guildsim(&[
        "check",
        exp.to_str().unwrap(),
        "--set",
        "model.nodes[1].count=3",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("`model.nodes[session].count` is swept"),
        "{text}"
    );
    // The same path in --set; a name that is not there is refused with the names there are.
    let (code, text) = guildsim(&[
        "check",
        exp.to_str().unwrap(),
        "--set",
        "model.nodes[relay].count=3",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("`model.nodes` has no item named `relay`; its names are: guild, session"),
        "{text}"
    );
}
