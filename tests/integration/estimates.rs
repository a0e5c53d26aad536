//! The memory and time estimator against what a run really builds: entity counts exact for
//! fixed and listed guild sizes, close for power laws; more work, more time and memory.

use super::{experiment, load, run};
use guildsim::estimate::estimate;

#[test]
fn entity_counts_match_the_built_world() {
    for (name, exact) in [
        ("bench-fanout.yaml", true),
        ("discord-2017-naive-fanout.yaml", true),
        ("quickstart.yaml", false),
    ] {
        let loaded = load(&experiment(name), &[], true);
        let e = estimate(&loaded.experiment);
        let built = run(&loaded).summary.entities;
        assert_eq!(e.guilds, built.guilds, "{name}");
        assert_eq!(e.nodes, built.nodes, "{name}");
        let off = |est: u64, real: u64| (est as f64 - real as f64).abs() / real as f64;
        let tolerance = if exact { 0.0 } else { 0.15 };
        assert!(
            off(e.memberships, built.memberships) <= tolerance,
            "{name}: {e:?} vs {built:?}"
        );
        assert!(
            off(e.sessions, built.sessions) <= tolerance,
            "{name}: {e:?} vs {built:?}"
        );
    }
}

#[test]
fn bigger_workloads_need_more() {
    let base = load(&experiment("bench-fanout.yaml"), &[], false);
    let bigger = load(
        &experiment("bench-fanout.yaml"),
        &["workload.guilds.sizes={fixed: {count: 1000, members: 1000}}"],
        false,
    );
    let (a, b) = (estimate(&base.experiment), estimate(&bigger.experiment));
    // 900,000 more sessions and memberships, at 18 and 4 bytes.
    assert!(b.memory_bytes > a.memory_bytes + 900_000 * 22);
    assert!(b.seconds > 5.0 * a.seconds);
    assert_eq!(b.dominant, "sessions");
    assert!(b.advice().contains("workload.guilds.sizes"));
}

#[test]
fn deliveries_spread_over_session_nodes_are_not_capped_at_one_guild_s_pace() {
    // One guild of 200,000 online members at 10 publishes a second: naive fan-out cannot send
    // that from one process within the horizon, Manifold's workers and relays can, on every
    // scheduler of the session nodes (the estimate once capped all three at the guild's pace,
    // 100 times too few deliveries for relays).
    for strategy in ["naive", "manifold", "relays"] {
        let sets = [
            "sweep=".to_string(),
            "search=".to_string(),
            format!("model.fanout.strategy={strategy}"),
            "workload.guilds.sizes.fixed.members=200000".to_string(),
            "workload.publishes.rate.per_guild_per_s=10".to_string(),
            "run.horizon_s=3".to_string(),
            "workload.publishes.end_s=3".to_string(),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let loaded = load(&experiment("capacity-guild-size.yaml"), &sets, false);
        let e = estimate(&loaded.experiment);
        let real = run(&loaded).summary.deliveries_total as f64;
        assert!(
            e.deliveries >= 0.5 * real && e.deliveries <= 3.0 * real,
            "{strategy}: estimated {:.3e} deliveries, {real:.3e} happened",
            e.deliveries
        );
    }
}
