//! Published figures and queueing theory, each derived from a run: M/M/1 against its closed
//! form, V1's fan-out times (exact for constant costs, spread when drawn per fan-out), and the
//! reference figures of `guildsim bench`.

use super::support::{experiment, load, run};

fn relative_error(measured: f64, expected: f64) -> f64 {
    (measured - expected).abs() / expected
}

/// M/M/1: one member, Poisson publishes (lambda), exponential send cost (mu = 1000/s).
fn check_mm1(lambda: f64) {
    let mu = 1000.0;
    let rate = format!("workload.publishes.rate.per_guild_per_s={lambda}");
    let end = format!("workload.publishes.end_s={}", 2_000_000.0 / lambda);
    let horizon = format!("run.horizon_s={}", 2_000_000.0 / lambda + 100.0);
    let result = run(&load(
        &experiment("validation-mm1.yaml"),
        &[&rate, &end, &horizon],
        false,
    ));
    let s = &result.summary;
    assert!(
        s.publishes_completed > 1_900_000,
        "too few publishes: {}",
        s.publishes_completed
    );

    // Mean time in system (ms) against 1/(mu - lambda).
    let expected_ms = 1000.0 / (mu - lambda);
    let w = s.guild_sojourn_ms.mean;
    assert!(
        relative_error(w, expected_ms) < 0.02,
        "lambda {lambda}: W = {w} ms, expected {expected_ms} ms"
    );

    // Mean number in system against rho / (1 - rho).
    let rho = lambda / mu;
    let l = s.guild_queue_length_mean;
    assert!(
        relative_error(l, rho / (1.0 - rho)) < 0.02,
        "lambda {lambda}: L = {l}, expected {}",
        rho / (1.0 - rho)
    );

    // Little's law with the measured throughput: L = lambda_eff * W.
    let lambda_eff = s.publishes_completed as f64 / s.stop.end_time_s;
    let little = lambda_eff * w / 1000.0;
    assert!(
        relative_error(l, little) < 0.001,
        "lambda {lambda}: L = {l}, lambda * W = {little}"
    );
}

#[test]
fn mm1_at_utilisation_one_half() {
    check_mm1(500.0);
}

#[test]
fn mm1_at_utilisation_four_fifths() {
    check_mm1(800.0);
}

/// V1: 30,000 remote sends at a constant 30 µs / 70 µs occupy the guild exactly 0.9 s / 2.1 s.
#[test]
fn v1_constant_send_costs_give_exactly_0_9_and_2_1_seconds() {
    for (us, expected_ms) in [(30, 900.0), (70, 2100.0)] {
        let cost = format!("model.costs.send_remote={{dist: constant, us: {us}}}");
        let result = run(&load(
            &experiment("discord-2017-naive-fanout.yaml"),
            &[&cost],
            true,
        ));
        let f = &result.summary.fanout_duration_ms;
        assert!(f.count >= 1);
        assert_eq!(f.min, expected_ms, "{us} µs: shortest fan-out");
        assert_eq!(f.max, expected_ms, "{us} µs: longest fan-out");
        let publishes = result.summary.publishes_completed;
        assert_eq!(result.summary.guild_sends, 30_000 * publishes);
        assert_eq!(result.summary.inter_node_messages, 30_000 * publishes);
    }
}

/// V1 with 30-70 µs uniform costs drawn per send: fan-outs between 0.9 and 2.1 s, mean near
/// 1.5 s (the experiment draws them per fan-out: see `v1_fanouts_spread_from_0_9_to_2_1_s`).
#[test]
fn v1_uniform_send_costs_give_about_one_and_a_half_seconds() {
    let result = run(&load(
        &experiment("discord-2017-naive-fanout.yaml"),
        &["model.costs.send_draw=per_send"],
        false,
    ));
    let f = &result.summary.fanout_duration_ms;
    assert!(f.count >= 10, "{f:?}");
    assert!(f.min >= 900.0 && f.max <= 2100.0, "{f:?}");
    assert!(relative_error(f.mean, 1500.0) < 0.01, "{f:?}");
}

/// The reference fan-out benchmark reproduces the figures any correct simulator gets.
#[test]
fn bench_fanout_matches_the_reference_figures() {
    let result = run(&load(&experiment("bench-fanout.yaml"), &[], false));
    let s = &result.summary;
    assert!(
        relative_error(s.deliveries_total as f64, 10_000_000.0) < 0.05,
        "{}",
        s.deliveries_total
    );
    assert!(
        relative_error(s.latency_ms.mean, 45.0) < 0.05,
        "mean {}",
        s.latency_ms.mean
    );
    assert!(
        relative_error(s.latency_ms.p50, 37.0) < 0.05,
        "p50 {}",
        s.latency_ms.p50
    );
    assert!(
        relative_error(s.latency_ms.p99, 170.0) < 0.08,
        "p99 {}",
        s.latency_ms.p99
    );
}

/// V1's spread: with the send cost drawn once per fan-out, a publish to 30,000 remote members
/// at 30-70 µs per send occupies the guild between 0.9 and 2.1 s, and the publishes of a run
/// cover most of that range; drawn per send, every fan-out takes about 1.5 s.
#[test]
fn v1_fanouts_spread_from_0_9_to_2_1_s() {
    let spread = |sets: &[&str]| {
        let s = run(&load(
            &experiment("discord-2017-naive-fanout.yaml"),
            sets,
            false,
        ))
        .summary;
        assert!(s.publishes_completed >= 20, "{}", s.publishes_completed);
        (s.fanout_duration_ms.min, s.fanout_duration_ms.max)
    };
    let (min, max) = spread(&[]);
    assert!(min >= 900.0 && max <= 2100.0, "{min} - {max} ms");
    assert!(max - min > 800.0, "{min} - {max} ms");
    let (min, max) = spread(&["model.costs.send_draw=per_send"]);
    assert!(
        max - min < 20.0 && min > 1450.0 && max < 1550.0,
        "{min} - {max} ms"
    );
    // Drawn per 100 ms interval, a fan-out averages about 15 draws: a narrower spread.
    let (min, max) = spread(&["model.costs.send_draw={per_interval_ms: 100}"]);
    assert!(max - min > 50.0 && max - min < 600.0, "{min} - {max} ms");
}
