//! Names a reader understands for the fields and metrics plots show: axis labels with their
//! unit (`p99 delivery latency (ms)`, `guild size (online members)`) and legend entries
//! (`fan-out: naive`, `Semaphore: none`), instead of raw field paths and JSON values.

use crate::config::validate::sweep::render;

/// Fields and metrics with a name of their own; anything else is named from its path.
const NAMES: &[(&str, &str)] = &[
    (
        "workload.guilds.sizes.fixed.members",
        "guild size (online members)",
    ),
    ("workload.guilds.sizes.list", "guild sizes"),
    (
        "workload.publishes.rate.per_guild_per_s",
        "publishes per guild per second",
    ),
    (
        "workload.publishes.rate.per_member_per_s",
        "publishes per member per second",
    ),
    ("workload.storms", "storm"),
    ("model.fanout.strategy", "fan-out"),
    ("model.registry.semaphore", "Semaphore"),
    ("model.ring.lookup", "ring lookup"),
    ("model.member_list.structure", "member list"),
    ("model.monitors.kind", "monitors"),
    ("latency_ms", "delivery latency"),
    ("presence_latency_ms", "presence latency"),
    ("fanout_duration_ms", "fan-out duration"),
    ("presence_fanout_duration_ms", "presence fan-out duration"),
    ("guild_sojourn_ms", "time in guild queue and fan-out"),
    (
        "inter_node_messages_per_publish",
        "inter-node messages per publish",
    ),
    ("guild_sends_per_publish", "guild sends per publish"),
    ("sessions_online", "sessions online"),
    ("registry_queue_depth_max", "deepest registry queue (calls)"),
    ("active_fraction", "share of members active"),
    ("user_opens", "users opening the guild per bin"),
    ("syncs", "state syncs done per bin"),
    ("sync_ms_max", "longest state sync (ms)"),
    (
        "relay_mailbox_depth_max",
        "deepest relay mailbox (messages)",
    ),
    (
        "client_bytes_per_s",
        "bytes to clients per second, busiest node",
    ),
    ("memory_bytes_max", "node memory, largest node (bytes)"),
    (
        "guild_mailbox_depth_max",
        "deepest guild mailbox (messages)",
    ),
    ("node_busy_fraction_max", "busiest node's busy fraction"),
    ("deliveries", "chat deliveries per bin"),
    ("publishes", "publishes per bin"),
    ("presence_deliveries", "presence deliveries per bin"),
    ("latency_ms_mean", "mean delivery latency (ms)"),
    ("latency_ms_max", "largest delivery latency (ms)"),
    ("latency_ms_p99", "p99 delivery latency (ms)"),
    ("latency_ms_p50", "median delivery latency (ms)"),
    ("busy_fraction", "busiest node's busy fraction"),
    ("run_queue_max", "longest run queue (processes)"),
];

/// Units by field-name suffix, checked in order.
const UNITS: [(&str, &str); 5] = [
    ("_ms", "ms"),
    ("_us", "µs"),
    ("_s", "s"),
    ("_bytes", "bytes"),
    ("_mbps", "Mbit/s"),
];

/// A field path or metric as words with its unit: `latency_ms.p99` -> `p99 delivery latency
/// (ms)`, `model.costs.send_remote.max_us` -> `send remote max (µs)`.
pub(crate) fn human(path: &str) -> String {
    if let Some((_, name)) = NAMES.iter().find(|(p, _)| *p == path) {
        return name.to_string();
    }
    if let Some(name) = node_group_field(path) {
        return name;
    }
    // A duration statistic: `<duration>_ms.<stat>`.
    if let Some((block, stat)) = path.rsplit_once('.')
        && let Some((_, name)) = NAMES.iter().find(|(p, _)| *p == block)
        && block.ends_with("_ms")
    {
        return match stat {
            "count" => format!("{name}: count"),
            _ => format!("{stat} {name} (ms)"),
        };
    }
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    let (stem, unit) = UNITS
        .iter()
        .find_map(|(suffix, unit)| last.strip_suffix(suffix).map(|s| (s, Some(*unit))))
        .unwrap_or((last, None));
    let words = stem.replace('_', " ");
    match unit {
        Some(u) => format!("{words} ({u})"),
        None => words,
    }
}

/// A field of one node group, `model.nodes[session].count` -> `session nodes`,
/// `model.nodes[0].schedulers` -> `schedulers per group 0 node`.
fn node_group_field(path: &str) -> Option<String> {
    let (group, field) = path.strip_prefix("model.nodes[")?.split_once("].")?;
    let group = if group.chars().all(|c| c.is_ascii_digit()) {
        format!("group {group}")
    } else {
        group.to_string()
    };
    Some(match field {
        "count" => format!("{group} nodes"),
        "schedulers" => format!("schedulers per {group} node"),
        other => format!("{group} node {}", human(other)),
    })
}

/// The legend text of value `value` (as the sweep renders it) of the swept field `field`:
/// from `labels` (a figure's `labels:`) when it names the value, else [`value_label`].
pub(crate) fn line_label(labels: &yaml_serde::Mapping, field: &str, value: &str) -> String {
    labels
        .iter()
        .find(|(k, _)| render(k) == value)
        .and_then(|(_, v)| v.as_str().map(str::to_string))
        .unwrap_or_else(|| value_label(field, value))
}

/// A swept value as a legend shows it: `fan-out: naive`, `Semaphore: none` (for null); a
/// mapping or list (a storm) is cut short. `labels` may name it instead.
pub(crate) fn value_label(field: &str, value: &str) -> String {
    let name = human(field);
    let name = name.split(" (").next().unwrap_or(&name);
    let value = match value {
        "null" => "none".to_string(),
        v if v.chars().count() > 24 => {
            let short: String = v.chars().take(22).collect();
            format!("{short}…")
        }
        v => v.to_string(),
    };
    format!("{name}: {value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_metrics_read_as_words_with_units() {
        assert_eq!(human("latency_ms.p99"), "p99 delivery latency (ms)");
        assert_eq!(
            human("workload.guilds.sizes.fixed.members"),
            "guild size (online members)"
        );
        assert_eq!(human("model.costs.send_remote.max_us"), "max (µs)");
        assert_eq!(human("node_memory_peak_bytes"), "node memory peak (bytes)");
        assert_eq!(human("deliveries_total"), "deliveries total");
        assert_eq!(human("model.nodes[session].count"), "session nodes");
        assert_eq!(
            human("model.nodes[1].schedulers"),
            "schedulers per group 1 node"
        );
        assert_eq!(
            value_label("model.registry.semaphore", "null"),
            "Semaphore: none"
        );
        assert_eq!(
            value_label("model.fanout.strategy", "naive"),
            "fan-out: naive"
        );
        assert!(value_label("workload.storms", &"x".repeat(100)).ends_with('…'));
    }
}
