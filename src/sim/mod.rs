//! The generic discrete-event engine: integer virtual time, the (time, sequence) event queue,
//! named random streams, sampling distributions and the run loop.
//!
//! Architecture invariant: nothing in this module knows about guilds, sessions or chat. The
//! engine is generic over the event type; the model (`crate::world`) supplies the events and
//! the handler.

pub mod calendar;
pub mod dist;
pub mod queue;
pub mod rng;
pub mod run;
pub mod time;

pub use dist::Dist;
pub use queue::EventQueue;
pub use rng::RngStreams;
pub use run::{Model, RunLimits, RunOutcome, StopReason, run, run_in_steps, run_until};
pub use time::Nanos;
