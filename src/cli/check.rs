//! `guildsim check`: each experiment checked by the library (`check::check`), an `ok:` line
//! for each that passes, and every error of those that do not, together.

use super::args::CheckArgs;
use super::output::outln;
use guildsim::check::{self, Checked};
use guildsim::config::{ConfigErrors, LoadOptions};
use guildsim::error::Result;
use std::process::ExitCode;

pub fn check(args: CheckArgs) -> Result<ExitCode> {
    let mut errors = Vec::new();
    let options = LoadOptions {
        sets: args.sets,
        test_scale: false,
    };
    for path in &args.experiments {
        match check::check(path, &options) {
            Ok(Checked::Search {
                points,
                replications,
                max_runs,
            }) => outln!(
                "ok: {} (search: {points} point(s) x {replications} replications, at most {max_runs} runs)",
                path.display(),
            ),
            Ok(Checked::Sweep {
                points,
                replications,
                runs,
            }) => outln!(
                "ok: {} (sweep: {points} points x {replications} replications = {runs} runs)",
                path.display(),
            ),
            Ok(Checked::Run {
                nodes,
                guilds,
                sessions,
                memberships,
                warnings,
            }) => {
                outln!(
                    "ok: {} ({nodes} nodes, {guilds} guilds, {sessions} sessions, {memberships} memberships)",
                    path.display(),
                );
                for w in warnings {
                    outln!("  warning: {w}");
                }
            }
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(ConfigErrors(errors).into())
    }
}
