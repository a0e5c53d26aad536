//! Typed deserialization of a layered value, with errors located through the source map.
//!
//! `yaml_serde` on its own only accepts an externally tagged enum written as a YAML tag
//! (`dist: !uniform {min_us: 1}`) or, for unit variants, a plain string; the single-key-map
//! form `dist: {uniform: {min_us: 1}}` fails with "invalid type: map, expected a Value::Tagged
//! enum". [`deserialize`] therefore runs through `yaml_serde::with::singleton_map_recursive`,
//! which accepts the map form everywhere, and first rewrites any tagged value `!v x` into the
//! map `{v: x}` (and `!v` with no content into the string `v`), so both spellings work. A unit
//! variant must be written as a plain string (`dist: fixed`), not `{fixed: ~}`. Internally
//! tagged (`#[serde(tag = "dist")]`), adjacently tagged and untagged enums work as usual.

use serde::de::DeserializeOwned;
use yaml_serde::{Mapping, Value};

use super::value::{find_key, untag};
use super::{ConfigError, FieldPath, SourceMap, value_at};

fn contains_tagged(v: &Value) -> bool {
    match v {
        Value::Tagged(_) => true,
        Value::Sequence(s) => s.iter().any(contains_tagged),
        Value::Mapping(m) => m
            .iter()
            .any(|(k, v)| contains_tagged(k) || contains_tagged(v)),
        _ => false,
    }
}

fn tag_name(t: &yaml_serde::value::TaggedValue) -> String {
    let tag = t.tag.to_string();
    tag.strip_prefix('!').unwrap_or(&tag).to_owned()
}

/// Rewrite `!variant content` into `{variant: content}` (and `!variant` alone into the string
/// `variant`) so that `singleton_map_recursive` accepts the tag spelling of enums too.
fn detag(v: Value) -> Value {
    match v {
        Value::Tagged(t) => {
            let name = tag_name(&t);
            match t.value {
                Value::Null => Value::String(name),
                inner => {
                    let mut m = Mapping::new();
                    m.insert(Value::String(name), detag(inner));
                    Value::Mapping(m)
                }
            }
        }
        Value::Sequence(s) => Value::Sequence(s.into_iter().map(detag).collect()),
        Value::Mapping(m) => Value::Mapping(m.into_iter().map(|(k, v)| (k, detag(v))).collect()),
        other => other,
    }
}

/// Translate serde_path_to_error's path into a [`FieldPath`] of the original value: enum
/// variant segments and segments standing for a YAML tag are dropped unless the variant is a
/// real mapping key; a non-string key ends the path.
fn convert_path(value: &Value, path: &serde_path_to_error::Path) -> FieldPath {
    use serde_path_to_error::Segment as S;
    let mut out = FieldPath::root();
    let mut cur = Some(value);
    for segment in path {
        match segment {
            S::Seq { index } => {
                out = out.index(*index);
                cur = match cur.map(untag) {
                    Some(Value::Sequence(s)) => s.get(*index),
                    _ => None,
                };
            }
            S::Map { key } | S::Enum { variant: key } => {
                if let Some(Value::Tagged(t)) = cur
                    && tag_name(t) == *key
                {
                    cur = Some(&t.value);
                    continue;
                }
                let child = match cur.map(untag) {
                    Some(Value::Mapping(m)) => find_key(m, key),
                    _ => None,
                };
                if matches!(segment, S::Enum { .. }) && child.is_none() {
                    continue;
                }
                out = out.key(key);
                cur = child;
            }
            S::Unknown => break,
        }
    }
    out
}

/// The text between the backticks following `prefix` at the start of `message`.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// Deserialize the merged value into T. On failure (unknown field, wrong type, missing field,
/// invalid enum variant, custom errors from Deserialize impls) the error has the full field
/// path and is located through the source map:
/// * unknown field: the path ends with the unknown key (`workload.ratee`), located at the key;
///   serde's "expected one of ..." list is kept in the message;
/// * missing field: the path ends with the missing field (`workload.rate`), located at the
///   mapping that should contain it;
/// * unknown variant: map form `{unifrm: ...}` gives `dist.unifrm` located at that key; string
///   form and internally tagged enums give the path of the string (`dist`, `dist.kind`);
/// * anything else: the path serde_path_to_error reports, located at that value.
///
/// Enums accept `{variant: content}` as well as `!variant content` (see the module docs).
pub(crate) fn deserialize<T: DeserializeOwned>(
    value: &Value,
    map: &SourceMap,
) -> Result<T, ConfigError> {
    let detagged;
    let input = if contains_tagged(value) {
        detagged = detag(value.clone());
        &detagged
    } else {
        value
    };
    let mut track = serde_path_to_error::Track::new();
    let result: Result<T, yaml_serde::Error> = {
        let de = serde_path_to_error::Deserializer::new(input, &mut track);
        yaml_serde::with::singleton_map_recursive::deserialize(de)
    };
    result.map_err(|err| {
        let message = err.to_string();
        let mut path = convert_path(value, &track.path());
        let location;
        if let Some(field) = quoted_after(&message, "missing field `") {
            path = path.key(field);
            location = map.locate(&path);
        } else if let Some(field) = quoted_after(&message, "unknown field `") {
            // Fields of ordinary structs already end the path; those of flattened structs and
            // internally tagged variants only have the enclosing mapping's path.
            if path.last_key() != Some(field) {
                path = path.key(field);
            }
            location = map.locate_key(&path);
        } else if let Some(variant) = quoted_after(&message, "unknown variant `") {
            if path.last_key() != Some(variant)
                && let Some(Value::Mapping(m)) = value_at(value, &path).map(untag)
                && find_key(m, variant).is_some()
            {
                path = path.key(variant);
            }
            location = if path.last_key() == Some(variant) {
                map.locate_key(&path)
            } else {
                map.locate(&path)
            };
        } else {
            location = map.locate(&path);
        }
        ConfigError {
            location,
            path: Some(path),
            message: super::wording::in_our_words(&message),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml_source::test_support::{EXP, load};
    use crate::config::yaml_source::{apply_set, merge_at, parse_str};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Experiment {
        workload: Workload,
        #[serde(default)]
        dist: Option<Dist>,
        #[serde(default)]
        service: Option<Service>,
        #[serde(default)]
        limits: Option<Limits>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Workload {
        rate: f64,
        guilds: Guilds,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Guilds {
        sizes: Vec<u32>,
        #[serde(default)]
        names: Option<Vec<String>>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    enum Dist {
        Uniform { min_us: u32, max_us: u32 },
        Exp(f64),
        Fixed,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
    enum Service {
        Uniform { min_us: u32 },
        Fixed,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Limits {
        cap: Capped,
        #[serde(flatten)]
        extra: LimitsExtra,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct LimitsExtra {
        burst: u32,
    }

    /// A value with a custom Deserialize error.
    #[derive(Debug, PartialEq)]
    struct Capped(u32);

    impl<'de> Deserialize<'de> for Capped {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let n = u32::deserialize(d)?;
            if n > 30000 {
                return Err(serde::de::Error::custom(format!(
                    "must be <= 30000, got {n}"
                )));
            }
            Ok(Capped(n))
        }
    }

    fn de_err(text: &str) -> String {
        let (v, m) = load(text);
        deserialize::<Experiment>(&v, &m).unwrap_err().to_string()
    }

    #[test]
    fn deserialize_ok_with_both_enum_spellings() {
        let text =
            "workload: {rate: 1, guilds: {sizes: [1]}}\ndist: {uniform: {min_us: 1, max_us: 2}}\n";
        let (v, m) = load(text);
        let exp: Experiment = deserialize(&v, &m).unwrap();
        assert_eq!(
            exp.dist,
            Some(Dist::Uniform {
                min_us: 1,
                max_us: 2
            })
        );

        for (dist, want) in [
            (
                "!uniform {min_us: 1, max_us: 2}",
                Dist::Uniform {
                    min_us: 1,
                    max_us: 2,
                },
            ),
            ("{exp: 0.5}", Dist::Exp(0.5)),
            ("!exp 0.5", Dist::Exp(0.5)),
            ("fixed", Dist::Fixed),
            ("!fixed", Dist::Fixed),
        ] {
            let (v, m) = load(&format!(
                "workload: {{rate: 1, guilds: {{sizes: [1]}}}}\ndist: {dist}\n"
            ));
            let exp: Experiment = deserialize(&v, &m).unwrap_or_else(|e| panic!("{dist}: {e}"));
            assert_eq!(exp.dist, Some(want));
        }

        let (v, m) = load(
            "workload: {rate: 1, guilds: {sizes: [1]}}\nservice: {dist: uniform, min_us: 3}\nlimits: {cap: 5, burst: 2}\n",
        );
        let exp: Experiment = deserialize(&v, &m).unwrap();
        assert_eq!(exp.service, Some(Service::Uniform { min_us: 3 }));
        assert_eq!(exp.limits.unwrap().extra.burst, 2);
    }

    #[test]
    fn unknown_field_error() {
        assert_eq!(
            de_err("workload:\n  rate: 1\n  ratee: 2\n  guilds: {sizes: [1]}\n"),
            "exp.yaml:3:3: workload.ratee: unknown field `ratee`, expected `rate` or `guilds`"
        );
        assert_eq!(
            de_err("workload: {rate: 1, guilds: {sizes: [1]}}\nextra: 1\n"),
            "exp.yaml:2:1: extra: unknown field `extra`, expected one of `workload`, `dist`, `service`, `limits`"
        );
        // Inside an internally tagged variant: the key is recovered from the message.
        assert_eq!(
            de_err(
                "workload: {rate: 1, guilds: {sizes: [1]}}\nservice:\n  dist: uniform\n  min_us: 1\n  zz: 2\n"
            ),
            "exp.yaml:5:3: service.zz: unknown field `zz`, expected `min_us`"
        );
        // Inside a variant in map form.
        assert_eq!(
            de_err(
                "workload: {rate: 1, guilds: {sizes: [1]}}\ndist:\n  uniform: {min_us: 1, max_us: 2, mid_us: 3}\n"
            ),
            "exp.yaml:3:35: dist.uniform.mid_us: unknown field `mid_us`, expected `min_us` or `max_us`"
        );
    }

    #[test]
    fn wrong_type_error() {
        assert_eq!(
            de_err("workload:\n  rate: 1\n  guilds:\n    sizes: [1, 2, x]\n"),
            "exp.yaml:4:19: workload.guilds.sizes[2]: invalid type: expected a whole number from 0 to 4294967295, got the text \"x\""
        );
        assert_eq!(
            de_err("workload:\n  rate: fast\n  guilds: {sizes: [1]}\n"),
            "exp.yaml:2:9: workload.rate: invalid type: expected a number, got the text \"fast\""
        );
        assert_eq!(
            de_err("workload:\n  rate: 1\n  guilds:\n    sizes: [1]\n    names: [a, [b]]\n"),
            "exp.yaml:5:16: workload.guilds.names[1]: invalid type: expected a string, got a list"
        );
        // Inside enum content, in both spellings.
        assert_eq!(
            de_err(
                "workload: {rate: 1, guilds: {sizes: [1]}}\ndist: {uniform: {min_us: x, max_us: 2}}\n"
            ),
            "exp.yaml:2:26: dist.uniform.min_us: invalid type: expected a whole number from 0 to 4294967295, got the text \"x\""
        );
        assert_eq!(
            de_err(
                "workload: {rate: 1, guilds: {sizes: [1]}}\ndist: !uniform {min_us: x, max_us: 2}\n"
            ),
            "exp.yaml:2:25: dist.min_us: invalid type: expected a whole number from 0 to 4294967295, got the text \"x\""
        );
        // Custom error from a Deserialize impl.
        assert_eq!(
            de_err(
                "workload: {rate: 1, guilds: {sizes: [1]}}\nlimits:\n  cap: 45000\n  burst: 1\n"
            ),
            "exp.yaml:3:8: limits.cap: must be <= 30000, got 45000"
        );
        // Inside a flattened struct only the enclosing mapping is known.
        assert_eq!(
            de_err("workload: {rate: 1, guilds: {sizes: [1]}}\nlimits:\n  cap: 4\n  burst: x\n"),
            "exp.yaml:3:3: limits: invalid type: expected a whole number from 0 to 4294967295, got the text \"x\""
        );
    }

    #[test]
    fn missing_field_error() {
        assert_eq!(
            de_err("# c\nworkload:\n  guilds: {sizes: [1]}\n"),
            "exp.yaml:3:3: workload.rate: missing field `rate`"
        );
        assert_eq!(
            de_err(""),
            "exp.yaml:1:1: workload: missing field `workload`"
        );
        assert_eq!(
            de_err("workload: {rate: 1, guilds: {sizes: [1]}}\nservice: {min_us: 1}\n"),
            "exp.yaml:2:10: service.dist: missing field `dist`"
        );
    }

    #[test]
    fn bad_enum_variant_error() {
        // Map form: located at the variant key.
        assert_eq!(
            de_err("workload: {rate: 1, guilds: {sizes: [1]}}\ndist:\n  unifrm: {min_us: 1}\n"),
            "exp.yaml:3:3: dist.unifrm: unknown variant `unifrm`, expected one of `uniform`, `exp`, `fixed`"
        );
        // String form: located at the string.
        assert_eq!(
            de_err("workload: {rate: 1, guilds: {sizes: [1]}}\ndist: fixd\n"),
            "exp.yaml:2:7: dist: unknown variant `fixd`, expected one of `uniform`, `exp`, `fixed`"
        );
        // Internally tagged: located at the tag's value.
        assert_eq!(
            de_err("workload: {rate: 1, guilds: {sizes: [1]}}\nservice: {dist: unifrm}\n"),
            "exp.yaml:2:17: service.dist: unknown variant `unifrm`, expected `uniform` or `fixed`"
        );
        // Wrong shape for a variant.
        assert_eq!(
            de_err("workload: {rate: 1, guilds: {sizes: [1]}}\ndist: uniform\n"),
            "exp.yaml:2:7: dist: invalid type: expected a mapping of fields, got a name alone"
        );
    }

    #[test]
    fn errors_after_layering_point_at_the_layer() {
        let (mut v, mut map) = parse_str(EXP, "models/x.yaml").unwrap();
        let (o, om) = parse_str("workload:\n  guilds:\n    sizes: [1, two]\n", "exp.yaml").unwrap();
        merge_at(&mut v, &mut map, &FieldPath::root(), o, om);
        let err = deserialize::<Experiment>(&v, &map).unwrap_err();
        assert_eq!(
            err.to_string(),
            "exp.yaml:3:16: workload.guilds.sizes[1]: invalid type: expected a whole number from 0 to 4294967295, got the text \"two\""
        );
        apply_set(&mut v, &mut map, "workload.ratee=3").unwrap();
        apply_set(&mut v, &mut map, "workload.guilds.sizes=[1]").unwrap();
        let err = deserialize::<Experiment>(&v, &map).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--set workload.ratee=3:1:1: workload.ratee: unknown field `ratee`, expected `rate` or `guilds`"
        );
    }
}
