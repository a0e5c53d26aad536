//! The 2017 cluster: docs/sources.md V2, V3-V5, V7/V8 and V10, each figure derived from a run,
//! plus the ordering guarantee of every fan-out strategy and the ring's minimal moves.

use super::support::{experiment, load, run};
use std::collections::BTreeSet;

fn within(measured: f64, expected: f64, tolerance: f64) -> bool {
    (measured - expected).abs() <= tolerance * expected
}

/// V2: with Manifold the guild sends once per session node holding members.
#[test]
fn v2_manifold_sends_once_per_session_node() {
    let result = run(&load(&experiment("discord-2017-manifold.yaml"), &[], true));
    let w = &result.world;
    let nodes_with_members: BTreeSet<_> = w
        .member_session
        .iter()
        .map(|s| w.session_node[s.index()])
        .collect();
    let s = &result.summary;
    assert!(s.publishes_completed >= 1);
    assert_eq!(
        s.guild_sends_per_publish,
        Some(nodes_with_members.len() as f64)
    );
    assert_eq!(
        s.inter_node_messages_per_publish,
        Some(nodes_with_members.len() as f64)
    );
    assert_eq!(s.deliveries_total, 30_000 * s.publishes_completed);
    // The same guild without Manifold: one send (and one inter-node message) per member.
    let naive = run(&load(
        &experiment("discord-2017-manifold.yaml"),
        &["model.fanout.strategy=naive"],
        true,
    ));
    assert_eq!(naive.summary.guild_sends_per_publish, Some(30_000.0));
    assert_eq!(
        naive.summary.inter_node_messages_per_publish,
        Some(30_000.0)
    );
}

/// Every session receives each guild's events in publish order, under every strategy, with
/// presence storms going on.
#[test]
fn every_strategy_keeps_per_guild_order() {
    let storm = "workload.storms=[{node_restart: {node: session-1, at_s: 2, down_s: 1, reconnect_jitter_s: 2}}]";
    for strategy in [
        vec!["model.fanout.strategy=naive"],
        vec!["model.fanout.strategy=manifold"],
        vec![
            "model.fanout.strategy=manifold",
            "model.fanout.manifold.partitioners=4",
        ],
        vec![
            "model.fanout.strategy=manifold",
            "model.fanout.manifold.offload=true",
            "model.fanout.manifold.binary=true",
        ],
    ] {
        let mut sets = vec!["run.check_order=true", storm];
        sets.extend(strategy.iter());
        let s = run(&load(&experiment("quickstart.yaml"), &sets, true)).summary;
        assert!(
            s.deliveries_total > 100_000 && s.presence_deliveries_total > 10_000,
            "{strategy:?}: {s:?}"
        );
        assert_eq!(s.order_violations, Some(0), "{strategy:?}");
    }
}

/// V3, V4, V5 at full scale: a 500,000-session node restarts, 5 guilds each, so 2.5 million
/// ring lookups of `mode`'s cost must add up to `expected_s` of lookup work and every session
/// must get back. Returns how long reconnecting took after the node came back (at 10 s).
fn ring_lookups_after_a_restart(mode: &str, expected_s: f64) -> f64 {
    let set = format!("model.ring.lookup={mode}");
    let s = run(&load(
        &experiment("discord-2017-ring-lookups.yaml"),
        &[&set],
        false,
    ))
    .summary;
    assert_eq!(s.ring.lookups, 2_500_000, "{mode}");
    assert!(
        within(s.ring.lookup_work_s, expected_s, 0.05),
        "{mode}: {} s of lookups",
        s.ring.lookup_work_s
    );
    assert_eq!(
        s.sessions.online_at_end, 500_000,
        "{mode}: everyone reconnects"
    );
    // The node restarts at 10 s (crash at 5 s, down 5 s).
    s.sessions.last_change_s - 10.0
}

/// V3: calls to one ring process at 12 µs make 30 s of serialised work; the process
/// saturates, so reconnecting takes longer than its 30 s of work.
#[test]
fn v3_ring_process_lookups_make_30_s_and_saturate_it() {
    let reconnect_s = ring_lookups_after_a_restart("process", 30.0);
    assert!(
        reconnect_s >= 30.0,
        "the ring process is the bottleneck: {reconnect_s} s"
    );
}

/// V4: lookups in ETS at 7 µs make 17.5 s of work, spread over the node's schedulers.
#[test]
fn v4_ets_lookups_make_17_5_s() {
    let reconnect_s = ring_lookups_after_a_restart("ets", 17.5);
    assert!(reconnect_s < 30.0, "no single bottleneck: {reconnect_s} s");
}

/// V5: FastGlobal lookups at 0.3 µs make 0.75 s of work; reconnecting no longer waits for a
/// ring process and takes well under its 30 s.
#[test]
fn v5_fastglobal_lookups_make_0_75_s() {
    let reconnect_s = ring_lookups_after_a_restart("fastglobal", 0.75);
    assert!(reconnect_s < 30.0, "no single bottleneck: {reconnect_s} s");
}

/// V7: without a Semaphore the registries drown in calls nobody waits for: few sessions get
/// back and the queue keeps growing until the end. The chain goes on: events held for
/// half-connected sessions take the node past its memory limit, it crashes, its sessions
/// reconnect into the same queues, and still almost nobody is back. V8: with the Semaphore,
/// queues stay bounded, every session reconnects, and memory stays under the limit.
#[test]
fn v7_stampede_does_not_recover_and_v8_semaphore_does() {
    let v7 = run(&load(
        &experiment("discord-2017-registry-stampede.yaml"),
        &[],
        true,
    ));
    let s = &v7.summary;
    assert!(
        s.registry.timeouts > s.registry.answered,
        "{:?}",
        s.registry
    );
    assert!(
        s.sessions.online_at_end * 10 < s.sessions.total,
        "{:?}",
        s.sessions
    );
    let (bins, depth) = registry_depth(&v7);
    assert!(
        depth[bins - 2] > depth[bins / 2],
        "queue still growing: {} then {}",
        depth[bins / 2],
        depth[bins - 2]
    );
    // The cascade: the storm's crash, then one by memory.
    let limit = v7.world.params.memory_limit.expect("a memory limit");
    let node = &s.nodes.iter().find(|n| n.name == "session-0").unwrap();
    assert!(node.crashes >= 2, "{:?}", s.nodes);
    assert!(node.memory_peak_bytes > limit, "{:?}", node);
    // Its sessions come back from the memory crash, into the same outage.
    let online = v7.world.rec.sessions_online.series();
    let down = online
        .iter()
        .rposition(|&o| o == 0)
        .expect("the memory crash");
    let storm_end = 30;
    assert!(down > storm_end, "crashed by memory at bin {down}");
    assert!(
        online[bins - 1] > 0,
        "the sessions reconnect: {:?}",
        &online[down..]
    );
    assert!(
        online[bins - 1] * 10 < s.sessions.total,
        "{:?}",
        &online[down..]
    );

    let v8 = run(&load(
        &experiment("discord-2017-registry-semaphore.yaml"),
        &[],
        true,
    ));
    let s = &v8.summary;
    assert_eq!(
        s.sessions.online_at_end, s.sessions.total,
        "{:?}",
        s.sessions
    );
    assert_eq!(s.registry.timeouts, 0);
    assert!(s.registry.semaphore_rejections > 0);
    let limit = v8.loaded_semaphore();
    assert!(
        s.registry.queue_depth_max <= limit,
        "{} > {limit}",
        s.registry.queue_depth_max
    );
    assert!(
        s.sessions.last_change_s < 300.0,
        "recovery in minutes: {}",
        s.sessions.last_change_s
    );
    // No cascade: the storm's crash only, and memory under the limit.
    assert_eq!(s.crashes, 1);
    let limit = v8.world.params.memory_limit.expect("a memory limit");
    assert!(
        s.node_memory_peak_bytes < limit,
        "{}",
        s.node_memory_peak_bytes
    );
}

fn registry_depth(result: &guildsim::runner::RunResult) -> (usize, Vec<u32>) {
    let rec = &result.world.rec;
    let bins = (result.end_time / rec.interval) as usize;
    (bins, rec.bin_registry_depth_max.clone())
}

trait SemaphoreLimit {
    fn loaded_semaphore(&self) -> u32;
}

impl SemaphoreLimit for guildsim::runner::RunResult {
    /// The Semaphore limit times the session nodes: the most calls that can be queued.
    fn loaded_semaphore(&self) -> u32 {
        let per_node = self.world.registries.semaphore.expect("a Semaphore");
        per_node * self.world.nodes.iter().filter(|n| n.hosts_sessions).count() as u32
    }
}

/// V10: everyone online sends one message: n^2 deliveries (authors receive their own).
#[test]
fn v10_everyone_sends_makes_n_squared_deliveries() {
    for n in [1_000u64, 10_000] {
        let sets = [
            format!("workload.guilds.sizes={{list: [{n}]}}"),
            format!("workload.bursts=[{{guild: 0, at_s: 0, count: {n}}}]"),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let s = run(&load(
            &experiment("discord-2017-everyone-sends.yaml"),
            &sets,
            false,
        ))
        .summary;
        assert_eq!(s.deliveries_total, n * n, "n = {n}");
    }
}

/// The presence side of V10: n members coming online one after another, each announced to
/// everyone already online: n(n-1)/2 presence deliveries.
#[test]
fn v10_presence_storm_makes_n_choose_2_deliveries() {
    let n = 2_000u64;
    let sets = [
        format!("workload.guilds.sizes={{list: [{n}]}}"),
        "workload.bursts=[]".to_string(),
        format!("workload.storms=[{{login: {{users: {n}, start_s: 0, window_s: 5}}}}]"),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    for strategy in ["naive", "manifold"] {
        let set = format!("model.fanout.strategy={strategy}");
        let mut all = sets.clone();
        all.push(&set);
        let s = run(&load(
            &experiment("discord-2017-everyone-sends.yaml"),
            &all,
            false,
        ))
        .summary;
        assert_eq!(s.sessions.online_at_end, n);
        assert_eq!(s.presence_deliveries_total, n * (n - 1) / 2, "{strategy}");
    }
}

/// Removing a guild node from the ring moves exactly its guilds; adding one moves about
/// 1/(k+1) of them.
#[test]
fn ring_changes_move_only_what_they_must() {
    let s = run(&load(
        &experiment("discord-2017-ring-lookups.yaml"),
        &[],
        true,
    ))
    .summary;
    assert_eq!(
        s.ring.guilds_moved_if_node_removed,
        s.ring.guilds_on_removed_node
    );
    assert!(s.ring.guilds_on_removed_node > 0);
    let guilds = s.entities.guilds as f64;
    assert!(
        within(
            s.ring.guilds_moved_if_node_added as f64,
            guilds / 11.0,
            0.35
        ),
        "{:?}",
        s.ring
    );
}

/// A node whose memory passes the limit crashes, and its sessions come back later: after a
/// restart, deliveries queued for reconnecting sessions push session-1 over the limit again
/// (a cascade), and session-3, over the limit from the start, crashes at once.
#[test]
fn memory_limit_crashes_session_nodes() {
    let sets = [
        "model.memory.limit_bytes=200000000",
        "model.memory.restart_s=1",
        "model.registry.call_cost={dist: constant, us: 300}",
        "workload.storms=[{node_restart: {node: session-1, at_s: 1, down_s: 1, reconnect_jitter_s: 1}}]",
        "run.horizon_s=8",
    ];
    let s = run(&load(&experiment("quickstart.yaml"), &sets, true)).summary;
    let crashes = |name: &str| s.nodes.iter().find(|n| n.name == name).unwrap().crashes;
    assert!(crashes("session-1") >= 2, "{:?}", s.nodes);
    assert!(crashes("session-3") >= 1, "{:?}", s.nodes);
    assert_eq!(crashes("session-0"), 0);
    assert_eq!(
        s.crashes,
        s.nodes.iter().map(|n| n.crashes as u64).sum::<u64>()
    );
}

/// A narrow link fills the distribution buffer: senders are suspended, latency grows, and
/// every delivery is still made.
#[test]
fn a_narrow_network_suspends_senders() {
    let wide = run(&load(
        &experiment("discord-2017-manifold.yaml"),
        &["model.fanout.strategy=naive"],
        true,
    ))
    .summary;
    let sets = [
        "model.fanout.strategy=naive",
        "model.network.bandwidth_mbps=10",
        "model.network.send_buffer_bytes=20000",
    ];
    let narrow = run(&load(
        &experiment("discord-2017-manifold.yaml"),
        &sets,
        true,
    ));
    assert!(narrow.world.channels.busy_events > 0);
    let s = &narrow.summary;
    assert_eq!(s.deliveries_total, wide.deliveries_total);
    assert!(s.latency_ms.mean > wide.latency_ms.mean);
}
