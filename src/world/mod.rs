//! The chat system on top of the engine: nodes with schedulers, guild and session processes
//! with mailboxes, the fan-out of published events, and the workload that drives them.
//!
//! Architecture invariants: the model does no I/O and never reads the wall clock; every random
//! draw comes from a named stream of `crate::sim::rng`; entity state lives in dense `Vec`
//! arenas indexed by the ids of [`ids`], and nothing that reaches a result iterates a hash map.
//!
//! Modules, one job each:
//!
//! - The world and its plumbing: [`state`] (the arenas, the core parameters, message
//!   plumbing and the event dispatch), [`ids`], [`event`] (the closed `Event` enum, why a node
//!   crashes), [`process`] (what every process has), [`node`], [`mailbox`] (mailboxes and
//!   messages, and whom an event is about: [`mailbox::Origin`]), [`cpu`] (schedulers and run
//!   queues), [`deferred`] (slice ends kept out of the queue, settled before every event),
//!   [`channel`] (distribution buffers), [`topology`] (latency and bandwidth between nodes),
//!   [`costs`] (when send costs are drawn), [`accounting`] (busy time per kind of process).
//! - Guilds and sessions: [`guild`] (a guild handles a publish, join or leave), [`sends`]
//!   (the hot loop: runs of sends to sessions), [`targets`] (where a fan-out goes),
//!   [`presence`] (the session lifecycle), [`faults`] (crashes and restarts).
//! - Fan-out strategies, a closed set: [`fanout`] (naive, Manifold, relays, one file each, and
//!   the groups the grouped ones send to).
//! - Mechanisms, each owning its state and parameters: [`registry`] (registries, timeouts,
//!   backoff, the Semaphore), [`lookup`] (ring lookups), [`ring`] (the consistent-hash ring),
//!   [`member_list`] (the lazy member list), [`passive`] (passive sessions and digests),
//!   [`zen_monitor`] (ZenMonitor).
//! - The workload: [`publish`] (Poisson publishes, phases, bursts, presence changes),
//!   [`arrivals`], [`shape`], [`selector`].
//! - [`tracing`] (the hooks into the timeline trace), [`build`] (building a world, in stages),
//!   and, for tests, `tiny` (a world of a handful of entities in a few lines).

pub mod accounting;
pub mod arrivals;
pub mod build;
pub mod channel;
pub mod costs;
pub mod cpu;
pub mod deferred;
pub mod event;
pub mod fanout;
pub mod faults;
pub mod guild;
pub mod ids;
pub mod lookup;
pub mod mailbox;
pub mod member_list;
pub mod node;
pub mod passive;
pub mod presence;
pub mod process;
pub mod publish;
pub mod registry;
pub mod ring;
pub mod selector;
pub mod sends;
pub mod services;
pub mod shape;
pub mod state;
pub mod targets;
#[cfg(test)]
pub(crate) mod tiny;
pub mod topology;
pub mod tracing;
pub mod zen_monitor;

pub use build::{BuildError, build};
pub use event::Event;
pub use state::World;
