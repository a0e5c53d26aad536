//! Which measured configurations a calibration fits on (`--fit-on`), and which it holds out
//! to predict.
//!
//! - `lowest-rate` (the default): for each mode, scheduler count, size and presence rate, the
//!   configuration measured at the lowest publish rate (the least loaded one);
//! - `all`: every configuration (nothing is held out);
//! - filters `COLUMN=VALUE`, `COLUMN<=VALUE`, `COLUMN>=VALUE`, `COLUMN<VALUE`, `COLUMN>VALUE`
//!   on the configuration columns (repeatable: a row is fitted when every filter holds), e.g.
//!   `--fit-on members<=1000 --fit-on target_utilisation=0.1`.
//!
//! A row whose deliveries did not all arrive (`drained` false) is neither fitted nor
//! predicted: its statistics miss the slowest deliveries.

use super::measurements::{Config, Measurements};
use crate::error::Refused;

/// The rule of `--fit-on`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FitOn {
    LowestRate,
    All,
    Filters(Vec<Filter>),
}

/// One `COLUMN<op>VALUE` filter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Filter {
    pub(crate) column: String,
    pub(crate) op: Op,
    pub(crate) value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Le,
    Ge,
    Lt,
    Gt,
}

/// The columns a filter may name.
const FILTER_COLUMNS: [&str; 7] = [
    "mode",
    "schedulers",
    "members",
    "rate_per_s",
    "presence_per_session_per_s",
    "duration_s",
    "target_utilisation",
];

/// The rule of the `--fit-on` arguments (none: `lowest-rate`).
pub(crate) fn parse(args: &[String]) -> Result<FitOn, Refused> {
    match args {
        [] => return Ok(FitOn::LowestRate),
        [one] if one == "lowest-rate" => return Ok(FitOn::LowestRate),
        [one] if one == "all" => return Ok(FitOn::All),
        _ => {}
    }
    let mut filters = Vec::new();
    for arg in args {
        let bad = |m: &str| Refused(format!("--fit-on {arg}: {m}"));
        if arg == "lowest-rate" || arg == "all" {
            return Err(bad("`lowest-rate` and `all` stand alone, without filters"));
        }
        let (i, op, len) = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("=", Op::Eq),
        ]
        .iter()
        .filter_map(|(s, op)| arg.find(s).map(|i| (i, *op, s.len())))
        .min_by_key(|(i, _, len)| (*i, std::cmp::Reverse(*len)))
        .ok_or_else(|| {
            bad(
                "expected `lowest-rate`, `all` or a filter COLUMN=VALUE, COLUMN<=VALUE, \
                     COLUMN>=VALUE, COLUMN<VALUE or COLUMN>VALUE",
            )
        })?;
        let column = arg[..i].trim().to_string();
        let value = arg[i + len..].trim().to_string();
        if !FILTER_COLUMNS.contains(&column.as_str()) {
            return Err(bad(&format!(
                "`{column}` cannot be filtered on; columns: {}",
                FILTER_COLUMNS.join(", ")
            )));
        }
        if column != "mode" && value.parse::<f64>().map_or(true, |v| !v.is_finite()) {
            return Err(bad(&format!("`{value}` is not a number")));
        }
        if column == "mode" && op != Op::Eq {
            return Err(bad("`mode` takes `=` only (mode=naive, mode=manifold)"));
        }
        filters.push(Filter { column, op, value });
    }
    Ok(FitOn::Filters(filters))
}

impl FitOn {
    /// The rule as written, for reports.
    pub(crate) fn text(&self) -> String {
        match self {
            FitOn::LowestRate => "lowest-rate".into(),
            FitOn::All => "all".into(),
            FitOn::Filters(f) => f
                .iter()
                .map(|f| {
                    let op = match f.op {
                        Op::Eq => "=",
                        Op::Le => "<=",
                        Op::Ge => ">=",
                        Op::Lt => "<",
                        Op::Gt => ">",
                    };
                    format!("{}{op}{}", f.column, f.value)
                })
                .collect::<Vec<_>>()
                .join(" and "),
        }
    }
}

/// What each row is in a calibration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Fit,
    HeldOut,
    /// Not drained: neither fitted nor predicted.
    Excluded,
}

impl Role {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::Fit => "fit",
            Role::HeldOut => "held-out",
            Role::Excluded => "excluded",
        }
    }
}

/// The role of every row, in row order.
pub(crate) fn roles(rule: &FitOn, m: &Measurements) -> Vec<Role> {
    let fitted = |i: usize| -> bool {
        let c = &m.rows[i].config;
        match rule {
            FitOn::All => true,
            FitOn::Filters(filters) => filters.iter().all(|f| holds(f, c)),
            FitOn::LowestRate => !m.rows.iter().enumerate().any(|(j, other)| {
                other.drained
                    && same_cell(&other.config, c)
                    && (other.config.rate_per_s < c.rate_per_s
                        || (other.config.rate_per_s == c.rate_per_s && j < i))
            }),
        }
    };
    (0..m.rows.len())
        .map(|i| {
            if !m.rows[i].drained {
                Role::Excluded
            } else if fitted(i) {
                Role::Fit
            } else {
                Role::HeldOut
            }
        })
        .collect()
}

/// Same mode, scheduler count, size, presence rate and payload: rows that differ in rate.
pub(crate) fn same_cell(a: &Config, b: &Config) -> bool {
    a.mode == b.mode
        && a.schedulers == b.schedulers
        && a.members == b.members
        && a.presence_per_session_per_s == b.presence_per_session_per_s
        && a.payload_bytes == b.payload_bytes
}

fn holds(f: &Filter, c: &Config) -> bool {
    let value = match f.column.as_str() {
        "mode" => return c.mode.name() == f.value,
        "schedulers" => Some(c.schedulers as f64),
        "members" => Some(c.members as f64),
        "rate_per_s" => Some(c.rate_per_s),
        "presence_per_session_per_s" => Some(c.presence_per_session_per_s),
        "duration_s" => Some(c.duration_s),
        "target_utilisation" => c.target_utilisation,
        _ => None,
    };
    let (Some(v), Ok(w)) = (value, f.value.parse::<f64>()) else {
        return false;
    };
    match f.op {
        Op::Eq => v == w,
        Op::Le => v <= w,
        Op::Ge => v >= w,
        Op::Lt => v < w,
        Op::Gt => v > w,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse() {
        assert_eq!(parse(&[]), Ok(FitOn::LowestRate));
        assert_eq!(parse(&["all".into()]), Ok(FitOn::All));
        let f = parse(&["members<=1000".into(), "mode=naive".into()]).unwrap();
        assert_eq!(f.text(), "members<=1000 and mode=naive");
        assert!(parse(&["color=red".into()]).is_err());
        assert!(parse(&["members<=many".into()]).is_err());
        assert!(parse(&["all".into(), "members=1".into()]).is_err());
    }
}
