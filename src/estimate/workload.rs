//! The expected work of a workload, from the experiment alone: publishes and their deliveries
//! (the base rate, every phase with its shape and guilds, bursts at an instant and rate
//! multipliers), presence changes, the candidate publishes that multipliers thin out, and the
//! memory the workload's selections and pickers hold.

use crate::config::schema::{Experiment, GuildSelector, GuildSizes, Rate};
use crate::sim::time::secs;
use crate::world::shape::ShapeFn;

/// Guilds of one size: how many, their online members and members.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Class {
    pub(crate) n: f64,
    pub(crate) online: f64,
    pub(crate) members: f64,
}

/// Guild sizes as classes: exact for lists and fixed sizes, a fine quantile grid of the
/// sampler for power laws (no randomness).
pub(crate) fn classes(sizes: &GuildSizes, online_fraction: f64) -> Vec<Class> {
    let class = |n: f64, m: u32| Class {
        n,
        online: (m as f64 * online_fraction).round(),
        members: m as f64,
    };
    match sizes {
        GuildSizes::List(list) => list.iter().map(|&m| class(1.0, m)).collect(),
        GuildSizes::Fixed { count, members } => vec![class(*count as f64, *members)],
        GuildSizes::Zipf {
            count,
            min,
            max,
            exponent,
        } => {
            const K: usize = 4096;
            (0..K)
                .map(|i| {
                    let u = (i as f64 + 0.5) / K as f64;
                    let size = crate::world::build::zipf_size(*min, *max, *exponent, u);
                    class(*count as f64 / K as f64, size)
                })
                .collect()
        }
    }
}

/// The classes of the guilds `sel` chooses.
pub(crate) fn select(sel: &GuildSelector, sizes: &GuildSizes, all: &[Class]) -> Vec<Class> {
    let guilds: f64 = all.iter().map(|c| c.n).sum();
    match sel {
        GuildSelector::All => all.to_vec(),
        GuildSelector::Largest(k) => {
            let mut sorted = all.to_vec();
            sorted.sort_by(|a, b| b.members.total_cmp(&a.members));
            let mut left = *k as f64;
            let mut out = Vec::new();
            for c in sorted {
                if left <= 0.0 {
                    break;
                }
                out.push(Class {
                    n: c.n.min(left),
                    ..c
                });
                left -= c.n;
            }
            out
        }
        GuildSelector::Sizes { min, max } => all
            .iter()
            .filter(|c| (*min as f64..=*max as f64).contains(&c.members))
            .copied()
            .collect(),
        GuildSelector::List(list) => match sizes {
            // Listed sizes are known; otherwise the listed guilds are average ones.
            GuildSizes::List(_) => list
                .iter()
                .filter_map(|&g| all.get(g as usize).copied())
                .collect(),
            _ => {
                let share = list.len() as f64 / guilds.max(1.0);
                all.iter()
                    .map(|c| Class {
                        n: c.n * share,
                        ..*c
                    })
                    .collect()
            }
        },
    }
}

/// What the workload is expected to do and hold.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Work {
    /// Chat publishes, and their deliveries (no guild sending for longer than the horizon).
    pub(crate) publishes: f64,
    pub(crate) deliveries: f64,
    /// Presence changes of sessions.
    pub(crate) changes: f64,
    /// Candidate publishes drawn under rate multipliers and thinned out (each an event).
    pub(crate) candidates: f64,
    /// Bytes of guild orders by size and of weighted pickers over selections.
    pub(crate) bytes: f64,
}

/// Bytes per guild of the order by size (members, order, rank), and per guild of a phase's
/// weighted picker (an alias table).
const ORDER_BYTES: f64 = 12.0;
const PICKER_BYTES: f64 = 16.0;

/// The mean of `shape` over `len` seconds from `from_s` (0 for an empty window).
fn mean_factor(shape: ShapeFn, from_s: f64, len: f64) -> f64 {
    match shape {
        ShapeFn::Constant => 1.0,
        _ if len <= 0.0 => 0.0,
        _ => shape.integral(secs(from_s), secs(from_s + len)) / (len * 1e9),
    }
}

/// A process over `classes` at `rate`, shaped, over `[from_s, to_s)` clipped to the horizon:
/// (publishes, deliveries). `sends_cap` bounds one guild's sends.
fn process(
    classes: &[Class],
    rate: &Rate,
    shape: ShapeFn,
    from_s: f64,
    to_s: f64,
    horizon_s: f64,
    sends_cap: f64,
) -> (f64, f64) {
    let to = to_s.min(horizon_s);
    let len = (to - from_s).max(0.0);
    if len <= 0.0 {
        return (0.0, 0.0);
    }
    let mean_factor = mean_factor(shape, from_s, len);
    let r = |o: f64| match *rate {
        Rate::PerGuildPerS(r) => r,
        Rate::PerMemberPerS(r) => r * o,
    } * mean_factor;
    let publishes = classes.iter().map(|c| c.n * r(c.online) * len).sum();
    let deliveries = classes
        .iter()
        .map(|c| c.n * (r(c.online) * len * c.online).min(sends_cap))
        .sum();
    (publishes, deliveries)
}

/// The work of `exp`'s workload over guild `classes` and `sessions` sessions.
pub(crate) fn work(exp: &Experiment, all: &[Class], sessions: f64, sends_cap: f64) -> Work {
    let horizon = exp.run.horizon_s;
    let p = &exp.workload.publishes;
    let sizes = &exp.workload.guilds.sizes;
    let guilds: f64 = all.iter().map(|c| c.n).sum();
    let end = p.end_s.unwrap_or(horizon);
    let base = process(
        all,
        &p.rate,
        ShapeFn::Constant,
        p.start_s,
        end,
        horizon,
        sends_cap,
    );
    let base_window = (end.min(horizon) - p.start_s).max(0.0);
    let mut w = Work {
        publishes: base.0,
        deliveries: base.1,
        changes: p.presence_changes_per_session_per_s * sessions * base_window,
        ..Work::default()
    };
    // Every process's publishes per second of its window, for the multipliers.
    let mut rates = vec![(p.start_s, end.min(horizon), base.0 / base_window.max(1e-9))];
    let mut ordered = false;
    for phase in &p.phases {
        let (from, to) = (phase.from_s, phase.to_s);
        let shape = ShapeFn::new(&phase.shape, secs(from), secs(to));
        let chosen = select(&phase.guilds, sizes, all);
        ordered |= matches!(
            phase.guilds,
            GuildSelector::Largest(_) | GuildSelector::Sizes { .. }
        );
        if let Some(rate) = &phase.rate {
            let (publishes, deliveries) =
                process(&chosen, rate, shape, from, to, horizon, sends_cap);
            w.publishes += publishes;
            w.deliveries += deliveries;
            let len = (to.min(horizon) - from).max(1e-9);
            rates.push((from, to.min(horizon), publishes / len));
            if matches!(rate, Rate::PerMemberPerS(_)) {
                w.bytes += PICKER_BYTES * chosen.iter().map(|c| c.n).sum::<f64>();
            }
        }
        let len = (to.min(horizon) - from).max(0.0);
        let factor = mean_factor(shape, from, len);
        w.changes += phase.presence_changes_per_session_per_s * sessions * len * factor;
    }
    for b in &exp.workload.bursts {
        let sel = b.guilds.clone().unwrap_or(match b.guild {
            Some(g) => GuildSelector::List(vec![g]),
            None => GuildSelector::All,
        });
        ordered |= matches!(sel, GuildSelector::Largest(_) | GuildSelector::Sizes { .. });
        let chosen = select(&sel, sizes, all);
        if let Some(count) = b.count {
            let count = count as f64;
            w.publishes += count * chosen.iter().map(|c| c.n).sum::<f64>();
            w.deliveries += chosen
                .iter()
                .map(|c| c.n * (count * c.online).min(sends_cap))
                .sum::<f64>();
        }
    }
    // Rate multipliers: overlapping ones multiply, so the time axis is cut at every window's
    // ends and each segment takes the product of the multipliers over it (an upper bound: as
    // if every guild were chosen by every burst). Candidates are drawn at that product and
    // each is an event; the chosen guilds' share is kept.
    let multiplied: Vec<(f64, f64, f64, f64)> = exp
        .workload
        .bursts
        .iter()
        .filter_map(|b| {
            let (from, to, m) = (b.from_s?, b.to_s?, b.multiplier?);
            let sel = b.guilds.clone().unwrap_or(match b.guild {
                Some(g) => GuildSelector::List(vec![g]),
                None => GuildSelector::All,
            });
            let chosen = select(&sel, sizes, all);
            let mean_online = chosen.iter().map(|c| c.n * c.online).sum::<f64>()
                / chosen.iter().map(|c| c.n).sum::<f64>().max(1e-9);
            Some((from, to.min(horizon), m, mean_online))
        })
        .collect();
    let mut edges: Vec<f64> = multiplied.iter().flat_map(|m| [m.0, m.1]).collect();
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    for pair in edges.windows(2) {
        let (a, z) = (pair[0], pair[1]);
        let active: Vec<&(f64, f64, f64, f64)> =
            multiplied.iter().filter(|m| m.0 <= a && z <= m.1).collect();
        if active.is_empty() {
            continue;
        }
        let product = active.iter().map(|m| m.2).product::<f64>();
        let mean_online = active.iter().map(|m| m.3).fold(0.0, f64::max);
        let extra: f64 = rates
            .iter()
            .map(|&(r0, r1, per_s)| (z.min(r1) - a.max(r0)).max(0.0) * per_s)
            .sum::<f64>()
            * (product - 1.0).max(0.0);
        w.candidates += extra;
        w.publishes += extra;
        w.deliveries += (extra * mean_online).min(sends_cap * guilds);
    }
    if ordered {
        w.bytes += ORDER_BYTES * guilds;
    }
    w
}
