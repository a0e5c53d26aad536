//! A sweep's plan: every point of the grid and every replication, each a complete, validated
//! experiment with its own seed, folder and key.
//!
//! A run's experiment is the assembled experiment without its `sweep`, `description` and
//! `test_overrides`, with the point's values set at their field paths (located at the sweep
//! entries, so errors point there) and the seed `derive_seed(seed, "replication", r)`: the
//! same at every point (common random numbers). Its key is the SHA-256 of the guildsim version
//! and its `resolved.yaml`, so it changes exactly when something that reaches the run's result
//! files changes. Folders are named by the point's values, not its position, so adding a value
//! to the grid leaves the other runs where they are.
//!
//! Planning checks every point as a run would and computes its keys one point at a time; a
//! [`RunSpec`] keeps only how to build its experiment ([`RunSource`]: the point's values over
//! the shared run document), so a plan's memory does not grow with points x file size. A run's
//! experiment is built again when it is run or estimated ([`RunSpec::load`]).

use super::points::{Point, combinations, point_dirs};
use crate::config::schema::Experiment;
use crate::config::sweep::Sweep;
use crate::config::validate::sweep::{self as grid, render};
use crate::config::validate::{self, figures};
use crate::config::yaml_source::{self, ConfigError, FieldPath, Location, SourceMap};
use crate::config::{Assembled, ConfigErrors, Loaded, finish};
use crate::error::Refused;
use crate::identity::{self, sha256_hex};
use crate::sim::rng::derive_seed;
use std::path::PathBuf;
use std::sync::Arc;

/// Every run of a sweep.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The experiment with its sweep, as written to the top-level `resolved.yaml`.
    pub base: Loaded,
    pub sweep: Sweep,
    /// The swept field paths, in grid order (a zip's fields one after another).
    pub(crate) columns: Vec<String>,
    pub points: Vec<Point>,
    /// Point-major: all replications of point 0, then of point 1, ...
    pub runs: Vec<RunSpec>,
    /// The top-level `resolved.yaml`, and its SHA-256 (identifies the experiment in `merge`).
    pub(crate) resolved_yaml: Vec<u8>,
    pub(crate) experiment_sha256: String,
}

/// One run: a point and a replication.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Position in [`Plan::runs`].
    pub index: usize,
    pub point: usize,
    pub replication: u32,
    /// Folder relative to the sweep's output folder: `runs/<point>/r<replication>`.
    pub dir: String,
    /// Hex SHA-256 of the version and the run's `resolved.yaml`.
    pub(crate) key: String,
    /// The run's seed and horizon (for tables and progress without building the run).
    pub(crate) seed: u64,
    pub(crate) horizon_s: f64,
    /// How to build the run's experiment.
    pub(crate) source: Arc<RunSource>,
}

impl RunSpec {
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The run's experiment, built from its source (checked when the plan was made).
    pub fn load(&self) -> Result<Loaded, ConfigErrors> {
        self.source.load(self.replication)
    }
}

/// One value set at a field of the run document, with where it was written.
#[derive(Clone, Debug)]
pub(crate) struct SetValue {
    pub(crate) field: FieldPath,
    pub(crate) value: yaml_serde::Value,
    pub(crate) map: SourceMap,
    pub(crate) at: Location,
}

/// How to build the runs of one point (or one searched value): the run document shared by all
/// points, and this point's values.
#[derive(Debug)]
pub(crate) struct RunSource {
    pub(crate) doc: Arc<yaml_serde::Value>,
    pub(crate) map: Arc<SourceMap>,
    pub(crate) values: Vec<SetValue>,
    pub(crate) path: PathBuf,
    pub(crate) name: String,
    /// The description of replication `r` ends with ` of <this>`.
    pub(crate) described_as: String,
    /// A sweep point's values in words, for its plots' titles: `fan-out: naive, Semaphore:
    /// none` (none for a search's or a calibration's runs).
    pub(crate) point: Option<String>,
}

impl RunSource {
    /// The document with this point's values set.
    pub(crate) fn document(&self) -> Result<(yaml_serde::Value, SourceMap), ConfigErrors> {
        let mut doc = (*self.doc).clone();
        let mut map = (*self.map).clone();
        let mut errors = Vec::new();
        for v in &self.values {
            if let Err(e) = yaml_source::set_at(
                &mut doc,
                &mut map,
                &v.field,
                v.value.clone(),
                v.map.clone(),
                &v.at,
            ) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok((doc, map))
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// The experiment of replication `r`.
    pub(crate) fn load(&self, r: u32) -> Result<Loaded, ConfigErrors> {
        let (doc, map) = self.document()?;
        let exp = check_run(&doc, &map)?;
        Ok(self.replication(&exp, map, r))
    }

    /// Replication `r` of the point's checked experiment `exp`.
    pub(crate) fn replication(&self, exp: &Experiment, map: SourceMap, r: u32) -> Loaded {
        let mut experiment = exp.clone();
        experiment.seed = derive_seed(exp.seed, "replication", r as u64);
        experiment.name = Some(self.name.clone());
        experiment.description = format!("{}: replication {r} of {}", self.name, self.described_as);
        Loaded {
            experiment,
            source: map,
            path: self.path.clone(),
            name: self.name.clone(),
            point: self.point.clone(),
        }
    }
}

/// The plan of an assembled experiment, or `None` when it has no sweep.
pub fn plan(assembled: &Assembled) -> Result<Option<Plan>, ConfigErrors> {
    let base = finish(assembled.clone())?;
    let Some(sweep) = base.experiment.sweep.clone() else {
        return Ok(None);
    };
    let axes = grid::axes(&sweep, &base.source, assembled.input_bytes)?;
    let columns: Vec<String> = axes
        .iter()
        .flat_map(|a| a.params.iter().map(|p| p.field.to_string()))
        .collect();

    let mut run_doc = assembled.doc.clone();
    if let Some(m) = run_doc.as_mapping_mut() {
        for key in ["sweep", "search", "description", "test_overrides"] {
            m.remove(key);
        }
    }
    let run_doc = Arc::new(run_doc);
    let run_map = Arc::new(assembled.map.clone());
    let mut errors: Vec<ConfigError> = Vec::new();
    let mut points = Vec::new();
    let mut sources = Vec::new();
    for choice in combinations(&axes) {
        let mut labels = Vec::new();
        let mut values = Vec::new();
        for (axis, &k) in axes.iter().zip(&choice) {
            for param in &axis.params {
                let (value, value_map) = &param.values[k];
                labels.push(render(value));
                values.push(SetValue {
                    field: param.field.clone(),
                    value: value.clone(),
                    map: value_map.clone(),
                    at: param.field_at.clone(),
                });
            }
        }
        let at: Vec<String> = columns
            .iter()
            .zip(&labels)
            .map(|(c, v)| format!("{c}={v}"))
            .collect();
        let short: Vec<String> = columns
            .iter()
            .zip(&labels)
            .map(|(c, v)| crate::report::names::value_label(c, v))
            .collect();
        let source = RunSource {
            point: Some(short.join(", ")),
            doc: Arc::clone(&run_doc),
            map: Arc::clone(&run_map),
            values,
            path: assembled.path.clone(),
            name: assembled.name.clone(),
            described_as: format!("the sweep point {}", at.join(", ")),
        };
        // Every check a run would make, so that a bad point fails before anything is written;
        // the point's experiment is then dropped (built again when it runs).
        match source
            .document()
            .and_then(|(doc, map)| Ok((check_run(&doc, &map)?, map)))
        {
            Ok((exp, map)) => {
                let keys: Vec<(String, u64, f64)> = (0..sweep.replications)
                    .map(|r| {
                        let loaded = source.replication(&exp, map.clone(), r);
                        (
                            identity::run_key(&loaded.name, &loaded.experiment),
                            loaded.experiment.seed,
                            loaded.experiment.run.horizon_s,
                        )
                    })
                    .collect();
                points.push(labels);
                sources.push((Arc::new(source), keys));
            }
            Err(e) => errors.extend(e.0),
        }
    }
    if !errors.is_empty() {
        // The same bad value fails at every point that uses it: report it once.
        let mut seen = Vec::new();
        errors.retain(|e| {
            let text = e.to_string();
            let new = !seen.contains(&text);
            seen.push(text);
            new
        });
        return Err(ConfigErrors(errors));
    }

    let mut plot_errors = figures::check_plots(&sweep, &columns, &points, &base);
    plot_errors.extend(figures::check_timelines(&sweep, &columns, &points, &base));
    plot_errors.extend(figures::check_summary(&sweep, &base));
    if !plot_errors.is_empty() {
        return Err(ConfigErrors(plot_errors));
    }
    let dirs = point_dirs(&columns, &points);
    let mut runs = Vec::new();
    for (p, (source, keys)) in sources.into_iter().enumerate() {
        for (r, (key, seed, horizon_s)) in (0..sweep.replications).zip(keys) {
            runs.push(RunSpec {
                index: runs.len(),
                point: p,
                replication: r,
                dir: format!("runs/{}/r{r:03}", dirs[p]),
                key,
                seed,
                horizon_s,
                source: Arc::clone(&source),
            });
        }
    }
    let points: Vec<Point> = points
        .into_iter()
        .zip(dirs)
        .map(|(labels, dir)| Point { labels, dir })
        .collect();
    let resolved_yaml =
        identity::resolved_yaml(&base.name, &base.experiment).expect("an experiment serialises");
    Ok(Some(Plan {
        experiment_sha256: sha256_hex(&resolved_yaml),
        resolved_yaml,
        base,
        sweep,
        columns,
        points,
        runs,
    }))
}

/// A run's experiment document deserialised and given every check a run would make (ranges,
/// cross-field rules, the build's precheck), with errors located in `map`.
pub(crate) fn check_run(
    doc: &yaml_serde::Value,
    map: &SourceMap,
) -> Result<Experiment, ConfigErrors> {
    yaml_source::deserialize::<Experiment>(doc, map)
        .map_err(ConfigErrors::from)
        .and_then(|exp| validate::validate(&exp, map).map(|()| exp))
        .and_then(|exp| {
            crate::world::build::precheck(&exp)
                .map_err(|e| {
                    let path = FieldPath::parse(&e.path).unwrap_or_default();
                    ConfigErrors::from(yaml_source::error_at(map, &path, e.message))
                })
                .map(|_| exp)
        })
}

/// An error if a `--set` override changes a swept field (or a part of one): the sweep would
/// silently replace it at every point.
pub(crate) fn check_sets(plan: &Plan, sets: &[String]) -> Result<(), Refused> {
    // Items named by their `name:` (`model.nodes[session]`) are compared by index.
    let doc: yaml_serde::Value = yaml_serde::from_slice(&plan.resolved_yaml).unwrap_or_default();
    let canonical = |path: FieldPath| yaml_source::resolve_names(&doc, &path).unwrap_or(path);
    for set in sets {
        let Some((path, _)) = set.split_once('=') else {
            continue;
        };
        let Ok(path) = FieldPath::parse(path) else {
            continue;
        };
        let path = canonical(path);
        for column in &plan.columns {
            let swept = canonical(FieldPath::parse(column).expect("columns are field paths"));
            if path.starts_with(&swept) {
                let entry = grid_entry_of(&plan.sweep, column)
                    .unwrap_or_else(|| "sweep.grid[0]".to_string());
                return Err(Refused(format!(
                    "--set {set}: `{column}` is swept, so the sweep would replace this value at \
                     every point; change the sweep instead (e.g. --set '{entry}.values=[...]')"
                )));
            }
        }
    }
    Ok(())
}

/// The path of the grid entry that sweeps `column`: `sweep.grid[1]`, or
/// `sweep.grid[0].zip[1]` for a zipped field.
pub(crate) fn grid_entry_of(sweep: &Sweep, column: &str) -> Option<String> {
    let same = |field: &Option<String>| {
        field
            .as_deref()
            .and_then(|f| FieldPath::parse(f).ok())
            .is_some_and(|f| f.to_string() == column)
    };
    for (i, entry) in sweep.grid.iter().enumerate() {
        if same(&entry.field) {
            return Some(format!("sweep.grid[{i}]"));
        }
        for (j, zipped) in entry.zip.iter().flatten().enumerate() {
            if same(&zipped.field) {
                return Some(format!("sweep.grid[{i}].zip[{j}]"));
            }
        }
    }
    None
}
