//! Reading one YAML document: the value (from the YAML crate) and its source map (from the
//! position pass in `positions.rs`), with syntax errors located.

use std::path::Path;
use std::sync::Arc;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_serde::Value;

use super::positions::{MAX_DEPTH, Tracker};
use super::{ConfigError, FieldPath, Location, SourceMap};

/// Parse YAML text (one document). Errors carry the location of the syntax error. An empty
/// document is `Value::Null` located at 1:1. Duplicate mapping keys are an error located at
/// the second occurrence.
pub(crate) fn parse_str(text: &str, origin: &str) -> Result<(Value, SourceMap), ConfigError> {
    // A byte-order mark (some Windows editors write one) is not part of the document.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let origin: Arc<str> = Arc::from(origin);
    if let Some((line, column)) = too_deep_flow(text) {
        return Err(ConfigError {
            location: Some(Location::at(&origin, line, column)),
            path: None,
            message: format!(
                "brackets nest more than {MAX_DEPTH} levels deep here; guildsim's files need \
                 about ten"
            ),
        });
    }
    let mut tracker = Tracker::new(Arc::clone(&origin));
    // A yaml-rust2 failure is not fatal by itself: yaml_serde decides what is valid, and the
    // positions collected up to the failure are still right. Nesting deeper than MAX_DEPTH
    // stops the pass at once (the input is refused), so it stays linear in the input.
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) | Err(_) => break,
            Ok((ev, mark)) => {
                tracker.on_event(ev, mark);
                if let Some(e) = tracker.too_deep.take() {
                    return Err(e);
                }
            }
        }
    }
    match yaml_serde::from_str::<Value>(text) {
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
                        message: super::wording::in_our_words(&message.replacen(&suffix, "", 1)),
                    })
                }
                None if message.contains("repetition limit") => Err(ConfigError {
                    location: Some(
                        tracker
                            .first_alias
                            .unwrap_or_else(|| Location::whole(&origin)),
                    ),
                    path: None,
                    message: "aliases (`*name`) expand to too large a document (the YAML \
                              reader's repetition limit); write the values out, or use fewer \
                              nested aliases"
                        .into(),
                }),
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

/// Where flow brackets (`[`, `{`) first nest deeper than [`MAX_DEPTH`], outside quoted strings
/// and comments: a linear pass, made before the YAML readers, whose scanners take quadratic
/// time on deep flow nesting (100,000 `[` took over a minute).
fn too_deep_flow(text: &str) -> Option<(usize, usize)> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = '\n';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            (line, column, comment) = (line + 1, 0, false);
            prev = c;
            continue;
        }
        match quote {
            Some('"') if c == '\\' => {
                chars.next();
                column += 1;
            }
            Some(q) if c == q => {
                if q == '\'' && chars.peek() == Some(&'\'') {
                    chars.next();
                    column += 1;
                } else {
                    quote = None;
                }
            }
            Some(_) => {}
            None if comment => {}
            None => match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' | '\'' => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some((line, column));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = c;
    }
    None
}

/// Read and parse a file; its path (as given) is the origin. A missing or unreadable file is a
/// `ConfigError` with no location and no path, whose message names the file and the OS error
/// (`cannot read models/x.yaml: No such file or directory (os error 2)`), so that a caller can
/// tell it apart from an error inside the file and re-locate it, e.g. at the field that named
/// the file.
pub(crate) fn parse_file(path: &Path) -> Result<(Value, SourceMap), ConfigError> {
    let origin = path.display().to_string();
    let text = read_input(path)?;
    parse_str(&text, &origin)
}

/// The largest experiment or model file guildsim reads: 4 MiB (the shipped ones are a few KiB;
/// the limit keeps every pass over an input, and a sweep's planning, bounded).
pub(crate) const MAX_INPUT_BYTES: u64 = 4 << 20;

/// Reads an input file: a regular file of at most [`MAX_INPUT_BYTES`], UTF-8. A device, a FIFO
/// or a folder is refused without being opened (reading `/dev/zero` never ends; opening a FIFO
/// blocks); text that is not UTF-8 is refused at the line and column of its first bad byte.
pub(crate) fn read_input(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let origin = path.display().to_string();
    let fail = |message: String| ConfigError {
        location: None,
        path: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read {origin}: {e}")))?;
    if !meta.is_file() {
        return Err(fail(format!(
            "cannot read {origin}: not a regular file (a folder, a device or a pipe); \
             experiment and model files must be regular files"
        )));
    }
    let too_big = |size: u64| {
        fail(format!(
            "cannot read {origin}: it holds {size} bytes, more than the {} MiB an experiment or \
             model file may hold",
            MAX_INPUT_BYTES >> 20
        ))
    };
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(format!("cannot read {origin}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[start..]).chars().count() + 1;
        ConfigError {
            location: Some(Location::at(&Arc::from(origin.as_str()), line, column)),
            path: None,
            message: "not UTF-8 text: experiment and model files are UTF-8 YAML".into(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml_source::test_support::{EXP, at, key_at, load, p};
    use crate::config::yaml_source::value_at;

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
    fn a_byte_order_mark_is_accepted() {
        // Post-mortem: a BOM gave "more than one document" without a line.
        let (v, map) = parse_str("\u{feff}a: 1\nb: [2]\n", "bom.yaml").unwrap();
        assert_eq!(value_at(&v, &p("b[0]")), Some(&Value::from(2)));
        assert_eq!(map.locate(&p("a")).unwrap().column, 4);
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
}
