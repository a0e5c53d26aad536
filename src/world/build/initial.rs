//! Build stage: the state at time 0. Sessions not waiting for a login storm are online and
//! joined to their guilds; which nodes can never be contended; each node's starting memory.

use crate::config::schema::Experiment;
use crate::sim::EventQueue;
use crate::world::event::Event;
use crate::world::ids::NodeId;
use crate::world::state::{ONLINE_BIT, Phase, World};

impl World {
    /// Every session not in `offline` is online and joined to its guilds, in guild order.
    pub(super) fn join_initial(&mut self, offline: &[bool]) {
        for (session, offline) in self.sessions.iter_mut().zip(offline) {
            if !offline {
                session.phase = Phase::Online;
                self.sessions_online += 1;
            }
        }
        for g in 0..self.guilds.len() {
            let (first, len) = (self.guilds[g].first, self.guilds[g].len);
            for slot in first..first + len {
                let s = self.member_session[slot as usize];
                if self.sessions[s.index()].phase == Phase::Online {
                    self.member_info[slot as usize] |= ONLINE_BIT;
                    let guild = &mut self.guilds[g];
                    self.member_joined[slot as usize] = guild.join_seq;
                    guild.join_seq += 1;
                    guild.online += 1;
                }
            }
        }
    }

    /// Marks the nodes that can never have more runnable processes than schedulers. Sessions
    /// run only to handle deliveries at a cost or to connect (storms, crashes).
    pub(super) fn mark_uncontended(&mut self, exp: &Experiment) {
        let sessions_run = self.params.sessions_busy()
            || self.behaviour.is_some()
            || !exp.workload.storms.is_empty()
            || exp.model.memory.limit_bytes.is_some();
        let mut runnable = vec![0u64; self.nodes.len()];
        for g in &self.guilds {
            runnable[g.node.index()] += 1;
        }
        for service in &self.services {
            runnable[service.node.index()] += 1;
        }
        if sessions_run {
            for n in &self.session_node {
                runnable[n.index()] += 1;
            }
        }
        for (node, &count) in self.nodes.iter_mut().zip(&runnable) {
            node.uncontended = count <= node.schedulers as u64;
        }
    }

    /// Nodes a memory limit can crash: those that host only sessions.
    pub(super) fn mark_memory_crashes(&mut self) {
        if self.params.memory_limit.is_some() {
            for node in &mut self.nodes {
                node.may_crash |= !node.hosts_guilds;
            }
        }
    }

    /// Memory: guilds and their members on guild nodes, connected sessions on session nodes.
    /// Records it, and crashes a node that starts over the limit.
    pub(super) fn initial_memory(&mut self, exp: &Experiment, queue: &mut EventQueue<Event>) {
        let memory = &exp.model.memory;
        for g in 0..self.guilds.len() {
            let n = self.guilds[g].node.index();
            self.nodes[n].memory_static +=
                memory.guild_bytes + memory.member_bytes * self.guilds[g].len as u64;
        }
        self.fanout_memory();
        for s in 0..self.sessions.len() {
            if self.sessions[s].phase == Phase::Online {
                self.nodes[self.session_node[s].index()].memory_static += memory.session_bytes;
            }
        }
        for n in 0..self.nodes.len() {
            self.add_memory(NodeId(n as u16), 0, 0, queue);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::world::state::{NOT_JOINED, ONLINE_BIT, Phase};
    use crate::world::tiny::Tiny;

    #[test]
    fn at_time_zero_every_session_is_online_and_joined_in_guild_order() {
        let w = Tiny::new(&[3, 2])
            .set("model.memory.guild_bytes", "1000")
            .set("model.memory.member_bytes", "10")
            .set("model.memory.session_bytes", "100")
            .set("workload.users.placement", crate::world::tiny::ROUND_ROBIN)
            .world();
        assert!(w.sessions.iter().all(|s| s.phase == Phase::Online));
        assert_eq!(w.sessions_online, 5);
        for guild in &w.guilds {
            assert_eq!(guild.online, guild.len);
            let joined: Vec<u32> = (guild.first..guild.first + guild.len)
                .map(|slot| w.member_joined[slot as usize])
                .collect();
            assert_eq!(joined, (0..guild.len).collect::<Vec<_>>());
            assert_eq!(guild.join_seq, guild.len);
        }
        assert!(w.member_info.iter().all(|&i| i & ONLINE_BIT != 0));
        // Memory: guilds and members on the guild node, sessions on theirs (3 and 2).
        assert_eq!(w.nodes[0].memory_static, 2 * 1000 + 5 * 10);
        assert_eq!(w.nodes[1].memory_static, 3 * 100);
        assert_eq!(w.nodes[2].memory_static, 2 * 100);
    }

    #[test]
    fn a_session_waiting_for_a_login_storm_starts_offline_and_unjoined() {
        let w = Tiny::new(&[4])
            .set(
                "workload.storms",
                "[{login: {users: 1, start_s: 0.5, window_s: 0}}]",
            )
            .world();
        assert_eq!(w.sessions[0].phase, Phase::Offline);
        assert_eq!(w.sessions_online, 3);
        assert_eq!(w.guilds[0].online, 3);
        let slot = w.session_slots[w.slots_of(crate::world::ids::SessionId(0)).start];
        assert_eq!(w.member_joined[slot as usize], NOT_JOINED);
        // With a storm sessions run (to connect): a session node is uncontended only if its
        // sessions and ring process fit its 4 schedulers; the guild node (a guild and a
        // registry) always is.
        assert!(w.nodes[0].uncontended);
        for n in 1..3 {
            let node = &w.nodes[n];
            let runnable = node.sessions_end - node.sessions_first + 1;
            assert_eq!(node.uncontended, runnable <= 4, "node {n}");
        }
    }
}
