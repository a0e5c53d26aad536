//! `report.html`: one self-contained page per run folder and per sweep folder, readable
//! offline: the experiment's description, how to repeat it, the key results with their units,
//! every plot inline (the SVG itself, not a link), the expectations' verdicts when there are
//! any, and the resolved YAML. No script, stylesheet or font is fetched; the page holds no
//! wall-clock figure, so it is byte-identical for the same run.

use crate::metrics::summary::Summary;
use anyhow::Result;
use std::fmt::Write;

/// The page's file name in a run or sweep folder.
pub const REPORT: &str = "report.html";

/// A table of text cells.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    pub(crate) caption: String,
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

/// A plot drawn into the folder: its file name and its SVG text.
#[derive(Clone, Debug)]
pub(crate) struct Figure {
    pub(crate) file: String,
    pub(crate) svg: String,
}

/// Everything a page shows, in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Page {
    pub(crate) title: String,
    pub(crate) description: String,
    /// Short facts under the title: how to repeat the run, the seed, why it stopped.
    pub(crate) facts: Vec<(String, String)>,
    /// A sweep's answer table (one row per point), with notes under it: the first thing
    /// after the facts.
    pub(crate) answer: Option<(Table, Vec<String>)>,
    /// Verdicts of the experiment's expectations, when it declares any.
    pub(crate) verdicts: Option<Table>,
    /// The main figures, before the plots.
    pub(crate) key_results: Vec<Table>,
    /// Every figure, after the plots.
    pub(crate) tables: Vec<Table>,
    /// Show `tables` collapsed (a sweep's aggregate is long; its answer heads the page).
    pub(crate) collapse_tables: bool,
    pub(crate) figures: Vec<Figure>,
    /// The field that declares the page's plots, for a page without any (default
    /// `output.plots`).
    pub(crate) plots_field: Option<&'static str>,
    pub(crate) resolved_yaml: String,
}

/// `text` with HTML's special characters escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;\
color:#222}h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ddd;\
padding:2px 8px;text-align:left;vertical-align:top}td.num{text-align:right;\
font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:bold;padding:4px 0}\
figure{margin:1em 0 2em}figure svg{max-width:100%;height:auto}figcaption{color:#555}\
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:0.85em}\
.wide{overflow-x:auto;max-width:100%}.note{color:#555;font-size:0.9em}\
summary{cursor:pointer;font-weight:bold;padding:4px 0}.pass{color:#060}.fail{color:#a00;font-weight:bold}";

/// The page as HTML.
pub(crate) fn render(page: &Page) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&page.title),
        escape(&page.title)
    );
    if !page.description.trim().is_empty() {
        let _ = writeln!(h, "<p>{}</p>", escape(page.description.trim()));
    }
    h.push_str("<table>\n");
    for (k, v) in &page.facts {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    h.push_str("</table>\n<p>Contents: ");
    let mut toc = vec![];
    if page.answer.is_some() {
        toc.push(("answer", "Answer"));
    }
    if page.verdicts.is_some() {
        toc.push(("expectations", "Expectations"));
    }
    if !page.key_results.is_empty() {
        toc.push(("results", "Key results"));
    }
    toc.extend([
        ("plots", "Plots"),
        ("all", "All results"),
        ("yaml", "Resolved YAML"),
    ]);
    let links: Vec<String> = toc
        .iter()
        .map(|(id, name)| format!("<a href=\"#{id}\">{name}</a>"))
        .collect();
    let _ = writeln!(h, "{}.</p>", links.join(", "));
    if let Some((t, notes)) = &page.answer {
        h.push_str("<h2 id=\"answer\">Answer</h2>\n");
        table(&mut h, t);
        for n in notes {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(n));
        }
    }
    if let Some(v) = &page.verdicts {
        h.push_str("<h2 id=\"expectations\">Expectations</h2>\n");
        table(&mut h, v);
    }
    if !page.key_results.is_empty() {
        h.push_str("<h2 id=\"results\">Key results</h2>\n");
    }
    for t in &page.key_results {
        table(&mut h, t);
    }
    figures(
        &mut h,
        &page.figures,
        page.plots_field.unwrap_or("output.plots"),
    );
    h.push_str("<h2 id=\"all\">All results</h2>\n");
    for t in &page.tables {
        if page.collapse_tables {
            let _ = writeln!(
                h,
                "<details><summary>{} ({} rows)</summary>",
                escape(&t.caption),
                t.rows.len()
            );
            table(&mut h, t);
            h.push_str("</details>\n");
        } else {
            table(&mut h, t);
        }
    }
    let _ = write!(
        h,
        "<h2 id=\"yaml\">Resolved YAML</h2>\n<pre>{}</pre>\n</body>\n</html>\n",
        escape(&page.resolved_yaml)
    );
    h
}

fn figures(h: &mut String, figures: &[Figure], field: &str) {
    h.push_str("<h2 id=\"plots\">Plots</h2>\n");
    if figures.is_empty() {
        let _ = writeln!(
            h,
            "<p>This experiment draws no plot (<code>{}</code>).</p>",
            escape(field)
        );
    }
    for f in figures {
        let _ = write!(
            h,
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(&f.file),
            f.svg.trim(),
            escape(&f.file)
        );
    }
}

fn table(h: &mut String, t: &Table) {
    h.push_str("<div class=\"wide\"><table>\n");
    if !t.caption.is_empty() {
        let _ = writeln!(h, "<caption>{}</caption>", escape(&t.caption));
    }
    h.push_str("<tr>");
    for c in &t.header {
        let _ = write!(h, "<th>{}</th>", escape(c));
    }
    h.push_str("</tr>\n");
    for row in &t.rows {
        h.push_str("<tr>");
        for c in row {
            let class = match c.as_str() {
                "pass" => " class=\"pass\"",
                "fail" => " class=\"fail\"",
                _ if c.parse::<f64>().is_ok() => " class=\"num\"",
                _ => "",
            };
            let _ = write!(h, "<td{class}>{}</td>", escape(c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n");
}

/// The unit of a dotted field of `summary.json`, from the last segment that names one.
pub(crate) fn unit_of(field: &str) -> &'static str {
    const SUFFIXES: [(&str, &str); 7] = [
        ("_per_publish", "per publish"),
        ("_fraction", "fraction"),
        ("_bytes", "bytes"),
        ("_us", "µs"),
        ("_ms", "ms"),
        ("_s", "s"),
        ("fraction_max", "fraction"),
    ];
    if field.ends_with(".count") {
        return "";
    }
    for segment in field.rsplit('.') {
        let key = segment.split('[').next().unwrap_or(segment);
        let key = ["_max", "_min", "_mean"]
            .iter()
            .find_map(|s| key.strip_suffix(s))
            .unwrap_or(key);
        let found = SUFFIXES.iter().find(|(s, _)| key.ends_with(s));
        if let Some((_, unit)) = found {
            return unit;
        }
        if key.contains("fraction") {
            return "fraction";
        }
    }
    ""
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        // `null` in summary.json: nothing was observed.
        serde_json::Value::Null => out.push((prefix.to_string(), "– (no observations)".into())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// The summary as tables: every field with its unit, then one row per node.
pub(crate) fn summary_tables(summary: &Summary) -> Result<Vec<Table>> {
    let mut value = serde_json::to_value(summary)?;
    let nodes = value
        .as_object_mut()
        .and_then(|m| m.remove("nodes"))
        .unwrap_or_default();
    let mut fields = Vec::new();
    flatten("", &value, &mut fields);
    let results = Table {
        caption: "summary.json (durations in milliseconds; see the README for each field)".into(),
        header: vec!["field".into(), "value".into(), "unit".into()],
        rows: fields
            .into_iter()
            .map(|(k, v)| {
                let unit = unit_of(&k).to_string();
                vec![k, v, unit]
            })
            .collect(),
    };
    let mut tables = vec![results];
    if let Some(list) = nodes.as_array().filter(|l| !l.is_empty()) {
        let mut header = Vec::new();
        flatten("", &list[0], &mut header);
        let header: Vec<String> = header.into_iter().map(|(k, _)| k).collect();
        let rows = list
            .iter()
            .map(|n| {
                let mut cells = Vec::new();
                flatten("", n, &mut cells);
                cells.into_iter().map(|(_, v)| v).collect()
            })
            .collect();
        tables.push(Table {
            caption: "nodes".into(),
            header,
            rows,
        });
    }
    Ok(tables)
}

/// The run's main figures: the duration statistics, then the main counts.
pub(crate) fn key_tables(s: &Summary) -> Vec<Table> {
    let d = |name: &str, st: &crate::metrics::DurationStats| {
        let mut row = vec![name.to_string(), st.count.to_string()];
        if st.count == 0 {
            // Nothing measured (`null` in summary.json): never 0.
            row.push("no observations".into());
            row.extend(["–"; 4].map(String::from));
        } else {
            row.extend([st.mean, st.p50, st.p99, st.p999, st.max].map(|v| v.to_string()));
        }
        row
    };
    let k = &s.keeps_up;
    let verdict = match k.all {
        Some(true) => "yes".to_string(),
        Some(false) => format!("NO: {}", k.not_keeping_up),
        None => "not judged".to_string(),
    };
    let growth = |t: &crate::metrics::keeps_up::Trend| match (
        t.backlog_growth_per_s,
        t.backlog_growth_low,
        t.backlog_growth_high,
    ) {
        (Some(g), Some(lo), Some(hi)) => format!("{g} (95 %: {lo} to {hi})"),
        _ => "not judged".into(),
    };
    let keeps_up = Table {
        caption: "keeps up (judged over the run's second half)".into(),
        header: vec!["".into(), "value".into()],
        rows: vec![
            vec!["verdict".into(), verdict],
            vec!["why".into(), k.why().to_string()],
            vec![
                "guilds' backlog growth (publishes/s)".into(),
                growth(&k.guilds),
            ],
            vec![
                "busiest guild's busy fraction".into(),
                k.guilds
                    .busiest_busy_fraction
                    .map_or("-".into(), |f| f.to_string()),
            ],
            vec![
                "registries' backlog growth (calls/s)".into(),
                growth(&k.registries),
            ],
        ],
    };
    let caption = if k.all == Some(false) {
        "durations (ms): bounded by the run's length, not answers (the run does not keep up)"
    } else {
        "durations (ms)"
    };
    let durations = Table {
        caption: caption.into(),
        header: ["", "count", "mean", "p50", "p99", "p99.9", "max"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            d("delivery latency (publish to receive)", &s.latency_ms),
            d("fan-out duration", &s.fanout_duration_ms),
            d("time in guild queue and fan-out", &s.guild_sojourn_ms),
            d("presence latency", &s.presence_latency_ms),
        ],
    };
    let count = |name: &str, v: String| vec![name.to_string(), v];
    let counts = Table {
        caption: "counts".into(),
        header: vec!["".into(), "value".into()],
        rows: vec![
            count(
                "publishes (completed)",
                format!("{} ({})", s.publishes_total, s.publishes_completed),
            ),
            count("chat deliveries", s.deliveries_total.to_string()),
            count(
                "presence deliveries",
                s.presence_deliveries_total.to_string(),
            ),
            count(
                "deliveries dropped by crashes",
                s.deliveries_dropped.to_string(),
            ),
            count(
                "deepest guild mailbox (messages)",
                s.guild_mailbox_depth_max.to_string(),
            ),
            count(
                "node busy fraction, mean",
                s.node_busy_fraction_mean.to_string(),
            ),
            count(
                "node busy fraction, max",
                s.node_busy_fraction_max.to_string(),
            ),
            count(
                "sessions online at the end",
                s.sessions.online_at_end.to_string(),
            ),
            count("crashes", s.crashes.to_string()),
        ],
    };
    vec![keeps_up, durations, counts]
}

/// A CSV file as a table (its first line the header).
pub(crate) fn csv_table(caption: &str, csv_bytes: &[u8]) -> Result<Table> {
    let mut r = csv::Reader::from_reader(csv_bytes);
    let header = r.headers()?.iter().map(String::from).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec?.iter().map(String::from).collect());
    }
    Ok(Table {
        caption: caption.into(),
        header,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_field_names() {
        assert_eq!(unit_of("latency_ms.p99"), "ms");
        assert_eq!(unit_of("fanout_work_s"), "s");
        assert_eq!(unit_of("node_memory_peak_bytes"), "bytes");
        assert_eq!(unit_of("node_busy_fraction_max"), "fraction");
        assert_eq!(unit_of("guild_sends_per_publish"), "per publish");
        assert_eq!(unit_of("member_list.update_us_max"), "µs");
        assert_eq!(unit_of("deliveries_total"), "");
        assert_eq!(unit_of("latency_ms.count"), "");
    }

    #[test]
    fn text_is_escaped_and_plots_are_inline() {
        let page = Page {
            title: "a <b> & c".into(),
            figures: vec![Figure {
                file: "x.svg".into(),
                svg: "<svg id=\"s\"></svg>".into(),
            }],
            resolved_yaml: "k: <v>".into(),
            ..Default::default()
        };
        let html = render(&page);
        assert!(html.contains("<h1>a &lt;b&gt; &amp; c</h1>"));
        assert!(html.contains("<svg id=\"s\"></svg>"));
        assert!(html.contains("k: &lt;v&gt;"));
        assert!(
            !html.contains("<script") && !html.contains("http://") && !html.contains("https://")
        );
    }
}
