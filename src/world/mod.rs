//! The chat system on top of the engine: nodes with schedulers, guild and session processes
//! with mailboxes, the fan-out of published events, and the workload that drives them.
//!
//! Architecture invariants: the model does no I/O and never reads the wall clock; every random
//! draw comes from a named stream of `crate::sim::rng`; entity state lives in dense `Vec`
//! arenas indexed by the ids of [`ids`], and nothing that reaches a result iterates a hash map.

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
pub mod ids;
pub mod losses;
pub mod mailbox;
pub mod member_list;
pub mod passive;
pub mod presence;
pub mod publish;
pub mod relays;
pub mod ring;
pub mod selector;
pub mod sends;
pub mod services;
pub mod shape;
pub mod state;
pub mod targets;
pub mod topology;
pub mod tracing;
pub mod zen_monitor;

pub use build::{BuildError, build};
pub use event::Event;
pub use state::World;
