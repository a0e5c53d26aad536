//! The names guildsim gives the files and folders it writes, and what a name may be before
//! guildsim touches it: a plain name (no separator, no `.` or `..`, not empty) is the only kind
//! of name a manifest may list.

/// A name without any path separator or parent reference: the only kind a manifest may list.
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\\')
        && !name.contains('\0')
}

/// Whether every `/`-separated component of `rel` is a plain name (`runs/p/r000/summary.json`).
pub(crate) fn is_plain_relative(rel: &str) -> bool {
    !rel.is_empty() && rel.split('/').all(is_plain_name)
}

/// The temporary file of an atomic write of `name` by this process: `.<name>.<pid>.tmp`.
pub(crate) fn temp_name(name: &str) -> String {
    format!(".{name}.{}.tmp", std::process::id())
}

/// The file a temporary file of an atomic write was for: `.<name>.<pid>.tmp` -> `<name>`.
pub fn temp_target(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (target, pid) = rest.rsplit_once('.')?;
    (!target.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        .then_some(target)
}

/// Whether `name` is a temporary file of an atomic write.
pub(crate) fn is_temp_file(name: &str) -> bool {
    temp_target(name).is_some()
}

/// The staging folder of `name` for this process: `.<name>.tmp-<pid>`.
pub(crate) fn staging_name(name: &str) -> String {
    format!(".{name}.tmp-{}", std::process::id())
}

/// The folder an earlier run of `name` is moved to while a new one takes its place:
/// `.<name>.old-<pid>`.
pub(crate) fn retired_name(name: &str) -> String {
    format!(".{name}.old-{}", std::process::id())
}

/// The folder a staging or retired folder belongs to: `.r007.tmp-123` -> `r007`.
pub fn leftover_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?;
    let (target, suffix) = rest.rsplit_once('.')?;
    let pid = suffix
        .strip_prefix("tmp-")
        .or_else(|| suffix.strip_prefix("old-"))?;
    (!target.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        .then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        assert!(is_plain_name("summary.json"));
        assert!(is_plain_name(".hidden"));
        for bad in ["", ".", "..", "a/b", "../x", "/etc/passwd", "a\\b", "a\0b"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(is_plain_relative("runs/p/r000/summary.json"));
        for bad in ["", "runs//x", "runs/../x", "/abs", "runs/./x", "a/"] {
            assert!(!is_plain_relative(bad), "{bad:?}");
        }
    }

    #[test]
    fn temporary_and_staging_names() {
        assert_eq!(temp_target(".sweep.csv.123.tmp"), Some("sweep.csv"));
        assert!(!is_temp_file(".sweep.csv.tmp"));
        assert!(!is_temp_file("sweep.csv.1.tmp"));
        assert!(!is_temp_file("..1.tmp"));
        assert_eq!(leftover_of(".r007.tmp-55"), Some("r007"));
        assert_eq!(leftover_of(".quickstart.old-9"), Some("quickstart"));
        assert_eq!(leftover_of(".r007.tmp-"), None);
        assert_eq!(leftover_of(".r007.tmp-12a"), None);
        assert_eq!(leftover_of("r007"), None);
        assert_eq!(leftover_of("quickstart.tmp-1"), None);
        assert_eq!(temp_target(&temp_name("a.svg")), Some("a.svg"));
        assert_eq!(leftover_of(&staging_name("q")), Some("q"));
        assert_eq!(leftover_of(&retired_name("q")), Some("q"));
    }
}
