//! Build stage: the model's parameters in engine units (distributions, nanoseconds, bytes).

use crate::config::schema::{DeliveryMode, DistConfig, Experiment, SendDraw};
use crate::sim::Dist;
use crate::sim::Nanos;
use crate::sim::rng::hash64;
use crate::sim::time::{ms, secs, us};
use crate::world::costs::Draw;
use crate::world::state::Params;

pub(crate) fn dist(config: &DistConfig) -> Dist {
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
    let session_per_byte = model.costs.serialise_ns_per_byte + model.costs.compress_ns_per_byte;
    Params {
        send_local: dist(&model.costs.send_local),
        send_remote: dist(&model.costs.send_remote),
        fold_deliveries: exp.run.deliveries == DeliveryMode::Folded
            && session_receive.is_zero()
            && session_per_byte == 0.0,
        session_receive,
        session_per_byte,
        compression_ratio: model.costs.compression_ratio,
        encode: dist(&model.costs.encode),
        guild_join: dist(&model.costs.guild_join),
        permission_check: us(model.costs.permission_check_us),
        time_slice: us(model.scheduling.time_slice_us),
        horizon: secs(exp.run.horizon_s),
        latency,
        event_bytes: model.messages.event_bytes,
        presence_bytes: model.messages.presence_bytes,
        call_bytes: model.messages.call_bytes,
        recipient_bytes: model.messages.recipient_bytes,
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::Tiny;

    #[test]
    fn parameters_are_in_nanoseconds_and_bytes() {
        let exp = Tiny::new(&[3])
            .set("model.costs.send_draw", "{per_interval_ms: 2.5}")
            .set("model.memory.restart_s", "1.5")
            .loaded()
            .experiment;
        let p = params(&exp, vec![0, 100_000, 100_000, 0]);
        assert_eq!(p.send_local.constant_value(), Some(2_000));
        assert_eq!(p.send_remote.constant_value(), Some(50_000));
        assert_eq!(p.time_slice, 1_000_000);
        assert_eq!(p.horizon, 1_000_000_000);
        assert_eq!(p.memory_restart, 1_500_000_000);
        assert_eq!(p.send_draw, Draw::PerInterval(2_500_000));
        assert!(
            p.fold_deliveries,
            "folded: sessions take no time to receive"
        );
        assert!(p.defer_slice_ends);
        let exp = Tiny::new(&[3])
            .set("model.costs.session_receive", "{dist: constant, us: 5}")
            .loaded()
            .experiment;
        assert!(!params(&exp, vec![0; 4]).fold_deliveries);
    }
}
