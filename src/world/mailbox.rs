//! Process mailboxes: FIFO queues threaded through one shared slab, so that a process costs
//! a 12-byte header and no heap allocation of its own.

use crate::sim::Nanos;

/// A message waiting in (or being handled at the head of) a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Fan this event out to the guild's members.
    Publish { publish_time: Nanos },
    /// A guild's event for a session to handle.
    Delivery { publish_time: Nanos },
}

const NIL: u32 = u32::MAX;

/// The head of one process's mailbox.
#[derive(Clone, Copy, Debug)]
pub struct Mailbox {
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
    pub fn len(&self) -> u32 {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

struct Slot {
    msg: Msg,
    next: u32,
}

/// Storage for every mailbox's messages, with a free list.
pub struct MailboxArena {
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
    pub fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: NIL,
            live: 0,
        }
    }

    /// Appends `msg` to the back of `mailbox`.
    #[inline]
    pub fn push(&mut self, mailbox: &mut Mailbox, msg: Msg) {
        let slot = if self.free != NIL {
            let i = self.free;
            self.free = self.slots[i as usize].next;
            self.slots[i as usize] = Slot { msg, next: NIL };
            i
        } else {
            assert!(self.slots.len() < NIL as usize, "mailbox arena full");
            self.slots.push(Slot { msg, next: NIL });
            (self.slots.len() - 1) as u32
        };
        if mailbox.tail == NIL {
            mailbox.head = slot;
        } else {
            self.slots[mailbox.tail as usize].next = slot;
        }
        mailbox.tail = slot;
        mailbox.len += 1;
        self.live += 1;
    }

    /// The message at the front of `mailbox`.
    #[inline]
    pub fn front(&self, mailbox: &Mailbox) -> Option<Msg> {
        (mailbox.head != NIL).then(|| self.slots[mailbox.head as usize].msg)
    }

    /// Removes and returns the front message.
    #[inline]
    pub fn pop(&mut self, mailbox: &mut Mailbox) -> Option<Msg> {
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

    /// Messages held in all mailboxes.
    pub fn live(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_are_independent_fifos_over_shared_slots() {
        let mut arena = MailboxArena::new();
        let (mut a, mut b) = (Mailbox::default(), Mailbox::default());
        for t in 0..5 {
            arena.push(&mut a, Msg::Publish { publish_time: t });
            arena.push(
                &mut b,
                Msg::Delivery {
                    publish_time: 100 + t,
                },
            );
        }
        assert_eq!(arena.pop(&mut a), Some(Msg::Publish { publish_time: 0 }));
        assert_eq!(arena.pop(&mut a), Some(Msg::Publish { publish_time: 1 }));
        // Freed slots are reused without disturbing order.
        arena.push(&mut a, Msg::Publish { publish_time: 5 });
        let rest: Vec<_> = std::iter::from_fn(|| arena.pop(&mut a)).collect();
        assert_eq!(
            rest,
            (2..6)
                .map(|t| Msg::Publish { publish_time: t })
                .collect::<Vec<_>>()
        );
        assert_eq!(b.len(), 5);
        assert_eq!(arena.front(&b), Some(Msg::Delivery { publish_time: 100 }));
        assert_eq!(arena.live(), 5);
        assert_eq!(arena.slots.len(), 10);
    }
}
