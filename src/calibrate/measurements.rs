//! Measurement files in the testbed's documented format (testbed/README.md, "The CSV
//! format"): comment lines `# key: value` about the machine, one header line naming the
//! columns, then one line per measured configuration. Fields are separated by commas and never
//! quoted; an empty field is a statistic without samples.
//!
//! Reading is total: any file gets either its rows or errors that name the file, the line
//! and column, the column's name, what was wrong and what is allowed.

use super::metrics::{METRICS, MetricId};
use crate::identity::sha256_hex;
use std::fmt;
use std::path::{Path, PathBuf};

/// At most this many rows over all files (each becomes at least one guildsim run).
pub(crate) const MAX_ROWS: usize = 100_000;

/// Fan-out of a measured configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mode {
    Naive,
    Manifold,
}

impl Mode {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Naive => "naive",
            Mode::Manifold => "manifold",
        }
    }
}

/// What was measured: the configuration columns.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Config {
    pub(crate) mode: Mode,
    pub(crate) schedulers: u32,
    pub(crate) members: u32,
    pub(crate) rate_per_s: f64,
    pub(crate) presence_per_session_per_s: f64,
    pub(crate) duration_s: f64,
    pub(crate) payload_bytes: Option<u64>,
    pub(crate) target_utilisation: Option<f64>,
}

/// One measured configuration.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// Index into the files read.
    pub(crate) file: usize,
    pub(crate) line: usize,
    pub(crate) config: Config,
    /// Whether every delivery arrived before the testbed stopped waiting (`drained`).
    pub(crate) drained: bool,
    /// The measured statistics, in microseconds, by [`MetricId`] (`None`: an empty field).
    pub(crate) values: Vec<Option<f64>>,
    /// The 1-based column of each metric's field, for errors about it.
    pub(crate) value_columns: Vec<usize>,
}

impl Row {
    pub(crate) fn value(&self, m: MetricId) -> Option<f64> {
        self.values[m.0]
    }
}

/// A file read: its name as given, its SHA-256, its comment facts and how many rows it held.
#[derive(Clone, Debug)]
pub(crate) struct FileInfo {
    pub(crate) path: PathBuf,
    pub(crate) sha256: String,
    pub(crate) facts: Vec<(String, String)>,
    pub(crate) rows: usize,
}

/// Every row of every file, in file order then line order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Measurements {
    pub(crate) files: Vec<FileInfo>,
    pub(crate) rows: Vec<Row>,
}

/// A problem with a measurement file, located: `file:line:column: name: message`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MeasurementError {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The column's name, when the problem is about one field.
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl fmt::Display for MeasurementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in the measurement files, one per line.
#[derive(Debug)]
pub(crate) struct MeasurementErrors(pub Vec<MeasurementError>);

impl fmt::Display for MeasurementErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid measurements")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for MeasurementErrors {}

/// What a column holds.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Mode,
    SessionVm,
    Integer { min: u64, max: u64 },
    Number { min: f64, max: f64, above_min: bool },
    Boolean,
}

/// A column of the format: its name, what it holds, whether the header must have it and
/// whether its fields may be empty.
#[derive(Clone, Copy, Debug)]
struct Column {
    name: &'static str,
    kind: Kind,
    required: bool,
    may_be_empty: bool,
}

const fn col(name: &'static str, kind: Kind, required: bool, may_be_empty: bool) -> Column {
    Column {
        name,
        kind,
        required,
        may_be_empty,
    }
}

const COUNT: Kind = Kind::Integer {
    min: 0,
    max: u64::MAX >> 11,
};
const DURATION_US: Kind = Kind::Number {
    min: 0.0,
    max: 1e13,
    above_min: false,
};

/// The configuration and count columns (the metric columns come from [`METRICS`]).
const COLUMNS: &[Column] = &[
    col("mode", Kind::Mode, true, false),
    col(
        "schedulers",
        Kind::Integer { min: 1, max: 1024 },
        true,
        false,
    ),
    col(
        "members",
        Kind::Integer {
            min: 1,
            max: 10_000_000,
        },
        true,
        false,
    ),
    col(
        "rate_per_s",
        Kind::Number {
            min: 0.0,
            max: 1e6,
            above_min: true,
        },
        true,
        false,
    ),
    col(
        "presence_per_session_per_s",
        Kind::Number {
            min: 0.0,
            max: 1e6,
            above_min: false,
        },
        false,
        false,
    ),
    col(
        "duration_s",
        Kind::Number {
            min: 0.0,
            max: 1e6,
            above_min: true,
        },
        true,
        false,
    ),
    col(
        "payload_bytes",
        Kind::Integer {
            min: 0,
            max: 1 << 24,
        },
        false,
        false,
    ),
    col("session_vm", Kind::SessionVm, false, false),
    col("seed", COUNT, false, true),
    col(
        "target_utilisation",
        Kind::Number {
            min: 0.0,
            max: 1e6,
            above_min: false,
        },
        false,
        true,
    ),
    col("probe_makespan_us", DURATION_US, false, true),
    col("publishes", COUNT, false, true),
    col("presence_events", COUNT, false, true),
    col("drained", Kind::Boolean, false, false),
    col("latency_count", COUNT, false, true),
    col("fanout_count", COUNT, false, true),
    col("presence_latency_count", COUNT, false, true),
    col("wake_lag_us_mean", DURATION_US, false, true),
    col("wake_lag_us_max", DURATION_US, false, true),
];

/// The column named `name`, if the format has one.
fn column(name: &str) -> Option<Column> {
    COLUMNS
        .iter()
        .copied()
        .find(|c| c.name == name)
        .or_else(|| {
            METRICS
                .iter()
                .find(|m| m.column == name)
                .map(|m| col(m.column, DURATION_US, false, true))
        })
}

fn known_names() -> String {
    COLUMNS
        .iter()
        .map(|c| c.name)
        .chain(METRICS.iter().map(|m| m.column))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads `paths` (files, or folders whose `*.csv` files are read in name order).
pub(crate) fn read(paths: &[PathBuf]) -> Result<Measurements, MeasurementErrors> {
    let mut out = Measurements::default();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            match csv_files_in(path) {
                Ok(found) if found.is_empty() => errors.push(whole(
                    path,
                    "the folder holds no .csv file (measurements are *.csv files)",
                )),
                Ok(found) => files.extend(found),
                Err(e) => errors.push(whole(path, &format!("cannot read the folder: {e}"))),
            }
        } else {
            files.push(path.clone());
        }
    }
    for path in files {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                errors.push(whole(&path, &format!("cannot read the file: {e}")));
                continue;
            }
        };
        let index = out.files.len();
        match parse(&path, &bytes, index) {
            Ok((facts, rows)) => {
                out.files.push(FileInfo {
                    path: path.clone(),
                    sha256: sha256_hex(&bytes),
                    facts,
                    rows: rows.len(),
                });
                out.rows.extend(rows);
            }
            Err(e) => errors.extend(e),
        }
        if out.rows.len() > MAX_ROWS {
            errors.push(whole(
                &path,
                &format!("more than {MAX_ROWS} rows in all: calibrate on fewer measurements"),
            ));
            break;
        }
    }
    if errors.is_empty() && out.rows.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        errors.push(MeasurementError {
            file: names.join(", "),
            line: 0,
            column: 0,
            field: None,
            message: "no measured configuration: every file has a header but no row".into(),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(MeasurementErrors(errors))
    }
}

fn csv_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "csv"))
        .collect();
    found.sort();
    Ok(found)
}

fn whole(path: &Path, message: &str) -> MeasurementError {
    MeasurementError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        field: None,
        message: message.into(),
    }
}

/// A file's `# key: value` comment lines.
type Facts = Vec<(String, String)>;

/// One file's comment facts and rows.
fn parse(
    path: &Path,
    bytes: &[u8],
    index: usize,
) -> Result<(Facts, Vec<Row>), Vec<MeasurementError>> {
    let file = path.display().to_string();
    let at = |line: usize, column: usize, field: Option<&str>, message: String| MeasurementError {
        file: file.clone(),
        line,
        column,
        field: field.map(str::to_string),
        message,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(vec![at(line, 1, None, "not UTF-8 text".into())]);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut facts = Vec::new();
    let mut header: Option<(usize, Vec<Column>)> = None;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if header.is_none()
                && let Some((k, v)) = comment.split_once(':')
            {
                facts.push((k.trim().to_string(), v.trim().to_string()));
            }
            continue;
        }
        if let Some(q) = line.find('"') {
            errors.push(at(
                line_no,
                line[..q].chars().count() + 1,
                None,
                "quotes are not part of the format: fields are numbers, words or empty, \
                 separated by commas"
                    .into(),
            ));
            continue;
        }
        let fields = split_fields(line);
        match &header {
            None => match parse_header(&fields) {
                Ok(columns) => header = Some((line_no, columns)),
                Err((column, field, message)) => {
                    errors.push(at(line_no, column, field.as_deref(), message));
                    return Err(errors);
                }
            },
            Some((header_line, columns)) => {
                if fields.len() != columns.len() {
                    errors.push(at(
                        line_no,
                        1,
                        None,
                        format!(
                            "has {} fields, but the header (line {header_line}) names {} columns",
                            fields.len(),
                            columns.len()
                        ),
                    ));
                    continue;
                }
                match parse_row(columns, &fields, index, line_no) {
                    Ok(row) => rows.push(row),
                    Err(problems) => errors.extend(
                        problems
                            .into_iter()
                            .map(|(c, name, m)| at(line_no, c, Some(&name), m)),
                    ),
                }
            }
        }
    }
    if header.is_none() && errors.is_empty() {
        errors.push(at(
            0,
            0,
            None,
            "no header line: the first line that is not a comment names the columns \
             (mode,schedulers,members,rate_per_s,duration_s,...)"
                .into(),
        ));
    }
    if errors.is_empty() {
        Ok((facts, rows))
    } else {
        Err(errors)
    }
}

/// The fields of a line with the 1-based character column each starts at.
fn split_fields(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut column = 1;
    for field in line.split(',') {
        out.push((column, field));
        column += field.chars().count() + 1;
    }
    out
}

type Problem = (usize, Option<String>, String);

fn parse_header(fields: &[(usize, &str)]) -> Result<Vec<Column>, Problem> {
    let mut columns: Vec<Column> = Vec::new();
    for &(c, name) in fields {
        let name = name.trim();
        let Some(spec) = column(name) else {
            return Err((
                c,
                None,
                format!(
                    "unknown column `{name}` in the header; the format's columns are: {}",
                    known_names()
                ),
            ));
        };
        if columns.iter().any(|k| k.name == spec.name) {
            return Err((
                c,
                Some(name.into()),
                "the header names this column twice".into(),
            ));
        }
        columns.push(spec);
    }
    for spec in COLUMNS.iter().filter(|c| c.required) {
        if !columns.iter().any(|k| k.name == spec.name) {
            return Err((
                1,
                None,
                format!(
                    "the header lacks the column `{}`; every file needs mode, schedulers, \
                     members, rate_per_s and duration_s",
                    spec.name
                ),
            ));
        }
    }
    Ok(columns)
}

/// A parsed field.
#[derive(Clone, Copy, Debug)]
enum Cell {
    Empty,
    Mode(Mode),
    Local(bool),
    Integer(u64),
    Number(f64),
    Boolean(bool),
}

fn parse_cell(column: &Column, text: &str) -> Result<Cell, String> {
    let text = text.trim();
    if text.is_empty() {
        return if column.may_be_empty {
            Ok(Cell::Empty)
        } else {
            Err(format!("must not be empty ({})", allowed(column.kind)))
        };
    }
    let bad = || format!("must be {}, got `{}`", allowed(column.kind), shorten(text));
    match column.kind {
        Kind::Mode => match text {
            "naive" => Ok(Cell::Mode(Mode::Naive)),
            "manifold" => Ok(Cell::Mode(Mode::Manifold)),
            _ => Err(bad()),
        },
        Kind::SessionVm => match text {
            "local" => Ok(Cell::Local(true)),
            "remote" => Ok(Cell::Local(false)),
            _ => Err(bad()),
        },
        Kind::Boolean => match text {
            "true" => Ok(Cell::Boolean(true)),
            "false" => Ok(Cell::Boolean(false)),
            _ => Err(bad()),
        },
        Kind::Integer { min, max } => match text.parse::<u64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(Cell::Integer(v)),
            _ => Err(bad()),
        },
        Kind::Number {
            min,
            max,
            above_min,
        } => match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v <= max && (v > min || (!above_min && v == min)) => {
                Ok(Cell::Number(v))
            }
            _ => Err(bad()),
        },
    }
}

fn allowed(kind: Kind) -> String {
    match kind {
        Kind::Mode => "`naive` or `manifold`".into(),
        Kind::SessionVm => "`local` or `remote`".into(),
        Kind::Boolean => "`true` or `false`".into(),
        Kind::Integer { min, max } => format!("an integer from {min} to {max}"),
        Kind::Number {
            min,
            max,
            above_min,
        } => {
            let from = if above_min { "above" } else { "from" };
            format!("a number {from} {min} to {max:e}")
        }
    }
}

/// At most 40 characters of a bad field, for messages.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(40).collect::<String>())
    }
}

fn parse_row(
    columns: &[Column],
    fields: &[(usize, &str)],
    file: usize,
    line: usize,
) -> Result<Row, Vec<(usize, String, String)>> {
    let mut problems = Vec::new();
    let mut cells: Vec<(usize, &'static str, Cell)> = Vec::new();
    for (spec, &(c, text)) in columns.iter().zip(fields) {
        match parse_cell(spec, text) {
            Ok(cell) => cells.push((c, spec.name, cell)),
            Err(m) => problems.push((c, spec.name.to_string(), m)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let get = |name: &str| {
        cells
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|x| (x.0, x.2))
    };
    let int = |name: &str| match get(name) {
        Some((_, Cell::Integer(v))) => Some(v),
        _ => None,
    };
    let num = |name: &str| match get(name) {
        Some((_, Cell::Number(v))) => Some(v),
        _ => None,
    };
    if let Some((c, Cell::Local(false))) = get("session_vm") {
        return Err(vec![(
            c,
            "session_vm".into(),
            "calibrate mirrors the testbed's one VM: only `local` rows (sessions on the guild's \
             VM) can be matched by a guildsim experiment"
                .into(),
        )]);
    }
    let mode = match get("mode") {
        Some((_, Cell::Mode(m))) => m,
        _ => unreachable!("the header has a mode column and its cells parse as modes"),
    };
    let config = Config {
        mode,
        schedulers: int("schedulers").expect("required") as u32,
        members: int("members").expect("required") as u32,
        rate_per_s: num("rate_per_s").expect("required"),
        presence_per_session_per_s: num("presence_per_session_per_s").unwrap_or(0.0),
        duration_s: num("duration_s").expect("required"),
        payload_bytes: int("payload_bytes"),
        target_utilisation: num("target_utilisation"),
    };
    let values = METRICS.iter().map(|m| num(m.column)).collect();
    let value_columns = METRICS
        .iter()
        .map(|m| get(m.column).map_or(0, |x| x.0))
        .collect();
    Ok(Row {
        file,
        line,
        config,
        drained: !matches!(get("drained"), Some((_, Cell::Boolean(false)))),
        values,
        value_columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Result<Vec<Row>, Vec<MeasurementError>> {
        parse(Path::new("m.csv"), text.as_bytes(), 0).map(|(_, rows)| rows)
    }

    const HEADER: &str = "mode,schedulers,members,rate_per_s,duration_s,latency_us_mean";

    #[test]
    fn a_minimal_file_reads() {
        let r = rows(&format!("# otp: 25\n{HEADER}\nnaive,1,100,500,5,12.5\n")).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].line, 3);
        assert_eq!(r[0].config.members, 100);
        assert_eq!(r[0].value(MetricId(0)), Some(12.5));
    }

    #[test]
    fn errors_name_line_column_and_field() {
        let e = rows(&format!("{HEADER}\nnaive,1,100,fast,5,1\n")).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "m.csv:2:13: rate_per_s: must be a number above 0 to 1e6, got `fast`"
        );
        let e = rows("mode,schedulers,members,rate,duration_s\n").unwrap_err();
        assert!(
            e[0].to_string()
                .starts_with("m.csv:1:25: unknown column `rate`")
        );
        let e = rows(&format!("{HEADER}\nnaive,1,100\n")).unwrap_err();
        assert!(e[0].to_string().contains("has 3 fields"), "{}", e[0]);
    }
}
