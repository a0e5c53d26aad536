//! The `guildsim` command line: parse the arguments, call the library, print, and turn errors
//! into exit codes (0 success, 1 a run finished but a declared check failed, 2 bad usage,
//! configuration or I/O). The binary is the only place that reads the wall clock or the
//! machine's memory, or talks to the terminal; its parts are in `cli/`.

mod cli;

use clap::Parser;
use cli::args::{Cli, Command, SchemaFile};
use cli::output::{errln, finish, out};
use guildsim::config::editor_schema::{self, SchemaKind};
use guildsim::error::Error;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output (exit 0), usage errors to standard error
            // (exit 2), through the same non-panicking writers as everything else.
            if e.use_stderr() {
                errln!("{}", e.render());
                return finish(ExitCode::from(2));
            }
            out!("{}", e.render());
            return finish(ExitCode::SUCCESS);
        }
    };
    let code = match run(cli.command) {
        Ok(code) => code,
        // Every error is exit code 2; a failed expectation is a verdict, returned as code 1.
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(2)
        }
    };
    finish(code)
}

fn run(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Run(args) => cli::run::run(args),
        Command::Merge(args) => cli::merge::merge(args),
        Command::Compare(args) => cli::compare::compare(args),
        Command::Check(args) => cli::check::check(args),
        Command::Bench(args) => {
            let (full, repeat) = (args.full.as_deref(), args.repeat.into());
            cli::bench::bench(&args.experiment, full, args.memory_sessions, repeat)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate(args) => {
            // Calibration runs have no --allow-long-run: each must fit the work limit.
            let limits = cli::memory::limits(args.max_memory, false);
            guildsim::calibrate::command(args, &limits)
        }
        Command::Schema { kind } => {
            let kind = match kind {
                SchemaFile::Experiment => SchemaKind::Experiment,
                SchemaFile::Model => SchemaKind::Model,
            };
            out!("{}", editor_schema::schema_json(kind));
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchCase {
            experiment,
            sets,
            build_only,
        } => {
            cli::bench::case(&experiment, sets, build_only)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
