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

use super::figures;
use super::grid::{self, render};
use super::points::{Point, combinations, point_dirs};
use crate::config::schema::Experiment;
use crate::config::sweep::Sweep;
use crate::config::yaml_source::{self, ConfigError, FieldPath, SourceMap};
use crate::config::{Assembled, ConfigErrors, Loaded, finish, validate};
use crate::report;
use crate::sim::rng::derive_seed;

/// The guildsim version (part of every run key and checked by `merge`), run keys and hashes.
pub use crate::files::manifest::VERSION;
pub use crate::files::sha256_hex;
pub use crate::report::run_key;

/// Every run of a sweep.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The experiment with its sweep, as written to the top-level `resolved.yaml`.
    pub base: Loaded,
    pub sweep: Sweep,
    /// The swept field paths, in grid order (a zip's fields one after another).
    pub columns: Vec<String>,
    pub points: Vec<Point>,
    /// Point-major: all replications of point 0, then of point 1, ...
    pub runs: Vec<RunSpec>,
    /// The top-level `resolved.yaml`, and its SHA-256 (identifies the experiment in `merge`).
    pub resolved_yaml: Vec<u8>,
    pub experiment_sha256: String,
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
    pub key: String,
    pub loaded: Loaded,
}

impl RunSpec {
    pub fn seed(&self) -> u64 {
        self.loaded.experiment.seed
    }
}

/// The plan of an assembled experiment, or `None` when it has no sweep.
pub fn plan(assembled: &Assembled) -> Result<Option<Plan>, ConfigErrors> {
    let base = finish(assembled.clone())?;
    let Some(sweep) = base.experiment.sweep.clone() else {
        return Ok(None);
    };
    let axes = grid::axes(&sweep, &base.source)?;
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
    let mut errors: Vec<ConfigError> = Vec::new();
    let mut points = Vec::new();
    let mut experiments = Vec::new();
    for choice in combinations(&axes) {
        let mut doc = run_doc.clone();
        let mut map = assembled.map.clone();
        let mut labels = Vec::new();
        let mut failed = false;
        for (axis, &k) in axes.iter().zip(&choice) {
            for param in &axis.params {
                let (value, value_map) = &param.values[k];
                labels.push(render(value));
                if let Err(e) = yaml_source::set_at(
                    &mut doc,
                    &mut map,
                    &param.field,
                    value.clone(),
                    value_map.clone(),
                    &param.field_at,
                ) {
                    errors.push(e);
                    failed = true;
                }
            }
        }
        if failed {
            continue;
        }
        // Every check a run would make, so that a bad point fails before anything is written.
        match check_run(&doc, &map) {
            Ok(exp) => {
                points.push(labels);
                experiments.push((exp, map));
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

    let dirs = point_dirs(&columns, &points);
    let mut runs = Vec::new();
    for (p, ((exp, map), labels)) in experiments.into_iter().zip(&points).enumerate() {
        let at: Vec<String> = columns
            .iter()
            .zip(labels)
            .map(|(c, v)| format!("{c}={v}"))
            .collect();
        for r in 0..sweep.replications {
            let mut experiment = exp.clone();
            experiment.seed = derive_seed(exp.seed, "replication", r as u64);
            experiment.name = Some(assembled.name.clone());
            experiment.description = format!(
                "{}: replication {r} of the sweep point {}",
                assembled.name,
                at.join(", ")
            );
            let loaded = Loaded {
                experiment,
                source: map.clone(),
                path: assembled.path.clone(),
                name: assembled.name.clone(),
            };
            let key = run_key(&loaded);
            runs.push(RunSpec {
                index: runs.len(),
                point: p,
                replication: r,
                dir: format!("runs/{}/r{r:03}", dirs[p]),
                key,
                loaded,
            });
        }
    }
    let points: Vec<Point> = points
        .into_iter()
        .zip(dirs)
        .map(|(labels, dir)| Point { labels, dir })
        .collect();
    let mut plot_errors = figures::check_plots(&sweep, &columns, &points, &base);
    plot_errors.extend(figures::check_timelines(&sweep, &columns, &points, &base));
    if !plot_errors.is_empty() {
        return Err(ConfigErrors(plot_errors));
    }
    let resolved_yaml = report::resolved_yaml(&base).expect("an experiment serialises");
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
pub fn check_run(doc: &yaml_serde::Value, map: &SourceMap) -> Result<Experiment, ConfigErrors> {
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
pub fn check_sets(plan: &Plan, sets: &[String]) -> Result<(), String> {
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
                return Err(format!(
                    "--set {set}: `{column}` is swept, so the sweep would replace this value at \
                     every point; change the sweep instead (e.g. --set 'sweep.grid[0].values=[...]')"
                ));
            }
        }
    }
    Ok(())
}
