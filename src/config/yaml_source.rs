//! Source-located YAML configuration: parsing, layering and typed deserialization whose
//! errors name the file, line, column, field path and what is allowed, e.g.
//! `experiments/storm.yaml:12:5: workload.guilds.sizes[2]: must be <= 30000, got 45000`.
//!
//! An experiment is assembled from several layers:
//!
//! 1. [`parse_file`] / [`parse_str`] read one YAML document into a [`serde_yaml::Value`] plus a
//!    [`SourceMap`] that records, for every [`FieldPath`], where its value (and, for mapping
//!    entries, its key) was written. The value itself is produced by `serde_yaml`, so it has
//!    exactly the types `serde_yaml` would give; the positions come from a second pass over the
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
//! # Positions
//! Lines and columns are 1-based (`yaml-rust2` markers have 1-based lines and 0-based columns;
//! they are converted). Columns count characters, not bytes. A [`Location`] with line 0 means
//! "the whole origin, no position" (used for the rare syntax errors that `serde_yaml` reports
//! without a position); it displays as just the origin. A file that cannot be read gives an
//! error with no location at all (see [`parse_file`]).
//! The position of a scalar is where it starts (the opening quote of a quoted scalar, the
//! first content line of a block scalar `|`/`>`), of a sequence its first `-` or `[`, of a
//! mapping its first key or `{`. An empty (implicit null) value such as `rate:` has no position
//! of its own: [`SourceMap::locate`] falls back to its key.
//!
//! # Enums
//! `serde_yaml` 0.9 on its own only accepts an externally tagged enum written as a YAML tag
//! (`dist: !uniform {min_us: 1}`) or, for unit variants, a plain string; the single-key-map
//! form `dist: {uniform: {min_us: 1}}` fails with "invalid type: map, expected a Value::Tagged
//! enum". [`deserialize`] therefore runs through `serde_yaml::with::singleton_map_recursive`,
//! which accepts the map form everywhere, and first rewrites any tagged value `!v x` into the
//! map `{v: x}` (and `!v` with no content into the string `v`), so both spellings work. A unit
//! variant must be written as a plain string (`dist: fixed`), not `{fixed: ~}`. Internally
//! tagged (`#[serde(tag = "dist")]`), adjacently tagged and untagged enums work as usual.
//!
//! # Limitations
//! * Anchors and aliases are accepted (`serde_yaml` expands them), but the nodes inside an
//!   expanded alias have no positions of their own: they are located at the alias (`*name`).
//! * Merge keys (`<<: *base`) are not expanded: `serde_yaml` 0.9 keeps `<<` as an ordinary key,
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

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

// ---------------------------------------------------------------------------------------------
// Location
// ---------------------------------------------------------------------------------------------

/// Where a value was written: a file path as given, or e.g. `--set workload.rate=3`; line and
/// column are 1-based. Line 0 (column 0) means "no position within the origin".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub origin: Arc<str>,
    pub line: usize,
    pub column: usize,
}

impl Location {
    fn at(origin: &Arc<str>, line: usize, column: usize) -> Self {
        Location {
            origin: Arc::clone(origin),
            line,
            column,
        }
    }

    fn whole(origin: &Arc<str>) -> Self {
        Location::at(origin, 0, 0)
    }

    fn from_marker(origin: &Arc<str>, mark: &Marker) -> Self {
        Location::at(origin, mark.line(), mark.col() + 1)
    }
}

impl fmt::Display for Location {
    /// `origin:line:column`, or just `origin` when the line is 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.origin)
        } else {
            write!(f, "{}:{}:{}", self.origin, self.line, self.column)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// FieldPath
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Path of a value in the document, rendered like `workload.guilds.sizes[2]` (map keys joined
/// by '.', sequence indices in brackets; the root is the empty path "").
///
/// A key that is empty or contains whitespace, a control character or one of `.[]"=\` is
/// rendered in double quotes with `\"` and `\\` escapes (`a."x.y"[0]`); [`FieldPath::parse`]
/// accepts the same syntax, so display and parse round-trip.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The empty path: the whole document.
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path extended by the mapping key `k`.
    pub fn key(&self, k: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(k.to_owned()));
        FieldPath(segments)
    }

    /// This path extended by the sequence index `i`.
    pub fn index(&self, i: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(i));
        FieldPath(segments)
    }

    /// Whether this is the root (empty) path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The enclosing path, or `None` for the root.
    pub fn parent(&self) -> Option<Self> {
        let (_, init) = self.0.split_last()?;
        Some(FieldPath(init.to_vec()))
    }

    /// Parse the rendering produced by `Display`: `a.b[2].c`, `[0].x`, `a."key with.dot"`.
    /// The empty string is the root.
    pub fn parse(s: &str) -> Result<Self, String> {
        #[derive(PartialEq)]
        enum State {
            Start,
            AfterDot,
            AfterSegment,
        }
        let fail = |col: usize, what: &str| format!("invalid path `{s}` at column {col}: {what}");
        let chars: Vec<char> = s.chars().collect();
        let mut segments = Vec::new();
        let mut state = State::Start;
        let mut i = 0;
        if chars.is_empty() {
            return Ok(FieldPath::root());
        }
        loop {
            let Some(&c) = chars.get(i) else {
                if state == State::AfterSegment {
                    break;
                }
                return Err(fail(i + 1, "expected a key after '.'"));
            };
            match (&state, c) {
                (State::Start | State::AfterSegment, '[') => {
                    let start = i + 1;
                    let mut j = start;
                    while chars.get(j).is_some_and(|c| c.is_ascii_digit()) {
                        j += 1;
                    }
                    if j == start {
                        return Err(fail(start + 1, "expected a sequence index after '['"));
                    }
                    if chars.get(j) != Some(&']') {
                        return Err(fail(j + 1, "expected ']'"));
                    }
                    let digits: String = chars[start..j].iter().collect();
                    let index = digits
                        .parse::<usize>()
                        .map_err(|_| fail(start + 1, "sequence index too large"))?;
                    segments.push(Segment::Index(index));
                    i = j + 1;
                    state = State::AfterSegment;
                }
                (State::AfterSegment, '.') => {
                    i += 1;
                    state = State::AfterDot;
                }
                (State::AfterSegment, _) => return Err(fail(i + 1, "expected '.' or '['")),
                (State::Start | State::AfterDot, '"') => {
                    let mut key = String::new();
                    let mut j = i + 1;
                    loop {
                        match chars.get(j) {
                            None => return Err(fail(i + 1, "unterminated quoted key")),
                            Some('"') => break,
                            Some('\\') => match chars.get(j + 1) {
                                Some(&e @ ('"' | '\\')) => {
                                    key.push(e);
                                    j += 2;
                                }
                                _ => {
                                    return Err(fail(
                                        j + 1,
                                        "only \\\" and \\\\ escapes are allowed",
                                    ));
                                }
                            },
                            Some(&c) => {
                                key.push(c);
                                j += 1;
                            }
                        }
                    }
                    segments.push(Segment::Key(key));
                    i = j + 1;
                    state = State::AfterSegment;
                }
                (State::Start | State::AfterDot, '.' | '[' | ']') => {
                    return Err(fail(i + 1, "expected a key"));
                }
                (State::Start | State::AfterDot, _) => {
                    let start = i;
                    while let Some(&c) = chars.get(i) {
                        match c {
                            '.' | '[' => break,
                            ']' | '"' => return Err(fail(i + 1, "unexpected character in key")),
                            _ => i += 1,
                        }
                    }
                    segments.push(Segment::Key(chars[start..i].iter().collect()));
                    state = State::AfterSegment;
                }
            }
        }
        Ok(FieldPath(segments))
    }

    /// The last segment when it is a mapping key.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    fn join(&self, rest: &FieldPath) -> FieldPath {
        let mut segments = self.0.clone();
        segments.extend(rest.0.iter().cloned());
        FieldPath(segments)
    }

    fn strip_prefix(&self, prefix: &FieldPath) -> Option<FieldPath> {
        self.0
            .strip_prefix(prefix.0.as_slice())
            .map(|rest| FieldPath(rest.to_vec()))
    }
}

fn key_needs_quotes(k: &str) -> bool {
    k.is_empty()
        || k.chars().any(|c| {
            matches!(c, '.' | '[' | ']' | '"' | '=' | '\\') || c.is_whitespace() || c.is_control()
        })
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if key_needs_quotes(k) {
                        f.write_str("\"")?;
                        for c in k.chars() {
                            if matches!(c, '"' | '\\') {
                                f.write_str("\\")?;
                            }
                            write!(f, "{c}")?;
                        }
                        f.write_str("\"")?;
                    } else {
                        f.write_str(k)?;
                    }
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// SourceMap
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Entry {
    value: Option<Location>,
    key: Option<Location>,
}

/// Where each path's value (and, for map entries, its key) came from. Deterministic: a
/// `BTreeMap` ordered by path.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    entries: BTreeMap<FieldPath, Entry>,
}

impl SourceMap {
    /// Best location for `path`: the value's own position if known, else its key's, else walk
    /// up to the nearest ancestor that is known (so an error about a missing field points at the
    /// mapping that should contain it).
    pub fn locate(&self, path: &FieldPath) -> Option<Location> {
        let mut current = Some(path.clone());
        while let Some(p) = current {
            if let Some(entry) = self.entries.get(&p)
                && let Some(loc) = entry.value.as_ref().or(entry.key.as_ref())
            {
                return Some(loc.clone());
            }
            current = p.parent();
        }
        None
    }

    /// Like [`SourceMap::locate`] but prefers the position of the mapping key (used for unknown
    /// fields and unknown enum variants written as keys).
    pub fn locate_key(&self, path: &FieldPath) -> Option<Location> {
        match self.entries.get(path).and_then(|e| e.key.clone()) {
            Some(loc) => Some(loc),
            None => self.locate(path),
        }
    }

    /// A map that locates only the root value, at `loc`: for a value computed from an entry of
    /// a file (one step of a sweep's range), to pass to [`set_at`].
    pub fn rooted_at(loc: Location) -> SourceMap {
        let mut map = SourceMap::default();
        map.set_value(&FieldPath::root(), Some(loc));
        map
    }

    /// The part of this map at and below `path`, re-rooted so that `path` becomes the root
    /// (pair it with [`value_at`] to merge a section of one document into another).
    pub fn subtree(&self, path: &FieldPath) -> SourceMap {
        let entries = self
            .descendants(path)
            .map(|(p, e)| {
                let rel = p.strip_prefix(path).unwrap_or_default();
                let mut e = e.clone();
                if rel.is_root() {
                    e.key = None;
                }
                (rel, e)
            })
            .collect();
        SourceMap { entries }
    }

    /// Entries at `path` and below, in order (descendants sort contiguously after `path`).
    fn descendants<'a>(
        &'a self,
        path: &'a FieldPath,
    ) -> impl Iterator<Item = (&'a FieldPath, &'a Entry)> + 'a {
        self.entries
            .range(path.clone()..)
            .take_while(move |(p, _)| p.starts_with(path))
    }

    /// Remove `path` and everything below it, returning the old entry of `path`.
    fn remove_subtree(&mut self, path: &FieldPath) -> Option<Entry> {
        let doomed: Vec<FieldPath> = self.descendants(path).map(|(p, _)| p.clone()).collect();
        let mut old = None;
        for p in doomed {
            let e = self.entries.remove(&p);
            if p == *path {
                old = e;
            }
        }
        old
    }

    /// Replace `path` and everything below it by `other`'s entries there (same coordinates).
    /// If `other` has no key position for `path`, the old key position is kept.
    fn replace_subtree(&mut self, path: &FieldPath, other: &SourceMap) {
        let old = self.remove_subtree(path);
        for (p, e) in other.descendants(path) {
            self.entries.insert(p.clone(), e.clone());
        }
        if let Some(old_key) = old.and_then(|e| e.key) {
            let entry = self.entries.entry(path.clone()).or_default();
            if entry.key.is_none() {
                entry.key = Some(old_key);
            }
        }
    }

    fn set_value(&mut self, path: &FieldPath, loc: Option<Location>) {
        if let Some(loc) = loc {
            self.entries.entry(path.clone()).or_default().value = Some(loc);
        }
    }

    fn set_key(&mut self, path: &FieldPath, loc: Option<Location>) {
        if let Some(loc) = loc {
            self.entries.entry(path.clone()).or_default().key = Some(loc);
        }
    }

    fn value_location(&self, path: &FieldPath) -> Option<Location> {
        self.entries.get(path).and_then(|e| e.value.clone())
    }

    fn shifted(self, prefix: &FieldPath) -> SourceMap {
        if prefix.is_root() {
            return self;
        }
        let entries = self
            .entries
            .into_iter()
            .map(|(p, e)| (prefix.join(&p), e))
            .collect();
        SourceMap { entries }
    }
}

// ---------------------------------------------------------------------------------------------
// ConfigError
// ---------------------------------------------------------------------------------------------

/// A configuration error. Displays as `{location}: {path}: {message}`, leaving out the parts
/// that are `None` (and the path when it is the root).
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub location: Option<Location>,
    pub path: Option<FieldPath>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        if let Some(path) = &self.path
            && !path.is_root()
        {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// For semantic validation after deserialization: build an error at a path.
pub fn error_at(map: &SourceMap, path: &FieldPath, message: impl Into<String>) -> ConfigError {
    ConfigError {
        location: map.locate(path),
        path: Some(path.clone()),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Parse YAML text (one document). Errors carry the location of the syntax error. An empty
/// document is `Value::Null` located at 1:1. Duplicate mapping keys are an error located at
/// the second occurrence.
pub fn parse_str(text: &str, origin: &str) -> Result<(Value, SourceMap), ConfigError> {
    let origin: Arc<str> = Arc::from(origin);
    let mut tracker = Tracker::new(Arc::clone(&origin));
    // A yaml-rust2 failure is not fatal by itself: serde_yaml decides what is valid, and the
    // positions collected up to the failure are still right.
    let _ = Parser::new_from_str(text).load(&mut tracker, true);
    match serde_yaml::from_str::<Value>(text) {
        Ok(value) => {
            let mut map = tracker.map;
            let root = FieldPath::root();
            if map.locate(&root).is_none() {
                map.set_value(&root, Some(Location::at(&origin, 1, 1)));
            }
            Ok((value, map))
        }
        Err(err) => {
            let message = err.to_string();
            if message.contains("duplicate entry")
                && let Some(dup) = tracker.duplicate
            {
                return Err(dup);
            }
            match err.location() {
                Some(l) => {
                    let suffix = format!(" at line {} column {}", l.line(), l.column());
                    Err(ConfigError {
                        location: Some(Location::at(&origin, l.line(), l.column())),
                        path: None,
                        message: message.replacen(&suffix, "", 1),
                    })
                }
                None => Err(ConfigError {
                    location: Some(
                        tracker
                            .second_document
                            .filter(|_| message.contains("more than one document"))
                            .unwrap_or_else(|| Location::whole(&origin)),
                    ),
                    path: None,
                    message,
                }),
            }
        }
    }
}

/// Read and parse a file; its path (as given) is the origin. A missing or unreadable file is a
/// `ConfigError` with no location and no path, whose message names the file and the OS error
/// (`cannot read models/x.yaml: No such file or directory (os error 2)`), so that a caller can
/// tell it apart from an error inside the file and re-locate it, e.g. at the field that named
/// the file.
pub fn parse_file(path: &Path) -> Result<(Value, SourceMap), ConfigError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
        location: None,
        path: None,
        message: format!("cannot read {origin}: {err}"),
    })?;
    parse_str(&text, &origin)
}

/// Text of a mapping key as it appears in a [`FieldPath`]; `None` for non-scalar keys.
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Tagged(t) => key_text(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

/// The key text serde_yaml would give a key scalar: plain scalars are resolved (`0x10` is the
/// number 16, `true` a bool), quoted and block scalars are strings.
fn resolve_key_scalar(text: &str, style: TScalarStyle) -> String {
    if !matches!(style, TScalarStyle::Plain) || text == "---" || text == "..." {
        return text.to_owned();
    }
    // Fast path for identifier-like keys, which serde_yaml resolves to strings.
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
    match serde_yaml::from_str::<Value>(text) {
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
struct Tracker {
    origin: Arc<str>,
    map: SourceMap,
    stack: Vec<Frame>,
    documents: usize,
    first_done: bool,
    second_document: Option<Location>,
    duplicate: Option<ConfigError>,
}

enum Node {
    Scalar { implicit_null: bool },
    Alias,
    Collection { mapping: bool },
}

impl Tracker {
    fn new(origin: Arc<str>) -> Self {
        Tracker {
            origin,
            map: SourceMap::default(),
            stack: Vec::new(),
            documents: 0,
            first_done: false,
            second_document: None,
            duplicate: None,
        }
    }

    fn node(&mut self, node: Node, key_scalar: Option<(&str, TScalarStyle)>, mark: &Marker) {
        let loc = Location::from_marker(&self.origin, mark);
        // Where does this node go?
        let path: Option<FieldPath> = match self.stack.last_mut() {
            None => Some(FieldPath::root()),
            Some(Frame::Seq { path, next }) => {
                let p = path.as_ref().map(|p| p.index(*next));
                *next += 1;
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

impl MarkedEventReceiver for Tracker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.second_document = Some(Location::from_marker(&self.origin, &mark));
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

// ---------------------------------------------------------------------------------------------
// Value navigation helpers
// ---------------------------------------------------------------------------------------------

fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

fn untag_mut(v: &mut Value) -> &mut Value {
    match v {
        Value::Tagged(t) => untag_mut(&mut t.value),
        other => other,
    }
}

fn find_key<'a>(m: &'a Mapping, k: &str) -> Option<&'a Value> {
    m.get(k).or_else(|| {
        m.iter()
            .find(|(key, _)| key_text(key).as_deref() == Some(k))
            .map(|(_, v)| v)
    })
}

fn find_key_mut<'a>(m: &'a mut Mapping, k: &str) -> Option<&'a mut Value> {
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

fn describe(v: &Value) -> &'static str {
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

// ---------------------------------------------------------------------------------------------
// Layering
// ---------------------------------------------------------------------------------------------

/// Deep-merge `overlay` onto `base` at `prefix` (mappings merge key by key recursively; any
/// other value, including sequences and null, replaces). The source map of the replaced
/// subtrees is replaced by the overlay's (shifted under `prefix`); a merged mapping keeps the
/// base's position. Missing mappings along `prefix` are created (a non-mapping value there is
/// replaced by a mapping) and located at the overlay's root.
///
/// # Panics
/// If `prefix` contains a sequence index that does not exist in `base`: prefixes come from
/// code, not from users.
pub fn merge_at(
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

/// Index of the first `=` that is not inside a double-quoted key.
fn split_assignment(arg: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in arg.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '=' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// Apply one `path=value` override (the value text is parsed as YAML: `3`, `2.5`, `true`,
/// `[1, 2]`, `{a: 1}`, `foo`; an empty value is null), with the rules of [`set_at`]. The new
/// value (and everything in it, and any mapping created on the way) is located at
/// `Location { origin: "--set <arg>", line: 1, column: 1 }`; errors in the argument itself
/// (no `=`, bad path, bad YAML) point at their column within `<arg>`.
pub fn apply_set(base: &mut Value, base_map: &mut SourceMap, arg: &str) -> Result<(), ConfigError> {
    let origin: Arc<str> = Arc::from(format!("--set {arg}"));
    let fail = |column: usize, path: Option<FieldPath>, message: String| ConfigError {
        location: Some(Location::at(&origin, 1, column)),
        path,
        message,
    };
    let Some(eq) = split_assignment(arg) else {
        return Err(fail(
            1,
            None,
            "expected PATH=VALUE, e.g. workload.rate=3".to_owned(),
        ));
    };
    let (path_text, value_text) = (&arg[..eq], &arg[eq + 1..]);
    let path = FieldPath::parse(path_text).map_err(|m| fail(1, None, m))?;
    if path.is_root() {
        return Err(fail(1, None, "empty path before `=`".to_owned()));
    }
    let value: Value = serde_yaml::from_str(value_text).map_err(|err| {
        let mut message = err.to_string();
        let mut column = path_text.chars().count() + 2;
        if let Some(l) = err.location() {
            message = message.replacen(
                &format!(" at line {} column {}", l.line(), l.column()),
                "",
                1,
            );
            if l.line() == 1 {
                column += l.column().saturating_sub(1);
            }
        }
        fail(
            column,
            Some(path.clone()),
            format!("invalid value: {message}"),
        )
    })?;
    let here = Location::at(&origin, 1, 1);
    let mut value_map = SourceMap::default();
    value_map.set_value(&FieldPath::root(), Some(here.clone()));
    set_at(base, base_map, &path, value, value_map, &here)
}

/// Set `path` to `value`, replacing whatever was there (no deep merge): the building block of
/// [`apply_set`], also usable for overrides written in a file (e.g. an experiment's
/// `test_overrides: {run.horizon_s: 8}`). `value_map` holds the value's own positions, rooted
/// at the value (as returned by [`parse_str`] or [`SourceMap::subtree`]); `at` is where the
/// override was written: it becomes the key position of `path`, the location of every mapping
/// created on the way, and the location of errors.
///
/// Intermediate mappings are created if absent (a null is turned into a mapping). An index
/// past the end of a sequence, an index into something that is not a sequence, or a key below
/// something that is neither a mapping nor null is an error, and then nothing is changed.
pub fn set_at(
    base: &mut Value,
    base_map: &mut SourceMap,
    path: &FieldPath,
    value: Value,
    value_map: SourceMap,
    at: &Location,
) -> Result<(), ConfigError> {
    let fail = |message: String| ConfigError {
        location: Some(at.clone()),
        path: Some(path.clone()),
        message,
    };

    // Check first, so that a failed override leaves `base` untouched.
    let mut cur = Some(&*base);
    let mut cur_path = FieldPath::root();
    for segment in &path.0 {
        cur = match (cur.map(untag), segment) {
            (None | Some(Value::Null), Segment::Key(_)) => None,
            (Some(Value::Mapping(m)), Segment::Key(k)) => find_key(m, k),
            (Some(Value::Sequence(s)), Segment::Index(i)) => match s.get(*i) {
                Some(item) => Some(item),
                None => {
                    return Err(fail(format!(
                        "index {i} is out of range: `{cur_path}` has {} item(s)",
                        s.len()
                    )));
                }
            },
            (None, Segment::Index(_)) => {
                return Err(fail(format!(
                    "cannot set this: `{cur_path}` does not exist, so it has no index"
                )));
            }
            (Some(v), Segment::Key(_)) => {
                return Err(fail(format!(
                    "cannot set this: `{cur_path}` is {}, not a mapping",
                    describe(v)
                )));
            }
            (Some(v), Segment::Index(_)) => {
                return Err(fail(format!(
                    "cannot set this: `{cur_path}` is {}, not a sequence",
                    describe(v)
                )));
            }
        };
        cur_path = match segment {
            Segment::Key(k) => cur_path.key(k),
            Segment::Index(i) => cur_path.index(*i),
        };
    }

    let mut cur = base;
    let mut cur_path = FieldPath::root();
    for segment in &path.0 {
        cur = untag_mut(cur);
        match segment {
            Segment::Key(k) => {
                if !matches!(cur, Value::Mapping(_)) {
                    *cur = Value::Mapping(Mapping::new());
                    base_map.set_value(&cur_path, Some(at.clone()));
                }
                let Value::Mapping(m) = cur else {
                    unreachable!("just made a mapping")
                };
                cur_path = cur_path.key(k);
                if find_key(m, k).is_none() {
                    m.insert(Value::String(k.clone()), Value::Null);
                }
                cur = find_key_mut(m, k).expect("key present");
            }
            Segment::Index(i) => {
                let Value::Sequence(s) = cur else {
                    unreachable!("checked above")
                };
                cur = &mut s[*i];
                cur_path = cur_path.index(*i);
            }
        }
    }
    *cur = value;
    base_map.remove_subtree(path);
    for (p, e) in value_map.shifted(path).entries {
        base_map.entries.insert(p, e);
    }
    if path.last_key().is_some() {
        base_map.set_key(path, Some(at.clone()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Deserialization
// ---------------------------------------------------------------------------------------------

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

fn tag_name(t: &serde_yaml::value::TaggedValue) -> String {
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
pub fn deserialize<T: DeserializeOwned>(value: &Value, map: &SourceMap) -> Result<T, ConfigError> {
    let detagged;
    let input = if contains_tagged(value) {
        detagged = detag(value.clone());
        &detagged
    } else {
        value
    };
    let mut track = serde_path_to_error::Track::new();
    let result: Result<T, serde_yaml::Error> = {
        let de = serde_path_to_error::Deserializer::new(input, &mut track);
        serde_yaml::with::singleton_map_recursive::deserialize(de)
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
            message,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    fn at(map: &SourceMap, path: &str) -> String {
        map.locate(&p(path))
            .map(|l| l.to_string())
            .unwrap_or_default()
    }

    fn key_at(map: &SourceMap, path: &str) -> String {
        map.locate_key(&p(path))
            .map(|l| l.to_string())
            .unwrap_or_default()
    }

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

    const EXP: &str = "\
# storm experiment
workload:
  rate: 2.5
  guilds:
    sizes:
      - 10
      - 20
      - 30
    names: [a, \"b\", c]
";

    fn load(text: &str) -> (Value, SourceMap) {
        parse_str(text, "exp.yaml").unwrap()
    }

    fn de_err(text: &str) -> String {
        let (v, m) = load(text);
        deserialize::<Experiment>(&v, &m).unwrap_err().to_string()
    }

    #[test]
    fn positions_of_nested_keys_and_sequence_items() {
        let (v, map) = load(EXP);
        assert_eq!(
            value_at(&v, &p("workload.guilds.sizes[1]")),
            Some(&Value::from(20))
        );
        assert_eq!(at(&map, ""), "exp.yaml:2:1");
        assert_eq!(at(&map, "workload"), "exp.yaml:3:3");
        assert_eq!(key_at(&map, "workload"), "exp.yaml:2:1");
        assert_eq!(at(&map, "workload.rate"), "exp.yaml:3:9");
        assert_eq!(key_at(&map, "workload.rate"), "exp.yaml:3:3");
        assert_eq!(key_at(&map, "workload.guilds"), "exp.yaml:4:3");
        assert_eq!(at(&map, "workload.guilds.sizes"), "exp.yaml:6:7");
        assert_eq!(at(&map, "workload.guilds.sizes[0]"), "exp.yaml:6:9");
        assert_eq!(at(&map, "workload.guilds.sizes[2]"), "exp.yaml:8:9");
        assert_eq!(at(&map, "workload.guilds.names"), "exp.yaml:9:12");
        assert_eq!(at(&map, "workload.guilds.names[1]"), "exp.yaml:9:16");
        assert_eq!(at(&map, "workload.guilds.names[2]"), "exp.yaml:9:21");
        // Unknown paths fall back to the nearest known ancestor.
        assert_eq!(at(&map, "workload.guilds.missing.deeper"), "exp.yaml:5:5");
    }

    #[test]
    fn flow_mappings_empty_values_and_documents() {
        let (_, map) = load("---\na: {b: 1, c: [x, {d: 2}]}\ne:\nf: ~\n");
        assert_eq!(at(&map, ""), "exp.yaml:2:1");
        assert_eq!(at(&map, "a"), "exp.yaml:2:4");
        assert_eq!(at(&map, "a.b"), "exp.yaml:2:8");
        assert_eq!(at(&map, "a.c[1]"), "exp.yaml:2:18");
        assert_eq!(at(&map, "a.c[1].d"), "exp.yaml:2:22");
        // `e:` has no value of its own: located at its key.
        assert_eq!(at(&map, "e"), "exp.yaml:3:1");
        assert_eq!(at(&map, "f"), "exp.yaml:4:4");

        let (v, map) = load("");
        assert_eq!(v, Value::Null);
        assert_eq!(at(&map, ""), "exp.yaml:1:1");

        // Non-string keys are rendered as their value's text.
        let (_, map) = load("sizes:\n  0x10: a\n  \"7\": b\n  True: c\n  y: d\n");
        assert_eq!(at(&map, "sizes.16"), "exp.yaml:2:9");
        assert_eq!(at(&map, "sizes.7"), "exp.yaml:3:8");
        assert_eq!(at(&map, "sizes.true"), "exp.yaml:4:9");
        assert_eq!(at(&map, "sizes.y"), "exp.yaml:5:6");

        // Aliases and merge keys do not crash; alias contents are located at the alias.
        let (v, map) = load("a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n");
        assert_eq!(value_at(&v, &p("c.b")), Some(&Value::from(1)));
        assert_eq!(at(&map, "c.b"), "exp.yaml:2:4");
        assert_eq!(key_at(&map, "d.<<"), "exp.yaml:4:3");
    }

    #[test]
    fn syntax_error_location() {
        let err = parse_str("a: 1\n  b: 2\n", "bad.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad.yaml:2:4: mapping values are not allowed in this context"
        );
        let err = parse_str("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml").unwrap_err();
        let loc = err.location.clone().unwrap();
        assert_eq!((loc.line, loc.column), (3, 2), "{err}");
        assert!(err.message.contains("flow sequence"), "{err}");

        let err = parse_str("a: 1\nb: 2\na: 3\n", "dup.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "dup.yaml:3:1: a: duplicate key `a` (first defined at dup.yaml:1:1)"
        );
        let err = parse_str("x: 1\nw:\n  g: {s: 1}\n  b: 1\n  b: 2\n", "dup.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "dup.yaml:5:3: w.b: duplicate key `b` (first defined at dup.yaml:4:3)"
        );

        let err = parse_str("a: 1\n---\nb: 2\n", "multi.yaml").unwrap_err();
        assert_eq!(err.location.unwrap().line, 2, "{}", err.message);
    }

    #[test]
    fn missing_file() {
        let err = parse_file(Path::new("/nonexistent/x.yaml")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("cannot read /nonexistent/x.yaml: "),
            "{text}"
        );
        assert!(err.location.is_none() && err.path.is_none());
    }

    #[test]
    fn field_path_round_trip() {
        let path = p("a.b[2].c");
        assert_eq!(path, FieldPath::root().key("a").key("b").index(2).key("c"));
        assert_eq!(path.to_string(), "a.b[2].c");
        assert_eq!(p("").to_string(), "");
        assert!(p("").is_root());
        assert_eq!(p("[0][1].x").to_string(), "[0][1].x");
        let odd = FieldPath::root().key("x.y").key("").key("q\"k=v").index(3);
        assert_eq!(odd.to_string(), r#""x.y".""."q\"k=v"[3]"#);
        assert_eq!(p(&odd.to_string()), odd);
        for bad in [
            "a.", ".a", "a..b", "a[", "a[x]", "a[1", "a]", "a[1]b", "\"a", "a\"b",
        ] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(p("a").parent(), Some(FieldPath::root()));
        assert_eq!(FieldPath::root().parent(), None);
    }

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
            Some(&serde_yaml::from_str::<Value>("[1]").unwrap())
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

    #[test]
    fn set_creates_paths_and_parses_types() {
        let (mut v, mut map) = load(EXP);
        apply_set(&mut v, &mut map, "workload.rate=3").unwrap();
        apply_set(&mut v, &mut map, "workload.guilds.sizes[2]=45000").unwrap();
        apply_set(&mut v, &mut map, "run.rng.seed=42").unwrap();
        apply_set(&mut v, &mut map, "run.fast=true").unwrap();
        apply_set(&mut v, &mut map, "run.scale=2.5").unwrap();
        apply_set(&mut v, &mut map, "run.list=[1, 2]").unwrap();
        apply_set(&mut v, &mut map, "run.map={a: 1}").unwrap();
        apply_set(&mut v, &mut map, "run.name=foo").unwrap();
        apply_set(&mut v, &mut map, "run.eq=a=b").unwrap();
        apply_set(&mut v, &mut map, "run.none=").unwrap();
        let get = |s: &str| value_at(&v, &p(s)).cloned().unwrap();
        assert_eq!(get("workload.rate"), Value::from(3));
        assert_eq!(get("workload.guilds.sizes[2]"), Value::from(45000));
        assert_eq!(get("run.rng.seed"), Value::from(42));
        assert_eq!(get("run.fast"), Value::Bool(true));
        assert_eq!(get("run.scale"), Value::from(2.5));
        assert_eq!(get("run.list"), Value::Sequence(vec![1.into(), 2.into()]));
        assert_eq!(get("run.map.a"), Value::from(1));
        assert_eq!(get("run.name"), Value::from("foo"));
        assert_eq!(get("run.eq"), Value::from("a=b"));
        assert_eq!(get("run.none"), Value::Null);

        assert_eq!(at(&map, "workload.rate"), "--set workload.rate=3:1:1");
        assert_eq!(at(&map, "run.map.a"), "--set run.map={a: 1}:1:1");
        assert_eq!(at(&map, "run.rng"), "--set run.rng.seed=42:1:1");
        assert_eq!(at(&map, "workload.guilds.sizes[1]"), "exp.yaml:7:9");

        let err = error_at(
            &map,
            &p("workload.guilds.sizes[2]"),
            "must be <= 30000, got 45000",
        );
        assert_eq!(
            err.to_string(),
            "--set workload.guilds.sizes[2]=45000:1:1: workload.guilds.sizes[2]: must be <= 30000, got 45000"
        );
    }

    #[test]
    fn set_errors() {
        let (mut v, mut map) = load(EXP);
        let before = v.clone();
        let mut set = |arg: &str| apply_set(&mut v, &mut map, arg).unwrap_err().to_string();
        assert_eq!(
            set("workload.guilds.sizes[3]=1"),
            "--set workload.guilds.sizes[3]=1:1:1: workload.guilds.sizes[3]: index 3 is out of range: `workload.guilds.sizes` has 3 item(s)"
        );
        assert_eq!(
            set("workload.rate.x=1"),
            "--set workload.rate.x=1:1:1: workload.rate.x: cannot set this: `workload.rate` is a number, not a mapping"
        );
        assert_eq!(
            set("run.list[0]=1"),
            "--set run.list[0]=1:1:1: run.list[0]: cannot set this: `run.list` does not exist, so it has no index"
        );
        assert_eq!(
            set("workload[0]=1"),
            "--set workload[0]=1:1:1: workload[0]: cannot set this: `workload` is a mapping, not a sequence"
        );
        assert_eq!(
            set("workload.rate"),
            "--set workload.rate:1:1: expected PATH=VALUE, e.g. workload.rate=3"
        );
        assert_eq!(set("=3"), "--set =3:1:1: empty path before `=`");
        assert!(set("a..b=1").contains("invalid path `a..b` at column 3"));
        let err = set("a=[1, 2");
        assert!(err.starts_with("--set a=[1, 2:1:"), "{err}");
        assert!(err.contains("a: invalid value: "), "{err}");
        // Failed overrides change nothing.
        assert_eq!(v, before);
    }

    #[test]
    fn overrides_written_in_a_file() {
        let (mut v, mut map) = parse_str(EXP, "models/x.yaml").unwrap();
        let text = "test_overrides:\n  run.horizon_s: 8\n  workload.guilds.sizes: [4]\n";
        let (exp, exp_map) = parse_str(text, "e.yaml").unwrap();
        let section = p("test_overrides");
        let Some(Value::Mapping(overrides)) = value_at(&exp, &section) else {
            panic!("not a mapping")
        };
        for (k, value) in overrides {
            let key = k.as_str().unwrap();
            let entry = section.key(key);
            let at = exp_map.locate_key(&entry).unwrap();
            set_at(
                &mut v,
                &mut map,
                &p(key),
                value.clone(),
                exp_map.subtree(&entry),
                &at,
            )
            .unwrap();
        }
        assert_eq!(value_at(&v, &p("run.horizon_s")), Some(&Value::from(8)));
        assert_eq!(at(&map, "run.horizon_s"), "e.yaml:2:18");
        assert_eq!(key_at(&map, "run.horizon_s"), "e.yaml:2:3");
        assert_eq!(at(&map, "run"), "e.yaml:2:3");
        assert_eq!(at(&map, "workload.guilds.sizes[0]"), "e.yaml:3:27");
        assert_eq!(at(&map, "workload.guilds.sizes[1]"), "e.yaml:3:26");
        assert_eq!(at(&map, "workload.guilds.names"), "models/x.yaml:9:12");
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
            "exp.yaml:4:19: workload.guilds.sizes[2]: invalid type: string \"x\", expected u32"
        );
        assert_eq!(
            de_err("workload:\n  rate: fast\n  guilds: {sizes: [1]}\n"),
            "exp.yaml:2:9: workload.rate: invalid type: string \"fast\", expected f64"
        );
        assert_eq!(
            de_err("workload:\n  rate: 1\n  guilds:\n    sizes: [1]\n    names: [a, [b]]\n"),
            "exp.yaml:5:16: workload.guilds.names[1]: invalid type: sequence, expected a string"
        );
        // Inside enum content, in both spellings.
        assert_eq!(
            de_err(
                "workload: {rate: 1, guilds: {sizes: [1]}}\ndist: {uniform: {min_us: x, max_us: 2}}\n"
            ),
            "exp.yaml:2:26: dist.uniform.min_us: invalid type: string \"x\", expected u32"
        );
        assert_eq!(
            de_err(
                "workload: {rate: 1, guilds: {sizes: [1]}}\ndist: !uniform {min_us: x, max_us: 2}\n"
            ),
            "exp.yaml:2:25: dist.min_us: invalid type: string \"x\", expected u32"
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
            "exp.yaml:3:3: limits: invalid type: string \"x\", expected u32"
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
            "exp.yaml:2:7: dist: invalid type: unit variant, expected struct variant"
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
            "exp.yaml:3:16: workload.guilds.sizes[1]: invalid type: string \"two\", expected u32"
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
