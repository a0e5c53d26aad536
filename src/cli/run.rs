//! `guildsim run`: the experiment assembled, planned and run by the library (`job`), and what
//! the terminal shows of it: the estimate, the sweep's or search's plan, progress bars, each
//! search step, and at the end the result table, the search's answers or the sweep's summary,
//! and the expectations' verdicts (exit code 1 when one fails).

use super::args::RunArgs;
use super::memory::{self, MemoryWatch};
use super::output::{errln, outln, print_notes, print_table_text, print_verdicts};
use super::progress::{RunBar, SweepBar};
use guildsim::config::{self, LoadOptions};
use guildsim::error::Result;
use guildsim::estimate::{Limits, fmt_seconds};
use guildsim::job::{self, Admitted, Done, Job, Kind, SingleDone};
use guildsim::metrics::DurationStats;
use guildsim::metrics::trace::Trace;
use guildsim::runner::RunResult;
use guildsim::search::{self, SearchPlan};
use guildsim::sim::Nanos;
use guildsim::sim::time::{secs, to_secs};
use guildsim::sweep::{RunSpec, exec};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let RunArgs {
        experiment,
        out,
        jobs,
        shard,
        max_memory,
        seed,
        mut sets,
        test_scale,
        trace,
        allow_long_run,
        quiet,
    } = args;
    if let Some(seed) = seed {
        sets.push(format!("seed={seed}"));
    }
    let load = LoadOptions { sets, test_scale };
    let assembled = config::assemble(&experiment, &load)?;
    let limits = memory::limits(max_memory, allow_long_run);
    let options = job::Options {
        out,
        sets: load.sets,
        jobs: jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        shard,
        trace,
    };
    let job = job::plan(assembled, &options)?;
    if let Kind::Search { plan } = &job.kind
        && !quiet
    {
        print_search_plan(plan)?;
    }
    let watch = Watch::new(&limits, quiet);
    if let Kind::Search { .. } = job.kind {
        let _ = watch.started.set(Instant::now());
    }
    let done = job::run(&job, &limits, &watch)?;
    let wall_s = watch
        .started
        .get()
        .map_or(0.0, |t| t.elapsed().as_secs_f64());
    Ok(match done {
        Done::Single(single) => print_single(&single, &job, watch.wall_s(), quiet),
        Done::Sweep { ran, written } => {
            if !quiet {
                outln!(
                    "ran {ran} runs in {wall_s:.1} s wall time; results in {}",
                    job.out.display()
                );
                match &job.kind {
                    Kind::Sweep { shard, .. } if shard.count > 1 => outln!(
                        "shard {}/{} done: when every shard is, combine the folders with `guildsim merge DIR... --out DIR`",
                        shard.index,
                        shard.count
                    ),
                    _ => outln!("tables and plots: {} files", written.files.len()),
                }
            }
            let code = print_verdicts(written.verdicts.as_ref(), &job.out, quiet);
            if !quiet && let Some(answer) = &written.answer {
                print_answer(answer);
            }
            code
        }
        Done::Search(finished) => {
            if !quiet && let Kind::Search { plan } = &job.kind {
                print_answers(plan, &finished.searches);
                outln!(
                    "ran {} runs ({} complete already) in {wall_s:.1} s wall time; results in {}: {} files",
                    finished.runs - finished.reused,
                    finished.reused,
                    job.out.display(),
                    finished.files.len()
                );
            }
            ExitCode::SUCCESS
        }
    })
}

/// What the terminal shows while a job runs, and the memory watch that stops a run which
/// outgrows the memory the process may use.
struct Watch {
    quiet: bool,
    /// Where the memory limit comes from, for the sweep's plan.
    memory_what: String,
    memory: MemoryWatch,
    /// When the runs started (a search's: when it did).
    started: OnceLock<Instant>,
    /// A single run's wall time, from its start to its end (results not written yet).
    single_wall_s: OnceLock<f64>,
    single: OnceLock<RunBar>,
    sweep: OnceLock<SweepBar>,
}

impl Watch {
    fn new(limits: &Limits, quiet: bool) -> Self {
        Watch {
            quiet,
            memory_what: limits.memory_what.clone(),
            memory: MemoryWatch::new(limits.memory_bytes),
            started: OnceLock::new(),
            single_wall_s: OnceLock::new(),
            single: OnceLock::new(),
            sweep: OnceLock::new(),
        }
    }

    fn wall_s(&self) -> f64 {
        self.single_wall_s.get().copied().unwrap_or(0.0)
    }
}

impl exec::Observer for Watch {
    fn progress(&self, worker: usize, run: &RunSpec, now: Nanos) -> ControlFlow<()> {
        if let Some(bar) = self.sweep.get() {
            bar.progress(worker, run, now);
        }
        self.memory.check()
    }

    fn finished(&self, worker: usize, run: &RunSpec) {
        if let Some(bar) = self.sweep.get() {
            bar.finished(worker, run);
        }
    }
}

impl search::exec::Observer for Watch {
    fn step(&self, number: u32, runs: usize, todo: usize) {
        if !self.quiet {
            outln!(
                "  step {number}: {runs} runs ({} complete already)",
                runs - todo
            );
        }
    }
}

impl job::Observer for Watch {
    fn notes(&self, notes: &[String]) {
        print_notes(notes);
    }

    fn admitted(&self, admitted: &Admitted<'_>) {
        if self.quiet {
            return;
        }
        match admitted {
            Admitted::Single { estimate, .. } => {
                let speed = machine_speed(estimate.seconds);
                outln!("estimate: {}", estimate.on_this_machine(speed).describe());
            }
            Admitted::Sweep {
                plan,
                shard,
                todo,
                estimates,
                jobs,
                asked,
            } => {
                let share = if shard.count > 1 {
                    format!(
                        "; shard {}/{}: {} of them",
                        shard.index,
                        shard.count,
                        todo.run.len() + todo.reused.len()
                    )
                } else {
                    String::new()
                };
                outln!(
                    "sweep {}: {} points x {} replications = {} runs{share}; {} complete already, {} to run on {jobs} job(s)",
                    plan.base.name,
                    plan.points.len(),
                    plan.sweep.replications,
                    plan.runs.len(),
                    todo.reused.len(),
                    todo.run.len(),
                );
                if *jobs < (*asked).min(todo.run.len()) {
                    outln!(
                        "  (fewer jobs than asked, so that they fit in {})",
                        self.memory_what
                    );
                }
                if let Some((i, e)) = estimates
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, e)| e.memory_bytes)
                {
                    let total: f64 = estimates.iter().map(|e| e.seconds).sum();
                    let speed = machine_speed(total);
                    let total = total * speed;
                    let e = e.on_this_machine(speed);
                    outln!("  largest run {}: {}", todo.run[i].dir, e.describe());
                    outln!(
                        "  all runs: {} on {jobs} job(s)",
                        fmt_seconds(total / *jobs as f64)
                    );
                }
            }
        }
    }

    fn starting(&self, admitted: &Admitted<'_>) {
        let _ = self.started.set(Instant::now());
        match admitted {
            Admitted::Single { loaded, .. } => {
                // With run.until, each attempt restarts from 0 towards at most the cap.
                let horizon = secs(loaded.experiment.run.longest_horizon_s());
                let _ = self.single.set(RunBar::new(horizon, self.quiet));
            }
            Admitted::Sweep {
                plan,
                todo,
                estimates,
                jobs,
                ..
            } => {
                let bar = SweepBar::new(plan, &todo.run, estimates, *jobs, self.quiet);
                let _ = self.sweep.set(bar);
            }
        }
    }

    fn single_progress(&self, now: Nanos) -> ControlFlow<u64> {
        if let Some(bar) = self.single.get() {
            bar.set(now);
        }
        self.memory.check().map_break(|()| self.memory.peak_bytes())
    }

    fn ran(&self) {
        if let Some(bar) = self.single.get() {
            bar.finish();
            if let Some(t) = self.started.get() {
                let _ = self.single_wall_s.set(t.elapsed().as_secs_f64());
            }
        }
        if let Some(bar) = self.sweep.get() {
            bar.finish();
        }
    }
}

/// A search's plan and its largest run's estimate, before it starts.
fn print_search_plan(plan: &SearchPlan) -> Result<()> {
    outln!(
        "search {}: {} for {} point(s) x {} replications, at most {} runs",
        plan.base.name,
        plan.search.field,
        plan.points.len(),
        plan.search.replications,
        plan.max_runs()
    );
    if let Some((name, e)) = job::largest_search_run(plan)? {
        outln!("  largest run {name}: {}", e.describe());
    }
    Ok(())
}

/// Each point's answer, with its status and final bracket.
fn print_answers(plan: &SearchPlan, searches: &[search::tables::PointSearch]) {
    for (p, s) in searches.iter().enumerate() {
        let at = plan
            .columns
            .iter()
            .zip(&plan.points[p].labels)
            .map(|(c, v)| format!("{c}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (lo, hi) = s.bracket.bounds();
        let show = |v: Option<f64>| v.map_or("-".to_string(), |v| plan.value_text(v));
        outln!(
            "  {}{}: {} ({}, bracket {} to {})",
            at,
            if at.is_empty() { "answer" } else { "" },
            show(s.answer()),
            search::tables::status_name(s.bracket.status),
            show(lo),
            show(hi)
        );
    }
}

/// A single run's table, files and trace, and its verdicts.
fn print_single(done: &SingleDone, job: &Job, wall_s: f64, quiet: bool) -> ExitCode {
    if !quiet {
        print_table(&done.result, wall_s);
        outln!(
            "results: {} files in {}",
            done.files.len(),
            job.out.display()
        );
    }
    if let (Some(t), Some(written)) = (done.result.world.trace.as_deref(), &done.trace) {
        print_trace(t, written.events, &written.place, quiet);
    }
    print_verdicts(done.verdicts.as_ref(), &job.out, quiet)
}

/// What the trace holds, and whether its cap ended it (never silent, even with `--quiet`).
fn print_trace(t: &Trace, events: u64, place: &Path, quiet: bool) {
    let place = place.display();
    if !quiet {
        outln!(
            "trace: {events} events from {} s to {} s of virtual time in {place}",
            to_secs(t.from),
            to_secs(t.to)
        );
    }
    if let Some(at) = t.full_at {
        errln!(
            "trace: the cap of {} events was reached at {} s of virtual time: {place} ends there \
             (raise output.trace.max_events, or narrow it with output.trace.from_s, to_s, guilds \
             or nodes)",
            t.cap,
            to_secs(at)
        );
    }
}

fn print_table(result: &RunResult, wall_s: f64) {
    let s = &result.summary;
    let row = |name: &str, st: &DurationStats| {
        // Nothing measured: a dash, not 0.
        let cell = |v: f64| {
            if st.count > 0 {
                format!("{v:>12.3}")
            } else {
                format!("{:>12}", "-")
            }
        };
        outln!(
            "{name:<31} {} {} {} {} {}",
            cell(st.mean),
            cell(st.p50),
            cell(st.p99),
            cell(st.p999),
            cell(st.max)
        );
    };
    outln!(
        "{:<31} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "(ms)",
        "mean",
        "p50",
        "p99",
        "p99.9",
        "max"
    );
    row("delivery latency", &s.latency_ms);
    row("fan-out duration", &s.fanout_duration_ms);
    row("time in guild queue and fan-out", &s.guild_sojourn_ms);
    outln!(
        "publishes {}  deliveries {}  guild mailbox max {}  node busy mean {:.3}  max {:.3}",
        s.publishes_total,
        s.deliveries_total,
        s.guild_mailbox_depth_max,
        s.node_busy_fraction_mean,
        s.node_busy_fraction_max
    );
    match s.keeps_up.all {
        Some(true) => outln!("keeps up: yes ({})", s.keeps_up.why()),
        Some(false) => outln!(
            "keeps up: NO: {}; the latencies above are bounded by the run's length, not answers",
            s.keeps_up.why()
        ),
        None => outln!("keeps up: {}", s.keeps_up.why()),
    }
    outln!("stopped: {}", s.stop.words());
    let l = &s.steady.latency_ms;
    match (s.steady.warmup_s, l.p99, l.p99_low, l.p99_high) {
        (Some(w), Some(p99), Some(lo), Some(hi)) => outln!(
            "steady state after {w} s of warm-up: delivery latency p99 {p99:.3} ms (95 %: {lo:.3} \
             to {hi:.3}), mean {} ms",
            l.mean.map_or("-".to_string(), |m| format!("{m:.3}"))
        ),
        _ if s.steady.note().starts_with("no steady state") => outln!("{}", s.steady.note()),
        _ if !s.steady.note().is_empty() => outln!("steady state: {}", s.steady.note()),
        _ => {}
    }
    if let Some(u) = &s.until {
        outln!("{}", u.describe());
    }
    outln!(
        "wall {:.2} s, {:.2} M events/s, {:.2} M deliveries/s, {} queued events",
        wall_s,
        s.events_total as f64 / wall_s / 1e6,
        s.deliveries_total as f64 / wall_s / 1e6,
        result.outcome.queued_events
    );
}

/// A sweep's answer: one row per point, then its notes (the last thing a sweep prints).
fn print_answer(answer: &guildsim::sweep::answer::Answer) {
    outln!("answer (one row per point; report.html shows it too):");
    print_table_text(&guildsim::table::text(&answer.header, &answer.rows));
    for note in &answer.notes {
        outln!("  {note}");
    }
}

/// This machine's factor for an estimate of `reference_s` seconds at the reference costs: the
/// cached factor, else measured now when the estimate is long enough to matter (over a
/// second), else 1 (a short run is "under a second" either way).
fn machine_speed(reference_s: f64) -> f64 {
    super::speed::cached().unwrap_or_else(|| {
        if reference_s > 1.0 {
            super::speed::measure()
        } else {
            1.0
        }
    })
}
