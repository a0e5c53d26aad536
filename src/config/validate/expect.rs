//! Checks of `expect:`: every key names a metric a run reports (`crate::metrics::flat`, with
//! the experiment's windows), bounds are numbers with `min <= max`, and `over: ci` has
//! replications to make an interval from.

use super::Checker;
use crate::config::limits::{MAX_EXPECTATIONS, fmt_num};
use crate::config::schema::{Experiment, Over};
use crate::config::yaml_source::FieldPath;
use crate::metrics::flat::names_with_windows;

/// A short list to choose from: the names (or, when there are many, the next parts of the
/// names) that share the longest leading dotted parts with `name`: `latency_ms.p98` ->
/// `latency_ms.count, ..., latency_ms.p999`; `windows.befor.x` -> `windows.after, ...`.
fn suggestions(name: &str, names: &[String]) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    for k in (1..parts.len()).rev() {
        let prefix = format!("{}.", parts[..k].join("."));
        let mut next: Vec<String> = names
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .map(|n| n.split('.').take(k + 1).collect::<Vec<_>>().join("."))
            .collect();
        next.dedup();
        if !next.is_empty() && next.len() <= 20 {
            return format!("one of {}", next.join(", "));
        }
    }
    let mut heads: Vec<&str> = names
        .iter()
        .map(|n| n.split('.').next().unwrap_or_default())
        .collect();
    heads.dedup();
    format!(
        "a field of summary.json, dotted; it starts with one of {}",
        heads.join(", ")
    )
}

pub(super) fn check(c: &mut Checker, exp: &Experiment) {
    if exp.expect.is_empty() {
        return;
    }
    let path = FieldPath::root().key("expect");
    c.check(exp.expect.len() <= MAX_EXPECTATIONS, &path, || {
        format!(
            "at most {MAX_EXPECTATIONS} expectations, got {}",
            exp.expect.len()
        )
    });
    let gc = super::blocks(exp);
    let names = names_with_windows(exp.output.windows.iter().map(|w| w.name.as_str()), gc);
    let replications = exp.sweep.as_ref().map(|s| s.replications);
    for (metric, e) in exp.expect.iter().take(MAX_EXPECTATIONS) {
        let p = path.key(metric);
        c.check(names.contains(metric), &p, || {
            format!("unknown metric `{metric}`; {}", suggestions(metric, &names))
        });
        for (key, bound) in [("min", e.min), ("max", e.max)] {
            if let Some(b) = bound {
                c.check(b.is_finite(), &p.key(key), || {
                    format!("must be a finite number, got {}", fmt_num(b))
                });
            }
        }
        match (e.min, e.max) {
            (None, None) => c.fail(&p, "give `min`, `max` or both".into()),
            (Some(lo), Some(hi)) => c.check(
                lo <= hi || lo.is_nan() || hi.is_nan(),
                &p.key("max"),
                || format!("must be >= min ({}), got {}", fmt_num(lo), fmt_num(hi)),
            ),
            _ => {}
        }
        if let (Over::Ci, Some(r)) = (e.over, replications) {
            c.check(r >= 2, &p.key("over"), || {
                format!(
                    "a confidence interval needs at least 2 replications, the sweep has {r}: \
                     use `mean` or `every`, or more sweep.replications"
                )
            });
        }
    }
}
