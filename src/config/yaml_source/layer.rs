//! Layering: deep-merging one document (or a section of one) over another, positions included.

use yaml_serde::{Mapping, Value};

use super::field_path::Segment;
use super::value::{find_key, find_key_mut, key_text, untag_mut};
use super::{FieldPath, SourceMap};

/// Deep-merge `overlay` onto `base` at `prefix` (mappings merge key by key recursively; any
/// other value, including sequences and null, replaces). The source map of the replaced
/// subtrees is replaced by the overlay's (shifted under `prefix`); a merged mapping keeps the
/// base's position. Missing mappings along `prefix` are created (a non-mapping value there is
/// replaced by a mapping) and located at the overlay's root.
///
/// # Panics
/// If `prefix` contains a sequence index that does not exist in `base`: prefixes come from
/// code, not from users.
pub(crate) fn merge_at(
    base: &mut Value,
    base_map: &mut SourceMap,
    prefix: &FieldPath,
    overlay: Value,
    overlay_map: SourceMap,
) {
    let overlay_map = overlay_map.shifted(prefix);
    let created = overlay_map.value_location(prefix);
    let mut cur = base;
    let mut path = FieldPath::root();
    for segment in &prefix.0 {
        cur = untag_mut(cur);
        match segment {
            Segment::Key(k) => {
                if !matches!(cur, Value::Mapping(_)) {
                    *cur = Value::Mapping(Mapping::new());
                    let old_key = base_map.remove_subtree(&path).and_then(|e| e.key);
                    base_map.set_key(&path, old_key);
                    base_map.set_value(&path, created.clone());
                }
                let Value::Mapping(m) = cur else {
                    unreachable!("just made a mapping")
                };
                path = path.key(k);
                if find_key(m, k).is_none() {
                    m.insert(Value::String(k.clone()), Value::Null);
                    base_map.set_key(&path, created.clone());
                    base_map.set_value(&path, created.clone());
                }
                cur = find_key_mut(m, k).expect("key present");
            }
            Segment::Index(i) => match cur {
                Value::Sequence(s) if *i < s.len() => {
                    cur = &mut s[*i];
                    path = path.index(*i);
                }
                _ => panic!("merge_at: prefix `{prefix}` does not exist at `{path}`"),
            },
            Segment::Name(_) => panic!("merge_at: prefix `{prefix}` must use indices"),
        }
    }
    merge_value(cur, &path, overlay, base_map, &overlay_map);
}

fn merge_value(
    base: &mut Value,
    path: &FieldPath,
    overlay: Value,
    base_map: &mut SourceMap,
    overlay_map: &SourceMap,
) {
    match (base, overlay) {
        (Value::Mapping(bm), Value::Mapping(om)) => {
            for (k, v) in om {
                let Some(text) = key_text(&k) else {
                    bm.insert(k, v);
                    continue;
                };
                let child = path.key(&text);
                let existing = if bm.contains_key(&k) {
                    bm.get_mut(&k)
                } else {
                    find_key_mut(bm, &text)
                };
                match existing {
                    Some(existing) => merge_value(existing, &child, v, base_map, overlay_map),
                    None => {
                        bm.insert(k, v);
                        base_map.replace_subtree(&child, overlay_map);
                    }
                }
            }
        }
        (base, overlay) => {
            *base = overlay;
            base_map.replace_subtree(path, overlay_map);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml_source::test_support::{EXP, at, key_at, p};
    use crate::config::yaml_source::{parse_str, value_at};

    #[test]
    fn merge_provenance() {
        let (mut base, mut base_map) = parse_str(EXP, "models/x.yaml").unwrap();
        let overlay_text = "workload:\n  rate: 9\n  guilds:\n    sizes: [1]\nnew: {k: v}\n";
        let (overlay, overlay_map) = parse_str(overlay_text, "exp.yaml").unwrap();
        merge_at(
            &mut base,
            &mut base_map,
            &FieldPath::root(),
            overlay,
            overlay_map,
        );

        assert_eq!(value_at(&base, &p("workload.rate")), Some(&Value::from(9)));
        assert_eq!(at(&base_map, "workload.rate"), "exp.yaml:2:9");
        assert_eq!(key_at(&base_map, "workload.rate"), "exp.yaml:2:3");
        // The sequence was replaced whole: no stale positions from the base survive.
        assert_eq!(
            value_at(&base, &p("workload.guilds.sizes")),
            Some(&yaml_serde::from_str::<Value>("[1]").unwrap())
        );
        assert_eq!(at(&base_map, "workload.guilds.sizes[0]"), "exp.yaml:4:13");
        assert_eq!(at(&base_map, "workload.guilds.sizes[2]"), "exp.yaml:4:12");
        // Untouched leaves still point at the base.
        assert_eq!(
            at(&base_map, "workload.guilds.names[1]"),
            "models/x.yaml:9:16"
        );
        assert_eq!(at(&base_map, "workload"), "models/x.yaml:3:3");
        assert_eq!(at(&base_map, "new.k"), "exp.yaml:5:10");
    }

    #[test]
    fn merge_a_section_at_a_prefix() {
        // The experiment's `model:` section overrides the model file's root ...
        let (mut base, mut base_map) = parse_str(EXP, "models/x.yaml").unwrap();
        let (exp, exp_map) =
            parse_str("name: storm\nmodel:\n  workload:\n    rate: 4\n", "e.yaml").unwrap();
        let section = p("model");
        let overlay = value_at(&exp, &section).unwrap().clone();
        merge_at(
            &mut base,
            &mut base_map,
            &FieldPath::root(),
            overlay,
            exp_map.subtree(&section),
        );
        assert_eq!(at(&base_map, "workload.rate"), "e.yaml:4:11");
        assert_eq!(at(&base_map, "workload.guilds"), "models/x.yaml:5:5");

        // ... and a layer can be put under a prefix that does not exist yet.
        let (overlay, overlay_map) = parse_str("seed: 7\n", "seed.yaml").unwrap();
        merge_at(
            &mut base,
            &mut base_map,
            &p("run.rng"),
            overlay,
            overlay_map,
        );
        assert_eq!(value_at(&base, &p("run.rng.seed")), Some(&Value::from(7)));
        assert_eq!(at(&base_map, "run.rng.seed"), "seed.yaml:1:7");
        assert_eq!(at(&base_map, "run"), "seed.yaml:1:1");

        // A non-mapping overlay replaces, at a nested prefix too.
        let (overlay, overlay_map) = parse_str("[5, 6]\n", "s.yaml").unwrap();
        merge_at(
            &mut base,
            &mut base_map,
            &p("workload.guilds.sizes"),
            overlay,
            overlay_map,
        );
        assert_eq!(at(&base_map, "workload.guilds.sizes[1]"), "s.yaml:1:5");
        assert_eq!(
            key_at(&base_map, "workload.guilds.sizes"),
            "models/x.yaml:5:5"
        );
    }
}
