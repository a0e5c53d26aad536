//! Experiments from YAML: assembly (model file + overrides + `--set`), typed deserialisation
//! and semantic validation, with every error located at a file, line, column and field path.

pub mod editor_schema;
pub(crate) mod limits;
pub mod schema;
pub(crate) mod search;
pub(crate) mod sweep;
pub(crate) mod validate;
pub(crate) mod yaml_source;

use schema::Experiment;
use std::fmt;
use std::path::{Path, PathBuf};
use yaml_source::{ConfigError, FieldPath, SourceMap};

/// One or more configuration errors, each on its own line.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

/// How to assemble an experiment.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `field.path=value` overrides, applied in order after the experiment's own.
    pub sets: Vec<String>,
    /// Apply the experiment's `test_overrides` (before `sets`).
    pub test_scale: bool,
}

/// An assembled, validated experiment.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub experiment: Experiment,
    /// Where every value came from, for errors found later (for example while building).
    pub(crate) source: SourceMap,
    pub(crate) path: PathBuf,
    /// The experiment's name: its `name:` field, or else its file name without extension.
    pub name: String,
    /// For a run of a sweep, its point's values in words (`fan-out: naive, Semaphore: none`),
    /// for the titles of its plots; it reaches no result file but those plots.
    pub(crate) point: Option<String>,
}

impl Loaded {
    /// An error about `path` (a field path such as `workload.users`), located in the sources.
    pub(crate) fn error_at(&self, path: &str, message: impl Into<String>) -> ConfigError {
        let field = FieldPath::parse(path).unwrap_or_default();
        yaml_source::error_at(&self.source, &field, message)
    }
}

/// Loads `path`, assembles it with its model and overrides, and validates it.
pub fn load_experiment(path: &Path, options: &LoadOptions) -> Result<Loaded, ConfigErrors> {
    finish(assemble(path, options)?)
}

/// An experiment document assembled from its layers (model inlined, overrides applied) but not
/// yet deserialised: sweeps set further fields on a copy of it for each run.
#[derive(Clone, Debug)]
pub struct Assembled {
    pub(crate) doc: yaml_serde::Value,
    pub(crate) map: SourceMap,
    pub(crate) path: PathBuf,
    /// The experiment's name: its `name:` field, or else its file name without extension.
    pub name: String,
    /// Bytes of input it was assembled from (its files and `--set` values): a sweep checks
    /// every point as a run, so its planning work is points x this.
    pub(crate) input_bytes: u64,
}

impl Assembled {
    /// Whether the document has a non-empty `test_overrides` section.
    pub(crate) fn has_test_overrides(&self) -> bool {
        matches!(self.doc.get("test_overrides"), Some(yaml_serde::Value::Mapping(m)) if !m.is_empty())
    }
}

/// Deserialises and validates an assembled document.
pub fn finish(assembled: Assembled) -> Result<Loaded, ConfigErrors> {
    let Assembled {
        doc,
        map,
        path,
        name,
        ..
    } = assembled;
    let mut experiment: Experiment = yaml_source::deserialize(&doc, &map).map_err(|mut e| {
        // `model_overrides` is read (and taken out) before the experiment's fields: serde's
        // list of top-level fields does not know it.
        let top = e
            .path
            .as_ref()
            .is_some_and(|p| p.parent().is_some_and(|q| q.is_root()));
        if top && e.message.contains("unknown field") {
            e.message = e
                .message
                .replace("`model`, ", "`model`, `model_overrides`, ");
        }
        e
    })?;
    validate::validate(&experiment, &map)?;
    experiment.name = Some(name.clone());
    Ok(Loaded {
        experiment,
        source: map,
        path,
        name,
        point: None,
    })
}

/// Reads `path` and applies its layers: the model file, `model_overrides`, `test_overrides`
/// (when `options.test_scale`) and `options.sets`, in that order.
pub fn assemble(path: &Path, options: &LoadOptions) -> Result<Assembled, ConfigErrors> {
    let (mut doc, mut map) = yaml_source::parse_file(path)?;
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut input_bytes = size(path);
    let root = FieldPath::root();
    if !doc.is_mapping() {
        return Err(yaml_source::error_at(
            &map,
            &root,
            "an experiment must be a mapping of fields",
        )
        .into());
    }
    // `--set model_overrides.…` edits the file's `model_overrides` section, which is merged
    // into the model below; every other `--set` applies to the assembled experiment last.
    let is_overrides = |arg: &&String| {
        arg.split_once('=').is_some_and(|(p, _)| {
            FieldPath::parse(p).is_ok_and(|p| p.starts_with(&root.key("model_overrides")))
        })
    };
    for arg in options.sets.iter().filter(is_overrides) {
        yaml_source::apply_set(&mut doc, &mut map, arg)?;
        input_bytes += arg.len() as u64;
    }
    let model_path = root.key("model");
    match doc.get("model").cloned() {
        Some(yaml_serde::Value::String(file)) => {
            let file_path = path.parent().unwrap_or(Path::new(".")).join(&file);
            input_bytes += size(&file_path);
            let (model_doc, model_map) = yaml_source::parse_file(&file_path).map_err(|e| {
                if e.location.is_some() {
                    e
                } else {
                    yaml_source::error_at(
                        &map,
                        &model_path,
                        format!(
                            "cannot load model file `{file}` ({}): {}",
                            file_path.display(),
                            e.message
                        ),
                    )
                }
            })?;
            yaml_source::merge_at(&mut doc, &mut map, &model_path, model_doc, model_map);
        }
        Some(yaml_serde::Value::Mapping(_)) => {}
        Some(_) => {
            return Err(yaml_source::error_at(
                &map,
                &model_path,
                "expected a path to a model file (string) or an inline model (mapping)",
            )
            .into());
        }
        None => {
            return Err(yaml_source::error_at(
                &map,
                &root,
                "missing field `model` (a path to a model file, or an inline model)",
            )
            .into());
        }
    }
    if let Some(overrides) = doc
        .as_mapping_mut()
        .and_then(|m| m.remove("model_overrides"))
    {
        let overrides_path = root.key("model_overrides");
        if !overrides.is_mapping() {
            return Err(yaml_source::error_at(
                &map,
                &overrides_path,
                "expected a mapping to merge over the model",
            )
            .into());
        }
        let shifted = map.subtree(&overrides_path);
        yaml_source::merge_at(&mut doc, &mut map, &model_path, overrides, shifted);
    }
    if options.test_scale {
        let overrides: Vec<(String, yaml_serde::Value)> = match doc.get("test_overrides") {
            Some(yaml_serde::Value::Mapping(m)) => m
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.clone()))
                .collect(),
            _ => Vec::new(),
        };
        for (key, value) in overrides {
            let entry = root.key("test_overrides").key(&key);
            let target =
                FieldPath::parse(&key).map_err(|e| yaml_source::error_at(&map, &entry, e))?;
            let at = map
                .locate_key(&entry)
                .expect("an entry of test_overrides has a location");
            let sub = map.subtree(&entry);
            yaml_source::set_at(&mut doc, &mut map, &target, value, sub, &at)?;
        }
    }
    for arg in options.sets.iter().filter(|a| !is_overrides(a)) {
        yaml_source::apply_set(&mut doc, &mut map, arg)?;
        input_bytes += arg.len() as u64;
    }
    // The `name:` field when there is one (it is checked with the rest), else the file name.
    let name = match doc.get("name") {
        Some(yaml_serde::Value::String(name)) => name.clone(),
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    Ok(Assembled {
        doc,
        map,
        path: path.to_path_buf(),
        name,
        input_bytes,
    })
}
