//! The closed set of events the model schedules, and references to processes.

use super::ids::{GuildId, SessionId};
use crate::sim::Nanos;

/// A process that can hold a scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcRef {
    Guild(GuildId),
    Session(SessionId),
}

/// Everything that can happen. Kept small (16 bytes): the queue holds many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next Poisson publish of the workload arrives at some guild.
    NextPublish,
    /// Burst number `index` of the workload arrives.
    Burst { index: u32 },
    /// The slice of CPU that `proc` is running ends.
    SliceEnd { proc: ProcRef },
    /// An event published at `publish_time` reaches `session`.
    Deliver {
        session: SessionId,
        publish_time: Nanos,
    },
}

const _: () = assert!(std::mem::size_of::<Event>() <= 16);
