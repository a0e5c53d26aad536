//! Result files of a run: `summary.json`, `resolved.yaml`, tidy CSV tables and SVG plots.
//! Every file is written atomically; none contains a wall-clock figure, so the same binary,
//! experiment and seed always give byte-identical files.
//!
//! Architecture invariant: this module only reads results. Deleting the plots changes no
//! number in any other file.

pub mod html;
pub(crate) mod marks;
pub(crate) mod names;
pub(crate) mod plots;
pub mod trace;
pub(crate) mod trace_file;

use crate::config::Loaded;
use crate::config::schema::PlotKind;
use crate::expect::{self, EXPECTATIONS_CSV, Verdicts};
use crate::files::folder;
use crate::files::staging::Staging;
use crate::identity::{self, RESOLVED, VERSION};
use crate::metrics::histogram::round_ns_ms;
use crate::metrics::summary::round6;
use crate::runner::RunResult;
use crate::sim::time::{to_ms, to_secs};
use anyhow::{Context, Result};
use plots::{Axis, Scale, Series};
use std::path::{Path, PathBuf};

/// The files a run writes, in the order they are written (with `identity::RESOLVED` second).
pub(crate) const SUMMARY: &str = "summary.json";
pub(crate) const TIMESERIES: &str = "timeseries.csv";
pub(crate) const FANOUT_BY_SIZE: &str = "fanout_by_size.csv";
pub(crate) const LATENCY_CDF: &str = "latency_cdf.csv";
/// Written with an `output.trace` section (and `expect::EXPECTATIONS_CSV` with an `expect:`
/// section).
pub(crate) const TRACE: &str = "trace.json";

/// Writes a single run's folder `out` whole (staged, with its manifest, then moved into place);
/// returns the paths of its files. The caller holds the folder's lock and has checked that
/// `out` may be replaced ([`folder::check_run_folder`]).
pub fn write_run(out: &Path, loaded: &Loaded, result: &RunResult) -> Result<Vec<PathBuf>> {
    let key = identity::run_key(&loaded.name, &loaded.experiment);
    folder::write_run_folder(out, &key, &loaded.name, |staging| {
        write_results(staging, loaded, result)
    })
}

/// Writes every result file of `result` into a staging folder.
pub(crate) fn write_results(
    staging: &mut Staging,
    loaded: &Loaded,
    result: &RunResult,
) -> Result<()> {
    let mut put = |name: &str, bytes: Vec<u8>| staging.write(name, &bytes);
    put(SUMMARY, summary_json(result)?)?;
    put(
        RESOLVED,
        identity::resolved_yaml(&loaded.name, &loaded.experiment)?,
    )?;
    put(TIMESERIES, timeseries_csv(result)?)?;
    put(FANOUT_BY_SIZE, fanout_by_size_csv(result)?)?;
    put(LATENCY_CDF, latency_cdf_csv(result)?)?;
    let mut figures = Vec::new();
    for kind in drawn_plots(loaded) {
        let (name, svg) = plot(kind, loaded, result)?;
        put(name, svg.clone().into_bytes())?;
        figures.push(html::Figure {
            file: name.to_string(),
            svg,
        });
    }
    if loaded.experiment.output.trace.is_some() {
        put(TRACE, trace_file(loaded, result)?.0)?;
    }
    let verdicts = run_verdicts(loaded, result)?;
    if let Some(v) = &verdicts {
        put(EXPECTATIONS_CSV, v.csv())?;
    }
    put(
        html::REPORT,
        run_report(loaded, result, figures, verdicts.as_ref())?.into_bytes(),
    )?;
    Ok(())
}

/// The verdicts of the experiment's `expect:` section on this run, if it has one.
pub(crate) fn run_verdicts(loaded: &Loaded, result: &RunResult) -> Result<Option<Verdicts>> {
    let expect = &loaded.experiment.expect;
    if expect.is_empty() {
        return Ok(None);
    }
    let summary = serde_json::to_value(&result.summary)?;
    Ok(Some(expect::judge_run(expect, &summary)))
}

/// The verdicts as a table of the HTML report.
pub(crate) fn verdicts_table(v: &Verdicts) -> html::Table {
    html::Table {
        caption: format!(
            "{EXPECTATIONS_CSV}: the experiment's expectations, {} of {} met",
            v.rows.len() - v.failed,
            v.rows.len()
        ),
        header: v.header.clone(),
        rows: v.rows.clone(),
    }
}

/// The plots of `output.plots` that have something to show, each once (a plot listed twice
/// is one file): the storm timeline only when the experiment has a storm or a memory limit (a
/// node may crash).
pub(crate) fn drawn_plots(loaded: &Loaded) -> Vec<PlotKind> {
    let exp = &loaded.experiment;
    let storms = !exp.workload.storms.is_empty() || exp.model.memory.limit_bytes.is_some();
    let mut kinds: Vec<PlotKind> = Vec::new();
    for &k in &exp.output.plots {
        if (k != PlotKind::StormTimeline || storms) && !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds
}

/// The run's `report.html`: description, how to repeat it, results, plots, resolved YAML.
fn run_report(
    loaded: &Loaded,
    result: &RunResult,
    figures: Vec<html::Figure>,
    verdicts: Option<&Verdicts>,
) -> Result<String> {
    let s = &result.summary;
    let mut facts = vec![
        (
            "repeat it".to_string(),
            format!("guildsim run {RESOLVED} (in this folder)"),
        ),
        ("seed".into(), s.seed.to_string()),
        ("stopped".into(), s.stop.words()),
        ("guildsim".into(), VERSION.into()),
    ];
    if loaded.experiment.output.trace.is_some() {
        facts.push((
            "timeline trace".into(),
            format!("{TRACE}: open it in ui.perfetto.dev or chrome://tracing"),
        ));
    }
    let page = html::Page {
        title: format!("guildsim run: {}", loaded.name),
        description: loaded.experiment.description.clone(),
        facts,
        verdicts: verdicts.map(verdicts_table),
        key_results: html::key_tables(s),
        tables: html::summary_tables(s)?,
        figures,
        answer: None,
        collapse_tables: false,
        plots_field: None,
        resolved_yaml: String::from_utf8(identity::resolved_yaml(
            &loaded.name,
            &loaded.experiment,
        )?)?,
    };
    Ok(html::render(&page))
}

/// The run's timeline trace as trace-event JSON, and what it holds; an error if the run
/// took none.
pub fn trace_file(loaded: &Loaded, result: &RunResult) -> Result<(Vec<u8>, trace::TraceStats)> {
    let t = result
        .world
        .trace
        .as_deref()
        .context("the run took no timeline trace")?;
    let cfg = loaded.experiment.output.trace.clone().unwrap_or_default();
    let info = trace::TraceInfo {
        experiment: &loaded.name,
        seed: loaded.experiment.seed,
        guilds: cfg.guilds.as_deref(),
        nodes: cfg.nodes.as_deref(),
    };
    Ok(trace::trace_json(t, &result.world, &info))
}

pub fn summary_json(result: &RunResult) -> Result<Vec<u8>> {
    let mut text = serde_json::to_string_pretty(&result.summary)?;
    text.push('\n');
    Ok(text.into_bytes())
}

fn csv_bytes(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// Bins that the run covered.
fn bins_used(result: &RunResult) -> usize {
    let rec = &result.world.rec;
    (result.end_time.div_ceil(rec.interval).max(1) as usize).min(rec.bins)
}

/// Long ("tidy") time series: one row per bin, scope and metric.
pub fn timeseries_csv(result: &RunResult) -> Result<Vec<u8>> {
    let rec = &result.world.rec;
    let online = rec.sessions_online.series();
    let online_min = rec.sessions_online.series_min();
    let memory: Vec<Vec<u64>> = rec.node_memory.iter().map(|g| g.series()).collect();
    // Rows go straight into the CSV text: memory is the file's size, not a row structure.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time_s", "scope", "metric", "value"])?;
    let mut failed = None;
    for b in 0..bins_used(result) {
        let t = to_secs(b as u64 * rec.interval).to_string();
        let mut row = |scope: &str, metric: &str, value: String| {
            if let Err(e) = w.write_record([t.as_str(), scope, metric, value.as_str()]) {
                failed.get_or_insert(e);
            }
        };
        let deliveries = rec.bin_deliveries[b];
        row("cluster", "deliveries", deliveries.to_string());
        row("cluster", "publishes", rec.bin_publishes[b].to_string());
        // Latency statistics of a bin without deliveries are empty, not 0.
        let ms = |ns: f64| round_ns_ms(ns / 1e6).to_string();
        let stat = |f: &dyn Fn() -> f64| {
            if deliveries > 0 {
                ms(f())
            } else {
                String::new()
            }
        };
        let max = rec.bin_latency_max_ns[b];
        let quantile = |q: f64| {
            let hist = &rec.bin_latency[b];
            hist.quantile(q, deliveries, max).unwrap_or(0) as f64
        };
        row(
            "cluster",
            "latency_ms_mean",
            stat(&|| rec.bin_latency_sum_ns[b] as f64 / deliveries as f64),
        );
        row("cluster", "latency_ms_p50", stat(&|| quantile(0.5)));
        row("cluster", "latency_ms_p99", stat(&|| quantile(0.99)));
        row("cluster", "latency_ms_max", stat(&|| max as f64));
        row(
            "cluster",
            "guild_mailbox_depth_max",
            rec.bin_mailbox_max[b].to_string(),
        );
        row(
            "cluster",
            "presence_deliveries",
            rec.bin_presence_deliveries[b].to_string(),
        );
        row("cluster", "sessions_online", online[b].to_string());
        row("cluster", "sessions_online_min", online_min[b].to_string());
        row(
            "cluster",
            "registry_queue_depth_max",
            rec.bin_registry_depth_max[b].to_string(),
        );
        for (n, node) in result.world.nodes.iter().enumerate() {
            let scope = format!("node:{}", node.name);
            let busy = rec.node_busy_ns[n * rec.bins + b] as f64
                / (rec.interval as f64 * node.schedulers as f64);
            row(&scope, "busy_fraction", round6(busy).to_string());
            row(
                &scope,
                "run_queue_max",
                rec.node_run_queue_max[n * rec.bins + b].to_string(),
            );
            row(&scope, "memory_bytes_max", memory[n][b].to_string());
            if !rec.node_client_bytes.is_empty() {
                let bytes = rec.node_client_bytes[n * rec.bins + b] as f64;
                let per_s = bytes * 1e9 / rec.interval as f64;
                row(&scope, "client_bytes_per_s", round6(per_s).to_string());
            }
        }
        if let Some(f) = result.world.active_fraction_in_bin(b, result.end_time) {
            row("cluster", "active_fraction", round6(f).to_string());
        }
        for (g, f) in result.world.guild_fractions_in_bin(b, result.end_time) {
            row(
                &format!("guild:{g}"),
                "active_fraction",
                round6(f).to_string(),
            );
        }
        if let Some((opens, syncs, longest)) = result.world.users_in_bin(b) {
            row("cluster", "user_opens", opens.to_string());
            row("cluster", "syncs", syncs.to_string());
            let longest = if syncs > 0 {
                round_ns_ms(longest as f64 / 1e6).to_string()
            } else {
                String::new()
            };
            row("cluster", "sync_ms_max", longest);
        }
        if let Some(depth) = rec.bin_relay_depth_max.get(b) {
            row("cluster", "relay_mailbox_depth_max", depth.to_string());
        }
    }
    if let Some(e) = failed {
        return Err(e.into());
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// Fan-out duration per class of recipient count (powers of two).
pub(crate) fn fanout_by_size_csv(result: &RunResult) -> Result<Vec<u8>> {
    let rec = &result.world.rec;
    let rows = rec
        .fanout_by_size
        .iter()
        .enumerate()
        .filter(|(_, h)| h.count() > 0)
        .map(|(k, h)| {
            let s = h.stats_ms();
            let lo = if k == 0 { 0 } else { 1u64 << k };
            vec![
                lo.to_string(),
                ((1u64 << (k + 1)) - 1).to_string(),
                round6(rec.fanout_recipients_sum[k] as f64 / h.count() as f64).to_string(),
                s.count.to_string(),
                s.mean.to_string(),
                s.p50.to_string(),
                s.p99.to_string(),
                s.max.to_string(),
            ]
        });
    csv_bytes(
        &[
            "recipients_min",
            "recipients_max",
            "recipients_mean",
            "publishes",
            "fanout_ms_mean",
            "fanout_ms_p50",
            "fanout_ms_p99",
            "fanout_ms_max",
        ],
        rows,
    )
}

/// The empirical CDF of delivery latency, one row per histogram bucket.
pub(crate) fn latency_cdf_csv(result: &RunResult) -> Result<Vec<u8>> {
    let rows = result
        .world
        .rec
        .latency
        .cdf_points()
        .into_iter()
        .map(|(v, f)| vec![round_ns_ms(to_ms(v)).to_string(), round6(f).to_string()]);
    csv_bytes(&["latency_ms", "fraction"], rows)
}

fn plot(kind: PlotKind, loaded: &Loaded, result: &RunResult) -> Result<(&'static str, String)> {
    let rec = &result.world.rec;
    // A sweep's run names its point: its plots are told apart from the other points'.
    let title = |what: &str| match &loaded.point {
        Some(point) => format!("{} ({point}): {what}", loaded.name),
        None => format!("{}: {what}", loaded.name),
    };
    Ok(match kind {
        PlotKind::LatencyCdf => {
            let points = rec
                .latency
                .cdf_points()
                .into_iter()
                .map(|(v, f)| (to_ms(v), f))
                .collect();
            let series = [Series {
                name: "deliveries".into(),
                points,
                band: None,
            }];
            let x = Axis {
                label: "delivery latency (ms)".into(),
                scale: Scale::Log,
            };
            (
                "latency_cdf.svg",
                plots::cdf_chart(&title("delivery latency CDF"), &x, &series)?,
            )
        }
        PlotKind::FanoutVsSize => {
            let classes: Vec<(f64, crate::metrics::DurationStats)> = rec
                .fanout_by_size
                .iter()
                .enumerate()
                .filter(|(_, h)| h.count() > 0)
                .map(|(k, h)| {
                    (
                        rec.fanout_recipients_sum[k] as f64 / h.count() as f64,
                        h.stats_ms(),
                    )
                })
                .collect();
            // One size class (one guild, say): its statistics side by side, not four dots
            // on top of each other.
            if let [(recipients, s)] = classes.as_slice() {
                let series = [Series {
                    name: format!(
                        "{} recipients per publish (one size class)",
                        crate::table::fmt_short(*recipients)
                    ),
                    points: vec![(0.0, s.mean), (1.0, s.p50), (2.0, s.p99), (3.0, s.max)],
                    band: None,
                }];
                let x = Axis {
                    label: "statistic of the fan-out durations".into(),
                    scale: Scale::Linear,
                };
                let y = Axis {
                    label: "fan-out duration (ms)".into(),
                    scale: Scale::Log,
                };
                let options = plots::LineOptions {
                    x_categories: Some(["mean", "p50", "p99", "max"].map(String::from).to_vec()),
                    ..Default::default()
                };
                let title = title("fan-out duration of the one guild size");
                return Ok((
                    "fanout_vs_size.svg",
                    plots::line_chart_with(&title, &x, &y, &series, &options)?,
                ));
            }
            let line = |name: &str, f: fn(&crate::metrics::DurationStats) -> f64| Series {
                name: name.into(),
                points: classes.iter().map(|(x, s)| (*x, f(s))).collect(),
                band: None,
            };
            let series = [
                line("mean", |s| s.mean),
                line("p50", |s| s.p50),
                line("p99", |s| s.p99),
                line("max", |s| s.max),
            ];
            let x = Axis {
                label: "recipients per publish (mean of size class)".into(),
                scale: Scale::Log,
            };
            let y = Axis {
                label: "fan-out duration (ms)".into(),
                scale: Scale::Log,
            };
            (
                "fanout_vs_size.svg",
                plots::line_chart(
                    &title("fan-out duration against guild size"),
                    &x,
                    &y,
                    &series,
                )?,
            )
        }
        PlotKind::MailboxDepth => {
            let points = (0..bins_used(result))
                .map(|b| {
                    (
                        to_secs(b as u64 * rec.interval),
                        rec.bin_mailbox_max[b] as f64,
                    )
                })
                .collect();
            let series = [Series {
                name: "deepest guild mailbox".into(),
                points,
                band: None,
            }];
            let x = Axis {
                label: "virtual time (s)".into(),
                scale: Scale::Linear,
            };
            let y = Axis {
                label: "messages".into(),
                scale: Scale::Linear,
            };
            let options = plots::LineOptions {
                marks: marks::workload_marks(&loaded.experiment),
                ..Default::default()
            };
            let title = title("guild mailbox depth over time");
            (
                "mailbox_depth.svg",
                plots::line_chart_with(&title, &x, &y, &series, &options)?,
            )
        }
        PlotKind::StormTimeline => {
            let panels = storm_panels(result);
            (
                "storm_timeline.svg",
                plots::timeline_chart_marked(
                    &title("storm timeline"),
                    "virtual time (s)",
                    &panels,
                    &marks::workload_marks(&loaded.experiment),
                )?,
            )
        }
    })
}

/// Sessions online, registry queue depth and node memory, per time bin.
pub(crate) fn storm_panels(result: &RunResult) -> Vec<plots::Panel> {
    let rec = &result.world.rec;
    let bins = bins_used(result);
    let time = |b: usize| to_secs(b as u64 * rec.interval);
    // The lowest count in each bin: a storm's dip shows even when it starts and ends in one bin.
    let online = rec.sessions_online.series_min();
    let memory: Vec<Vec<u64>> = rec.node_memory.iter().map(|g| g.series()).collect();
    let series = |name: &str, value: &dyn Fn(usize) -> f64| Series {
        name: name.into(),
        points: (0..bins).map(|b| (time(b), value(b))).collect(),
        band: None,
    };
    let gib = 1024.0 * 1024.0 * 1024.0;
    let memory_max = |guild_nodes: bool| {
        let memory = &memory;
        move |b: usize| {
            result
                .world
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.hosts_guilds == guild_nodes)
                .map(|(i, _)| memory[i][b] as f64 / gib)
                .fold(0.0, f64::max)
        }
    };
    let linear = |label: &str| Axis {
        label: label.into(),
        scale: Scale::Linear,
    };
    vec![
        plots::Panel {
            y: linear("sessions online"),
            series: vec![series("sessions online (lowest in each bin)", &|b| {
                online[b] as f64
            })],
        },
        plots::Panel {
            y: linear("registry queue (calls)"),
            series: vec![series("deepest registry queue", &|b| {
                rec.bin_registry_depth_max[b] as f64
            })],
        },
        plots::Panel {
            y: linear("node memory (GiB)"),
            series: vec![
                series("session nodes (max)", &memory_max(false)),
                series("guild nodes (max)", &memory_max(true)),
            ],
        },
    ]
}
