//! How a measured configuration becomes a guildsim run: the experiment given on the command
//! line (its model, costs and scheduling; the fitted parameters at the values being tried) with
//! the fields the testbed's configuration determines set from the measurement's row.
//!
//! The experiment must describe the testbed's one VM: a model with one node group of one node
//! that hosts both guilds and sessions. Each row sets `model.nodes[0].schedulers`,
//! `model.fanout.strategy`, one guild of `members` members all online with one session each
//! (`workload.guilds`, `workload.users`), Poisson publishes at `rate_per_s` from 0 to
//! `duration_s` and presence changes at `presence_per_session_per_s`, no phases, bursts or
//! storms, and with `payload_bytes` the sizes of events and presence updates. The run lasts
//! until its last delivery (its horizon is `4 x duration_s + 60` s, in 1000 time bins). Its
//! `sweep`, `search`, `expect`, `test_overrides`, windows and trace are dropped and it draws
//! no plots.
//!
//! A value a row sets is located at the row's line in its measurement file, so a configuration
//! guildsim refuses (say, more members than it allows) is reported where it was written.

use super::measurements::{Measurements, Row};
use crate::config::schema::Role;
use crate::config::yaml_source::{self, FieldPath, Location, SourceMap};
use crate::config::{self, Assembled, ConfigErrors, LoadOptions, Loaded};
use crate::identity;
use crate::sweep::plan::{RunSource, RunSpec, SetValue, check_run};
use std::path::Path;
use std::sync::Arc;
use yaml_serde::{Mapping, Number, Value};

/// Parts of the experiment that are not part of a calibration's runs.
const DROPPED: [&str; 5] = ["sweep", "search", "expect", "test_overrides", "description"];

/// The experiment every run starts from.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    doc: Arc<Value>,
    map: Arc<SourceMap>,
    /// The runs' experiment with every default written out, for the fitted parameters' starts.
    resolved: Value,
    pub(crate) loaded: Loaded,
    /// `resolved.yaml` of the experiment as given (with its sweep, if any).
    pub(crate) resolved_yaml: Vec<u8>,
    pub(crate) name: String,
}

/// Loads the experiment with the `--set` overrides and checks that it describes one VM.
pub(crate) fn base(experiment: &Path, sets: &[String]) -> Result<Base, ConfigErrors> {
    let options = LoadOptions {
        sets: sets.to_vec(),
        test_scale: false,
    };
    let assembled = config::assemble(experiment, &options)?;
    let as_given = config::finish(assembled.clone())?;
    let resolved_yaml = identity::resolved_yaml(&as_given.name, &as_given.experiment)
        .expect("an experiment serialises");
    let Assembled {
        mut doc,
        mut map,
        path,
        name,
        input_bytes,
    } = assembled;
    if let Some(m) = doc.as_mapping_mut() {
        for key in DROPPED {
            m.remove(key);
        }
    }
    let here = Location {
        origin: Arc::from("guildsim calibrate"),
        line: 0,
        column: 0,
    };
    for (field, value) in [
        ("output.plots", Value::Sequence(Vec::new())),
        ("output.trace", Value::Null),
        ("output.windows", Value::Sequence(Vec::new())),
    ] {
        let path = FieldPath::parse(field).expect("a field path");
        yaml_source::set_at(
            &mut doc,
            &mut map,
            &path,
            value,
            SourceMap::default(),
            &here,
        )?;
    }
    let loaded = config::finish(Assembled {
        doc: doc.clone(),
        map: map.clone(),
        path,
        name: name.clone(),
        input_bytes,
    })?;
    let nodes = &loaded.experiment.model.nodes;
    let one_vm = nodes.len() == 1
        && nodes[0].count == 1
        && nodes[0].hosts.contains(&Role::Guilds)
        && nodes[0].hosts.contains(&Role::Sessions);
    if !one_vm {
        return Err(loaded
            .error_at(
                "model.nodes",
                "calibrate mirrors the testbed's one Erlang VM: the model must have exactly one \
                 node group, of count 1, hosting both guilds and sessions (as \
                 experiments/testbed-naive.yaml)",
            )
            .into());
    }
    let resolved = yaml_serde::from_slice(
        &identity::resolved_yaml(&loaded.name, &loaded.experiment)
            .expect("an experiment serialises"),
    )
    .expect("resolved.yaml parses");
    Ok(Base {
        doc: Arc::new(doc),
        map: Arc::new(map),
        resolved,
        loaded,
        resolved_yaml,
        name,
    })
}

/// A fitted parameter set at a value: the field and the `--fit` argument that named it.
#[derive(Clone, Debug)]
pub(crate) struct Setting {
    pub(crate) field: FieldPath,
    pub(crate) origin: Arc<str>,
    pub(crate) value: f64,
}

impl Base {
    /// `field` with items named by their `name:` (`model.nodes[testbed]`) turned into indices.
    pub(crate) fn canonical(&self, field: &FieldPath) -> Result<FieldPath, String> {
        yaml_source::resolve_names(&self.resolved, field)
    }

    /// The number at `field` (canonical) in the experiment with its defaults, if there is one.
    pub(crate) fn number_at(&self, field: &FieldPath) -> Option<f64> {
        yaml_source::value_at(&self.resolved, field)?.as_f64()
    }

    /// The run of `row` (row `index` of the measurements) with the parameters at `settings`,
    /// in folder `dir` (relative to the output folder), as run `run_index` of the calibration.
    /// It is replication 0 of its configuration, so its seed is the experiment's seed's
    /// replication 0, as in a sweep.
    pub(crate) fn run(
        &self,
        measurements: &Measurements,
        index: usize,
        settings: &[Setting],
        dir: String,
        run_index: usize,
    ) -> Result<RunSpec, ConfigErrors> {
        let row = &measurements.rows[index];
        let file = measurements.files[row.file].path.display().to_string();
        let at = Location {
            origin: Arc::from(file.as_str()),
            line: row.line,
            column: 1,
        };
        let mut values: Vec<SetValue> = row_fields(row)
            .into_iter()
            .map(|(field, value)| SetValue {
                field: FieldPath::parse(field).expect("a field path"),
                value,
                map: SourceMap::rooted_at(at.clone()),
                at: at.clone(),
            })
            .collect();
        values.extend(settings.iter().map(|s| {
            let here = Location {
                origin: Arc::clone(&s.origin),
                line: 1,
                column: 1,
            };
            SetValue {
                field: s.field.clone(),
                value: number(s.value),
                map: SourceMap::rooted_at(here.clone()),
                at: here,
            }
        }));
        let source = Arc::new(RunSource {
            doc: Arc::clone(&self.doc),
            map: Arc::clone(&self.map),
            values,
            path: self.loaded.path.clone(),
            name: self.name.clone(),
            described_as: format!(
                "the calibration run of {file}:{} ({})",
                row.line,
                describe(row)
            ),
            point: None,
        });
        let (doc, map) = source.document()?;
        let exp = check_run(&doc, &map)?;
        let loaded = source.replication(&exp, map, 0);
        Ok(RunSpec {
            index: run_index,
            point: index,
            replication: 0,
            dir,
            key: identity::run_key(&loaded.name, &loaded.experiment),
            seed: loaded.experiment.seed,
            horizon_s: loaded.experiment.run.horizon_s,
            source,
        })
    }
}

/// `naive, 1 scheduler(s), 1000 members, 500/s`, for descriptions and tables.
pub(crate) fn describe(row: &Row) -> String {
    let c = &row.config;
    let mut text = format!(
        "{}, {} scheduler(s), {} members, {}/s for {} s",
        c.mode.name(),
        c.schedulers,
        c.members,
        c.rate_per_s,
        c.duration_s
    );
    if c.presence_per_session_per_s > 0.0 {
        text.push_str(&format!(
            ", presence {}/s per session",
            c.presence_per_session_per_s
        ));
    }
    text
}

/// The fields a row sets, in the order they are set.
fn row_fields(row: &Row) -> Vec<(&'static str, Value)> {
    let c = &row.config;
    let mapping = |pairs: Vec<(&str, Value)>| {
        let mut m = Mapping::new();
        for (k, v) in pairs {
            m.insert(Value::String(k.into()), v);
        }
        Value::Mapping(m)
    };
    let int = |v: u64| Value::Number(Number::from(v));
    let horizon_s = 4.0 * c.duration_s + 60.0;
    let mut fields = vec![
        ("model.nodes[0].schedulers", int(c.schedulers as u64)),
        ("model.fanout.strategy", Value::String(c.mode.name().into())),
        (
            "workload.guilds.sizes",
            mapping(vec![(
                "fixed",
                mapping(vec![("count", int(1)), ("members", int(c.members as u64))]),
            )]),
        ),
        ("workload.guilds.online_fraction", number(1.0)),
        (
            "workload.users",
            mapping(vec![("guilds_per_user_mean", number(1.0))]),
        ),
        (
            "workload.publishes.rate",
            mapping(vec![("per_guild_per_s", number(c.rate_per_s))]),
        ),
        ("workload.publishes.start_s", number(0.0)),
        ("workload.publishes.end_s", number(c.duration_s)),
        (
            "workload.publishes.presence_changes_per_session_per_s",
            number(c.presence_per_session_per_s),
        ),
        ("workload.publishes.phases", Value::Sequence(Vec::new())),
        ("workload.bursts", Value::Sequence(Vec::new())),
        ("workload.storms", Value::Sequence(Vec::new())),
        ("run.horizon_s", number(horizon_s)),
        // 1000 time bins (calibrate reads only the summary).
        ("output.sample_interval_ms", number(horizon_s)),
    ];
    if let Some(bytes) = c.payload_bytes {
        fields.push(("model.messages.event_bytes", int(bytes)));
        fields.push(("model.messages.presence_bytes", int(bytes)));
    }
    fields
}

fn number(v: f64) -> Value {
    Value::Number(Number::from(v))
}
