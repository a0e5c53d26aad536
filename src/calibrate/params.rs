//! The parameters a calibration fits: `--fit FIELD` or `--fit FIELD=MIN..MAX`, each a number
//! of the experiment (a cost in µs, the time slice, a Manifold cost per recipient) written as
//! a field path, as for `--set`.
//!
//! A parameter starts at the experiment's value (with `--set` applied; every default counts)
//! and stays within `[MIN, MAX]` (default: from a thousandth to a thousand times the start).
//! The optimiser works on `x = ln(value / start)`, so every parameter moves by factors and
//! stays positive; a value is clamped into its range and rounded to 6 significant digits,
//! so that a value tried twice is the same run (and its folder is reused).

use super::mirror::{Base, Setting};
use crate::config::yaml_source::FieldPath;
use crate::error::Refused;
use std::sync::Arc;

/// At most this many parameters: Nelder-Mead slows down quickly with dimensions.
pub(crate) const MAX_PARAMS: usize = 8;

/// Fields the measurements set: fitting them would be overwritten at every run.
const SET_BY_ROWS: [&str; 5] = [
    "model.nodes",
    "model.fanout.strategy",
    "workload",
    "run.horizon_s",
    "model.messages",
];

/// One fitted parameter.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub(crate) field: FieldPath,
    /// The `--fit` argument, for error locations.
    pub(crate) origin: Arc<str>,
    pub(crate) start: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// The parameters of the `--fit` arguments, checked against the experiment.
pub(crate) fn parse(args: &[String], base: &Base) -> Result<Vec<Param>, Refused> {
    if args.is_empty() {
        return Err(Refused(
            "name at least one parameter to fit: --fit FIELD or --fit FIELD=MIN..MAX, e.g. \
             --fit model.costs.send_local.us --fit model.costs.session_receive.us"
                .into(),
        ));
    }
    if args.len() > MAX_PARAMS {
        return Err(Refused(format!(
            "at most {MAX_PARAMS} parameters can be fitted at once, got {}",
            args.len()
        )));
    }
    let mut params: Vec<Param> = Vec::new();
    for arg in args {
        let fail = |m: String| Refused(format!("--fit {arg}: {m}"));
        let (field_text, range) = match arg.split_once('=') {
            Some((f, r)) => (f, Some(r)),
            None => (arg.as_str(), None),
        };
        let field = FieldPath::parse(field_text).map_err(fail)?;
        if field.is_root() {
            return Err(fail("the field path is empty".into()));
        }
        let canonical = base.canonical(&field).map_err(fail)?;
        if let Some(top) = SET_BY_ROWS
            .iter()
            .find(|t| canonical.starts_with(&FieldPath::parse(t).expect("a field path")))
        {
            return Err(fail(format!(
                "`{top}` is set from each measurement's configuration, so it cannot be fitted"
            )));
        }
        if params
            .iter()
            .any(|p| base.canonical(&p.field).ok() == Some(canonical.clone()))
        {
            return Err(fail("this parameter is named twice".into()));
        }
        let Some(start) = base.number_at(&canonical) else {
            return Err(fail(format!(
                "`{field}` is not a number of the experiment (with its defaults); name a cost \
                 such as model.costs.send_local.us or model.scheduling.time_slice_us"
            )));
        };
        if !(start.is_finite() && start > 0.0) {
            return Err(fail(format!(
                "starts at {start}: a fitted parameter moves by factors, so it must start \
                 above 0 (give a start with --set {field}=...)"
            )));
        }
        let (min, max) = match range {
            None => (start / 1000.0, start * 1000.0),
            Some(r) => parse_range(r).map_err(fail)?,
        };
        params.push(Param {
            field,
            origin: Arc::from(format!("--fit {arg}")),
            start: start.clamp(min, max),
            min,
            max,
        });
    }
    Ok(params)
}

/// `MIN..MAX`: two numbers above 0, MIN below MAX.
fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let bad = || format!("expected MIN..MAX with 0 < MIN < MAX (e.g. 0.01..100), got `{text}`");
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (min, max): (f64, f64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if min.is_finite() && max.is_finite() && min > 0.0 && min < max && max <= 1e9 {
        Ok((min, max))
    } else {
        Err(bad())
    }
}

/// `x` (the optimiser's coordinates) as parameter values: clamped and rounded.
pub(crate) fn values(params: &[Param], x: &[f64]) -> Vec<f64> {
    params
        .iter()
        .zip(x)
        .map(|(p, &x)| {
            let v = if x.is_finite() {
                p.start * x.clamp(-700.0, 700.0).exp()
            } else {
                p.start
            };
            round_significant(v.clamp(p.min, p.max), 6)
        })
        .collect()
}

/// The settings of `values`, for building runs.
pub(crate) fn settings(params: &[Param], values: &[f64]) -> Vec<Setting> {
    params
        .iter()
        .zip(values)
        .map(|(p, &value)| Setting {
            field: p.field.clone(),
            origin: Arc::clone(&p.origin),
            value,
        })
        .collect()
}

/// `field=value;field=value`: identifies a parameter set (folder names, caches).
pub(crate) fn text(params: &[Param], values: &[f64]) -> String {
    params
        .iter()
        .zip(values)
        .map(|(p, v)| format!("{}={v}", p.field))
        .collect::<Vec<_>>()
        .join(";")
}

/// `x` rounded to `digits` significant digits (0 and non-finite values unchanged).
pub(crate) fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    let rounded = (x * scale).round() / scale;
    // Through text, so that the value prints as its digits (0.3, not 0.30000000000000004).
    format!("{rounded:.*e}", (digits - 1) as usize)
        .parse()
        .unwrap_or(rounded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_move_by_factors_within_bounds() {
        let p = Param {
            field: FieldPath::parse("model.costs.send_local.us").unwrap(),
            origin: Arc::from("--fit"),
            start: 2.0,
            min: 0.5,
            max: 4.0,
        };
        let ps = [p];
        assert_eq!(values(&ps, &[0.0]), vec![2.0]);
        assert_eq!(values(&ps, &[2f64.ln()]), vec![4.0]);
        assert_eq!(values(&ps, &[10.0]), vec![4.0]);
        assert_eq!(values(&ps, &[f64::NAN]), vec![2.0]);
        assert_eq!(round_significant(0.1 + 0.2, 6), 0.3);
        assert_eq!(round_significant(123456789.0, 6), 123457000.0);
        assert_eq!(parse_range("0.1..10"), Ok((0.1, 10.0)));
        assert!(parse_range("10..0.1").is_err() && parse_range("0..1").is_err());
    }
}
