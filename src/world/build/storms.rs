//! Build stage: storms (who starts offline for a login storm, and the scheduled crashes of
//! node restarts). Random stream: `storms`.

use super::{BuildError, error, nodes};
use crate::config::schema::{Experiment, Storm};
use crate::sim::EventQueue;
use crate::sim::rng::RngStreams;
use crate::sim::time::secs;
use crate::world::event::{Crash, Event};
use crate::world::ids::{NodeId, SessionId};
use crate::world::shape::ShapeFn;
use crate::world::state::World;
use rand::Rng;

/// The node restarted by storm `i`: it must exist and host only sessions.
pub(super) fn restart_node(exp: &Experiment, i: usize, node: &str) -> Result<usize, BuildError> {
    let layout = nodes::layout(exp);
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

/// Schedules the storms' login waves and crashes, in storm order. Returns, per session,
/// whether it starts offline (waiting for a login storm).
pub(super) fn schedule(
    exp: &Experiment,
    world: &mut World,
    streams: &RngStreams,
    queue: &mut EventQueue<Event>,
) -> Result<Vec<bool>, BuildError> {
    let users = world.sessions.len() as u32;
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
                shape,
            } => {
                if *count > users {
                    return Err(error(
                        &format!("{path}.login.users"),
                        format!("must be at most the number of users ({users}), got {count}"),
                    ));
                }
                let (start, window) = (secs(*start_s), secs(*window_s));
                let shape = ShapeFn::new(shape, start, start + window);
                let mut wave = Vec::with_capacity(*count as usize);
                for s in 0..*count {
                    offline_until_login[s as usize] = true;
                    let at = match shape {
                        _ if window == 0 => start,
                        ShapeFn::Constant => start + storm_rng.random_range(0..=window),
                        // Inverse transform: the time where the shaped arrivals reach a
                        // uniform fraction of the window's total.
                        _ => {
                            let total = shape.integral(start, start + window);
                            let u: f64 = storm_rng.random();
                            shape
                                .reach(start, start + window, u * total)
                                .unwrap_or(start + window)
                        }
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
                world.nodes[n].may_crash = true;
                queue.schedule(
                    secs(*at_s),
                    Event::Crash {
                        node: NodeId(n as u16),
                        cause: Crash::Storm(i as u32),
                    },
                );
            }
        }
    }
    Ok(offline_until_login)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn a_node_restart_names_a_node_that_hosts_only_sessions() {
        let exp = Tiny::new(&[3]).loaded().experiment;
        assert_eq!(
            restart_node(&exp, 0, "session-1").expect("a session node"),
            2
        );
        let e = restart_node(&exp, 0, "guild-0").expect_err("a guild node");
        assert_eq!(e.path, "workload.storms[0].node_restart.node");
        assert!(e.message.contains("hosts guilds"));
        let e = restart_node(&exp, 3, "session-9").expect_err("no such node");
        assert!(e.message.contains("session-0, session-1"), "{}", e.message);
    }

    #[test]
    fn storms_schedule_their_crash_and_keep_their_login_users_offline() {
        let tiny = Tiny::new(&[4]).set(
            "workload.storms",
            "[{login: {users: 2, start_s: 0.2, window_s: 0.1}}, \
              {node_restart: {node: session-0, at_s: 0.5, down_s: 0.2, reconnect_jitter_s: 0.05}}]",
        );
        let w = tiny.world();
        assert_eq!(w.storm_crashes[1], (NodeId(1), 200_000_000, 50_000_000));
        assert!(w.nodes[1].may_crash);
        assert!(!w.nodes[2].may_crash);
        let offline: Vec<bool> = w
            .sessions
            .iter()
            .map(|s| s.phase == crate::world::state::Phase::Offline)
            .collect();
        assert_eq!(offline, [true, true, false, false]);
        let s = tiny.run().summary;
        assert_eq!(s.crashes, 1);
        assert_eq!(s.sessions.online_at_start, 2);
        assert_eq!(s.sessions.online_at_end, 4);
        assert!(s.sessions.last_join_handled_s > 0.7);
    }
}
