//! Checks of the fan-out section (`model.fanout`), one function per strategy's parameters:
//! a new strategy's checks go here, beside its schema in `config/schema/fanout.rs`.

use super::Checker;
use crate::config::limits::*;
use crate::config::schema::Experiment;
use crate::config::yaml_source::FieldPath;

/// Checks `model.fanout` (at `fanout`).
pub(super) fn check(c: &mut Checker, exp: &Experiment, fanout: &FieldPath) {
    manifold(c, exp, fanout);
    relays(c, exp, fanout);
}

/// Manifold: partitioners, workers and the guild's and partitioner's costs per recipient.
fn manifold(c: &mut Checker, exp: &Experiment, fanout: &FieldPath) {
    let manifold = fanout.key("manifold");
    let m = &exp.model.fanout.manifold;
    c.count(m.partitioners as u64, 1, 32, &manifold.key("partitioners"));
    if let Some(w) = m.workers_per_node {
        c.count(
            w as u64,
            1,
            MAX_SCHEDULERS as u64,
            &manifold.key("workers_per_node"),
        );
    }
    c.range(
        m.group_cost_per_recipient_us,
        0.0,
        MAX_DURATION_US,
        &manifold.key("group_cost_per_recipient_us"),
    );
    c.range(
        m.partition_cost_per_recipient_us,
        0.0,
        MAX_DURATION_US,
        &manifold.key("partition_cost_per_recipient_us"),
    );
}

/// Relays: their size, memory and upkeep.
fn relays(c: &mut Checker, exp: &Experiment, fanout: &FieldPath) {
    let relays = fanout.key("relays");
    let r = &exp.model.fanout.relays;
    c.count(
        r.max_sessions as u64,
        1,
        MAX_GUILD_MEMBERS as u64,
        &relays.key("max_sessions"),
    );
    c.count(
        r.relay_bytes,
        0,
        MAX_ENTITY_BYTES,
        &relays.key("relay_bytes"),
    );
    c.count(
        r.member_bytes,
        0,
        MAX_ENTITY_BYTES,
        &relays.key("member_bytes"),
    );
    c.range(r.upkeep_us, 0.0, MAX_DURATION_US, &relays.key("upkeep_us"));
    c.range(r.resync_us, 0.0, MAX_DURATION_US, &relays.key("resync_us"));
}
