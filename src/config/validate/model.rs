//! Checks of the model: node groups, network, costs, scheduling, messages, ring,
//! registry and memory, each against its range in `limits`.

use super::Checker;
use crate::config::limits::*;
use crate::config::schema::{Experiment, SendDraw};
use crate::config::yaml_source::FieldPath;

/// Checks `exp.model`; returns the shortest restart it allows (longer than any network path).
pub(super) fn check(c: &mut Checker, exp: &Experiment) -> f64 {
    let model = FieldPath::root().key("model");
    nodes(c, exp, &model);
    let max_latency_us = network(c, exp, &model.key("network"));
    costs(c, exp, &model);
    super::fanout::check(c, exp, &model.key("fanout"));
    services(c, exp, &model);
    member_list(c, exp, &model);
    monitors(c, exp, &model);
    passive(c, exp, &model);
    gc(c, exp, &model);
    everyone(c, exp, &model);
    memory(c, exp, &model.key("memory"), max_latency_us)
}

fn nodes(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let length = exp.model.design.chars().count();
    c.check(length <= 200, &model.key("design"), || {
        format!("must be at most 200 characters, got {length}")
    });
    let nodes = model.key("nodes");
    c.check(!exp.model.nodes.is_empty(), &nodes, || {
        "at least one node group is needed".into()
    });
    for (i, group) in exp.model.nodes.iter().enumerate() {
        let p = nodes.index(i);
        c.check(!group.name.is_empty(), &p.key("name"), || {
            "must not be empty".into()
        });
        if exp.model.nodes[..i].iter().any(|g| g.name == group.name) {
            c.fail(
                &p.key("name"),
                format!("duplicate node group name `{}`", group.name),
            );
        }
        c.count(group.count as u64, 1, MAX_NODES, &p.key("count"));
        c.count(
            group.schedulers as u64,
            1,
            MAX_SCHEDULERS as u64,
            &p.key("schedulers"),
        );
        c.check(!group.hosts.is_empty(), &p.key("hosts"), || {
            "must list at least one of: guilds, sessions".into()
        });
    }
    let total: u64 = exp.model.nodes.iter().map(|g| g.count as u64).sum();
    c.check(total <= MAX_NODES, &nodes, || {
        format!("at most {MAX_NODES} nodes in all groups together, got {total}")
    });
}

/// Checks the network; returns the longest path a message could take, in µs (every link once).
fn network(c: &mut Checker, exp: &Experiment, network: &FieldPath) -> f64 {
    let net = &exp.model.network;
    c.range(
        net.latency_us,
        0.0,
        MAX_DURATION_US,
        &network.key("latency_us"),
    );
    c.range(
        net.local_latency_us,
        0.0,
        MAX_DURATION_US,
        &network.key("local_latency_us"),
    );
    if let Some(bw) = net.bandwidth_mbps {
        c.range(
            bw,
            MIN_BANDWIDTH_MBPS,
            MAX_BANDWIDTH_MBPS,
            &network.key("bandwidth_mbps"),
        );
    }
    c.count(
        net.send_buffer_bytes,
        1,
        MAX_ENTITY_BYTES,
        &network.key("send_buffer_bytes"),
    );
    let group_names: Vec<&str> = exp.model.nodes.iter().map(|g| g.name.as_str()).collect();
    for (d, dc) in net.datacenters.iter().enumerate() {
        let p = network.key("datacenters").index(d);
        c.check(!dc.name.is_empty(), &p.key("name"), || {
            "must not be empty".into()
        });
        for (k, group) in dc.groups.iter().enumerate() {
            c.check(
                group_names.contains(&group.as_str()),
                &p.key("groups").index(k),
                || {
                    format!(
                        "no node group named `{group}`; node groups: {}",
                        group_names.join(", ")
                    )
                },
            );
        }
    }
    let mut max_latency_us = net.latency_us.max(net.local_latency_us);
    for (l, link) in net.links.iter().enumerate() {
        let p = network.key("links").index(l);
        c.range(link.latency_us, 0.0, MAX_DURATION_US, &p.key("latency_us"));
        if let Some(bw) = link.bandwidth_mbps {
            c.range(
                bw,
                MIN_BANDWIDTH_MBPS,
                MAX_BANDWIDTH_MBPS,
                &p.key("bandwidth_mbps"),
            );
        }
        if link.latency_us.is_finite() {
            max_latency_us += link.latency_us.clamp(0.0, MAX_DURATION_US);
        }
    }
    if max_latency_us.is_finite() {
        max_latency_us
    } else {
        0.0
    }
}

fn costs(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let costs = model.key("costs");
    let k = &exp.model.costs;
    c.dist(&k.send_local, &costs.key("send_local"));
    c.dist(&k.send_remote, &costs.key("send_remote"));
    c.dist(&k.session_receive, &costs.key("session_receive"));
    c.dist(&k.encode, &costs.key("encode"));
    c.dist(&k.guild_join, &costs.key("guild_join"));
    c.range(
        k.permission_check_us,
        0.0,
        MAX_DURATION_US,
        &costs.key("permission_check_us"),
    );
    // Per byte: at most a millisecond a byte.
    c.range(
        k.serialise_ns_per_byte,
        0.0,
        1e6,
        &costs.key("serialise_ns_per_byte"),
    );
    c.range(
        k.compress_ns_per_byte,
        0.0,
        1e6,
        &costs.key("compress_ns_per_byte"),
    );
    c.range(
        k.compression_ratio,
        1.0,
        1000.0,
        &costs.key("compression_ratio"),
    );
    if let SendDraw::PerIntervalMs(v) = k.send_draw {
        c.above(
            v,
            0.0,
            MAX_TIME_MS,
            &costs.key("send_draw").key("per_interval_ms"),
        );
    }
    c.range(
        exp.model.scheduling.time_slice_us,
        MIN_TIME_SLICE_US,
        MAX_DURATION_US,
        &model.key("scheduling").key("time_slice_us"),
    );
}

fn services(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let messages = model.key("messages");
    let msg = &exp.model.messages;
    for (name, value) in [
        ("event_bytes", msg.event_bytes),
        ("presence_bytes", msg.presence_bytes),
        ("call_bytes", msg.call_bytes),
        ("recipient_bytes", msg.recipient_bytes),
    ] {
        c.count(value, 0, MAX_MESSAGE_BYTES, &messages.key(name));
    }

    let ring = model.key("ring");
    c.count(
        exp.model.ring.replicas as u64,
        1,
        MAX_REPLICAS as u64,
        &ring.key("replicas"),
    );
    if let Some(cost) = &exp.model.ring.lookup_cost {
        c.dist(cost, &ring.key("lookup_cost"));
    }
    let registry = model.key("registry");
    let r = &exp.model.registry;
    c.dist(&r.call_cost, &registry.key("call_cost"));
    c.above(r.timeout_ms, 0.0, MAX_TIME_MS, &registry.key("timeout_ms"));
    let backoff = registry.key("backoff");
    let b = &r.backoff;
    c.above(b.initial_ms, 0.0, MAX_TIME_MS, &backoff.key("initial_ms"));
    c.range(
        b.max_ms,
        b.initial_ms.clamp(0.0, MAX_TIME_MS),
        MAX_TIME_MS,
        &backoff.key("max_ms"),
    );
    c.range(
        b.multiplier,
        1.0,
        MAX_MULTIPLIER,
        &backoff.key("multiplier"),
    );
    c.check(
        (0.0..1.0).contains(&b.jitter),
        &backoff.key("jitter"),
        || format!("must be a number from 0 to below 1, got {}", b.jitter),
    );
    if let Some(limit) = r.semaphore {
        c.count(
            limit as u64,
            1,
            MAX_SEMAPHORE as u64,
            &registry.key("semaphore"),
        );
    }
}

/// The lazy member list: its update cost and the visible range clients subscribe to.
fn member_list(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let list = model.key("member_list");
    let ml = &exp.model.member_list;
    if let Some(cost) = &ml.update_cost_at_250k {
        c.dist(cost, &list.key("update_cost_at_250k"));
    }
    c.count(
        ml.range_size as u64,
        1,
        MAX_GUILD_MEMBERS as u64,
        &list.key("range_size"),
    );
    if let crate::config::schema::Subscribers::Zipf(exponent) = ml.subscribers {
        c.range(exponent, 0.0, 10.0, &list.key("subscribers").key("zipf"));
    }
}

/// Passive sessions: which guilds, how many active, how often a digest.
fn passive(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let passive = model.key("passive");
    let p = &exp.model.passive;
    if let Some(min) = p.min_members {
        c.count(
            min as u64,
            1,
            MAX_GUILD_MEMBERS as u64,
            &passive.key("min_members"),
        );
    }
    c.above(p.active_fraction, 0.0, 1.0, &passive.key("active_fraction"));
    if let Some(interval) = p.digest_interval_ms {
        c.range(
            interval,
            1.0,
            MAX_TIME_MS,
            &passive.key("digest_interval_ms"),
        );
    }
    c.count(
        p.digest_bytes,
        0,
        u32::MAX as u64,
        &passive.key("digest_bytes"),
    );
    if let Some(users) = &p.users {
        users_config(c, exp, users, &passive.key("users"));
    }
}

/// Users with behaviour: rates, times and sizes in ranges whose runs stay bounded.
fn users_config(
    c: &mut Checker,
    exp: &Experiment,
    u: &crate::config::schema::UsersConfig,
    path: &FieldPath,
) {
    c.check(
        exp.model.passive.min_members.is_none()
            || exp.model.fanout.strategy == crate::config::schema::FanoutStrategy::Relays,
        path,
        || {
            "users who open and leave guilds need `model.fanout.strategy: relays` (their \
             relays take the active members as they start on a message)"
                .into()
        },
    );
    // At most one open a second per member.
    c.range(u.opens_per_hour, 0.0, 3600.0, &path.key("opens_per_hour"));
    c.range(u.dwell_s, 0.001, MAX_TIME_MS / 1e3, &path.key("dwell_s"));
    if let Some(w) = &u.wake {
        let wake = path.key("wake");
        c.range(w.respond, 0.0, 0.99, &wake.key("respond"));
        c.range(
            w.time_constant_s,
            0.001,
            MAX_TIME_MS / 1e3,
            &wake.key("time_constant_s"),
        );
    }
    let sync = path.key("sync");
    c.range(u.sync.relay_us, 0.0, MAX_DURATION_US, &sync.key("relay_us"));
    c.range(
        u.sync.per_message_us,
        0.0,
        MAX_DURATION_US,
        &sync.key("per_message_us"),
    );
    c.count(
        u.sync.max_messages as u64,
        0,
        100_000,
        &sync.key("max_messages"),
    );
    c.count(u.sync.base_bytes, 0, 1 << 30, &sync.key("base_bytes"));
    if let Some(rate) = u.sync.max_per_s {
        c.range(rate, 0.001, 1e9, &sync.key("max_per_s"));
    }
    if let Some(m) = &u.mentions {
        c.range(
            m.per_message,
            0.0,
            1.0,
            &path.key("mentions").key("per_message"),
        );
    }
}

/// Guild processes' garbage collection: heap sizes, thresholds, allocations and pause costs.
fn gc(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let Some(g) = &exp.model.gc else {
        return;
    };
    let gc = model.key("gc");
    c.count(
        g.young_heap_bytes,
        MIN_GC_HEAP_BYTES,
        MAX_ENTITY_BYTES,
        &gc.key("young_heap_bytes"),
    );
    c.count(
        g.fullsweep_after,
        0,
        MAX_FULLSWEEP_AFTER,
        &gc.key("fullsweep_after"),
    );
    c.count(
        g.bin_vheap_bytes,
        MIN_GC_HEAP_BYTES,
        MAX_LIMIT_BYTES,
        &gc.key("bin_vheap_bytes"),
    );
    c.count(
        g.alloc_per_message_bytes,
        0,
        MAX_ENTITY_BYTES,
        &gc.key("alloc_per_message_bytes"),
    );
    c.count(
        g.alloc_per_recipient_bytes,
        0,
        MAX_MESSAGE_BYTES,
        &gc.key("alloc_per_recipient_bytes"),
    );
    c.range(
        g.pause_fixed_us,
        0.0,
        MAX_DURATION_US,
        &gc.key("pause_fixed_us"),
    );
    for (name, value) in [
        ("minor_pause_ns_per_byte", g.minor_pause_ns_per_byte),
        ("full_pause_ns_per_byte", g.full_pause_ns_per_byte),
    ] {
        c.range(value, 0.0, MAX_GC_NS_PER_BYTE, &gc.key(name));
    }
}

/// ZenMonitor's rate.
fn monitors(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let monitors = model.key("monitors");
    let m = &exp.model.monitors;
    c.count(
        m.zen_batch as u64,
        1,
        MAX_MEMBERSHIPS,
        &monitors.key("zen_batch"),
    );
    c.above(
        m.zen_interval_ms,
        0.0,
        MAX_TIME_MS,
        &monitors.key("zen_interval_ms"),
    );
}

/// Checks memory; returns the shortest restart allowed (longer than any network path).
fn memory(c: &mut Checker, exp: &Experiment, memory: &FieldPath, max_latency_us: f64) -> f64 {
    let m = &exp.model.memory;
    for (name, value) in [
        ("session_bytes", m.session_bytes),
        ("guild_bytes", m.guild_bytes),
        ("member_bytes", m.member_bytes),
    ] {
        c.count(value, 0, MAX_ENTITY_BYTES, &memory.key(name));
    }
    if let Some(limit) = m.limit_bytes {
        c.count(limit, 1, MAX_LIMIT_BYTES, &memory.key("limit_bytes"));
    }
    // A session must not come back while messages sent before its node crashed are still in
    // flight: restarts take longer than any network path.
    let min_restart_s = max_latency_us * 1e-6;
    c.above(m.restart_s, 0.0, MAX_TIME_S, &memory.key("restart_s"));
    if m.restart_s > 0.0 && m.restart_s <= min_restart_s {
        // Blame the latency when it alone is too long (the field a user usually changes).
        let net = &exp.model.network;
        let at = if net.latency_us * 1e-6 >= m.restart_s {
            FieldPath::root()
                .key("model")
                .key("network")
                .key("latency_us")
        } else {
            memory.key("restart_s")
        };
        c.fail(
            &at,
            format!(
                "model.memory.restart_s ({} s) must be longer than the longest network path \
                 ({} s: model.network.latency_us and links), so that a session never comes back \
                 while messages sent before its node crashed are still in flight; raise \
                 restart_s or lower the latency",
                fmt_num(m.restart_s),
                fmt_num(min_restart_s)
            ),
        );
    }
    c.range(
        m.reconnect_jitter_s,
        0.0,
        MAX_TIME_S,
        &memory.key("reconnect_jitter_s"),
    );
    min_restart_s
}

/// `@everyone` announcements: the mention and read costs.
fn everyone(c: &mut Checker, exp: &Experiment, model: &FieldPath) {
    let Some(e) = &exp.model.everyone else {
        return;
    };
    let at = model.key("everyone");
    c.range(e.mention_us, 0.0, MAX_DURATION_US, &at.key("mention_us"));
    c.range(e.ets_read_us, 0.0, MAX_DURATION_US, &at.key("ets_read_us"));
}
