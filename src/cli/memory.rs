//! The memory runs may use, and watching the process's own memory while they execute: an
//! overloaded run (registry calls that time out but stay queued, mailboxes that grow) can hold
//! far more than its estimate, which counts what the input sizes, not what a collapse leaves
//! queued. The run loop asks the watch every few thousand events; past the limit the run is
//! stopped and its results are not written. Binary-only: it reads `/proc/meminfo` and
//! `/proc/self/status`.

use guildsim::estimate::Limits;
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The limits of `run` and `calibrate`: `--max-memory`, or the available memory
/// (MemAvailable), and whether a long run may start without an event budget.
pub fn limits(max_memory: Option<u64>, allow_long_run: bool) -> Limits {
    let (memory_bytes, memory_what) = match (max_memory, mem_available_bytes()) {
        (Some(m), _) => (m, "--max-memory".into()),
        (None, Some(a)) => (a, "the available memory (MemAvailable)".into()),
        (None, None) => (u64::MAX, "unknown".into()),
    };
    Limits {
        memory_bytes,
        memory_what,
        allow_long_run,
    }
}

/// MemAvailable from /proc/meminfo (Linux), in bytes.
fn mem_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// How often the resident memory is read, at most.
const EVERY: Duration = Duration::from_millis(200);

pub struct MemoryWatch {
    limit_bytes: u64,
    last: Mutex<Option<Instant>>,
    /// The largest resident memory seen, in bytes.
    peak: AtomicU64,
}

impl MemoryWatch {
    pub fn new(limit_bytes: u64) -> Self {
        MemoryWatch {
            limit_bytes,
            last: Mutex::new(None),
            peak: AtomicU64::new(0),
        }
    }

    /// `Break` once the process's resident memory has passed the limit.
    pub fn check(&self) -> ControlFlow<()> {
        {
            let mut last = self.last.lock().expect("no panic holds the lock");
            if last.is_some_and(|t| t.elapsed() < EVERY) {
                return ControlFlow::Continue(());
            }
            *last = Some(Instant::now());
        }
        let Some(rss) = resident_bytes() else {
            return ControlFlow::Continue(());
        };
        self.peak.fetch_max(rss, Ordering::Relaxed);
        if rss > self.limit_bytes {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    pub fn peak_bytes(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

/// VmRSS of this process (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_below_the_process_stops_and_one_above_does_not() {
        assert!(MemoryWatch::new(1).check().is_break());
        let roomy = MemoryWatch::new(u64::MAX);
        assert!(roomy.check().is_continue());
        assert!(roomy.peak_bytes() > 0);
    }
}
