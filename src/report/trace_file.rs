//! `guildsim run --trace FILE`: a run's timeline trace written to a file of the user's
//! choosing, outside the run's folder. The file is judged by where it really is (a path through
//! `..` or a link into the run's folder is refused), and an existing FILE is replaced only
//! while it holds a whole trace exactly as guildsim wrote it (its trailer certifies its
//! content, [`trace::is_own_trace`]).

use super::trace;
use crate::config::Loaded;
use crate::files::atomic::write_atomic;
use crate::files::paths::{self, Resolved};
use crate::runner::RunResult;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// Refuses a `--trace` file that guildsim may not write: inside the run's folder `out`
/// (resolved), a folder, or an existing file that is not a trace guildsim wrote, unchanged.
pub(crate) fn check_target(file: &Path, out: &Path) -> Result<Resolved> {
    let resolved = paths::resolve(file, "--trace")?;
    let out = paths::resolve(out, "--out")?;
    if resolved.is_inside(&out) {
        bail!(
            "--trace {}: the file is inside the run's folder {}, whose files guildsim replaces \
             whole; set `output.trace` to have trace.json written there, or name a file outside it",
            file.display(),
            out.path().display()
        );
    }
    check_replaceable(&resolved, file)?;
    Ok(resolved)
}

fn check_replaceable(resolved: &Resolved, file: &Path) -> Result<()> {
    let path = resolved.path();
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Ok(());
    };
    if meta.is_dir() {
        bail!("--trace {}: is a folder, not a file", file.display());
    }
    let ours = meta.is_file() && std::fs::read(&path).is_ok_and(|b| trace::is_own_trace(&b));
    if !ours {
        bail!(
            "--trace {}: the file exists and is not a trace guildsim wrote (or it changed since); \
             guildsim never overwrites such a file: remove it or name another file",
            file.display()
        );
    }
    Ok(())
}

/// Writes the run's trace to `file` (checked by [`check_target`]; checked again, since the run
/// took a while), and returns what it holds.
pub(crate) fn write_target(
    file: &Resolved,
    loaded: &Loaded,
    result: &RunResult,
) -> Result<trace::TraceStats> {
    let (bytes, stats) = super::trace_file(loaded, result)?;
    std::fs::create_dir_all(&file.parent)
        .with_context(|| format!("cannot create folder {}", file.parent.display()))?;
    check_replaceable(file, &file.path())?;
    write_atomic(&file.path(), &bytes)?;
    Ok(stats)
}
