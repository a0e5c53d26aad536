//! Process mailboxes: FIFO queues threaded through one shared slab, so that a process costs
//! a 12-byte header and no heap allocation of its own. A message in flight between processes
//! sits in a detached slot of the same slab until it arrives and is linked into a mailbox.

use super::ids::SessionId;
use super::sends::Outgoing;
use crate::sim::Nanos;

/// A message waiting in (or being handled at the head of) a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Msg {
    /// Guild: fan this event out: a chat event, a presence update about a member (not sent
    /// to it) or a digest for the passive members ([`Origin`]).
    Publish { publish_time: Nanos, origin: Origin },
    /// Guild: the member in membership `slot` joins (publishes its presence).
    Join { slot: u32, publish_time: Nanos },
    /// Guild: the member in membership `slot` is gone (publishes its absence).
    Leave { slot: u32, publish_time: Nanos },
    /// Session: an event to handle.
    Delivery {
        slot: u32,
        presence: bool,
        publish_time: Nanos,
    },
    /// Manifold sender, partitioner or worker: one publish of `guild`, for the members that
    /// had joined before join number `snapshot` (`origin` as in `Publish`).
    Batch {
        guild: u32,
        snapshot: u32,
        origin: Origin,
        presence: bool,
        publish_time: Nanos,
    },
    /// Manifold partitioner: one publish for the `groups` groups (one per worker) of its
    /// node, `groups[first_group..]`.
    NodeBatch {
        first_group: u32,
        groups: u16,
        snapshot: u32,
        origin: Origin,
        presence: bool,
        publish_time: Nanos,
    },
    /// Manifold worker: the part of a batch for the members of group `group`.
    WorkerBatch {
        group: u32,
        snapshot: u32,
        origin: Origin,
        presence: bool,
        publish_time: Nanos,
    },
    /// Registry: which process is this guild? Reply to `session`'s call `token`.
    RegistryCall { session: SessionId, token: u32 },
    /// Ring process: which node has this guild? Reply to `session`'s call `token`.
    RingCall { session: SessionId, token: u32 },
    /// Relay: a member of its guild joined or left; update what it holds.
    RelayUpdate,
    /// Guild: the relay of group `group` restarted and asks for what it holds; relay: the
    /// guild's reply, to rebuild from.
    RelayResync { group: u32 },
    /// Relay: the user of membership `slot`, which missed `missed` messages, opened the guild
    /// at `opened`: send it what it must catch up on (`behaviour.rs`).
    SyncRequest {
        slot: u32,
        missed: u32,
        opened: Nanos,
    },
    /// Session: the reply to its sync, `bytes` long, for the open at `opened`.
    SyncReply {
        slot: u32,
        bytes: u32,
        opened: Nanos,
    },
}

// Messages fill the mailbox slab: keep them small.
const _: () = assert!(std::mem::size_of::<Msg>() <= 24);

/// Manifold's batches: the event each carries, built and read as one `Outgoing`.
impl Msg {
    pub(crate) fn batch(guild: u32, out: Outgoing) -> Msg {
        let Outgoing {
            publish_time,
            origin,
            presence,
            snapshot,
        } = out;
        Msg::Batch {
            guild,
            snapshot,
            origin,
            presence,
            publish_time,
        }
    }

    pub(crate) fn node_batch(first_group: u32, groups: u16, out: Outgoing) -> Msg {
        let Outgoing {
            publish_time,
            origin,
            presence,
            snapshot,
        } = out;
        Msg::NodeBatch {
            first_group,
            groups,
            snapshot,
            origin,
            presence,
            publish_time,
        }
    }

    pub(crate) fn worker_batch(group: u32, out: Outgoing) -> Msg {
        let Outgoing {
            publish_time,
            origin,
            presence,
            snapshot,
        } = out;
        Msg::WorkerBatch {
            group,
            snapshot,
            origin,
            presence,
            publish_time,
        }
    }

    /// The event a batch carries; `None` for the other messages.
    pub(crate) fn outgoing(&self) -> Option<Outgoing> {
        match *self {
            Msg::Batch {
                snapshot,
                origin,
                presence,
                publish_time,
                ..
            }
            | Msg::NodeBatch {
                snapshot,
                origin,
                presence,
                publish_time,
                ..
            }
            | Msg::WorkerBatch {
                snapshot,
                origin,
                presence,
                publish_time,
                ..
            } => Some(Outgoing {
                publish_time,
                origin,
                presence,
                snapshot,
            }),
            _ => None,
        }
    }
}

/// Whom an event is about: nobody (a chat event, which every online member receives), the
/// member in a membership slot (a presence update, not sent to that member), or the passive
/// members (a digest of the chat they missed, sent to them only).
///
/// Kept as one `u32` so that messages stay within 24 bytes: membership slots are below 2^31,
/// and the two largest values stand for a chat event and a digest. Nothing outside this type
/// knows that: [`Origin::about`] gives the three cases, and [`Origin::raw`] is only for a send
/// loop that skips a presence update's member by comparing slots (a slot equals only its own
/// member's origin, never a chat event's or a digest's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin(u32);

/// What an [`Origin`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum About {
    Chat,
    Member(u32),
    Digest,
}

impl Origin {
    /// A chat event, about no member.
    pub(crate) const CHAT: Origin = Origin(u32::MAX);
    /// A digest for the passive members.
    pub(crate) const DIGEST: Origin = Origin(u32::MAX - 1);

    /// A presence update about the member in membership `slot`.
    #[inline]
    pub(crate) fn member(slot: u32) -> Origin {
        debug_assert!(slot < Self::DIGEST.0, "a membership slot");
        Origin(slot)
    }

    #[inline]
    pub(crate) fn about(self) -> About {
        match self {
            Self::CHAT => About::Chat,
            Self::DIGEST => About::Digest,
            Origin(slot) => About::Member(slot),
        }
    }

    /// The member's membership slot, for a presence update.
    #[inline]
    pub(crate) fn slot(self) -> Option<u32> {
        match self.about() {
            About::Member(slot) => Some(slot),
            About::Chat | About::Digest => None,
        }
    }

    #[inline]
    pub(crate) fn is_member(self) -> bool {
        self.0 < Self::DIGEST.0
    }

    /// The stored value: equal to a membership slot only for that member's own origin.
    #[inline]
    pub(crate) fn raw(self) -> u32 {
        self.0
    }
}

const NIL: u32 = u32::MAX;

/// The head of one process's mailbox.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mailbox {
    head: u32,
    tail: u32,
    len: u32,
}

impl Default for Mailbox {
    fn default() -> Self {
        Self {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

impl Mailbox {
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

struct Slot {
    msg: Msg,
    next: u32,
}

/// Storage for every mailbox's messages, with a free list.
pub(crate) struct MailboxArena {
    slots: Vec<Slot>,
    free: u32,
    live: usize,
}

impl Default for MailboxArena {
    fn default() -> Self {
        Self::new()
    }
}

impl MailboxArena {
    pub(crate) fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: NIL,
            live: 0,
        }
    }

    /// Stores `msg` in a slot that belongs to no mailbox yet (a message in flight).
    #[inline]
    pub(crate) fn detach(&mut self, msg: Msg) -> u32 {
        self.live += 1;
        if self.free != NIL {
            let i = self.free;
            self.free = self.slots[i as usize].next;
            self.slots[i as usize] = Slot { msg, next: NIL };
            i
        } else {
            assert!(self.slots.len() < NIL as usize, "mailbox arena full");
            self.slots.push(Slot { msg, next: NIL });
            (self.slots.len() - 1) as u32
        }
    }

    /// The message in slot `slot`.
    #[inline]
    pub(crate) fn msg(&self, slot: u32) -> Msg {
        self.slots[slot as usize].msg
    }

    /// Replaces the message in slot `slot`.
    #[inline]
    pub(crate) fn set_msg(&mut self, slot: u32, msg: Msg) {
        self.slots[slot as usize].msg = msg;
    }

    /// Appends the detached slot `slot` to the back of `mailbox`.
    #[inline]
    pub(crate) fn link(&mut self, mailbox: &mut Mailbox, slot: u32) {
        self.slots[slot as usize].next = NIL;
        if mailbox.tail == NIL {
            mailbox.head = slot;
        } else {
            self.slots[mailbox.tail as usize].next = slot;
        }
        mailbox.tail = slot;
        mailbox.len += 1;
    }

    /// Frees a detached slot (a message that will never arrive).
    #[inline]
    pub(crate) fn release(&mut self, slot: u32) {
        self.slots[slot as usize].next = self.free;
        self.free = slot;
        self.live -= 1;
    }

    /// Appends `msg` to the back of `mailbox`.
    #[inline]
    #[cfg(test)]
    pub(crate) fn push(&mut self, mailbox: &mut Mailbox, msg: Msg) {
        let slot = self.detach(msg);
        self.link(mailbox, slot);
    }

    /// The message at the front of `mailbox`.
    #[inline]
    pub(crate) fn front(&self, mailbox: &Mailbox) -> Option<Msg> {
        (mailbox.head != NIL).then(|| self.slots[mailbox.head as usize].msg)
    }

    /// Removes and returns the front message.
    #[inline]
    pub(crate) fn pop(&mut self, mailbox: &mut Mailbox) -> Option<Msg> {
        if mailbox.head == NIL {
            return None;
        }
        let i = mailbox.head;
        let slot = &mut self.slots[i as usize];
        let msg = slot.msg;
        mailbox.head = slot.next;
        slot.next = self.free;
        self.free = i;
        if mailbox.head == NIL {
            mailbox.tail = NIL;
        }
        mailbox.len -= 1;
        self.live -= 1;
        Some(msg)
    }

    /// Messages held in all mailboxes and in flight.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(t: Nanos) -> Msg {
        Msg::Publish {
            publish_time: t,
            origin: Origin::CHAT,
        }
    }

    #[test]
    fn mailboxes_are_independent_fifos_over_shared_slots() {
        let mut arena = MailboxArena::new();
        let (mut a, mut b) = (Mailbox::default(), Mailbox::default());
        for t in 0..5 {
            arena.push(&mut a, publish(t));
            arena.push(&mut b, publish(100 + t));
        }
        assert_eq!(arena.pop(&mut a), Some(publish(0)));
        assert_eq!(arena.pop(&mut a), Some(publish(1)));
        // Freed slots are reused without disturbing order.
        arena.push(&mut a, publish(5));
        let rest: Vec<_> = std::iter::from_fn(|| arena.pop(&mut a)).collect();
        assert_eq!(rest, (2..6).map(publish).collect::<Vec<_>>());
        assert_eq!(b.len(), 5);
        assert_eq!(arena.front(&b), Some(publish(100)));
        assert_eq!(arena.live(), 5);
        assert_eq!(arena.slots.len(), 10);
    }

    #[test]
    fn detached_messages_join_a_mailbox_on_arrival() {
        let mut arena = MailboxArena::new();
        let mut m = Mailbox::default();
        arena.push(&mut m, publish(1));
        let in_flight = arena.detach(publish(2));
        let dropped = arena.detach(publish(3));
        arena.release(dropped);
        arena.link(&mut m, in_flight);
        assert_eq!(arena.live(), 2);
        assert_eq!(arena.pop(&mut m), Some(publish(1)));
        assert_eq!(arena.pop(&mut m), Some(publish(2)));
        assert!(m.is_empty());
    }
}
