//! What guildsim records about a file it writes: its size and SHA-256. A file is guildsim's to
//! replace or remove only while its content still has both.

use crate::identity::sha256_hex;

/// The size and SHA-256 of a file's content, as guildsim wrote it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Recorded {
    pub(crate) size: u64,
    pub(crate) sha256: String,
}

impl Recorded {
    /// The record of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Self {
        Recorded {
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }

    /// Whether `bytes` are the recorded content.
    pub(crate) fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.size && sha256_hex(bytes) == self.sha256
    }

    /// Whether `text` is a hex SHA-256 (64 hex digits).
    pub(crate) fn is_sha256(text: &str) -> bool {
        text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_matches_only_its_own_content() {
        let r = Recorded::of(b"abc");
        assert!(r.matches(b"abc"));
        assert!(!r.matches(b"abd"), "same size, other content");
        assert!(!r.matches(b"abcd"));
        assert!(Recorded::is_sha256(&r.sha256));
        assert!(!Recorded::is_sha256("abc"));
    }
}
