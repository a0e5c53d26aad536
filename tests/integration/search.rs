//! Capacity searches: the answer of an M/M/1 search against its closed form, the same files
//! for any number of jobs, a second run that reuses every run, and located errors for bad
//! `search:` sections.

use super::support::{
    assert_located, check_text, experiment, read_tree, run_test_scale, scratch_dir,
};
use guildsim::config::{self, LoadOptions};
use guildsim::estimate::Limits;
use guildsim::search::{self, SearchPlan};
use guildsim::sweep::Silent;
use std::path::Path;

const MM1: &str = "validation-mm1.yaml";
/// The M/M/1 guild's service rate (mean send cost 1 ms).
const MU: f64 = 1000.0;

/// The largest arrival rate whose mean time in the guild stays at most `limit_ms`: a linear
/// search from 100/s to 990/s to within `precision` per second, on `experiment`'s M/M/1
/// guild publishing for `seconds`.
fn mm1_plan(limit_ms: f64, precision: f64, seconds: f64) -> SearchPlan {
    let search = format!(
        "search={{field: workload.publishes.rate.per_guild_per_s, metric: guild_sojourn_ms.mean, \
         max: {limit_ms}, from: 100.0, to: 990.0, scale: linear, precision: {precision}, \
         replications: 4}}"
    );
    let options = LoadOptions {
        sets: vec![
            search,
            format!("workload.publishes.end_s={seconds}"),
            format!("run.horizon_s={}", seconds + 30.0),
        ],
        test_scale: false,
    };
    let assembled = config::assemble(&experiment(MM1), &options).unwrap();
    search::plan(&assembled)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("the experiment has a search")
}

fn run_search(plan: &SearchPlan, out: &Path, jobs: usize) -> search::exec::Finished {
    search::exec::run(plan, out, jobs, &Limits::none(), &Silent).unwrap()
}

#[test]
fn the_mm1_capacity_is_the_closed_form_rate() {
    // Mean sojourn 1/(mu - lambda) <= L gives lambda <= mu - 1/L: 800/s for L = 5 ms.
    let (limit_ms, precision) = (5.0, 5.0);
    let expected = MU - 1e3 / limit_ms;
    let plan = mm1_plan(limit_ms, precision, 200.0);
    let out = scratch_dir("search-mm1");
    let finished = run_search(&plan, &out, 2);
    let s = &finished.searches[0];
    let answer = s.answer().expect("100/s is within 5 ms");
    let (low, high) = s.bracket.bounds();
    assert!(
        high.unwrap() - low.unwrap() <= precision,
        "{low:?} {high:?}"
    );
    // The statistical tolerance, from the runs at the answer: the standard error of the mean
    // sojourn over the replications, carried to the rate by d(lambda) = (mu - lambda)^2 dS.
    let at = s.tried.iter().find(|t| t.value == answer).unwrap();
    let v: Vec<f64> = at.runs.iter().map(|r| r.value.unwrap() / 1e3).collect();
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let tolerance = precision + 4.0 * sd / n.sqrt() * (MU - expected).powi(2);
    assert!(
        tolerance < 40.0,
        "the tolerance ({tolerance}) must be narrow enough to test something"
    );
    assert!(
        (answer - expected).abs() <= tolerance,
        "answer {answer}, expected {expected} within {tolerance}"
    );
    // Every value tried is on the right side of the answer's bracket.
    for t in &s.tried {
        assert_eq!(t.within, t.mean.unwrap() <= limit_ms, "{t:?}");
    }
    let csv = std::fs::read_to_string(out.join("search.csv")).unwrap();
    assert!(
        csv.contains(&format!("converged,{}", plan.value_text(answer))),
        "{csv}"
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn any_number_of_jobs_writes_the_same_files_and_a_rerun_reuses_every_run() {
    let plan = mm1_plan(5.0, 40.0, 20.0);
    let dir = scratch_dir("search-jobs");
    let trees: Vec<_> = [1, 2]
        .into_iter()
        .map(|jobs| {
            let out = dir.join(format!("jobs-{jobs}"));
            let finished = run_search(&plan, &out, jobs);
            assert_eq!(finished.reused, 0);
            read_tree(&out)
        })
        .collect();
    assert!(trees[0].iter().any(|(n, _)| n == "search.json"));
    assert!(
        trees[0]
            .iter()
            .any(|(n, _)| n.ends_with("r003/summary.json"))
    );
    assert_eq!(trees[0], trees[1], "--jobs 1 and --jobs 2 differ");
    let again = run_search(&plan, &dir.join("jobs-1"), 2);
    assert_eq!(again.reused, again.runs, "a second search reruns nothing");
    assert_eq!(read_tree(&dir.join("jobs-1")), trees[0]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `guildsim check` on the M/M/1 experiment with a `search:` section appended.
fn check_search(name: &str, section: &str) -> ((i32, String), String) {
    let text = std::fs::read_to_string(experiment(MM1)).unwrap() + section;
    check_text(&format!("search-bad-{name}"), name, &text)
}

const GOOD: &str = "search:\n  field: workload.publishes.rate.per_guild_per_s\n  metric: guild_sojourn_ms.mean\n  max: 5\n  from: 100\n  to: 990\n  precision: 0.01\n";

#[test]
fn check_counts_the_runs_of_a_search() {
    let dir = scratch_dir("search-check");
    let path = dir.join("good.yaml");
    std::fs::write(
        &path,
        std::fs::read_to_string(experiment(MM1)).unwrap() + GOOD,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guildsim"))
        .args(["check", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // ln(990/100)/ln(1.01) = 230 bracket ratios: 8 halvings (9 with one for rounding), plus
    // both ends, for 3 replications: 33 runs at most.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("search: 1 point(s) x 3 replications, at most 33 runs"),
        "{stdout}"
    );
}

#[test]
fn bad_search_sections_are_located() {
    let cases = [
        (
            "metric",
            "guild_sojourn_ms.mean",
            "guild_sojourn_ms.meen",
            "search.metric",
            "is not a metric",
        ),
        (
            "limit",
            "  max: 5\n",
            "  max: 5\n  min: 1\n",
            "search.max",
            "exactly one limit",
        ),
        (
            "ends",
            "to: 990",
            "to: 50",
            "search.to",
            "must be larger than `from`",
        ),
        (
            "precision",
            "precision: 0.01",
            "precision: 0",
            "search.precision",
            "relative precision",
        ),
        (
            "field",
            "field: workload.publishes.rate.per_guild_per_s",
            "field: seed",
            "search.field",
            "cannot be searched",
        ),
        (
            "steps",
            "precision: 0.01",
            "precision: 0.01\n  max_steps: 61",
            "search.max_steps",
            "from 0 to 60",
        ),
    ];
    for (name, from, to, path, what) in cases {
        let section = GOOD.replace(from, to);
        let (out, text) = check_search(name, &section);
        // Errors point at the value of the search's own key (written last in the file).
        let key = path.rsplit('.').next().unwrap();
        let at = text.rfind(&format!("\n  {key}:")).unwrap() + 1;
        let place = format!("{}:{}", text[..at].matches('\n').count() + 1, key.len() + 5);
        assert_located(&out, &format!("{name}.yaml"), &place, path, what);
    }
}

#[test]
fn a_search_refuses_expectations() {
    let section = format!("{GOOD}expect:\n  latency_ms.p99: {{max: 100}}\n");
    let ((code, stderr), _) = check_search("expect", &section);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("expect.yaml:"), "{stderr}");
    assert!(
        stderr.contains("expect: a search judges its own limit"),
        "{stderr}"
    );
}

/// `guildsim run capacity-guild-size.yaml --test-scale -q --out OUT [extra...]`.
fn capacity_into(out: &Path, extra: &[&str]) -> (i32, String) {
    run_test_scale(&experiment("capacity-guild-size.yaml"), out, extra)
}

#[test]
fn a_search_keeps_to_its_own_files() {
    let dir = scratch_dir("search-folders");
    // A folder of a user's files is refused, and nothing in it is touched.
    let docs = dir.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("figure.svg"), "<svg>mine</svg>").unwrap();
    let before = read_tree(&docs);
    let (code, stderr) = capacity_into(&docs, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("did not write") && stderr.contains("figure.svg"),
        "{stderr}"
    );
    assert_eq!(read_tree(&docs), before);
    // A search's own folder: a file added to one of its runs stops a second search, and stays.
    let out = dir.join("out");
    assert_eq!(capacity_into(&out, &[]).0, 0);
    for file in [
        "search.csv",
        "search-steps.csv",
        "search-runs.csv",
        "search.json",
        "search.svg",
        "report.html",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let manifest = std::fs::read_to_string(out.join("sweep.json")).unwrap();
    assert!(manifest.contains("\"search.svg\""), "{manifest}");
    assert!(manifest.contains("\"report.html\""), "{manifest}");
    // The page holds the answers as search.csv has them, and the chart inline.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let answers = std::fs::read_to_string(out.join("search.csv")).unwrap();
    let first_answer = answers.lines().nth(1).unwrap().split(',').nth(4).unwrap();
    assert!(
        page.contains(&format!("<td class=\"num\">{first_answer}</td>")),
        "{first_answer}"
    );
    assert!(page.contains("<svg") && page.contains("guildsim search:"));
    let run = std::fs::read_dir(out.join("runs")).unwrap().next().unwrap();
    let added = run.unwrap().path().join("r000").join("my-analysis.ipynb");
    std::fs::write(&added, "{}").unwrap();
    let (code, stderr) = capacity_into(&out, &["--set", "search.precision=0.3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("my-analysis.ipynb"), "{stderr}");
    assert!(added.exists());
    // Without it, a finer search reuses the runs it shares and removes only its stale ones.
    std::fs::remove_file(&added).unwrap();
    assert_eq!(capacity_into(&out, &["--set", "search.precision=0.3"]).0, 0);
    let steps = std::fs::read_to_string(out.join("search-steps.csv")).unwrap();
    for line in steps.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let dir = format!(
            "{}-strategy={},per_guild_per_s={},members={}",
            cols[0], cols[1], cols[2], cols[4]
        );
        assert!(out.join("runs").join(&dir).join("r000").is_dir(), "{dir}");
    }
    let folders = std::fs::read_dir(out.join("runs")).unwrap().count();
    assert_eq!(
        folders,
        steps.lines().count() - 1,
        "only the values tried remain"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_end_the_field_refuses_is_explained() {
    let section = "search:\n  field: model.nodes[guild].schedulers\n  metric: guild_sojourn_ms.mean\n  max: 5\n  from: 1.5\n  to: 4.0\n  precision: 0.1\n";
    let ((code, stderr), _) = check_search("decimal-ends", section);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the search sets `model.nodes[0].schedulers` to 1.5")
            || stderr.contains("the search sets `model.nodes[guild].schedulers` to 1.5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("write `from` and `to` as integers"),
        "{stderr}"
    );
}
