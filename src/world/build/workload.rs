//! Build stage: the publish workload (Poisson rates per guild, the publishing window,
//! bursts, presence changes). Random streams: `publishes`, `presence`.

use crate::config::schema::{Experiment, Rate};
use crate::sim::rng::RngStreams;
use crate::sim::time::secs;
use crate::world::ids::GuildId;
use crate::world::publish::Publisher;

/// The publisher of `exp` for guilds with `online` members each and `users` sessions.
pub(super) fn publisher(
    exp: &Experiment,
    online: &[u32],
    users: u32,
    streams: &RngStreams,
) -> Publisher {
    let horizon = secs(exp.run.horizon_s);
    let publishes = &exp.workload.publishes;
    let rates: Vec<f64> = match publishes.rate {
        Rate::PerGuildPerS(r) => vec![r; online.len()],
        Rate::PerMemberPerS(r) => online.iter().map(|&o| r * o as f64).collect(),
    };
    let start = secs(publishes.start_s);
    let end = publishes
        .end_s
        .map(secs)
        .unwrap_or(horizon)
        .min(horizon.saturating_add(1));
    let bursts = exp
        .workload
        .bursts
        .iter()
        .map(|b| (secs(b.at_s), GuildId(b.guild), b.count))
        .collect();
    Publisher::new(
        streams.stream("publishes"),
        streams.stream("presence"),
        users,
        publishes.presence_changes_per_session_per_s,
        &rates,
        start,
        end,
        bursts,
    )
}
