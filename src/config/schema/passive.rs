//! `model.passive`: passive sessions in large guilds (MJ, secondary), and the event kinds a
//! guild fans out.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Passive sessions (MJ, secondary): in a guild of at least `min_members` members, only a
/// fraction of the sessions are active (their users are looking at the guild); the others
/// get a reduced stream: the event kinds in `receives`, and, with `digest_interval_ms`, a
/// periodic digest of the chat they missed.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PassiveConfig {
    /// Guilds with at least this many members have passive sessions (default: none, no
    /// passive sessions).
    #[serde(default)]
    pub(crate) min_members: Option<u32>,
    /// Share of a large guild's sessions that are active (default 0.1, assumption: V11's
    /// 90 % less fan-out work).
    #[serde(default = "default_active_fraction")]
    pub(crate) active_fraction: f64,
    /// Event kinds passive sessions still receive as they happen: any of `chat`, `presence`
    /// (default none).
    #[serde(default)]
    pub(crate) receives: Vec<EventKind>,
    /// Passive sessions receive a digest of the guild's chat this often, when there was any
    /// (default: no digests).
    #[serde(default)]
    pub(crate) digest_interval_ms: Option<f64>,
    /// A digest's size before compression, in bytes, when sessions pay per byte (default
    /// 2,000, assumption: a full snapshot of the unread state; deltas would be smaller).
    #[serde(default = "default_digest_bytes")]
    pub(crate) digest_bytes: u64,
    /// Users who open the guild and leave it (issue 23): who is active follows from their
    /// behaviour, and `active_fraction` is not used (default: none, the fixed share). Needs
    /// `fanout.strategy: relays`.
    #[serde(default)]
    pub(crate) users: Option<UsersConfig>,
}

/// Users with behaviour: every member of a guild with passive sessions is a user who opens
/// the guild now and then (a Poisson process while passive) and looks at it for a while (the
/// dwell time); its session is active while the user looks and passive otherwise. In steady
/// state the active share is `r d / (1 + r d)` for an open rate `r` and a mean dwell `d`
/// (whatever the dwell's distribution).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsersConfig {
    /// How often a passive member's user opens the guild, per hour (assumption).
    pub(crate) opens_per_hour: f64,
    /// How long a user looks at the guild once it opened it, in seconds (mean; assumption).
    pub(crate) dwell_s: f64,
    /// The dwell time's distribution: `exponential` (default) or `constant`.
    #[serde(default)]
    pub(crate) dwell: DwellKind,
    /// Who is active at the start: `stationary` (default: each member with the steady-state
    /// probability, as if the users had been at it for long), or `passive` (nobody: every
    /// user has just connected, as after a mass reconnect).
    #[serde(default)]
    pub(crate) start: UsersStart,
    /// The wake-up an `@everyone` announcement causes (`bursts[].everyone`): default none.
    #[serde(default)]
    pub(crate) wake: Option<WakeConfig>,
    /// What becoming active costs: the state sync (default: the defaults of `SyncConfig`).
    #[serde(default)]
    pub(crate) sync: SyncConfig,
    /// Chat messages that mention members: a mentioned passive member gets the message as it
    /// happens (default: none).
    #[serde(default)]
    pub(crate) mentions: Option<MentionsConfig>,
}

/// A dwell time's distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DwellKind {
    #[default]
    Exponential,
    Constant,
}

/// Who is active when the run starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UsersStart {
    #[default]
    Stationary,
    Passive,
}

/// The response to an announcement: each passive member opens the guild, on top of its usual
/// rate, at a rate that starts high and decays exponentially with `time_constant_s`, such
/// that a share `respond` of the passive members opens it because of the announcement.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WakeConfig {
    /// Share of the passive members whose users open the guild in response (assumption).
    pub(crate) respond: f64,
    /// How quickly they come: the response's time constant, in seconds (assumption).
    pub(crate) time_constant_s: f64,
}

/// A state sync: the session of a user who opens the guild asks the guild's relay on its
/// node for what it must catch up on, and gets it back in one reply: the member-list range it
/// shows, unread counts, and the recent messages it missed.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncConfig {
    /// The relay's time to answer one sync, besides the messages (default 20 us, assumption).
    #[serde(default = "default_sync_us")]
    pub(crate) relay_us: f64,
    /// The relay's time per missed message it writes into the reply (default 1 us,
    /// assumption).
    #[serde(default = "default_sync_message_us")]
    pub(crate) per_message_us: f64,
    /// At most this many recent messages in a reply (default 50, assumption: a channel's
    /// first page).
    #[serde(default = "default_sync_messages")]
    pub(crate) max_messages: u32,
    /// Bytes of the member-list range and unread counts in a reply (default 20,000,
    /// assumption: 100 list entries of about 200 bytes).
    #[serde(default = "default_sync_bytes")]
    pub(crate) base_bytes: u64,
    /// At most this many syncs per second per relay; the others wait (default: no limit).
    /// The protection a relay can apply against a wake-up storm.
    #[serde(default)]
    pub(crate) max_per_s: Option<f64>,
}

fn default_sync_us() -> f64 {
    20.0
}
fn default_sync_message_us() -> f64 {
    1.0
}
fn default_sync_messages() -> u32 {
    50
}
fn default_sync_bytes() -> u64 {
    20_000
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            relay_us: default_sync_us(),
            per_message_us: default_sync_message_us(),
            max_messages: default_sync_messages(),
            base_bytes: default_sync_bytes(),
            max_per_s: None,
        }
    }
}

/// Mentions: each chat message mentions a member with probability `per_message`, a member
/// drawn uniformly from the guild's members.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MentionsConfig {
    /// Probability that a chat message mentions a member (assumption).
    pub(crate) per_message: f64,
}

fn default_digest_bytes() -> u64 {
    2000
}

fn default_active_fraction() -> f64 {
    0.1
}

impl Default for PassiveConfig {
    fn default() -> Self {
        Self {
            min_members: None,
            active_fraction: default_active_fraction(),
            receives: Vec::new(),
            digest_interval_ms: None,
            digest_bytes: default_digest_bytes(),
            users: None,
        }
    }
}

/// A kind of event a guild fans out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventKind {
    Chat,
    Presence,
}
