//! Workloads that change over time: publishing phases and their shapes (constant, ramp,
//! daily), guild selectors, bursts at an instant and rate multipliers over a window, shaped
//! presence changes and login storms. Counts per window are compared with the integral of
//! the rate, within 5 standard deviations of a Poisson count (sd = sqrt(expected)).

use super::support::{load, run, scratch_dir};
use guildsim::runner::RunResult;

/// A cluster where a publish is handled and delivered at the instant it arrives (no costs,
/// no latency), so deliveries fall in the bin of their publish.
const MODEL: &str = "
model:
  nodes:
    - {name: guild, count: 1, hosts: [guilds], schedulers: 64}
    - {name: session, count: 1, hosts: [sessions], schedulers: 64}
  network: {latency_us: 0}
  costs:
    send_local: {dist: constant, us: 0}
    send_remote: {dist: constant, us: 0}
  fanout: {strategy: naive}
";

/// Runs an experiment made of `MODEL` and `rest`.
fn run_yaml(name: &str, rest: &str) -> RunResult {
    let dir = scratch_dir(name);
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("{MODEL}{rest}")).unwrap();
    let result = run(&load(&path, &[], false));
    std::fs::remove_dir_all(&dir).unwrap();
    result
}

/// Publishes in bins `from..to` of the run.
fn publishes(r: &RunResult, bins: std::ops::Range<usize>) -> f64 {
    r.world.rec.bin_publishes[bins].iter().sum::<u64>() as f64
}

/// Deliveries in bins `from..to` of the run.
fn deliveries(r: &RunResult, bins: std::ops::Range<usize>) -> f64 {
    r.world.rec.bin_deliveries[bins].iter().sum::<u64>() as f64
}

/// `count` is a Poisson count of mean `expected`, within 5 standard deviations.
fn poisson(what: &str, count: f64, expected: f64) {
    let sd = expected.sqrt();
    assert!(
        (count - expected).abs() <= 5.0 * sd,
        "{what}: {count}, expected {expected} +- {:.0} (5 sd)",
        5.0 * sd
    );
}

/// Simpson's rule, for integrals of shapes computed apart from guildsim's closed forms.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let n = 10_000;
    let h = (b - a) / n as f64;
    let inner: f64 = (1..n)
        .map(|i| f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    (f(a) + f(b) + inner) * h / 3.0
}

#[test]
fn phases_publish_the_integral_of_their_shaped_rates() {
    let r = run_yaml(
        "phases-constant-ramp",
        "
seed: 3
run: {horizon_s: 30}
workload:
  guilds: {sizes: {fixed: {count: 10, members: 1}}}
  users: {guilds_per_user_mean: 1}
  publishes:
    rate: {per_guild_per_s: 0}
    phases:
      - {from_s: 0, to_s: 10, rate: {per_guild_per_s: 100}}
      - {from_s: 10, to_s: 20, rate: {per_guild_per_s: 100}, shape: {ramp: {from: 1, to: 3}}}
      - {from_s: 15, to_s: 30, rate: {per_member_per_s: 40}}
output: {sample_interval_ms: 1000, plots: []}
",
    );
    // 10 guilds x 100/s x 10 s.
    poisson("constant phase", publishes(&r, 0..10), 10_000.0);
    // The ramp: 1000 x (1 + 0.2 t) per second over 0..5 s and 5..10 s of the phase.
    poisson("ramp, first half", publishes(&r, 10..15), 7_500.0);
    // Second half of the ramp, plus the overlapping per-member phase (10 x 40/s x 5 s).
    poisson(
        "ramp, second half",
        publishes(&r, 15..20),
        12_500.0 + 2_000.0,
    );
    poisson("per-member phase alone", publishes(&r, 20..30), 4_000.0);
    // Phases never publish outside their windows: totals add up.
    assert_eq!(r.summary.publishes_total as f64, publishes(&r, 0..30));
}

#[test]
fn a_daily_phase_follows_its_cosine() {
    let (peak_hour, ratio, hour_at_zero) = (20.0, 4.0, 6.0);
    let r = run_yaml(
        "phases-daily",
        &format!(
            "
seed: 4
run: {{horizon_s: 86400}}
workload:
  guilds: {{sizes: {{fixed: {{count: 5, members: 1}}}}}}
  users: {{guilds_per_user_mean: 1}}
  publishes:
    rate: {{per_guild_per_s: 0}}
    phases:
      - from_s: 0
        to_s: 86400
        rate: {{per_guild_per_s: 0.2}}
        shape: {{daily: {{peak_hour: {peak_hour}, peak_to_trough: {ratio}, hour_at_zero: {hour_at_zero}}}}}
output: {{sample_interval_ms: 3600000, plots: []}}
"
        ),
    );
    // The rate as a user would write it: mean 1 over a day, peak/trough = ratio at peak_hour.
    let a = (ratio - 1.0) / (ratio + 1.0);
    let factor = |t_s: f64| {
        let hour = hour_at_zero + t_s / 3600.0;
        1.0 + a * (std::f64::consts::TAU * (hour - peak_hour) / 24.0).cos()
    };
    let per_s = 5.0 * 0.2;
    for quarter in 0..4 {
        let (from, to) = (quarter * 6, quarter * 6 + 6);
        let expected = per_s * integrate(factor, from as f64 * 3600.0, to as f64 * 3600.0);
        poisson(
            &format!("daily, hours {from}-{to}"),
            publishes(&r, from..to),
            expected,
        );
    }
    // The busiest hour is the peak hour (14 hours after 06:00), the quietest 12 hours off.
    let by_hour: Vec<u64> = r.world.rec.bin_publishes[..24].to_vec();
    let busiest = (0..24).max_by_key(|&h| by_hour[h]).unwrap();
    let quietest = (0..24).min_by_key(|&h| by_hour[h]).unwrap();
    assert!((13..=14).contains(&busiest), "{by_hour:?}");
    assert!((1..=2).contains(&quietest), "{by_hour:?}");
}

#[test]
fn selectors_choose_guilds_by_size_rank_and_index() {
    // Guild i has a distinct size, so its deliveries per publish name it.
    let r = run_yaml(
        "phases-selectors",
        "
seed: 5
run: {horizon_s: 4}
workload:
  guilds: {sizes: {list: [1, 40, 3, 20, 7]}}
  users: {guilds_per_user_mean: 1}
  publishes:
    rate: {per_guild_per_s: 0}
    phases:
      - {from_s: 0, to_s: 1, rate: {per_guild_per_s: 50}, guilds: {largest: 2}}
      - {from_s: 1, to_s: 2, rate: {per_guild_per_s: 50}, guilds: {sizes: {min: 3, max: 7}}}
      - {from_s: 2, to_s: 3, rate: {per_guild_per_s: 50}, guilds: {list: [0]}}
  bursts:
    - {guilds: {sizes: {min: 2, max: 25}}, at_s: 3.5, count: 10}
output: {sample_interval_ms: 1000, plots: []}
",
    );
    let ratio = |bin: usize| deliveries(&r, bin..bin + 1) / publishes(&r, bin..bin + 1);
    // Largest two: guilds of 40 and 20 only, about as often each.
    let mean = ratio(0);
    assert!((25.0..35.0).contains(&mean), "largest 2: {mean}");
    // Sizes 3 to 7: guilds of 3 and 7 only.
    let mean = ratio(1);
    assert!((4.0..6.0).contains(&mean), "sizes 3-7: {mean}");
    // Guild 0 only: one member.
    assert_eq!(ratio(2), 1.0);
    // The burst: 10 publishes to each of the guilds of 3, 7 and 20 members.
    assert_eq!(publishes(&r, 3..4), 30.0);
    assert_eq!(deliveries(&r, 3..4), 10.0 * (3.0 + 7.0 + 20.0));
    assert_eq!(r.summary.publishes_total, publishes(&r, 0..4) as u64);
}

#[test]
fn rate_multipliers_scale_the_chosen_guilds_over_their_windows() {
    // Guild 0 has 2 members and the others 1: deliveries minus publishes counts guild 0's.
    let r = run_yaml(
        "phases-multipliers",
        "
seed: 6
run: {horizon_s: 10}
workload:
  guilds: {sizes: {list: [2, 1, 1, 1, 1, 1, 1, 1, 1, 1]}}
  users: {guilds_per_user_mean: 1}
  publishes:
    rate: {per_guild_per_s: 100}
  bursts:
    - {guild: 0, from_s: 5, to_s: 10, multiplier: 10}
    - {guilds: all, from_s: 7, to_s: 10, multiplier: 0.5}
output: {sample_interval_ms: 1000, plots: []}
",
    );
    let guild0 = |bins: std::ops::Range<usize>| deliveries(&r, bins.clone()) - publishes(&r, bins);
    let others = |bins: std::ops::Range<usize>| publishes(&r, bins.clone()) - guild0(bins);
    poisson("guild 0 before", guild0(0..5), 500.0);
    poisson("others before", others(0..5), 4_500.0);
    poisson("guild 0 x10", guild0(5..7), 2_000.0);
    poisson("guild 0 x10 x0.5", guild0(7..10), 1_500.0);
    poisson("others x1", others(5..7), 1_800.0);
    poisson("others x0.5", others(7..10), 1_350.0);
    // Thinned candidates are events of their own.
    assert!(r.summary.events_total > r.summary.publishes_total * 2);
}

#[test]
fn presence_changes_and_logins_follow_their_shapes() {
    let r = run_yaml(
        "phases-presence-login",
        "
seed: 7
run: {horizon_s: 20}
workload:
  guilds: {sizes: {fixed: {count: 2000, members: 1}}}
  users: {guilds_per_user_mean: 1}
  publishes:
    rate: {per_guild_per_s: 0}
    phases:
      - {from_s: 10, to_s: 20, presence_changes_per_session_per_s: 0.5, shape: {ramp: {from: 0, to: 2}}}
  storms:
    - {login: {users: 2000, start_s: 0, window_s: 8, shape: {ramp: {from: 0, to: 1}}}}
output: {sample_interval_ms: 1000, plots: []}
",
    );
    // Login arrivals have density proportional to t on [0, 8]: a fraction (t/8)^2 by time t.
    let online = r.world.rec.sessions_online.series();
    for t in [1usize, 3, 5] {
        // Bin t holds its largest value: the sessions online by the end of second t + 1.
        let fraction = ((t as f64 + 1.0) / 8.0).powi(2);
        let expected = 2000.0 * fraction;
        let got = online[t] as f64;
        let sd = (2000.0 * fraction * (1.0 - fraction)).sqrt();
        assert!(
            (got - expected).abs() < 5.0 * sd + 20.0,
            "t={t}: {got} vs {expected}"
        );
    }
    // Presence changes: 2000 sessions x 0.5/s x the ramp's mean (1) x 10 s, once all are online.
    poisson(
        "presence changes",
        r.summary.presence_changes as f64,
        10_000.0,
    );
}

#[test]
fn bad_phases_and_bursts_are_refused_where_they_are_written() {
    use super::support::{assert_located, guildsim};
    let dir = scratch_dir("phases-bad");
    let path = dir.join("bad.yaml");
    let check = |workload: &str| {
        let text = format!(
            "{MODEL}seed: 1\nrun: {{horizon_s: 10}}\nworkload:\n  guilds: {{sizes: {{fixed: {{count: 3, members: 2}}}}}}\n  users: {{guilds_per_user_mean: 1}}\n{workload}"
        );
        std::fs::write(&path, text).unwrap();
        guildsim(&["check", path.to_str().unwrap()])
    };
    let out = check(
        "  publishes:\n    rate: {per_guild_per_s: 1}\n    phases:\n      - {from_s: 5, to_s: 2, rate: {per_guild_per_s: 1}}\n",
    );
    assert_located(
        &out,
        "bad.yaml",
        "19:27",
        "workload.publishes.phases[0].to_s",
        "from 5 to",
    );
    let out = check(
        "  publishes:\n    rate: {per_guild_per_s: 1}\n    phases:\n      - {from_s: 0, to_s: 2, shape: {daily: {peak_hour: 3, peak_to_trough: 0.5}}}\n",
    );
    assert_located(
        &out,
        "bad.yaml",
        "19:76",
        "workload.publishes.phases[0].shape.daily.peak_to_trough",
        "from 1 to",
    );
    let out = check(
        "  publishes:\n    rate: {per_guild_per_s: 1}\n  bursts:\n    - {guilds: {list: [0, 3]}, at_s: 1, count: 2}\n",
    );
    assert_located(
        &out,
        "bad.yaml",
        "19:27",
        "workload.bursts[0].guilds.list[1]",
        "below 3",
    );
    let out = check(
        "  publishes:\n    rate: {per_guild_per_s: 1}\n  bursts:\n    - {guild: 0, guilds: all, at_s: 1, count: 2}\n",
    );
    assert_located(
        &out,
        "bad.yaml",
        "19:7",
        "workload.bursts[0]",
        "exactly one of `guild`",
    );
    let out = check(
        "  publishes:\n    rate: {per_guild_per_s: 1}\n  bursts:\n    - {guild: 0, at_s: 1, multiplier: 2}\n",
    );
    assert_located(
        &out,
        "bad.yaml",
        "19:7",
        "workload.bursts[0]",
        "either `at_s` and `count`",
    );
    let out = check(
        "  publishes:\n    rate: {per_guild_per_s: 1}\n  bursts:\n    - {guild: 0, from_s: 1, to_s: 2, multiplier: 5000}\n",
    );
    assert_located(
        &out,
        "bad.yaml",
        "19:50",
        "workload.bursts[0].multiplier",
        "from 0 to 1000",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
