//! Checks of the workload's time-varying parts: publishing phases, bursts (at an instant or
//! as rate multipliers over a window), the shapes of rates and the guild selectors, each
//! against its range in `limits`.

use super::Checker;
use crate::config::limits::*;
use crate::config::schema::{Burst, Experiment, GuildSelector, Rate, Shape};
use crate::config::yaml_source::FieldPath;

/// A window `[from_s, to_s]` inside the longest time.
fn window(c: &mut Checker, from_s: f64, to_s: f64, path: &FieldPath) {
    c.range(from_s, 0.0, MAX_TIME_S, &path.key("from_s"));
    let from = from_s.clamp(0.0, MAX_TIME_S);
    c.range(to_s, from, MAX_TIME_S, &path.key("to_s"));
}

fn rate(c: &mut Checker, rate: &Rate, path: &FieldPath) {
    match *rate {
        Rate::PerGuildPerS(r) => c.range(r, 0.0, MAX_RATE_PER_S, &path.key("per_guild_per_s")),
        Rate::PerMemberPerS(r) => c.range(r, 0.0, MAX_RATE_PER_S, &path.key("per_member_per_s")),
    }
}

pub(super) fn phases(c: &mut Checker, exp: &Experiment, path: &FieldPath, guilds: u64) {
    let phases = &exp.workload.publishes.phases;
    c.check(phases.len() <= MAX_PHASES, path, || {
        format!("at most {MAX_PHASES} phases, got {}", phases.len())
    });
    for (i, phase) in phases.iter().enumerate().take(MAX_PHASES) {
        let p = path.index(i);
        window(c, phase.from_s, phase.to_s, &p);
        if let Some(r) = &phase.rate {
            rate(c, r, &p.key("rate"));
        }
        c.range(
            phase.presence_changes_per_session_per_s,
            0.0,
            MAX_RATE_PER_S,
            &p.key("presence_changes_per_session_per_s"),
        );
        shape(c, &phase.shape, &p.key("shape"));
        selector(c, &phase.guilds, &p.key("guilds"), guilds);
    }
}

/// A shape's factors: a ramp's ends from 0, a daily cycle's hours and ratio.
pub(super) fn shape(c: &mut Checker, shape: &Shape, path: &FieldPath) {
    match *shape {
        Shape::Constant => {}
        Shape::Ramp { from, to } => {
            let p = path.key("ramp");
            c.range(from, 0.0, MAX_SHAPE_FACTOR, &p.key("from"));
            c.range(to, 0.0, MAX_SHAPE_FACTOR, &p.key("to"));
        }
        Shape::Daily {
            peak_hour,
            peak_to_trough,
            hour_at_zero,
        } => {
            let p = path.key("daily");
            c.range(peak_hour, 0.0, 24.0, &p.key("peak_hour"));
            c.range(
                peak_to_trough,
                1.0,
                MAX_SHAPE_FACTOR,
                &p.key("peak_to_trough"),
            );
            c.range(hour_at_zero, 0.0, 24.0, &p.key("hour_at_zero"));
        }
    }
}

/// A guild selector over `guilds` guilds.
pub(super) fn selector(c: &mut Checker, sel: &GuildSelector, path: &FieldPath, guilds: u64) {
    match sel {
        GuildSelector::All => {}
        GuildSelector::Largest(k) => c.count(*k as u64, 1, MAX_GUILDS, &path.key("largest")),
        GuildSelector::Sizes { min, max } => {
            let p = path.key("sizes");
            c.count(*min as u64, 0, MAX_GUILD_MEMBERS as u64, &p.key("min"));
            c.count(*max as u64, 0, MAX_GUILD_MEMBERS as u64, &p.key("max"));
            c.check(min <= max, &p.key("max"), || {
                format!("must be >= min ({min}), got {max}")
            });
        }
        GuildSelector::List(list) => {
            let p = path.key("list");
            c.check(!list.is_empty(), &p, || {
                "must list at least one guild".into()
            });
            let mut seen = std::collections::BTreeSet::new();
            for (i, &g) in list.iter().enumerate() {
                c.check((g as u64) < guilds, &p.index(i), || {
                    format!("must be a guild index below {guilds}, got {g}")
                });
                c.check(seen.insert(g), &p.index(i), || {
                    format!("guild {g} is listed twice")
                });
            }
        }
    }
}

pub(super) fn bursts(c: &mut Checker, exp: &Experiment, path: &FieldPath, guilds: u64) {
    let bursts = &exp.workload.bursts;
    c.check(bursts.len() <= MAX_BURSTS, path, || {
        format!("at most {MAX_BURSTS} bursts, got {}", bursts.len())
    });
    for (i, burst) in bursts.iter().enumerate().take(MAX_BURSTS) {
        one_burst(c, burst, &path.index(i), guilds);
    }
}

fn one_burst(c: &mut Checker, b: &Burst, p: &FieldPath, guilds: u64) {
    match (b.guild, &b.guilds) {
        (Some(g), None) => c.check((g as u64) < guilds, &p.key("guild"), || {
            format!("must be a guild index below {guilds}, got {g}")
        }),
        (None, Some(sel)) => selector(c, sel, &p.key("guilds"), guilds),
        _ => c.fail(
            p,
            "give exactly one of `guild` (an index) and `guilds` (all, {largest: k}, \
             {sizes: {min, max}} or {list: [...]})"
                .into(),
        ),
    }
    match (b.at_s, b.count, b.from_s, b.to_s, b.multiplier) {
        (Some(at_s), Some(count), None, None, None) => {
            c.range(at_s, 0.0, MAX_TIME_S, &p.key("at_s"));
            c.count(count as u64, 1, MAX_BURST as u64, &p.key("count"));
        }
        (None, None, Some(from_s), Some(to_s), Some(m)) => {
            window(c, from_s, to_s, p);
            c.range(m, 0.0, MAX_BURST_MULTIPLIER, &p.key("multiplier"));
            c.check(!b.everyone, &p.key("everyone"), || {
                "an @everyone is a burst of publishes at an instant (`at_s` and `count`), not a \
                 rate multiplier"
                    .into()
            });
        }
        _ => c.fail(
            p,
            "give either `at_s` and `count` (publishes at an instant) or `from_s`, `to_s` and \
             `multiplier` (the guilds' publish rates multiplied over a window)"
                .into(),
        ),
    }
}
