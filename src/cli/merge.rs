//! `guildsim merge`: the shards' folders resolved, merged by the library (`sweep::merge`), and
//! what it did printed, with the expectations' verdicts.

use super::args::MergeArgs;
use super::output::{outln, print_notes, print_verdicts};
use guildsim::error::Result;
use guildsim::files::paths;
use guildsim::sweep::merge;
use std::process::ExitCode;

pub fn merge(args: MergeArgs) -> Result<ExitCode> {
    let MergeArgs { dirs, out, quiet } = args;
    let dirs = dirs
        .iter()
        .map(|d| paths::existing_folder(d, "merge"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let out = match out {
        Some(out) => paths::resolve(&out, "--out")?.path(),
        None => dirs[0].clone(),
    };
    let report = merge::merge(&dirs, &out)?;
    print_notes(&report.notes);
    if !quiet {
        outln!(
            "merged {} runs ({} copied) into {}: {} files",
            report.runs,
            report.copied,
            out.display(),
            report.files.len()
        );
    }
    Ok(print_verdicts(report.verdicts.as_ref(), &out, quiet))
}
