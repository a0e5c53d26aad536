//! This machine's speed for the time estimates: read from a cache file per binary and machine,
//! else measured once with the library's fixed probe (`guildsim::estimate::speed`: a small run,
//! run six times, the fastest of the last five kept; well under a second) and cached. The cache lives in
//! the user's cache folder (`$XDG_CACHE_HOME/guildsim/` or `~/.cache/guildsim/`), named by a
//! hash of the guildsim version, the binary (path, size, modification time) and the host
//! name; guildsim writes it once and never replaces or removes it.

use guildsim::estimate::speed;
use std::path::PathBuf;
use std::time::Instant;

/// The cache file of this binary on this machine, if a cache folder is known.
fn cache_path() -> Option<PathBuf> {
    let dir = match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").filter(|d| !d.is_empty())?).join(".cache"),
    };
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let key = format!(
        "{}\n{}\n{}\n{modified}\n{}",
        env!("CARGO_PKG_VERSION"),
        exe.display(),
        meta.len(),
        host.trim()
    );
    let hash = guildsim::identity::sha256_hex(key.as_bytes());
    Some(
        dir.join("guildsim")
            .join(format!("speed-{}.txt", &hash[..16])),
    )
}

/// The factor cached for this binary and machine, if there is one.
pub fn cached() -> Option<f64> {
    speed::read_cache(&cache_path()?)
}

/// The factor of this machine: cached, or measured now (and cached when the folder allows).
pub fn measure() -> f64 {
    if let Some(f) = cached() {
        return f;
    }
    let probe = speed::probe();
    let fastest = (0..6)
        .map(|_| {
            let started = Instant::now();
            let _ = guildsim::runner::simulate(&probe, |_| {});
            started.elapsed().as_secs_f64()
        })
        .skip(1) // the first warms the allocator and the caches
        .fold(f64::INFINITY, f64::min);
    let factor = speed::speed_of(fastest);
    if let Some(path) = cache_path() {
        // Another process may have cached it meanwhile, or the folder may be read-only: the
        // factor measured now serves this run either way.
        let _ = speed::write_cache(&path, factor);
    }
    factor
}
