//! The generic discrete-event engine: integer virtual time, the (time, sequence) event queue,
//! named random streams, sampling distributions and the run loop.
//!
//! Architecture invariant: nothing in this module knows about guilds, sessions or chat. The
//! engine is generic over the event type; the model (`crate::world`) supplies the events and
//! the handler.

pub(crate) mod calendar;
pub(crate) mod dist;
pub(crate) mod queue;
pub mod rng;
pub(crate) mod run;
pub mod time;

pub(crate) use dist::Dist;
pub(crate) use queue::EventQueue;
pub(crate) use run::{Model, RunLimits, RunOutcome, StopReason, run_in_steps, run_until};
pub use time::Nanos;
