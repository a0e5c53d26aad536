//! The YAML schema: serde types for models (`models/*.yaml`) and experiments
//! (`experiments/*.yaml`). These are boundary types only; `crate::config::validate` checks them
//! and `crate::world` builds its own compact structures from them.
//!
//! Every struct denies unknown fields. Field names end with their unit (`_us`, `_ms`, `_s`).
//! Optional fields have documented defaults that are written out in `resolved.yaml`, so a run
//! can be repeated from that file alone.
//!
//! One file per section: the experiment here, [`run`], [`workload`], [`output`], [`expect`];
//! the model in [`model`] with its parts [`network`], [`costs`], [`fanout`], [`presence`],
//! [`member_list`], [`monitors`], [`passive`] and [`gc`]. Every type is re-exported here, so a type's
//! path is `config::schema::<Type>` whichever file holds it.

mod costs;
mod everyone;
mod expect;
mod fanout;
mod gc;
mod member_list;
mod model;
mod monitors;
mod network;
mod output;
mod passive;
mod presence;
mod run;
mod workload;

pub(crate) use costs::*;
pub(crate) use everyone::*;
pub(crate) use expect::*;
pub(crate) use fanout::*;
pub(crate) use gc::*;
pub(crate) use member_list::*;
pub(crate) use model::*;
pub(crate) use monitors::*;
pub(crate) use network::*;
pub(crate) use output::*;
pub(crate) use passive::*;
pub(crate) use presence::*;
pub(crate) use run::*;
pub use workload::*;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An experiment after assembly: the model inlined, overrides applied.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// The experiment's name: the default output folder is `results/<name>/`, and
    /// `summary.json` and the charts carry it. Letters, digits, `_`, `-` and `.`, at most 100
    /// characters, not starting with `.` (default: the file name without its extension).
    /// `resolved.yaml` always writes it, so rerunning that file keeps the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One or two sentences: what this experiment shows.
    #[serde(default)]
    pub(crate) description: String,
    /// The model. In an experiment file this is a path to a model file (relative to the
    /// experiment file) or an inline mapping; after assembly it is always the mapping.
    pub(crate) model: ModelConfig,
    /// Master seed: every random stream is derived from it.
    pub seed: u64,
    pub run: RunConfig,
    pub workload: Workload,
    #[serde(default)]
    pub(crate) output: Output,
    /// Vary fields over a grid with replications (`crate::config::sweep`); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sweep: Option<super::sweep::Sweep>,
    /// Find the largest (or smallest) value of a field that keeps a metric within a limit
    /// (`crate::config::search`); optional, with a `sweep:` one search per grid point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) search: Option<super::search::Search>,
    /// Pass/fail gates: each metric (a dotted name of `summary.json`, e.g. `latency_ms.p99` or
    /// `windows.after.latency_ms.p99`) must lie within its bounds after the run (for a sweep,
    /// at every point); a failed one makes `guildsim run` exit with code 1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) expect: BTreeMap<String, Expectation>,
    /// Overrides (`field.path: value`) that shrink the experiment for the snapshot tests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub(crate) test_overrides: BTreeMap<String, yaml_serde::Value>,
}
