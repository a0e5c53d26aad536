//! Parts of the command line that are more than argument plumbing (binary only: they read
//! the wall clock and the process's memory).

pub mod bench;
pub mod memory;
