//! The estimate's time on this machine: the costs per delivery, per queued event and per entity
//! built (`super::estimate`) are this project's reference; a short fixed probe (a small run,
//! [`probe`]) timed by the binary gives this machine's factor against them ([`speed_of`]), which
//! scales an estimate's seconds ([`Estimate::on_this_machine`]). The binary keeps the factor in
//! a cache file per binary and machine, written once and never replaced ([`write_cache`]).
//!
//! Architecture invariant: the factor only changes what the terminal says a run will take; no
//! result file and no admission decision depends on it (the work limit counts events).

use super::Estimate;
#[cfg(test)]
use super::estimate;
use crate::config::yaml_source;
use crate::config::{Assembled, Loaded, finish};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The probe: 1 guild node and 4 session nodes of 4 schedulers, naive fan-out, 40 guilds of
/// 500 online members at 10 publishes a second for 4 s of virtual time: 0.8 million
/// closed-form deliveries and a few thousand queued events.
const PROBE: &str = "name: speed-probe
seed: 25
model:
  nodes:
    - {name: guild, count: 1, hosts: [guilds], schedulers: 4}
    - {name: session, count: 4, hosts: [sessions], schedulers: 4}
  network: {latency_us: 100, local_latency_us: 0}
  costs:
    send_local: {dist: uniform, min_us: 1, max_us: 3}
    send_remote: {dist: uniform, min_us: 1, max_us: 3}
  scheduling: {time_slice_us: 1000}
  fanout: {strategy: naive}
run:
  horizon_s: 4
workload:
  guilds:
    sizes: {fixed: {count: 40, members: 500}}
    online_fraction: 1.0
  users:
    guilds_per_user_mean: 1
  publishes:
    rate: {per_guild_per_s: 10}
output:
  sample_interval_ms: 100
";

/// The probe's wall time on the reference machine (the fastest of several runs, release
/// build), where the costs of [`super::estimate`] were fitted.
pub const PROBE_REFERENCE_S: f64 = PROBE_REFERENCE_MS / 1e3;
const PROBE_REFERENCE_MS: f64 = 12.0;

/// The probe's experiment.
pub fn probe() -> Loaded {
    let (doc, map) = yaml_source::parse_str(PROBE, "speed-probe.yaml").expect("the probe parses");
    finish(Assembled {
        doc,
        map,
        path: PathBuf::from("speed-probe.yaml"),
        name: "speed-probe".into(),
        input_bytes: PROBE.len() as u64,
    })
    .expect("the probe validates")
}

/// This machine's factor from the probe's measured wall time: measured over the reference
/// machine's, kept within 1/20 to 20 (a machine busy with something else for a moment is not
/// 100 times slower).
pub fn speed_of(measured_s: f64) -> f64 {
    (measured_s / PROBE_REFERENCE_S).clamp(0.05, 20.0)
}

/// The factor in a cache file, if it holds one (`speed <factor>`).
pub fn read_cache(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: f64 = text.strip_prefix("speed ")?.trim().parse().ok()?;
    (value.is_finite() && (0.05..=20.0).contains(&value)).then_some(value)
}

/// Writes the factor to a new cache file: never over an existing file (another process may
/// have written it meanwhile; a file guildsim cannot read is left alone, not replaced).
pub fn write_cache(path: &Path, speed: f64) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::files::atomic::write_new(path, format!("speed {speed}\n").as_bytes())
}

impl Estimate {
    /// The estimate with its seconds scaled by this machine's factor ([`speed_of`]).
    pub fn on_this_machine(&self, speed: f64) -> Estimate {
        Estimate {
            seconds: self.seconds * speed,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_is_small_and_does_both_kinds_of_work() {
        let e = estimate(&probe().experiment);
        assert!(e.deliveries > 1e5 && e.events > 1e3, "{e:?}");
        assert!(
            e.seconds < 0.1,
            "the probe stays well under a second: {e:?}"
        );
        assert_eq!(speed_of(PROBE_REFERENCE_S), 1.0);
        assert_eq!(speed_of(1e3), 20.0);
    }

    #[test]
    fn a_cache_file_is_read_back_and_never_replaced() {
        let dir = std::env::temp_dir().join(format!("guildsim-speed-{}", std::process::id()));
        let path = dir.join("speed-test.txt");
        write_cache(&path, 1.5).unwrap();
        assert_eq!(read_cache(&path), Some(1.5));
        assert!(write_cache(&path, 3.0).is_err(), "replaced");
        assert_eq!(read_cache(&path), Some(1.5));
        std::fs::write(dir.join("bad.txt"), "speed lots\n").unwrap();
        assert_eq!(read_cache(&dir.join("bad.txt")), None);
        crate::files::removal::remove_scratch(&dir);
    }
}
