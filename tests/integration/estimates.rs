//! The memory and time estimator against what a run really builds: entity counts exact (the
//! guild sizes drawn as the build draws them, as `check` counts them); more work, more time and
//! memory.

use super::support::{experiment, experiment_arg, guildsim_with_stdout, load, run};
use guildsim::estimate::estimate;

#[test]
fn entity_counts_match_the_built_world() {
    for name in [
        "bench-fanout.yaml",
        "discord-2017-naive-fanout.yaml",
        "quickstart.yaml",
    ] {
        let loaded = load(&experiment(name), &[], true);
        let e = estimate(&loaded.experiment);
        let built = run(&loaded).summary.entities;
        assert_eq!(e.guilds, built.guilds, "{name}");
        assert_eq!(e.nodes, built.nodes, "{name}");
        assert_eq!(e.memberships, built.memberships, "{name}");
        assert_eq!(e.sessions, built.sessions, "{name}");
    }
}

/// Post-mortem (issue 25): `check` counted 24,992,945 memberships for the full experiment
/// (the sizes the build draws) where the estimate said 25,008,508 (the power law's expected
/// value); `check` was right, and the estimate now counts the same way.
#[test]
fn check_and_the_estimate_count_the_same_memberships() {
    let name = "discord-2017-full.yaml";
    let e = estimate(&load(&experiment(name), &[], false).experiment);
    let (code, out, err) = guildsim_with_stdout(&["check", &experiment_arg(name)]);
    assert_eq!(code, 0, "{err}");
    let counted = format!("{} sessions, {} memberships", e.sessions, e.memberships);
    assert!(out.contains(&counted), "`{counted}` not in: {out}");
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
            "run.until=null".to_string(),
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

/// The estimate's work and what the run did: (estimated, actual events and deliveries).
fn work_of(name: &str, sets: &[&str]) -> (f64, f64) {
    let loaded = load(&experiment(name), sets, true);
    let e = estimate(&loaded.experiment);
    let actual = run(&loaded).summary.events_total as f64;
    (e.work(), actual)
}

#[test]
fn the_multipliers_of_issue_19_are_counted() {
    // Finding 6: overlapping burst multipliers were applied as a product and estimated as a
    // sum; a login storm's n(n-1)/2 presence deliveries were not counted (60,000 members:
    // 0 estimated, 1.8e9 made); a crash loop's storms were not counted either.
    let cases: [(&str, &[&str]); 3] = [
        (
            "quickstart.yaml",
            &[
                "run.horizon_s=6",
                "workload.publishes.end_s=6",
                "workload.bursts=[{guilds: all, from_s: 0, to_s: 5, multiplier: 10}, \
                 {guilds: all, from_s: 1, to_s: 5, multiplier: 10}]",
            ],
        ),
        (
            "discord-2017-everyone-sends.yaml",
            &[
                "workload.guilds.sizes={list: [4000]}",
                "workload.bursts=[]",
                "workload.storms=[{login: {users: 4000, start_s: 0, window_s: 10}}]",
                "run.horizon_s=200",
            ],
        ),
        (
            "quickstart.yaml",
            &[
                "model.memory.limit_bytes=100000000",
                "model.memory.restart_s=0.001",
                "model.memory.reconnect_jitter_s=0.001",
                "run.horizon_s=0.5",
                "workload.publishes.end_s=0.5",
            ],
        ),
    ];
    for (name, sets) in cases {
        let (estimated, actual) = work_of(name, sets);
        eprintln!("{name}: estimated {estimated:.3e}, made {actual:.3e}");
        assert!(
            estimated >= 0.5 * actual && estimated <= 2.0 * actual,
            "{name} {sets:?}: estimated {estimated:.3e}, made {actual:.3e}"
        );
    }
    // The login storm's presence deliveries: n(n-1)/2 exactly when all log in.
    let loaded = load(
        &experiment("discord-2017-everyone-sends.yaml"),
        &[
            "workload.guilds.sizes={list: [4000]}",
            "workload.bursts=[]",
            "workload.storms=[{login: {users: 4000, start_s: 0, window_s: 10}}]",
            "run.horizon_s=200",
        ],
        true,
    );
    assert_eq!(
        estimate(&loaded.experiment).presence_deliveries,
        4000.0 * 3999.0 / 2.0
    );
}

#[test]
fn the_estimate_never_falls_far_short_of_a_random_workload() {
    // A property test: random small workloads (rates, phases, overlapping bursts and
    // multipliers, presence, storms, crash loops, fan-out strategies), each run; the estimate
    // the work guard uses must never fall short of the events the run handled by more than
    // FACTOR, so a run it lets through is never many times longer than it said.
    const FACTOR: f64 = 2.0;
    let mut draws = 0u64;
    let mut pick = |n: u64| {
        draws += 1;
        guildsim::sim::rng::derive_seed(19, "estimate property", draws) % n
    };
    let mut worst = (f64::INFINITY, String::new());
    for case in 0..24 {
        let strategy = ["naive", "manifold", "relays"][pick(3) as usize];
        let mut sets = vec![
            format!("model.fanout.strategy={strategy}"),
            format!("run.horizon_s={}", 2 + pick(6)),
            format!(
                "workload.publishes.rate={{per_member_per_s: 0.00{}}}",
                1 + pick(9)
            ),
            format!(
                "workload.publishes.presence_changes_per_session_per_s=0.0{}",
                pick(5)
            ),
            "workload.publishes.end_s=8".to_string(),
        ];
        let mut bursts = Vec::new();
        for _ in 0..pick(3) {
            let from = pick(4);
            bursts.push(format!(
                "{{guilds: {{largest: {}}}, from_s: {from}, to_s: {}, multiplier: {}}}",
                1 + pick(50),
                from + 1 + pick(3),
                1 + pick(8)
            ));
        }
        if pick(2) == 0 {
            bursts.push(format!(
                "{{guild: 0, at_s: {}, count: {}}}",
                pick(3),
                1 + pick(30)
            ));
        }
        sets.push(format!("workload.bursts=[{}]", bursts.join(", ")));
        match pick(4) {
            0 => sets.push(format!(
                "workload.storms=[{{login: {{users: {}, start_s: 0, window_s: 2}}}}]",
                1000 + pick(5000)
            )),
            1 => sets.push(
                "workload.storms=[{node_restart: {node: session-1, at_s: 1, down_s: 0.5, \
                 reconnect_jitter_s: 1}}]"
                    .to_string(),
            ),
            2 => sets.extend([
                "model.memory.limit_bytes=150000000".to_string(),
                format!("model.memory.restart_s=0.{}", 1 + pick(9)),
                "model.memory.reconnect_jitter_s=0.1".to_string(),
            ]),
            _ => {}
        }
        let sets_ref: Vec<&str> = sets.iter().map(String::as_str).collect();
        let (estimated, actual) = work_of("quickstart.yaml", &sets_ref);
        let ratio = estimated / actual.max(1.0);
        if ratio < worst.0 {
            worst = (ratio, format!("case {case}: {sets:?}"));
        }
        assert!(
            ratio >= 1.0 / FACTOR,
            "case {case}: estimated {estimated:.3e}, made {actual:.3e} ({sets:?})"
        );
    }
    eprintln!("lowest estimate / actual: {:.2} ({})", worst.0, worst.1);
}
