//! The `sweep:` section's grid: each `sweep.grid` entry checked and expanded into its values
//! (explicit, linear or log range), zips checked for equal lengths, the replications, the
//! number of runs and the planning work bounded. Every value keeps the positions it was
//! written at, so that an error found when a run's experiment is built (unknown field, wrong
//! type, impossible value) points at the sweep entry. The grid's points are made from these
//! axes by `crate::sweep::points`; the declared figures are checked in [`super::figures`].

use crate::config::ConfigErrors;
use crate::config::limits::{MAX_PLAN_BYTES, MAX_REPLICATIONS, MAX_RUNS, MAX_STEPS};
use crate::config::sweep::{GridEntry, Range, Sweep};
use crate::config::yaml_source::{ConfigError, FieldPath, Location, SourceMap, error_at};
use yaml_serde::{Number, Value};

/// One swept field and its values.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub(crate) field: FieldPath,
    /// Where the field path is written (`field:` of the entry): unknown fields point here.
    pub(crate) field_at: Location,
    /// The values, each with its own positions (rooted at the value).
    pub(crate) values: Vec<(Value, SourceMap)>,
}

/// Parameters that vary together: one, or the members of a `zip`.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    pub(crate) params: Vec<Param>,
}

impl Axis {
    /// How many values the axis takes (every parameter of a zip has as many).
    pub(crate) fn count(&self) -> usize {
        self.params[0].values.len()
    }
}

/// Fields a sweep cannot vary: they are not part of a run.
const NOT_SWEEPABLE: [&str; 5] = [
    "sweep",
    "search",
    "test_overrides",
    "description",
    "model_overrides",
];

/// Checks `sweep` (found at `sweep` in `map`) and expands its grid into axes.
pub(crate) fn axes(
    sweep: &Sweep,
    map: &SourceMap,
    input_bytes: u64,
) -> Result<Vec<Axis>, ConfigErrors> {
    let at = FieldPath::root().key("sweep");
    let mut errors = Vec::new();
    if !(1..=MAX_REPLICATIONS).contains(&sweep.replications) {
        errors.push(error_at(
            map,
            &at.key("replications"),
            format!(
                "must be an integer from 1 to {MAX_REPLICATIONS}, got {}",
                sweep.replications
            ),
        ));
    }
    if sweep.grid.is_empty() {
        errors.push(error_at(
            map,
            &at.key("grid"),
            "must list at least one parameter to vary",
        ));
    }
    let mut axes = Vec::new();
    for (i, entry) in sweep.grid.iter().enumerate() {
        let path = at.key("grid").index(i);
        match &entry.zip {
            Some(members) => {
                if entry.field.is_some()
                    || entry.values.is_some()
                    || entry.linear.is_some()
                    || entry.log.is_some()
                {
                    errors.push(error_at(
                        map,
                        &path,
                        "a grid entry is either a `zip` of parameters or one parameter \
                         (`field` with `values`, `linear` or `log`), not both",
                    ));
                    continue;
                }
                if members.is_empty() {
                    errors.push(error_at(
                        map,
                        &path.key("zip"),
                        "must list at least one parameter",
                    ));
                    continue;
                }
                let mut params = Vec::new();
                for (j, member) in members.iter().enumerate() {
                    let p = path.key("zip").index(j);
                    if member.zip.is_some() {
                        errors.push(error_at(
                            map,
                            &p.key("zip"),
                            "a zip cannot contain another zip",
                        ));
                    } else if let Some(param) = param(member, &p, map, false, &mut errors) {
                        params.push((p.key(values_key(member)), param));
                    }
                }
                if params.len() == members.len() {
                    let (first_path, first) = &params[0];
                    for (p, other) in &params[1..] {
                        if other.values.len() != first.values.len() {
                            errors.push(error_at(
                                map,
                                p,
                                format!(
                                    "a zip needs equally many values: `{}` has {} but `{}` \
                                     (at {first_path}) has {}",
                                    other.field,
                                    other.values.len(),
                                    first.field,
                                    first.values.len()
                                ),
                            ));
                        }
                    }
                    // A member may repeat a value; the steps of the zip must differ.
                    let steps = params
                        .iter()
                        .map(|(_, p)| p.values.len())
                        .min()
                        .unwrap_or(0);
                    let step = |j: usize| -> Vec<String> {
                        params.iter().map(|(_, p)| render(&p.values[j].0)).collect()
                    };
                    for j in 0..steps {
                        if (0..j).any(|k| step(k) == step(j)) {
                            errors.push(error_at(
                                map,
                                &path.key("zip"),
                                format!(
                                    "takes the values ({}) twice: the runs would repeat",
                                    step(j).join(", ")
                                ),
                            ));
                        }
                    }
                    axes.push(Axis {
                        params: params.into_iter().map(|(_, p)| p).collect(),
                    });
                }
            }
            None => {
                if let Some(param) = param(entry, &path, map, true, &mut errors) {
                    axes.push(Axis {
                        params: vec![param],
                    });
                }
            }
        }
    }
    let fields: Vec<&FieldPath> = axes
        .iter()
        .flat_map(|a| a.params.iter().map(|p| &p.field))
        .collect();
    for (i, field) in fields.iter().enumerate() {
        if let Some(earlier) = fields[..i]
            .iter()
            .find(|f| field.starts_with(f) || f.starts_with(field))
        {
            let param = axes
                .iter()
                .flat_map(|a| &a.params)
                .nth(i)
                .expect("same order");
            errors.push(ConfigError {
                location: Some(param.field_at.clone()),
                path: Some(FieldPath::root().key("sweep").key("grid")),
                message: format!("`{field}` overlaps `{earlier}`, swept already"),
            });
        }
    }
    // The grid's size, before anything is expanded point by point.
    let points = axes
        .iter()
        .fold(1u64, |n, a| n.saturating_mul(a.count() as u64));
    let runs = points.saturating_mul(sweep.replications as u64);
    if errors.is_empty() && runs > MAX_RUNS {
        errors.push(error_at(
            map,
            &at.key("grid"),
            format!(
                "{points} points x {} replications = {runs} runs, more than {MAX_RUNS}; sweep \
                 fewer values or split the sweep into several experiments",
                sweep.replications
            ),
        ));
    }
    if errors.is_empty()
        && let Err(message) = check_planning_work(points, input_bytes)
    {
        errors.push(error_at(map, &at.key("grid"), message));
    }
    if errors.is_empty() {
        Ok(axes)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// Which of `values`, `linear` or `log` a parameter entry uses.
fn values_key(entry: &GridEntry) -> &'static str {
    match (&entry.values, &entry.linear) {
        (Some(_), _) => "values",
        (None, Some(_)) => "linear",
        (None, None) => "log",
    }
}

/// One parameter entry, checked and expanded; `None` after pushing its errors. `distinct`:
/// its values must all differ (a zip member's need not, only the zip's steps).
fn param(
    entry: &GridEntry,
    path: &FieldPath,
    map: &SourceMap,
    distinct: bool,
    errors: &mut Vec<ConfigError>,
) -> Option<Param> {
    let Some(field_text) = &entry.field else {
        errors.push(error_at(
            map,
            path,
            "missing `field`: the dotted path of the field to vary, e.g. \
             workload.guilds.sizes.fixed.members",
        ));
        return None;
    };
    let field_path = path.key("field");
    let field_at = map
        .locate(&field_path)
        .expect("a field written in the file has a location");
    let field = match FieldPath::parse(field_text) {
        Ok(f) if !f.is_root() => f,
        Ok(_) => {
            errors.push(error_at(map, &field_path, "must not be empty"));
            return None;
        }
        Err(e) => {
            errors.push(error_at(map, &field_path, e));
            return None;
        }
    };
    if let Some(top) = NOT_SWEEPABLE
        .iter()
        .find(|top| field.starts_with(&FieldPath::root().key(top)))
    {
        errors.push(error_at(
            map,
            &field_path,
            format!("`{top}` is not part of a run and cannot be swept"),
        ));
        return None;
    }
    let given = [
        entry.values.is_some(),
        entry.linear.is_some(),
        entry.log.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        errors.push(error_at(
            map,
            path,
            format!(
                "`{field}` needs exactly one of `values: [...]`, \
                 `linear: {{from, to, steps}}` or `log: {{from, to, steps}}`"
            ),
        ));
        return None;
    }
    let values: Vec<(Value, SourceMap)> = if let Some(list) = &entry.values {
        let p = path.key("values");
        if list.is_empty() {
            errors.push(error_at(
                map,
                &p,
                "is empty: list at least one value to run",
            ));
            return None;
        }
        list.iter()
            .enumerate()
            .map(|(j, v)| (v.clone(), map.subtree(&p.index(j))))
            .collect()
    } else {
        let (range, log, p) = match (&entry.linear, &entry.log) {
            (Some(r), _) => (r, false, path.key("linear")),
            (_, Some(r)) => (r, true, path.key("log")),
            _ => unreachable!("one of them is given"),
        };
        match expand(range, log) {
            Ok(values) => {
                let at = map.locate(&p).expect("a range in the file has a location");
                values
                    .into_iter()
                    .map(|v| (v, SourceMap::rooted_at(at.clone())))
                    .collect()
            }
            Err((key, message)) => {
                errors.push(error_at(map, &p.key(key), message));
                return None;
            }
        }
    };
    let rendered: Vec<String> = values.iter().map(|(v, _)| render(v)).collect();
    for (j, text) in rendered.iter().enumerate() {
        if distinct && rendered[..j].contains(text) {
            let p = match &entry.values {
                Some(_) => path.key("values").index(j),
                None => path.key(values_key(entry)),
            };
            let hint = if entry.values.is_none() {
                " (a range from and to integers gives integers: write `from: 1.0` for decimals, \
                 or take fewer steps)"
            } else {
                ""
            };
            errors.push(error_at(
                map,
                &p,
                format!("`{field}` takes the value {text} twice: the runs would repeat{hint}"),
            ));
            return None;
        }
    }
    Some(Param {
        field,
        field_at,
        values,
    })
}

/// The values of a range; on error the offending key of the range and a message.
fn expand(range: &Range, log: bool) -> Result<Vec<Value>, (&'static str, String)> {
    let (from, to) = (number(&range.from), number(&range.to));
    for (key, v) in [("from", from), ("to", to)] {
        if !v.is_finite() {
            return Err((key, format!("must be a finite number, got {v}")));
        }
        if log && v <= 0.0 {
            return Err((key, format!("a log range needs numbers > 0, got {v}")));
        }
    }
    if range.steps == 0 {
        return Err(("steps", "must be >= 1: an empty range gives no runs".into()));
    }
    if range.steps > MAX_STEPS {
        return Err((
            "steps",
            format!("must be at most {MAX_STEPS}, got {}", range.steps),
        ));
    }
    if range.steps == 1 && from != to {
        return Err((
            "steps",
            format!("1 step cannot reach from {from} to {to}: use >= 2, or `values: [{from}]`"),
        ));
    }
    let integers = !range.from.is_f64() && !range.to.is_f64();
    let n = range.steps as usize;
    let values = (0..n)
        .map(|i| {
            let t = if n == 1 {
                0.0
            } else {
                i as f64 / (n - 1) as f64
            };
            let x = match (i, log) {
                (0, _) => from,
                (i, _) if i == n - 1 => to,
                (_, false) => from + (to - from) * t,
                (_, true) => (from.ln() + (to.ln() - from.ln()) * t).exp(),
            };
            if integers {
                Value::Number(Number::from(x.round() as i64))
            } else {
                Value::Number(Number::from(round_significant(x, 12)))
            }
        })
        .collect();
    Ok(values)
}

fn number(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// `x` rounded to `digits` significant digits (so ranges carry no float noise such as
/// 0.30000000000000004).
pub(crate) fn round_significant(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{:.*e}", digits.saturating_sub(1), x)
        .parse()
        .unwrap_or(x)
}

/// A value as text for tables, legends and folder names: strings as they are, numbers and
/// booleans as YAML writes them, anything else as compact JSON.
pub(crate) fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

/// Refuses a grid whose planning would take too long: every point is checked as a run, which
/// costs about the size of the experiment's files, so points x input bytes is bounded
/// ([`MAX_PLAN_BYTES`]).
pub(crate) fn check_planning_work(points: u64, input_bytes: u64) -> Result<(), String> {
    let work = points.saturating_mul(input_bytes.max(1));
    if work > MAX_PLAN_BYTES {
        return Err(format!(
            "{points} points, each checked as a run of {input_bytes} bytes of experiment and \
             model files: {work} bytes to check, more than {MAX_PLAN_BYTES} (about two minutes); \
             sweep fewer points, or shorten the files (a `zipf` or `fixed` size distribution \
             instead of a long `list`)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Number, to: Number, steps: u32) -> Range {
        Range { from, to, steps }
    }

    fn texts(values: Vec<Value>) -> Vec<String> {
        values.iter().map(render).collect()
    }

    #[test]
    fn log_range_of_integers_is_rounded_and_keeps_its_ends() {
        let v = expand(&range(100.into(), 100_000.into(), 7), true).unwrap();
        assert_eq!(
            texts(v),
            ["100", "316", "1000", "3162", "10000", "31623", "100000"]
        );
    }

    #[test]
    fn linear_range_of_floats_has_no_float_noise() {
        let v = expand(&range(Number::from(0.1), Number::from(0.5), 5), false).unwrap();
        assert_eq!(texts(v), ["0.1", "0.2", "0.3", "0.4", "0.5"]);
    }

    #[test]
    fn empty_and_impossible_ranges_name_the_key() {
        assert_eq!(
            expand(&range(1.into(), 5.into(), 0), false).unwrap_err().0,
            "steps"
        );
        assert_eq!(
            expand(&range(0.into(), 5.into(), 3), true).unwrap_err().0,
            "from"
        );
        assert_eq!(
            expand(&range(1.into(), 5.into(), 1), false).unwrap_err().0,
            "steps"
        );
        assert_eq!(
            texts(expand(&range(7.into(), 7.into(), 1), false).unwrap()),
            ["7"]
        );
    }
}
