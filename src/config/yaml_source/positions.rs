//! The position pass: walks `yaml-rust2`'s parser events over the same text the YAML crate
//! parses and records where every value and key starts, in a [`SourceMap`].
//!
//! Lines and columns are 1-based (`yaml-rust2` markers have 1-based lines and 0-based columns;
//! they are converted). Columns count characters, not bytes. The position of a scalar is where
//! it starts (the opening quote of a quoted scalar, the first content line of a block scalar
//! `|`/`>`), of a sequence its first `-` or `[`, of a mapping its first key or `{`. An empty
//! (implicit null) value such as `rate:` has no position of its own: [`SourceMap::locate`]
//! falls back to its key.

use std::collections::BTreeMap;
use std::sync::Arc;

use yaml_rust2::parser::{Event, MarkedEventReceiver};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_serde::Value;

use super::value::key_text;
use super::{ConfigError, FieldPath, Location, SourceMap};

/// A `yaml-rust2` marker (1-based line, 0-based column) as a 1-based [`Location`].
fn marker_location(origin: &Arc<str>, mark: &Marker) -> Location {
    Location::at(origin, mark.line(), mark.col() + 1)
}

/// The key text yaml_serde would give a key scalar: plain scalars are resolved (`0x10` is the
/// number 16, `true` a bool), quoted and block scalars are strings.
fn resolve_key_scalar(text: &str, style: TScalarStyle) -> String {
    if !matches!(style, TScalarStyle::Plain) || text == "---" || text == "..." {
        return text.to_owned();
    }
    // Fast path for identifier-like keys, which yaml_serde resolves to strings.
    let identifier = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier
        && !matches!(
            text,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL"
        )
    {
        return text.to_owned();
    }
    match yaml_serde::from_str::<Value>(text) {
        Ok(v @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_))) => {
            key_text(&v).unwrap_or_else(|| text.to_owned())
        }
        _ => text.to_owned(),
    }
}

enum Pending {
    /// The next node is a key.
    Key,
    /// The next node is the value for this path (`None`: not tracked).
    Value(Option<FieldPath>),
}

enum Frame {
    Map {
        path: Option<FieldPath>,
        pending: Pending,
        first_key: bool,
        keys: BTreeMap<String, Location>,
    },
    Seq {
        path: Option<FieldPath>,
        next: usize,
    },
}

/// Receives yaml-rust2 events and records positions of the first document.
pub(super) struct Tracker {
    origin: Arc<str>,
    pub(super) map: SourceMap,
    /// Mappings and sequences open at the current event, in any document.
    depth: usize,
    /// Set when the nesting passes [`MAX_DEPTH`]: the pass stops there.
    pub(super) too_deep: Option<ConfigError>,
    /// Where the first alias (`*name`) is, to locate errors of their expansion.
    pub(super) first_alias: Option<Location>,
    stack: Vec<Frame>,
    documents: usize,
    first_done: bool,
    pub(super) second_document: Option<Location>,
    pub(super) duplicate: Option<ConfigError>,
}

enum Node {
    Scalar { implicit_null: bool },
    Alias,
    Collection { mapping: bool },
}

impl Tracker {
    pub(super) fn new(origin: Arc<str>) -> Self {
        Tracker {
            origin,
            map: SourceMap::default(),
            depth: 0,
            too_deep: None,
            first_alias: None,
            stack: Vec::new(),
            documents: 0,
            first_done: false,
            second_document: None,
            duplicate: None,
        }
    }

    fn node(&mut self, node: Node, key_scalar: Option<(&str, TScalarStyle)>, mark: &Marker) {
        let loc = marker_location(&self.origin, mark);
        // Where does this node go?
        let path: Option<FieldPath> = match self.stack.last_mut() {
            None => Some(FieldPath::root()),
            Some(Frame::Seq { path, next }) => {
                // Items past the first MAX_LOCATED_ITEMS of a list are located at the list:
                // a long list (guild sizes) keeps a source map of bounded size.
                let p = path
                    .as_ref()
                    .filter(|_| *next < MAX_LOCATED_ITEMS)
                    .map(|p| p.index(*next));
                *next += 1;
                if *next > MAX_LIST_ITEMS && self.too_deep.is_none() {
                    self.too_deep = Some(ConfigError {
                        location: Some(loc.clone()),
                        path: None,
                        message: format!(
                            "a list of more than {MAX_LIST_ITEMS} items; guildsim's lists need \
                             far fewer (a million guild sizes at most: use `zipf` or `fixed` \
                             for more guilds)"
                        ),
                    });
                }
                p
            }
            Some(Frame::Map { pending, .. }) if matches!(pending, Pending::Value(_)) => {
                match std::mem::replace(pending, Pending::Key) {
                    Pending::Value(p) => p,
                    Pending::Key => None,
                }
            }
            Some(Frame::Map {
                path,
                pending,
                first_key,
                keys,
            }) => {
                // This node is a key.
                let mut key_path = None;
                if let Some(map_path) = path.as_ref() {
                    if std::mem::take(first_key) {
                        // Block mappings report their start just after the first key begins:
                        // the mapping starts at its first key when that is earlier.
                        let entry = self.map.entries.entry(map_path.clone()).or_default();
                        let earlier = entry
                            .value
                            .as_ref()
                            .is_none_or(|v| (loc.line, loc.column) < (v.line, v.column));
                        if earlier {
                            entry.value = Some(loc.clone());
                        }
                    }
                    if let (Node::Scalar { .. }, Some((text, style))) = (&node, key_scalar) {
                        let key = resolve_key_scalar(text, style);
                        let kp = map_path.key(&key);
                        if let Some(first) = keys.get(&key) {
                            if self.duplicate.is_none() {
                                self.duplicate = Some(ConfigError {
                                    location: Some(loc.clone()),
                                    path: Some(kp.clone()),
                                    message: format!(
                                        "duplicate key `{key}` (first defined at {first})"
                                    ),
                                });
                            }
                        } else {
                            keys.insert(key, loc.clone());
                        }
                        self.map.set_key(&kp, Some(loc.clone()));
                        key_path = Some(kp);
                    }
                }
                *pending = Pending::Value(key_path);
                // The key's own sub-nodes (complex keys) are not tracked.
                if let Node::Collection { mapping } = node {
                    self.push(None, mapping);
                }
                return;
            }
        };
        match node {
            Node::Scalar { implicit_null } => {
                if !implicit_null && let Some(p) = &path {
                    self.map.set_value(p, Some(loc));
                }
            }
            Node::Alias => {
                if let Some(p) = &path {
                    self.map.set_value(p, Some(loc));
                }
            }
            Node::Collection { mapping } => {
                if let Some(p) = &path {
                    self.map.set_value(p, Some(loc));
                }
                self.push(path, mapping);
            }
        }
    }

    fn push(&mut self, path: Option<FieldPath>, mapping: bool) {
        self.stack.push(if mapping {
            Frame::Map {
                path,
                pending: Pending::Key,
                first_key: true,
                keys: BTreeMap::new(),
            }
        } else {
            Frame::Seq { path, next: 0 }
        });
    }
}

/// Items of one list located one by one; later items are located at the list.
pub(crate) const MAX_LOCATED_ITEMS: usize = 1000;
/// Items of one list in an input file.
pub(crate) const MAX_LIST_ITEMS: usize = 1_000_000;

/// How deeply mappings and lists may nest in an input file: the deepest field of an experiment
/// is about ten levels down, and refusing deeper input at once keeps every pass over it linear.
pub(crate) const MAX_DEPTH: usize = 64;

impl MarkedEventReceiver for Tracker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH && self.too_deep.is_none() {
                    self.too_deep = Some(ConfigError {
                        location: Some(marker_location(&self.origin, &mark)),
                        path: None,
                        message: format!(
                            "mappings and lists nest more than {MAX_DEPTH} levels deep here; \
                             guildsim's files need about ten"
                        ),
                    });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => self.depth = self.depth.saturating_sub(1),
            Event::Alias(_) if self.first_alias.is_none() => {
                self.first_alias = Some(marker_location(&self.origin, &mark));
            }
            _ => {}
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.second_document = Some(marker_location(&self.origin, &mark));
                }
                return;
            }
            Event::DocumentEnd => {
                self.first_done = true;
                return;
            }
            _ => {}
        }
        if self.documents != 1 || self.first_done {
            return;
        }
        match ev {
            Event::Scalar(text, style, _, _) => {
                let implicit_null = text.is_empty() && matches!(style, TScalarStyle::Plain);
                self.node(Node::Scalar { implicit_null }, Some((&text, style)), &mark);
            }
            Event::Alias(_) => self.node(Node::Alias, None, &mark),
            Event::MappingStart(..) => self.node(Node::Collection { mapping: true }, None, &mark),
            Event::SequenceStart(..) => self.node(Node::Collection { mapping: false }, None, &mark),
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}
