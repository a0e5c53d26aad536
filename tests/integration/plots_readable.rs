//! Plots a reader understands, on every shipped experiment at test scale: no legend drawn
//! over data (checked on the drawn SVG: no data point, line or band under a legend box), axis
//! labels and legends in words rather than field paths or JSON, and no storm timeline for an
//! experiment without a storm.

use super::support::{root, run_test_scale, scratch_dir};
use std::path::{Path, PathBuf};

/// A rectangle in SVG pixels: x, y, width, height.
type Rect = (f64, f64, f64, f64);

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn points(list: &str) -> Vec<(f64, f64)> {
    list.split_whitespace()
        .filter_map(|p| p.split_once(','))
        .filter_map(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
        .collect()
}

/// The legend boxes of an SVG, and its data elements as lists of points (lines sampled
/// along their segments).
fn legend_and_data(svg: &str) -> (Vec<Rect>, Vec<Vec<(f64, f64)>>) {
    let mut legends = Vec::new();
    let mut data = Vec::new();
    for tag in svg.split('<').map(|t| t.split('>').next().unwrap_or("")) {
        if tag.starts_with("rect") && attr(tag, "opacity").as_deref() == Some("0.85") {
            legends.push((
                num(tag, "x"),
                num(tag, "y"),
                num(tag, "width"),
                num(tag, "height"),
            ));
        }
        let stroke = attr(tag, "stroke").unwrap_or_default();
        let fill = attr(tag, "fill").unwrap_or_default();
        // Axes and grid are black, marks grey; data is drawn in the palette's colours.
        let coloured =
            |c: &str| c.starts_with('#') && c != "#000000" && c != "#5A5A5A" && c != "#FFFFFF";
        if tag.starts_with("polyline") && coloured(&stroke) {
            let pts = points(&attr(tag, "points").unwrap_or_default());
            let mut sampled = pts.clone();
            for w in pts.windows(2) {
                for k in 1..10 {
                    let t = k as f64 / 10.0;
                    sampled.push((
                        w[0].0 + (w[1].0 - w[0].0) * t,
                        w[0].1 + (w[1].1 - w[0].1) * t,
                    ));
                }
            }
            data.push(sampled);
        } else if tag.starts_with("circle") && coloured(&fill) {
            data.push(vec![(num(tag, "cx"), num(tag, "cy"))]);
        } else if tag.starts_with("polygon") && coloured(&fill) {
            data.push(points(&attr(tag, "points").unwrap_or_default()));
        }
    }
    (legends, data)
}

fn inside(r: &Rect, (x, y): (f64, f64)) -> bool {
    x > r.0 + 1.0 && x < r.0 + r.2 - 1.0 && y > r.1 + 1.0 && y < r.1 + r.3 - 1.0
}

/// Problems a reader would have with the SVG `file`.
fn check_svg(file: &Path) -> Vec<String> {
    let svg = std::fs::read_to_string(file).unwrap();
    let name = file.display();
    let mut problems = Vec::new();
    let (legends, data) = legend_and_data(&svg);
    for r in &legends {
        // The legend's own swatches lie wholly inside it; data does not.
        let covered = data
            .iter()
            .filter(|pts| !pts.iter().all(|&p| inside(r, p) || !r.0.is_finite()))
            .any(|pts| pts.iter().any(|&p| inside(r, p)));
        if covered {
            problems.push(format!("{name}: the legend at {r:?} covers data"));
        }
    }
    for raw in ["workload.", "model.", "={", "=null", "_ms.", "[{"] {
        if svg.contains(raw) {
            problems.push(format!("{name}: raw text `{raw}` in a label"));
        }
    }
    problems
}

fn experiments() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(root().join("experiments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    all.sort();
    all
}

fn is_sweep(exp: &Path) -> bool {
    std::fs::read_to_string(exp).unwrap().contains("\nsweep:")
}

/// Runs `exp` at test scale; returns the folders holding its plots (a sweep's own, and its
/// first run's).
fn run(exp: &Path, out: &Path) -> Vec<PathBuf> {
    let (code, err) = run_test_scale(exp, out, &[]);
    assert_eq!(code, 0, "{}: {err}", exp.display());
    let mut dirs = vec![out.to_path_buf()];
    if out.join("runs").is_dir() {
        let mut points: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        points.sort();
        dirs.push(points[0].join("r000"));
    }
    dirs
}

fn check_experiments(sweeps: bool) {
    let scratch = scratch_dir(if sweeps { "plots-sweeps" } else { "plots-runs" });
    let mut problems = Vec::new();
    let mut plots = 0;
    for exp in experiments().into_iter().filter(|e| is_sweep(e) == sweeps) {
        let stem = exp.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&exp).unwrap();
        for dir in run(&exp, &scratch.join(&stem)) {
            let storm = text.contains("storms:") || text.contains("limit_bytes");
            if dir.join("storm_timeline.svg").exists() && !storm {
                problems.push(format!("{stem}: a storm timeline without a storm"));
            }
            for e in std::fs::read_dir(&dir).unwrap() {
                let path = e.unwrap().path();
                if path.extension().is_some_and(|x| x == "svg") {
                    plots += 1;
                    problems.extend(check_svg(&path));
                }
            }
        }
    }
    assert!(plots > 5, "only {plots} plots checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_single_runs_plots_are_readable() {
    check_experiments(false);
}

#[test]
fn every_sweeps_plots_are_readable() {
    check_experiments(true);
}

#[test]
fn the_checker_sees_a_legend_over_data() {
    let svg = r##"<rect x="10" y="10" width="100" height="40" opacity="0.85" fill="#FFFFFF" stroke="none"/>
<polyline fill="none" stroke="#1F77B4" points="0,30 200,30 "/>"##;
    let (legends, data) = legend_and_data(svg);
    assert_eq!(legends.len(), 1);
    assert!(data[0].iter().any(|&p| inside(&legends[0], p)));
}
