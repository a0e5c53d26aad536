//! `guildsim calibrate`: the command's arguments, and the calibration end to end: read the
//! measurements and the experiment, claim the output folder, minimise the error over the
//! fitted rows, predict the held-out rows with the fitted values, write every file, print
//! what was fitted and how well the held-out rows are predicted.

use super::calibration::Calibration;
use super::evaluate::{Evaluation, Evaluator};
use super::measurements::{self, MeasurementError, MeasurementErrors};
use super::metrics::{self, DEFAULT_FIT, MetricId};
use super::mirror::{self, Base};
use super::output::{self, Identity};
use super::params::{self, Param};
use super::select::{self, Role};
use super::{optimise, plots, report, tables};
use crate::config::ConfigErrors;
use crate::estimate::{self, Limits, parse_bytes};
use crate::metrics::summary::round6;
use crate::sweep::exec::{self, Silent};
use crate::sweep::plan::RunSpec;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Fit model parameters to measurements of a real system (the BEAM testbed's CSV files, or
/// your own in that format) and predict the configurations held out.
///
/// Every measured configuration becomes a run of EXPERIMENT (which must model one node holding
/// the guild and its sessions, as experiments/testbed-naive.yaml does) with its size, rate,
/// schedulers and fan-out set from the measurement. Nelder-Mead (argmin) moves the --fit
/// parameters to minimise the root mean square of ln(predicted / measured) over the fitted
/// rows and statistics; the other rows are then predicted with the fitted values. Writes
/// calibration.json, fitted.yaml, steps.csv, runs.csv, fit.csv, held-out.csv, plots and
/// report.html, and every run under runs/ (reused when the same command runs again).
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The guildsim experiment that mirrors the measured system (experiments/testbed-naive.yaml).
    pub(crate) experiment: PathBuf,
    /// Measurement files in the testbed's CSV format (testbed/README.md), or folders of them
    /// (every *.csv file directly inside, in name order).
    #[arg(required = true)]
    pub(crate) measurements: Vec<PathBuf>,
    /// A parameter to fit: a number of the experiment, by field path, optionally with bounds:
    /// `--fit model.costs.send_local.us` or `--fit model.costs.session_receive.us=0.01..100`
    /// [default bounds: a thousandth to a thousand times its value in the experiment]
    /// (repeatable, at most 8).
    #[arg(long = "fit", value_name = "FIELD[=MIN..MAX]", required = true)]
    pub(crate) fit: Vec<String>,
    /// Which rows to fit on: `lowest-rate` (the lowest rate of each mode, scheduler count and
    /// size), `all`, or filters on configuration columns, `members<=1000`,
    /// `target_utilisation=0.1`, `mode=naive` (repeatable, all must hold). The other rows are
    /// held out and predicted [default: lowest-rate].
    #[arg(long = "fit-on", value_name = "RULE")]
    pub(crate) fit_on: Vec<String>,
    /// A measured statistic the error compares, e.g. latency_us_p99 (repeatable)
    /// [default: latency_us_mean, latency_us_p99, fanout_us_mean].
    #[arg(long = "metric", value_name = "COLUMN")]
    pub(crate) metrics: Vec<String>,
    /// Override a field of the experiment before calibrating, as `run --set` does (repeatable);
    /// a fitted parameter starts at the value set.
    #[arg(long = "set", value_name = "FIELD.PATH=VALUE")]
    pub(crate) sets: Vec<String>,
    /// Folder for the results [default: results/calibrate-<experiment name>].
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Runs to execute at once, each single-threaded [default: all cores]. The result files
    /// are the same for any value.
    #[arg(long, short, value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Nelder-Mead iterations at most (each evaluates the fitted rows once or twice, a
    /// shrink once per parameter).
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub(crate) max_iterations: u64,
    /// Run fewer runs at once, or refuse a run, whose estimated memory exceeds SIZE (e.g. 4G)
    /// [default: the available memory].
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes)]
    pub max_memory: Option<u64>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// `println!` that ignores a closed standard output.
fn say(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Runs `guildsim calibrate`; its runs are admitted against `limits` (from `--max-memory`, or
/// the memory the caller found available). Errors: bad arguments, measurements or experiment,
/// a refused output folder, a failed run (exit code 2 in `main`).
pub fn command(args: Args, limits: &Limits) -> crate::error::Result<ExitCode> {
    Ok(calibrate(args, limits)?)
}

fn calibrate(args: Args, limits: &Limits) -> Result<ExitCode> {
    if args.max_iterations > 10_000 {
        anyhow::bail!(
            "--max-iterations must be at most 10000, got {}",
            args.max_iterations
        );
    }
    let fit_metrics = fit_metrics(&args.metrics)?;
    let fit_on = select::parse(&args.fit_on)?;
    let base = mirror::base(&args.experiment, &args.sets)?;
    let measurements = measurements::read(&args.measurements)?;
    let params = params::parse(&args.fit, &base)?;
    let roles = select::roles(&fit_on, &measurements);
    let fit_rows: Vec<usize> = (0..roles.len())
        .filter(|&i| roles[i] == Role::Fit)
        .collect();
    if fit_rows.is_empty() {
        anyhow::bail!(
            "no row to fit on: --fit-on {} selects none of the {} drained rows",
            fit_on.text(),
            roles.iter().filter(|r| **r != Role::Excluded).count()
        );
    }
    check_fit_values(&measurements, &fit_rows, &fit_metrics)?;
    check_runs(&base, &measurements, &roles, &params)?;

    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("calibrate-{}", base.name)));
    let command = command_text(&args);
    let identity = Identity {
        name: format!("calibrate {}", base.name),
        resolved_yaml: base.resolved_yaml.clone(),
        rows: measurements.rows.len(),
    };
    let lock = output::start(&out, &identity)?;
    print_notes(&lock.notes);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let execute = |runs: &[&RunSpec]| -> Result<()> {
        let admitted = exec::admit(runs, jobs, limits)?;
        exec::run_all(runs, &out, admitted.jobs, &Silent)
    };
    let quiet = args.quiet;
    let told = |i: usize, e: &Evaluation| {
        if quiet {
            return;
        }
        if let Some(why) = &e.refused {
            say(&format!(
                "  evaluation {i}: {}: refused by guildsim (infinite error): {why}",
                params::text(&params, &e.values).replace(';', " ")
            ));
        } else {
            say(&format!(
                "  evaluation {i}: {}: error {} ({} runs, {} complete already)",
                params::text(&params, &e.values).replace(';', " "),
                round6(e.error),
                e.runs + e.reused,
                e.reused
            ));
        }
    };
    if !quiet {
        say(&format!(
            "calibrate {}: {} parameter(s) on {} fitted row(s) of {} ({}); {} held out, {} \
             excluded (not drained); up to {} iterations on {jobs} job(s)",
            base.name,
            params.len(),
            fit_rows.len(),
            measurements.rows.len(),
            fit_on.text(),
            roles.iter().filter(|r| **r == Role::HeldOut).count(),
            roles.iter().filter(|r| **r == Role::Excluded).count(),
            args.max_iterations
        ));
    }
    let evaluator = Evaluator::new(
        &base,
        &measurements,
        &params,
        &fit_rows,
        &fit_metrics,
        &out,
        &execute,
        &told,
    );
    let outcome = optimise::minimise(&evaluator, params.len(), args.max_iterations)?;
    let best = evaluator
        .best()
        .context("the optimiser evaluated nothing")?;
    let predicted_rows: Vec<usize> = (0..roles.len())
        .filter(|&i| roles[i] != Role::Excluded)
        .collect();
    let (all, _, _) = evaluator.predict(&predicted_rows, &best.values)?;
    let mut predictions = vec![None; roles.len()];
    for (&row, p) in predicted_rows.iter().zip(all) {
        predictions[row] = Some(p);
    }
    let calibration = Calibration {
        base: &base,
        measurements: &measurements,
        params: &params,
        fit_on: &fit_on,
        roles: &roles,
        fit_metrics: &fit_metrics,
        evaluations: evaluator.evaluations(),
        best,
        outcome,
        predictions,
        runs: evaluator.runs(),
        command,
    };
    let mut files = tables::files(&calibration)?;
    let plots = plots::draw(&calibration)?;
    let fitted = files
        .iter()
        .find(|(n, _)| n == tables::FITTED_YAML)
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let page = report::page(&calibration, &files, &plots, &fitted)?;
    files.extend(plots.into_iter().map(|(n, svg)| (n, svg.into_bytes())));
    files.push((report::REPORT.to_string(), page.into_bytes()));
    let runs = calibration.runs.clone();
    let made: BTreeSet<&str> = runs.iter().map(|r| r.dir.as_str()).collect();
    let (written, notes) = output::finish(&out, &identity, &files, &made)?;
    print_notes(&notes);
    if !quiet {
        print_result(&calibration, &out, written.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// The fitted metrics named by `--metric`, or the default ones.
fn fit_metrics(names: &[String]) -> Result<Vec<MetricId>> {
    let names: Vec<&str> = if names.is_empty() {
        DEFAULT_FIT.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    let mut ids = Vec::new();
    for name in names {
        let id = metrics::by_column(name).map_err(|e| anyhow::anyhow!("--metric {name}: {e}"))?;
        if ids.contains(&id) {
            anyhow::bail!("--metric {name}: named twice");
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Every fitted row must have a value of every fitted statistic.
fn check_fit_values(
    m: &measurements::Measurements,
    fit_rows: &[usize],
    fit_metrics: &[MetricId],
) -> Result<()> {
    let mut errors = Vec::new();
    for &i in fit_rows {
        let row = &m.rows[i];
        for &id in fit_metrics {
            if row.value(id).is_none() {
                errors.push(MeasurementError {
                    file: m.files[row.file].path.display().to_string(),
                    line: row.line,
                    column: row.value_columns[id.0].max(1),
                    field: Some(id.get().column.to_string()),
                    message: "no value, but this row is fitted on this statistic: measure it, \
                              fit on other rows (--fit-on) or on other statistics (--metric)"
                        .into(),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(MeasurementErrors(errors).into())
    }
}

/// Every row that will be run must make a valid experiment (at the parameters' starts) of a
/// size guildsim runs without `run.event_budget`, so that a configuration guildsim refuses
/// fails, located at its row, before anything runs.
fn check_runs(
    base: &Base,
    m: &measurements::Measurements,
    roles: &[Role],
    params: &[Param],
) -> Result<()> {
    let starts: Vec<f64> = params.iter().map(|p| p.start).collect();
    let settings = params::settings(params, &starts);
    let mut errors = Vec::new();
    let mut too_large = Vec::new();
    for (i, role) in roles.iter().enumerate() {
        if *role == Role::Excluded {
            continue;
        }
        match base
            .run(m, i, &settings, String::new(), i)
            .and_then(|r| r.load())
        {
            Ok(loaded) => {
                let e = estimate::estimate(&loaded.experiment);
                if e.work() > estimate::MAX_WORK {
                    let row = &m.rows[i];
                    too_large.push(MeasurementError {
                        file: m.files[row.file].path.display().to_string(),
                        line: row.line,
                        column: 1,
                        field: None,
                        message: format!(
                            "guildsim would handle about {:.1e} events and deliveries to run \
                             this configuration (about {} of wall time per evaluation), more \
                             than {:.0e}: calibrate on shorter or smaller measurements",
                            e.work(),
                            estimate::fmt_duration(e.seconds),
                            estimate::MAX_WORK
                        ),
                    });
                }
            }
            Err(e) => errors.extend(e.0),
        }
    }
    let mut seen = Vec::new();
    errors.retain(|e| {
        let text = e.to_string();
        let new = !seen.contains(&text);
        seen.push(text);
        new
    });
    if !errors.is_empty() {
        Err(ConfigErrors(errors).into())
    } else if !too_large.is_empty() {
        Err(MeasurementErrors(too_large).into())
    } else {
        Ok(())
    }
}

/// The command that repeats this calibration (the arguments that change its results).
fn command_text(args: &Args) -> String {
    let quote = |s: String| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/=:+,".contains(c))
        {
            s
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let mut parts = vec![
        "guildsim".to_string(),
        "calibrate".into(),
        quote(args.experiment.display().to_string()),
    ];
    parts.extend(
        args.measurements
            .iter()
            .map(|p| quote(p.display().to_string())),
    );
    for (flag, values) in [
        ("--set", &args.sets),
        ("--fit", &args.fit),
        ("--fit-on", &args.fit_on),
        ("--metric", &args.metrics),
    ] {
        for v in values {
            parts.push(flag.into());
            parts.push(quote(v.clone()));
        }
    }
    parts.push(format!("--max-iterations {}", args.max_iterations));
    parts.join(" ")
}

/// Notes on what guildsim found and left alone, on standard error.
fn print_notes(notes: &[String]) {
    for n in notes {
        let _ = writeln!(std::io::stderr(), "note: {n}");
    }
}

/// The fitted values, the errors per statistic and where the files are.
fn print_result(c: &Calibration, out: &Path, files: usize) {
    say(&format!(
        "fitted in {} evaluations ({}): error {} on the fitted rows{}",
        c.evaluations.len(),
        c.outcome.stopped,
        round6(c.best.error),
        c.held_out_error().map_or(String::new(), |e| format!(
            ", {} on the held-out rows",
            round6(e)
        ))
    ));
    for (p, v) in c.params.iter().zip(&c.best.values) {
        say(&format!("  {} = {v} (started at {})", p.field, p.start));
    }
    let header = [
        "statistic",
        "held-out rows",
        "mean |relative error|",
        "max |relative error|",
    ];
    let mut rows = Vec::new();
    for id in c.shown_metrics() {
        let e = c.errors(Role::HeldOut, id);
        if e.count == 0 {
            continue;
        }
        rows.push(vec![
            id.get().column.to_string(),
            e.count.to_string(),
            round6(e.mean_abs_relative).to_string(),
            round6(e.max_abs_relative).to_string(),
        ]);
    }
    if !rows.is_empty() {
        let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        let _ = std::io::stdout()
            .lock()
            .write_all(crate::table::text(&header, &rows).as_bytes());
    }
    say(&format!(
        "results: {files} files in {} ({} runs under runs/)",
        out.display(),
        c.runs.len()
    ));
}
