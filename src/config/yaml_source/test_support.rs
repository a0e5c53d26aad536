//! Helpers shared by the unit tests of the YAML modules.

use yaml_serde::Value;

use super::{FieldPath, SourceMap, parse_str};

pub(super) fn p(s: &str) -> FieldPath {
    FieldPath::parse(s).unwrap()
}

pub(super) fn at(map: &SourceMap, path: &str) -> String {
    map.locate(&p(path))
        .map(|l| l.to_string())
        .unwrap_or_default()
}

pub(super) fn key_at(map: &SourceMap, path: &str) -> String {
    map.locate_key(&p(path))
        .map(|l| l.to_string())
        .unwrap_or_default()
}

pub(super) const EXP: &str = "\
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

pub(super) fn load(text: &str) -> (Value, SourceMap) {
    parse_str(text, "exp.yaml").unwrap()
}
