//! The `workload:` section: guilds, users, publishes (rates, phases, shapes, selectors),
//! bursts and storms.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Who is in which guild, and what they publish.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub(crate) guilds: Guilds,
    pub(crate) users: Users,
    pub publishes: Publishes,
    /// Extra publishes to one guild at one time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) bursts: Vec<Burst>,
    /// Presence storms: users coming online together, session nodes restarting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storms: Vec<Storm>,
}

/// A presence storm.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Storm {
    /// `users` users (the first ones, by id) start offline and come online at random times
    /// in `[start_s, start_s + window_s]`: uniformly, or with a density of the given shape.
    Login {
        users: u32,
        start_s: f64,
        window_s: f64,
        /// How arrivals spread over the window (default `constant`: uniformly); a `ramp` runs
        /// over the window, a `daily` cycle follows the clock.
        #[serde(default)]
        shape: Shape,
    },
    /// Node `node` (a session node, by name) crashes at `at_s`: its sessions disconnect; it
    /// comes back `down_s` later and each session reconnects after a uniform delay in
    /// `[0, reconnect_jitter_s]`.
    NodeRestart {
        node: String,
        at_s: f64,
        down_s: f64,
        reconnect_jitter_s: f64,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Guilds {
    /// Members per guild.
    pub(crate) sizes: GuildSizes,
    /// Fraction of each guild's members that are online (have a session) (default 1).
    #[serde(default = "one")]
    pub(crate) online_fraction: f64,
}

fn one() -> f64 {
    1.0
}

/// Guild sizes (members): an explicit list, `count` guilds of one size, or a power law.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum GuildSizes {
    List(Vec<u32>),
    Fixed {
        count: u32,
        members: u32,
    },
    /// P(size = k) proportional to k^-exponent for min <= k <= max.
    Zipf {
        count: u32,
        min: u32,
        max: u32,
        exponent: f64,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Users {
    /// Mean number of guilds a user is in: users = ceil(online memberships / this). Give this
    /// or `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) guilds_per_user_mean: Option<f64>,
    /// The number of users (each with one session). Give this or `guilds_per_user_mean`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<u64>,
    /// How users' sessions are spread over the session nodes.
    #[serde(default)]
    pub(crate) placement: SessionPlacement,
}

impl Users {
    /// The number of users for `memberships` online memberships.
    pub(crate) fn resolve(&self, memberships: f64) -> u64 {
        match (self.count, self.guilds_per_user_mean) {
            (Some(count), _) => count,
            (None, Some(mean)) => (memberships / mean).ceil() as u64,
            (None, None) => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SessionPlacement {
    /// Each session on a session node drawn uniformly at random.
    #[default]
    Uniform,
    /// Session i on session node i mod n.
    RoundRobin,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Publishes {
    /// Poisson publish rate.
    pub rate: Rate,
    /// Publishing starts at this time (default 0).
    #[serde(default)]
    pub(crate) start_s: f64,
    /// Publishing stops at this time (default: the horizon).
    #[serde(default)]
    pub(crate) end_s: Option<f64>,
    /// Presence changes (a user goes idle, back, changes status): a Poisson rate per online
    /// session; each change is published to every guild of the session (default 0).
    #[serde(default)]
    pub(crate) presence_changes_per_session_per_s: f64,
    /// More publishing, each phase over its own window with its own rate, shape and guilds;
    /// the rates of overlapping phases (and of `rate` above) add up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) phases: Vec<PublishPhase>,
}

/// A phase of publishing: Poisson publishes to the chosen guilds over `[from_s, to_s)`, at a
/// rate that follows a shape, and presence changes of every online session following the
/// same shape.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishPhase {
    pub(crate) from_s: f64,
    pub(crate) to_s: f64,
    /// The publish rate of each chosen guild (default: none), multiplied by the shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rate: Option<Rate>,
    /// How the rate changes over the phase (default `constant`).
    #[serde(default)]
    pub(crate) shape: Shape,
    /// Which guilds publish in this phase (default `all`).
    #[serde(default)]
    pub(crate) guilds: GuildSelector,
    /// Presence changes per online session, multiplied by the shape (default 0).
    #[serde(default)]
    pub(crate) presence_changes_per_session_per_s: f64,
}

/// How a rate changes over time: a factor that multiplies it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// The rate as given, all the time.
    #[default]
    Constant,
    /// A linear ramp: `from` times the rate at the start of the window, `to` times at its end.
    Ramp { from: f64, to: f64 },
    /// A daily cycle: the rate is the mean over a day; it peaks at `peak_hour` (0 to 24) and
    /// its peak is `peak_to_trough` times its trough, following a cosine. Virtual time 0 is
    /// `hour_at_zero` o'clock (default 0, midnight).
    Daily {
        peak_hour: f64,
        peak_to_trough: f64,
        #[serde(default)]
        hour_at_zero: f64,
    },
}

/// A set of guilds: all, the largest, those of a size range, or listed indices.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum GuildSelector {
    /// Every guild.
    #[default]
    All,
    /// The k guilds with the most members (equal sizes: the lower index first).
    Largest(u32),
    /// The guilds with `min` to `max` members, both included.
    Sizes { min: u32, max: u32 },
    /// These guild indices (0-based, in the order of `sizes`).
    List(Vec<u32>),
}

/// A Poisson rate per guild, or per online member (so big guilds publish more).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rate {
    PerGuildPerS(f64),
    PerMemberPerS(f64),
}

/// Extra publishing to some guilds: `count` publishes to each at `at_s`, or their publish
/// rate multiplied by `multiplier` over `[from_s, to_s)`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Burst {
    /// One guild, by index (0-based, in the order of `sizes`); or `guilds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) guild: Option<u32>,
    /// The guilds (instead of `guild`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) guilds: Option<GuildSelector>,
    /// When the `count` publishes arrive (with `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) at_s: Option<f64>,
    /// Publishes to each guild at `at_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<u32>,
    /// The window of a rate multiplier (with `to_s` and `multiplier`, instead of `at_s` and
    /// `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) from_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) to_s: Option<f64>,
    /// Every publish rate of the guilds (the base rate and every phase's) is multiplied by
    /// this over the window; overlapping multipliers multiply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) multiplier: Option<f64>,
    /// The `count` publishes are `@everyone` announcements (`model.everyone`; default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) everyone: bool,
}
