//! Where a value was written: a file (or a `--set` argument) with a 1-based line and column.

use std::fmt;
use std::sync::Arc;

/// Where a value was written: a file path as given, or e.g. `--set workload.rate=3`; line and
/// column are 1-based. Line 0 (column 0) means "no position within the origin".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) origin: Arc<str>,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Location {
    pub(super) fn at(origin: &Arc<str>, line: usize, column: usize) -> Self {
        Location {
            origin: Arc::clone(origin),
            line,
            column,
        }
    }

    pub(super) fn whole(origin: &Arc<str>) -> Self {
        Location::at(origin, 0, 0)
    }
}

impl fmt::Display for Location {
    /// `origin:line:column`, or just `origin` when the line is 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.origin)
        } else {
            write!(f, "{}:{}:{}", self.origin, self.line, self.column)
        }
    }
}
