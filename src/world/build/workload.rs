//! Build stage: the publish workload (the base rate over its window, the phases, bursts at an
//! instant and rate multipliers, presence changes), with its guild selections resolved.
//! Random streams: `publishes` and `presence` for the base rate, `publishes/phase <i>` and
//! `presence/phase <i>` for phase i (and `sizes` again, when a selector needs guild sizes).

use crate::config::schema::{Experiment, GuildSelector, Rate};
use crate::sim::Nanos;
use crate::sim::rng::RngStreams;
use crate::sim::time::secs;
use crate::world::arrivals::{Clock, Multipliers, RateBurst};
use crate::world::publish::{ChangeProcess, CountBurst, PublishProcess, Publisher};
use crate::world::selector::{GuildFacts, Selection};
use crate::world::shape::ShapeFn;

/// The selectors of `exp`'s workload (phases and bursts).
fn selectors(exp: &Experiment) -> impl Iterator<Item = &GuildSelector> {
    let phases = exp.workload.publishes.phases.iter().map(|p| &p.guilds);
    let bursts = exp.workload.bursts.iter().filter_map(|b| b.guilds.as_ref());
    phases.chain(bursts)
}

/// The guild facts the selectors need: sizes and their order only if one selects by size.
fn facts(exp: &Experiment, guilds: u32, streams: &RngStreams) -> GuildFacts {
    if selectors(exp).any(GuildFacts::needs_order) {
        let sizes = super::guild_sizes(&exp.workload.guilds.sizes, &mut streams.stream("sizes"));
        GuildFacts::ordered(sizes)
    } else {
        GuildFacts::unordered(guilds)
    }
}

/// Rates of the guilds of `sel` for `rate`, given online members per guild.
fn rates(rate: &Rate, sel: &Selection, facts: &GuildFacts, online: &[u32]) -> Vec<f64> {
    (0..sel.len())
        .map(|i| match *rate {
            Rate::PerGuildPerS(r) => r,
            Rate::PerMemberPerS(r) => r * online[sel.get(i, facts).index()] as f64,
        })
        .collect()
}

/// The publisher of `exp` for guilds with `online` members each and `users` sessions.
pub(super) fn publisher(
    exp: &Experiment,
    online: &[u32],
    users: u32,
    streams: &RngStreams,
) -> Publisher {
    let horizon = secs(exp.run.horizon_s);
    // Nothing after the horizon is handled; one nanosecond past it stops every process.
    let stop = |end: Nanos| end.min(horizon.saturating_add(1));
    let p = &exp.workload.publishes;
    let facts = facts(exp, online.len() as u32, streams);

    let (start, end) = (secs(p.start_s), stop(p.end_s.map(secs).unwrap_or(horizon)));
    let all = Selection::All(online.len() as u32);
    let base_rates = rates(&p.rate, &all, &facts, online);
    let mut publishes = vec![PublishProcess::new(
        streams.stream("publishes"),
        all,
        &base_rates,
        start,
        |total| Clock::new(total, ShapeFn::Constant, end),
    )];
    let base_changes = p.presence_changes_per_session_per_s * users as f64;
    let mut changes = vec![ChangeProcess::new(
        streams.stream("presence"),
        start,
        Clock::new(base_changes, ShapeFn::Constant, end),
    )];
    for (i, phase) in p.phases.iter().enumerate() {
        let (from, to) = (secs(phase.from_s), stop(secs(phase.to_s)));
        let shape = ShapeFn::new(&phase.shape, from, secs(phase.to_s));
        if let Some(rate) = &phase.rate {
            let sel = Selection::resolve(&phase.guilds, &facts);
            let rates = rates(rate, &sel, &facts, online);
            publishes.push(PublishProcess::new(
                streams.stream(&format!("publishes/phase {i}")),
                sel,
                &rates,
                from,
                |total| Clock::new(total, shape, to),
            ));
        }
        let per_s = phase.presence_changes_per_session_per_s * users as f64;
        if per_s > 0.0 {
            changes.push(ChangeProcess::new(
                streams.stream(&format!("presence/phase {i}")),
                from,
                Clock::new(per_s, shape, to),
            ));
        }
    }

    let mut bursts = Vec::new();
    let mut multipliers = Vec::new();
    for b in &exp.workload.bursts {
        let selector = match (&b.guilds, b.guild) {
            (Some(s), _) => s.clone(),
            (None, Some(g)) => GuildSelector::List(vec![g]),
            (None, None) => GuildSelector::All,
        };
        let guilds = Selection::resolve(&selector, &facts);
        match (b.at_s, b.count, b.from_s, b.to_s, b.multiplier) {
            (Some(at), Some(count), ..) => bursts.push(CountBurst {
                at: secs(at),
                guilds,
                count,
                everyone: b.everyone,
            }),
            (_, _, Some(from), Some(to), Some(factor)) => multipliers.push(RateBurst {
                from: secs(from),
                to: secs(to),
                factor,
                guilds,
            }),
            _ => {}
        }
    }
    Publisher::new(
        facts,
        publishes,
        changes,
        users,
        bursts,
        Multipliers::new(multipliers),
    )
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    #[test]
    fn a_rate_per_member_publishes_in_proportion_to_guild_size() {
        // 20 publishes per member per second: guilds of 1 and 9 publish about 20 and 180 a
        // second; every publish reaches all its members, so deliveries are about
        // 20 x 1 + 180 x 9 = 1640 against 200 publishes (8.2 per publish).
        let s = Tiny::new(&[1, 9])
            .set("workload.publishes.rate", "{per_member_per_s: 20}")
            .run()
            .summary;
        assert!(
            (150..=250).contains(&s.publishes_total),
            "{}",
            s.publishes_total
        );
        let per_publish = s.deliveries_total as f64 / s.publishes_total as f64;
        assert!((7.5..=8.8).contains(&per_publish), "{per_publish}");
    }

    #[test]
    fn the_base_rate_stops_at_end_s_and_publishes_nothing_before_start_s() {
        let s = Tiny::new(&[3])
            .set("workload.publishes.rate", "{per_guild_per_s: 100}")
            .set("workload.publishes.start_s", "0.25")
            .set("workload.publishes.end_s", "0.5")
            .set(
                "output.windows",
                "[{name: before, from_s: 0, to_s: 0.2}, {name: after, from_s: 0.5, to_s: 1}]",
            )
            .run()
            .summary;
        assert!(
            (10..=45).contains(&s.publishes_total),
            "{}",
            s.publishes_total
        );
        assert_eq!(s.windows["before"].publishes_total, 0);
        assert_eq!(s.windows["after"].publishes_total, 0);
    }
}
