//! `guildsim compare BASE NEW`: the metrics of two run folders (each `summary.json`) or two
//! sweep folders (each `aggregate.csv`), side by side: both values, the change and its
//! percentage; for sweeps, per point, whether the means differ beyond what the replications'
//! spread explains (Welch's t, [`welch`]). Folders of different experiments, or of other
//! shapes (other metrics, swept fields or points), are refused. Reads only, but for the table
//! as CSV where asked ([`csv_target`]: never inside a results folder, never over an existing
//! file); the caller prints the table.

pub mod welch;

use crate::error::Refused;
use crate::files::atomic::write_new;
use crate::files::manifest::{KEY_FILE, RunManifest};
use crate::files::paths;
use crate::files::sweep_manifest::MANIFEST;
use crate::files::sweep_manifest::read_manifests;
use crate::metrics::flat;
use crate::report::SUMMARY;
use crate::sweep::aggregate::AGGREGATE_CSV;
use crate::table::{self, fmt_num};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use welch::Sample;

/// The comparison: a table (one row per metric, or per point and metric) and its findings.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub experiment: String,
    /// `run` or `sweep`.
    pub kind: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per row: whether it differs (a run: any change; a sweep point: beyond the 95 % level,
    /// or any change when a side has one replication).
    pub(crate) differs: Vec<bool>,
    /// Per row: the absolute change in percent of the base value (infinite from 0 to
    /// anything else, or from a value to none; `None` for no change at all).
    pub(crate) percent: Vec<Option<f64>>,
}

impl Comparison {
    /// Rows that differ and change by more than `percent` (every differing row for `None`).
    pub fn above(&self, percent: Option<f64>) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| self.differs[i])
            .filter(|&i| match (percent, self.percent[i]) {
                (None, _) => true,
                (Some(limit), Some(p)) => p > limit,
                (Some(_), None) => false,
            })
            .collect()
    }

    /// The table as CSV.
    pub(crate) fn csv(&self) -> Vec<u8> {
        table::csv(&self.header, &self.rows)
    }

    /// Writes the table as CSV to `file` (from [`csv_target`]), which must not exist.
    pub fn write_csv(&self, file: &Path) -> crate::error::Result<()> {
        Ok(write_new(file, &self.csv())?)
    }
}

/// What kind of results folder `dir` is; an error that says what it lacks otherwise, or
/// that its files are not those its manifest records (compare reads only whole results).
fn kind(dir: &Path) -> Result<&'static str> {
    if dir.join(KEY_FILE).is_file() && dir.join(SUMMARY).is_file() {
        let m = RunManifest::read(dir).with_context(|| {
            format!(
                "{} is not a manifest guildsim wrote",
                dir.join(KEY_FILE).display()
            )
        })?;
        if let Err(why) = m.verify(dir) {
            bail!(
                "{}: {why}; compare reads only whole runs as guildsim wrote them",
                dir.display()
            );
        }
        return Ok("run");
    }
    if dir.join(MANIFEST).is_file() {
        if dir.join(AGGREGATE_CSV).is_file() {
            let manifests = read_manifests(dir)?;
            let bytes = std::fs::read(dir.join(AGGREGATE_CSV))
                .with_context(|| format!("cannot read {}", dir.join(AGGREGATE_CSV).display()))?;
            let recorded = manifests
                .iter()
                .flat_map(|f| f.manifest.records_of(AGGREGATE_CSV))
                .any(|r| r.matches(&bytes));
            if !recorded {
                bail!(
                    "{}: {AGGREGATE_CSV} is not the one {MANIFEST} records (changed after \
                     guildsim wrote it); compare reads only whole sweeps as guildsim wrote them",
                    dir.display()
                );
            }
            return Ok("sweep");
        }
        bail!(
            "{} is a sweep or search folder without {AGGREGATE_CSV} (a shard, or a search): \
             compare needs a complete sweep (merge its shards first)",
            dir.display()
        );
    }
    bail!(
        "{} is not a results folder of guildsim: a run's has {KEY_FILE} and {SUMMARY}, a \
         sweep's {MANIFEST} and {AGGREGATE_CSV}",
        dir.display()
    )
}

/// Compares the results folders `base` and `new`; `metrics` (if not empty) limits the
/// comparison to these metric names, each of which must exist.
pub fn compare(base: &Path, new: &Path, metrics: &[String]) -> crate::error::Result<Comparison> {
    Ok(compare_folders(base, new, metrics)?)
}

/// Where `--csv FILE` writes the table, resolved: refused inside the results folders `base` and
/// `new` (which hold only guildsim's files), wherever it really lies.
pub fn csv_target(file: &Path, base: &Path, new: &Path) -> crate::error::Result<PathBuf> {
    let resolved = paths::resolve(file, "--csv")?;
    for dir in [base, new] {
        if let Ok(dir) = paths::existing_folder(dir, "compare")
            && resolved.path().starts_with(&dir)
        {
            return Err(Refused(format!(
                "--csv {}: not inside a results folder ({}), which holds only guildsim's files",
                file.display(),
                dir.display()
            ))
            .into());
        }
    }
    Ok(resolved.path())
}

fn compare_folders(base: &Path, new: &Path, metrics: &[String]) -> Result<Comparison> {
    let (kb, kn) = (kind(base)?, kind(new)?);
    if kb != kn {
        bail!(
            "cannot compare a {kb} folder ({}) with a {kn} folder ({})",
            base.display(),
            new.display()
        );
    }
    let (eb, en) = (experiment(base, kb)?, experiment(new, kn)?);
    if eb != en {
        bail!(
            "cannot compare results of different experiments: {} is from `{eb}`, {} from `{en}`",
            base.display(),
            new.display()
        );
    }
    let mut c = if kb == "run" {
        compare_runs(base, new)?
    } else {
        compare_sweeps(base, new)?
    };
    c.experiment = eb;
    if !metrics.is_empty() {
        keep_metrics(&mut c, metrics)?;
    }
    Ok(c)
}

/// The experiment that wrote a folder (`summary.json`'s or `sweep.json`'s `experiment`).
fn experiment(dir: &Path, kind: &str) -> Result<String> {
    let file = if kind == "run" { SUMMARY } else { MANIFEST };
    let value = read_json(&dir.join(file))?;
    value["experiment"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("{} names no experiment", dir.join(file).display()))
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Keeps the rows of `metrics` only (the `metric` column); an unknown name is an error.
fn keep_metrics(c: &mut Comparison, metrics: &[String]) -> Result<()> {
    let col = c
        .header
        .iter()
        .position(|h| h == "metric")
        .expect("a metric column");
    for m in metrics {
        if !c.rows.iter().any(|r| &r[col] == m) {
            bail!(
                "--metric {m}: no such metric in these folders (a dotted name of summary.json, e.g. latency_ms.p99)"
            );
        }
    }
    let keep: Vec<bool> = c.rows.iter().map(|r| metrics.contains(&r[col])).collect();
    let kept = |i: &usize| keep[*i];
    let idx: Vec<usize> = (0..keep.len()).filter(kept).collect();
    c.rows = idx.iter().map(|&i| c.rows[i].clone()).collect();
    c.differs = idx.iter().map(|&i| c.differs[i]).collect();
    c.percent = idx.iter().map(|&i| c.percent[i]).collect();
    Ok(())
}

/// The change from `base` to `new` and its absolute percentage (see [`Comparison::percent`]).
fn change(base: Option<f64>, new: Option<f64>) -> (String, String, Option<f64>) {
    match (base, new) {
        (Some(b), Some(n)) if b == n => ("0".into(), "0".into(), None),
        (Some(b), Some(n)) => {
            let pct = if b != 0.0 {
                (n - b) / b.abs() * 100.0
            } else {
                f64::INFINITY.copysign(n)
            };
            let text = if pct.is_finite() {
                fmt_num(pct)
            } else {
                String::new()
            };
            (fmt_num(n - b), text, Some(pct.abs()))
        }
        (None, None) => (String::new(), String::new(), None),
        _ => (String::new(), String::new(), Some(f64::INFINITY)),
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(fmt_num).unwrap_or_default()
}

fn compare_runs(base: &Path, new: &Path) -> Result<Comparison> {
    let read = |dir: &Path| -> Result<Vec<(String, Option<f64>)>> {
        let summary = read_json(&dir.join(SUMMARY))?;
        Ok(flat::flatten(&summary)
            .into_iter()
            .map(|(name, n)| (name, n.and_then(|n| n.as_f64())))
            .collect())
    };
    let (b, n) = (read(base)?, read(new)?);
    let names = |m: &[(String, Option<f64>)]| m.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    same_names("metrics", base, new, &names(&b), &names(&n))?;
    let header = ["metric", "base", "new", "change", "change_percent"];
    let mut c = empty("run", &header);
    for ((name, vb), (_, vn)) in b.iter().zip(&n) {
        let (diff, pct_text, pct) = change(*vb, *vn);
        c.rows
            .push(vec![name.clone(), opt(*vb), opt(*vn), diff, pct_text]);
        c.differs.push(pct.is_some());
        c.percent.push(pct);
    }
    Ok(c)
}

fn empty(kind: &'static str, header: &[&str]) -> Comparison {
    Comparison {
        experiment: String::new(),
        kind,
        header: header.iter().map(|s| s.to_string()).collect(),
        rows: Vec::new(),
        differs: Vec::new(),
        percent: Vec::new(),
    }
}

/// Refuses two folders whose lists (metrics, swept fields, points) differ, naming the first
/// difference.
fn same_names(what: &str, base: &Path, new: &Path, b: &[String], n: &[String]) -> Result<()> {
    if b == n {
        return Ok(());
    }
    let only = |x: &[String], y: &[String]| x.iter().find(|v| !y.contains(v)).cloned();
    let detail = match (only(b, n), only(n, b)) {
        (Some(v), _) => format!("`{v}` is only in {}", base.display()),
        (_, Some(v)) => format!("`{v}` is only in {}", new.display()),
        _ => "they come in another order".into(),
    };
    bail!(
        "cannot compare folders of different shapes: their {what} differ ({detail}); compare \
         results of the same experiment with the same windows and grid"
    )
}

/// One row of `aggregate.csv` as compare reads it.
struct AggRow {
    /// `point` and the swept fields' values.
    key: Vec<String>,
    metric: String,
    sample: Option<Sample>,
}

fn read_aggregate(dir: &Path) -> Result<(Vec<String>, Vec<AggRow>)> {
    let path = dir.join(AGGREGATE_CSV);
    let mut r =
        csv::Reader::from_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let header: Vec<String> = r.headers()?.iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(metric), Some(n), Some(mean), Some(sd)) =
        (col("metric"), col("replications"), col("mean"), col("sd"))
    else {
        bail!("{} lacks the columns of an aggregate table", path.display());
    };
    let mut rows = Vec::new();
    for record in r.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        let field = |i: usize| record.get(i).unwrap_or_default();
        let num = |i: usize| field(i).parse::<f64>().ok();
        let count: usize = field(n).parse().unwrap_or(0);
        let sample = match (count, num(mean)) {
            (1.., Some(m)) => Some(Sample {
                n: count,
                mean: m,
                sd: num(sd).unwrap_or(0.0),
            }),
            _ => None,
        };
        rows.push(AggRow {
            key: (0..metric).map(|i| field(i).to_string()).collect(),
            metric: field(metric).to_string(),
            sample,
        });
    }
    Ok((header[..metric].to_vec(), rows))
}

fn compare_sweeps(base: &Path, new: &Path) -> Result<Comparison> {
    let ((hb, b), (hn, n)) = (read_aggregate(base)?, read_aggregate(new)?);
    same_names("swept fields", base, new, &hb, &hn)?;
    let points = |rows: &[AggRow]| {
        let mut p: Vec<String> = rows.iter().map(|r| r.key.join(" ")).collect();
        p.dedup();
        p
    };
    same_names("points", base, new, &points(&b), &points(&n))?;
    let metrics = |rows: &[AggRow]| rows.iter().map(|r| r.metric.clone()).collect::<Vec<_>>();
    same_names("metrics", base, new, &metrics(&b), &metrics(&n))?;
    let mut header: Vec<&str> = hb.iter().map(String::as_str).collect();
    header.extend([
        "metric",
        "base_replications",
        "base_mean",
        "new_replications",
        "new_mean",
        "change",
        "change_percent",
        "beyond_95ci",
    ]);
    let mut c = empty("sweep", &header);
    for (rb, rn) in b.iter().zip(&n) {
        let (mb, mn) = (rb.sample.map(|s| s.mean), rn.sample.map(|s| s.mean));
        let (diff, pct_text, pct) = change(mb, mn);
        // Beyond the replications' spread: Welch's t; without spread on a side (one
        // replication), any change counts.
        let test = match (rb.sample, rn.sample) {
            (Some(sb), Some(sn)) => welch::differs(sb, sn),
            _ => None,
        };
        let differs = test.unwrap_or(pct.is_some());
        let mut row = rb.key.clone();
        row.extend([
            rb.metric.clone(),
            rb.sample.map_or(0, |s| s.n).to_string(),
            opt(mb),
            rn.sample.map_or(0, |s| s.n).to_string(),
            opt(mn),
            diff,
            pct_text,
            test.map(|t| if t { "yes" } else { "no" }.to_string())
                .unwrap_or_default(),
        ]);
        c.rows.push(row);
        c.differs.push(differs);
        c.percent.push(pct);
    }
    Ok(c)
}
