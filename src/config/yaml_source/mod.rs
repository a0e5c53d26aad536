//! Source-located YAML configuration: parsing, layering and typed deserialization whose
//! errors name the file, line, column, field path and what is allowed, e.g.
//! `experiments/storm.yaml:12:5: workload.guilds.sizes[2]: must be <= 30000, got 45000`.
//!
//! An experiment is assembled from several layers:
//!
//! 1. [`parse_file`] / [`parse_str`] read one YAML document into a [`yaml_serde::Value`] plus a
//!    [`SourceMap`] that records, for every [`FieldPath`], where its value (and, for mapping
//!    entries, its key) was written. The value itself is produced by `yaml_serde`, so it has
//!    exactly the types `yaml_serde` would give; the positions come from a second pass over the
//!    same text with `yaml-rust2`'s event parser.
//! 2. [`merge_at`] deep-merges further layers on top (mappings merge key by key; every other
//!    value, sequences included, replaces). [`value_at`] and [`SourceMap::subtree`] cut a
//!    section (e.g. an experiment file's `model:`) out of a document to merge it elsewhere.
//! 3. [`apply_set`] applies one command-line override `a.b[2].c=value`; [`set_at`] does the
//!    same for an override written in a file (a dotted key with a value and its positions).
//! 4. [`deserialize`] turns the merged value into typed structs; [`error_at`] builds errors for
//!    the semantic validation that follows.
//!
//! Every error is a [`ConfigError`] whose location is the layer and position that provided the
//! offending value.
//!
//! # Modules
//! One job each: `location.rs` (where a value was written), `field_path.rs` (paths like
//! `a.b[2].c`: build, parse, display), `source_map.rs` (path -> location), `error.rs`
//! ([`ConfigError`] and its display), `parse.rs` (one document in, value and source map out),
//! `positions.rs` (the `yaml-rust2` pass that finds positions), `value.rs` (navigating a value
//! by path), `layer.rs` (deep merge), `set.rs` (single-field overrides), `de.rs` (typed
//! deserialization with located errors, and how enums may be spelt), `wording.rs` (serde's
//! messages in the project's words).
//!
//! # Positions
//! A [`Location`] with line 0 means "the whole origin, no position" (used for the rare syntax
//! errors that `yaml_serde` reports without a position); it displays as just the origin. A
//! file that cannot be read gives an error with no location at all (see [`parse_file`]). How
//! positions are found and where each kind of node is located: `positions.rs`.
//!
//! # Limitations
//! * Anchors and aliases are accepted (`yaml_serde` expands them), but the nodes inside an
//!   expanded alias have no positions of their own: they are located at the alias (`*name`).
//! * Merge keys (`<<: *base`) are not expanded: `yaml_serde` keeps `<<` as an ordinary key,
//!   so a struct with `deny_unknown_fields` rejects it as an unknown field `<<` (located there).
//! * Mapping keys that are not scalars (`? [1, 2]`) get no positions. Non-string scalar keys are
//!   rendered as the text of their value (`0x10: a` is the path `16`).
//! * YAML tags have no path segment: `dist: !uniform {min_us: x}` reports `dist.min_us`.
//! * Errors that `serde` raises after buffering a value — inside `#[serde(flatten)]` fields,
//!   internally tagged and untagged enums — only carry the path of the enclosing mapping
//!   (`serde_path_to_error` cannot see into the buffer). For "missing field" and "unknown
//!   field" the field name is recovered from the message and appended; for a wrong type inside
//!   such a value the error points at the enclosing mapping.
//! * Only one document per file; a second `---` document is an error.

mod de;
mod error;
mod field_path;
mod layer;
mod location;
mod parse;
mod positions;
mod set;
mod source_map;
#[cfg(test)]
mod test_support;
mod value;
mod wording;

pub(crate) use de::deserialize;
pub(crate) use error::{ConfigError, error_at};
pub(crate) use field_path::FieldPath;
pub(crate) use layer::merge_at;
pub(crate) use location::Location;
pub(crate) use parse::parse_file;
pub(crate) use parse::parse_str;
pub(crate) use set::{apply_set, set_at};
pub(crate) use source_map::SourceMap;
pub(crate) use value::{resolve_names, value_at};
