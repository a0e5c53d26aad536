//! Semantic checks of an assembled experiment: values that deserialise but are outside their
//! documented range (`super::limits`) or make no sense together (min > max, a burst to a guild
//! that does not exist, ...). Every problem is reported, each located through the source map.
//!
//! `model.rs` checks the model (nodes, network, costs, services, memory), `workload.rs` the
//! run, workload and output sections (`phases.rs` phases, bursts, shapes and selectors,
//! `windows.rs` named windows, `expect.rs` expectations); this file holds the checker they
//! share and [`validate`], which runs them all.
//!
//! The sections that make many runs out of one experiment are checked here too, by the plans
//! that need their results: [`sweep`] checks and expands a sweep's grid, [`figures`] checks
//! its declared plots and timelines against the grid's points, and [`search`] checks a
//! search's section and its plot. Two checks stay outside `config` because they need more
//! than the experiment: the build's precheck (`crate::world::build::precheck`: node names,
//! network reachability, guild sizes against users, through the world's own layout and size
//! draws) and a search's bound on its runs (the bisection's step bound,
//! `crate::search::bisect`).

mod expect;
mod fanout;
pub(crate) mod figures;
mod model;
mod phases;
pub(crate) mod search;
pub(crate) mod sweep;
pub(crate) mod windows;
mod workload;

use super::ConfigErrors;
use super::limits::fmt_num;
use super::schema::{DistConfig, Experiment};
use super::yaml_source::{self, ConfigError, FieldPath, SourceMap};

pub(super) struct Checker<'a> {
    map: &'a SourceMap,
    errors: Vec<ConfigError>,
}

/// The unit a field's name ends with, for messages: `latency_us` -> " µs".
fn unit(path: &FieldPath) -> &'static str {
    let key = path.last_key().unwrap_or_default();
    [
        ("_per_s", " per second"),
        ("_us", " µs"),
        ("_ms", " ms"),
        ("_s", " s"),
        ("_bytes", " bytes"),
        ("_mbps", " Mbit/s"),
    ]
    .iter()
    .find(|(suffix, _)| key.ends_with(suffix))
    .map_or("", |(_, u)| u)
}

/// One nanosecond, the clock's resolution, in the unit of a time field (`None` for others).
fn resolution(path: &FieldPath) -> Option<f64> {
    let key = path.last_key().unwrap_or_default();
    if key.ends_with("_per_s") {
        None
    } else if key.ends_with("_us") || key == "us" {
        Some(1e-3)
    } else if key.ends_with("_ms") {
        Some(1e-6)
    } else if key.ends_with("_s") {
        Some(1e-9)
    } else {
        None
    }
}

impl Checker<'_> {
    /// A time below the clock's resolution (a positive number of nanoseconds under 1) would
    /// round to 0 and silently mean "at once": refused, with the smallest value that counts.
    fn resolved(&mut self, value: f64, path: &FieldPath, zero_allowed: bool) -> bool {
        let Some(tick) = resolution(path) else {
            return true;
        };
        let ok = !(value > 0.0 && value < tick * 0.5);
        self.check(ok, path, || {
            format!(
                "{} is below the clock's resolution of 1 ns ({}{}): write {}at least {}",
                fmt_num(value),
                fmt_num(tick),
                unit(path),
                if zero_allowed { "0, or " } else { "" },
                fmt_num(tick)
            )
        });
        ok
    }

    pub(super) fn fail(&mut self, path: &FieldPath, message: String) {
        self.errors
            .push(yaml_source::error_at(self.map, path, message));
    }

    pub(super) fn check(&mut self, ok: bool, path: &FieldPath, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(path, message());
        }
    }

    /// A number in `[min, max]`.
    pub(super) fn range(&mut self, value: f64, min: f64, max: f64, path: &FieldPath) {
        let ok = value.is_finite() && (min..=max).contains(&value);
        if ok && !self.resolved(value, path, min <= 0.0) {
            return;
        }
        self.check(ok, path, || {
            format!(
                "must be a number from {} to {}{}, got {}",
                fmt_num(min),
                fmt_num(max),
                unit(path),
                fmt_num(value)
            )
        });
    }

    /// A number in `(min, max]`.
    pub(super) fn above(&mut self, value: f64, min: f64, max: f64, path: &FieldPath) {
        let ok = value.is_finite() && value > min && value <= max;
        if ok && !self.resolved(value, path, false) {
            return;
        }
        self.check(ok, path, || {
            format!(
                "must be a number above {} and at most {}{}, got {}",
                fmt_num(min),
                fmt_num(max),
                unit(path),
                fmt_num(value)
            )
        });
    }

    /// An integer in `[min, max]`.
    pub(super) fn count(&mut self, value: u64, min: u64, max: u64, path: &FieldPath) {
        self.check((min..=max).contains(&value), path, || {
            format!(
                "must be an integer from {min} to {max}{}, got {value}",
                unit(path)
            )
        });
    }

    /// A distribution of durations in µs: parameters up to [`MAX_DURATION_US`], a log-normal's
    /// shape up to [`MAX_SIGMA`].
    pub(super) fn dist(&mut self, d: &DistConfig, path: &FieldPath) {
        use super::limits::{MAX_DURATION_US, MAX_SIGMA};
        match *d {
            DistConfig::Constant { us } => self.range(us, 0.0, MAX_DURATION_US, &path.key("us")),
            DistConfig::Uniform { min_us, max_us } => {
                self.range(min_us, 0.0, MAX_DURATION_US, &path.key("min_us"));
                self.range(max_us, 0.0, MAX_DURATION_US, &path.key("max_us"));
                self.check(min_us <= max_us, &path.key("max_us"), || {
                    format!(
                        "must be >= min_us ({}), got {}",
                        fmt_num(min_us),
                        fmt_num(max_us)
                    )
                });
            }
            DistConfig::Exponential { mean_us } => {
                self.above(mean_us, 0.0, MAX_DURATION_US, &path.key("mean_us"))
            }
            DistConfig::Lognormal { median_us, sigma } => {
                self.above(median_us, 0.0, MAX_DURATION_US, &path.key("median_us"));
                self.range(sigma, 0.0, MAX_SIGMA, &path.key("sigma"));
            }
        }
    }
}

pub(crate) fn validate(exp: &Experiment, map: &SourceMap) -> Result<(), ConfigErrors> {
    let mut c = Checker {
        map,
        errors: Vec::new(),
    };
    if let Some(name) = &exp.name {
        let ok = !name.is_empty()
            && name.chars().count() <= 100
            && !name.starts_with('.')
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "_-.".contains(ch));
        c.check(ok, &FieldPath::root().key("name"), || {
            format!(
                "must be 1 to 100 letters, digits, `_`, `-` or `.`, not starting with `.` \
                 (it names the output folder), got `{name}`"
            )
        });
    }
    let min_restart_s = model::check(&mut c, exp);
    workload::check(&mut c, exp, min_restart_s);
    windows::check(&mut c, exp);
    expect::check(&mut c, exp);
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(c.errors))
    }
}

/// The optional blocks of `summary.json` a run of `exp` reports.
pub(crate) fn blocks(exp: &crate::config::schema::Experiment) -> crate::metrics::flat::Blocks {
    let costs = &exp.model.costs;
    crate::metrics::flat::Blocks {
        gc: exp.model.gc.is_some(),
        users: exp.model.passive.users.is_some(),
        client_bytes: costs.serialise_ns_per_byte + costs.compress_ns_per_byte > 0.0,
    }
}
