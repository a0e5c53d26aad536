//! A search folder's `report.html`: the experiment's description, how to repeat it, what was
//! searched, the answers, every step and the chart inline (`report::html`), like a sweep's.

use super::plan::SearchPlan;
use crate::report::html::{self, Figure, Page, Table};
use anyhow::Result;

pub(crate) const REPORT: &str = "report.html";

/// The search's page from its answer and step tables and its chart (if drawn).
pub(crate) fn page(
    plan: &SearchPlan,
    answers_csv: &[u8],
    steps_csv: &[u8],
    chart: Option<(&str, &str)>,
) -> Result<String> {
    let exp = &plan.base.experiment;
    let s = &plan.search;
    let limit = match (s.max, s.min) {
        (Some(m), _) => format!("at most {m}"),
        (_, Some(m)) => format!("at least {m}"),
        _ => String::new(),
    };
    let facts = vec![
        (
            "repeat it".to_string(),
            "guildsim run resolved.yaml (in this folder); each run's folder under runs/ repeats \
             that run the same way"
                .to_string(),
        ),
        ("seed".into(), exp.seed.to_string()),
        (
            "searched".into(),
            format!(
                "the {:?} value of {} whose {} (mean of {} replications) is {limit}",
                s.find, s.field, s.metric, s.replications
            )
            .to_lowercase(),
        ),
        (
            "searches".into(),
            format!("{} (one per point of the grid)", plan.points.len()),
        ),
        ("swept fields".into(), plan.columns.join(", ")),
        ("guildsim".into(), crate::identity::VERSION.into()),
    ];
    let key_results: Vec<Table> = vec![html::csv_table(
        "search.csv: per point, the answer (the best value within the limit), the final bracket, \
         steps and runs",
        answers_csv,
    )?];
    let tables: Vec<Table> = vec![html::csv_table(
        "search-steps.csv: every value tried, the mean of the metric over its runs, the verdict \
         and the bracket after the step",
        steps_csv,
    )?];
    let figures = chart
        .map(|(file, svg)| Figure {
            file: file.to_string(),
            svg: svg.to_string(),
        })
        .into_iter()
        .collect();
    let page = Page {
        title: format!("guildsim search: {}", plan.base.name),
        description: exp.description.clone(),
        facts,
        verdicts: None,
        key_results,
        tables,
        figures,
        resolved_yaml: String::from_utf8(plan.resolved_yaml.clone())?,
        ..Default::default()
    };
    Ok(html::render(&page))
}
