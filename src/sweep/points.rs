//! The points of a sweep's grid: every combination of one value per axis, and the folder
//! each point's runs go to.

use crate::config::validate::sweep::Axis;
use crate::config::yaml_source::FieldPath;
use crate::identity::sha256_hex;

/// One combination of swept values.
#[derive(Clone, Debug)]
pub struct Point {
    /// The value of each column, as text.
    pub labels: Vec<String>,
    /// The point's folder under `runs/`.
    pub dir: String,
}

/// Every combination of one value per axis, the first axis varying slowest.
pub(crate) fn combinations(axes: &[Axis]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for axis in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..axis.count()).map(move |k| {
                    let mut c = prefix.clone();
                    c.push(k);
                    c
                })
            })
            .collect();
    }
    out
}

/// Folder names of the points: the point's index and its values, `03-strategy=naive,members=1000`
/// (the last key of each field, or the whole path where two fields end alike), or
/// `03-point-<hash>` when that would be too long or two points would share a name.
pub(crate) fn point_dirs(columns: &[String], points: &[Vec<String>]) -> Vec<String> {
    let last = |c: &String| -> String {
        FieldPath::parse(c)
            .ok()
            .and_then(|p| p.last_key().map(str::to_string))
            .unwrap_or_else(|| c.clone())
    };
    let short: Vec<String> = columns
        .iter()
        .map(|c| {
            let clash = columns.iter().filter(|o| last(o) == last(c)).count() > 1;
            if clash { c.clone() } else { last(c) }
        })
        .collect();
    let sanitize = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-+".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let names: Vec<String> = points
        .iter()
        .map(|labels| {
            short
                .iter()
                .zip(labels)
                .map(|(k, v)| format!("{}={}", sanitize(k), sanitize(v)))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    // The point's index first, padded to the same width, so that folders list in the grid's
    // order (numeric order for a range), not in text order (`members=1000` before `316`).
    let width = points.len().saturating_sub(1).to_string().len();
    names
        .iter()
        .zip(points)
        .enumerate()
        .map(|(i, (name, labels))| {
            let unique = names.iter().filter(|n| *n == name).count() == 1;
            if unique && name.len() <= 120 {
                format!("{i:0width$}-{name}")
            } else {
                let text = labels.join("\n");
                format!("{i:0width$}-point-{}", &sha256_hex(text.as_bytes())[..16])
            }
        })
        .collect()
}
