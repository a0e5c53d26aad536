//! The editor schemas shipped in `schema/` are the ones guildsim generates, and every shipped
//! YAML file names its schema on its first line (`.ci/run` then validates each file against
//! it with an independent validator).

use super::support::root;
use guildsim::config::editor_schema::{SchemaKind, schema_json};

#[test]
fn shipped_schemas_are_current() {
    for kind in SchemaKind::ALL {
        let path = root().join(kind.shipped_path());
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            shipped == schema_json(kind),
            "{} is stale: regenerate it with `cargo run --release -- schema {} > {}`",
            kind.shipped_path(),
            format!("{kind:?}").to_lowercase(),
            kind.shipped_path()
        );
    }
}

#[test]
fn every_shipped_yaml_names_its_schema_first() {
    for (folder, schema) in [
        ("experiments", "experiment.schema.json"),
        ("models", "model.schema.json"),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root().join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no YAML files in {folder}/");
        let modeline = format!("# yaml-language-server: $schema=../schema/{schema}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            assert_eq!(
                text.lines().next(),
                Some(modeline.as_str()),
                "{} must start with the line `{modeline}`",
                file.display()
            );
        }
    }
}
