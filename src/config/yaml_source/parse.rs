//! Reading one YAML document: the value (from the YAML crate) and its source map (from the
//! position pass in `positions.rs`), with syntax errors located.

use std::path::Path;
use std::sync::Arc;

use yaml_rust2::parser::Parser;
use yaml_serde::Value;

use super::positions::Tracker;
use super::{ConfigError, FieldPath, Location, SourceMap};

/// Parse YAML text (one document). Errors carry the location of the syntax error. An empty
/// document is `Value::Null` located at 1:1. Duplicate mapping keys are an error located at
/// the second occurrence.
pub fn parse_str(text: &str, origin: &str) -> Result<(Value, SourceMap), ConfigError> {
    // A byte-order mark (some Windows editors write one) is not part of the document.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let origin: Arc<str> = Arc::from(origin);
    let mut tracker = Tracker::new(Arc::clone(&origin));
    // A yaml-rust2 failure is not fatal by itself: yaml_serde decides what is valid, and the
    // positions collected up to the failure are still right.
    let _ = Parser::new_from_str(text).load(&mut tracker, true);
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
