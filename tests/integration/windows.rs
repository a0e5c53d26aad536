//! Answers per time: per-bin latency percentiles in `timeseries.csv` against a direct
//! computation, named windows (`output.windows`) against runs truncated to them, and metrics
//! without observations written as null (JSON) or empty (CSV), never 0.

use super::support::{experiment, load, run, scratch_dir};
use guildsim::config::{self, LoadOptions};
use guildsim::report;
use guildsim::sweep::{self, Shard, Silent, exec};
use std::collections::BTreeMap;

/// One guild of one member, constant costs: publish k of a burst at t is delivered at
/// t + k x SEND + LATENCY (the guild sends them one after another).
const SEND_US: u64 = 37;
const LATENCY_US: u64 = 100;

fn burst_yaml(bursts: &[(f64, u32)]) -> String {
    let bursts: String = bursts
        .iter()
        .map(|(at, count)| format!("    - {{guild: 0, at_s: {at}, count: {count}}}\n"))
        .collect();
    format!(
        "
model:
  nodes:
    - {{name: guild, count: 1, hosts: [guilds], schedulers: 1}}
    - {{name: session, count: 1, hosts: [sessions], schedulers: 1}}
  network: {{latency_us: {LATENCY_US}}}
  costs:
    send_local: {{dist: constant, us: {SEND_US}}}
    send_remote: {{dist: constant, us: {SEND_US}}}
  fanout: {{strategy: naive}}
seed: 1
run: {{horizon_s: 5}}
workload:
  guilds: {{sizes: {{list: [1]}}}}
  users: {{guilds_per_user_mean: 1}}
  publishes: {{rate: {{per_guild_per_s: 0}}}}
  bursts:
{bursts}output: {{sample_interval_ms: 100, plots: []}}
"
    )
}

/// `timeseries.csv` as (time_s, metric) -> value text, cluster rows only.
fn series(csv_bytes: &[u8]) -> BTreeMap<(String, String), String> {
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let mut out = BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        if &r[1] == "cluster" {
            out.insert((r[0].to_string(), r[2].to_string()), r[3].to_string());
        }
    }
    out
}

#[test]
fn per_bin_percentiles_match_the_order_statistics_of_each_bin() {
    let bursts = [(1.0, 2000), (2.05, 5000), (3.5, 100), (3.52, 1)];
    let dir = scratch_dir("bin-percentiles");
    let path = dir.join("bins.yaml");
    std::fs::write(&path, burst_yaml(&bursts)).unwrap();
    let result = run(&load(&path, &[], false));
    let rows = series(&report::timeseries_csv(&result).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();

    // Every delivery's arrival and latency, computed directly (ns).
    let mut by_bin: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (at, count) in bursts {
        let at = (at * 1e9_f64).round() as u64;
        // A burst queues behind what is left of the previous one: none here overlap.
        for k in 1..=count as u64 {
            let latency = k * SEND_US * 1000 + LATENCY_US * 1000;
            by_bin
                .entry((at + latency) / 100_000_000)
                .or_default()
                .push(latency);
        }
    }
    assert!(by_bin.len() >= 5, "bursts spread over several bins");
    for (bin, mut latencies) in by_bin {
        latencies.sort_unstable();
        let time = (bin as f64 / 10.0).to_string();
        let got = |metric: &str| -> f64 {
            rows[&(time.clone(), metric.to_string())]
                .parse()
                .unwrap_or_else(|_| panic!("{metric} at {time}"))
        };
        assert_eq!(got("deliveries"), latencies.len() as f64, "bin {time}");
        let max = *latencies.last().unwrap() as f64 / 1e6;
        assert_eq!(got("latency_ms_max"), max);
        for (q, metric) in [(0.5, "latency_ms_p50"), (0.99, "latency_ms_p99")] {
            let rank = ((q * latencies.len() as f64).ceil() as usize).max(1);
            let exact = latencies[rank - 1] as f64 / 1e6;
            let reported = got(metric);
            // The top of the exact value's bucket: at most 2^-7 above it, never below.
            assert!(
                reported >= exact && reported <= exact * (1.0 + 1.0 / 128.0),
                "{metric} of bin {time}: {reported} ms, exact {exact} ms"
            );
        }
    }
    // A bin without deliveries has empty latency statistics, not 0.
    for metric in [
        "latency_ms_mean",
        "latency_ms_p50",
        "latency_ms_p99",
        "latency_ms_max",
    ] {
        assert_eq!(
            rows[&("0.5".to_string(), metric.to_string())],
            "",
            "{metric}"
        );
    }
    assert_eq!(rows[&("0.5".to_string(), "deliveries".to_string())], "0");
}

#[test]
fn metrics_without_observations_are_null() {
    // Quickstart has no presence traffic: its presence latency has no observations.
    let result = run(&load(&experiment("quickstart.yaml"), &[], true));
    let json: serde_json::Value =
        serde_json::from_slice(&report::summary_json(&result).unwrap()).unwrap();
    let presence = &json["presence_latency_ms"];
    assert_eq!(presence["count"], 0);
    for stat in ["mean", "min", "p50", "p90", "p99", "p999", "max"] {
        assert!(presence[stat].is_null(), "{stat}: {presence}");
    }
    assert!(json["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    // No publish completes before publishing starts: no sends per publish either.
    let idle = run(&load(
        &experiment("quickstart.yaml"),
        &["workload.publishes.end_s=0", "workload.bursts=[]"],
        true,
    ));
    let json: serde_json::Value =
        serde_json::from_slice(&report::summary_json(&idle).unwrap()).unwrap();
    assert!(json["guild_sends_per_publish"].is_null(), "{json}");
    assert!(json["latency_ms"]["p99"].is_null());
}

/// The traffic-burst experiment at test scale, with windows, truncated to `horizon`.
fn traffic(sets: &[&str]) -> guildsim::runner::RunResult {
    let mut all = vec![
        "output.windows=[{name: first, from_s: 0, to_s: 35}, {name: middle, from_s: 20, to_s: 45}, \
         {name: all, from_s: 0, to_s: 90}]",
        // The shipped expectations name the shipped windows.
        "expect={}",
    ];
    all.extend_from_slice(sets);
    run(&load(&experiment("traffic-burst.yaml"), &all, true))
}

#[test]
fn a_window_from_zero_equals_the_run_truncated_to_it() {
    let whole = traffic(&[]);
    let first = &whole.summary.windows["first"];
    // The run stopped at the window's end keeps only the windows that start before it.
    let truncated = traffic(&[
        "run.horizon_s=35",
        "output.windows=[{name: first, from_s: 0, to_s: 35}, {name: middle, from_s: 20, to_s: 45}]",
    ])
    .summary;
    let json = |v: &dyn erased::Json| v.json();
    // Everything recorded by the time it happened is the same: deliveries by their arrival,
    // publishes by theirs, fan-outs by their completion.
    assert!(
        first.deliveries_total > 100_000,
        "{}",
        first.deliveries_total
    );
    assert_eq!(first.deliveries_total, truncated.deliveries_total);
    assert_eq!(
        first.presence_deliveries_total,
        truncated.presence_deliveries_total
    );
    assert_eq!(first.publishes_total, truncated.publishes_total);
    assert_eq!(first.publishes_completed, truncated.publishes_completed);
    assert_eq!(json(&first.latency_ms), json(&truncated.latency_ms));
    assert_eq!(
        json(&first.fanout_duration_ms),
        json(&truncated.fanout_duration_ms)
    );
    assert_eq!(
        json(&first.guild_sojourn_ms),
        json(&truncated.guild_sojourn_ms)
    );
    assert_eq!(
        first.guild_mailbox_depth_max,
        truncated.guild_mailbox_depth_max
    );
    assert_eq!(
        first.node_busy_fraction_max,
        Some(truncated.node_busy_fraction_max)
    );
    // A window in the middle holds what two truncated runs differ by.
    let middle = &whole.summary.windows["middle"];
    let until_20 = traffic(&[
        "run.horizon_s=20",
        "output.windows=[{name: first, from_s: 0, to_s: 20}]",
    ])
    .summary;
    let until_45 = traffic(&["run.horizon_s=45"]).summary;
    assert_eq!(
        middle.deliveries_total,
        until_45.deliveries_total - until_20.deliveries_total
    );
    assert_eq!(
        middle.publishes_total,
        until_45.publishes_total - until_20.publishes_total
    );
    assert_eq!(
        middle.latency_ms.count,
        until_45.latency_ms.count - until_20.latency_ms.count
    );
    // A window over the whole run is the run.
    let all = &whole.summary.windows["all"];
    assert_eq!(json(&all.latency_ms), json(&whole.summary.latency_ms));
    assert_eq!(
        json(&all.guild_sojourn_ms),
        json(&whole.summary.guild_sojourn_ms)
    );
    assert_eq!(all.deliveries_total, whole.summary.deliveries_total);
}

/// Statistics compared as their JSON (null for no observations).
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl Json for guildsim::metrics::DurationStats {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap()
        }
    }
}

#[test]
fn windows_are_sweep_metrics() {
    let options = LoadOptions {
        sets: vec![
            "output.windows=[{name: burst, from_s: 40, to_s: 50}]".into(),
            "expect={}".into(),
            "sweep={replications: 2, grid: [{field: 'workload.bursts[0].multiplier', values: [1, 10]}], \
             plots: [{file: burst_p99, metric: windows.burst.latency_ms.p99, \
             x: 'workload.bursts[0].multiplier'}]}"
                .into(),
        ],
        test_scale: true,
    };
    let assembled = config::assemble(&experiment("traffic-burst.yaml"), &options)
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = sweep::plan(&assembled)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap();
    let out = scratch_dir("window-sweep");
    let todo = exec::todo(&plan, &out, Shard::WHOLE);
    exec::run_all(&todo.run, &out, 2, &Silent).unwrap();
    exec::finish(&plan, &out, Shard::WHOLE).unwrap();
    assert!(out.join("burst_p99.svg").is_file());
    let table = std::fs::read_to_string(out.join("aggregate.csv")).unwrap();
    let p99 = |multiplier: &str| -> f64 {
        let line = table
            .lines()
            .find(|l| l.contains(&format!(",{multiplier},windows.burst.latency_ms.p99,")))
            .unwrap_or_else(|| panic!("no row for {multiplier} in {table}"));
        line.split(',').nth(4).unwrap().parse().unwrap()
    };
    // The 10x burst makes the burst window's p99 far worse than without it.
    assert!(p99("10") > 5.0 * p99("1"), "{} vs {}", p99("10"), p99("1"));
    // A window's edges are configuration, not metrics.
    assert!(!table.contains("windows.burst.from_s"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn bad_windows_are_refused_where_they_are_written() {
    use super::support::guildsim;
    let path = experiment("traffic-burst.yaml");
    let check = |windows: &str| {
        guildsim(&[
            "check",
            path.to_str().unwrap(),
            "--set",
            &format!("output.windows={windows}"),
        ])
    };
    let (code, err) = check("[{name: a, from_s: 0.25, to_s: 1.2}]");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "output.windows[0].to_s: must be a multiple of output.sample_interval_ms (500 ms)"
        ),
        "{err}"
    );
    let (code, err) = check("[{name: a, from_s: 0, to_s: 1}, {name: a, from_s: 1, to_s: 2}]");
    assert_eq!(code, 2);
    assert!(
        err.contains("output.windows[1].name: `a` names two windows"),
        "{err}"
    );
    let (code, err) = check("[{name: 'a b', from_s: 2, to_s: 1}]");
    assert_eq!(code, 2);
    assert!(
        err.contains("output.windows[0].name: must be 1 to 64 letters"),
        "{err}"
    );
    assert!(
        err.contains("output.windows[0].to_s: must be a number from 2 to"),
        "{err}"
    );
}
