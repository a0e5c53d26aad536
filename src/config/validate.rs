//! Semantic checks of an assembled experiment: values that deserialise but make no sense
//! (negative rates, min > max, a burst to a guild that does not exist, ...). Every problem is
//! reported, each located through the source map.

use super::ConfigErrors;
use super::schema::{DistConfig, Experiment, GuildSizes, Rate, SendDraw, Storm};
use super::yaml_source::{self, ConfigError, FieldPath, SourceMap};

/// At most this many time-series bins per run.
const MAX_BINS: f64 = 10_000_000.0;

struct Checker<'a> {
    map: &'a SourceMap,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    fn fail(&mut self, path: &FieldPath, message: String) {
        self.errors
            .push(yaml_source::error_at(self.map, path, message));
    }

    fn check(&mut self, ok: bool, path: &FieldPath, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(path, message());
        }
    }

    /// A finite number >= `min` (or > `min` when `strict`).
    fn number(&mut self, value: f64, min: f64, strict: bool, path: &FieldPath) {
        let ok = value.is_finite() && if strict { value > min } else { value >= min };
        let op = if strict { ">" } else { ">=" };
        self.check(ok, path, || {
            format!("must be a finite number {op} {min}, got {value}")
        });
    }

    fn dist(&mut self, d: &DistConfig, path: &FieldPath) {
        match *d {
            DistConfig::Constant { us } => self.number(us, 0.0, false, &path.key("us")),
            DistConfig::Uniform { min_us, max_us } => {
                self.number(min_us, 0.0, false, &path.key("min_us"));
                self.number(max_us, 0.0, false, &path.key("max_us"));
                self.check(min_us <= max_us, &path.key("max_us"), || {
                    format!("must be >= min_us ({min_us}), got {max_us}")
                });
            }
            DistConfig::Exponential { mean_us } => {
                self.number(mean_us, 0.0, true, &path.key("mean_us"))
            }
            DistConfig::Lognormal { median_us, sigma } => {
                self.number(median_us, 0.0, true, &path.key("median_us"));
                self.number(sigma, 0.0, false, &path.key("sigma"));
            }
        }
    }
}

pub fn validate(exp: &Experiment, map: &SourceMap) -> Result<(), ConfigErrors> {
    let mut c = Checker {
        map,
        errors: Vec::new(),
    };
    let root = FieldPath::root();

    if let Some(name) = &exp.name {
        let ok = !name.is_empty()
            && name.chars().count() <= 100
            && !name.starts_with('.')
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "_-.".contains(ch));
        c.check(ok, &root.key("name"), || {
            format!(
                "must be 1 to 100 letters, digits, `_`, `-` or `.`, not starting with `.` \
                 (it names the output folder), got `{name}`"
            )
        });
    }

    let model = root.key("model");
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
        c.check(group.count >= 1, &p.key("count"), || {
            format!("must be >= 1, got {}", group.count)
        });
        c.check(group.schedulers >= 1, &p.key("schedulers"), || {
            format!("must be >= 1, got {}", group.schedulers)
        });
        c.check(!group.hosts.is_empty(), &p.key("hosts"), || {
            "must list at least one of: guilds, sessions".into()
        });
    }
    let network = model.key("network");
    c.number(
        exp.model.network.latency_us,
        0.0,
        false,
        &network.key("latency_us"),
    );
    c.number(
        exp.model.network.local_latency_us,
        0.0,
        false,
        &network.key("local_latency_us"),
    );
    let costs = model.key("costs");
    c.dist(&exp.model.costs.send_local, &costs.key("send_local"));
    c.dist(&exp.model.costs.send_remote, &costs.key("send_remote"));
    c.dist(
        &exp.model.costs.session_receive,
        &costs.key("session_receive"),
    );
    c.number(
        exp.model.scheduling.time_slice_us,
        0.0,
        true,
        &model.key("scheduling").key("time_slice_us"),
    );
    c.dist(&exp.model.costs.encode, &costs.key("encode"));
    c.dist(&exp.model.costs.guild_join, &costs.key("guild_join"));
    if let SendDraw::PerIntervalMs(v) = exp.model.costs.send_draw {
        let p = costs.key("send_draw").key("per_interval_ms");
        c.number(v, 0.0, true, &p);
        c.check(v <= 1e12, &p, || format!("must be at most 1e12, got {v}"));
    }
    if let Some(bw) = exp.model.network.bandwidth_mbps {
        c.number(bw, 0.0, true, &network.key("bandwidth_mbps"));
    }
    c.check(
        exp.model.network.send_buffer_bytes >= 1,
        &network.key("send_buffer_bytes"),
        || "must be >= 1".into(),
    );
    let group_names: Vec<&str> = exp.model.nodes.iter().map(|g| g.name.as_str()).collect();
    for (d, dc) in exp.model.network.datacenters.iter().enumerate() {
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
    let mut max_latency_us = exp
        .model
        .network
        .latency_us
        .max(exp.model.network.local_latency_us);
    for (l, link) in exp.model.network.links.iter().enumerate() {
        let p = network.key("links").index(l);
        c.number(link.latency_us, 0.0, false, &p.key("latency_us"));
        if let Some(bw) = link.bandwidth_mbps {
            c.number(bw, 0.0, true, &p.key("bandwidth_mbps"));
        }
        max_latency_us += link.latency_us.max(0.0);
    }

    let manifold = model.key("fanout").key("manifold");
    let m = &exp.model.fanout.manifold;
    c.check(
        (1..=32).contains(&m.partitioners),
        &manifold.key("partitioners"),
        || format!("must be between 1 and 32, got {}", m.partitioners),
    );
    if let Some(w) = m.workers_per_node {
        c.check(
            (1..=u16::MAX as u32).contains(&w),
            &manifold.key("workers_per_node"),
            || format!("must be between 1 and {}, got {w}", u16::MAX),
        );
    }
    c.number(
        m.group_cost_per_recipient_us,
        0.0,
        false,
        &manifold.key("group_cost_per_recipient_us"),
    );
    c.number(
        m.partition_cost_per_recipient_us,
        0.0,
        false,
        &manifold.key("partition_cost_per_recipient_us"),
    );

    let ring = model.key("ring");
    c.check(exp.model.ring.replicas >= 1, &ring.key("replicas"), || {
        "must be >= 1".into()
    });
    if let Some(cost) = &exp.model.ring.lookup_cost {
        c.dist(cost, &ring.key("lookup_cost"));
    }
    let registry = model.key("registry");
    c.dist(&exp.model.registry.call_cost, &registry.key("call_cost"));
    c.number(
        exp.model.registry.timeout_ms,
        0.0,
        true,
        &registry.key("timeout_ms"),
    );
    let backoff = registry.key("backoff");
    let b = &exp.model.registry.backoff;
    c.number(b.initial_ms, 0.0, true, &backoff.key("initial_ms"));
    c.number(b.max_ms, b.initial_ms, false, &backoff.key("max_ms"));
    c.number(b.multiplier, 1.0, false, &backoff.key("multiplier"));
    c.check(
        (0.0..1.0).contains(&b.jitter),
        &backoff.key("jitter"),
        || format!("must be in [0, 1), got {}", b.jitter),
    );
    if let Some(limit) = exp.model.registry.semaphore {
        c.check(limit >= 1, &registry.key("semaphore"), || {
            "must be >= 1 (or absent for no Semaphore)".into()
        });
    }
    let list = model.key("member_list");
    let ml = &exp.model.member_list;
    if let Some(cost) = &ml.update_cost_at_250k {
        c.dist(cost, &list.key("update_cost_at_250k"));
    }
    c.check(
        (1..=1_000_000_000).contains(&ml.range_size),
        &list.key("range_size"),
        || format!("must be between 1 and 1000000000, got {}", ml.range_size),
    );
    let memory = model.key("memory");
    if let Some(limit) = exp.model.memory.limit_bytes {
        c.check(limit >= 1, &memory.key("limit_bytes"), || {
            "must be >= 1 (or absent for no limit)".into()
        });
    }
    // A session must not come back while messages sent before its node crashed are still in
    // flight: restarts take longer than any network path.
    let min_restart_s = max_latency_us * 1e-6;
    c.number(
        exp.model.memory.restart_s,
        min_restart_s,
        true,
        &memory.key("restart_s"),
    );
    c.number(
        exp.model.memory.reconnect_jitter_s,
        0.0,
        false,
        &memory.key("reconnect_jitter_s"),
    );

    let run = root.key("run");
    c.number(exp.run.horizon_s, 0.0, true, &run.key("horizon_s"));
    if let Some(budget) = exp.run.event_budget {
        c.check(budget >= 1, &run.key("event_budget"), || {
            "must be >= 1".into()
        });
    }

    let workload = root.key("workload");
    let guilds = workload.key("guilds");
    let sizes = guilds.key("sizes");
    let guild_count = match &exp.workload.guilds.sizes {
        GuildSizes::List(list) => {
            c.check(!list.is_empty(), &sizes.key("list"), || {
                "must list at least one guild size".into()
            });
            list.len() as u64
        }
        GuildSizes::Fixed { count, .. } => *count as u64,
        GuildSizes::Zipf {
            count,
            min,
            max,
            exponent,
        } => {
            let p = sizes.key("zipf");
            c.check(*min >= 1, &p.key("min"), || {
                format!("must be >= 1, got {min}")
            });
            c.check(min <= max, &p.key("max"), || {
                format!("must be >= min ({min}), got {max}")
            });
            c.number(*exponent, 0.0, true, &p.key("exponent"));
            *count as u64
        }
    };
    c.check(guild_count >= 1, &sizes, || {
        "at least one guild is needed".into()
    });
    let fraction = exp.workload.guilds.online_fraction;
    c.check(
        (0.0..=1.0).contains(&fraction),
        &guilds.key("online_fraction"),
        || format!("must be between 0 and 1, got {fraction}"),
    );
    let users = workload.key("users");
    match (
        exp.workload.users.guilds_per_user_mean,
        exp.workload.users.count,
    ) {
        (Some(mean), None) => c.number(mean, 0.0, true, &users.key("guilds_per_user_mean")),
        (None, Some(count)) => c.check(
            (1..u32::MAX as u64).contains(&count),
            &users.key("count"),
            || format!("must be between 1 and {}, got {count}", u32::MAX - 1),
        ),
        _ => c.fail(
            &users,
            "give exactly one of `guilds_per_user_mean` and `count`".into(),
        ),
    }

    let publishes = workload.key("publishes");
    let rate = publishes.key("rate");
    match exp.workload.publishes.rate {
        Rate::PerGuildPerS(r) => c.number(r, 0.0, false, &rate.key("per_guild_per_s")),
        Rate::PerMemberPerS(r) => c.number(r, 0.0, false, &rate.key("per_member_per_s")),
    }
    c.number(
        exp.workload.publishes.presence_changes_per_session_per_s,
        0.0,
        false,
        &publishes.key("presence_changes_per_session_per_s"),
    );
    c.number(
        exp.workload.publishes.start_s,
        0.0,
        false,
        &publishes.key("start_s"),
    );
    if let Some(end) = exp.workload.publishes.end_s {
        let start = exp.workload.publishes.start_s;
        c.check(
            end.is_finite() && end >= start,
            &publishes.key("end_s"),
            || format!("must be >= start_s ({start}), got {end}"),
        );
    }
    for (i, burst) in exp.workload.bursts.iter().enumerate() {
        let p = workload.key("bursts").index(i);
        c.check((burst.guild as u64) < guild_count, &p.key("guild"), || {
            format!(
                "must be a guild index below {guild_count}, got {}",
                burst.guild
            )
        });
        c.number(burst.at_s, 0.0, false, &p.key("at_s"));
        c.check(burst.count >= 1, &p.key("count"), || "must be >= 1".into());
    }

    for (i, storm) in exp.workload.storms.iter().enumerate() {
        let p = workload.key("storms").index(i);
        match storm {
            Storm::Login {
                start_s, window_s, ..
            } => {
                let p = p.key("login");
                c.number(*start_s, 0.0, false, &p.key("start_s"));
                c.number(*window_s, 0.0, false, &p.key("window_s"));
            }
            Storm::NodeRestart {
                at_s,
                down_s,
                reconnect_jitter_s,
                ..
            } => {
                let p = p.key("node_restart");
                c.number(*at_s, 0.0, false, &p.key("at_s"));
                c.number(*down_s, min_restart_s, true, &p.key("down_s"));
                c.number(
                    *reconnect_jitter_s,
                    0.0,
                    false,
                    &p.key("reconnect_jitter_s"),
                );
            }
        }
    }

    let output = root.key("output");
    let interval = exp.output.sample_interval_ms;
    c.number(interval, 0.0, true, &output.key("sample_interval_ms"));
    if interval > 0.0 && exp.run.horizon_s > 0.0 && exp.run.horizon_s * 1e3 / interval > MAX_BINS {
        c.fail(
            &output.key("sample_interval_ms"),
            format!(
                "{interval} ms bins over a {} s horizon make more than {MAX_BINS} bins; use wider bins",
                exp.run.horizon_s
            ),
        );
    }

    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(c.errors))
    }
}
