//! The time estimate against real runs on this machine (issue 25): every shipped experiment's
//! runs at test scale (a sweep's every run, a search excepted), estimated as the binary does
//! (the reference costs scaled by this machine's speed on the fixed probe), within a stated
//! factor of the wall time they take one after another.

use super::support::{experiment, root};
use guildsim::config::{self, LoadOptions};
use guildsim::estimate::{estimate, speed};
use std::time::Instant;

/// The experiments' runs together within this factor either way (the issue aimed at 2), and
/// each experiment within [`EACH`]: test-scale runs last milliseconds, and other tests share
/// the machine.
const FACTOR: f64 = 2.0;
const EACH: f64 = 4.0;

/// Experiments whose counts the estimator overstates (so their estimate is long, never short;
/// issue 25 measured them): ring lookups (5 million deliveries estimated, 6,000 made), the
/// member list (guilds that fall behind under a slow list make fewer), ZenMonitor (3.4 million
/// queued events estimated, 0.3 million made) and the relays sweep's relays point (200 million
/// deliveries estimated, 20 million made: passive sessions, 10 % active).
const OVERSTATED: [&str; 4] = [
    "discord-2017-ring-lookups.yaml",
    "discord-2019-member-list.yaml",
    "discord-2019-zenmonitor.yaml",
    "discord-2023-relays.yaml",
];

/// Seconds of wall time of `f`.
fn timed(f: impl FnOnce()) -> f64 {
    let started = Instant::now();
    f();
    started.elapsed().as_secs_f64()
}

/// This machine's factor, as the binary measures it: the fastest of five probes after one to warm up.
fn machine_speed() -> f64 {
    let probe = speed::probe();
    let fastest = (0..6)
        .map(|_| timed(|| drop(guildsim::runner::simulate(&probe, |_| {}))))
        .skip(1) // the first warms the allocator and the caches
        .fold(f64::INFINITY, f64::min);
    speed::speed_of(fastest)
}

/// Estimated (at the reference costs) and actual seconds of every run of `name`, one after
/// another, and the number of runs.
fn estimated_and_actual(name: &str, test_scale: bool) -> (f64, f64, usize) {
    let options = LoadOptions {
        sets: Vec::new(),
        test_scale,
    };
    let assembled = config::assemble(&experiment(name), &options).unwrap();
    let runs: Vec<_> = match guildsim::sweep::plan(&assembled).unwrap() {
        Some(plan) => plan.runs.iter().map(|r| r.load().unwrap()).collect(),
        None => vec![config::finish(assembled).unwrap()],
    };
    let mut estimated = 0.0;
    let mut actual = 0.0;
    for loaded in &runs {
        estimated += estimate(&loaded.experiment).seconds;
        actual += timed(|| drop(guildsim::runner::simulate(loaded, |_| {}).unwrap()));
    }
    (estimated, actual, runs.len())
}

#[test]
fn estimates_hold_on_this_machine() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("experiments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !n.starts_with("capacity"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut table = String::new();
    let (mut all_estimated, mut all_actual) = (0.0, 0.0);
    for name in &names {
        // The probe just before the runs: other tests share the machine, and its load changes.
        let speed = machine_speed();
        let (reference, actual, runs) = estimated_and_actual(name, true);
        let estimated = reference * speed;
        let ratio = actual / estimated;
        table.push_str(&format!(
            "{name}: {runs} runs, speed {speed:.2}, estimated {estimated:.3} s, took \
             {actual:.3} s ({ratio:.2})\n"
        ));
        if OVERSTATED.contains(&name.as_str()) {
            if ratio > EACH {
                failures.push(name.clone());
            }
            continue;
        }
        all_estimated += estimated;
        all_actual += actual;
        if !(1.0 / EACH..=EACH).contains(&ratio) {
            failures.push(name.clone());
        }
    }
    let ratio = all_actual / all_estimated;
    eprintln!("{table}all but the overstated: {ratio:.2}");
    assert!(
        failures.is_empty(),
        "off by more than {EACH}x: {failures:?}\n{table}"
    );
    assert!(
        (1.0 / FACTOR..=FACTOR).contains(&ratio),
        "together off by more than {FACTOR}x: {ratio:.2}\n{table}"
    );
}
