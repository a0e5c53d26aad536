//! `@everyone` announcements (`model.everyone`, bursts with `everyone: true`): a chat event
//! that, besides finding each recipient, marks the mention for every one of them. Whoever walks
//! the members pays it: the guild (naive fan-out, Manifold), or each relay for its own members.
//! With `workers`, under Manifold, the guild hands the announcement to a worker process on
//! its node (the node's sender process, the one `offload` uses), which reads the members from
//! shared memory (`ets_read_us` more per member), checks them, marks the mention, groups them
//! by node and sends: the guild is free for its next message at once. The worker's fan-out
//! may then reach a member after chat the guild published later: order across the guild's
//! events is what workers give up.

use super::ids::GuildId;
use super::mailbox::Origin;
use super::sends::Outgoing;
use super::state::World;
use crate::config::schema::Experiment;
use crate::sim::Nanos;
use crate::sim::time::us;

/// `model.everyone` in engine units.
pub(crate) struct EveryoneParams {
    /// Marking one recipient's mention.
    pub(crate) mention: Nanos,
    /// Under Manifold, a worker does the walk and the fan-out.
    pub(crate) workers: bool,
    /// A worker's extra time per member to read it from the shared table.
    pub(crate) ets_read: Nanos,
}

impl EveryoneParams {
    pub(crate) fn new(exp: &Experiment) -> EveryoneParams {
        let config = exp.model.everyone.clone().unwrap_or_default();
        EveryoneParams {
            mention: us(config.mention_us),
            workers: config.workers,
            ets_read: us(config.ets_read_us),
        }
    }
}

impl World {
    /// Whether `out`, a fan-out of guild `g`, is an `@everyone` announcement.
    #[inline]
    pub(crate) fn is_everyone(&self, g: GuildId, out: &Outgoing) -> bool {
        out.origin == Origin::CHAT && self.publisher.is_everyone(g, out.publish_time)
    }

    /// The mentions the walker of `out` marks for `recipients` recipients (0 unless it is an
    /// `@everyone`).
    pub(crate) fn everyone_mentions(&self, g: GuildId, out: &Outgoing, recipients: u32) -> Nanos {
        if self.is_everyone(g, out) {
            self.everyone.mention.saturating_mul(recipients as Nanos)
        } else {
            0
        }
    }

    /// Whether guild `g` hands `out` to a worker (an `@everyone` with `workers`).
    pub(crate) fn to_everyone_worker(&self, g: GuildId, out: &Outgoing) -> bool {
        self.everyone.workers && self.is_everyone(g, out)
    }

    /// A worker's walk of `recipients` members for `out`: reading, checking, marking.
    pub(crate) fn worker_walk(&self, recipients: u32) -> Nanos {
        (self.everyone.ets_read + self.params.permission_check + self.everyone.mention)
            .saturating_mul(recipients as Nanos)
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::{ROUND_ROBIN, Tiny, assert_close};

    /// Five members on two session nodes under Manifold (one worker per node, no grouping
    /// cost), checks of 10 µs, mentions of 100 µs, reads of 1,000 µs; one `@everyone` at
    /// 0.1 s, or one plain message.
    fn manifold(everyone: bool, workers: bool) -> Tiny {
        Tiny::new(&[5])
            .set("model.fanout.strategy", "manifold")
            .set("model.fanout.manifold.workers_per_node", "1")
            .set("model.fanout.manifold.group_cost_per_recipient_us", "0")
            .set("model.fanout.manifold.partition_cost_per_recipient_us", "0")
            .set("workload.users.placement", ROUND_ROBIN)
            .set("model.costs.permission_check_us", "10")
            .set(
                "model.everyone",
                &format!("{{mention_us: 100, ets_read_us: 1000, workers: {workers}}}"),
            )
            .set(
                "workload.bursts",
                &format!("[{{guild: 0, at_s: 0.1, count: 1, everyone: {everyone}}}]"),
            )
    }

    #[test]
    fn an_everyone_costs_the_guild_a_mention_per_recipient() {
        // Plain: 5 checks (50 µs) and 2 remote sends (100 µs).
        let plain = manifold(false, false).run().summary;
        assert_close(plain.busy_s.of("guild"), 150e-6);
        // @everyone: 5 mentions more (500 µs), before the first send.
        let everyone = manifold(true, false).run().summary;
        assert_close(everyone.busy_s.of("guild"), 650e-6);
        assert_close(everyone.latency_ms.min - plain.latency_ms.min, 0.5);
        assert_eq!(everyone.deliveries_total, 5);
    }

    #[test]
    fn a_worker_takes_an_everyone_off_the_guild() {
        // The guild makes one local send (2 µs); the worker reads, checks and marks 5 members
        // (5 x 1,110 µs) and sends to the 2 nodes (100 µs).
        let s = manifold(true, true).run().summary;
        assert_close(s.busy_s.of("guild"), 2e-6);
        assert_close(s.busy_s.of("sender"), 5.0 * 1110e-6 + 100e-6);
        assert_eq!(s.deliveries_total, 5);
        // Plain chat does not go through the worker.
        let plain = manifold(false, true).run().summary;
        assert_close(plain.busy_s.of("guild"), 150e-6);
        assert_close(plain.busy_s.of("sender"), 0.0);
    }

    #[test]
    fn with_naive_fan_out_the_guild_marks_each_mention_beside_its_send() {
        let s = Tiny::new(&[5])
            .set("model.costs.permission_check_us", "10")
            .set("model.everyone", "{mention_us: 100}")
            .set(
                "workload.bursts",
                "[{guild: 0, at_s: 0.1, count: 1, everyone: true}]",
            )
            .run()
            .summary;
        // 5 x (50 µs send + 10 µs check + 100 µs mention).
        assert_close(s.busy_s.of("guild"), 5.0 * 160e-6);
    }
}
