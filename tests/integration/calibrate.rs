//! `guildsim calibrate`: it recovers known parameters from measurements that guildsim itself
//! produced (within 2 %), gives every malformed measurement file a located error with exit
//! code 2, writes the same bytes for the same inputs whatever `--jobs` (and reuses its runs
//! when run again), and keeps the output folder rules of every other command.

use super::support::{arg, experiment, guildsim_with_stdout, load, read_tree, run, scratch_dir};
use guildsim::sim::rng::derive_seed;
use std::path::{Path, PathBuf};

const STATS: [&str; 6] = ["mean", "p50", "p90", "p99", "p999", "max"];

fn header() -> String {
    let mut h = "mode,schedulers,members,rate_per_s,duration_s".to_string();
    for prefix in ["latency_us", "fanout_us"] {
        for stat in STATS {
            h.push_str(&format!(",{prefix}_{stat}"));
        }
    }
    h
}

/// One measurement row "measured" on guildsim itself: testbed-naive with the configuration
/// set as calibrate sets it (and the seed of its replication 0) and the costs at `truth`.
fn measured_row(schedulers: u32, members: u32, rate: f64, duration: f64, truth: &[&str]) -> String {
    let path = experiment("testbed-naive.yaml");
    let seed = derive_seed(load(&path, &[], false).experiment.seed, "replication", 0);
    let sets: Vec<String> = [
        "sweep=".to_string(),
        format!("seed={seed}"),
        format!("model.nodes[0].schedulers={schedulers}"),
        "model.fanout.strategy=naive".into(),
        format!("workload.guilds.sizes={{fixed: {{count: 1, members: {members}}}}}"),
        "workload.guilds.online_fraction=1.0".into(),
        "workload.users={guilds_per_user_mean: 1.0}".into(),
        format!("workload.publishes.rate={{per_guild_per_s: {rate}}}"),
        "workload.publishes.start_s=0".into(),
        format!("workload.publishes.end_s={duration}"),
        format!("run.horizon_s={}", 4.0 * duration + 60.0),
        format!("output.sample_interval_ms={}", 4.0 * duration + 60.0),
    ]
    .into_iter()
    .chain(truth.iter().map(|t| t.to_string()))
    .collect();
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let result = run(&load(&path, &sets, false));
    let summary = serde_json::to_value(&result.summary).unwrap();
    let mut row = format!("naive,{schedulers},{members},{rate},{duration}");
    for block in ["latency_ms", "fanout_duration_ms"] {
        for stat in STATS {
            let ms = summary[block][stat].as_f64().unwrap();
            row.push_str(&format!(",{}", ms * 1000.0));
        }
    }
    row
}

/// Measurements of four configurations with the costs at `truth`, in `dir/measured.csv`.
fn synthetic(dir: &Path, truth: &[&str]) -> PathBuf {
    let rows = [
        measured_row(1, 200, 1500.0, 0.25, truth),
        measured_row(1, 1000, 300.0, 0.25, truth),
        measured_row(2, 200, 2500.0, 0.25, truth),
        measured_row(2, 1000, 500.0, 0.25, truth),
    ];
    let file = dir.join("measured.csv");
    let text = format!(
        "# made by guildsim itself\n{}\n{}\n",
        header(),
        rows.join("\n")
    );
    std::fs::write(&file, text).unwrap();
    file
}

fn fitted(out: &Path) -> Vec<f64> {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("calibration.json")).unwrap()).unwrap();
    json["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["fitted"].as_f64().unwrap())
        .collect()
}

#[test]
fn recovers_known_parameters_within_two_percent() {
    let dir = scratch_dir("calibrate-recover");
    let truth = [1.1, 0.3];
    let file = synthetic(
        &dir,
        &[
            "model.costs.send_local={dist: constant, us: 1.1}",
            "model.costs.session_receive={dist: constant, us: 0.3}",
        ],
    );
    let out = dir.join("out");
    let (code, stdout, stderr) = guildsim_with_stdout(&[
        "calibrate",
        &arg(&experiment("testbed-naive.yaml")),
        &arg(&file),
        "--fit",
        "model.costs.send_local.us",
        "--fit",
        "model.costs.session_receive.us",
        "--fit-on",
        "all",
        "--out",
        &arg(&out),
        "--jobs",
        "2",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let got = fitted(&out);
    for (g, t) in got.iter().zip(truth) {
        assert!(
            (g / t - 1.0).abs() < 0.02,
            "fitted {got:?}, truth {truth:?}\n{stdout}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_same_inputs_give_the_same_files_for_any_jobs_and_a_rerun_reuses_every_run() {
    let dir = scratch_dir("calibrate-determinism");
    let file = synthetic(&dir, &["model.costs.send_local={dist: constant, us: 1.1}"]);
    let args = |out: &Path, jobs: &str| {
        let v: Vec<String> = [
            "calibrate",
            &arg(&experiment("testbed-naive.yaml")),
            &arg(&file),
            "--fit",
            "model.costs.send_local.us",
            "--max-iterations",
            "3",
            "--out",
            &arg(out),
            "--jobs",
            jobs,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        v
    };
    let (a, b) = (dir.join("a"), dir.join("b"));
    let call = |v: Vec<String>| {
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        guildsim_with_stdout(&v)
    };
    assert_eq!(call(args(&a, "1")).0, 0);
    assert_eq!(call(args(&b, "2")).0, 0);
    let files = read_tree(&a);
    assert!(files.iter().any(|f| f.0 == "held-out.csv"));
    assert!(files.iter().any(|f| f.0.ends_with(".svg")));
    assert_eq!(files, read_tree(&b), "--jobs changed a file");
    let (code, stdout, _) = call(args(&a, "2"));
    assert_eq!(code, 0);
    assert!(stdout.contains("(4 runs, 4 complete already)"), "{stdout}");
    assert_eq!(files, read_tree(&a), "a rerun changed a file");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Calibrates on `text` written to a file; returns the exit code and standard error.
fn calibrate_text(dir: &Path, name: &str, text: &[u8], extra: &[&str]) -> (i32, String, String) {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let out = dir.join(format!("out-{name}"));
    let mut args = vec![
        "calibrate".to_string(),
        arg(&experiment("testbed-naive.yaml")),
        arg(&file),
        "--fit".into(),
        "model.costs.send_local.us".into(),
        "--out".into(),
        arg(&out),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = guildsim_with_stdout(&args);
    (code, stderr, arg(&file))
}

#[test]
fn malformed_measurement_files_get_located_errors() {
    let dir = scratch_dir("calibrate-malformed");
    let h = "mode,schedulers,members,rate_per_s,duration_s,latency_us_mean,latency_us_p99,fanout_us_mean";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bad-number.csv",
            format!("# otp: 25\n{h}\nnaive,1,100,fast,5,10,20,5\n").into_bytes(),
            ":3:13: rate_per_s: must be a number above 0 to 1e6, got `fast`",
        ),
        (
            "bad-mode.csv",
            format!("{h}\nlazy,1,100,10,5,10,20,5\n").into_bytes(),
            ":2:1: mode: must be `naive` or `manifold`, got `lazy`",
        ),
        (
            "zero-schedulers.csv",
            format!("{h}\nnaive,0,100,10,5,10,20,5\n").into_bytes(),
            ":2:7: schedulers: must be an integer from 1 to 1024, got `0`",
        ),
        (
            "unknown-column.csv",
            "mode,schedulers,members,rate,duration_s\n"
                .as_bytes()
                .to_vec(),
            ":1:25: unknown column `rate` in the header",
        ),
        (
            "missing-column.csv",
            "mode,schedulers,members,rate_per_s\n".as_bytes().to_vec(),
            ":1:1: the header lacks the column `duration_s`",
        ),
        (
            "short-row.csv",
            format!("{h}\nnaive,1,100\n").into_bytes(),
            ":2:1: has 3 fields, but the header (line 1) names 8 columns",
        ),
        (
            "quoted.csv",
            format!("{h}\n\"naive\",1,100,10,5,10,20,5\n").into_bytes(),
            ":2:1: quotes are not part of the format",
        ),
        (
            "not-utf8.csv",
            b"mode,schedulers\n\xff\xfe\n".to_vec(),
            ":2:1: not UTF-8 text",
        ),
        (
            "no-header.csv",
            b"# only comments\n".to_vec(),
            "no-header.csv: no header line",
        ),
        (
            "remote.csv",
            format!("{h},session_vm\nnaive,1,100,10,5,10,20,5,remote\n").into_bytes(),
            ":2:26: session_vm: calibrate mirrors the testbed's one VM",
        ),
        (
            "empty-fitted.csv",
            format!("{h}\nnaive,1,100,10,5,10,,5\n").into_bytes(),
            ":2:21: latency_us_p99: no value, but this row is fitted on this statistic",
        ),
        (
            "too-large.csv",
            format!("{h}\nnaive,1,100000000,10,5,10,20,5\n").into_bytes(),
            ":2:9: members: must be an integer from 1 to 10000000, got `100000000`",
        ),
    ];
    for (name, text, expected) in cases {
        let (code, stderr, _) = calibrate_text(&dir, name, &text, &[]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{name}: expected `{expected}` in\n{stderr}"
        );
        assert!(
            stderr.contains(name),
            "{name}: the file is named in\n{stderr}"
        );
        assert!(
            !dir.join(format!("out-{name}")).exists(),
            "{name}: nothing is written"
        );
    }
    // A configuration guildsim refuses (here: far too much work) is located at its row.
    let (code, stderr, file) = calibrate_text(
        &dir,
        "too-much.csv",
        format!("{h}\nnaive,1,10000000,1000000,1000000,10,20,5\n").as_bytes(),
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&format!("{file}:2:1: ")), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_and_experiments_are_refused_with_exit_code_2() {
    let dir = scratch_dir("calibrate-arguments");
    let h = "mode,schedulers,members,rate_per_s,duration_s,latency_us_mean,latency_us_p99,fanout_us_mean";
    let text = format!("{h}\nnaive,1,100,10,1,10,20,5\n");
    for (extra, expected) in [
        (
            vec!["--fit", "model.costs.nothing.us"],
            "is not a number of the experiment",
        ),
        (
            vec!["--fit", "model.nodes[0].schedulers"],
            "is set from each measurement's configuration",
        ),
        (
            vec!["--fit", "model.costs.session_receive.us=5..1"],
            "expected MIN..MAX with 0 < MIN < MAX",
        ),
        (
            vec!["--metric", "latency_us_p42"],
            "is not a measured statistic",
        ),
        (vec!["--fit-on", "colour=red"], "cannot be filtered on"),
        (
            vec!["--fit-on", "members>1000"],
            "selects none of the 1 drained rows",
        ),
    ] {
        let (code, stderr, _) = calibrate_text(&dir, "m.csv", text.as_bytes(), &extra);
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{extra:?}: expected `{expected}` in\n{stderr}"
        );
    }
    // An experiment that is not one VM is refused at its `model.nodes`.
    let file = dir.join("m.csv");
    let (code, _, stderr) = guildsim_with_stdout(&[
        "calibrate",
        &arg(&experiment("quickstart.yaml")),
        &arg(&file),
        "--fit",
        "model.costs.send_local.us",
        "--out",
        &arg(&dir.join("out-quickstart")),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("model.nodes: calibrate mirrors the testbed's one Erlang VM"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn calibrate_keeps_the_folder_rules() {
    let dir = scratch_dir("calibrate-folders");
    let h = "mode,schedulers,members,rate_per_s,duration_s,latency_us_mean,latency_us_p99,fanout_us_mean";
    let file = dir.join("m.csv");
    std::fs::write(
        &file,
        format!("{h}\nnaive,1,100,500,0.2,300,900,90\nnaive,1,100,1000,0.2,400,1200,90\n"),
    )
    .unwrap();
    let into = |out: &Path| {
        guildsim_with_stdout(&[
            "calibrate",
            &arg(&experiment("testbed-naive.yaml")),
            &arg(&file),
            "--fit",
            "model.costs.send_local.us",
            "--max-iterations",
            "2",
            "--out",
            &arg(out),
        ])
    };
    // A folder holding a file guildsim did not write is refused, and nothing is deleted.
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();
    let (code, _, stderr) = into(&mine);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("holds files that guildsim did not write")
            && stderr.contains("(notes.txt)"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    // Another experiment's results are refused.
    let other = dir.join("other");
    let (code, _, stderr) = guildsim_with_stdout(&[
        "run",
        &arg(&experiment("validation-mm1.yaml")),
        "--test-scale",
        "--quiet",
        "--out",
        &arg(&other),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let before = read_tree(&other);
    let (code, _, stderr) = into(&other);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("holds the results of experiment `validation-mm1`"),
        "{stderr}"
    );
    assert_eq!(before, read_tree(&other));
    // Its own folder is taken again; a file added to it is kept and named.
    let own = dir.join("own");
    assert_eq!(into(&own).0, 0);
    let manifest = std::fs::read_to_string(own.join("sweep.json")).unwrap();
    assert!(
        manifest.contains("\"experiment\": \"calibrate testbed-naive\""),
        "{manifest}"
    );
    assert_eq!(into(&own).0, 0);
    std::fs::write(own.join("notes.txt"), "mine").unwrap();
    let (code, _, stderr) = into(&own);
    assert_eq!(code, 2);
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert!(own.join("notes.txt").exists());
    std::fs::remove_file(own.join("notes.txt")).unwrap();
    // A calibration's folder is not an experiment's: `run` refuses it.
    let (code, _, stderr) = guildsim_with_stdout(&[
        "run",
        &arg(&experiment("testbed-naive.yaml")),
        "--test-scale",
        "--quiet",
        "--out",
        &arg(&own),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("calibrate testbed-naive"), "{stderr}");
    // One process at a time.
    let lock =
        guildsim::files::lock::lock(&own, guildsim::files::lock::LockMode::Exclusive).unwrap();
    let (code, _, stderr) = into(&own);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("in use by another guildsim process"),
        "{stderr}"
    );
    drop(lock);
    std::fs::remove_dir_all(&dir).unwrap();
}
