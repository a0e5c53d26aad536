//! `model.member_list`: the lazy member list (R19), its data structure and what clients
//! subscribe to.

use super::DistConfig;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The lazy member list (R19): a guild keeps its members in a sorted structure that every
/// join, leave and presence change updates, and each client subscribes to the range of the
/// list it can see, so a presence update goes to the subscribers of its range only.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberListConfig {
    /// The data structure (default `none`: no member list).
    #[serde(default)]
    pub(crate) structure: ListStructure,
    /// The cost of one update of a list of 250,000 members (default: R19's insert cost for
    /// the structure: list 170 ms, ordsets 27 ms, OrderedSet 4-640 µs, SortedSet
    /// 0.61-3.68 µs, uniform within a range).
    #[serde(default)]
    pub(crate) update_cost_at_250k: Option<DistConfig>,
    /// How the cost grows with the list's size n (default: `linear` for `list` and `ordsets`,
    /// `log` for `ordered_set` and `sorted_set`; assumption: R19 gives the cost at 250,000
    /// only). The cost at n is the cost at 250,000 times n / 250,000, or log2(n) / log2(250,000).
    #[serde(default)]
    pub(crate) scaling: Option<ListScaling>,
    /// Members in the range a client sees and subscribes to (default 100, assumption). The
    /// list is cut into ranges of this many members; each client subscribes to one.
    #[serde(default = "default_range_size")]
    pub(crate) range_size: u32,
    /// Which range each client watches (default `{zipf: 1.0}`, assumption): `uniform`, every
    /// range watched by as many clients, or `{zipf: s}`, range r (from the top, r = 0, 1, ...)
    /// watched by a share proportional to 1 / (r + 1)^s: most clients look at the top of
    /// the list.
    #[serde(default)]
    pub(crate) subscribers: Subscribers,
    /// Whom a presence change (or a join or leave) updates (default `shifted`): `shifted`,
    /// the member moves into or out of the online part of the list, so every later position
    /// moves by one and the subscribers of its range and of every range below it get an
    /// update; `own_range`, only the subscribers of the range it sits in.
    #[serde(default)]
    pub(crate) presence_updates: PresenceUpdates,
}

/// How clients' subscriptions spread over the ranges of a member list.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Subscribers {
    /// Every range watched by as many clients.
    Uniform,
    /// Range r watched by a share proportional to 1 / (r + 1)^s (s from 0 to 10).
    Zipf(f64),
}

impl Default for Subscribers {
    fn default() -> Self {
        Subscribers::Zipf(1.0)
    }
}

impl Subscribers {
    /// The Zipf exponent (0 for uniform).
    pub(crate) fn exponent(self) -> f64 {
        match self {
            Subscribers::Uniform => 0.0,
            Subscribers::Zipf(s) => s,
        }
    }
}

/// Whom a member's presence change updates in a guild with a member list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PresenceUpdates {
    /// The subscribers of its range and of every range below it (positions shift).
    #[default]
    Shifted,
    /// The subscribers of its range only.
    OwnRange,
}

fn default_range_size() -> u32 {
    100
}

impl Default for MemberListConfig {
    fn default() -> Self {
        Self {
            structure: ListStructure::None,
            update_cost_at_250k: None,
            scaling: None,
            range_size: default_range_size(),
            subscribers: Subscribers::default(),
            presence_updates: PresenceUpdates::default(),
        }
    }
}

/// A member list's data structure (R19).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ListStructure {
    /// No member list: presence goes to every online member.
    #[default]
    None,
    /// An Erlang list, updated in linear time (170 ms at 250,000).
    List,
    /// Erlang `ordsets` (27 ms at 250,000).
    Ordsets,
    /// Discord's Elixir OrderedSet (4-640 µs at 250,000).
    OrderedSet,
    /// Discord's Rust SortedSet, a NIF (0.61-3.68 µs at 250,000).
    SortedSet,
}

impl ListStructure {
    /// R19's cost of one insert into a list of 250,000 members.
    pub(crate) fn published_cost(self) -> Option<DistConfig> {
        let uniform = |min_us, max_us| DistConfig::Uniform { min_us, max_us };
        match self {
            ListStructure::None => None,
            ListStructure::List => Some(DistConfig::Constant { us: 170_000.0 }),
            ListStructure::Ordsets => Some(DistConfig::Constant { us: 27_000.0 }),
            ListStructure::OrderedSet => Some(uniform(4.0, 640.0)),
            ListStructure::SortedSet => Some(uniform(0.61, 3.68)),
        }
    }

    /// How its cost grows with size, by default (assumption).
    pub(crate) fn default_scaling(self) -> ListScaling {
        match self {
            ListStructure::None | ListStructure::List | ListStructure::Ordsets => {
                ListScaling::Linear
            }
            ListStructure::OrderedSet | ListStructure::SortedSet => ListScaling::Log,
        }
    }
}

/// How a member list's update cost grows with its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ListScaling {
    Linear,
    Log,
}
