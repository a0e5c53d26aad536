//! Build stage: the model's parameters in engine units (distributions, nanoseconds, bytes).

use crate::config::schema::{
    DeliveryMode, DistConfig, EventKind, Experiment, ListScaling, MemberListConfig, MonitorKind,
    PassiveConfig, SendDraw,
};
use crate::sim::Dist;
use crate::sim::Nanos;
use crate::sim::rng::hash64;
use crate::sim::time::{ms, secs, us};
use crate::world::costs::Draw;
use crate::world::member_list::MemberListParams;
use crate::world::passive::PassiveParams;
use crate::world::relays::RelayParams;
use crate::world::state::{BackoffParams, ManifoldParams, Params};
use crate::world::zen_monitor::ZenParams;

pub fn dist(config: &DistConfig) -> Dist {
    match *config {
        DistConfig::Constant { us: v } => Dist::constant(us(v)),
        DistConfig::Uniform { min_us, max_us } => Dist::uniform(us(min_us), us(max_us)),
        DistConfig::Exponential { mean_us } => Dist::exponential(mean_us * 1e3),
        DistConfig::Lognormal { median_us, sigma } => Dist::lognormal(median_us * 1e3, sigma),
    }
}

/// The parameters of `exp`; `latency` is the network's node-to-node latency matrix.
pub(super) fn params(exp: &Experiment, latency: Vec<Nanos>) -> Params {
    let model = &exp.model;
    let session_receive = dist(&model.costs.session_receive);
    let lookup_cost = model
        .ring
        .lookup_cost
        .as_ref()
        .map(dist)
        .unwrap_or_else(|| Dist::constant(us(model.ring.lookup.published_cost_us())));
    let backoff = &model.registry.backoff;
    let manifold = &model.fanout.manifold;
    Params {
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
        horizon: secs(exp.run.horizon_s),
        latency,
        strategy: model.fanout.strategy,
        manifold: ManifoldParams {
            partitioners: manifold.partitioners,
            group_cost_per_recipient_ns: manifold.group_cost_per_recipient_us * 1e3,
            partition_cost_per_recipient_ns: manifold.partition_cost_per_recipient_us * 1e3,
            offload: manifold.offload,
            binary: manifold.binary,
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
        defer_slice_ends: exp.run.event_budget.is_none(),
        send_draw: match model.costs.send_draw {
            SendDraw::PerSend => Draw::PerSend,
            SendDraw::PerFanout => Draw::PerFanout,
            SendDraw::PerIntervalMs(v) => Draw::PerInterval(ms(v).max(1)),
        },
        cost_key: hash64(exp.seed, 0x0063_6f73_7473),
        member_list: member_list(&model.member_list),
        relays: RelayParams {
            max_sessions: model.fanout.relays.max_sessions,
            check_ns: model.fanout.relays.permission_check_us * 1e3,
            relay_bytes: model.fanout.relays.relay_bytes,
            member_bytes: model.fanout.relays.member_bytes,
        },
        passive: passive(&model.passive),
        zen: (model.monitors.kind == MonitorKind::ZenMonitor).then(|| ZenParams {
            batch: model.monitors.zen_batch,
            interval: ms(model.monitors.zen_interval_ms).max(1),
        }),
    }
}

/// The member list's parameters, if the guilds keep one.
fn member_list(config: &MemberListConfig) -> Option<MemberListParams> {
    let published = config.structure.published_cost()?;
    let cost = config.update_cost_at_250k.as_ref().unwrap_or(&published);
    let scaling = config
        .scaling
        .unwrap_or_else(|| config.structure.default_scaling());
    Some(MemberListParams {
        cost: dist(cost),
        log_scaling: scaling == ListScaling::Log,
        range_size: config.range_size,
    })
}

/// Passive sessions' parameters, if large guilds have them.
fn passive(config: &PassiveConfig) -> Option<PassiveParams> {
    Some(PassiveParams {
        min_members: config.min_members?,
        active_fraction: config.active_fraction,
        chat: config.receives.contains(&EventKind::Chat),
        presence: config.receives.contains(&EventKind::Presence),
        digest_interval: config.digest_interval_ms.map(|v| ms(v).max(1)),
    })
}
