//! The library's error: what a command line turns into an exit code and a message. Every
//! entry point a command calls (`job`, `compare`, `sweep::merge`, `calibrate`) returns
//! [`Error`]; deeper modules return the part that concerns them ([`ConfigErrors`] for an
//! invalid experiment, [`Refused`] for something guildsim will not do, `anyhow::Error` for I/O
//! with its context), and `?` turns each into an [`Error`].
//!
//! Every kind means exit code 2 to the command line: nothing was run, or nothing more was
//! written. A failed expectation is not an error (the run finished and its results are
//! written): it is a verdict, which the caller turns into exit code 1.

use crate::config::ConfigErrors;
use crate::config::yaml_source::ConfigError;
use std::fmt;

/// An error of a guildsim command.
#[derive(Debug)]
pub enum Error {
    /// An invalid experiment: each error located at a file, line, column and field path.
    Config(ConfigErrors),
    /// A command guildsim will not carry out as given: a run too large for the memory or the
    /// work limit, an option that does not apply to this experiment, a `--set` a sweep would
    /// overwrite. The message says what to do instead.
    Refused(Refused),
    /// Anything else (I/O, a folder guildsim does not own, a run that failed), with the context
    /// it happened in.
    Other(anyhow::Error),
}

/// The library's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Something guildsim will not do, and why: a whole message, quoting the input it refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl fmt::Display for Error {
    /// The message after `error: `: an invalid experiment says so on its first line and gives
    /// each located error on its own; other errors give their context chain on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => write!(f, "invalid experiment\n{e}"),
            Error::Refused(r) => write!(f, "{r}"),
            Error::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ConfigErrors> for Error {
    fn from(e: ConfigErrors) -> Self {
        Error::Config(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e.into())
    }
}

impl From<Refused> for Error {
    fn from(r: Refused) -> Self {
        Error::Refused(r)
    }
}

impl From<anyhow::Error> for Error {
    /// An invalid experiment found deep inside a run keeps its own kind (and message), whatever
    /// context was added on the way up; so does an [`Error`] that went through `anyhow`.
    fn from(e: anyhow::Error) -> Self {
        let e = match e.downcast::<Error>() {
            Ok(e) => return e,
            Err(e) => e,
        };
        match e.downcast::<ConfigErrors>() {
            Ok(c) => Error::Config(c),
            Err(e) => Error::Other(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_experiment_keeps_its_kind_through_anyhow_and_context() {
        let config = ConfigErrors(vec![ConfigError {
            location: None,
            path: None,
            message: "bad".into(),
        }]);
        let wrapped = anyhow::Error::new(config).context("search step 2");
        let e = Error::from(wrapped);
        assert!(matches!(e, Error::Config(_)));
        assert_eq!(e.to_string(), "invalid experiment\nbad");
    }

    #[test]
    fn other_errors_give_their_context_chain() {
        let e = Error::from(anyhow::anyhow!("disk full").context("writing run r000"));
        assert_eq!(e.to_string(), "writing run r000: disk full");
        let r = Error::from(Refused("--shard splits a sweep".into()));
        assert_eq!(r.to_string(), "--shard splits a sweep");
    }
}
