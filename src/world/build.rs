//! Builds a world from a validated experiment: nodes, guild placement, guild sizes, users and
//! their sessions, memberships, and the publish workload.
//!
//! Random streams used here: `sizes` (power-law guild sizes), `placement` (guild and session
//! placement), `membership` (who is in which guild), `publishes` (the workload) and `costs`
//! (kept by the world for every cost drawn during the run).

use super::event::Event;
use super::ids::{GuildId, NodeId, SessionId};
use super::publish::Publisher;
use super::state::{Guild, Node, Params, ProcCore, World};
use crate::config::schema::{
    DeliveryMode, DistConfig, Experiment, GuildSizes, Rate, Role, SessionPlacement,
};
use crate::metrics::Recorder;
use crate::sim::rng::{RngStreams, StreamRng, hash64};
use crate::sim::time::{ms, secs, us};
use crate::sim::{Dist, EventQueue, Nanos};
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
        } => {
            // Inverse transform of the continuous power law on [min, max + 1), floored.
            let (lo, hi, s) = (*min as f64, *max as f64 + 1.0, *exponent);
            (0..*count)
                .map(|_| {
                    let u: f64 = rng.random();
                    let x = if (s - 1.0).abs() < 1e-12 {
                        lo * (hi / lo).powf(u)
                    } else {
                        let (a, b) = (lo.powf(1.0 - s), hi.powf(1.0 - s));
                        (a + u * (b - a)).powf(1.0 / (1.0 - s))
                    };
                    (x.floor() as u32).clamp(*min, *max)
                })
                .collect()
        }
    }
}

/// Builds the world and schedules its first events.
pub fn build(exp: &Experiment, queue: &mut EventQueue<Event>) -> Result<World, BuildError> {
    let streams = RngStreams::new(exp.seed);
    let model = &exp.model;
    let horizon = secs(exp.run.horizon_s);

    // Nodes, in the order of the groups.
    let mut nodes = Vec::new();
    for group in &model.nodes {
        for i in 0..group.count {
            nodes.push(Node {
                name: format!("{}-{}", group.name, i),
                schedulers: group.schedulers,
                running: 0,
                run_queue: Default::default(),
                hosts_guilds: group.hosts.contains(&Role::Guilds),
                hosts_sessions: group.hosts.contains(&Role::Sessions),
            });
        }
    }
    if nodes.len() > u16::MAX as usize {
        return Err(error(
            "model.nodes",
            format!("at most {} nodes, got {}", u16::MAX, nodes.len()),
        ));
    }
    let guild_nodes: Vec<NodeId> = (0..nodes.len())
        .filter(|&n| nodes[n].hosts_guilds)
        .map(|n| NodeId(n as u16))
        .collect();
    let session_nodes: Vec<NodeId> = (0..nodes.len())
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
    let node_count = nodes.len();
    let mut latency = vec![us(model.network.latency_us); node_count * node_count];
    for n in 0..node_count {
        latency[n * node_count + n] = us(model.network.local_latency_us);
    }

    // Guild sizes and online members.
    let sizes = guild_sizes(&exp.workload.guilds.sizes, &mut streams.stream("sizes"));
    let fraction = exp.workload.guilds.online_fraction;
    let online: Vec<u32> = sizes
        .iter()
        .map(|&m| (m as f64 * fraction).round() as u32)
        .collect();
    let memberships: u64 = online.iter().map(|&o| o as u64).sum();
    if memberships > u32::MAX as u64 {
        return Err(error(
            "workload.guilds.sizes",
            format!(
                "at most {} online memberships in all, got {memberships}",
                u32::MAX
            ),
        ));
    }
    let users = (memberships as f64 / exp.workload.users.guilds_per_user_mean).ceil() as u64;
    let largest = online.iter().copied().max().unwrap_or(0) as u64;
    if largest > users {
        return Err(error(
            "workload.users.guilds_per_user_mean",
            format!(
                "the largest guild has {largest} online members but there are only {users} users \
                 ({memberships} online memberships / {} guilds per user); lower guilds_per_user_mean",
                exp.workload.users.guilds_per_user_mean
            ),
        ));
    }
    let users = users as u32;

    // Placement: guilds by a seeded hash over the guild nodes; sessions over session nodes.
    let mut placement = streams.stream("placement");
    let placement_key: u64 = placement.random();
    let session_node: Vec<NodeId> = (0..users)
        .map(|u| match exp.workload.users.placement {
            SessionPlacement::Uniform => {
                session_nodes[placement.random_range(0..session_nodes.len())]
            }
            SessionPlacement::RoundRobin => session_nodes[u as usize % session_nodes.len()],
        })
        .collect();

    // Memberships: each guild's online members are distinct users drawn uniformly.
    let mut membership_rng = streams.stream("membership");
    let mut members = Vec::with_capacity(memberships as usize);
    let mut guilds = Vec::with_capacity(online.len());
    let mut marked_for = vec![u32::MAX; users as usize];
    let mut shuffle_buffer: Vec<u32> = Vec::new();
    for (g, &count) in online.iter().enumerate() {
        let first = members.len() as u32;
        if (count as u64) * 2 > users as u64 {
            // Dense: a partial Fisher-Yates shuffle of all users.
            shuffle_buffer.clear();
            shuffle_buffer.extend(0..users);
            for i in 0..count as usize {
                let j = membership_rng.random_range(i..users as usize);
                shuffle_buffer.swap(i, j);
                members.push(SessionId(shuffle_buffer[i]));
            }
        } else {
            // Sparse: rejection of users already drawn for this guild.
            let mut drawn = 0;
            while drawn < count {
                let u = membership_rng.random_range(0..users);
                if marked_for[u as usize] != g as u32 {
                    marked_for[u as usize] = g as u32;
                    members.push(SessionId(u));
                    drawn += 1;
                }
            }
        }
        let node =
            guild_nodes[(hash64(placement_key, g as u64) % guild_nodes.len() as u64) as usize];
        guilds.push(Guild {
            node,
            first,
            len: count,
            core: ProcCore::default(),
            in_progress: false,
            next: 0,
            started: 0,
        });
    }
    drop(marked_for);

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
    let publisher = Publisher::new(streams.stream("publishes"), &rates, start, end, bursts);

    let session_receive = dist(&model.costs.session_receive);
    let params = Params {
        send_local: dist(&model.costs.send_local),
        send_remote: dist(&model.costs.send_remote),
        fold_deliveries: exp.run.deliveries == DeliveryMode::Folded && session_receive.is_zero(),
        session_receive,
        time_slice: us(model.scheduling.time_slice_us),
        horizon,
        latency,
    };
    let interval: Nanos = ms(exp.output.sample_interval_ms);
    let mut world = World {
        params,
        rec: Recorder::new(interval, horizon, node_count),
        nodes,
        guilds,
        members,
        sessions: vec![ProcCore::default(); users as usize],
        session_node,
        mailboxes: Default::default(),
        costs_rng: streams.stream("costs"),
        publisher,
        folded: 0,
        folded_until: 0,
    };
    world.start(queue);
    Ok(world)
}
