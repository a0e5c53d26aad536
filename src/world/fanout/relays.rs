//! Relays (MJ, secondary): processes between a guild and its sessions. Each relay serves at
//! most `max_sessions` of one guild's members, all on its own node (a guild has, on each
//! session node holding its members, as many relays as that takes, sharing the members
//! evenly); it holds its members' list, which costs memory on its node.
//!
//! The guild sends each event once per relay that has recipients (a local or remote send,
//! no recipient list: the relay knows its members); the relay checks every recipient's
//! permissions (a cost per recipient), then sends to each locally, like a Manifold worker.
//! Relays keep the guild's order: a member always goes through the same relay, and a relay
//! handles its mailbox in order.
//!
//! Upkeep: a join or leave goes from the guild to the relay serving the member (a send, and
//! `upkeep_us` on the relay), or with `holds: whole_list` to every relay of the guild, each
//! holding the whole member list in memory. A relay on a node that restarts has lost what it
//! held (and the updates sent while it was down): it asks its guild, which writes out every
//! member the relay holds (`resync_us` each, on the guild) and sends it; the relay applies
//! each (`upkeep_us` each): the resync burst a session node's restart puts on its guilds.

use super::groups::Group;
use super::groups::Keyed;
use crate::config::schema::{Experiment, Role};
use crate::metrics::recorder::ProcessKind;
use crate::sim::{EventQueue, Nanos};
use crate::world::behaviour::Part;
use crate::world::event::{Event, ProcRef};
use crate::world::ids::{GuildId, NodeId};
use crate::world::mailbox::Msg;
use crate::world::process::ProcCore;
use crate::world::sends::Outgoing;
use crate::world::state::{Service, World};

/// Relays' parameters in engine units, and the relay process of each group.
pub(crate) struct Relays {
    pub(crate) params: RelayParams,
    /// The relay process (service index) of each group (range groups included).
    pub(crate) group_service: Vec<u32>,
    /// Per group (by index into `groups`): the smallest hash of the members its relay serves
    /// (relays split a node's members by a hash of their slot, `cut_relays`).
    hash_lo: Vec<u64>,
}

/// The key of the hash that shares a node's members among a guild's relays there.
const RELAY_KEY: u64 = 0x7265_6c61_7973;

/// Where membership `slot` falls among a node's relays.
fn relay_hash(slot: u32) -> u64 {
    crate::sim::rng::hash64(RELAY_KEY, slot as u64)
}

pub(crate) struct RelayParams {
    pub(crate) max_sessions: u32,
    /// Permission check per recipient, in nanoseconds.
    pub(crate) check_ns: f64,
    pub(crate) relay_bytes: u64,
    pub(crate) member_bytes: u64,
    /// Each relay holds the guild's whole member list (else its own members).
    pub(crate) whole_list: bool,
    /// A relay's time to apply a join or leave.
    pub(crate) upkeep: Nanos,
    /// The guild's time per member to answer a restarted relay's resync.
    pub(crate) resync: Nanos,
}

impl Relays {
    pub(crate) fn new(exp: &Experiment) -> Relays {
        let r = &exp.model.fanout.relays;
        Relays {
            params: RelayParams {
                max_sessions: r.max_sessions,
                check_ns: exp.model.costs.permission_check_us * 1e3,
                relay_bytes: r.relay_bytes,
                member_bytes: r.member_bytes,
                whole_list: r.holds == crate::config::schema::RelayHolds::WholeList,
                upkeep: crate::sim::time::us(r.upkeep_us),
                resync: crate::sim::time::us(r.resync_us),
            },
            group_service: Vec::new(),
            hash_lo: Vec::new(),
        }
    }
}

/// Bytes per relay in the estimate: its process (mailbox, state, work) and its group.
const PROCESS_BYTES: f64 = 96.0;

/// The estimator's view: relays send to sessions on their own node, every scheduler of the
/// session nodes at once; each relay is a process with its members' list.
pub(super) fn estimates(
    exp: &Experiment,
    send_local_us: f64,
    memberships: f64,
    guilds: f64,
) -> super::Estimates {
    super::Estimates {
        send_us: send_local_us,
        parallel_senders: super::session_schedulers(exp),
        membership_bytes: super::groups::MEMBERSHIP_BYTES,
        process_bytes: PROCESS_BYTES * count(exp, memberships, guilds),
        storm_join_events: 8.0,
    }
}

/// The events of one publish to a guild of `online` members: a message per relay, each an
/// arrival and a slice end.
pub(super) fn group_events(exp: &Experiment, online: f64) -> f64 {
    let max = exp.model.fanout.relays.max_sessions.max(1) as f64;
    2.0 * (online.min(super::session_nodes(exp)) + online / max)
}

/// Relays a run builds, at most: per guild and session node holding its members, its share
/// cut into relays of `max_sessions`.
fn count(exp: &Experiment, memberships: f64, guilds: f64) -> f64 {
    let session_nodes: f64 = exp
        .model
        .nodes
        .iter()
        .filter(|g| g.hosts.contains(&Role::Sessions))
        .map(|g| g.count as f64)
        .sum();
    let mean_members = memberships / guilds.max(1.0);
    let max = exp.model.fanout.relays.max_sessions.max(1) as f64;
    memberships / max + guilds * session_nodes.min(mean_members).max(1.0)
}

impl World {
    /// Relays, in the guild: one send per relay of the target that has recipients, from `t`.
    pub(super) fn relay_guild_sends(
        &mut self,
        g: GuildId,
        out: Outgoing,
        now: Nanos,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let gi = g.index();
        let node = self.guilds[gi].node;
        // The members joined by now, as with Manifold.
        let out = Outgoing {
            snapshot: self.guilds[gi].join_seq,
            ..out
        };
        let target = self.fanout_target(g, &out);
        let origin_group = self.origin_group(g, &target, &out);
        let part = self.part(g, &out);
        let mut work = self.guilds[gi].work;
        let fixed = self.fanout_costs(ProcRef::Guild(g), node, work.started, now);
        let slice_end = self.fanout_deadline(node, now);
        let bytes = if out.presence {
            self.params.presence_bytes
        } else {
            self.params.event_bytes
        };
        let sends_before = work.sends;
        while work.next < target.groups_len && t < slice_end {
            let group = target.groups_first + work.next;
            let relay = self.groups[group as usize];
            let recipients = if part == Part::All {
                self.group_joined(relay, self.below(out.origin))
                    - u32::from(origin_group == Some(group))
            } else {
                self.part_recipients(relay.start..relay.end, part, &out)
            };
            if recipients == 0 {
                work.next += 1;
                continue;
            }
            let Some((done_at, leaves)) =
                self.send_on_channel(node, relay.node, now, t, bytes, fixed, &mut work)
            else {
                break;
            };
            t = done_at;
            work.next += 1;
            work.sends += 1;
            let service = self.relays().group_service[group as usize];
            let at = t.max(leaves) + self.latency(node, relay.node);
            let batch = Msg::worker_batch(group, out);
            self.send_batch(ProcRef::Service(service), batch, recipients, at, queue);
            if self.channels.limited(node.index(), relay.node.index()) {
                break;
            }
        }
        self.rec.guild_sends += (work.sends - sends_before) as u64;
        work.recipients = if part == Part::All {
            self.target_recipients(g, &target, out.origin)
        } else {
            let groups = &self.groups[target.groups_first as usize..][..target.groups_len as usize];
            match (groups.first(), groups.last()) {
                (Some(a), Some(b)) => self.part_recipients(a.start..b.end, part, &out),
                _ => 0,
            }
        };
        work.done = work.next >= target.groups_len;
        self.guilds[gi].work = work;
        t
    }

    /// Relay `i` on `node` handles a batch: on its first slice it checks its recipients'
    /// permissions, then sends to them as a worker does.
    pub(super) fn relay_slice(
        &mut self,
        i: u32,
        node: NodeId,
        batch: Msg,
        first_slice: bool,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let (Msg::WorkerBatch { group, .. }, Some(out)) = (batch, batch.outgoing()) else {
            unreachable!("a relay handles worker batches")
        };
        let mut t = now;
        let g = self.guild_of_group(group);
        let part = self.part(g, &out);
        if first_slice {
            let relay = self.groups[group as usize];
            let recipients = if part == Part::All {
                self.group_recipients(relay, 0, out.snapshot, out.origin)
            } else {
                // The members it sends to: those in `part` now (`behaviour.rs`).
                let mut list = std::mem::take(&mut self.users_mut().lists[i as usize]);
                list.clear();
                let below = self.below(out.origin);
                list.extend(
                    self.by_node[relay.start as usize..relay.end as usize]
                        .iter()
                        .copied()
                        .filter(|&slot| slot < below && self.in_part(slot, part)),
                );
                self.users_mut().lists[i as usize] = list;
                self.part_recipients(relay.start..relay.end, part, &out)
            };
            self.services[i as usize].work.recipients = recipients;
            t += (self.relays().params.check_ns * recipients as f64).round() as Nanos;
            t += self.everyone_mentions(g, &out, recipients);
        }
        if part == Part::All {
            self.group_sends(i, node, group, out, now, t, queue)
        } else {
            self.relay_list_sends(i, node, out, now, t, queue)
        }
    }

    /// [`World::group_sends`] to the members relay `i` took when it started on `out`.
    fn relay_list_sends(
        &mut self,
        i: u32,
        node: NodeId,
        out: Outgoing,
        now: Nanos,
        t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let list = std::mem::take(&mut self.users_mut().lists[i as usize]);
        let t = self.slots_sends(i, node, &list, out, now, t, queue);
        self.users_mut().lists[i as usize] = list;
        t
    }

    /// Guild `g` handled a join or leave of its member in `slot` until `t`: it sends the update
    /// to the relay serving the member, or with `whole_list` to every relay of the guild (a
    /// send each); returns when its last send completes.
    pub(crate) fn relay_upkeep(
        &mut self,
        g: GuildId,
        slot: u32,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        if !matches!(self.fanout, super::Fanout::Relays(_)) {
            return t;
        }
        let guild = &self.guilds[g.index()];
        let (from, first, len) = (guild.node, guild.groups_first, guild.groups_len);
        let groups = if self.relays().params.whole_list {
            first..first + len
        } else {
            match self.group_of(g, slot) {
                Some(k) => k as u32..k as u32 + 1,
                None => return t,
            }
        };
        for k in groups {
            let to = self.groups[k as usize].node;
            t += self.reply_cost(from, to);
            self.rec.guild_sends += 1;
            let relay = self.relays().group_service[k as usize];
            let at = t + self.latency(from, to);
            self.send_msg(ProcRef::Service(relay), Msg::RelayUpdate, at, queue);
        }
        t
    }

    /// Node `node` is back: each relay on it lost what it held and asks its guild for it.
    pub(crate) fn relays_restarted(
        &mut self,
        node: NodeId,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) {
        if !matches!(self.fanout, super::Fanout::Relays(_)) {
            return;
        }
        for gi in 0..self.guilds.len() {
            let guild = &self.guilds[gi];
            let (to, first, len) = (guild.node, guild.groups_first, guild.groups_len);
            for k in first..first + len {
                if self.groups[k as usize].node == node {
                    let at = now + self.latency(node, to);
                    let g = crate::world::ids::GuildId(gi as u32);
                    self.send_msg(ProcRef::Guild(g), Msg::RelayResync { group: k }, at, queue);
                }
            }
        }
    }

    /// The members the relay of group `group` of guild `g` holds.
    fn relay_held(&self, g: GuildId, group: u32) -> u64 {
        if self.relays().params.whole_list {
            self.guilds[g.index()].len as u64
        } else {
            let relay = self.groups[group as usize];
            (relay.end - relay.start) as u64
        }
    }

    /// Guild `g`, from `t`, answers the resync of group `group`'s relay: it writes out every
    /// member the relay holds (`resync_us` each) and sends it; returns when it is done.
    pub(crate) fn relay_resync_reply(
        &mut self,
        g: GuildId,
        group: u32,
        mut t: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let held = self.relay_held(g, group);
        t += self.relays().params.resync.saturating_mul(held);
        let (from, to) = (
            self.guilds[g.index()].node,
            self.groups[group as usize].node,
        );
        t += self.reply_cost(from, to);
        self.rec.guild_sends += 1;
        let relay = self.relays().group_service[group as usize];
        let at = t + self.latency(from, to);
        self.send_msg(
            ProcRef::Service(relay),
            Msg::RelayResync { group },
            at,
            queue,
        );
        t
    }

    /// Relay `i` rebuilds what it holds from its guild's reply: an update per member.
    pub(super) fn relay_rebuild(&mut self, i: u32, group: u32, now: Nanos) -> Nanos {
        let g = self.guild_of_group(group);
        let held = self.relay_held(g, group);
        self.services[i as usize].work.done = true;
        now + self.relays().params.upkeep.saturating_mul(held)
    }

    /// The guild whose groups include `group`: the last to start at or before it (a guild's
    /// range groups follow its other groups, before the next guild's).
    pub(super) fn guild_of_group(&self, group: u32) -> GuildId {
        let i = self
            .guilds
            .partition_point(|guild| guild.groups_first <= group);
        GuildId(i.saturating_sub(1) as u32)
    }

    /// Relay `i` applies a join or leave to what it holds.
    pub(super) fn relay_update(&mut self, i: u32, now: Nanos) -> Nanos {
        self.services[i as usize].work.done = true;
        now + self.relays().params.upkeep
    }

    /// Relays' memory: each relay process, and each member it holds (those it serves, or
    /// with `whole_list` every member of its guild), on its node.
    pub(super) fn relay_memory(&mut self) {
        for g in 0..self.guilds.len() {
            let guild = &self.guilds[g];
            let groups =
                guild.groups_first as usize..(guild.groups_first + guild.groups_len) as usize;
            let guild_len = guild.len as u64;
            for k in groups {
                let relay = self.groups[k];
                let params = &self.relays().params;
                let held = if params.whole_list {
                    guild_len
                } else {
                    (relay.end - relay.start) as u64
                };
                let bytes = params.relay_bytes + params.member_bytes * held;
                self.nodes[relay.node.index()].memory_static += bytes;
            }
        }
    }

    /// The index (into `groups`) of the relay group holding `slot` of guild `g`: groups are
    /// ordered by (passive, node), and a node's relays by the hashes of their members.
    pub(crate) fn relay_group_of(&self, g: GuildId, slot: u32) -> Option<usize> {
        let guild = &self.guilds[g.index()];
        if guild.groups_len == 0 {
            return None;
        }
        let passive = |slot: u32| slot - guild.first >= guild.active;
        let node = self.session_node[self.member_session[slot as usize].index()];
        let range = guild.groups_first as usize..(guild.groups_first + guild.groups_len) as usize;
        let groups = &self.groups[range.clone()];
        let key = (passive(slot), node);
        let class = |gr: &Group| (passive(self.by_node[gr.start as usize]), gr.node);
        let lo = groups.partition_point(|gr| class(gr) < key);
        let hi = groups.partition_point(|gr| class(gr) <= key);
        let hashes = &self.relays().hash_lo[range.start + lo..range.start + hi];
        let i = hashes.partition_point(|&h| h <= relay_hash(slot)) - 1;
        Some(range.start + lo + i)
    }

    /// Appends the slots of `keyed` (sorted) to `by_node` and cuts each run of equal (class,
    /// node) evenly into relays of at most `max_sessions` members, each with its process. A
    /// relay's members are those of a run of the node's members ordered by a hash of their
    /// slot (so which relay serves a member has nothing to do with where it is in the guild
    /// or what it watches in the member list), kept in slot order within the relay.
    pub(super) fn cut_relays(&mut self, keyed: &[Keyed]) {
        let max = self.relays().params.max_sessions.max(1) as usize;
        let mut hashed: Vec<(u64, u32)> = Vec::new();
        let mut run = 0;
        while run < keyed.len() {
            let (class, node, _, _) = keyed[run];
            let end = run
                + keyed[run..]
                    .iter()
                    .take_while(|k| (k.0, k.1) == (class, node))
                    .count();
            let members = end - run;
            // A relay's place on its node is a u16: at most 65,535 relays per guild and node.
            let relays = members.div_ceil(max).min(u16::MAX as usize);
            let at = self.by_node.len() as u32;
            hashed.clear();
            hashed.extend(keyed[run..end].iter().map(|k| (relay_hash(k.3), k.3)));
            hashed.sort_unstable();
            for r in 0..relays {
                let (lo, hi) = (r * members / relays, (r + 1) * members / relays);
                let first = self.by_node.len();
                self.by_node.extend(hashed[lo..hi].iter().map(|h| h.1));
                self.by_node[first..].sort_unstable();
                let group = self.groups.len();
                let hash_lo = &mut self.relays_mut().hash_lo;
                hash_lo.resize(group + 1, 0);
                hash_lo[group] = if r == 0 { 0 } else { hashed[lo].0 };
                self.groups.push(Group {
                    node,
                    worker: r as u16,
                    start: at + lo as u32,
                    end: at + hi as u32,
                    joined: 0,
                });
                let service = self.services.len() as u32;
                self.relays_mut().group_service.push(service);
                self.services.push(Service {
                    core: ProcCore::default(),
                    node,
                    kind: ProcessKind::Relay,
                    // Relays belong to guilds: numbered among all processes.
                    number: service,
                    work: Default::default(),
                });
            }
            run = end;
        }
    }

    /// A range group goes through the relay of its members: range groups `from..` get the
    /// relay process of the group holding their first member.
    pub(super) fn relay_range_groups(&mut self, g: GuildId, from: usize) {
        for k in from..self.groups.len() {
            let slot = self.by_node[self.groups[k].start as usize];
            let relay = self.group_of(g, slot).expect("a relay");
            let service = self.relays().group_service[relay];
            self.relays_mut().group_service.push(service);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::recorder::ProcessKind;
    use crate::world::tiny::{ROUND_ROBIN, Tiny, assert_close};

    #[test]
    fn a_guild_sends_to_its_relays_which_check_then_send_to_their_sessions() {
        // Five members in turn on two session nodes (3 on node 1, 2 on node 2); relays of at
        // most 2 members: node 1's three are cut into relays of 1 and 2, node 2's two make one.
        let tiny = Tiny::new(&[5])
            .set("model.fanout.strategy", "relays")
            .set("model.fanout.relays.max_sessions", "2")
            .set("model.costs.permission_check_us", "1")
            .set("workload.users.placement", ROUND_ROBIN)
            .publish_at(0.1);
        let w = tiny.world();
        let sizes: Vec<(u16, u32)> = w
            .groups
            .iter()
            .map(|gr| (gr.node.0, gr.end - gr.start))
            .collect();
        assert_eq!(sizes, vec![(1, 1), (1, 2), (2, 2)]);
        let relays = w.services.iter().filter(|s| s.kind == ProcessKind::Relay);
        assert_eq!(relays.count(), 3);
        let r = tiny.run();
        let s = &r.summary;
        // The guild: one remote send per relay, done at 50, 100, 150 µs, arriving 100 µs
        // later. Each relay checks 1 µs per recipient, then sends locally at 2 µs each:
        // 150+1+2 = 153; 200+2+2 = 204, 206; 250+2+2 = 254, 256.
        assert_eq!(s.guild_sends, 3);
        assert_eq!(s.inter_node_messages, 3);
        assert_close(s.busy_s.of("guild"), 150e-6);
        assert_close(
            s.busy_s.of("relay"),
            (1.0 + 2.0) * 1e-6 + 2.0 * (2.0 + 4.0) * 1e-6,
        );
        assert_eq!(s.deliveries_total, 5);
        assert_close(s.latency_ms.min, 0.153);
        assert_close(s.latency_ms.max, 0.256);
        assert_close(
            s.latency_ms.mean,
            (153.0 + 204.0 + 206.0 + 254.0 + 256.0) / 5.0 / 1e3,
        );
    }

    #[test]
    fn each_relay_holds_its_process_and_its_members_in_its_nodes_memory() {
        let base = Tiny::new(&[5]).set("workload.users.placement", ROUND_ROBIN);
        let naive = base.world();
        let relays = base
            .set("model.fanout.strategy", "relays")
            .set("model.fanout.relays.max_sessions", "2")
            .set("model.fanout.relays.relay_bytes", "1000")
            .set("model.fanout.relays.member_bytes", "10")
            .world();
        let extra = |n: usize| relays.nodes[n].memory_static - naive.nodes[n].memory_static;
        assert_eq!(extra(0), 0);
        assert_eq!(extra(1), 2 * 1000 + 3 * 10);
        assert_eq!(extra(2), 1000 + 2 * 10);
    }

    #[test]
    fn whole_lists_cost_memory_per_guild_member() {
        let relays = |holds: &str| {
            Tiny::new(&[5])
                .set("workload.users.placement", ROUND_ROBIN)
                .set("model.fanout.strategy", "relays")
                .set("model.fanout.relays.max_sessions", "2")
                .set("model.fanout.relays.relay_bytes", "1000")
                .set("model.fanout.relays.member_bytes", "10")
                .set("model.fanout.relays.holds", holds)
                .world()
        };
        let (own, whole) = (relays("own_members"), relays("whole_list"));
        // Node 1's two relays and node 2's one each hold all 5 members instead of theirs.
        let extra = |n: usize| whole.nodes[n].memory_static - own.nodes[n].memory_static;
        assert_eq!(extra(1), 2 * 5 * 10 - 3 * 10);
        assert_eq!(extra(2), 5 * 10 - 2 * 10);
    }

    #[test]
    fn a_join_or_leave_costs_its_relay_or_every_relay_an_update() {
        // session-1 restarts: its 3 members leave and come back, each leave and join an update
        // of 100 µs on the relay serving the member, or on all 4 relays of the guild (2 per
        // session node) with whole lists, a send from the guild for each. Updates to the
        // relays on session-1 while it is down are lost with it: with own members only the 3
        // joins' updates arrive; with whole lists 3 leaves on the 2 relays of the other node
        // and 3 joins on all 4, 18 updates from 24 sends. And session-1's 2 relays restart
        // empty and are rebuilt from the guild: 3 members between them (6 each with whole
        // lists), at 100 µs a member on the relay and `resync_us` on the guild.
        let run = |holds: &str, upkeep: &str, resync: &str| {
            Tiny::new(&[6])
                .restart_session_1()
                .set("model.fanout.strategy", "relays")
                .set("model.fanout.relays.max_sessions", "2")
                .set("model.fanout.relays.holds", holds)
                .set("model.fanout.relays.upkeep_us", upkeep)
                .set("model.fanout.relays.resync_us", resync)
                .run()
                .summary
        };
        let base = run("own_members", "0", "0");
        let own = run("own_members", "100", "0");
        let whole = run("whole_list", "100", "0");
        let own_upkeep = own.busy_s.of("relay") - base.busy_s.of("relay");
        assert!(
            (own_upkeep - (3.0 + 3.0) * 100e-6).abs() < 1e-9,
            "{own_upkeep}"
        );
        let whole_upkeep = whole.busy_s.of("relay") - base.busy_s.of("relay");
        assert!(
            (whole_upkeep - (18.0 + 12.0) * 100e-6).abs() < 1e-9,
            "{whole_upkeep}"
        );
        assert_eq!(whole.guild_sends, own.guild_sends + 18);
        // The guild pays for the resync: 1 ms a member held.
        let resync = |holds: &str| {
            run(holds, "0", "1000").busy_s.of("guild") - run(holds, "0", "0").busy_s.of("guild")
        };
        assert!((resync("own_members") - 3e-3).abs() < 1e-9);
        assert!((resync("whole_list") - 12e-3).abs() < 1e-9);
    }

    #[test]
    fn every_group_knows_its_guild_range_groups_too() {
        // Two guilds with own-range member lists: each guild's range groups come after its
        // relays' groups, before the next guild's.
        let w = Tiny::new(&[6, 5])
            .set("model.fanout.strategy", "relays")
            .set("model.fanout.relays.max_sessions", "2")
            .set("model.member_list.structure", "sorted_set")
            .set("model.member_list.range_size", "2")
            .set("model.member_list.presence_updates", "own_range")
            .world();
        assert!(w.groups.len() > 6, "range groups were built");
        for (k, group) in w.groups.iter().enumerate() {
            let slot = w.by_node[group.start as usize];
            let guild = &w.guilds[w.guild_of_group(k as u32).index()];
            assert!(
                (guild.first..guild.first + guild.len).contains(&slot),
                "group {k}"
            );
        }
    }
}
