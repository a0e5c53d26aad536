//! Build stage: guild sizes (drawn or listed), online members per guild, and the number of
//! users. Random stream: `sizes`.

use super::{BuildError, error};
use crate::config::limits::{MAX_MEMBERSHIPS, MAX_SESSIONS};
use crate::config::schema::{Experiment, GuildSizes};
use crate::sim::rng::{RngStreams, StreamRng};
use rand::Rng;

/// The power-law guild size at quantile `u` (0..1): the inverse transform of the continuous
/// power law k^-exponent on [min, max + 1), floored.
pub(crate) fn zipf_size(min: u32, max: u32, exponent: f64, u: f64) -> u32 {
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
pub(crate) fn guild_sizes(sizes: &GuildSizes, rng: &mut StreamRng) -> Vec<u32> {
    each_size(sizes, rng).collect()
}

/// The guild sizes one after another, drawn as they are needed (nothing is stored).
fn each_size<'a>(
    sizes: &'a GuildSizes,
    rng: &'a mut StreamRng,
) -> Box<dyn Iterator<Item = u32> + 'a> {
    match sizes {
        GuildSizes::List(list) => Box::new(list.iter().copied()),
        GuildSizes::Fixed { count, members } => {
            Box::new(std::iter::repeat_n(*members, *count as usize))
        }
        GuildSizes::Zipf {
            count,
            min,
            max,
            exponent,
        } => Box::new((0..*count).map(move |_| zipf_size(*min, *max, *exponent, rng.random()))),
    }
}

/// Online members of a guild of `members`.
fn online(members: u32, fraction: f64) -> u32 {
    (members as f64 * fraction).round() as u32
}

/// The totals of the workload's guilds: how many, online memberships and users; checked against
/// the id limits and the largest guild.
#[derive(Clone, Copy, Debug)]
pub(super) struct Totals {
    pub(crate) guilds: u64,
    pub(crate) memberships: u64,
    pub(crate) users: u64,
}

/// [`Totals`] without storing a size per guild: `check` stays cheap for any guild count.
pub(super) fn totals(exp: &Experiment, streams: &RngStreams) -> Result<Totals, BuildError> {
    let fraction = exp.workload.guilds.online_fraction;
    let mut rng = streams.stream("sizes");
    let (mut guilds, mut memberships, mut largest) = (0u64, 0u64, 0u64);
    for m in each_size(&exp.workload.guilds.sizes, &mut rng) {
        let o = online(m, fraction) as u64;
        guilds += 1;
        memberships += o;
        largest = largest.max(o);
    }
    if memberships > MAX_MEMBERSHIPS {
        return Err(error(
            "workload.guilds.sizes",
            format!("at most {MAX_MEMBERSHIPS} online memberships in all, got {memberships}"),
        ));
    }
    let users = exp.workload.users.resolve(memberships as f64);
    if users > MAX_SESSIONS {
        return Err(error(
            "workload.users",
            format!(
                "at most {MAX_SESSIONS} users, got {users} ({memberships} online memberships); \
                 raise guilds_per_user_mean or lower count"
            ),
        ));
    }
    if largest > users {
        return Err(error(
            "workload.users",
            format!(
                "the largest guild has {largest} online members but there are only {users} users \
                 ({memberships} online memberships); lower guilds_per_user_mean or raise count"
            ),
        ));
    }
    Ok(Totals {
        guilds,
        memberships,
        users,
    })
}

/// Online members per guild and the number of users.
pub(super) fn online_and_users(
    exp: &Experiment,
    streams: &RngStreams,
) -> Result<(Vec<u32>, u32), BuildError> {
    let totals = totals(exp, streams)?;
    let fraction = exp.workload.guilds.online_fraction;
    let online: Vec<u32> = guild_sizes(&exp.workload.guilds.sizes, &mut streams.stream("sizes"))
        .iter()
        .map(|&m| online(m, fraction))
        .collect();
    Ok((online, totals.users as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn a_power_law_size_spans_min_to_max_by_quantile() {
        assert_eq!(zipf_size(10, 1000, 2.0, 0.0), 10);
        assert_eq!(zipf_size(10, 1000, 2.0, 0.999_999_999), 1000);
        // Exponent 1: log-uniform; the median of [1, 100] is floor(sqrt(101)) = 10.
        assert_eq!(zipf_size(1, 100, 1.0, 0.5), 10);
        assert!(zipf_size(1, 100, 2.0, 0.5) < zipf_size(1, 100, 1.0, 0.5));
    }

    #[test]
    fn online_members_are_the_rounded_fraction_and_users_follow_memberships() {
        let tiny = Tiny::new(&[10, 5, 3])
            .set("workload.guilds.online_fraction", "0.5")
            .set("workload.users.guilds_per_user_mean", "1.5");
        let exp = tiny.loaded().experiment;
        let (online, users) = online_and_users(&exp, &RngStreams::new(exp.seed)).expect("sizes");
        // 5, 2.5 -> 3 (rounded half away from zero), 1.5 -> 2; 10 memberships / 1.5 -> 7 users.
        assert_eq!(online, [5, 3, 2]);
        assert_eq!(users, 7);
        let e = online_and_users(
            &Tiny::new(&[10])
                .set("workload.users.guilds_per_user_mean", "2")
                .loaded()
                .experiment,
            &RngStreams::new(1),
        )
        .expect_err("a guild of 10 among 5 users");
        assert_eq!(e.path, "workload.users");
    }
}
