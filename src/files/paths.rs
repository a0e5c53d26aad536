//! Paths resolved before they are judged. An output folder or file named on the command line
//! (`--out`, `--trace`, `--csv`, merge folders) is turned into its real location first: the
//! folder that holds it with symbolic links and `..` followed where they exist, and its own
//! name, which must be a plain name and not itself a symbolic link. Every check after that
//! (is it inside the run's folder? is it the same folder?) compares real locations, so
//! `r/zz/../run/summary.json` and a path through a link are seen for what they are, and
//! `r/qa/../qa` is simply `r/qa`.

use super::names::is_plain_name;
use anyhow::{Result, bail};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// A path whose folder is resolved; its own last component is a plain name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The resolved folder that holds it (absolute; may not exist yet, below an existing one).
    pub(crate) parent: PathBuf,
    pub(crate) name: String,
}

impl Resolved {
    pub fn path(&self) -> PathBuf {
        self.parent.join(&self.name)
    }

    /// Whether this path is `dir` or lies inside it.
    pub(crate) fn is_inside(&self, dir: &Resolved) -> bool {
        self.path().starts_with(dir.path())
    }
}

/// Resolves `path` (named by `what`, e.g. `--out`) as described in the module comment. A path
/// ending in `.` or `..` names an existing folder and is resolved whole. A final component that
/// is a symbolic link is refused: guildsim does not write or replace through links.
pub fn resolve(path: &Path, what: &str) -> Result<Resolved> {
    if path.as_os_str().is_empty() {
        bail!("{what}: an empty path");
    }
    let absolute = std::path::absolute(path)
        .map_err(|e| anyhow::anyhow!("{what} {}: cannot resolve it: {e}", path.display()))?;
    let last = absolute.components().next_back();
    let (parent, name) = match last {
        Some(Component::Normal(name)) => (
            absolute.parent().unwrap_or(Path::new("/")).to_path_buf(),
            name.to_string_lossy().into_owned(),
        ),
        _ => {
            // `.`, `..` or `/`: an existing folder, resolved whole.
            let real = fs::canonicalize(&absolute).map_err(|e| {
                anyhow::anyhow!("{what} {}: cannot resolve it: {e}", path.display())
            })?;
            match (real.parent(), real.file_name()) {
                (Some(p), Some(n)) => (p.to_path_buf(), n.to_string_lossy().into_owned()),
                _ => bail!("{what} {}: the root folder cannot be used", path.display()),
            }
        }
    };
    if !is_plain_name(&name) {
        bail!("{what} {}: `{name}` is not a plain name", path.display());
    }
    let parent =
        resolve_folder(&parent).map_err(|e| anyhow::anyhow!("{what} {}: {e}", path.display()))?;
    let resolved = Resolved { parent, name };
    if let Ok(meta) = fs::symlink_metadata(resolved.path())
        && meta.file_type().is_symlink()
    {
        let target = fs::canonicalize(resolved.path())
            .map(|t| format!(" (to {})", t.display()))
            .unwrap_or_default();
        bail!(
            "{what} {} is a symbolic link{target}: guildsim never writes or replaces anything \
             through a link; name the real location instead",
            path.display()
        );
    }
    Ok(resolved)
}

/// An absolute folder path with its longest existing prefix resolved; what follows must be
/// plain names (they are created later).
fn resolve_folder(folder: &Path) -> Result<PathBuf, String> {
    let components: Vec<Component> = folder.components().collect();
    for split in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..split].iter().collect();
        if let Ok(real) = fs::canonicalize(&prefix) {
            let mut out = real;
            for c in &components[split..] {
                match c {
                    Component::Normal(n) => out.push(n),
                    _ => {
                        return Err(format!(
                            "`{}` follows a folder that does not exist ({}), so where it leads \
                             cannot be known",
                            c.as_os_str().to_string_lossy(),
                            prefix.join(components[split].as_os_str()).display()
                        ));
                    }
                }
            }
            return Ok(out);
        }
    }
    Err(format!("cannot resolve {}", folder.display()))
}

/// An existing folder, resolved (`merge` inputs).
pub fn existing_folder(path: &Path, what: &str) -> Result<PathBuf> {
    let real =
        fs::canonicalize(path).map_err(|e| anyhow::anyhow!("{what} {}: {e}", path.display()))?;
    if !real.is_dir() {
        bail!("{what} {}: not a folder", path.display());
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::removal::remove_scratch;

    #[test]
    fn dot_dot_and_links_are_resolved_before_judging() {
        let dir = std::env::temp_dir().join(format!("guildsim-paths-{}", std::process::id()));
        remove_scratch(&dir);
        fs::create_dir_all(dir.join("r/qa")).unwrap();
        fs::create_dir_all(dir.join("r/run")).unwrap();
        let real = fs::canonicalize(&dir).unwrap();
        let a = resolve(&dir.join("r/qa/../qa"), "--out").unwrap();
        assert_eq!(a.path(), real.join("r/qa"));
        let t = resolve(&dir.join("r/qa/../run/summary.json"), "--trace").unwrap();
        assert!(t.is_inside(&resolve(&dir.join("r/run"), "--out").unwrap()));
        // Through a link to the run folder: still inside it.
        std::os::unix::fs::symlink(dir.join("r/run"), dir.join("link")).unwrap();
        let t = resolve(&dir.join("link/summary.json"), "--trace").unwrap();
        assert!(t.is_inside(&resolve(&dir.join("r/run"), "--out").unwrap()));
        // The link itself as an output: refused.
        let err = resolve(&dir.join("link"), "--out").unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        // Not-yet-existing folders below an existing one are fine; `..` below them is not.
        assert_eq!(
            resolve(&dir.join("new/deeper/out"), "--out")
                .unwrap()
                .path(),
            real.join("new/deeper/out")
        );
        assert!(resolve(&dir.join("new/../out"), "--out").is_err());
        let dot = resolve(&dir.join("r/qa/."), "--out").unwrap();
        assert_eq!(dot.path(), real.join("r/qa"));
        remove_scratch(&dir);
    }
}
