//! One experiment end to end: build the world, run it to a limit, and summarise the result.

use crate::config::{ConfigErrors, Loaded};
use crate::metrics::summary::{Entities, NodeSummary, StopInfo, Summary, round6};
use crate::sim::time::{secs, to_secs};
use crate::sim::{self, EventQueue, Nanos, RunLimits, RunOutcome, StopReason};
use crate::world::{self, World};

/// The state of a finished run, for reports.
pub struct RunResult {
    pub summary: Summary,
    pub world: World,
    pub outcome: RunOutcome,
    /// Virtual time the results cover.
    pub end_time: Nanos,
}

/// Runs `loaded`; `progress` is called with the virtual time every few thousand events.
pub fn simulate(loaded: &Loaded, progress: impl FnMut(Nanos)) -> Result<RunResult, ConfigErrors> {
    let exp = &loaded.experiment;
    let mut queue = EventQueue::new();
    let mut world =
        world::build(exp, &mut queue).map_err(|e| loaded.error_at(&e.path, e.message))?;
    let limits = RunLimits {
        horizon: secs(exp.run.horizon_s),
        event_budget: exp.run.event_budget.unwrap_or(u64::MAX),
    };
    let outcome = sim::run(&mut world, &mut queue, limits, progress);
    let end_time = match outcome.stop {
        // Closed-form deliveries may land after the last queued event.
        StopReason::Drained => outcome.end_time.max(world.folded_until),
        _ => outcome.end_time,
    };
    let summary = summarize(loaded, &world, &outcome, end_time);
    Ok(RunResult {
        summary,
        world,
        outcome,
        end_time,
    })
}

fn summarize(loaded: &Loaded, world: &World, outcome: &RunOutcome, end_time: Nanos) -> Summary {
    let exp = &loaded.experiment;
    let rec = &world.rec;
    let nodes: Vec<NodeSummary> = world
        .nodes
        .iter()
        .enumerate()
        .map(|(n, node)| {
            let row = n * rec.bins..(n + 1) * rec.bins;
            let busy: u64 = rec.node_busy_ns[row.clone()].iter().sum();
            let capacity = end_time as f64 * node.schedulers as f64;
            NodeSummary {
                name: node.name.clone(),
                schedulers: node.schedulers,
                busy_fraction: if capacity > 0.0 {
                    round6(busy as f64 / capacity)
                } else {
                    0.0
                },
                run_queue_max: rec.node_run_queue_max[row]
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(0),
            }
        })
        .collect();
    let busy_mean = nodes.iter().map(|n| n.busy_fraction).sum::<f64>() / nodes.len().max(1) as f64;
    let busy_max = nodes.iter().map(|n| n.busy_fraction).fold(0.0, f64::max);
    Summary {
        experiment: loaded.name.clone(),
        seed: exp.seed,
        stop: StopInfo {
            reason: outcome.stop,
            end_time_s: to_secs(end_time),
            horizon_s: exp.run.horizon_s,
            event_budget: exp.run.event_budget,
        },
        entities: Entities {
            nodes: world.nodes.len() as u64,
            guilds: world.guilds.len() as u64,
            sessions: world.sessions.len() as u64,
            memberships: world.members.len() as u64,
        },
        events_total: outcome.queued_events + world.folded,
        publishes_total: rec.publishes,
        publishes_completed: rec.publishes_completed,
        deliveries_total: rec.deliveries,
        sends_local: rec.sends_local,
        sends_remote: rec.sends_remote,
        latency_ms: rec.latency.stats_ms(),
        fanout_duration_ms: rec.fanout.stats_ms(),
        guild_sojourn_ms: rec.sojourn.stats_ms(),
        guild_mailbox_depth_max: rec.guild_mailbox_depth_max,
        guild_queue_length_mean: round6(rec.in_guilds_mean(end_time)),
        node_busy_fraction_mean: round6(busy_mean),
        node_busy_fraction_max: busy_max,
        nodes,
    }
}
