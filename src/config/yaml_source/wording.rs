//! serde's error messages in the project's words: no Rust type names (`u32`, `struct
//! NodeGroup`, `internally tagged enum DistConfig`, `field identifier`), but what a user may
//! write instead: `invalid type: integer `5`, expected struct NodeGroup` becomes
//! `invalid type: expected a mapping of fields (a node group: name, count, hosts, schedulers),
//! got 5`.

/// What a YAML type named in a serde message stands for.
fn expected(what: &str) -> String {
    let integer = |max: &str| format!("a whole number from 0 to {max}");
    match what {
        "u8" => integer("255"),
        "u16" => integer("65535"),
        "u32" => integer("4294967295"),
        "u64" | "usize" => integer("18446744073709551615"),
        "i64" | "i32" => "a whole number".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" | "bool" => "true or false".into(),
        "a sequence" => "a list".into(),
        "field identifier" => "a field name".into(),
        "variant identifier" => "the name of one of the allowed forms".into(),
        _ => {
            if let Some(name) = what.strip_prefix("internally tagged enum ") {
                return enum_forms(name);
            }
            if let Some(name) = what.strip_prefix("enum ") {
                return enum_forms(name);
            }
            if what.starts_with("struct variant") {
                return "a mapping of fields".into();
            }
            if let Some(name) = what.strip_prefix("struct ") {
                return match struct_fields(name) {
                    Some(fields) => format!("a mapping of fields ({fields})"),
                    None => "a mapping of fields".into(),
                };
            }
            what.to_string()
        }
    }
}

/// The forms an enum of the schema may take, as written in YAML.
fn enum_forms(name: &str) -> String {
    match name {
        "DistConfig" => "a distribution: `{dist: constant, us: 50}`, `{dist: uniform, min_us, \
                         max_us}`, `{dist: exponential, mean_us}` or `{dist: lognormal, \
                         median_us, sigma}`"
            .into(),
        "GuildSizes" => "one of `{list: [sizes...]}`, `{fixed: {count, members}}` or \
                         `{zipf: {count, min, max, exponent}}`"
            .into(),
        "Rate" => "`{per_guild_per_s: rate}` or `{per_member_per_s: rate}`".into(),
        "Storm" => "`{login: {users, start_s, window_s}}` or `{node_restart: {node, at_s, \
                    down_s, reconnect_jitter_s}}`"
            .into(),
        "FanoutStrategy" => "a fan-out strategy name, e.g. `naive` or `manifold`".into(),
        "LookupMode" => "`process`, `ets` or `fastglobal`".into(),
        "Role" => "`guilds` or `sessions`".into(),
        "DeliveryMode" => "`folded` or `per_event`".into(),
        "SessionPlacement" => "`uniform` or `round_robin`".into(),
        "PlotKind" => "a plot name: `latency_cdf`, `fanout_vs_size`, `mailbox_depth` or \
                       `storm_timeline`"
            .into(),
        _ => "one of the forms listed in the README's YAML reference".into(),
    }
}

/// The fields of a schema struct, for a message that expected it.
fn struct_fields(name: &str) -> Option<&'static str> {
    Some(match name {
        "NodeGroup" => "a node group: name, count, hosts, schedulers",
        "Link" => "a link: from, to, latency_us, bandwidth_mbps",
        "Datacenter" => "a datacenter: name, groups",
        "Burst" => "a burst: guild, at_s, count",
        "Backoff" => "initial_ms, max_ms, multiplier, jitter",
        "RunConfig" => "horizon_s, event_budget, deliveries, check_order, until",
        "UntilConfig" => "metric, relative_half_width, max_horizon_s, decide_at",
        _ => return None,
    })
}

/// What serde said was found: `integer `5`` -> `5`, `sequence` -> `a list`.
fn found(got: &str) -> String {
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(rest) = got.strip_prefix(prefix) {
            return rest.trim_matches('`').to_string();
        }
    }
    if let Some(rest) = got.strip_prefix("string ") {
        return format!("the text {rest}");
    }
    match got {
        "sequence" => "a list".into(),
        "map" => "a mapping".into(),
        "unit value" | "null" => "nothing (null)".into(),
        "unit variant" => "a name alone".into(),
        other => other.to_string(),
    }
}

/// A hint for a whole number written as a decimal or with an exponent (`1e7`, `20.0`): YAML
/// reads those as decimals.
fn whole_number_hint(what: &str, got: &str) -> String {
    let integer = matches!(what, "u8" | "u16" | "u32" | "u64" | "usize" | "i64" | "i32");
    match got
        .strip_prefix("floating point ")
        .map(|g| g.trim_matches('`'))
    {
        Some(g) if integer => match g.parse::<f64>() {
            Ok(v) if v.fract() == 0.0 && v.abs() < 1e19 => {
                format!(" (YAML reads `1e7` or `20.0` as a decimal: write {v:.0})")
            }
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// `message` in the project's words (unchanged if it is not one of serde's type messages).
pub(crate) fn in_our_words(message: &str) -> String {
    // A whole number beyond what any field holds (YAML reads it as a 128-bit integer).
    if let Some(rest) = message.split("integer `").nth(1)
        && let Some((n, _)) = rest.split_once("` as u128")
    {
        return format!(
            "{n} is too large: guildsim's whole numbers are at most 18446744073709551615 \
             (2^64 - 1)"
        );
    }
    for kind in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(kind)
            && let Some((got, what)) = rest.split_once(", expected ")
        {
            return format!(
                "{kind}expected {}, got {}{}",
                expected(what),
                found(got),
                whole_number_hint(what, got)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((n, what)) = rest.split_once(", expected ")
    {
        return format!("expected {what}, got {n} items");
    }
    message.replace("field identifier", "a field name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rust_type_names() {
        for (serde, ours) in [
            (
                "invalid type: integer `5`, expected struct NodeGroup",
                "invalid type: expected a mapping of fields (a node group: name, count, hosts, \
                 schedulers), got 5",
            ),
            (
                "invalid type: integer `1`, expected field identifier",
                "invalid type: expected a field name, got 1",
            ),
            (
                "invalid value: integer `-3`, expected u32",
                "invalid value: expected a whole number from 0 to 4294967295, got -3",
            ),
            (
                "invalid type: string \"forty-two\", expected u64",
                "invalid type: expected a whole number from 0 to 18446744073709551615, got the \
                 text \"forty-two\"",
            ),
            (
                "invalid type: sequence, expected struct RunConfig",
                "invalid type: expected a mapping of fields (horizon_s, event_budget, \
                 deliveries, check_order, until), got a list",
            ),
        ] {
            assert_eq!(in_our_words(serde), ours);
        }
        let dist =
            in_our_words("invalid type: integer `5`, expected internally tagged enum DistConfig");
        assert!(dist.contains("{dist: constant, us: 50}"), "{dist}");
        assert!(!dist.contains("DistConfig"), "{dist}");
        let sizes =
            in_our_words("invalid type: integer `3`, expected struct variant GuildSizes::Zipf");
        assert_eq!(sizes, "invalid type: expected a mapping of fields, got 3");
        assert_eq!(in_our_words("missing field `seed`"), "missing field `seed`");
        // Post-mortems (issue 19): `seed: 2^64` gave serde's words, `max_events: 1e7` no hint.
        let big = in_our_words(
            "invalid value: invalid type: integer `18446744073709551616` as u128, expected any \
             YAML value",
        );
        assert!(big.contains("too large") && !big.contains("u128"), "{big}");
        let decimal = in_our_words("invalid type: floating point `10000000.0`, expected u64");
        assert!(decimal.ends_with("write 10000000)"), "{decimal}");
    }
}
