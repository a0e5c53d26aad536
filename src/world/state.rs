//! The world's state (the arenas) and the event dispatch.

use super::event::{Event, ProcRef};
use super::ids::{GuildId, NodeId, SessionId};
use super::mailbox::{Mailbox, MailboxArena, Msg};
use super::publish::Publisher;
use crate::metrics::Recorder;
use crate::sim::rng::StreamRng;
use crate::sim::{Dist, EventQueue, Model, Nanos};
use std::collections::VecDeque;

/// Model parameters after validation, in engine units.
pub struct Params {
    pub send_local: Dist,
    pub send_remote: Dist,
    pub session_receive: Dist,
    pub time_slice: Nanos,
    pub horizon: Nanos,
    /// Deliveries to sessions that are never busy are recorded in closed form instead of
    /// going through the event queue.
    pub fold_deliveries: bool,
    /// One-way latency between nodes, row-major `from * nodes + to`.
    pub latency: Vec<Nanos>,
}

/// Whether a process is waiting for messages, for a scheduler, or running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    Idle,
    Waiting,
    Running,
}

/// What every process has: a mailbox and a run state.
#[derive(Clone, Copy, Debug)]
pub struct ProcCore {
    pub mailbox: Mailbox,
    pub state: RunState,
}

impl Default for ProcCore {
    fn default() -> Self {
        Self {
            mailbox: Mailbox::default(),
            state: RunState::Idle,
        }
    }
}

/// A machine: its schedulers and the processes waiting for one.
pub struct Node {
    pub name: String,
    pub schedulers: u32,
    pub running: u32,
    pub run_queue: VecDeque<ProcRef>,
    pub hosts_guilds: bool,
    pub hosts_sessions: bool,
}

/// A guild process. Its members are `members[first .. first + len]`.
pub struct Guild {
    pub node: NodeId,
    pub first: u32,
    pub len: u32,
    pub core: ProcCore,
    /// The publish at the head of the mailbox is being fanned out.
    pub in_progress: bool,
    /// Next member to send to, as an offset from `first`.
    pub next: u32,
    /// When the guild started handling the publish in progress.
    pub started: Nanos,
}

pub struct World {
    pub params: Params,
    pub nodes: Vec<Node>,
    pub guilds: Vec<Guild>,
    /// Guild memberships, grouped by guild (compressed sparse rows).
    pub members: Vec<SessionId>,
    /// The node of each session (kept apart: it is read on every send).
    pub session_node: Vec<NodeId>,
    pub sessions: Vec<ProcCore>,
    pub mailboxes: MailboxArena,
    pub costs_rng: StreamRng,
    pub publisher: Publisher,
    pub rec: Recorder,
    /// Deliveries recorded in closed form (they count as events).
    pub folded: u64,
    /// Latest arrival time among them.
    pub folded_until: Nanos,
}

impl World {
    /// Schedules the workload's first events.
    pub fn start(&mut self, queue: &mut EventQueue<Event>) {
        self.publisher.start(queue);
    }

    #[inline]
    pub fn latency(&self, from: NodeId, to: NodeId) -> Nanos {
        self.params.latency[from.index() * self.nodes.len() + to.index()]
    }

    pub fn node_of(&self, p: ProcRef) -> NodeId {
        match p {
            ProcRef::Guild(g) => self.guilds[g.index()].node,
            ProcRef::Session(s) => self.session_node[s.index()],
        }
    }

    pub fn core(&mut self, p: ProcRef) -> &mut ProcCore {
        match p {
            ProcRef::Guild(g) => &mut self.guilds[g.index()].core,
            ProcRef::Session(s) => &mut self.sessions[s.index()],
        }
    }

    /// A publish arrives in guild `g`'s mailbox.
    pub fn publish_arrives(&mut self, g: GuildId, now: Nanos, queue: &mut EventQueue<Event>) {
        let guild = &mut self.guilds[g.index()];
        self.mailboxes
            .push(&mut guild.core.mailbox, Msg::Publish { publish_time: now });
        let depth = guild.core.mailbox.len();
        let idle = guild.core.state == RunState::Idle;
        self.rec.publish_arrived(now, depth);
        if idle {
            self.wake(ProcRef::Guild(g), now, queue);
        }
    }

    /// An event published at `publish_time` reaches session `s` at `arrival`: recorded in
    /// closed form when the session cannot be busy, otherwise sent through the queue.
    #[inline]
    pub fn deliver(
        &mut self,
        s: SessionId,
        arrival: Nanos,
        publish_time: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        if self.params.fold_deliveries {
            if arrival <= self.params.horizon {
                self.rec.delivery(arrival, publish_time);
                self.folded += 1;
                self.folded_until = self.folded_until.max(arrival);
            }
        } else {
            queue.schedule(
                arrival,
                Event::Deliver {
                    session: s,
                    publish_time,
                },
            );
        }
    }

    fn delivery_arrives(
        &mut self,
        s: SessionId,
        publish_time: Nanos,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        if self.params.session_receive.is_zero() {
            self.rec.delivery(now, publish_time);
            return;
        }
        let core = &mut self.sessions[s.index()];
        self.mailboxes
            .push(&mut core.mailbox, Msg::Delivery { publish_time });
        if core.state == RunState::Idle {
            self.wake(ProcRef::Session(s), now, queue);
        }
    }

    /// Runs one slice of `p`'s work starting at `now`; returns when it ends.
    pub fn run_slice(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) -> Nanos {
        match p {
            ProcRef::Guild(g) => self.guild_slice(g, now, queue),
            ProcRef::Session(_) => now + self.params.session_receive.sample(&mut self.costs_rng),
        }
    }

    /// The slice of `p` that started earlier ended at `now`: finish the message if done.
    pub fn finish_slice(&mut self, p: ProcRef, now: Nanos) {
        match p {
            ProcRef::Guild(g) => self.guild_slice_done(g, now),
            ProcRef::Session(s) => {
                let core = &mut self.sessions[s.index()];
                match self.mailboxes.pop(&mut core.mailbox) {
                    Some(Msg::Delivery { publish_time }) => self.rec.delivery(now, publish_time),
                    other => unreachable!("session handled {other:?}"),
                }
            }
        }
    }
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, now: Nanos, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::NextPublish => {
                if let Some(g) = self.publisher.next_publish(now, queue) {
                    self.publish_arrives(g, now, queue);
                }
            }
            Event::Burst { index } => {
                let (g, count) = self.publisher.burst(index);
                for _ in 0..count {
                    self.publish_arrives(g, now, queue);
                }
            }
            Event::SliceEnd { proc } => self.slice_end(proc, now, queue),
            Event::Deliver {
                session,
                publish_time,
            } => self.delivery_arrives(session, publish_time, now, queue),
        }
    }

    fn folded_events(&self) -> u64 {
        self.folded
    }
}
