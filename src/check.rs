//! What `guildsim check` verifies, without building a world: the experiment at full scale and,
//! when it has `test_overrides`, at test scale; every field against its documented range; every
//! cross-field rule a run applies (network reachability, storm nodes and users, guild sizes
//! against users and id limits); for a sweep, all of that at every point, and its plots and
//! timelines; for a search, its section, both ends of its bracket at every point, and the
//! most runs it can make. Its time and memory do not grow with the counts it checks (guild sizes are
//! drawn one at a time and not kept; the network is searched on its datacenters and named
//! nodes), so any accepted value is cheap to check.

use crate::config::{self, ConfigErrors, LoadOptions};
use crate::runner;
use crate::search;
use crate::sweep;
use std::path::Path;

/// What one checked experiment will run.
#[derive(Clone, Debug)]
pub enum Checked {
    /// A single run and its entity counts.
    Run {
        nodes: u64,
        guilds: u64,
        sessions: u64,
        memberships: u64,
        /// Warnings that do not stop the run: storms too small at this scale to show their
        /// own dynamics (`estimate::storms`).
        warnings: Vec<String>,
    },
    /// A capacity search: one per point, each at most `max_runs / points` runs.
    Search {
        points: usize,
        replications: u32,
        max_runs: usize,
    },
    /// A sweep.
    Sweep {
        points: usize,
        replications: u32,
        runs: usize,
    },
}

/// Checks `path` with the `--set` overrides of `options` as a run would load it, and at test
/// scale too when the experiment has `test_overrides` (and `options` is not test scale already).
pub fn check(path: &Path, options: &LoadOptions) -> Result<Checked, ConfigErrors> {
    let checked = check_once(path, options)?;
    if !options.test_scale {
        let test = LoadOptions {
            test_scale: true,
            ..options.clone()
        };
        let assembled = config::assemble(path, &test)?;
        if assembled.has_test_overrides() {
            check_once(path, &test)?;
        }
    }
    Ok(checked)
}

fn check_once(path: &Path, options: &LoadOptions) -> Result<Checked, ConfigErrors> {
    let assembled = config::assemble(path, options)?;
    if let Some(plan) = search::plan(&assembled)? {
        search::plan::check_sets(&plan, &options.sets).map_err(|r| {
            ConfigErrors(vec![config::yaml_source::ConfigError {
                location: None,
                path: None,
                message: r.0,
            }])
        })?;
        return Ok(Checked::Search {
            points: plan.points.len(),
            replications: plan.search.replications,
            max_runs: plan.max_runs(),
        });
    }
    if let Some(plan) = sweep::plan(&assembled)? {
        sweep::plan::check_sets(&plan, &options.sets).map_err(|r| {
            ConfigErrors(vec![config::yaml_source::ConfigError {
                location: None,
                path: None,
                message: r.0,
            }])
        })?;
        return Ok(Checked::Sweep {
            points: plan.points.len(),
            replications: plan.sweep.replications,
            runs: plan.runs.len(),
        });
    }
    let loaded = config::finish(assembled)?;
    let counts = runner::precheck(&loaded)?;
    Ok(Checked::Run {
        nodes: counts.nodes,
        guilds: counts.guilds,
        sessions: counts.sessions,
        memberships: counts.memberships,
        warnings: crate::estimate::storms::bounded_storms(&loaded.experiment),
    })
}
