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
pub fn value_at<'a>(value: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut cur = value;
    for segment in &path.0 {
        cur = match (untag(cur), segment) {
            (Value::Mapping(m), Segment::Key(k)) => find_key(m, k)?,
            (Value::Sequence(s), Segment::Index(i)) => s.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
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
