//! Build stage: guild sizes (drawn or listed), online members per guild, and the number of
//! users. Random stream: `sizes`.

use super::{BuildError, error};
use crate::config::schema::{Experiment, GuildSizes};
use crate::sim::rng::{RngStreams, StreamRng};
use rand::Rng;

/// The power-law guild size at quantile `u` (0..1): the inverse transform of the continuous
/// power law k^-exponent on [min, max + 1), floored.
pub fn zipf_size(min: u32, max: u32, exponent: f64, u: f64) -> u32 {
    let (lo, hi, s) = (min as f64, max as f64 + 1.0, exponent);
    let x = if (s - 1.0).abs() < 1e-12 {
        lo * (hi / lo).powf(u)
    } else {
        let (a, b) = (lo.powf(1.0 - s), hi.powf(1.0 - s));
        (a + u * (b - a)).powf(1.0 / (1.0 - s))
    };
    (x.floor() as u32).clamp(min, max)
}

/// Guild sizes (members) drawn or listed by the workload.
pub fn guild_sizes(sizes: &GuildSizes, rng: &mut StreamRng) -> Vec<u32> {
    match sizes {
        GuildSizes::List(list) => list.clone(),
        GuildSizes::Fixed { count, members } => vec![*members; *count as usize],
        GuildSizes::Zipf {
            count,
            min,
            max,
            exponent,
        } => (0..*count)
            .map(|_| zipf_size(*min, *max, *exponent, rng.random()))
            .collect(),
    }
}

/// Online members per guild and the number of users.
pub(super) fn online_and_users(
    exp: &Experiment,
    streams: &RngStreams,
) -> Result<(Vec<u32>, u32), BuildError> {
    let sizes = guild_sizes(&exp.workload.guilds.sizes, &mut streams.stream("sizes"));
    let fraction = exp.workload.guilds.online_fraction;
    let online: Vec<u32> = sizes
        .iter()
        .map(|&m| (m as f64 * fraction).round() as u32)
        .collect();
    let memberships: u64 = online.iter().map(|&o| o as u64).sum();
    if memberships >= u32::MAX as u64 {
        return Err(error(
            "workload.guilds.sizes",
            format!(
                "at most {} online memberships in all, got {memberships}",
                u32::MAX - 1
            ),
        ));
    }
    let users = exp.workload.users.resolve(memberships as f64);
    let largest = online.iter().copied().max().unwrap_or(0) as u64;
    if largest > users {
        return Err(error(
            "workload.users",
            format!(
                "the largest guild has {largest} online members but there are only {users} users \
                 ({memberships} online memberships); lower guilds_per_user_mean or raise count"
            ),
        ));
    }
    Ok((online, users as u32))
}
