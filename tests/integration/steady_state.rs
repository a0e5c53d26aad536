//! Steady state found, not assumed (issue 21): MSER-5 finds a known warm-up, and batch means
//! give intervals that cover the closed form as often as they claim, on the M/M/1 queue of
//! `experiments/validation-mm1.yaml` (mu = 1,000/s; at lambda = 800/s the mean time in the
//! system is 1 / (mu - lambda) = 5 ms).

use super::support::{experiment, load, run};

/// The M/M/1 run at lambda = 800/s for `horizon_s`, with bins of `bin_ms` and `extra` sets.
fn mm1(seed: u64, horizon_s: u32, bin_ms: u32, extra: &[&str]) -> guildsim::runner::RunResult {
    let (h, b, s) = (
        format!("run.horizon_s={horizon_s}"),
        format!("output.sample_interval_ms={bin_ms}"),
        format!("seed={seed}"),
    );
    let end = format!("workload.publishes.end_s={horizon_s}");
    let mut sets = vec![h.as_str(), end.as_str(), b.as_str(), s.as_str()];
    sets.extend(extra);
    run(&load(&experiment("validation-mm1.yaml"), &sets, false))
}

#[test]
fn mser_finds_a_known_warm_up_and_the_steady_mean_is_the_closed_forms() {
    // 1,000 publishes waiting at time 0 drain in about 1,000 / (mu - lambda) = 5 s: the first
    // seconds' latencies are far above the steady 5 ms, and the whole run's mean with them.
    for seed in 1..=4 {
        let s = mm1(
            seed,
            100,
            100,
            &["workload.bursts=[{guild: 0, at_s: 0, count: 1000}]"],
        )
        .summary;
        let warmup = s.steady.warmup_s.expect("a warm-up is judged");
        assert!(
            (4.0..=20.0).contains(&warmup),
            "seed {seed}: warm-up {warmup} s"
        );
        let l = &s.steady.latency_ms;
        let (lo, hi) = (l.mean_low.unwrap(), l.mean_high.unwrap());
        assert!(lo <= 5.0 && 5.0 <= hi, "seed {seed}: {lo} to {hi} ms");
        assert!(
            s.latency_ms.mean > 20.0,
            "the whole run's mean includes the warm-up"
        );
    }
}

#[test]
fn batch_means_intervals_cover_the_closed_form_mean_in_90_of_100_seeds() {
    // 100 s of 500 ms bins: 20 batches of about 5 s, far longer than the queue's correlation
    // time at utilisation 0.8 (about 0.1 s).
    let mut covered = 0;
    for seed in 1..=100 {
        let s = mm1(seed, 100, 500, &[]).summary;
        let l = &s.steady.latency_ms;
        if l.mean_low.unwrap() <= 5.0 && 5.0 <= l.mean_high.unwrap() {
            covered += 1;
        }
    }
    eprintln!("batch-means intervals covered the closed form in {covered} of 100 seeds");
    assert!(covered >= 90, "covered in {covered} of 100 seeds");
}

#[test]
fn a_run_that_does_not_keep_up_has_no_steady_state() {
    // lambda = 1,200/s > mu.
    let s = mm1(
        1,
        60,
        500,
        &["workload.publishes.rate.per_guild_per_s=1200"],
    )
    .summary;
    assert_eq!(s.keeps_up.all, Some(false), "{}", s.keeps_up.why());
    assert_eq!(s.steady.warmup_s, None);
    assert_eq!(s.steady.latency_ms.mean, None);
}

#[test]
fn an_mm1_queue_at_0_95_started_empty_reaches_the_closed_form_mean_within_its_interval() {
    // lambda = 950/s: mean time in the system 1 / (1000 - 950) = 20 ms; the queue relaxes in
    // about 1 / (mu (1 - sqrt(rho))^2) = 1.6 s but swings slowly, so each run goes on
    // (run.until) until its mean is within 3 % or 5,000 s. An empty start's transient is
    // seconds against thousands: MSER-5 finds a warm-up in some seeds and rightly none in
    // others (the known-transient test is the one above); what must hold is the answer.
    let mut covered = 0;
    for seed in 1..=6 {
        let s = mm1(
            seed,
            100,
            250,
            &[
                "workload.publishes.rate.per_guild_per_s=950",
                "workload.publishes.end_s=null",
                "run.until={metric: latency_ms.mean, relative_half_width: 0.03, max_horizon_s: 5000}",
            ],
        )
        .summary;
        // A busy fraction of 95 % is not mistaken for saturation: a doubtful verdict is
        // judged again on longer runs.
        assert_eq!(
            s.keeps_up.all,
            Some(true),
            "seed {seed}: {}",
            s.keeps_up.why()
        );
        let l = &s.steady.latency_ms;
        let (lo, hi) = (l.mean_low.unwrap(), l.mean_high.unwrap());
        assert!(hi - lo < 0.1 * 20.0, "seed {seed}: {lo} to {hi}");
        if lo <= 20.0 && 20.0 <= hi {
            covered += 1;
        }
    }
    assert!(covered >= 5, "covered in {covered} of 6 seeds");
}
