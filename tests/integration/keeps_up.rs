//! Saturation said as a verdict (issue 21): a guild that cannot keep up is reported as such,
//! with its backlog's growth, and one that can is not, whatever its latency.

use super::support::{load, root, run, scratch_dir};
use guildsim::runner::RunResult;

/// One guild of `members` online members under naive fan-out (the 2017 model: 50 µs a remote
/// send), publishing `rate` messages a second for `horizon_s`.
fn one_guild(name: &str, members: u32, rate: f64, horizon_s: f64) -> RunResult {
    let dir = scratch_dir(name);
    let file = dir.join("guild.yaml");
    let model = root().join("models/discord-2017.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {}
seed: 1
run: {{horizon_s: {horizon_s}}}
workload:
  guilds:
    sizes: {{fixed: {{count: 1, members: {members}}}}}
    online_fraction: 1.0
  users: {{guilds_per_user_mean: 1, placement: uniform}}
  publishes:
    rate: {{per_guild_per_s: {rate}}}
output: {{sample_interval_ms: 100, plots: []}}
",
            model.display()
        ),
    )
    .unwrap();
    let result = run(&load(&file, &[], false));
    std::fs::remove_dir_all(&dir).unwrap();
    result
}

#[test]
fn naive_fanout_to_300000_members_at_5_per_second_does_not_keep_up() {
    // Each publish takes the guild about 300,000 x 50 µs = 15 s: at 5 a second the backlog
    // grows by nearly 5 publishes a second, and the guild is busy all the time.
    let r = one_guild("keeps-up-300k", 300_000, 5.0, 20.0);
    let k = &r.summary.keeps_up;
    assert_eq!(k.all, Some(false), "{}", k.why());
    assert_eq!(k.not_keeping_up, "guild 0");
    assert_eq!(k.guilds.keeps_up, Some(false));
    assert!(k.guilds.busiest_busy_fraction.unwrap() > 0.99);
    let (lo, hi) = (
        k.guilds.backlog_growth_low.unwrap(),
        k.guilds.backlog_growth_high.unwrap(),
    );
    // The backlog grows by the publishes that arrive (Poisson, 5 a second on average) less
    // the one that completes: about 5 a second, the window's own arrivals deciding.
    let growth = k.guilds.backlog_growth_per_s.unwrap();
    assert!(
        lo > 1.0 && lo <= growth && growth <= hi,
        "growth {growth}: {lo} to {hi}"
    );
    assert!((3.0..8.0).contains(&growth), "growth {growth}");
    // Sends of the unfinished fan-out are reported apart: per completed publish, one send
    // per member.
    assert_eq!(r.summary.publishes_completed, 1);
    assert_eq!(r.summary.guild_sends_per_publish, Some(300_000.0));
    assert!(r.summary.guild_sends_unfinished > 0);
}

#[test]
fn a_busy_guild_that_keeps_up_is_said_to() {
    // 3,000 members: about 0.15 s a publish, utilisation about 0.75 at 5 a second.
    let r = one_guild("keeps-up-3k", 3_000, 5.0, 40.0);
    let k = &r.summary.keeps_up;
    assert_eq!(k.all, Some(true), "{}", k.why());
    assert_eq!(k.guilds.keeps_up, Some(true));
    let f = k.guilds.busiest_busy_fraction.unwrap();
    assert!(f > 0.5 && f < 0.95, "busy {f}");
    assert!(k.guilds.backlog_growth_low.unwrap() <= 0.0);
    // At most the one fan-out going at the horizon is unfinished.
    assert!(r.summary.guild_sends_unfinished <= 3_000);
}

#[test]
fn a_drained_run_kept_up_and_a_budget_stopped_one_is_not_judged() {
    let dir = root().join("experiments/quickstart.yaml");
    let drained = run(&load(
        &dir,
        &["run.horizon_s=400", "workload.publishes.end_s=1"],
        true,
    ));
    assert_eq!(format!("{:?}", drained.summary.stop.reason), "Drained");
    assert_eq!(drained.summary.keeps_up.all, Some(true));
    let budget = run(&load(&dir, &["run.event_budget=1000"], true));
    assert_eq!(
        budget.summary.keeps_up.all,
        None,
        "{}",
        budget.summary.keeps_up.why()
    );
}

#[test]
fn a_sweep_plot_leaves_out_latencies_of_points_that_do_not_keep_up() {
    // One guild at 1,000 members keeps up; at 300,000 (15 s a publish at 5 a second) it does
    // not, and its p99 is the run's length: left out of the line, and the legend says so.
    let dir = scratch_dir("keeps-up-sweep");
    let file = dir.join("sweep.yaml");
    let model = root().join("models/discord-2017.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {}
seed: 1
run: {{horizon_s: 20}}
workload:
  guilds:
    sizes: {{fixed: {{count: 1, members: 1000}}}}
    online_fraction: 1.0
  users: {{guilds_per_user_mean: 1, placement: uniform}}
  publishes:
    rate: {{per_guild_per_s: 5}}
output: {{sample_interval_ms: 100, plots: []}}
sweep:
  replications: 1
  grid:
    - field: workload.guilds.sizes.fixed.members
      values: [1000, 3000, 300000]
  plots:
    - {{file: p99, metric: latency_ms.p99, x: workload.guilds.sizes.fixed.members, log_x: true}}
    - {{file: deliveries, metric: deliveries_total, x: workload.guilds.sizes.fixed.members}}
",
            model.display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let (code, stderr) = super::support::guildsim(&[
        "run",
        &super::support::arg(&file),
        "--out",
        &super::support::arg(&out),
        "-q",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let p99 = std::fs::read_to_string(out.join("p99.svg")).unwrap();
    assert!(
        p99.contains("1 point left out: does not keep up"),
        "the legend names the point left out"
    );
    let deliveries = std::fs::read_to_string(out.join("deliveries.svg")).unwrap();
    assert!(
        !deliveries.contains("left out"),
        "a count is drawn at every point"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
