//! `guildsim compare`: the library compares the folders and writes the CSV; this prints the
//! rows that differ (all with `--all`) and returns 1 when a row differs by more than
//! `--fail-above` percent.

use super::args::CompareArgs;
use super::output::{errln, outln, print_table_text};
use guildsim::compare;
use guildsim::error::{Refused, Result};
use std::process::ExitCode;

pub fn compare(args: CompareArgs) -> Result<ExitCode> {
    let CompareArgs {
        base,
        new,
        fail_above,
        metrics,
        csv,
        all,
        quiet,
    } = args;
    if let Some(p) = fail_above
        && !(p.is_finite() && p >= 0.0)
    {
        return Err(Refused(format!("--fail-above must be a percentage >= 0, got {p}")).into());
    }
    let csv = match csv {
        Some(file) => Some(compare::csv_target(&file, &base, &new)?),
        None => None,
    };
    let c = compare::compare(&base, &new, &metrics)?;
    if let Some(file) = &csv {
        c.write_csv(file)?;
    }
    let differing = c.above(None);
    let failing = fail_above.map(|p| c.above(Some(p))).unwrap_or_default();
    if !quiet {
        let shown: Vec<Vec<String>> = if all {
            c.rows.clone()
        } else {
            differing.iter().map(|&i| c.rows[i].clone()).collect()
        };
        let what = if c.kind == "run" {
            "metrics"
        } else {
            "point metrics"
        };
        if differing.is_empty() {
            outln!(
                "{} folders of `{}`: no differences in {} {what}",
                c.kind,
                c.experiment,
                c.rows.len()
            );
        } else {
            outln!(
                "{} folders of `{}`: {} of {} {what} differ{}",
                c.kind,
                c.experiment,
                differing.len(),
                c.rows.len(),
                if c.kind == "sweep" {
                    " beyond the 95 % level"
                } else {
                    ""
                }
            );
        }
        if !shown.is_empty() {
            print_table_text(&guildsim::table::text(&c.header, &shown));
        }
        if let Some(file) = &csv {
            print_table_text(&format!("table: {}\n", file.display()));
        }
    }
    if let Some(p) = fail_above
        && !failing.is_empty()
    {
        if quiet {
            let rows: Vec<Vec<String>> = failing.iter().map(|&i| c.rows[i].clone()).collect();
            print_table_text(&guildsim::table::text(&c.header, &rows));
        }
        errln!(
            "error: {} metric(s) differ by more than {p} % (exit code 1)",
            failing.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
