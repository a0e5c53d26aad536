//! Whether a storm can show its own dynamics at the scale it is run at. A restart or login
//! storm's sessions reconnect over their configured window; each reconnection calls the
//! registry of every guild it joins. When the registries' share of that work is small against
//! the window, nothing queues for long and the storm lasts its configured down time plus
//! jitter, whatever the design: `guildsim check` says so, because such a run (test scale, a
//! tenth of full scale) cannot answer a question about the storm. At full scale the 2017
//! cluster's restart (`experiments/discord-2017-full.yaml`) puts 2.5 million registry calls of
//! 20 µs on 10 registries, 5 s of work each in a 10 s window, and with the Semaphore's
//! refusals and retries the storm outlasts its window by tens of seconds; at a tenth of that
//! scale it is 0.5 s each, and the storm ends with its window (measured at test scale: 0.0016 s
//! beyond it).

use super::{mean_us, workload};
use crate::config::schema::{Experiment, Role, Storm};

/// Registry work per registry below this fraction of a storm's window bounds the storm by its
/// configuration (queues stay short; the window, not the work, sets its length). A lower
/// bound on the storm's work (other costs add to it), hence a margin: a fifth.
const BOUNDED_BELOW: f64 = 0.2;

/// One note per storm whose registry work fits well within its window.
pub(crate) fn bounded_storms(exp: &Experiment) -> Vec<String> {
    let classes = workload::classes(
        &exp.workload.guilds.sizes,
        exp.workload.guilds.online_fraction,
    );
    let memberships: f64 = classes.iter().map(|c| c.n * c.online).sum();
    let sessions = exp.workload.users.resolve(memberships) as f64;
    if sessions <= 0.0 {
        return Vec::new();
    }
    let guilds_per_session = memberships / sessions;
    let node_count = |role: Role| -> f64 {
        exp.model
            .nodes
            .iter()
            .filter(|g| g.hosts.contains(&role))
            .map(|g| g.count as f64)
            .sum()
    };
    let registries = node_count(Role::Guilds).max(1.0);
    let session_nodes = node_count(Role::Sessions).max(1.0);
    let call_s = mean_us(&exp.model.registry.call_cost) / 1e6;
    exp.workload
        .storms
        .iter()
        .enumerate()
        .filter_map(|(i, storm)| {
            let (what, reconnecting, window, configured) = match storm {
                Storm::NodeRestart {
                    node,
                    down_s,
                    reconnect_jitter_s,
                    ..
                } => (
                    format!("the restart of {node}"),
                    sessions / session_nodes,
                    *reconnect_jitter_s,
                    down_s + reconnect_jitter_s,
                ),
                Storm::Login {
                    users, window_s, ..
                } => (
                    "the login storm".to_string(),
                    (*users as f64).min(sessions),
                    *window_s,
                    *window_s,
                ),
            };
            let work = reconnecting * guilds_per_session * call_s / registries;
            (window > 0.0 && work < BOUNDED_BELOW * window).then(|| {
                format!(
                    "workload.storms[{i}] ({what}): its {:.0} reconnecting sessions put {:.3} s of \
                     work on each of {:.0} registries, well within its {} s window, so at this \
                     scale it will last about its configured {} s and cannot show a storm's own \
                     dynamics (registry queues, Semaphore refusals, a drain beyond the window); \
                     `summary.json`'s storms.beyond_configured_s measures it after a run. Run \
                     nearer full scale for those",
                    reconnecting, work, registries, window, configured
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::{LoadOptions, load_experiment};
    use std::path::Path;

    fn notes(test_scale: bool, sets: &[&str]) -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/discord-2017-full.yaml");
        let options = LoadOptions {
            sets: sets.iter().map(|s| s.to_string()).collect(),
            test_scale,
        };
        let loaded = load_experiment(&path, &options).unwrap();
        super::bounded_storms(&loaded.experiment)
    }

    #[test]
    fn the_full_experiment_s_storm_is_bounded_by_its_window_at_test_and_tenth_scale_only() {
        assert!(notes(false, &[]).is_empty(), "{:?}", notes(false, &[]));
        let test = notes(true, &[]);
        assert_eq!(test.len(), 1, "{test:?}");
        assert!(test[0].contains("workload.storms[0]"), "{}", test[0]);
        let tenth = notes(
            false,
            &[
                "workload.guilds.sizes={zipf: {count: 31500, min: 10, max: 30000, exponent: 2.0}}",
                "workload.users.count=500000",
            ],
        );
        assert_eq!(tenth.len(), 1, "{tenth:?}");
    }
}
