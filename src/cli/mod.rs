//! The command line's parts (binary only: they talk to the terminal, read the wall clock and
//! the machine's memory). `main.rs` parses and dispatches; each command's printing is here.
//!
//! - [`args`]: the clap types, every flag and its help.
//! - [`output`]: `outln!`, `out!`, `errln!` (no panic on a closed pipe, no silently lost
//!   output), notes and verdicts.
//! - [`run`]: `guildsim run`: the job planned and run by the library, what the terminal shows.
//! - [`progress`]: the progress bars of a single run and of a sweep.
//! - [`speed`]: this machine's speed for the time estimates (a cached probe).
//! - [`memory`]: the memory runs may use, and the watch that stops a run past it.
//! - [`compare`], [`check`], [`merge`]: those commands' printing.
//! - [`bench`]: the benchmark, each case in a child process.

pub mod args;
pub mod bench;
pub mod check;
pub mod compare;
pub mod memory;
pub mod merge;
pub mod output;
pub mod progress;
pub mod run;
pub mod speed;
