//! Overrides of single fields: `--set a.b[2].c=value` from the command line, and the same
//! written in a file (`test_overrides`), each replacing the value at one path.

use std::sync::Arc;

use yaml_serde::{Mapping, Value};

use super::field_path::Segment;
use super::value::{describe, find_key, find_key_mut, resolve_names, untag, untag_mut};
use super::{ConfigError, FieldPath, Location, SourceMap};

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
pub(crate) fn apply_set(
    base: &mut Value,
    base_map: &mut SourceMap,
    arg: &str,
) -> Result<(), ConfigError> {
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
    let value: Value = yaml_serde::from_str(value_text).map_err(|err| {
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
            super::wording::in_our_words(&format!("invalid value: {message}")),
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
/// at the value (as returned by [`parse_str`](super::parse_str) or [`SourceMap::subtree`]); `at` is where the
/// override was written: it becomes the key position of `path`, the location of every mapping
/// created on the way, and the location of errors.
///
/// Intermediate mappings are created if absent (a null is turned into a mapping). An index
/// past the end of a sequence, an index into something that is not a sequence, or a key below
/// something that is neither a mapping nor null is an error, and then nothing is changed.
pub(crate) fn set_at(
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
    let path = &resolve_names(base, path).map_err(fail)?;
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
            (Some(v), Segment::Key(k)) => {
                // `model.nodes.session.count` for `model.nodes[session].count`: an item of a
                // sequence is named in brackets.
                let named = match v {
                    Value::Sequence(items) => items.iter().any(|item| {
                        matches!(untag(item), Value::Mapping(m)
                            if find_key(m, "name").and_then(Value::as_str) == Some(k.as_str()))
                    }),
                    _ => false,
                };
                let hint = if named {
                    let rest: Vec<String> = path.0[cur_path.0.len() + 1..]
                        .iter()
                        .map(|s| match s {
                            Segment::Key(k) => format!(".{k}"),
                            Segment::Index(i) => format!("[{i}]"),
                            Segment::Name(n) => format!("[{n}]"),
                        })
                        .collect();
                    format!(
                        "; an item is named in brackets: `{cur_path}[{k}]{}`",
                        rest.concat()
                    )
                } else {
                    String::new()
                };
                return Err(fail(format!(
                    "cannot set this: `{cur_path}` is {}, not a mapping{hint}",
                    describe(v)
                )));
            }
            (Some(v), Segment::Index(_)) => {
                return Err(fail(format!(
                    "cannot set this: `{cur_path}` is {}, not a sequence",
                    describe(v)
                )));
            }
            (_, Segment::Name(_)) => unreachable!("names are resolved above"),
        };
        cur_path = match segment {
            Segment::Key(k) => cur_path.key(k),
            Segment::Index(i) => cur_path.index(*i),
            Segment::Name(_) => unreachable!("names are resolved above"),
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
            Segment::Name(_) => unreachable!("names are resolved above"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml_source::test_support::{EXP, at, key_at, load, p};
    use crate::config::yaml_source::{error_at, parse_str, value_at};

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
    fn items_are_named_by_their_name_field() {
        let text = "nodes:\n  - {name: guild, count: 2}\n  - {name: session, count: 4}\n";
        let (mut v, mut map) = parse_str(text, "m.yaml").unwrap();
        apply_set(&mut v, &mut map, "nodes[session].count=7").unwrap();
        assert_eq!(value_at(&v, &p("nodes[1].count")), Some(&Value::from(7)));
        assert_eq!(
            value_at(&v, &p("nodes[session].count")),
            Some(&Value::from(7))
        );
        assert_eq!(
            value_at(&v, &p("nodes[guild].count")),
            Some(&Value::from(2))
        );
        assert_eq!(
            at(&map, "nodes[1].count"),
            "--set nodes[session].count=7:1:1"
        );
        let before = v.clone();
        let mut set = |arg: &str| apply_set(&mut v, &mut map, arg).unwrap_err().to_string();
        assert_eq!(
            set("nodes[edge].count=1"),
            "--set nodes[edge].count=1:1:1: nodes[edge].count: `nodes` has no item named `edge`; its names are: guild, session"
        );
        assert_eq!(
            set("nodes[0].count[x]=1"),
            "--set nodes[0].count[x]=1:1:1: nodes[0].count[x]: `nodes[0].count` is not a sequence, so it has no item named `x`"
        );
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
}
