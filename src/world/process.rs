//! What every process has: a mailbox, a run state, and the progress of the message it is
//! handling.

use super::mailbox::Mailbox;
use crate::sim::Nanos;

/// Whether a process is waiting for messages, for a scheduler, running, or suspended on a
/// full distribution buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunState {
    Idle,
    Waiting,
    Running,
    Suspended,
}

/// What every process has: a mailbox and a run state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProcCore {
    pub(crate) mailbox: Mailbox,
    pub(crate) state: RunState,
}

impl Default for ProcCore {
    fn default() -> Self {
        Self {
            mailbox: Mailbox::default(),
            state: RunState::Idle,
        }
    }
}

/// Progress of the message a process is handling.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Work {
    /// The message at the head of the mailbox is being handled.
    pub(crate) active: bool,
    /// Next recipient, group or node run, depending on the process.
    pub(crate) next: u32,
    /// When handling started.
    pub(crate) started: Nanos,
    /// Sends made so far for this message.
    pub(crate) sends: u32,
    /// Members this message is for (fan-out size).
    pub(crate) recipients: u32,
    /// Every send of this message is done.
    pub(crate) done: bool,
    /// Suspended on a full distribution buffer until then.
    pub(crate) suspended_until: Nanos,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn every_process_is_idle_with_an_empty_mailbox_before_and_after_a_run() {
        let r = Tiny::new(&[5])
            .set("model.fanout.strategy", "manifold")
            .publish_at(0.1)
            .run();
        assert_eq!(r.summary.deliveries_total, 5);
        let w = &r.world;
        let cores = w
            .guilds
            .iter()
            .map(|g| g.core)
            .chain(w.sessions.iter().map(|s| s.core))
            .chain(w.services.iter().map(|s| s.core));
        for core in cores {
            assert_eq!(core.state, RunState::Idle);
            assert!(core.mailbox.is_empty());
        }
        // Work is reset when a message is done.
        assert!(!w.guilds[0].work.active);
        assert_eq!(w.guilds[0].work.sends, 0);
        let default = ProcCore::default();
        assert_eq!((default.state, default.mailbox.len()), (RunState::Idle, 0));
    }
}
