//! Navigating a YAML value by field path: tags looked through, keys matched by their text.

use yaml_serde::{Mapping, Value};

use super::FieldPath;
use super::field_path::Segment;

/// Text of a mapping key as it appears in a [`FieldPath`]; `None` for non-scalar keys.
pub(super) fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Tagged(t) => key_text(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

pub(super) fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

pub(super) fn untag_mut(v: &mut Value) -> &mut Value {
    match v {
        Value::Tagged(t) => untag_mut(&mut t.value),
        other => other,
    }
}

pub(super) fn find_key<'a>(m: &'a Mapping, k: &str) -> Option<&'a Value> {
    m.get(k).or_else(|| {
        m.iter()
            .find(|(key, _)| key_text(key).as_deref() == Some(k))
            .map(|(_, v)| v)
    })
}

pub(super) fn find_key_mut<'a>(m: &'a mut Mapping, k: &str) -> Option<&'a mut Value> {
    if m.contains_key(k) {
        return m.get_mut(k);
    }
    m.iter_mut()
        .find(|(key, _)| key_text(key).as_deref() == Some(k))
        .map(|(_, v)| v)
}

/// The value at `path` (tags are looked through), if present.
pub(crate) fn value_at<'a>(value: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut cur = value;
    for segment in &path.0 {
        cur = match (untag(cur), segment) {
            (Value::Mapping(m), Segment::Key(k)) => find_key(m, k)?,
            (Value::Sequence(s), Segment::Index(i)) => s.get(*i)?,
            (Value::Sequence(s), Segment::Name(n)) => s.get(position_of_name(s, n)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The `name:` of a sequence item, when it is a mapping with a scalar name.
fn item_name(item: &Value) -> Option<String> {
    match untag(item) {
        Value::Mapping(m) => find_key(m, "name").and_then(|n| key_text(untag(n))),
        _ => None,
    }
}

fn position_of_name(items: &[Value], name: &str) -> Option<usize> {
    items
        .iter()
        .position(|item| item_name(item).as_deref() == Some(name))
}

/// `path` with every `[name]` replaced by the index of the item of that name in `doc`
/// (`model.nodes[session].count` becomes `model.nodes[1].count`). Fails, saying which names
/// there are, when the sequence does not exist or has no item of that name.
pub(crate) fn resolve_names(doc: &Value, path: &FieldPath) -> Result<FieldPath, String> {
    let mut resolved = FieldPath::root();
    let mut cur = Some(doc);
    for segment in &path.0 {
        let next = match segment {
            Segment::Name(name) => {
                let Some(Value::Sequence(items)) = cur.map(untag) else {
                    return Err(format!(
                        "`{resolved}` is not a sequence, so it has no item named `{name}`"
                    ));
                };
                let Some(i) = position_of_name(items, name) else {
                    let names: Vec<String> = items.iter().filter_map(item_name).collect();
                    return Err(format!(
                        "`{resolved}` has no item named `{name}`; its names are: {}",
                        if names.is_empty() {
                            "(none)".to_owned()
                        } else {
                            names.join(", ")
                        }
                    ));
                };
                Segment::Index(i)
            }
            other => other.clone(),
        };
        cur = cur.and_then(|v| value_at(v, &FieldPath(vec![next.clone()])));
        resolved.0.push(next);
    }
    Ok(resolved)
}

pub(super) fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a sequence",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}
