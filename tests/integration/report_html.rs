//! `report.html` in run and sweep folders: self-contained (nothing fetched: no script,
//! stylesheet, image or font from elsewhere), every plot of the folder inline, the
//! description, results and resolved YAML, and the same bytes for the same run.

use super::support::{experiment, run_test_scale, scratch_dir};
use std::path::Path;

/// Runs `name` at test scale into a fresh folder; returns it.
fn run(name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = scratch_dir(&format!("report-{name}")).join("out");
    let (code, err) = run_test_scale(&experiment(name), &out, extra);
    assert_eq!(code, 0, "{err}");
    out
}

/// Checks that `dir/report.html` stands alone and shows every SVG of `dir` inline.
fn check_report(dir: &Path) -> String {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for fetch in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "src=",
        "@import",
        "url(",
        "href=\"http",
    ] {
        assert!(
            !html.contains(fetch),
            "report.html fetches something: {fetch}"
        );
    }
    let mut plots = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(svg) = name
            .strip_suffix(".svg")
            .map(|_| std::fs::read_to_string(dir.join(&name)).unwrap())
        {
            plots += 1;
            assert!(
                html.contains(&format!("<figure id=\"{name}\">")),
                "{name} not listed"
            );
            assert!(html.contains(svg.trim()), "{name} not inline");
        }
    }
    assert!(plots > 0, "no plot in {}", dir.display());
    assert_eq!(
        html.matches("<figure").count(),
        plots,
        "a figure with no file"
    );
    let resolved = std::fs::read_to_string(dir.join("resolved.yaml")).unwrap();
    let first = resolved.lines().find(|l| l.starts_with("name:")).unwrap();
    assert!(html.contains(first), "the resolved YAML is missing");
    html
}

#[test]
fn a_run_folder_has_a_self_contained_report() {
    let a = run("quickstart.yaml", &[]);
    let html = check_report(&a);
    assert!(html.contains("A small 2017-style cluster"), "description");
    assert!(html.contains("delivery latency (publish to receive)"));
    assert!(html.contains("latency_ms.p99"));
    let manifest = std::fs::read_to_string(a.join("run-key.txt")).unwrap();
    assert!(manifest.contains("report.html"), "listed in the manifest");
    let b = run("quickstart.yaml", &[]);
    assert_eq!(
        std::fs::read(a.join("report.html")).unwrap(),
        std::fs::read(b.join("report.html")).unwrap()
    );
}

#[test]
fn a_sweep_folder_has_a_self_contained_report() {
    let out = run("discord-2017-registry-semaphore.yaml", &["--jobs", "2"]);
    let html = check_report(&out);
    assert!(html.contains("aggregate.csv"));
    let manifest = std::fs::read_to_string(out.join("sweep.json")).unwrap();
    assert!(manifest.contains("report.html"), "listed in sweep.json");
    // Each run's folder has its own.
    let runs = out.join("runs");
    let point = std::fs::read_dir(&runs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    check_report(&point.join("r000"));
}
