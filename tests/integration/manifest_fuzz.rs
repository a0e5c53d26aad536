//! Manifest tampering (issue 19): random mutations of `run-key.txt`, `sweep.json` and shard
//! manifests (listed names, sizes, hashes, whole entries that record the bait files exactly)
//! in a sandbox folder surrounded by bait files; after a rerun, a rerun that prunes, a resume
//! and a merge, every bait file is intact and nothing panicked. `GUILDSIM_MANIFEST_FUZZ=N`
//! runs N mutations instead of the default (`GUILDSIM_MANIFEST_FUZZ_SEED` picks another
//! sequence); the closing note of issue 19 gives a longer campaign's counts.

use super::support::{arg, experiment, guildsim, read_tree, run_test_scale, scratch_dir};
use guildsim::identity::sha256_hex;
use guildsim::sim::rng::derive_seed;
use std::path::{Path, PathBuf};

const SWEEP: &str = "scaling-guild-size.yaml";
const ONE: [&str; 4] = [
    "--set",
    "sweep.grid[0].values=[naive]",
    "--set",
    "sweep.replications=1",
];

fn run(out: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = ONE.to_vec();
    args.extend(extra);
    run_test_scale(&experiment(SWEEP), out, &args)
}

/// Copies the tree `from` into the absent folder `to`.
fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in read_tree(from) {
        let path = to.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Every manifest in `dir`, relative paths.
fn manifests(dir: &Path) -> Vec<String> {
    read_tree(dir)
        .into_iter()
        .map(|(rel, _)| rel)
        .filter(|rel| {
            rel.ends_with("run-key.txt") || rel.ends_with("sweep.json") || rel.contains("shard-")
        })
        .collect()
}

struct Draws(u64, u64);
impl Draws {
    fn below(&mut self, n: u64) -> u64 {
        self.1 += 1;
        derive_seed(self.0, "manifest fuzz", self.1) % n.max(1)
    }
}

/// A name that points somewhere it must not: outside the folder, at a bait, at a folder.
fn hostile_name(d: &mut Draws, bait: &[(PathBuf, Vec<u8>)]) -> String {
    let options = [
        "../bait.txt".to_string(),
        "../../bait.txt".to_string(),
        "../../../bait.txt".to_string(),
        "runs/../../bait.txt".to_string(),
        arg(&bait[0].0),
        arg(&bait[1].0),
        "..".to_string(),
        ".".to_string(),
        "runs".to_string(),
        "".to_string(),
        "a/b".to_string(),
        "../notes/thesis.tex".to_string(),
        "../../notes/thesis.tex".to_string(),
    ];
    options[d.below(options.len() as u64) as usize].clone()
}

/// Mutates one manifest line or entry of `file`.
fn mutate(file: &Path, d: &mut Draws, bait: &[(PathBuf, Vec<u8>)]) {
    let text = std::fs::read_to_string(file).unwrap();
    let (bait_path, bait_bytes) = &bait[d.below(bait.len() as u64) as usize];
    let bait_sha = sha256_hex(bait_bytes);
    let name = hostile_name(d, bait);
    let out = if file.ends_with("run-key.txt") {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let i = 3 + d.below((lines.len() - 3) as u64) as usize;
        let parts: Vec<String> = lines[i].splitn(3, ' ').map(str::to_string).collect();
        let (size, sha, listed) = (&parts[0], &parts[1], &parts[2]);
        lines[i] = match d.below(5) {
            0 => format!("{size} {sha} {name}"),
            1 => format!("{} {bait_sha} {name}", bait_bytes.len()),
            2 => format!("{} {sha} {listed}", size.parse::<u64>().unwrap() + 1),
            3 => format!("{size} {bait_sha} {listed}"),
            _ => {
                lines.push(format!(
                    "{} {bait_sha} {}",
                    bait_bytes.len(),
                    arg(bait_path)
                ));
                lines[i].clone()
            }
        };
        lines.join("\n") + "\n"
    } else {
        let mut m: serde_json::Value = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(_) => return,
        };
        let files = m["files"].as_array_mut().unwrap();
        let entry = serde_json::json!({"name": name, "size": bait_bytes.len(), "sha256": bait_sha});
        match d.below(4) {
            0 if !files.is_empty() => {
                let i = d.below(files.len() as u64) as usize;
                files[i]["name"] = serde_json::json!(name);
            }
            1 if !files.is_empty() => {
                let i = d.below(files.len() as u64) as usize;
                files[i]["sha256"] = serde_json::json!(bait_sha);
            }
            2 => m["experiment_sha256"] = serde_json::json!(bait_sha),
            _ => files.push(entry),
        }
        serde_json::to_string_pretty(&m).unwrap()
    };
    std::fs::write(file, out).unwrap();
}

#[test]
fn tampered_manifests_never_delete_bait_files() {
    let count: u64 = std::env::var("GUILDSIM_MANIFEST_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let seed: u64 = std::env::var("GUILDSIM_MANIFEST_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(19);
    let dir = scratch_dir("manifest-fuzz");
    // Bait around the sandbox: beside it, above its folders, in a notes folder.
    let sandbox = dir.join("sandbox").join("work");
    std::fs::create_dir_all(dir.join("notes")).unwrap();
    std::fs::create_dir_all(dir.join("sandbox").join("notes")).unwrap();
    let bait: Vec<(PathBuf, Vec<u8>)> = vec![
        (dir.join("bait.txt"), b"the user's bait".to_vec()),
        (
            dir.join("notes").join("thesis.tex"),
            b"\\chapter{one}".to_vec(),
        ),
        (
            dir.join("sandbox").join("bait.txt"),
            b"closer bait".to_vec(),
        ),
        (
            dir.join("sandbox").join("notes").join("thesis.tex"),
            b"closer thesis".to_vec(),
        ),
    ];
    for (p, b) in &bait {
        std::fs::write(p, b).unwrap();
    }
    // Pristine folders: a whole sweep and one shard of two.
    let pristine = dir.join("pristine");
    assert_eq!(run(&pristine.join("out"), &[]).0, 0);
    assert_eq!(run(&pristine.join("shard"), &["--shard", "0/2"]).0, 0);
    let mut d = Draws(seed, 0);
    let (mut refused, mut accepted) = (0, 0);
    for i in 0..count {
        let _ = std::fs::remove_dir_all(&sandbox);
        copy_tree(&pristine, &sandbox);
        let folder = if d.below(2) == 0 { "out" } else { "shard" };
        let files = manifests(&sandbox.join(folder));
        let file = sandbox
            .join(folder)
            .join(&files[d.below(files.len() as u64) as usize]);
        for _ in 0..=d.below(3) {
            mutate(&file, &mut d, &bait);
        }
        let out = sandbox.join("out");
        let shard = sandbox.join("shard");
        let action = d.below(4);
        let (code, stderr) = match action {
            0 => run(&out, &[]),
            1 => run(&out, &["--set", "sweep.grid[1].values=[100, 200]"]),
            2 => run(&shard, &["--shard", "0/2"]),
            _ => guildsim(&[
                "merge",
                &arg(&shard),
                &arg(&out),
                "--out",
                &arg(&sandbox.join("m")),
            ]),
        };
        assert!(
            code == 0 || code == 1 || code == 2,
            "mutation {i} of {}: exit {code}: {stderr}",
            file.display()
        );
        assert!(!stderr.contains("panicked"), "mutation {i}: {stderr}");
        if code == 2 {
            refused += 1;
        } else {
            accepted += 1;
        }
        for (p, b) in &bait {
            assert_eq!(
                std::fs::read(p).ok().as_ref(),
                Some(b),
                "mutation {i} of {} (action {action}) changed or deleted {}",
                file.display(),
                p.display()
            );
        }
    }
    eprintln!(
        "manifest fuzz: {count} mutations, {refused} refused, {accepted} ran; every bait intact"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
