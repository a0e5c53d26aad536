//! Writing to the terminal without panicking and without losing output silently: `outln!`,
//! `out!` and `errln!` instead of `println!`, `print!` and `eprintln!`, and [`finish`], which
//! turns a lost standard output into exit code 2.

use guildsim::expect::{EXPECTATIONS_CSV, Verdicts};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// `println!` that does not panic when standard output is closed (`guildsim run ... | head -1`):
/// what the reader no longer wants is dropped; the command goes on and exits with its own code.
/// Any other failure (a full disk, `> /dev/full`) is remembered, and the command exits with
/// code 2 instead of 0: output is never lost silently.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::output::stdout_result(writeln!(std::io::stdout(), $($arg)*));
    }};
}

/// `print!` with the same rule as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::output::stdout_result(write!(std::io::stdout(), $($arg)*));
    }};
}

/// `eprintln!` that never panics: when standard error cannot be written (`2>/dev/full`) the
/// message is lost, but the exit code still tells what happened.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub(crate) use {errln, out, outln};

/// Set when a write to standard output failed other than because its reader stopped early.
static STDOUT_LOST: AtomicBool = AtomicBool::new(false);

/// Remembers a failed write to standard output (a closed pipe is the reader's choice, not a
/// failure).
pub fn stdout_result(result: std::io::Result<()>) {
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        STDOUT_LOST.store(true, Ordering::Relaxed);
    }
}

/// The exit code once standard output is flushed: 2 if something written to it was lost.
pub fn finish(code: ExitCode) -> ExitCode {
    use std::io::Write as _;
    stdout_result(std::io::stdout().flush());
    if STDOUT_LOST.load(Ordering::Relaxed) {
        errln!("error: cannot write to standard output: the output is incomplete (exit code 2)");
        return ExitCode::from(2);
    }
    code
}

/// Prints a long table to standard output; a reader that stops early (`| head`) ends the
/// output, not the process with a panic.
pub fn print_table_text(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Notes on what guildsim found and left alone, on standard error.
pub fn print_notes(notes: &[String]) {
    for n in notes {
        errln!("note: {n}");
    }
}

/// Prints the verdicts of the experiment's expectations (with `quiet`, only when one failed)
/// and returns the exit code: 1 if one failed, else 0.
pub fn print_verdicts(verdicts: Option<&Verdicts>, out: &Path, quiet: bool) -> ExitCode {
    let Some(v) = verdicts else {
        return ExitCode::SUCCESS;
    };
    if !quiet || v.failed > 0 {
        print_table_text(&v.text());
        outln!(
            "expectations: {} of {} met ({})",
            v.rows.len() - v.failed,
            v.rows.len(),
            out.join(EXPECTATIONS_CSV).display()
        );
    }
    if v.failed > 0 {
        errln!("error: {} expectation(s) failed (exit code 1)", v.failed);
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
