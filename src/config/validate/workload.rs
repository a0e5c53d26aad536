//! Checks of the run limits, the workload (guild sizes, users, publishes, storms; phases and
//! bursts in `phases.rs`) and the output section, each against its range in `limits`.

use super::Checker;
use super::phases;
use crate::config::limits::*;
use crate::config::schema::{
    Experiment, GuildSizes, Rate, Shape, Storm, TraceConfig, UNTIL_METRICS, UntilConfig,
};
use crate::config::yaml_source::FieldPath;

pub(super) fn check(c: &mut Checker, exp: &Experiment, min_restart_s: f64) {
    let root = FieldPath::root();
    let run = root.key("run");
    c.above(exp.run.horizon_s, 0.0, MAX_TIME_S, &run.key("horizon_s"));
    if let Some(budget) = exp.run.event_budget {
        c.count(budget, 1, u64::MAX, &run.key("event_budget"));
    }
    if let Some(u) = &exp.run.until {
        until(c, exp, u, &run.key("until"));
    }
    let workload = root.key("workload");
    let guild_count = guilds(c, exp, &workload.key("guilds"));
    users(c, exp, &workload.key("users"));
    publishes(c, exp, &workload.key("publishes"));
    phases::phases(
        c,
        exp,
        &workload.key("publishes").key("phases"),
        guild_count,
    );
    phases::bursts(c, exp, &workload.key("bursts"), guild_count);
    storms(c, exp, &workload.key("storms"), min_restart_s);
    output(c, exp, &root.key("output"));
    if let Some(trace) = &exp.output.trace {
        self::trace(c, exp, trace, guild_count, &root.key("output").key("trace"));
    }
}

/// `run.until`: a metric with an interval, a sensible precision, a cap at or after the first
/// horizon, and a workload that goes on as long as the run may.
fn until(c: &mut Checker, exp: &Experiment, u: &UntilConfig, path: &FieldPath) {
    c.check(UNTIL_METRICS.contains(&u.metric.as_str()), &path.key("metric"), || {
        format!(
            "must be one of {} (the `steady` block's latencies, which have intervals), got {:?}",
            UNTIL_METRICS.join(", "),
            u.metric
        )
    });
    c.above(
        u.relative_half_width,
        0.0,
        1.0,
        &path.key("relative_half_width"),
    );
    let cap = path.key("max_horizon_s");
    c.above(u.max_horizon_s, 0.0, MAX_TIME_S, &cap);
    let horizon = exp.run.horizon_s;
    if horizon.is_finite() && u.max_horizon_s.is_finite() {
        c.check(u.max_horizon_s >= horizon, &cap, || {
            format!(
                "must be at least run.horizon_s ({} s), where the run is first judged, got {} s",
                fmt_num(horizon),
                fmt_num(u.max_horizon_s)
            )
        });
    }
    if let Some(d) = u.decide_at {
        c.range(d, -MAX_TIME_S, MAX_TIME_S, &path.key("decide_at"));
    }
    if let Some(end) = exp.workload.publishes.end_s {
        let publishes = FieldPath::root()
            .key("workload")
            .key("publishes")
            .key("end_s");
        c.check(end >= u.max_horizon_s || end.is_nan(), &publishes, || {
            format!(
                "publishing stops at {} s, but run.until may run to {} s: a longer run would \
                 only watch the queues drain, never reaching a steady state; remove end_s (so \
                 publishing lasts as long as the run) or make it at least {} s",
                fmt_num(end),
                fmt_num(u.max_horizon_s),
                fmt_num(u.max_horizon_s)
            )
        });
    }
}

/// The trace's window, filters and cap: guilds that exist, nodes that the model names.
fn trace(c: &mut Checker, exp: &Experiment, t: &TraceConfig, guild_count: u64, path: &FieldPath) {
    c.range(t.from_s, 0.0, MAX_TIME_S, &path.key("from_s"));
    if let Some(to) = t.to_s {
        c.range(to, 0.0, MAX_TIME_S, &path.key("to_s"));
        let comparable = to.is_finite() && t.from_s.is_finite();
        c.check(!comparable || to >= t.from_s, &path.key("to_s"), || {
            format!(
                "must be >= from_s ({}), got {}",
                fmt_num(t.from_s),
                fmt_num(to)
            )
        });
    }
    c.count(t.max_events, 1, MAX_TRACE_EVENTS, &path.key("max_events"));
    if let Some(guilds) = &t.guilds {
        let p = path.key("guilds");
        c.check(guilds.len() <= MAX_TRACE_FILTER, &p, || {
            format!(
                "must list at most {MAX_TRACE_FILTER} guilds, got {}",
                guilds.len()
            )
        });
        for (i, &g) in guilds.iter().enumerate().take(MAX_TRACE_FILTER) {
            c.check((g as u64) < guild_count, &p.index(i), || {
                format!("must be a guild index below {guild_count}, got {g}")
            });
        }
    }
    if let Some(nodes) = &t.nodes {
        let p = path.key("nodes");
        c.check(nodes.len() <= MAX_TRACE_FILTER, &p, || {
            format!(
                "must list at most {MAX_TRACE_FILTER} nodes, got {}",
                nodes.len()
            )
        });
        for (i, name) in nodes.iter().enumerate().take(MAX_TRACE_FILTER) {
            c.check(names_node(exp, name), &p.index(i), || {
                format!(
                    "must name a node of the model (a group's name, `-`, an index below its \
                     count: `{}-0`), got `{name}`",
                    exp.model
                        .nodes
                        .first()
                        .map_or("session", |g| g.name.as_str())
                )
            });
        }
    }
}

/// Whether `name` is `<group>-<i>` for a node group of the model and `i` below its count.
fn names_node(exp: &Experiment, name: &str) -> bool {
    exp.model.nodes.iter().any(|g| {
        let index = name
            .strip_prefix(g.name.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|i| i.parse::<u32>().ok());
        index.is_some_and(|i| i < g.count && format!("{}-{i}", g.name) == name)
    })
}

/// Checks guild sizes; returns the number of guilds.
fn guilds(c: &mut Checker, exp: &Experiment, guilds: &FieldPath) -> u64 {
    let sizes = guilds.key("sizes");
    let members = |c: &mut Checker, m: u32, path: &FieldPath| {
        c.count(m as u64, 0, MAX_GUILD_MEMBERS as u64, path)
    };
    let count = match &exp.workload.guilds.sizes {
        GuildSizes::List(list) => {
            c.check(!list.is_empty(), &sizes.key("list"), || {
                "must list at least one guild size".into()
            });
            for (i, &m) in list.iter().enumerate() {
                members(c, m, &sizes.key("list").index(i));
            }
            list.len() as u64
        }
        GuildSizes::Fixed { count, members: m } => {
            members(c, *m, &sizes.key("fixed").key("members"));
            *count as u64
        }
        GuildSizes::Zipf {
            count,
            min,
            max,
            exponent,
        } => {
            let p = sizes.key("zipf");
            c.count(*min as u64, 1, MAX_GUILD_MEMBERS as u64, &p.key("min"));
            members(c, *max, &p.key("max"));
            c.check(min <= max, &p.key("max"), || {
                format!("must be >= min ({min}), got {max}")
            });
            c.above(*exponent, 0.0, MAX_EXPONENT, &p.key("exponent"));
            *count as u64
        }
    };
    let count_path = match &exp.workload.guilds.sizes {
        GuildSizes::List(_) => sizes.key("list"),
        GuildSizes::Fixed { .. } => sizes.key("fixed").key("count"),
        GuildSizes::Zipf { .. } => sizes.key("zipf").key("count"),
    };
    c.count(count, 1, MAX_GUILDS, &count_path);
    let fraction = exp.workload.guilds.online_fraction;
    c.range(fraction, 0.0, 1.0, &guilds.key("online_fraction"));
    count.min(MAX_GUILDS)
}

fn users(c: &mut Checker, exp: &Experiment, users: &FieldPath) {
    match (
        exp.workload.users.guilds_per_user_mean,
        exp.workload.users.count,
    ) {
        (Some(mean), None) => c.range(
            mean,
            MIN_GUILDS_PER_USER,
            MAX_GUILDS_PER_USER,
            &users.key("guilds_per_user_mean"),
        ),
        (None, Some(count)) => c.count(count, 1, MAX_SESSIONS, &users.key("count")),
        _ => c.fail(
            users,
            "give exactly one of `guilds_per_user_mean` and `count`".into(),
        ),
    }
}

fn publishes(c: &mut Checker, exp: &Experiment, publishes: &FieldPath) {
    let p = &exp.workload.publishes;
    let rate = publishes.key("rate");
    match p.rate {
        Rate::PerGuildPerS(r) => c.range(r, 0.0, MAX_RATE_PER_S, &rate.key("per_guild_per_s")),
        Rate::PerMemberPerS(r) => c.range(r, 0.0, MAX_RATE_PER_S, &rate.key("per_member_per_s")),
    }
    c.range(
        p.presence_changes_per_session_per_s,
        0.0,
        MAX_RATE_PER_S,
        &publishes.key("presence_changes_per_session_per_s"),
    );
    c.range(p.start_s, 0.0, MAX_TIME_S, &publishes.key("start_s"));
    if let Some(end) = p.end_s {
        let start = p.start_s.clamp(0.0, MAX_TIME_S);
        c.range(end, start, MAX_TIME_S, &publishes.key("end_s"));
    }
}

fn storms(c: &mut Checker, exp: &Experiment, storms: &FieldPath, min_restart_s: f64) {
    for (i, storm) in exp.workload.storms.iter().enumerate() {
        let p = storms.index(i);
        match storm {
            Storm::Login {
                users,
                start_s,
                window_s,
                shape,
            } => {
                let p = p.key("login");
                c.count(*users as u64, 0, MAX_SESSIONS, &p.key("users"));
                c.range(*start_s, 0.0, MAX_TIME_S, &p.key("start_s"));
                c.range(*window_s, 0.0, MAX_TIME_S, &p.key("window_s"));
                phases::shape(c, shape, &p.key("shape"));
                let empty = matches!(shape, Shape::Ramp { from, to } if *from <= 0.0 && *to <= 0.0);
                c.check(!empty, &p.key("shape"), || {
                    "a ramp at 0 throughout leaves the users no time to arrive: give `from` or \
                     `to` above 0"
                        .into()
                });
            }
            Storm::NodeRestart {
                at_s,
                down_s,
                reconnect_jitter_s,
                ..
            } => {
                let p = p.key("node_restart");
                c.range(*at_s, 0.0, MAX_TIME_S, &p.key("at_s"));
                c.above(*down_s, 0.0, MAX_TIME_S, &p.key("down_s"));
                c.check(
                    !(*down_s > 0.0 && *down_s <= min_restart_s),
                    &p.key("down_s"),
                    || {
                        format!(
                            "must be longer than the longest network path ({} s: \
                             model.network.latency_us and links), so that no message sent before \
                             the crash arrives after the restart, got {} s",
                            fmt_num(min_restart_s),
                            fmt_num(*down_s)
                        )
                    },
                );
                c.range(
                    *reconnect_jitter_s,
                    0.0,
                    MAX_TIME_S,
                    &p.key("reconnect_jitter_s"),
                );
            }
        }
    }
}

fn output(c: &mut Checker, exp: &Experiment, output: &FieldPath) {
    let interval = exp.output.sample_interval_ms;
    let path = output.key("sample_interval_ms");
    c.above(interval, 0.0, MAX_TIME_MS, &path);
    let horizon = exp.run.longest_horizon_s();
    if interval > 0.0 && horizon.is_finite() && horizon > 0.0 {
        let bins = horizon * 1e3 / interval;
        c.check(bins <= MAX_BINS as f64, &path, || {
            format!(
                "{} ms bins over a {} s horizon make {} bins, more than {MAX_BINS}; use wider \
                 bins (at least {} ms)",
                fmt_num(interval),
                fmt_num(horizon),
                fmt_num(bins.ceil()),
                fmt_num((horizon * 1e3 / MAX_BINS as f64).max(1e-3))
            )
        });
    }
}
