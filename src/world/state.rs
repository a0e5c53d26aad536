//! The world's state (the arenas), the parameters, and the event dispatch.

use super::channel::Channels;
use super::event::{Event, ProcRef};
use super::fanout::Fanout;
use super::ids::{GuildId, NodeId, SessionId};
use super::mailbox::{MailboxArena, Msg};
use super::node::Node;
use super::process::{ProcCore, RunState, Work};
use super::publish::Publisher;
use crate::metrics::Recorder;
use crate::metrics::recorder::ProcessKind;
use crate::sim::rng::StreamRng;
use crate::sim::{Dist, EventQueue, Model, Nanos};

/// `Msg::SyncReply::opened` of a digest written to a passive session's client.
pub(crate) const DIGEST_OUT: Nanos = Nanos::MAX;

/// `member_joined` of a member that is not joined.
pub(crate) const NOT_JOINED: u32 = u32::MAX;
/// `member_info` flag: the member's session is online.
pub(crate) const ONLINE_BIT: u32 = 1 << 31;

impl Params {
    /// Sessions spend time on what they deliver (a cost per event or per byte).
    pub(crate) fn sessions_busy(&self) -> bool {
        !self.session_receive.is_zero() || self.session_per_byte > 0.0
    }

    /// A session's time to write `bytes` out to its client.
    pub(crate) fn bytes_cost(&self, bytes: u64) -> Nanos {
        (self.session_per_byte * bytes as f64).round() as Nanos
    }
}

/// Model parameters after validation, in engine units.
pub struct Params {
    pub(crate) send_local: Dist,
    pub(crate) send_remote: Dist,
    pub(crate) session_receive: Dist,
    /// A session's time per byte it sends to its client: serialising and compressing (ns).
    pub(crate) session_per_byte: f64,
    /// Bytes before compression over bytes sent to clients.
    pub(crate) compression_ratio: f64,
    pub(crate) encode: Dist,
    pub(crate) guild_join: Dist,
    /// Time per member to find an event's recipients (`costs.permission_check_us`).
    pub(crate) permission_check: Nanos,
    pub(crate) time_slice: Nanos,
    pub(crate) horizon: Nanos,
    /// Deliveries to online sessions that are never busy are recorded in closed form
    /// instead of going through the event queue.
    pub(crate) fold_deliveries: bool,
    /// One-way latency between nodes, row-major `from * nodes + to`.
    pub(crate) latency: Vec<Nanos>,
    pub(crate) event_bytes: u64,
    pub(crate) presence_bytes: u64,
    pub(crate) call_bytes: u64,
    pub(crate) recipient_bytes: u64,
    pub(crate) presence_on_join: bool,
    pub(crate) presence_on_leave: bool,
    pub(crate) presence_max_online: Option<u32>,
    pub(crate) session_bytes: u64,
    pub memory_limit: Option<u64>,
    pub(crate) memory_restart: Nanos,
    pub(crate) memory_reconnect_jitter: Nanos,
    /// Record, per membership, the last publish time delivered, and count order violations.
    pub(crate) check_order: bool,
    /// Keep slice ends that only give the scheduler back out of the queue (`deferred.rs`);
    /// not with an event budget.
    pub(crate) defer_slice_ends: bool,
    /// When fan-out send costs are drawn, and the key of those draws (`costs.rs`).
    pub(crate) send_draw: super::costs::Draw,
    pub(crate) cost_key: u64,
}

/// A guild process. Its members are membership slots `first .. first + len`.
pub struct Guild {
    pub(crate) node: NodeId,
    pub(crate) first: u32,
    pub len: u32,
    pub(crate) core: ProcCore,
    pub(crate) work: Work,
    /// Joins handled so far: a member's `member_joined` is the value this had at its join.
    pub(crate) join_seq: u32,
    /// Members currently joined.
    pub online: u32,
    /// With a grouped fan-out, this guild's groups are
    /// `groups[groups_first .. groups_first + groups_len]` (`fanout/groups.rs`).
    pub(crate) groups_first: u32,
    pub(crate) groups_len: u32,
    /// Members `first .. first + active` are active (all of them unless the guild has passive
    /// sessions, `passive.rs`), and so are the members of its first `active_groups` groups.
    pub(crate) active: u32,
    pub(crate) active_groups: u32,
}

/// A process other than a guild or a session: a fan-out strategy's, a registry or a ring
/// process.
pub(crate) struct Service {
    pub(crate) core: ProcCore,
    pub(crate) node: NodeId,
    pub(crate) kind: ProcessKind,
    /// Its number among its node's processes of its kind (a Manifold worker's index also
    /// places it), for names in traces.
    pub(crate) number: u32,
    pub(crate) work: Work,
}

/// Where a session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Offline,
    /// Joining its guilds one after another; deliveries wait in its mailbox.
    Connecting,
    Online,
}

/// What a connecting session does next when it gets a scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Nothing,
    /// Look the guild up on the ring in its own process (ets, fastglobal), then call the registry.
    Lookup,
    /// Ask the node's ring process.
    RingCall,
    /// Call the guild node's registry.
    RegistryCall,
    /// Send the join to the guild.
    SendJoin,
}

/// What a connecting session is blocked on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    Nothing,
    Ring,
    Registry,
    Backoff,
}

/// A session process.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Session {
    pub(crate) core: ProcCore,
    /// The current call or backoff; replies and timeouts with another token are stale.
    pub(crate) token: u32,
    /// Index, in its guild list, of the guild it is joining.
    pub(crate) cursor: u16,
    pub(crate) phase: Phase,
    pub(crate) step: Step,
    /// A step asked for while the session held its scheduler (a retry due at the very instant
    /// its slice ends): taken as soon as that slice is done, never lost.
    pub(crate) pending: Step,
    pub(crate) wait: Wait,
    pub(crate) attempt: u8,
}

pub struct World {
    pub params: Params,
    pub nodes: Vec<Node>,
    pub guilds: Vec<Guild>,
    /// Membership slots, grouped by guild: the member's session, and the join number at
    /// which it joined (`NOT_JOINED` when it is not joined).
    pub member_session: Vec<SessionId>,
    pub(crate) member_joined: Vec<u32>,
    /// Per membership slot, a copy of what a send reads about the member's session, so a
    /// fan-out walks its members' arrays in order: the node (low 16 bits) and whether the
    /// session is online (`ONLINE_BIT`).
    pub(crate) member_info: Vec<u32>,
    /// With a grouped fan-out: each guild's slots in group order, and its groups
    /// (`fanout/groups.rs`).
    pub(crate) by_node: Vec<u32>,
    pub(crate) groups: Vec<super::fanout::groups::Group>,
    pub(crate) sessions: Vec<Session>,
    /// The node of each session (kept apart: it is read on every send).
    pub session_node: Vec<NodeId>,
    /// Session `s`'s membership slots are `session_slots[session_first[s]..session_first[s + 1]]`.
    pub(crate) session_first: Vec<u32>,
    pub(crate) session_slots: Vec<u32>,
    /// Sessions grouped by node (see `Node::sessions_first`).
    pub(crate) node_sessions: Vec<SessionId>,
    pub(crate) services: Vec<Service>,
    pub(crate) mailboxes: MailboxArena,
    pub channels: Channels,
    pub(crate) costs_rng: StreamRng,
    pub(crate) faults_rng: StreamRng,
    pub(crate) publisher: Publisher,
    /// Connection waves (login storms, restarts).
    pub(crate) waves: Vec<super::faults::Wave>,
    /// Storm crashes: (node, down time, reconnect jitter).
    pub(crate) storm_crashes: Vec<(NodeId, Nanos, Nanos)>,
    pub rec: Recorder,
    /// Deliveries recorded in closed form (they count as events).
    pub(crate) folded: u64,
    /// Closed-form events the event being handled may still account for (the event budget's
    /// room; `u32::MAX` without a budget).
    pub(crate) folded_room: u32,
    /// Latest arrival time among the deliveries recorded in closed form.
    pub(crate) folded_until: Nanos,
    /// Some delivery in closed form arrives after the horizon (so the run stops there, as it
    /// would with that delivery in the queue).
    pub(crate) folded_late: bool,
    pub(crate) sessions_online: u32,
    pub(crate) sessions_online_at_start: u32,
    /// The ring of guild nodes, and each guild's key on it.
    pub(crate) ring: super::ring::Ring,
    pub(crate) ring_key: u64,
    /// Per membership slot: last publish time delivered (only with `check_order`).
    pub(crate) last_delivered: Vec<Nanos>,
    /// The fan-out strategy and its state (`fanout/`).
    pub(crate) fanout: Fanout,
    /// Slice ends kept out of the queue (`deferred.rs`).
    pub(crate) deferrals: super::deferred::Deferrals,
    /// Guild registries (`registry.rs`) and ring lookups (`lookup.rs`).
    pub registries: super::registry::Registries,
    pub(crate) lookups: super::lookup::Lookups,
    /// The optional mechanisms, each in its own module: passive sessions (`passive.rs`), the
    /// member list (`member_list.rs`), ZenMonitor (`zen_monitor.rs`).
    pub(crate) passive: Option<super::passive::Passive>,
    /// Users who open and leave their guilds, with passive sessions (`behaviour.rs`).
    pub(crate) behaviour: Option<super::behaviour::Behaviour>,
    pub(crate) member_list: Option<super::member_list::MemberList>,
    pub(crate) zen: Option<super::zen_monitor::ZenMonitor>,
    /// Guild processes' heaps and garbage collections (`gc.rs`), with `model.gc`.
    pub(crate) gc: Option<super::gc::Gc>,
    /// What an `@everyone` costs, and whether workers take it (`everyone.rs`).
    pub(crate) everyone: super::everyone::EveryoneParams,
    /// Per mailbox slot holding a Manifold batch in flight: its recipients, counted as
    /// dropped if it reaches a crashed node (see `losses.rs`).
    pub(crate) batch_recipients: Vec<u32>,
    /// The timeline trace being taken, if any (`tracing.rs`).
    pub trace: Option<Box<crate::metrics::trace::Trace>>,
}

impl World {
    /// Schedules the workload's first events.
    pub(crate) fn start(&mut self, queue: &mut EventQueue<Event>) {
        self.publisher.start(queue);
    }

    /// When a slice of work starting at `now` on `node` must end: after about one time
    /// slice, or never on a node that cannot be contended (slicing would change nothing).
    #[inline]
    pub(crate) fn slice_deadline(&self, node: NodeId, now: Nanos) -> Nanos {
        if self.nodes[node.index()].uncontended {
            Nanos::MAX
        } else {
            now.saturating_add(self.params.time_slice)
        }
    }

    #[inline]
    pub(crate) fn latency(&self, from: NodeId, to: NodeId) -> Nanos {
        self.params.latency[from.index() * self.nodes.len() + to.index()]
    }

    pub(crate) fn node_of(&self, p: ProcRef) -> NodeId {
        match p {
            ProcRef::Guild(g) => self.guilds[g.index()].node,
            ProcRef::Session(s) => self.session_node[s.index()],
            ProcRef::Service(i) => self.services[i as usize].node,
        }
    }

    pub(crate) fn core(&mut self, p: ProcRef) -> &mut ProcCore {
        match p {
            ProcRef::Guild(g) => &mut self.guilds[g.index()].core,
            ProcRef::Session(s) => &mut self.sessions[s.index()].core,
            ProcRef::Service(i) => &mut self.services[i as usize].core,
        }
    }

    /// The guild that owns membership slot `slot`.
    pub(crate) fn guild_of_slot(&self, slot: u32) -> GuildId {
        GuildId((self.guilds.partition_point(|g| g.first <= slot) - 1) as u32)
    }

    /// Session `s`'s membership slots.
    pub(crate) fn slots_of(&self, s: SessionId) -> std::ops::Range<usize> {
        self.session_first[s.index()] as usize..self.session_first[s.index() + 1] as usize
    }

    /// Bytes a message occupies in a mailbox.
    pub(crate) fn msg_bytes(&self, msg: &Msg) -> u64 {
        match msg {
            Msg::Publish { origin, .. } => {
                if !origin.is_member() {
                    self.params.event_bytes
                } else {
                    self.params.presence_bytes
                }
            }
            Msg::Delivery { presence, .. }
            | Msg::Batch { presence, .. }
            | Msg::NodeBatch { presence, .. }
            | Msg::WorkerBatch { presence, .. } => {
                if *presence {
                    self.params.presence_bytes
                } else {
                    self.params.event_bytes
                }
            }
            Msg::Join { .. }
            | Msg::Leave { .. }
            | Msg::RegistryCall { .. }
            | Msg::RingCall { .. }
            | Msg::RelayUpdate
            | Msg::RelayResync { .. }
            | Msg::SyncRequest { .. } => self.params.call_bytes,
            Msg::SyncReply { bytes, .. } => *bytes as u64,
        }
    }

    /// Sends `msg` to `to`, arriving at `at`.
    #[inline]
    pub(crate) fn send_msg(
        &mut self,
        to: ProcRef,
        msg: Msg,
        at: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let slot = self.mailboxes.detach(msg);
        self.trace_message(to, at);
        queue.schedule(at, Event::MsgArrive { to, slot });
    }

    /// A message in flight reaches its process at `now`.
    fn msg_arrives(&mut self, to: ProcRef, slot: u32, now: Nanos, queue: &mut EventQueue<Event>) {
        let node = self.node_of(to);
        if !self.nodes[node.index()].up {
            self.rec.deliveries_dropped += self.lost_in_flight(slot);
            self.mailboxes.release(slot);
            return;
        }
        // Joins and leaves are stamped with their arrival: the presence update starts there.
        match self.mailboxes.msg(slot) {
            Msg::Join { slot: member, .. } => self.mailboxes.set_msg(
                slot,
                Msg::Join {
                    slot: member,
                    publish_time: now,
                },
            ),
            Msg::Leave { slot: member, .. } => self.mailboxes.set_msg(
                slot,
                Msg::Leave {
                    slot: member,
                    publish_time: now,
                },
            ),
            _ => {}
        }
        self.link_and_wake(to, slot, now, queue);
    }

    /// Puts `msg` in `to`'s mailbox now.
    pub(crate) fn enqueue(
        &mut self,
        to: ProcRef,
        msg: Msg,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let slot = self.mailboxes.detach(msg);
        self.link_and_wake(to, slot, now, queue);
    }

    fn link_and_wake(&mut self, to: ProcRef, slot: u32, now: Nanos, queue: &mut EventQueue<Event>) {
        // A slice end kept out of the queue now has work to do: it goes in the queue.
        if let ProcRef::Service(_) = to {
            self.queue_kept_of(to, queue);
        }
        let msg = self.mailboxes.msg(slot);
        let bytes = self.msg_bytes(&msg);
        let node = self.node_of(to);
        let core = match to {
            ProcRef::Guild(g) => &mut self.guilds[g.index()].core,
            ProcRef::Session(s) => &mut self.sessions[s.index()].core,
            ProcRef::Service(i) => &mut self.services[i as usize].core,
        };
        self.mailboxes.link(&mut core.mailbox, slot);
        let (depth, idle) = (core.mailbox.len(), core.state == RunState::Idle);
        self.trace_mailbox(to, node, depth, now);
        self.add_memory(node, bytes as i64, now, queue);
        match to {
            ProcRef::Guild(g) => {
                self.rec.guild_mailbox_depth(now, depth);
                self.gc_mailbox(g, bytes, true);
            }
            ProcRef::Service(i) if self.services[i as usize].kind == ProcessKind::Registry => {
                self.rec.registry_depth(now, depth)
            }
            // A connecting session keeps deliveries until it is online.
            ProcRef::Session(s) => {
                self.rec.change_in_sessions(now, 1);
                if self.sessions[s.index()].phase != Phase::Online {
                    return;
                }
            }
            _ => {}
        }
        if idle {
            self.wake(to, now, queue);
        }
    }

    /// Removes the head of `p`'s mailbox (the message just handled).
    pub(crate) fn dequeue(&mut self, p: ProcRef, now: Nanos) -> Msg {
        let node = self.node_of(p);
        let core = match p {
            ProcRef::Guild(g) => &mut self.guilds[g.index()].core,
            ProcRef::Session(s) => &mut self.sessions[s.index()].core,
            ProcRef::Service(i) => &mut self.services[i as usize].core,
        };
        let msg = self
            .mailboxes
            .pop(&mut core.mailbox)
            .expect("a handled message");
        let depth = core.mailbox.len();
        let bytes = self.msg_bytes(&msg);
        let n = &mut self.nodes[node.index()];
        n.memory_queued -= bytes;
        let total = n.memory_static + n.memory_queued;
        self.rec.node_memory(node.index(), now, total);
        self.trace_memory(node, now, total);
        self.trace_mailbox(p, node, depth, now);
        match p {
            ProcRef::Guild(g) => {
                self.rec.guild_mailbox_depth(now, depth);
                self.gc_mailbox(g, bytes, false);
            }
            ProcRef::Service(i) if self.services[i as usize].kind == ProcessKind::Registry => {
                self.rec.registry_depth(now, depth)
            }
            ProcRef::Session(_) => self.rec.change_in_sessions(now, -1),
            _ => {}
        }
        msg
    }

    /// Changes `node`'s memory; past the limit a session node crashes.
    pub(crate) fn add_memory(
        &mut self,
        node: NodeId,
        queued_delta: i64,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let n = &mut self.nodes[node.index()];
        n.memory_queued = n
            .memory_queued
            .checked_add_signed(queued_delta)
            .expect("node memory underflow");
        let total = n.memory_static + n.memory_queued;
        self.rec.node_memory(node.index(), now, total);
        self.trace_memory(node, now, total);
        let n = &mut self.nodes[node.index()];
        if let Some(limit) = self.params.memory_limit
            && total > limit
            && n.up
            && !n.crash_pending
        {
            if n.hosts_guilds {
                self.rec.memory_limit_exceeded += 1;
            } else {
                n.crash_pending = true;
                queue.schedule(
                    now,
                    Event::Crash {
                        node,
                        cause: super::event::Crash::Memory,
                    },
                );
            }
        }
    }

    /// Session `s` changes its status: if it is online, each guild it has joined publishes it.
    fn presence_change(&mut self, s: SessionId, now: Nanos, queue: &mut EventQueue<Event>) {
        if self.sessions[s.index()].phase != Phase::Online {
            return;
        }
        self.rec.presence_changes += 1;
        for i in self.slots_of(s) {
            let slot = self.session_slots[i];
            if self.member_joined[slot as usize] == NOT_JOINED {
                continue;
            }
            let g = self.guild_of_slot(slot);
            let msg = Msg::Publish {
                publish_time: now,
                origin: super::mailbox::Origin::member(slot),
            };
            self.enqueue(ProcRef::Guild(g), msg, now, queue);
        }
    }

    /// A publish arrives in guild `g`'s mailbox.
    pub(crate) fn publish_arrives(
        &mut self,
        g: GuildId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        self.rec.publish_arrived(now);
        self.note_chat(g);
        let msg = Msg::Publish {
            publish_time: now,
            origin: super::mailbox::Origin::CHAT,
        };
        self.enqueue(ProcRef::Guild(g), msg, now, queue);
    }

    /// An event published at `publish_time` is sent to the member in `slot` (whose
    /// `member_info` is `info`), arriving at `arrival` (see [`super::sends::Sends::deliver`]).
    #[inline]
    pub(crate) fn deliver(
        &mut self,
        slot: u32,
        info: u32,
        arrival: Nanos,
        publish_time: Nanos,
        presence: bool,
        queue: &mut EventQueue<Event>,
    ) {
        self.sends(queue)
            .deliver(slot, info, arrival, publish_time, presence);
    }

    /// Marks every membership of session `s` online or not.
    pub(crate) fn set_member_online(&mut self, s: SessionId, online: bool) {
        for i in self.slots_of(s) {
            let slot = self.session_slots[i] as usize;
            if online {
                self.member_info[slot] |= ONLINE_BIT;
            } else {
                self.member_info[slot] &= !ONLINE_BIT;
            }
        }
    }

    #[inline]
    fn record_delivery(&mut self, slot: u32, at: Nanos, publish_time: Nanos, presence: bool) {
        self.rec.delivery(at, publish_time, presence);
        if self.params.check_order {
            let last = &mut self.last_delivered[slot as usize];
            if publish_time < *last {
                self.rec.order_violations += 1;
            }
            *last = publish_time;
        }
    }

    /// A delivery reaches its session. Sent while the session was online, it counts as
    /// received (in flight when its node crashed included); a connecting session keeps it in
    /// its mailbox until it is online; an offline one drops it.
    fn delivery_arrives(
        &mut self,
        slot: u32,
        presence: bool,
        was_online: bool,
        publish_time: Nanos,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        let s = self.member_session[slot as usize];
        let phase = self.sessions[s.index()].phase;
        let zero_cost = !self.params.sessions_busy();
        if (phase == Phase::Online && zero_cost) || (was_online && phase != Phase::Online) {
            self.record_delivery(slot, now, publish_time, presence);
        } else if phase == Phase::Offline {
            self.rec.deliveries_dropped += 1;
        } else {
            self.enqueue(
                ProcRef::Session(s),
                Msg::Delivery {
                    slot,
                    presence,
                    publish_time,
                },
                now,
                queue,
            );
        }
    }

    /// Runs one slice of `p`'s work starting at `now`; returns when it ends.
    pub(crate) fn run_slice(
        &mut self,
        p: ProcRef,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        match p {
            ProcRef::Guild(g) => self.guild_slice(g, now, queue),
            ProcRef::Session(s) => self.session_slice(s, now, queue),
            ProcRef::Service(i) => self.service_slice(i, now, queue),
        }
    }

    /// The slice of `p` that started earlier ended at `now`: finish the message if done.
    pub(crate) fn finish_slice(&mut self, p: ProcRef, now: Nanos, queue: &mut EventQueue<Event>) {
        match p {
            ProcRef::Guild(g) => self.guild_slice_done(g, now),
            ProcRef::Session(s) => self.session_slice_done(s, now, queue),
            ProcRef::Service(i) => self.service_slice_done(i, now, queue),
        }
    }

    /// Whether `p` has more to do after its slice.
    pub(crate) fn has_work(&self, p: ProcRef) -> bool {
        match p {
            ProcRef::Guild(g) => !self.guilds[g.index()].core.mailbox.is_empty(),
            ProcRef::Session(s) => {
                let session = &self.sessions[s.index()];
                session.step != Step::Nothing
                    || (session.phase == Phase::Online && !session.core.mailbox.is_empty())
            }
            ProcRef::Service(i) => !self.services[i as usize].core.mailbox.is_empty(),
        }
    }

    /// Handling a delivery: a session's slice when it has no connection step to take.
    pub(crate) fn session_receive_slice(&mut self, s: SessionId, now: Nanos) -> Nanos {
        let head = self
            .mailboxes
            .front(&self.sessions[s.index()].core.mailbox)
            .expect("a session runs with a message");
        match head {
            Msg::Delivery { presence, .. } => {
                let bytes = if presence {
                    self.params.presence_bytes
                } else {
                    self.params.event_bytes
                };
                now + self.params.session_receive.sample(&mut self.costs_rng)
                    + self.params.bytes_cost(bytes)
            }
            Msg::SyncReply { bytes, .. } => now + self.params.bytes_cost(bytes as u64),
            other => unreachable!("session handles {other:?}"),
        }
    }

    /// A session finished handling the delivery at the head of its mailbox.
    pub(crate) fn session_receive_done(&mut self, s: SessionId, now: Nanos) {
        match self.dequeue(ProcRef::Session(s), now) {
            Msg::Delivery {
                slot,
                presence,
                publish_time,
            } => {
                self.record_delivery(slot, now, publish_time, presence);
                if self.params.sessions_busy() {
                    let bytes = if presence {
                        self.params.presence_bytes
                    } else {
                        self.params.event_bytes
                    };
                    let passive = self.is_passive_member(slot);
                    self.client_bytes(slot, bytes, passive, now);
                }
            }
            Msg::SyncReply {
                slot,
                bytes,
                opened,
            } => {
                if opened != DIGEST_OUT {
                    self.sync_done(opened, now);
                }
                if self.params.sessions_busy() {
                    let passive = opened == DIGEST_OUT;
                    self.client_bytes(slot, bytes as u64, passive, now);
                }
            }
            other => unreachable!("session handled {other:?}"),
        }
    }

    /// Whether membership `slot` is passive now.
    pub(crate) fn is_passive_member(&self, slot: u32) -> bool {
        match &self.behaviour {
            Some(b) => {
                let g = self.guild_of_slot(slot);
                b.state[slot as usize] != super::behaviour::ACTIVE
                    && self.guilds[g.index()].len >= b.min_members
            }
            None => {
                self.passive.is_some() && {
                    let guild = &self.guilds[self.guild_of_slot(slot).index()];
                    slot - guild.first >= guild.active
                }
            }
        }
    }

    /// The session of membership `slot` wrote `bytes` (before compression) to its client.
    pub(crate) fn client_bytes(&mut self, slot: u32, bytes: u64, passive: bool, now: Nanos) {
        let sent = (bytes as f64 / self.params.compression_ratio).round() as u64;
        let node = self.member_info[slot as usize] as u16 as usize;
        self.rec.client_bytes(node, sent, passive, now);
    }
}

/// How many guilds a change of the guild-node ring would move.
pub(crate) struct RingMoves {
    pub(crate) moved_on_removal: u64,
    pub(crate) on_removed_node: u64,
    pub(crate) moved_on_addition: u64,
}

impl World {
    /// The ring's key of guild `g`.
    pub(crate) fn guild_key(&self, g: usize) -> u64 {
        crate::sim::rng::hash64(self.ring_key, g as u64)
    }

    /// Guilds that would move if the last guild node left the ring, or one more joined it.
    pub(crate) fn ring_moves(&self) -> RingMoves {
        let guild_nodes: Vec<(NodeId, String)> = (0..self.nodes.len())
            .filter(|&n| self.nodes[n].hosts_guilds)
            .map(|n| (NodeId(n as u16), self.nodes[n].name.clone()))
            .collect();
        let replicas = (self.ring.points() / guild_nodes.len()) as u32;
        let removed = guild_nodes.last().expect("a guild node").0;
        let smaller = (guild_nodes.len() > 1)
            .then(|| super::ring::Ring::new(&guild_nodes[..guild_nodes.len() - 1], replicas));
        let mut larger_nodes = guild_nodes.clone();
        let extra = NodeId(self.nodes.len() as u16);
        larger_nodes.push((extra, "guildsim-extra-node".to_string()));
        let larger = super::ring::Ring::new(&larger_nodes, replicas);
        let mut moves = RingMoves {
            moved_on_removal: 0,
            on_removed_node: 0,
            moved_on_addition: 0,
        };
        for g in 0..self.guilds.len() {
            let key = self.guild_key(g);
            let here = self.guilds[g].node;
            if here == removed {
                moves.on_removed_node += 1;
            }
            if let Some(ring) = &smaller
                && ring.lookup(key) != here
            {
                moves.moved_on_removal += 1;
            }
            if larger.lookup(key) != here {
                moves.moved_on_addition += 1;
            }
        }
        moves
    }
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, now: Nanos, event: Event, queue: &mut EventQueue<Event>) {
        // Slice ends kept out of the queue that come before this event are handled first.
        self.settle_due(queue);
        match event {
            Event::NextPublish { process } => {
                if let Some(g) = self.publisher.next_publish(process, now, queue) {
                    self.publish_arrives(g, now, queue);
                }
            }
            Event::NextPresenceChange { process } => {
                if let Some(s) = self.publisher.next_presence_change(process, now, queue) {
                    self.presence_change(s, now, queue);
                }
            }
            Event::Burst { index, cursor } => {
                let (g, count, more) = self.publisher.burst(index, cursor);
                let mark = crate::metrics::trace::Mark::Burst { guild: g.0, count };
                self.trace_mark(now, mark);
                for _ in 0..count {
                    self.publish_arrives(g, now, queue);
                }
                if more {
                    let cursor = cursor + 1;
                    queue.schedule(now, Event::Burst { index, cursor });
                }
            }
            Event::SliceEnd { proc, epoch } => {
                if self.nodes[self.node_of(proc).index()].epoch == epoch {
                    self.slice_end(proc, now, queue);
                }
            }
            Event::Resume { proc, epoch } => {
                if self.nodes[self.node_of(proc).index()].epoch == epoch {
                    self.resume(proc, now, queue);
                }
            }
            Event::Deliver {
                slot,
                presence,
                was_online,
                publish_time,
            } => self.delivery_arrives(slot, presence, was_online, publish_time, now, queue),
            Event::MsgArrive { to, slot } => self.msg_arrives(to, slot, now, queue),
            Event::ConnectWave { wave } => self.wave_due(wave, now, queue),
            Event::Reply { session, token } => self.session_reply(session, token, now, queue),
            Event::TimeoutsDue => self.timeouts_due(now, queue),
            Event::Retry { session, token } => self.session_retry(session, token, now, queue),
            Event::Crash { node, cause } => self.crash(node, cause, now, queue),
            Event::Restart { node, cause } => self.restart(node, cause, now, queue),
            Event::ZenSweep { node } => self.zen_sweep(node, now, queue),
            Event::DigestTick => self.digest_tick(now, queue),
            Event::UserOpens { guild } => self.user_opens(guild, false, now, queue),
            Event::UserWakes { guild } => self.user_opens(guild, true, now, queue),
            Event::UserLeaves { slot } => self.user_leaves(slot, now),
        }
    }

    fn folded_events(&self) -> u64 {
        self.folded + self.deferrals.handled
    }

    fn limit_folded(&mut self, room: u64) {
        self.folded_room = room.min(u32::MAX as u64) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::mailbox::Origin;
    use crate::world::tiny::Tiny;

    #[test]
    fn each_slot_belongs_to_its_guild_and_each_session_lists_its_slots() {
        let w = Tiny::new(&[3, 5, 2])
            .set("workload.users.guilds_per_user_mean", "2")
            .world();
        assert_eq!(w.member_session.len(), 10);
        for (g, guild) in w.guilds.iter().enumerate() {
            for slot in guild.first..guild.first + guild.len {
                assert_eq!(w.guild_of_slot(slot), GuildId(g as u32));
            }
        }
        for s in 0..w.sessions.len() {
            for i in w.slots_of(SessionId(s as u32)) {
                assert_eq!(w.member_session[w.session_slots[i] as usize].0, s as u32);
            }
        }
        assert_eq!(w.slots_of(SessionId(w.sessions.len() as u32 - 1)).end, 10);
    }

    #[test]
    fn a_message_occupies_the_bytes_of_its_kind() {
        let w = Tiny::new(&[3])
            .set("model.messages.event_bytes", "1000")
            .set("model.messages.presence_bytes", "200")
            .set("model.messages.call_bytes", "30")
            .world();
        let chat = Msg::Publish {
            publish_time: 0,
            origin: Origin::CHAT,
        };
        let presence = Msg::Publish {
            publish_time: 0,
            origin: Origin::member(1),
        };
        let join = Msg::Join {
            slot: 1,
            publish_time: 0,
        };
        assert_eq!(w.msg_bytes(&chat), 1000);
        assert_eq!(w.msg_bytes(&presence), 200);
        assert_eq!(w.msg_bytes(&join), 30);
        // A guild node's queue memory rises while a publish waits: 5 publishes at once.
        let r = Tiny::new(&[3])
            .set("model.messages.event_bytes", "1000")
            .set("workload.bursts", "[{guild: 0, at_s: 0.1, count: 5}]")
            .run();
        let start = r.world.nodes[0].memory_static;
        assert_eq!(r.world.nodes[0].memory_queued, 0, "every message handled");
        assert_eq!(r.summary.nodes[0].memory_peak_bytes, start + 5 * 1000);
    }

    #[test]
    fn with_one_guild_node_every_guild_sits_on_the_node_a_removal_would_empty() {
        let w = Tiny::new(&[3, 5, 2]).world();
        let moves = w.ring_moves();
        assert_eq!(moves.on_removed_node, 3);
        assert_eq!(moves.moved_on_removal, 0, "no smaller ring to move to");
        assert!(moves.moved_on_addition <= 3);
        assert_eq!(w.latency(NodeId(0), NodeId(1)), 100_000);
        assert_eq!(w.latency(NodeId(1), NodeId(1)), 0);
    }
}
