//! A search's plan: the `search:` section checked (every error located, by
//! `crate::config::validate::search`), the grid's points (one search each; a single point
//! without a `sweep:`), and the runs of any value tried at any point, each a complete,
//! validated experiment with its seed, folder and key.
//!
//! A run's experiment is the assembled experiment without its `search`, `sweep`,
//! `description` and `test_overrides`, with the point's swept values and the searched value
//! set at their field paths and the seed `derive_seed(seed, "replication", r)`: the same at
//! every point and value (common random numbers, as in a sweep), so seeds never depend on the
//! order in which runs are scheduled. Folders are named by the point and the value
//! (`runs/0-strategy=naive,members=3162/r000`), so a value tried again is found complete.

use super::bisect::Settings;
use crate::config::limits::MAX_RUNS;
use crate::config::search::Search;
use crate::config::validate::search::{self as checks, check_section};
use crate::config::validate::sweep::{self as grid, Axis, render};
use crate::config::yaml_source::{self, ConfigError, FieldPath, Location, SourceMap};
use crate::config::{Assembled, ConfigErrors, Loaded, finish};
use crate::error::Refused;
use crate::identity::{self, sha256_hex};
use crate::sweep::plan::{RunSource, RunSpec, SetValue, check_run};
use crate::sweep::points::{Point, combinations, point_dirs};
use std::sync::Arc;
use yaml_serde::{Number, Value};

/// Every search of an experiment, and how to make the runs of a value.
#[derive(Clone, Debug)]
pub struct SearchPlan {
    /// The experiment with its search (and sweep), as written to the top-level `resolved.yaml`.
    pub base: Loaded,
    pub search: Search,
    pub(crate) settings: Settings,
    /// The swept field paths, in grid order (none without a sweep).
    pub columns: Vec<String>,
    /// The grid's points, one search each (one point without a sweep).
    pub points: Vec<Point>,
    /// The searched field's last key, for folder names (`members`).
    pub(crate) key: String,
    pub(crate) resolved_yaml: Vec<u8>,
    pub(crate) experiment_sha256: String,
    field: FieldPath,
    field_at: Location,
    run_doc: Arc<Value>,
    map: Arc<SourceMap>,
    axes: Vec<Axis>,
    choices: Vec<Vec<usize>>,
    name: String,
}

/// The plan of an assembled experiment, or `None` when it has no search.
pub fn plan(assembled: &Assembled) -> Result<Option<SearchPlan>, ConfigErrors> {
    let base = finish(assembled.clone())?;
    let Some(search) = base.experiment.search.clone() else {
        return Ok(None);
    };
    let map = &base.source;
    let at = FieldPath::root().key("search");
    let mut errors = Vec::new();
    let field = check_section(&search, &base, &mut errors);
    checks::check_company(&base, &mut errors);
    let (axes, columns) = match &base.experiment.sweep {
        None => (Vec::new(), Vec::new()),
        Some(sweep) => {
            let axes = grid::axes(sweep, map, assembled.input_bytes)?;
            let columns: Vec<String> = axes
                .iter()
                .flat_map(|a| a.params.iter().map(|p| p.field.to_string()))
                .collect();
            (axes, columns)
        }
    };
    if let Some(f) = &field {
        checks::check_overlap(f, &columns, &assembled.doc, map, &mut errors);
    }
    let choices = if axes.is_empty() {
        vec![Vec::new()]
    } else {
        combinations(&axes)
    };
    let settings = settings(&search);
    let runs = (choices.len() as u64)
        .saturating_mul(search.replications as u64)
        .saturating_mul(2 + settings.steps_bound() as u64);
    if errors.is_empty() && runs > MAX_RUNS {
        errors.push(yaml_source::error_at(
            map,
            &at,
            format!(
                "{} searches x {} replications x up to {} values = {runs} runs, more than \
                 {MAX_RUNS}: sweep fewer points, take fewer replications or a coarser precision",
                choices.len(),
                search.replications,
                2 + settings.steps_bound()
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    let field = field.expect("checked");
    let field_at = map
        .locate(&at.key("field"))
        .expect("a field written in the file has a location");
    let mut run_doc = assembled.doc.clone();
    if let Some(m) = run_doc.as_mapping_mut() {
        for key in ["sweep", "search", "description", "test_overrides"] {
            m.remove(key);
        }
    }
    decide_at_limit(&mut run_doc, &base, &search);
    let labels: Vec<Vec<String>> = choices
        .iter()
        .map(|choice| {
            axes.iter()
                .zip(choice)
                .flat_map(|(axis, &k)| axis.params.iter().map(move |p| render(&p.values[k].0)))
                .collect()
        })
        .collect();
    let dirs = if columns.is_empty() {
        vec![String::new()]
    } else {
        point_dirs(&columns, &labels)
    };
    let plot_error = checks::check_plot(&search, &columns, &labels, map);
    let points: Vec<Point> = labels
        .into_iter()
        .zip(dirs)
        .map(|(labels, dir)| Point { labels, dir })
        .collect();
    let key = field.last_key().unwrap_or("value").to_string();
    let resolved_yaml =
        identity::resolved_yaml(&base.name, &base.experiment).expect("an experiment serialises");
    let plan = SearchPlan {
        experiment_sha256: sha256_hex(&resolved_yaml),
        resolved_yaml,
        name: assembled.name.clone(),
        base: base.clone(),
        search,
        settings,
        columns,
        points,
        key,
        field,
        field_at,
        run_doc: Arc::new(run_doc),
        map: Arc::new(assembled.map.clone()),
        axes,
        choices,
    };
    // Both ends at every point, checked as a run would check them: a bad end fails now.
    let mut errors = Vec::new();
    for p in 0..plan.points.len() {
        for end in [settings.from, settings.to] {
            if let Err(e) = plan.runs_at(p, end, 0) {
                errors.extend(e.0.into_iter().map(|e| plan.explain(e, end)));
            }
        }
    }
    errors.extend(plot_error);
    if !errors.is_empty() {
        let mut seen = Vec::new();
        errors.retain(|e| {
            let text = e.to_string();
            let new = !seen.contains(&text);
            seen.push(text);
            new
        });
        return Err(ConfigErrors(errors));
    }
    Ok(Some(plan))
}

/// With `run.until`, each run stops as soon as its interval lies on one side of the search's
/// limit (`run.until.decide_at`, unless the experiment sets it): a value far from the answer
/// is decided in a short run, and only those near it run long enough to be precise.
fn decide_at_limit(run_doc: &mut Value, base: &Loaded, search: &Search) {
    let Some(u) = &base.experiment.run.until else {
        return;
    };
    let Some(limit) = search.max.or(search.min) else {
        return;
    };
    if u.decide_at.is_some() {
        return;
    }
    let until = run_doc
        .as_mapping_mut()
        .and_then(|m| m.get_mut("run"))
        .and_then(Value::as_mapping_mut)
        .and_then(|m| m.get_mut("until"))
        .and_then(Value::as_mapping_mut);
    if let Some(until) = until {
        until.insert(
            Value::String("decide_at".into()),
            Value::Number(Number::from(limit)),
        );
    }
}

/// The bisection settings of a checked section.
fn settings(search: &Search) -> Settings {
    let (from, to) = checks::ends(search);
    Settings {
        find: search.find,
        scale: search.scale,
        precision: search.precision,
        integer: !search.from.is_f64() && !search.to.is_f64(),
        from,
        to,
        max_steps: search.max_steps,
    }
}

impl SearchPlan {
    /// The runs of `value` at point `point`, one per replication, indexed from `first`.
    pub(crate) fn runs_at(
        &self,
        point: usize,
        value: f64,
        first: usize,
    ) -> Result<Vec<RunSpec>, ConfigErrors> {
        let mut values = Vec::new();
        for (axis, &k) in self.axes.iter().zip(&self.choices[point]) {
            for param in &axis.params {
                let (v, vmap) = &param.values[k];
                values.push(SetValue {
                    field: param.field.clone(),
                    value: v.clone(),
                    map: vmap.clone(),
                    at: param.field_at.clone(),
                });
            }
        }
        values.push(SetValue {
            field: self.field.clone(),
            value: self.value(value),
            map: SourceMap::rooted_at(self.field_at.clone()),
            at: self.field_at.clone(),
        });
        let at = self.where_text(point, value);
        let source = Arc::new(RunSource {
            doc: Arc::clone(&self.run_doc),
            map: Arc::clone(&self.map),
            values,
            path: self.base.path.clone(),
            name: self.name.clone(),
            described_as: format!("the search at {at}"),
            point: None,
        });
        let (doc, map) = source.document()?;
        let exp = check_run(&doc, &map)?;
        let dir = self.value_dir(point, value);
        Ok((0..self.search.replications)
            .map(|r| {
                let loaded = source.replication(&exp, map.clone(), r);
                RunSpec {
                    index: first + r as usize,
                    point,
                    replication: r,
                    dir: format!("runs/{dir}/r{r:03}"),
                    key: identity::run_key(&loaded.name, &loaded.experiment),
                    seed: loaded.experiment.seed,
                    horizon_s: loaded.experiment.run.horizon_s,
                    source: Arc::clone(&source),
                }
            })
            .collect())
    }

    /// An error about the searched field itself, with the value the search set it to and,
    /// for a search over decimals, how to make it one over integers.
    fn explain(&self, mut e: ConfigError, value: f64) -> ConfigError {
        // Items named by their `name:` (`model.nodes[session]`) are compared by index.
        let field = yaml_source::resolve_names(&self.run_doc, &self.field)
            .unwrap_or_else(|_| self.field.clone());
        if e.path.as_ref() == Some(&field) {
            e.message.push_str(&format!(
                " (the search sets `{}` to {} at an end of its bracket",
                self.field,
                self.value_text(value)
            ));
            if !self.settings.integer {
                e.message
                    .push_str("; write `from` and `to` as integers to search whole numbers");
            }
            e.message.push(')');
        }
        e
    }

    /// The searched value as YAML: an integer when the search is over integers.
    pub(crate) fn value(&self, value: f64) -> Value {
        if self.settings.integer {
            Value::Number(Number::from(value as i64))
        } else {
            Value::Number(Number::from(value))
        }
    }

    /// The searched value as text (tables, folder names).
    pub fn value_text(&self, value: f64) -> String {
        render(&self.value(value))
    }

    /// The folder of a value's runs under `runs/`: `0-strategy=naive,members=3162`.
    fn value_dir(&self, point: usize, value: f64) -> String {
        let v: String = self
            .value_text(value)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-+".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        match self.points[point].dir.as_str() {
            "" => format!("{}={v}", self.key),
            dir => format!("{dir},{}={v}", self.key),
        }
    }

    /// `strategy=naive, members=3162`, for descriptions.
    fn where_text(&self, point: usize, value: f64) -> String {
        self.columns
            .iter()
            .zip(&self.points[point].labels)
            .map(|(c, v)| format!("{c}={v}"))
            .chain(std::iter::once(format!(
                "{}={}",
                self.field,
                self.value_text(value)
            )))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether `mean` (the metric's mean over a value's replications) is within the limit.
    pub(crate) fn within(&self, mean: Option<f64>) -> bool {
        match (mean, self.search.max, self.search.min) {
            (Some(m), Some(max), _) => m <= max,
            (Some(m), None, Some(min)) => m >= min,
            _ => false,
        }
    }

    /// The most runs the searches can make: both ends and every step, at every point.
    pub fn max_runs(&self) -> usize {
        self.points.len()
            * self.search.replications as usize
            * (2 + self.settings.steps_bound() as usize)
    }
}

/// An error if a `--set` override changes the searched field or a swept one: the search
/// would silently replace it at every run.
pub(crate) fn check_sets(plan: &SearchPlan, sets: &[String]) -> Result<(), Refused> {
    // Items named by their `name:` (`model.nodes[session]`) are compared by index.
    let doc: Value = yaml_serde::from_slice(&plan.resolved_yaml).unwrap_or_default();
    let canonical = |path: FieldPath| yaml_source::resolve_names(&doc, &path).unwrap_or(path);
    let field = canonical(plan.field.clone());
    for set in sets {
        let Some((path, _)) = set.split_once('=') else {
            continue;
        };
        let Ok(path) = FieldPath::parse(path) else {
            continue;
        };
        let path = canonical(path);
        if path.starts_with(&field) {
            return Err(Refused(format!(
                "--set {set}: `{}` is searched, so the search would replace this value in \
                 every run; change the search instead (e.g. --set search.from=...)",
                plan.field
            )));
        }
        for column in &plan.columns {
            let swept = canonical(FieldPath::parse(column).expect("columns are field paths"));
            if path.starts_with(&swept) {
                let entry = plan
                    .base
                    .experiment
                    .sweep
                    .as_ref()
                    .and_then(|sweep| crate::sweep::plan::grid_entry_of(sweep, column))
                    .unwrap_or_else(|| "sweep.grid[0]".to_string());
                return Err(Refused(format!(
                    "--set {set}: `{column}` is swept, so the sweep would replace this value \
                     at every point; change the sweep instead (e.g. --set '{entry}.values=[...]')"
                )));
            }
        }
    }
    Ok(())
}
