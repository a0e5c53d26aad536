//! One experiment end to end: build the world, run it to a limit, and summarise the result.

use crate::config::{ConfigErrors, Loaded};
use crate::metrics::recorder::ProcessKind;
use crate::metrics::summary::{
    Entities, MemberListSummary, MonitorsSummary, NodeSummary, PassiveSummary, ProcessBusy,
    RegistrySummary, RingSummary, SessionsSummary, StopInfo, Summary, round6,
};
use crate::metrics::until;
use crate::sim::time::{secs, to_secs};
use crate::sim::{self, EventQueue, Nanos, RunLimits, RunOutcome, StopReason};
use crate::world::{self, World};
use std::ops::ControlFlow;

/// The state of a finished run, for reports.
pub struct RunResult {
    pub summary: Summary,
    pub world: World,
    pub outcome: RunOutcome,
    /// Virtual time the results cover.
    pub end_time: Nanos,
}

/// The cheap checks of building `loaded` (network, storms, sizes against users), located.
pub fn precheck(loaded: &Loaded) -> Result<world::build::Counts, ConfigErrors> {
    world::build::precheck(&loaded.experiment)
        .map_err(|e| loaded.error_at(&e.path, e.message).into())
}

/// A world built and ready to run.
pub struct Prepared {
    world: World,
    queue: EventQueue<world::Event>,
}

/// Builds the world of `loaded` and schedules its first events.
pub fn prepare(loaded: &Loaded) -> Result<Prepared, ConfigErrors> {
    let mut queue = EventQueue::new();
    let mut world = world::build(&loaded.experiment, &mut queue)
        .map_err(|e| loaded.error_at(&e.path, e.message))?;
    if let Some(cfg) = &loaded.experiment.output.trace {
        world.enable_trace(cfg);
    }
    Ok(Prepared { world, queue })
}

impl Prepared {
    /// Takes a timeline trace with the default filters, if the experiment asks for none
    /// (`run --trace FILE` without an `output.trace` section).
    pub(crate) fn ensure_trace(&mut self) {
        if self.world.trace.is_none() {
            self.world
                .enable_trace(&crate::config::schema::TraceConfig::default());
        }
    }

    /// Puts every slice end in the event queue instead of keeping those that only give a
    /// scheduler back out of it (`world/deferred.rs`): the results are the same, slower. For
    /// the test that checks it.
    pub fn queue_every_slice_end(mut self) -> Self {
        self.world.params.defer_slice_ends = false;
        self
    }
}

/// Runs `loaded`; `progress` is called with the virtual time every few thousand events.
pub fn simulate(
    loaded: &Loaded,
    mut progress: impl FnMut(Nanos),
) -> Result<RunResult, ConfigErrors> {
    simulate_until(loaded, |now| {
        progress(now);
        ControlFlow::Continue(())
    })
}

/// Runs `loaded` like [`simulate`]; `progress` may stop the run, which then ends with
/// `StopReason::Interrupted` (its results must not be written).
pub(crate) fn simulate_until(
    loaded: &Loaded,
    progress: impl FnMut(Nanos) -> ControlFlow<()>,
) -> Result<RunResult, ConfigErrors> {
    Ok(execute_until(loaded, prepare(loaded)?, progress))
}

/// Like [`simulate`], taking a timeline trace even if the experiment asks for none.
pub fn simulate_traced(
    loaded: &Loaded,
    progress: impl FnMut(Nanos),
) -> Result<RunResult, ConfigErrors> {
    let mut prepared = prepare(loaded)?;
    prepared.ensure_trace();
    Ok(execute(loaded, prepared, progress))
}

/// Runs a prepared world to its limit and summarises it.
pub fn execute(loaded: &Loaded, prepared: Prepared, mut progress: impl FnMut(Nanos)) -> RunResult {
    execute_until(loaded, prepared, |now| {
        progress(now);
        ControlFlow::Continue(())
    })
}

/// Like [`execute`]; `progress` may stop the run (`StopReason::Interrupted`). With
/// `run.until`, runs again to longer horizons until the rule stops it (see [`extend`]).
pub(crate) fn execute_until(
    loaded: &Loaded,
    prepared: Prepared,
    mut progress: impl FnMut(Nanos) -> ControlFlow<()>,
) -> RunResult {
    let traced = prepared.world.trace.is_some();
    let first = execute_once(loaded, prepared, &mut progress);
    extend(loaded, first, traced, progress)
}

fn execute_once(
    loaded: &Loaded,
    prepared: Prepared,
    progress: impl FnMut(Nanos) -> ControlFlow<()>,
) -> RunResult {
    let Prepared {
        mut world,
        mut queue,
    } = prepared;
    let mut outcome = sim::run_until(&mut world, &mut queue, limits(loaded), progress);
    settle_at_end(loaded, &mut world, &mut queue, &mut outcome);
    finish(loaded, world, outcome)
}

/// `run.until`: while the run's steady-state interval is wider than asked (and the run keeps
/// up, and has not reached its cap), runs the experiment again from the start to the longer
/// horizon [`until::decide`] names. The seed is the same, so the longer run handles the
/// shorter one's events exactly as it did and goes on: the result is a plain run to the last
/// horizon (`guildsim run` with that `horizon_s` writes the same files), and it is what any
/// rerun or resumed sweep finds again. Each attempt's world is dropped before the next is
/// built. The summary's `until` block lists the horizons and the rule that stopped.
fn extend(
    loaded: &Loaded,
    mut result: RunResult,
    traced: bool,
    mut progress: impl FnMut(Nanos) -> ControlFlow<()>,
) -> RunResult {
    let Some(u) = &loaded.experiment.run.until else {
        return result;
    };
    let rule = until::Rule {
        metric: u.metric.clone(),
        relative_half_width: u.relative_half_width,
        max_horizon_s: u.max_horizon_s,
        decide_at: u.decide_at,
    };
    let mut horizons = vec![loaded.experiment.run.horizon_s];
    loop {
        if result.outcome.stop == StopReason::Interrupted {
            return result;
        }
        let horizon = *horizons.last().expect("one horizon at least");
        let stopped_by = match until::decide(&result.summary, horizon, &rule) {
            until::Decision::Stop(why) => why,
            until::Decision::Extend(next) => {
                let mut longer = loaded.clone();
                longer.experiment.run.horizon_s = next;
                // The world was built once already: only the horizon changed, which the
                // checks allowed up to the cap.
                match prepare(&longer) {
                    Ok(mut prepared) => {
                        if traced {
                            prepared.ensure_trace();
                        }
                        drop(result);
                        result = execute_once(&longer, prepared, &mut progress);
                        horizons.push(next);
                        continue;
                    }
                    Err(_) => until::UntilStop::MaxHorizon,
                }
            }
        };
        let reached = until::interval(&result.summary.steady.latency_ms, &rule.metric)
            .map(until::relative_half_width)
            .filter(|w| w.is_finite())
            .map(round6);
        result.summary.until = Some(until::UntilSummary {
            metric: rule.metric.clone(),
            relative_half_width: rule.relative_half_width,
            reached,
            decide_at: rule.decide_at,
            stopped_by,
            horizons_s: horizons,
        });
        return result;
    }
}

/// What a run has done by a checkpoint of [`execute_in_steps`].
#[derive(Clone, Copy, Debug)]
pub struct Checkpoint {
    /// Virtual time reached.
    pub time: Nanos,
    /// Events handled (queued and folded), and those through the queue.
    pub events: u64,
    pub queued_events: u64,
    /// Chat and presence deliveries received.
    pub deliveries: u64,
    pub presence_deliveries: u64,
    /// Sessions online.
    pub sessions_online: u32,
}

/// Like [`execute`], stopping every `step` of virtual time to report a [`Checkpoint`]
/// (for `bench`'s phases). The results are the same as [`execute`]'s.
pub fn execute_in_steps(
    loaded: &Loaded,
    prepared: Prepared,
    step: Nanos,
    mut checkpoint: impl FnMut(Checkpoint),
) -> RunResult {
    let Prepared {
        mut world,
        mut queue,
    } = prepared;
    let mut outcome = sim::run_in_steps(
        &mut world,
        &mut queue,
        limits(loaded),
        step,
        |time, w: &World, queued_events| {
            checkpoint(Checkpoint {
                time,
                events: queued_events + w.folded + w.deferrals.handled,
                queued_events,
                deliveries: w.rec.deliveries,
                presence_deliveries: w.rec.presence_deliveries,
                sessions_online: w.sessions_online,
            })
        },
    );
    settle_at_end(loaded, &mut world, &mut queue, &mut outcome);
    finish(loaded, world, outcome)
}

fn limits(loaded: &Loaded) -> RunLimits {
    let exp = &loaded.experiment;
    RunLimits {
        horizon: secs(exp.run.horizon_s),
        event_budget: exp.run.event_budget.unwrap_or(u64::MAX),
    }
}

/// Handles the slice ends the world kept out of the queue that the queue would still have
/// handled (`world/deferred.rs`), and stops the run where it would have stopped with them.
fn settle_at_end(
    loaded: &Loaded,
    world: &mut World,
    queue: &mut EventQueue<world::Event>,
    outcome: &mut RunOutcome,
) {
    let horizon = limits(loaded).horizon;
    let left = world.settle_at_end(horizon, queue);
    if outcome.stop == StopReason::Drained {
        if left {
            outcome.stop = StopReason::Horizon;
            outcome.end_time = horizon;
        } else {
            outcome.end_time = outcome.end_time.max(world.deferrals.until);
        }
    }
}

fn finish(loaded: &Loaded, mut world: World, mut outcome: RunOutcome) -> RunResult {
    world.rec.finish();
    if outcome.stop == StopReason::Drained && world.folded_late {
        // A delivery in closed form lands after the horizon: queued, it would stop the run
        // there.
        outcome.stop = StopReason::Horizon;
        outcome.end_time = limits(loaded).horizon;
    }
    let end_time = match outcome.stop {
        // Closed-form deliveries may land after the last queued event.
        StopReason::Drained => outcome.end_time.max(world.folded_until),
        _ => outcome.end_time,
    };
    let summary = summarize(loaded, &world, &outcome, end_time);
    RunResult {
        summary,
        world,
        outcome,
        end_time,
    }
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
                run_queue_max: rec.node_run_queue_max[row.clone()]
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(0),
                memory_peak_bytes: rec.node_memory[n].peak(),
                crashes: node.crashes,
            }
        })
        .collect();
    let schedulers: Vec<u32> = world.nodes.iter().map(|n| n.schedulers).collect();
    let busy_mean = nodes.iter().map(|n| n.busy_fraction).sum::<f64>() / nodes.len().max(1) as f64;
    let busy_max = nodes.iter().map(|n| n.busy_fraction).fold(0.0, f64::max);
    let per_publish = |x: u64| {
        (rec.publishes_completed > 0).then(|| round6(x as f64 / rec.publishes_completed as f64))
    };
    let moves = world.ring_moves();
    // Sends of fan-outs still going at the end (a slice's sends are counted when it starts,
    // so these may reach past the horizon): reported apart, not as the guilds' sends.
    let unfinished: u64 = world
        .guilds
        .iter()
        .filter(|g| g.work.active)
        .map(|g| g.work.sends as u64)
        .sum();
    let guild_sends = rec.guild_sends.saturating_sub(unfinished);
    let node_names: Vec<String> = world.nodes.iter().map(|n| n.name.clone()).collect();
    let mut keeps_up = crate::metrics::keeps_up::judge(rec, &node_names, &schedulers, outcome.stop);
    if world.params.session_per_byte > 0.0 {
        let session_nodes: Vec<usize> = (0..world.nodes.len())
            .filter(|&n| world.nodes[n].sessions_end > world.nodes[n].sessions_first)
            .collect();
        crate::metrics::keeps_up::judge_sessions(
            &mut keeps_up,
            rec,
            &node_names,
            &schedulers,
            &session_nodes,
            outcome.stop,
        );
    }
    Summary {
        experiment: loaded.name.clone(),
        seed: exp.seed,
        stop: StopInfo {
            reason: outcome.stop,
            end_time_s: to_secs(end_time),
            horizon_s: exp.run.horizon_s,
            event_budget: exp.run.event_budget,
        },
        steady: crate::metrics::steady::steady(rec, end_time, keeps_up.all, changing(exp)),
        keeps_up,
        until: None,
        entities: Entities {
            nodes: world.nodes.len() as u64,
            guilds: world.guilds.len() as u64,
            sessions: world.sessions.len() as u64,
            memberships: world.member_session.len() as u64,
        },
        events_total: outcome.queued_events + world.folded + world.deferrals.handled,
        publishes_total: rec.publishes,
        publishes_completed: rec.publishes_completed,
        presence_changes: rec.presence_changes,
        deliveries_total: rec.deliveries,
        presence_deliveries_total: rec.presence_deliveries,
        deliveries_dropped: rec.deliveries_dropped,
        guild_sends,
        guild_sends_unfinished: unfinished,
        inter_node_messages: rec.inter_node_messages,
        guild_sends_per_publish: per_publish(guild_sends),
        inter_node_messages_per_publish: per_publish(rec.inter_node_messages),
        latency_ms: rec.latency.stats_ms(),
        presence_latency_ms: rec.presence_latency.stats_ms(),
        fanout_duration_ms: rec.fanout.stats_ms(),
        presence_fanout_duration_ms: rec.presence_fanout.stats_ms(),
        guild_sojourn_ms: rec.sojourn.stats_ms(),
        guild_mailbox_depth_max: rec.guild_mailbox_depth_max,
        guild_queue_length_mean: round6(rec.in_guilds_mean(end_time)),
        fanout_work_s: round6(to_secs(rec.fanout_work_ns)),
        busy_s: process_busy(rec),
        passive: PassiveSummary {
            digests: rec.digests,
            digest_deliveries: rec.digest_deliveries,
            // With users configured, every run reports the block (a sweep's runs report the
            // same metrics), zero without passive sessions.
            users: world
                .users_summary(end_time)
                .or_else(|| exp.model.passive.users.as_ref().map(|_| Default::default())),
        },
        client_bytes: client_bytes_summary(world, end_time),
        gc: world.gc_summary(&rec.guild_busy_ns),
        monitors: MonitorsSummary {
            downs: rec.monitor_downs,
            first_down_s: if rec.monitor_downs > 0 {
                to_secs(rec.first_down)
            } else {
                0.0
            },
            last_down_s: to_secs(rec.last_down),
        },
        member_list: MemberListSummary {
            updates: rec.member_list_updates,
            work_s: round6(to_secs(rec.member_list_work_ns)),
            update_us_min: if rec.member_list_updates > 0 {
                round6(rec.member_list_cost_min_ns as f64 / 1e3)
            } else {
                0.0
            },
            update_us_max: round6(rec.member_list_cost_max_ns as f64 / 1e3),
        },
        guild_busy_fraction_max: if end_time > 0 {
            round6(rec.guild_busy_ns.iter().copied().max().unwrap_or(0) as f64 / end_time as f64)
        } else {
            0.0
        },
        node_busy_fraction_mean: round6(busy_mean),
        node_busy_fraction_max: busy_max,
        sessions: SessionsSummary {
            total: world.sessions.len() as u64,
            online_at_start: world.sessions_online_at_start as u64,
            online_at_end: world.sessions_online as u64,
            last_change_s: to_secs(rec.last_online_change),
            last_join_handled_s: to_secs(rec.last_join_handled),
            last_presence_delivery_s: to_secs(rec.last_presence_delivery),
        },
        storms: crate::metrics::storms::measure(
            &storm_windows(exp),
            rec,
            end_time,
            world.sessions_online as u64,
            world.sessions.len() as u64,
        ),
        ring: RingSummary {
            points: world.ring.points() as u64,
            lookup: format!("{:?}", exp.model.ring.lookup).to_lowercase(),
            lookups: rec.lookups,
            lookup_work_s: round6(to_secs(rec.lookup_work_ns)),
            guilds_moved_if_node_removed: moves.moved_on_removal,
            guilds_on_removed_node: moves.on_removed_node,
            guilds_moved_if_node_added: moves.moved_on_addition,
        },
        registry: RegistrySummary {
            calls: rec.registry_calls,
            served: rec.registry_served,
            answered: rec.registry_answered,
            timeouts: rec.registry_timeouts,
            semaphore_rejections: rec.semaphore_rejections,
            queue_depth_max: rec.registry_depth_max,
        },
        crashes: rec.crashes,
        memory_limit_exceeded: rec.memory_limit_exceeded,
        node_memory_peak_bytes: rec.node_memory_peak,
        order_violations: exp.run.check_order.then_some(rec.order_violations),
        windows: crate::metrics::windows::summaries(rec, &schedulers),
        nodes,
    }
}

/// Scheduler time per kind of process, in seconds.
fn process_busy(rec: &crate::metrics::Recorder) -> ProcessBusy {
    ProcessBusy(
        ProcessKind::ALL
            .iter()
            .map(|&kind| {
                let seconds = round6(to_secs(rec.busy_by_kind_ns[kind as usize]));
                (kind.name(), seconds)
            })
            .collect(),
    )
}

/// What makes the workload change during the run, if anything: storms, publishing phases,
/// bursts after the start (none of them: the run may reach a steady state; a burst at time 0
/// is a backlog to start from, the transient MSER-5 takes out).
fn changing(exp: &crate::config::schema::Experiment) -> Option<&'static str> {
    let w = &exp.workload;
    let later = |b: &crate::config::schema::Burst| b.at_s.is_none_or(|t| t > 0.0);
    if !w.storms.is_empty() {
        Some("storms")
    } else if !w.publishes.phases.is_empty() {
        Some("publishing phases")
    } else if w.bursts.iter().any(later) {
        Some("bursts")
    } else {
        None
    }
}

/// Each storm's start and the end its configuration gives (seconds): a login window's, or a
/// restart's crash plus down time plus reconnect jitter.
fn storm_windows(exp: &crate::config::schema::Experiment) -> Vec<(f64, f64)> {
    use crate::config::schema::Storm;
    exp.workload
        .storms
        .iter()
        .map(|s| match s {
            Storm::Login {
                start_s, window_s, ..
            } => (*start_s, start_s + window_s),
            Storm::NodeRestart {
                at_s,
                down_s,
                reconnect_jitter_s,
                ..
            } => (*at_s, at_s + down_s + reconnect_jitter_s),
        })
        .collect()
}

/// Bytes to clients, when sessions paid per byte.
fn client_bytes_summary(
    world: &World,
    end_time: Nanos,
) -> Option<crate::metrics::summary::ClientBytesSummary> {
    let rec = &world.rec;
    if world.params.session_per_byte <= 0.0 {
        return None;
    }
    let bins = (end_time.div_ceil(rec.interval).max(1) as usize).min(rec.bins);
    let per_s = 1e9 / rec.interval as f64;
    let per_node = world
        .nodes
        .iter()
        .enumerate()
        // Every node holding sessions, so that every run of a sweep reports the same names.
        .filter(|(_, node)| node.sessions_end > node.sessions_first)
        .map(|(n, node)| {
            let row = rec
                .node_client_bytes
                .get(n * rec.bins..)
                .and_then(|r| r.get(..bins))
                .unwrap_or(&[]);
            let total: u64 = row.iter().sum();
            let max = row.iter().copied().max().unwrap_or(0);
            (
                node.name.clone(),
                crate::metrics::summary::NodeBytes {
                    total,
                    per_s_max: round6(max as f64 * per_s),
                },
            )
        })
        .collect();
    Some(crate::metrics::summary::ClientBytesSummary {
        total: rec.client_bytes[0] + rec.client_bytes[1],
        active: rec.client_bytes[0],
        passive: rec.client_bytes[1],
        per_node,
    })
}
