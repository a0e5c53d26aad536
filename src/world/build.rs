//! Builds a world from a validated experiment: nodes and their processes, the network,
//! guild placement on the ring, guild sizes, users and their sessions, memberships, Manifold
//! groups, the initial joins, the publish workload and the storms.
//!
//! Random streams used here: `sizes` (power-law guild sizes), `placement` (session
//! placement), `membership` (who is in which guild), `storms` (login times), `publishes` (the
//! workload), and, kept by the world for the run, `costs` (every cost drawn) and `faults`
//! (backoff jitter, reconnect delays).

use super::channel::Channels;
use super::event::Event;
use super::ids::{GuildId, NodeId, SessionId};
use super::publish::Publisher;
use super::ring::Ring;
use super::state::{
    BackoffParams, Group, Guild, ManifoldParams, NONE, NOT_JOINED, Node, ONLINE_BIT, Params, Phase,
    ProcCore, Service, ServiceKind, Session, Step, Wait, World,
};
use super::topology;
use crate::config::schema::{
    DeliveryMode, DistConfig, Experiment, FanoutStrategy, GuildSizes, Rate, Role, SessionPlacement,
    Storm,
};
use crate::metrics::Recorder;
use crate::sim::rng::{RngStreams, StreamRng, hash64};
use crate::sim::time::{ms, secs, us};
use crate::sim::{Dist, EventQueue};
use rand::Rng;

/// A problem found while building: the field it concerns and what is wrong.
#[derive(Debug)]
pub struct BuildError {
    pub path: String,
    pub message: String,
}

fn error(path: &str, message: String) -> BuildError {
    BuildError {
        path: path.to_string(),
        message,
    }
}

pub fn dist(config: &DistConfig) -> Dist {
    match *config {
        DistConfig::Constant { us: v } => Dist::constant(us(v)),
        DistConfig::Uniform { min_us, max_us } => Dist::uniform(us(min_us), us(max_us)),
        DistConfig::Exponential { mean_us } => Dist::exponential(mean_us * 1e3),
        DistConfig::Lognormal { median_us, sigma } => Dist::lognormal(median_us * 1e3, sigma),
    }
}

/// The power-law guild size at quantile `u` (0..1): the inverse transform of the continuous
/// power law k^-exponent on [min, max + 1), floored.
pub fn zipf_size(min: u32, max: u32, exponent: f64, u: f64) -> u32 {
    let (lo, hi, s) = (min as f64, max as f64 + 1.0, exponent);
    let x = if (s - 1.0).abs() < 1e-12 {
        lo * (hi / lo).powf(u)
    } else {
        let (a, b) = (lo.powf(1.0 - s), hi.powf(1.0 - s));
        (a + u * (b - a)).powf(1.0 / (1.0 - s))
    };
    (x.floor() as u32).clamp(min, max)
}

/// Guild sizes (members) drawn or listed by the workload.
pub fn guild_sizes(sizes: &GuildSizes, rng: &mut StreamRng) -> Vec<u32> {
    match sizes {
        GuildSizes::List(list) => list.clone(),
        GuildSizes::Fixed { count, members } => vec![*members; *count as usize],
        GuildSizes::Zipf {
            count,
            min,
            max,
            exponent,
        } => (0..*count)
            .map(|_| zipf_size(*min, *max, *exponent, rng.random()))
            .collect(),
    }
}

/// Entity counts an experiment will build, computed without building it.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub nodes: u64,
    pub guilds: u64,
    pub sessions: u64,
    pub memberships: u64,
}

/// Online members per guild and the number of users.
fn online_and_users(exp: &Experiment, streams: &RngStreams) -> Result<(Vec<u32>, u32), BuildError> {
    let sizes = guild_sizes(&exp.workload.guilds.sizes, &mut streams.stream("sizes"));
    let fraction = exp.workload.guilds.online_fraction;
    let online: Vec<u32> = sizes
        .iter()
        .map(|&m| (m as f64 * fraction).round() as u32)
        .collect();
    let memberships: u64 = online.iter().map(|&o| o as u64).sum();
    if memberships >= u32::MAX as u64 {
        return Err(error(
            "workload.guilds.sizes",
            format!(
                "at most {} online memberships in all, got {memberships}",
                u32::MAX - 1
            ),
        ));
    }
    let users = exp.workload.users.resolve(memberships as f64);
    let largest = online.iter().copied().max().unwrap_or(0) as u64;
    if largest > users {
        return Err(error(
            "workload.users",
            format!(
                "the largest guild has {largest} online members but there are only {users} users \
                 ({memberships} online memberships); lower guilds_per_user_mean or raise count"
            ),
        ));
    }
    Ok((online, users as u32))
}

/// The entity counts of `exp`.
pub fn counts(exp: &Experiment) -> Result<Counts, BuildError> {
    let (online, users) = online_and_users(exp, &RngStreams::new(exp.seed))?;
    Ok(Counts {
        nodes: exp.model.nodes.iter().map(|g| g.count as u64).sum(),
        guilds: online.len() as u64,
        sessions: users as u64,
        memberships: online.iter().map(|&o| o as u64).sum(),
    })
}

/// Node names (`group-index`), their groups and whether each hosts guilds, in build order.
fn node_layout(exp: &Experiment) -> Vec<(String, String, bool)> {
    exp.model
        .nodes
        .iter()
        .flat_map(|g| {
            (0..g.count).map(move |i| {
                (
                    format!("{}-{i}", g.name),
                    g.name.clone(),
                    g.hosts.contains(&Role::Guilds),
                )
            })
        })
        .collect()
}

/// The node restarted by storm `i`: it must exist and host only sessions.
fn restart_node(exp: &Experiment, i: usize, node: &str) -> Result<usize, BuildError> {
    let layout = node_layout(exp);
    let path = format!("workload.storms[{i}].node_restart.node");
    let Some(n) = layout.iter().position(|(name, _, _)| name == node) else {
        let names: Vec<&str> = layout
            .iter()
            .filter(|l| !l.2)
            .map(|l| l.0.as_str())
            .collect();
        return Err(error(
            &path,
            format!(
                "no node named `{node}`; nodes that can restart: {}",
                names.join(", ")
            ),
        ));
    };
    if layout[n].2 {
        return Err(error(
            &path,
            format!("`{node}` hosts guilds; only nodes that host only sessions can restart"),
        ));
    }
    Ok(n)
}

/// The checks of `build` that need no world: the network, the storms' nodes, and the
/// entity counts (guild sizes against users). Cheap, for `guildsim check`.
pub fn precheck(exp: &Experiment) -> Result<Counts, BuildError> {
    let layout = node_layout(exp);
    let names: Vec<String> = layout.iter().map(|l| l.0.clone()).collect();
    let groups: Vec<String> = layout.iter().map(|l| l.1.clone()).collect();
    topology::build(&exp.model.network, &names, &groups)
        .map_err(|(path, message)| error(&path, message))?;
    for (i, storm) in exp.workload.storms.iter().enumerate() {
        if let Storm::NodeRestart { node, .. } = storm {
            restart_node(exp, i, node)?;
        }
    }
    counts(exp)
}

/// Builds the world and schedules its first events.
pub fn build(exp: &Experiment, queue: &mut EventQueue<Event>) -> Result<World, BuildError> {
    let streams = RngStreams::new(exp.seed);
    let model = &exp.model;
    let horizon = secs(exp.run.horizon_s);
    let manifold = model.fanout.strategy == FanoutStrategy::Manifold;
    let partitioners = model.fanout.manifold.partitioners;

    // Nodes, in the order of the groups.
    let mut nodes = Vec::new();
    let mut node_groups = Vec::new();
    for group in &model.nodes {
        for i in 0..group.count {
            nodes.push(Node {
                name: format!("{}-{}", group.name, i),
                schedulers: group.schedulers,
                running: 0,
                run_queue: Default::default(),
                hosts_guilds: group.hosts.contains(&Role::Guilds),
                hosts_sessions: group.hosts.contains(&Role::Sessions),
                uncontended: false,
                up: true,
                epoch: 0,
                memory_static: 0,
                memory_queued: 0,
                crash_pending: false,
                crashes: 0,
                registry: NONE,
                ring_process: NONE,
                services_first: NONE,
                workers: model
                    .fanout
                    .manifold
                    .workers_per_node
                    .unwrap_or(group.schedulers),
                registry_in_flight: 0,
                sessions_first: 0,
                sessions_end: 0,
            });
            node_groups.push(group.name.clone());
        }
    }
    if nodes.len() >= u16::MAX as usize {
        return Err(error(
            "model.nodes",
            format!("at most {} nodes, got {}", u16::MAX - 1, nodes.len()),
        ));
    }
    let node_count = nodes.len();
    let guild_nodes: Vec<NodeId> = (0..node_count)
        .filter(|&n| nodes[n].hosts_guilds)
        .map(|n| NodeId(n as u16))
        .collect();
    let session_nodes: Vec<NodeId> = (0..node_count)
        .filter(|&n| nodes[n].hosts_sessions)
        .map(|n| NodeId(n as u16))
        .collect();
    if guild_nodes.is_empty() {
        return Err(error(
            "model.nodes",
            "no node group hosts guilds (hosts: [guilds])".into(),
        ));
    }
    if session_nodes.is_empty() {
        return Err(error(
            "model.nodes",
            "no node group hosts sessions (hosts: [sessions])".into(),
        ));
    }
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    let topology = topology::build(&model.network, &names, &node_groups)
        .map_err(|(path, message)| error(&path, message))?;

    // Processes other than guilds and sessions.
    let mut services = Vec::new();
    let add_service = |services: &mut Vec<Service>, node: usize, kind: ServiceKind| {
        services.push(Service {
            core: ProcCore::default(),
            node: NodeId(node as u16),
            kind,
            work: Default::default(),
        });
        (services.len() - 1) as u32
    };
    for (n, node) in nodes.iter_mut().enumerate() {
        if manifold {
            node.services_first = services.len() as u32;
            for _ in 0..partitioners {
                add_service(&mut services, n, ServiceKind::Partitioner);
            }
            for w in 0..node.workers {
                add_service(&mut services, n, ServiceKind::Worker(w as u16));
            }
            for _ in 0..partitioners {
                add_service(&mut services, n, ServiceKind::Sender);
            }
        }
        if node.hosts_guilds {
            node.registry = add_service(&mut services, n, ServiceKind::Registry);
        }
        if node.hosts_sessions {
            node.ring_process = add_service(&mut services, n, ServiceKind::Ring);
        }
    }

    // Guild sizes, users, and the users' sessions on session nodes.
    let (online, users) = online_and_users(exp, &streams)?;
    let memberships: u64 = online.iter().map(|&o| o as u64).sum();
    let mut placement = streams.stream("placement");
    let session_node: Vec<NodeId> = (0..users)
        .map(|u| match exp.workload.users.placement {
            SessionPlacement::Uniform => {
                session_nodes[placement.random_range(0..session_nodes.len())]
            }
            SessionPlacement::RoundRobin => session_nodes[u as usize % session_nodes.len()],
        })
        .collect();

    // Guilds on the ring of guild nodes.
    let ring = Ring::new(
        &guild_nodes
            .iter()
            .map(|&n| (n, nodes[n.index()].name.clone()))
            .collect::<Vec<_>>(),
        model.ring.replicas,
    );
    let ring_key = hash64(exp.seed, 0x6775_696c_6473);
    let guild_key = |g: usize| hash64(ring_key, g as u64);

    // Memberships: each guild's online members are distinct users drawn uniformly.
    let mut membership_rng = streams.stream("membership");
    let mut member_session = Vec::with_capacity(memberships as usize);
    let mut guilds = Vec::with_capacity(online.len());
    let mut marked_for = vec![u32::MAX; users as usize];
    let mut shuffle_buffer: Vec<u32> = Vec::new();
    for (g, &count) in online.iter().enumerate() {
        let first = member_session.len() as u32;
        if (count as u64) * 2 > users as u64 {
            // Dense: a partial Fisher-Yates shuffle of all users.
            shuffle_buffer.clear();
            shuffle_buffer.extend(0..users);
            for i in 0..count as usize {
                let j = membership_rng.random_range(i..users as usize);
                shuffle_buffer.swap(i, j);
                member_session.push(SessionId(shuffle_buffer[i]));
            }
        } else {
            // Sparse: rejection of users already drawn for this guild.
            let mut drawn = 0;
            while drawn < count {
                let u = membership_rng.random_range(0..users);
                if marked_for[u as usize] != g as u32 {
                    marked_for[u as usize] = g as u32;
                    member_session.push(SessionId(u));
                    drawn += 1;
                }
            }
        }
        guilds.push(Guild {
            node: ring.lookup(guild_key(g)),
            first,
            len: count,
            core: ProcCore::default(),
            work: Default::default(),
            join_seq: 0,
            online: 0,
            groups_first: 0,
            groups_len: 0,
        });
    }
    drop(marked_for);
    drop(shuffle_buffer);

    // Each session's membership slots, in guild order (a counting sort).
    let mut session_first = vec![0u32; users as usize + 1];
    for s in &member_session {
        session_first[s.index() + 1] += 1;
    }
    for i in 0..users as usize {
        session_first[i + 1] += session_first[i];
    }
    let mut session_slots = vec![0u32; member_session.len()];
    let mut fill = session_first.clone();
    for (slot, s) in member_session.iter().enumerate() {
        session_slots[fill[s.index()] as usize] = slot as u32;
        fill[s.index()] += 1;
    }
    drop(fill);

    // Sessions grouped by node.
    let mut node_sessions = Vec::with_capacity(users as usize);
    {
        let mut per_node = vec![0u32; node_count + 1];
        for n in &session_node {
            per_node[n.index() + 1] += 1;
        }
        for i in 0..node_count {
            per_node[i + 1] += per_node[i];
        }
        for (n, node) in nodes.iter_mut().enumerate() {
            node.sessions_first = per_node[n];
            node.sessions_end = per_node[n + 1];
        }
        node_sessions.resize(users as usize, SessionId(0));
        for (s, n) in session_node.iter().enumerate() {
            node_sessions[per_node[n.index()] as usize] = SessionId(s as u32);
            per_node[n.index()] += 1;
        }
    }

    let manifold_key = hash64(exp.seed, 0x6d61_6e69_666f_6c64);
    let session_receive = dist(&model.costs.session_receive);
    let lookup_cost = model
        .ring
        .lookup_cost
        .as_ref()
        .map(dist)
        .unwrap_or_else(|| Dist::constant(us(model.ring.lookup.published_cost_us())));
    let backoff = &model.registry.backoff;
    let params = Params {
        send_local: dist(&model.costs.send_local),
        send_remote: dist(&model.costs.send_remote),
        fold_deliveries: exp.run.deliveries == DeliveryMode::Folded && session_receive.is_zero(),
        session_receive,
        encode: dist(&model.costs.encode),
        guild_join: dist(&model.costs.guild_join),
        registry_call: dist(&model.registry.call_cost),
        lookup_cost,
        lookup_mode: model.ring.lookup,
        time_slice: us(model.scheduling.time_slice_us),
        horizon,
        latency: topology.latency,
        strategy: model.fanout.strategy,
        manifold: ManifoldParams {
            partitioners,
            group_cost_per_recipient_ns: model.fanout.manifold.group_cost_per_recipient_us * 1e3,
            partition_cost_per_recipient_ns: model.fanout.manifold.partition_cost_per_recipient_us
                * 1e3,
            offload: model.fanout.manifold.offload,
            binary: model.fanout.manifold.binary,
        },
        event_bytes: model.messages.event_bytes,
        presence_bytes: model.messages.presence_bytes,
        call_bytes: model.messages.call_bytes,
        recipient_bytes: model.messages.recipient_bytes,
        registry_timeout: ms(model.registry.timeout_ms),
        backoff: BackoffParams {
            initial_ns: backoff.initial_ms * 1e6,
            max_ns: backoff.max_ms * 1e6,
            multiplier: backoff.multiplier,
            jitter: backoff.jitter,
        },
        semaphore: model.registry.semaphore,
        presence_on_join: model.presence.on_join,
        presence_on_leave: model.presence.on_leave,
        presence_max_online: model.presence.max_online_members,
        session_bytes: model.memory.session_bytes,
        memory_limit: model.memory.limit_bytes,
        memory_restart: secs(model.memory.restart_s),
        memory_reconnect_jitter: secs(model.memory.reconnect_jitter_s),
        check_order: exp.run.check_order,
    };

    // Publishes.
    let publishes = &exp.workload.publishes;
    let rates: Vec<f64> = match publishes.rate {
        Rate::PerGuildPerS(r) => vec![r; guilds.len()],
        Rate::PerMemberPerS(r) => online.iter().map(|&o| r * o as f64).collect(),
    };
    let start = secs(publishes.start_s);
    let end = publishes
        .end_s
        .map(secs)
        .unwrap_or(horizon)
        .min(horizon.saturating_add(1));
    let bursts = exp
        .workload
        .bursts
        .iter()
        .map(|b| (secs(b.at_s), GuildId(b.guild), b.count))
        .collect();
    let publisher = Publisher::new(
        streams.stream("publishes"),
        streams.stream("presence"),
        users,
        publishes.presence_changes_per_session_per_s,
        &rates,
        start,
        end,
        bursts,
    );

    let mut world = World {
        params,
        rec: Recorder::new(ms(exp.output.sample_interval_ms), horizon, node_count),
        nodes,
        guilds,
        member_joined: vec![NOT_JOINED; member_session.len()],
        member_info: member_session
            .iter()
            .map(|s| session_node[s.index()].0 as u32)
            .collect(),
        member_session,
        by_node: Vec::new(),
        groups: Vec::new(),
        sessions: vec![
            Session {
                core: ProcCore::default(),
                token: 0,
                cursor: 0,
                phase: Phase::Offline,
                step: Step::Nothing,
                wait: Wait::Nothing,
                attempt: 0,
            };
            users as usize
        ],
        session_node,
        session_first,
        session_slots,
        node_sessions,
        services,
        mailboxes: Default::default(),
        channels: Channels::new(
            node_count,
            topology.bandwidth,
            model.network.send_buffer_bytes,
        ),
        costs_rng: streams.stream("costs"),
        faults_rng: streams.stream("faults"),
        publisher,
        storm_crashes: Vec::new(),
        waves: Vec::new(),
        timeouts: Default::default(),
        folded: 0,
        folded_until: 0,
        sessions_online: 0,
        sessions_online_at_start: 0,
        ring,
        ring_key,
        last_delivered: Vec::new(),
        manifold_key,
    };
    if manifold {
        world.build_groups();
    }
    if exp.run.check_order {
        world.last_delivered = vec![0; world.member_session.len()];
    }

    // Storms: who starts offline, and the crashes.
    let mut storm_rng = streams.stream("storms");
    let mut offline_until_login = vec![false; users as usize];
    world.storm_crashes = vec![(NodeId(0), 0, 0); exp.workload.storms.len()];
    for (i, storm) in exp.workload.storms.iter().enumerate() {
        let path = format!("workload.storms[{i}]");
        match storm {
            Storm::Login {
                users: count,
                start_s,
                window_s,
            } => {
                if *count > users {
                    return Err(error(
                        &format!("{path}.login.users"),
                        format!("must be at most the number of users ({users}), got {count}"),
                    ));
                }
                let (start, window) = (secs(*start_s), secs(*window_s));
                let mut wave = Vec::with_capacity(*count as usize);
                for s in 0..*count {
                    offline_until_login[s as usize] = true;
                    let at = start
                        + if window == 0 {
                            0
                        } else {
                            storm_rng.random_range(0..=window)
                        };
                    wave.push((at, SessionId(s)));
                }
                world.start_wave(wave, queue);
            }
            Storm::NodeRestart {
                node,
                at_s,
                down_s,
                reconnect_jitter_s,
            } => {
                let n = restart_node(exp, i, node)?;
                world.storm_crashes[i] =
                    (NodeId(n as u16), secs(*down_s), secs(*reconnect_jitter_s));
                queue.schedule(
                    secs(*at_s),
                    Event::Crash {
                        node: NodeId(n as u16),
                        storm: i as u32,
                    },
                );
            }
        }
    }
    // Everyone not waiting for a login storm is online and joined from the start.
    for (session, offline) in world.sessions.iter_mut().zip(&offline_until_login) {
        if !offline {
            session.phase = Phase::Online;
            world.sessions_online += 1;
        }
    }
    for g in 0..world.guilds.len() {
        let (first, len) = (world.guilds[g].first, world.guilds[g].len);
        for slot in first..first + len {
            let s = world.member_session[slot as usize];
            if world.sessions[s.index()].phase == Phase::Online {
                world.member_info[slot as usize] |= ONLINE_BIT;
                let guild = &mut world.guilds[g];
                world.member_joined[slot as usize] = guild.join_seq;
                guild.join_seq += 1;
                guild.online += 1;
            }
        }
    }
    if manifold {
        for i in 0..world.groups.len() {
            let Group { start, end, .. } = world.groups[i];
            world.groups[i].joined = (start..end)
                .filter(|&k| world.member_joined[world.by_node[k as usize] as usize] != NOT_JOINED)
                .count() as u32;
        }
    }

    // Nodes that can never have more runnable processes than schedulers. Sessions run only
    // to handle deliveries at a cost or to connect (storms, crashes).
    let sessions_run = !world.params.session_receive.is_zero()
        || !exp.workload.storms.is_empty()
        || model.memory.limit_bytes.is_some();
    let mut runnable = vec![0u64; node_count];
    for g in &world.guilds {
        runnable[g.node.index()] += 1;
    }
    for service in &world.services {
        runnable[service.node.index()] += 1;
    }
    if sessions_run {
        for n in &world.session_node {
            runnable[n.index()] += 1;
        }
    }
    for (node, &count) in world.nodes.iter_mut().zip(&runnable) {
        node.uncontended = count <= node.schedulers as u64;
    }

    // Memory: guilds and their members on guild nodes, connected sessions on session nodes.
    for g in 0..world.guilds.len() {
        let n = world.guilds[g].node.index();
        world.nodes[n].memory_static +=
            model.memory.guild_bytes + model.memory.member_bytes * world.guilds[g].len as u64;
    }
    for s in 0..users as usize {
        if world.sessions[s].phase == Phase::Online {
            world.nodes[world.session_node[s].index()].memory_static += model.memory.session_bytes;
        }
    }
    for n in 0..node_count {
        // Records the memory, and crashes a node that starts over the limit.
        world.add_memory(NodeId(n as u16), 0, 0, queue);
    }
    world.sessions_online_at_start = world.sessions_online;
    world.rec.sessions_online(0, world.sessions_online);
    world.start(queue);
    Ok(world)
}

impl World {
    /// Manifold: sorts each guild's slots by (node, worker) into `by_node` and cuts them into
    /// groups.
    fn build_groups(&mut self) {
        self.by_node = Vec::with_capacity(self.member_session.len());
        let mut keyed: Vec<(NodeId, u16, u32)> = Vec::new();
        for g in 0..self.guilds.len() {
            let (first, len) = (self.guilds[g].first, self.guilds[g].len);
            keyed.clear();
            keyed.extend((first..first + len).map(|slot| {
                let s = self.member_session[slot as usize];
                (self.session_node[s.index()], self.worker_of(s), slot)
            }));
            keyed.sort_unstable();
            self.guilds[g].groups_first = self.groups.len() as u32;
            for (i, &(node, worker, slot)) in keyed.iter().enumerate() {
                let at = self.by_node.len() as u32;
                self.by_node.push(slot);
                let new_group = i == 0 || (keyed[i - 1].0, keyed[i - 1].1) != (node, worker);
                if new_group {
                    self.groups.push(Group {
                        node,
                        worker,
                        start: at,
                        end: at + 1,
                        joined: 0,
                    });
                } else {
                    self.groups.last_mut().expect("a group").end = at + 1;
                }
            }
            self.guilds[g].groups_len = self.groups.len() as u32 - self.guilds[g].groups_first;
        }
    }
}
