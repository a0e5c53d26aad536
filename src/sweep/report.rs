//! A sweep folder's `report.html`: the experiment's description, how to repeat it, the grid,
//! the answer table (one row per point), the verdicts of its expectations, the aggregate table
//! (collapsed) and every plot and timeline of the sweep inline (`report::html`).

use super::Plan;
use super::answer::Answer;
use crate::expect::Verdicts;
use crate::report::html::{self, Figure, Page, Table};
use anyhow::Result;

/// The sweep's page from its aggregate table and its drawn figures (`(file, svg)`).
pub(crate) fn page(
    plan: &Plan,
    aggregate_csv: &[u8],
    charts: &[(String, String)],
    verdicts: Option<&Verdicts>,
    answer: &Answer,
) -> Result<String> {
    let exp = &plan.base.experiment;
    let facts = vec![
        (
            "repeat it".to_string(),
            "guildsim run resolved.yaml (in this folder); each run's folder under runs/ repeats \
             that run the same way"
                .to_string(),
        ),
        ("seed".into(), exp.seed.to_string()),
        (
            "runs".into(),
            format!(
                "{} points x {} replications = {}",
                plan.points.len(),
                plan.sweep.replications,
                plan.runs.len()
            ),
        ),
        ("swept fields".into(), plan.columns.join(", ")),
        ("guildsim".into(), crate::identity::VERSION.into()),
    ];
    let caption = "aggregate.csv: per point and metric, the mean over replications, its 95 % \
                   confidence interval, min, max, and the statistic of the merged histograms";
    let tables: Vec<Table> = vec![html::csv_table(caption, aggregate_csv)?];
    let figures = charts
        .iter()
        .map(|(file, svg)| Figure {
            file: file.clone(),
            svg: svg.clone(),
        })
        .collect();
    let page = Page {
        title: format!("guildsim sweep: {}", plan.base.name),
        description: exp.description.clone(),
        facts,
        answer: Some((
            Table {
                caption: "one row per point: the key metrics (sweep.summary) and whether the \
                          point keeps up with its load"
                    .into(),
                header: answer.header.clone(),
                rows: answer.rows.clone(),
            },
            answer.notes.clone(),
        )),
        collapse_tables: true,
        plots_field: Some("sweep.plots"),
        verdicts: verdicts.map(crate::report::verdicts_table),
        key_results: Vec::new(),
        tables,
        figures,
        resolved_yaml: String::from_utf8(plan.resolved_yaml.clone())?,
    };
    Ok(html::render(&page))
}
