//! Configuration errors and how they display: `file:line:column: field.path: message`.

use std::fmt;

use super::{FieldPath, Location, SourceMap};

/// A configuration error. Displays as `{location}: {path}: {message}`, leaving out the parts
/// that are `None` (and the path when it is the root).
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub(crate) location: Option<Location>,
    pub(crate) path: Option<FieldPath>,
    pub(crate) message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        if let Some(path) = &self.path
            && !path.is_root()
        {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// For semantic validation after deserialization: build an error at a path.
pub(crate) fn error_at(
    map: &SourceMap,
    path: &FieldPath,
    message: impl Into<String>,
) -> ConfigError {
    ConfigError {
        location: map.locate(path),
        path: Some(path.clone()),
        message: message.into(),
    }
}
