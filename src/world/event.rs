//! The closed set of events the model schedules, and references to processes.

use super::ids::{GuildId, NodeId, SessionId};
use crate::sim::Nanos;

/// A process that can hold a scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcRef {
    Guild(GuildId),
    Session(SessionId),
    /// A partitioner, worker, sender, registry or ring process (index into `World::services`).
    Service(u32),
}

/// Everything that can happen. Kept to 16 bytes: the queue holds many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// The next Poisson publish of workload process `process` arrives at some guild.
    NextPublish { process: u32 },
    /// The next presence change of workload process `process` (some session's status changes).
    NextPresenceChange { process: u32 },
    /// Burst number `index` of the workload reaches its guild number `cursor`.
    Burst { index: u32, cursor: u32 },
    /// The slice of CPU that `proc` is running ends (ignored if its node crashed since:
    /// `epoch` is the node's crash count when the slice started).
    SliceEnd { proc: ProcRef, epoch: u32 },
    /// A process suspended on a full distribution buffer may send again.
    Resume { proc: ProcRef, epoch: u32 },
    /// An event published at `publish_time` reaches the member in membership slot `slot`.
    /// `was_online`: the session was online when the event was sent.
    Deliver {
        slot: u32,
        presence: bool,
        was_online: bool,
        publish_time: Nanos,
    },
    /// The message held in mailbox-arena slot `slot` reaches the mailbox of `to`.
    MsgArrive { to: ProcRef, slot: u32 },
    /// The next sessions of connection wave `wave` (a login storm, a restart) connect.
    ConnectWave { wave: u32 },
    /// A reply to the session's call `token` (ring lookup or registry call) arrives.
    Reply { session: SessionId, token: u32 },
    /// The earliest registry calls' timeouts are due (they wait in `World::timeouts`).
    TimeoutsDue,
    /// The session's backoff `token` ends: it calls the registry again.
    Retry { session: SessionId, token: u32 },
    /// A session node crashes.
    Crash { node: NodeId, cause: Crash },
    /// A crashed node is back; its sessions reconnect.
    Restart { node: NodeId, cause: Crash },
    /// ZenMonitor on guild node `node` delivers its next batch of `:DOWN` notifications.
    ZenSweep { node: NodeId },
    /// Guilds with passive members publish their digests.
    DigestTick,
    /// A candidate open of guild `guild` by one of its passive members' users (`behaviour.rs`).
    UserOpens { guild: u32 },
    /// A candidate open of guild `guild` in response to an announcement.
    UserWakes { guild: u32 },
    /// The user of membership `slot` stops looking at the guild.
    UserLeaves { slot: u32 },
}

const _: () = assert!(std::mem::size_of::<Event>() <= 16);

/// Why a node crashes: the restart of storm number `i` (`workload.storms[i]`), or its memory
/// passing the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Crash {
    Storm(u32),
    Memory,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_fits_in_sixteen_bytes_and_processes_compare_by_kind_and_index() {
        assert!(std::mem::size_of::<Event>() <= 16);
        assert_eq!(ProcRef::Guild(GuildId(3)), ProcRef::Guild(GuildId(3)));
        assert_ne!(ProcRef::Guild(GuildId(3)), ProcRef::Session(SessionId(3)));
        assert_ne!(ProcRef::Service(3), ProcRef::Guild(GuildId(3)));
        assert_ne!(Crash::Storm(0), Crash::Memory);
        let slice = Event::SliceEnd {
            proc: ProcRef::Service(1),
            epoch: 2,
        };
        assert_ne!(
            slice,
            Event::SliceEnd {
                proc: ProcRef::Service(1),
                epoch: 3
            }
        );
    }
}
