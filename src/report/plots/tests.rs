//! Rendering tests: every chart kind renders valid, deterministic SVG, also from empty or
//! awkward input; the legend finds room.

use anyhow::Result;

use super::axis::AxisPlan;
use super::legend::{legend_corner, plan_y_with_legend};
use super::panel::Style;
use super::prepare::{prepare, x_values, y_values};
use super::style::{PALETTE, PANEL_HEIGHT, X_LABEL_AREA};
use super::*;

fn axis(label: &str, scale: Scale) -> Axis {
    Axis {
        label: label.to_string(),
        scale,
    }
}

fn series(name: &str, points: Vec<(f64, f64)>) -> Series {
    Series {
        name: name.to_string(),
        points,
        band: None,
    }
}

/// How the SVG backend writes a text element's content.
fn text(s: &str) -> String {
    format!(">\n{s}\n</text>")
}

/// Common checks: valid SVG start, title and names present, no NaN or
/// infinite coordinates leaked, and a second render is byte-identical.
fn check(render: impl Fn() -> Result<String>, title: &str, names: &[&str]) -> String {
    let svg = render().expect("render failed");
    assert!(
        svg.starts_with("<svg"),
        "not an svg: {}",
        &svg[..50.min(svg.len())]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(title), "title {title:?} missing");
    for name in names {
        assert!(svg.contains(&text(name)), "series name {name:?} missing");
    }
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "non-finite value in svg"
    );
    assert_eq!(svg, render().unwrap(), "render is not deterministic");
    svg
}

fn sample_lines() -> Vec<Series> {
    let xs: [f64; 4] = [1_000.0, 10_000.0, 100_000.0, 1_000_000.0];
    vec![
        Series {
            name: "baseline".into(),
            points: xs.iter().map(|&x| (x, x.log10() * 3.0)).collect(),
            band: Some(
                xs.iter()
                    .map(|&x| (x, x.log10() * 3.0 - 1.0, x.log10() * 3.0 + 1.5))
                    .collect(),
            ),
        },
        series(
            "sharded",
            xs.iter().map(|&x| (x, x.log10() * 2.0)).collect(),
        ),
    ]
}

#[test]
fn line_chart_with_bands_and_log_x() {
    let x = axis("guild size (members)", Scale::Log);
    let y = axis("p99 latency (ms)", Scale::Linear);
    let s = sample_lines();
    let svg = check(
        || line_chart("Latency by guild size", &x, &y, &s),
        "Latency by guild size",
        &["baseline", "sharded"],
    );
    assert!(svg.contains("guild size (members)") && svg.contains("p99 latency (ms)"));
    for label in ["1k", "10k", "100k", "1M"] {
        assert!(svg.contains(&text(label)), "log tick {label} missing");
    }
    assert!(svg.contains("<polygon"), "confidence band not drawn");
    // Legend box: semi-opaque white background.
    assert!(svg.contains(r##"opacity="0.85" fill="#FFFFFF""##));
    assert!(svg.contains("<circle"), "point markers not drawn");
    assert!(!svg.contains("no data"));
}

#[test]
fn log_log_line_chart() {
    let x = axis("members", Scale::Log);
    let y = axis("bytes", Scale::Log);
    let s = vec![series(
        "memory",
        vec![(10.0, 2e3), (100.0, 2e4), (1e3, 2e5), (1e4, 2e6)],
    )];
    let svg = check(|| line_chart("Memory", &x, &y, &s), "Memory", &["memory"]);
    assert!(svg.contains(&text("1M")) && svg.contains(&text("100")));
}

#[test]
fn empty_inputs_render_no_data() {
    let x = axis("x", Scale::Linear);
    let y = axis("y", Scale::Log);
    let cases: Vec<Vec<Series>> = vec![
        vec![],
        vec![series("nothing", vec![])],
        vec![series(
            "all invalid",
            vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
        )],
        // Log y axis: zero and negative values cannot be drawn.
        vec![series("non positive", vec![(1.0, 0.0), (2.0, -5.0)])],
    ];
    for s in &cases {
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        let svg = check(|| line_chart("Empty line", &x, &y, s), "Empty line", &names);
        assert!(svg.contains("no data"));
        let svg = check(
            || scatter_chart("Empty scatter", &x, &y, s),
            "Empty scatter",
            &names,
        );
        assert!(svg.contains("no data"));
        let svg = check(|| cdf_chart("Empty cdf", &x, s), "Empty cdf", &names);
        let expect_empty = s.iter().all(|s| {
            s.points
                .iter()
                .all(|p| !p.0.is_finite() || !p.1.is_finite())
        });
        assert_eq!(svg.contains("no data"), expect_empty);
    }
}

#[test]
fn awkward_points() {
    let lin = axis("x", Scale::Linear);
    let log = axis("y", Scale::Log);
    let single = vec![series("single", vec![(5.0, 7.0)])];
    let equal = vec![series("flat", vec![(0.0, 3.0), (1.0, 3.0), (2.0, 3.0)])];
    let zeros = vec![series("zeros", vec![(0.0, 0.0), (0.0, 0.0)])];
    let extreme = vec![series(
        "extreme",
        vec![
            (-1e300, f64::MAX),
            (1e300, -1e300),
            (0.0, f64::MIN_POSITIVE),
        ],
    )];
    let mixed = vec![
        series(
            "mixed",
            vec![
                (1.0, 10.0),
                (f64::NAN, 5.0),
                (2.0, f64::NEG_INFINITY),
                (3.0, -4.0),
                (4.0, 0.0),
                (5.0, 1000.0),
            ],
        ),
        series("tiny", vec![(1.0, 1e-6), (2.0, 2e-6)]),
    ];
    for (s, names) in [
        (&single, vec!["single"]),
        (&equal, vec!["flat"]),
        (&zeros, vec!["zeros"]),
        (&mixed, vec!["mixed", "tiny"]),
        (&extreme, vec!["extreme"]),
    ] {
        for y in [&lin, &log] {
            check(|| line_chart("Awkward", &lin, y, s), "Awkward", &names);
            check(|| scatter_chart("Awkward", &lin, y, s), "Awkward", &names);
            check(|| cdf_chart("Awkward", y, s), "Awkward", &names);
        }
    }
    // A single point on a CDF still shows up as a marker.
    let svg = cdf_chart("One", &lin, &single).unwrap();
    assert!(svg.contains("<circle"));
}

#[test]
fn many_series_cycle_palette() {
    let x = axis("x", Scale::Linear);
    let y = axis("y", Scale::Linear);
    let s: Vec<Series> = (0..12)
        .map(|i| {
            series(
                &format!("s{i}"),
                vec![(0.0, i as f64), (1.0, i as f64 + 1.0)],
            )
        })
        .collect();
    let names: Vec<String> = s.iter().map(|s| s.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let svg = check(|| line_chart("Many", &x, &y, &s), "Many", &names);
    // 10 distinct palette colours are used.
    for c in PALETTE {
        let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        assert!(svg.contains(&hex), "colour {hex} unused");
    }
}

#[test]
fn cdf_chart_renders() {
    let x = axis("delivery latency (ms)", Scale::Log);
    let mk = |name: &str, scale: f64| {
        let pts: Vec<(f64, f64)> = (1..=100)
            .map(|i| (scale * (i as f64).powf(1.5), i as f64 / 100.0))
            .collect();
        series(name, pts)
    };
    let s = vec![mk("fanout=direct", 0.5), mk("fanout=grouped", 2.0)];
    let svg = check(
        || cdf_chart("Delivery latency CDF", &x, &s),
        "Delivery latency CDF",
        &["fanout=direct", "fanout=grouped"],
    );
    assert!(svg.contains("fraction of deliveries"));
    assert!(svg.contains(&text("0.2")) && svg.contains(&text("1")));
}

#[test]
fn scatter_chart_renders() {
    let x = axis("guild size", Scale::Log);
    let y = axis("fan-out duration (ms)", Scale::Linear);
    let s = vec![
        series(
            "region a",
            (1..40)
                .map(|i| (i as f64 * 2500.0, (i * i) as f64 * 0.3))
                .collect(),
        ),
        series(
            "region b",
            (1..40)
                .map(|i| (i as f64 * 3000.0, (i * 7) as f64))
                .collect(),
        ),
    ];
    let svg = check(
        || scatter_chart("Fan-out vs guild size", &x, &y, &s),
        "Fan-out vs guild size",
        &["region a", "region b"],
    );
    assert!(svg.matches("<circle").count() >= 78);
}

fn storm_panels() -> Vec<Panel> {
    let t: Vec<f64> = (0..=120).map(|i| i as f64 * 0.5).collect();
    vec![
        Panel {
            y: axis("sessions online", Scale::Linear),
            series: vec![series(
                "sessions",
                t.iter()
                    .map(|&t| (t, 250_000.0 * (1.0 - (-t / 10.0).exp())))
                    .collect(),
            )],
        },
        Panel {
            y: axis("queue depth", Scale::Log),
            series: vec![
                series(
                    "registry",
                    t.iter()
                        .map(|&t| (t, 1.0 + 5e4 * (-t / 8.0).exp()))
                        .collect(),
                ),
                series(
                    "gateway",
                    t.iter()
                        .map(|&t| (t + 2.0, 1.0 + 9e3 * (-t / 5.0).exp()))
                        .collect(),
                ),
            ],
        },
        Panel {
            y: axis("node memory (MB)", Scale::Linear),
            series: vec![Series {
                name: "node-1".into(),
                points: t.iter().map(|&t| (t, 512.0 + t * 3.0)).collect(),
                band: Some(
                    t.iter()
                        .map(|&t| (t, 500.0 + t * 2.5, 530.0 + t * 3.5))
                        .collect(),
                ),
            }],
        },
    ]
}

#[test]
fn timeline_renders() {
    let panels = storm_panels();
    let svg = check(
        || timeline_chart("Reconnect storm", "time (s)", &panels),
        "Reconnect storm",
        &["sessions", "registry", "gateway", "node-1"],
    );
    for label in [
        "sessions online",
        "queue depth",
        "node memory (MB)",
        "time (s)",
    ] {
        assert!(svg.contains(label), "{label} missing");
    }
    // Height: 300 px per panel plus title and x label room.
    assert!(svg.contains(&format!(
        "height=\"{}\"",
        40 + 3 * PANEL_HEIGHT + X_LABEL_AREA
    )));
    // x tick labels only once (bottom panel): "60" is the last x tick.
    assert_eq!(svg.matches(&text("60")).count(), 1);
    assert!(!svg.contains("no data"));
}

#[test]
fn timeline_awkward() {
    check(
        || timeline_chart("No panels", "time (s)", &[]),
        "No panels",
        &[],
    );
    let panels = vec![
        Panel {
            y: axis("empty", Scale::Log),
            series: vec![series("ghost", vec![(1.0, 0.0)])],
        },
        Panel {
            y: axis("one", Scale::Linear),
            series: vec![series("lonely", vec![(3.0, 3.0)])],
        },
    ];
    let svg = check(
        || timeline_chart("Sparse", "t", &panels),
        "Sparse",
        &["ghost", "lonely"],
    );
    assert_eq!(svg.matches("no data").count(), 1);
}

#[test]
fn markup_in_text_is_escaped() {
    let x = axis("a < b", Scale::Linear);
    let s = vec![series("p&q", vec![(1.0, 2.0), (2.0, 3.0)])];
    let svg = check(
        || scatter_chart("Tom & \"Jerry\"", &x, &x, &s),
        "Tom &amp; &quot;Jerry&quot;",
        &["p&amp;q"],
    );
    assert!(svg.contains("a &lt; b"));
}

#[test]
fn legend_gets_room_above_flat_lines() {
    // Two flat lines, one near the top and one at the bottom: every corner of the plain
    // range holds data, so the range grows upwards and the top corners come free.
    let lines = [
        series(
            "session nodes (max)",
            (0..30).map(|t| (t as f64, 0.187)).collect(),
        ),
        series(
            "guild nodes (max)",
            (0..30).map(|t| (t as f64, 0.104)).collect(),
        ),
    ];
    let prepared = prepare(&lines, false, false, None);
    let x = AxisPlan::new_x(&x_values(&prepared), false);
    let values = y_values(&prepared);
    let style = Style::Lines { markers: false };
    let dims = (800, 284);
    let covered = |y: &AxisPlan| legend_corner(&prepared, (&x, y), style, dims, &[]).1;
    let plain = AxisPlan::new(&values, false, 5);
    assert!(covered(&plain) > 0, "the plain range leaves no corner free");
    let planned = plan_y_with_legend(&values, false, 5, &x, &prepared, style, dims);
    assert_eq!(covered(&planned), 0);
    assert!(planned.hi > plain.hi && planned.lo <= plain.lo);
    // A range with a free corner is left as it is.
    let rising = [series(
        "rising",
        (0..30).map(|t| (t as f64, t as f64)).collect(),
    )];
    let prepared = prepare(&rising, false, false, None);
    let values = y_values(&prepared);
    let planned = plan_y_with_legend(&values, false, 5, &x, &prepared, style, dims);
    assert_eq!(planned.hi, AxisPlan::new(&values, false, 5).hi);
}

#[test]
fn options_put_ticks_at_swept_values_start_at_zero_and_mark_moments() {
    let swept = [100.0, 316.0, 1000.0, 3162.0];
    let s = [series(
        "naive",
        swept.iter().map(|&x| (x, 50.0 + x / 100.0)).collect(),
    )];
    let x = axis("guild size (online members)", Scale::Log);
    let y = axis("p99 delivery latency (ms)", Scale::Linear);
    let plain = check(|| line_chart("t", &x, &y, &s), "t", &["naive"]);
    let options = LineOptions {
        x_ticks_at: Some(swept.to_vec()),
        y_from_zero: true,
        marks: vec![(1000.0, "burst of 20".into())],
        x_categories: None,
    };
    let svg = check(
        || line_chart_with("t", &x, &y, &s, &options),
        "t",
        &["naive"],
    );
    for label in ["316", "3.16k"] {
        assert!(
            !plain.contains(&text(label)) && svg.contains(&text(label)),
            "{label}"
        );
    }
    assert!(
        !plain.contains(&text("0")) && svg.contains(&text("0")),
        "y from zero"
    );
    assert!(svg.contains(" burst of 20"), "the mark's label");
    // Series differ in dash and marker: the second is dashed with triangles.
    let two = [
        s[0].clone(),
        series("manifold", vec![(100.0, 1.0), (3162.0, 2.0)]),
    ];
    let svg = line_chart("t", &x, &y, &two).unwrap();
    assert!(svg.contains("<polygon"), "triangle markers");
}

#[test]
fn a_missing_value_breaks_the_line() {
    // Bins 3 and 4 observed nothing: two runs of points, the line not drawn across the gap; a
    // point alone between gaps is marked, since it has no segment to show it.
    let nan = f64::NAN;
    let values = [1.0, 2.0, 3.0, nan, nan, 4.0, 5.0, nan, 6.0];
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, &y)| (i as f64, y))
        .collect();
    let prepared = prepare(&[series("p99", points)], false, false, None);
    let runs: Vec<usize> = prepared[0].segments().map(|s| s.len()).collect();
    assert_eq!(runs, vec![3, 2, 1]);
    let panels = vec![Panel {
        y: axis("p99 delivery latency (ms)", Scale::Linear),
        series: vec![series("p99", prepared[0].points.clone())],
    }];
    let gapless = timeline_chart("t", "time (s)", &panels).unwrap();
    let panels = vec![Panel {
        y: axis("p99 delivery latency (ms)", Scale::Linear),
        series: vec![series(
            "p99",
            values
                .iter()
                .enumerate()
                .map(|(i, &y)| (i as f64, y))
                .collect(),
        )],
    }];
    let svg = check(|| timeline_chart("t", "time (s)", &panels), "t", &["p99"]);
    let lines = |svg: &str| svg.matches("<polyline fill=\"none\" opacity=\"1\"").count();
    assert_eq!(lines(&svg), lines(&gapless) + 2, "three runs, not one line");
    assert!(svg.contains("<circle"), "the lone point is marked");
}
