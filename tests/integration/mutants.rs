//! Fuzzing as a habit: deterministic mutants of every shipped experiment and model (a value
//! replaced by an extreme one, a field removed, a list item repeated, a number scaled, the
//! text cut or given a byte-order mark), each checked as `guildsim check` does and, when
//! accepted, run at test scale with an event budget and written out. Any panic fails the test
//! and names the mutant; a mutant that takes longer than the watchdog allows aborts the test
//! binary with its text (a hang). A refusal is fine: it must only be an error, never a crash.
//!
//! `GUILDSIM_MUTANTS=N` sets the number of mutants (default below: seconds on the 2-core
//! reference machine), `GUILDSIM_MUTANT_SEED=S` another deterministic campaign and
//! `GUILDSIM_MUTANT_EVENTS=E` the event budget of each run: `GUILDSIM_MUTANTS=30000
//! GUILDSIM_MUTANT_SEED=7 GUILDSIM_MUTANT_EVENTS=200000 cargo test --release mutants`.

use super::support::{root, scratch_dir};
use guildsim::config::{self, LoadOptions};
use guildsim::sim::rng::{RngStreams, StreamRng};
use guildsim::{check, estimate, report, runner, sweep};
use rand::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use yaml_serde::Value;

const DEFAULT_MUTANTS: usize = 3000;
/// A mutant's whole check, run and write may take this long before it counts as a hang.
const WATCHDOG: Duration = Duration::from_secs(60);
/// Accepted mutants run with at most this many events, and only if their estimate fits here
/// (a larger one would be refused by the memory guard, which is not a crash).
const EVENT_BUDGET: u64 = 20_000;
const MEMORY_BYTES: u64 = 256 << 20;

/// Extreme and awkward values a field may be replaced with.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "0.5",
    "0.0004",
    "1e-9",
    "1e6",
    "1e7",
    "1e9",
    "1e12",
    "1e308",
    "-1e308",
    ".nan",
    ".inf",
    "-.inf",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "''",
    "x",
    "session-0",
    "guild-0",
    "null",
    "true",
    "[]",
    "{}",
    "[1, 2]",
    "{dist: lognormal, median_us: 50, sigma: 50}",
    "{dist: exponential, mean_us: 9223372036854775807}",
    "{dist: uniform, min_us: 0, max_us: 1e9}",
    "{fixed: {count: 3, members: 5}}",
    "{zipf: {count: 4294967295, min: 1, max: 10, exponent: 1}}",
    "{login: {users: 4294967295, start_s: 0, window_s: 0}}",
    "{node_restart: {node: session-0, at_s: 0, down_s: 0.001, reconnect_jitter_s: 0}}",
];

fn mutants_wanted() -> usize {
    std::env::var("GUILDSIM_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MUTANTS)
}

fn event_budget() -> u64 {
    std::env::var("GUILDSIM_MUTANT_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(EVENT_BUDGET)
}

fn campaign_seed() -> u64 {
    std::env::var("GUILDSIM_MUTANT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Every node of `v`, by a path of indices (mapping entries by position).
fn node_paths(v: &Value, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(here.clone());
    let children: Vec<&Value> = match v {
        Value::Mapping(m) => m.values().collect(),
        Value::Sequence(s) => s.iter().collect(),
        _ => return,
    };
    for (i, child) in children.into_iter().enumerate() {
        here.push(i);
        node_paths(child, here, out);
        here.pop();
    }
}

fn node_mut<'a>(v: &'a mut Value, path: &[usize]) -> &'a mut Value {
    match path.split_first() {
        None => v,
        Some((&i, rest)) => match v {
            Value::Mapping(m) => node_mut(m.values_mut().nth(i).expect("path exists"), rest),
            Value::Sequence(s) => node_mut(&mut s[i], rest),
            _ => unreachable!("paths lead through collections"),
        },
    }
}

fn parse(text: &str) -> Value {
    yaml_serde::from_str(text).expect("a YAML value")
}

/// One mutation of `doc` (the parsed file), as text.
fn mutate(doc: &Value, text: &str, rng: &mut StreamRng) -> String {
    let kind = rng.random_range(0..100);
    if kind < 4 {
        // Text-level: a byte-order mark, a cut, or a stray character.
        return match kind {
            0 => format!("\u{feff}{text}"),
            1 => text[..text.floor_char_boundary(rng.random_range(0..text.len()))].to_string(),
            2 => text.replacen(':', "", 1),
            _ => format!("{text}\n---\nx: 1\n"),
        };
    }
    let mut v = doc.clone();
    let mut paths = Vec::new();
    node_paths(&v, &mut Vec::new(), &mut paths);
    let mutations = 1 + (kind % 3).min(rng.random_range(0..3));
    for _ in 0..mutations {
        let path = &paths[rng.random_range(1..paths.len())];
        let (parent_path, last) = path.split_at(path.len() - 1);
        let op = rng.random_range(0..10);
        if op < 6 {
            *node_mut(&mut v, path) = parse(VALUES[rng.random_range(0..VALUES.len())]);
        } else if op < 8 {
            if let Value::Number(n) = node_mut(&mut v, path).clone() {
                let x = n.as_f64().unwrap_or(0.0);
                let scaled = match rng.random_range(0..5) {
                    0 => -x,
                    1 => x * 1e3,
                    2 => x / 1e3,
                    3 => x + 1.0,
                    _ => x.round() * 1e9,
                };
                *node_mut(&mut v, path) = Value::from(scaled);
            }
        } else {
            match node_mut(&mut v, parent_path) {
                Value::Mapping(m) => {
                    let key = m.keys().nth(last[0]).cloned().expect("entry exists");
                    m.remove(&key);
                }
                Value::Sequence(s) => {
                    let item = s[last[0]].clone();
                    s.push(item);
                }
                _ => {}
            }
        }
        // Later mutations may point into a removed part: stop there.
        paths.clear();
        node_paths(&v, &mut Vec::new(), &mut paths);
        if paths.len() < 2 {
            break;
        }
    }
    yaml_serde::to_string(&v).expect("a value serialises")
}

/// What happened to the mutants.
#[derive(Default)]
struct Tally {
    refused: usize,
    guarded: usize,
    ran: usize,
    panics: Vec<String>,
}

/// Checks `path` as `guildsim check` does and runs an accepted one with an event budget, at
/// test scale or (`full`) at full scale, so that mutations test_overrides would mask run too.
fn exercise(path: &Path, out: &Path, write: bool, full: bool, tally: &mut Tally) {
    if check::check(path, &LoadOptions::default()).is_err() {
        tally.refused += 1;
        return;
    }
    let bounded = LoadOptions {
        sets: vec![format!("run.event_budget={}", event_budget())],
        test_scale: !full,
    };
    let loaded = match config::assemble(path, &bounded).map(|a| (sweep::plan(&a), a)) {
        Ok((Ok(Some(plan)), _)) => plan.runs[0].load().expect("a planned run loads"),
        Ok((Ok(None), a)) => match config::finish(a) {
            Ok(l) => l,
            Err(e) => panic!("check accepted it, but loading it at test scale failed: {e}"),
        },
        // A swept event budget cannot be overridden; a test scale refusal was checked.
        Ok((Err(_), _)) | Err(_) => {
            tally.refused += 1;
            return;
        }
    };
    let est = estimate::estimate(&loaded.experiment);
    if est.memory_bytes > MEMORY_BYTES {
        tally.guarded += 1;
        return;
    }
    let result = runner::simulate(&loaded, |_| {})
        .unwrap_or_else(|e| panic!("check accepted it, but the run refused it: {e}"));
    if write {
        report::write_run(out, &loaded, &result).expect("result files are written");
    }
    tally.ran += 1;
}

/// The shipped files to mutate: (file to mutate, experiment to run with it). A model's mutant
/// is run with the quickstart experiment pointing at it.
fn targets() -> Vec<(PathBuf, bool)> {
    let mut files = Vec::new();
    for dir in ["experiments", "models"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|p| (p, dir == "models")));
    }
    files
}

#[test]
fn mutants_of_every_shipped_file_never_crash_or_hang() {
    let dir = scratch_dir("mutants");
    let models = root().join("models").display().to_string();
    let quickstart = std::fs::read_to_string(root().join("experiments/quickstart.yaml")).unwrap();
    let targets = targets();
    let wanted = mutants_wanted();
    let mut rng = RngStreams::new(campaign_seed()).stream("mutants");

    // The watchdog: a mutant that runs too long is a hang; abort with its text.
    let current: &'static Mutex<String> = Box::leak(Box::new(Mutex::new(String::new())));
    let started: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
    let epoch = Instant::now();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let since = started.load(Ordering::SeqCst);
            let now = epoch.elapsed().as_millis() as u64;
            if since > 0 && now.saturating_sub(since) > WATCHDOG.as_millis() as u64 {
                eprintln!(
                    "HANG: a mutant ran for over {WATCHDOG:?}:\n{}",
                    current.lock().unwrap()
                );
                std::process::abort();
            }
        }
    });

    let mut tally = Tally::default();
    for i in 0..wanted {
        let (file, is_model) = &targets[i % targets.len()];
        let original = std::fs::read_to_string(file).unwrap();
        let mutant = mutate(&parse(&original), &original, &mut rng);
        let (path, shown) = if *is_model {
            let model = dir.join("model.yaml");
            std::fs::write(&model, &mutant).unwrap();
            let exp = dir.join("mutant.yaml");
            let text = quickstart.replace("../models/discord-2017.yaml", "model.yaml");
            std::fs::write(&exp, text).unwrap();
            (
                exp,
                format!("{} (model of quickstart):\n{mutant}", file.display()),
            )
        } else {
            let exp = dir.join("mutant.yaml");
            std::fs::write(&exp, mutant.replace("../models/", &format!("{models}/"))).unwrap();
            (exp, format!("{}:\n{mutant}", file.display()))
        };
        *current.lock().unwrap() = format!("mutant {i} of {shown}");
        started.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        let out = dir.join("out");
        let _ = std::fs::remove_dir_all(&out);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            exercise(&path, &out, i % 8 == 0, i % 2 == 1, &mut tally)
        }));
        let took = epoch.elapsed().as_millis() as u64 + 1 - started.swap(0, Ordering::SeqCst);
        if took > 2000 {
            eprintln!("slow ({took} ms): {}", current.lock().unwrap());
        }
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            tally
                .panics
                .push(format!("mutant {i} of {shown}\npanic: {message}"));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!(
        "{wanted} mutants: {} refused by check, {} by the memory guard, {} ran; {} panics",
        tally.refused,
        tally.guarded,
        tally.ran,
        tally.panics.len()
    );
    assert!(
        tally.panics.is_empty(),
        "{} of {wanted} mutants panicked; the first:\n{}",
        tally.panics.len(),
        tally.panics[0]
    );
    assert!(
        tally.ran > wanted / 10,
        "too few mutants ran ({}) to exercise the model",
        tally.ran
    );
}
