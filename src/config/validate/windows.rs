//! Checks of `output.windows`: how many, their names (they become metric names), and their
//! edges, which must fall on whole time bins.

use super::Checker;
use crate::config::limits::{MAX_TIME_MS, MAX_TIME_S, MAX_WINDOWS, fmt_num};
use crate::config::schema::Experiment;
use crate::config::yaml_source::FieldPath;
use crate::sim::time::{ms, secs};

/// Whether `name` can name a window: 1 to 64 letters, digits, `_` and `-`.
pub(crate) fn is_window_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(super) fn check(c: &mut Checker, exp: &Experiment) {
    let path = FieldPath::root().key("output").key("windows");
    let windows = &exp.output.windows;
    c.check(windows.len() <= MAX_WINDOWS, &path, || {
        format!("at most {MAX_WINDOWS} windows, got {}", windows.len())
    });
    let interval_ms = exp.output.sample_interval_ms;
    // Alignment is checked only against an interval inside its own range.
    let interval =
        (interval_ms > 0.0 && interval_ms <= MAX_TIME_MS).then(|| ms(interval_ms).max(1));
    for (i, w) in windows.iter().enumerate().take(MAX_WINDOWS) {
        let p = path.index(i);
        c.check(is_window_name(&w.name), &p.key("name"), || {
            format!(
                "must be 1 to 64 letters, digits, `_` or `-` (it names the window's metrics, \
                 `windows.<name>.latency_ms.p99`), got `{}`",
                w.name
            )
        });
        c.check(
            !windows[..i].iter().any(|o| o.name == w.name),
            &p.key("name"),
            || format!("`{}` names two windows", w.name),
        );
        c.range(w.from_s, 0.0, MAX_TIME_S, &p.key("from_s"));
        let from = w.from_s.clamp(0.0, MAX_TIME_S);
        c.range(w.to_s, from, MAX_TIME_S, &p.key("to_s"));
        let horizon = exp.run.horizon_s;
        let before_horizon = w.from_s < horizon || w.from_s.is_nan();
        c.check(before_horizon, &p.key("from_s"), || {
            format!(
                "starts at or after the run's horizon (run.horizon_s: {} s): nothing would \
                 happen in it, and its block would hold only zeros",
                fmt_num(horizon)
            )
        });
        let after = w.to_s > w.from_s || w.to_s.is_nan() || w.from_s.is_nan();
        c.check(after, &p.key("to_s"), || {
            format!("must be after from_s ({} s)", fmt_num(w.from_s))
        });
        let Some(interval) = interval else { continue };
        for (key, t) in [("from_s", w.from_s), ("to_s", w.to_s)] {
            let aligned = !(0.0..=MAX_TIME_S).contains(&t) || secs(t).is_multiple_of(interval);
            c.check(aligned, &p.key(key), || {
                format!(
                    "must be a multiple of output.sample_interval_ms ({} ms): a window is made \
                     of whole time bins, got {} s",
                    fmt_num(interval_ms),
                    fmt_num(t)
                )
            });
        }
    }
}
