//! The designs after 2017 (issue 11): fan-out work, lazy member lists (V9), ZenMonitor
//! (V14), passive sessions (V11) and relays (V12), each figure derived from a run.

use super::{experiment, load, run};

fn within(measured: f64, expected: f64, tolerance: f64) -> bool {
    (measured - expected).abs() <= tolerance * expected
}

/// Fan-out work is the time spent sending: for the naive V1 guild it is the sum of its
/// fan-out durations (it does nothing else), and all of the guild's busy time; with Manifold
/// it is the guild's, partitioners' and workers' busy time together.
#[test]
fn fanout_work_is_the_time_spent_sending() {
    let result = run(&load(
        &experiment("discord-2017-naive-fanout.yaml"),
        &[],
        false,
    ));
    let s = &result.summary;
    let fanouts_s = s.fanout_duration_ms.mean * s.fanout_duration_ms.count as f64 / 1e3;
    assert!(s.publishes_completed >= 20, "{}", s.publishes_completed);
    assert!(
        within(s.fanout_work_s, fanouts_s, 1e-6),
        "{} {fanouts_s}",
        s.fanout_work_s
    );
    assert!(
        within(s.busy_s.guild, s.fanout_work_s, 1e-6),
        "{:?}",
        s.busy_s
    );
    assert!(within(
        s.guild_busy_fraction_max,
        s.busy_s.guild / s.stop.end_time_s,
        1e-4
    ));

    let s = run(&load(&experiment("discord-2017-manifold.yaml"), &[], true)).summary;
    let b = &s.busy_s;
    assert!(b.worker > 10.0 * b.guild, "{b:?}");
    assert!(
        within(s.fanout_work_s, b.guild + b.partitioner + b.worker, 1e-4),
        "{} {b:?}",
        s.fanout_work_s
    );
}
