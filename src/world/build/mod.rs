//! Builds a world from a validated experiment, in stages with one job each:
//! `nodes` (nodes, network, service processes), `sizes` (guild sizes, online members,
//! users), `placement` (sessions on session nodes, guilds on the ring), `members`
//! (memberships), `params` (parameters in engine units), `workload` (the publisher),
//! `groups` (the fan-out strategy's groups, `fanout/groups.rs`), `storms` (login waves and crashes) and `initial` (the state at
//! time 0: joins, contention, memory). [`build`] runs them in that order.
//!
//! Random streams used here: `sizes`, `placement`, `membership`, `storms`, `publishes` and
//! `presence`, and, kept by the world for the run, `costs` (every cost drawn) and `faults`
//! (backoff jitter, reconnect delays).

mod initial;
mod members;
mod nodes;
mod params;
mod placement;
mod sizes;
mod storms;
mod workload;

pub(crate) use params::dist;
pub(crate) use sizes::{guild_sizes, zipf_size};

use super::channel::Channels;
use super::event::Event;
use super::fanout::Fanout;
use super::process::ProcCore;
use super::state::{NOT_JOINED, Phase, Session, Step, Wait, World};
use super::topology;
use crate::config::schema::{Experiment, Storm};
use crate::metrics::Recorder;
use crate::sim::EventQueue;
use crate::sim::rng::RngStreams;
use crate::sim::time::{ms, secs};

/// A problem found while building: the field it concerns and what is wrong.
#[derive(Debug)]
pub(crate) struct BuildError {
    pub(crate) path: String,
    pub(crate) message: String,
}

fn error(path: &str, message: String) -> BuildError {
    BuildError {
        path: path.to_string(),
        message,
    }
}

/// Entity counts an experiment will build, computed without building it.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub(crate) nodes: u64,
    pub(crate) guilds: u64,
    pub sessions: u64,
    pub memberships: u64,
}

/// The entity counts of `exp`.
pub(crate) fn counts(exp: &Experiment) -> Result<Counts, BuildError> {
    let totals = sizes::totals(exp, &RngStreams::new(exp.seed))?;
    Ok(Counts {
        nodes: exp.model.nodes.iter().map(|g| g.count as u64).sum(),
        guilds: totals.guilds,
        sessions: totals.users,
        memberships: totals.memberships,
    })
}

/// The checks of `build` that need no world: the network, the storms' nodes, and the
/// entity counts (guild sizes against users). Cheap, for `guildsim check`.
pub(crate) fn precheck(exp: &Experiment) -> Result<Counts, BuildError> {
    let layout = nodes::layout(exp);
    let names: Vec<String> = layout.iter().map(|l| l.0.clone()).collect();
    let groups: Vec<String> = layout.iter().map(|l| l.1.clone()).collect();
    topology::check(&exp.model.network, &names, &groups)
        .map_err(|(path, message)| error(&path, message))?;
    let counts = counts(exp)?;
    for (i, storm) in exp.workload.storms.iter().enumerate() {
        match storm {
            Storm::NodeRestart { node, .. } => {
                storms::restart_node(exp, i, node)?;
            }
            Storm::Login { users, .. } if *users as u64 > counts.sessions => {
                return Err(error(
                    &format!("workload.storms[{i}].login.users"),
                    format!(
                        "must be at most the number of users ({}), got {users}",
                        counts.sessions
                    ),
                ));
            }
            Storm::Login { .. } => {}
        }
    }
    Ok(counts)
}

/// Builds the world and schedules its first events.
pub(crate) fn build(exp: &Experiment, queue: &mut EventQueue<Event>) -> Result<World, BuildError> {
    let streams = RngStreams::new(exp.seed);
    let nodes::Cluster {
        mut nodes,
        guild_nodes,
        session_nodes,
        topology,
        services,
    } = nodes::build(exp)?;
    let node_count = nodes.len();
    let (online, users) = sizes::online_and_users(exp, &streams)?;
    let session_node = placement::sessions(exp, &session_nodes, users, &streams);
    let (ring, ring_key) = placement::ring(exp, &nodes, &guild_nodes);
    let members::Memberships {
        member_session,
        first,
    } = members::draw(&online, users, &mut streams.stream("membership"));
    let guilds = placement::guilds(&online, &first, &ring, ring_key);
    let guild_count = guilds.len();
    let (session_first, session_slots) = members::session_slots(&member_session, users);
    let node_sessions = placement::node_sessions(&mut nodes, &session_node);
    let horizon = secs(exp.run.horizon_s);

    let mut world = World {
        params: params::params(exp, topology.latency),
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
                pending: Step::Nothing,
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
            exp.model.network.send_buffer_bytes,
        ),
        costs_rng: streams.stream("costs"),
        faults_rng: streams.stream("faults"),
        publisher: workload::publisher(exp, &online, users, &streams),
        storm_crashes: Vec::new(),
        waves: Vec::new(),
        registries: super::registry::Registries::new(exp),
        lookups: super::lookup::Lookups::new(exp),
        folded: 0,
        folded_room: u32::MAX,
        deferrals: super::deferred::Deferrals::new(),
        folded_until: 0,
        folded_late: false,
        sessions_online: 0,
        sessions_online_at_start: 0,
        ring,
        ring_key,
        last_delivered: Vec::new(),
        batch_recipients: Vec::new(),
        zen: super::zen_monitor::ZenMonitor::new(exp, node_count),
        passive: super::passive::Passive::new(exp),
        behaviour: super::behaviour::Behaviour::new(exp, &streams),
        member_list: super::member_list::MemberList::new(exp, guild_count),
        gc: super::gc::Gc::new(exp, guild_count),
        everyone: super::everyone::EveryoneParams::new(exp),
        trace: None,
        fanout: Fanout::new(exp),
    };
    let windows: Vec<_> = exp
        .output
        .windows
        .iter()
        .map(|w| (w.name.clone(), secs(w.from_s), secs(w.to_s)))
        .collect();
    world.rec.set_windows(&windows);
    world.mark_active(queue);
    world.build_member_ranges();
    let grouped = world.fanout.grouped();
    world.build_fanout_groups();
    if exp.run.check_order {
        world.last_delivered = vec![0; world.member_session.len()];
    }
    let offline = storms::schedule(exp, &mut world, &streams, queue)?;
    world.join_initial(&offline);
    if grouped {
        world.count_group_joins();
    }
    world.start_users(queue);
    world.mark_uncontended(exp);
    world.mark_memory_crashes();
    world.initial_memory(exp, queue);
    world.sessions_online_at_start = world.sessions_online;
    world
        .rec
        .sessions_online
        .start_at(world.sessions_online as u64);
    world.start(queue);
    Ok(world)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn the_counts_computed_without_building_are_the_worlds() {
        let tiny = Tiny::new(&[3, 5, 2]).set("workload.users.guilds_per_user_mean", "2");
        let exp = tiny.loaded().experiment;
        let c = counts(&exp).expect("counts");
        let w = tiny.world();
        assert_eq!(c.nodes, w.nodes.len() as u64);
        assert_eq!(c.guilds, w.guilds.len() as u64);
        assert_eq!(c.sessions, w.sessions.len() as u64);
        assert_eq!(c.memberships, w.member_session.len() as u64);
        // 10 memberships, 2 per user: 5 users.
        assert_eq!((c.guilds, c.sessions, c.memberships), (3, 5, 10));
    }

    #[test]
    fn a_login_storm_larger_than_the_users_is_refused_by_the_precheck() {
        let exp = Tiny::new(&[3])
            .set(
                "workload.storms",
                "[{login: {users: 4, start_s: 0.5, window_s: 0}}]",
            )
            .loaded()
            .experiment;
        let e = precheck(&exp).expect_err("4 users out of 3");
        assert_eq!(e.path, "workload.storms[0].login.users");
    }
}
