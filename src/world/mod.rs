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
//!   [`member_list`] (the lazy member list), [`passive`] (passive sessions and digests), [`behaviour`] (users who open and leave guilds, state syncs, wake-ups, mentions),
//!   [`zen_monitor`] (ZenMonitor), [`gc`] (guild processes' heaps and garbage collection).
//! - The workload: [`publish`] (Poisson publishes, phases, bursts, presence changes),
//!   [`arrivals`], [`shape`], [`selector`].
//! - [`tracing`] (the hooks into the timeline trace), [`build`] (building a world, in stages),
//!   and, for tests, `tiny` (a world of a handful of entities in a few lines).

pub(crate) mod accounting;
pub(crate) mod arrivals;
pub(crate) mod behaviour;
pub(crate) mod build;
pub(crate) mod channel;
pub(crate) mod costs;
pub(crate) mod cpu;
pub(crate) mod deferred;
pub(crate) mod event;
pub(crate) mod everyone;
pub(crate) mod fanout;
pub(crate) mod faults;
pub(crate) mod gc;
pub(crate) mod guild;
pub(crate) mod ids;
pub(crate) mod lookup;
pub(crate) mod mailbox;
pub(crate) mod member_list;
pub(crate) mod node;
pub(crate) mod passive;
pub(crate) mod presence;
pub(crate) mod process;
pub(crate) mod publish;
pub(crate) mod registry;
pub(crate) mod ring;
pub(crate) mod selector;
pub(crate) mod sends;
pub(crate) mod services;
pub(crate) mod shape;
pub(crate) mod state;
pub(crate) mod targets;
#[cfg(test)]
pub(crate) mod tiny;
pub(crate) mod topology;
pub(crate) mod tracing;
pub(crate) mod zen_monitor;

pub(crate) use build::build;
pub(crate) use event::Event;
pub(crate) use state::World;
