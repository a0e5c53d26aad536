//! Field paths such as `workload.guilds.sizes[2]` or `model.nodes[session].count`: building,
//! parsing and displaying them.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
    /// `[name]`: the item of a sequence whose `name:` field is this (node groups, for example);
    /// resolved to an index against a document by `value::resolve_names`.
    Name(String),
}

/// Path of a value in the document, rendered like `workload.guilds.sizes[2]` (map keys joined
/// by '.', sequence indices in brackets; the root is the empty path "").
///
/// A key that is empty or contains whitespace, a control character or one of `.[]"=\` is
/// rendered in double quotes with `\"` and `\\` escapes (`a."x.y"[0]`); [`FieldPath::parse`]
/// accepts the same syntax, so display and parse round-trip. In brackets, a name that is not a
/// number (`model.nodes[session]`) selects the item of a sequence by its `name:` field.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FieldPath(pub(super) Vec<Segment>);

impl FieldPath {
    /// The empty path: the whole document.
    pub(crate) fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path extended by the mapping key `k`.
    pub(crate) fn key(&self, k: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(k.to_owned()));
        FieldPath(segments)
    }

    /// This path extended by the sequence index `i`.
    pub(crate) fn index(&self, i: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(i));
        FieldPath(segments)
    }

    /// Whether this is the root (empty) path.
    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The enclosing path, or `None` for the root.
    pub(crate) fn parent(&self) -> Option<Self> {
        let (_, init) = self.0.split_last()?;
        Some(FieldPath(init.to_vec()))
    }

    /// Parse the rendering produced by `Display`: `a.b[2].c`, `[0].x`, `a."key with.dot"`.
    /// The empty string is the root.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
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
                        while chars.get(j).is_some_and(|&c| is_name_char(c)) {
                            j += 1;
                        }
                        if j == start || chars.get(j) != Some(&']') {
                            return Err(fail(
                                j + 1,
                                "expected a sequence index or an item's name, then ']'",
                            ));
                        }
                        segments.push(Segment::Name(chars[start..j].iter().collect()));
                        i = j + 1;
                        state = State::AfterSegment;
                        continue;
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
    pub(crate) fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub(crate) fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    pub(super) fn join(&self, rest: &FieldPath) -> FieldPath {
        let mut segments = self.0.clone();
        segments.extend(rest.0.iter().cloned());
        FieldPath(segments)
    }

    pub(super) fn strip_prefix(&self, prefix: &FieldPath) -> Option<FieldPath> {
        self.0
            .strip_prefix(prefix.0.as_slice())
            .map(|rest| FieldPath(rest.to_vec()))
    }
}

/// Characters allowed in an item's name between brackets: anything but brackets, quotes,
/// whitespace and control characters (an item whose name has those is selected by index).
fn is_name_char(c: char) -> bool {
    !(matches!(c, '[' | ']' | '"') || c.is_whitespace() || c.is_control())
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
                Segment::Name(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml_source::test_support::p;

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
        let named = p("model.nodes[session-2].count");
        assert_eq!(named.0[2], Segment::Name("session-2".to_owned()));
        assert_eq!(named.to_string(), "model.nodes[session-2].count");
        for bad in [
            "a.", ".a", "a..b", "a[", "a[x y]", "a[]", "a[x[y]", "a[1", "a]", "a[1]b", "\"a",
            "a\"b",
        ] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(p("a").parent(), Some(FieldPath::root()));
        assert_eq!(FieldPath::root().parent(), None);
    }
}
