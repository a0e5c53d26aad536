//! JSON Schemas of the experiment and model files, for editors (VS Code and others through
//! `yaml-language-server`) and independent validators. They are generated from the serde types
//! of `schema.rs` and `sweep.rs` (`#[derive(JsonSchema)]`), so they cannot drift from what
//! guildsim reads: a field's doc comment becomes its description, a serde default its
//! `default`, `deny_unknown_fields` forbids other keys, and the unit named by the field's suffix
//! (`_us`, `_ms`, `_s`, `_bytes`, `_mbps`, `_per_s`) is added to its description.
//!
//! To document a new field, write its doc comment; to add a type, derive `JsonSchema` beside
//! `Deserialize`. The shipped copies in `schema/` are checked by a test
//! (`tests/integration/editor_schema.rs`), which says how to regenerate them.
//!
//! The schemas check shapes, types and names; the ranges and the relations between fields are
//! checked by `guildsim check`.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{Value, json};

use super::schema::{Experiment, ModelConfig};

/// Which file a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// An experiment (`experiments/*.yaml`, or a `resolved.yaml`).
    Experiment,
    /// A model (`models/*.yaml`).
    Model,
}

impl SchemaKind {
    pub const ALL: [SchemaKind; 2] = [SchemaKind::Experiment, SchemaKind::Model];

    /// Where the repository ships this schema, relative to its root.
    pub fn shipped_path(self) -> &'static str {
        match self {
            SchemaKind::Experiment => "schema/experiment.schema.json",
            SchemaKind::Model => "schema/model.schema.json",
        }
    }
}

/// The schema of `kind`, as pretty-printed JSON ending with a newline.
pub fn schema_json(kind: SchemaKind) -> String {
    let schema = match kind {
        SchemaKind::Experiment => experiment_file(),
        SchemaKind::Model => generate::<ModelConfig>(
            "guildsim model",
            "A cluster and its costs (models/*.yaml), named by an experiment's `model:`.",
        ),
    };
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}

/// The schema of `T` (draft-07, which every editor plugin reads), with units added.
fn generate<T: JsonSchema>(title: &str, description: &str) -> Value {
    let schema: Schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    add_units(&mut value);
    if let Some(root) = value.as_object_mut() {
        root.insert("title".into(), json!(title));
        root.insert("description".into(), json!(description));
    }
    value
}

/// An experiment as written in a file: `model` may name a model file instead of holding the
/// model, and `model_overrides` (merged over the model, key by key) is allowed. After assembly
/// neither is left, so the serde type knows only the inline model.
fn experiment_file() -> Value {
    let mut value = generate::<Experiment>(
        "guildsim experiment",
        "An experiment (experiments/*.yaml): a model, a workload, run limits, outputs and \
         optionally a sweep. `guildsim check` validates it completely.",
    );
    let properties = value
        .pointer_mut("/properties")
        .and_then(Value::as_object_mut)
        .expect("an experiment has properties");
    let inline = properties
        .remove("model")
        .expect("an experiment has a model");
    properties.insert(
        "model".into(),
        json!({
            "description": "The model: a path to a model file, relative to this file \
                            (`../models/discord-2017.yaml`), or the model itself.",
            "anyOf": [
                {"type": "string", "description": "Path to a model file (models/*.yaml)."},
                inline,
            ],
        }),
    );
    properties.insert(
        "model_overrides".into(),
        json!({
            "description": "Merged over the model: mappings merge key by key, anything else \
                            (lists included) replaces. Any part of a model.",
            "type": "object",
        }),
    );
    value
}

/// The unit a field's name ends with, as a phrase for its description.
fn unit_of(field: &str) -> Option<&'static str> {
    const UNITS: [(&str, &str); 6] = [
        ("_per_s", "per second"),
        ("_us", "microseconds"),
        ("_ms", "milliseconds"),
        ("_s", "seconds"),
        ("_bytes", "bytes"),
        ("_mbps", "megabits per second"),
    ];
    if field == "us" {
        return Some("microseconds");
    }
    UNITS
        .iter()
        .find(|(suffix, _)| field.ends_with(suffix))
        .map(|&(_, unit)| unit)
}

/// Adds "Unit: ..." to the description of every property whose name ends with a unit.
fn add_units(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    let (Some(unit), Some(property)) = (unit_of(name), property.as_object_mut())
                    else {
                        continue;
                    };
                    let text = match property.get("description").and_then(Value::as_str) {
                        Some(d) => format!("{d} Unit: {unit}."),
                        None => format!("Unit: {unit}."),
                    };
                    property.insert("description".into(), json!(text));
                }
            }
            map.values_mut().for_each(add_units);
        }
        Value::Array(items) => items.iter_mut().for_each(add_units),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_suffixes() {
        assert_eq!(unit_of("latency_us"), Some("microseconds"));
        assert_eq!(
            unit_of("presence_changes_per_session_per_s"),
            Some("per second")
        );
        assert_eq!(unit_of("horizon_s"), Some("seconds"));
        assert_eq!(unit_of("session_bytes"), Some("bytes"));
        assert_eq!(unit_of("us"), Some("microseconds"));
        assert_eq!(unit_of("count"), None);
        assert_eq!(unit_of("status"), None);
    }

    #[test]
    fn descriptions_carry_docs_and_units() {
        let model: Value = serde_json::from_str(&schema_json(SchemaKind::Model)).unwrap();
        let text = model.to_string();
        // A doc comment and its unit, and a serde default.
        assert!(text.contains("One-way latency of a link"), "{text}");
        assert!(text.contains("Unit: microseconds."), "{text}");
        assert!(text.contains("\"default\":512"), "{text}");
        assert_eq!(model["additionalProperties"], json!(false));

        let experiment: Value = serde_json::from_str(&schema_json(SchemaKind::Experiment)).unwrap();
        let model = &experiment["properties"]["model"]["anyOf"];
        assert_eq!(model[0]["type"], json!("string"));
        assert_eq!(
            experiment["properties"]["model_overrides"]["type"],
            json!("object")
        );
        assert!(
            experiment["required"]
                .as_array()
                .unwrap()
                .contains(&json!("seed"))
        );
    }
}
