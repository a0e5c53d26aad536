//! Layers without circles: every `crate::` path in `src/` (in `use` declarations and inline,
//! and `super::` paths that climb to the crate root) names a module of a lower layer than the
//! file's own top-level module, or that module itself. The order is the README's
//! ("Architecture", "Layers"); a new top-level module fails here until it is given a layer.

use super::support::root;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first (numbered from 1 in messages and the README). A module may use
/// the modules of the layers below its own, never one of its own layer or above. Test code (a
/// file's `mod tests`, a module declared under `#[cfg(test)]`) may use any layer.
const LAYERS: &[&[&str]] = &[
    // Leaves: they use nothing else of the crate.
    &["sim", "identity", "table"],
    // Files guildsim writes (manifests name the version and hashes); measurements.
    &["files", "metrics"],
    // Experiments: YAML in, validated types out (metric names from `metrics`).
    &["config"],
    // The library's error, which carries an experiment's located errors.
    &["error"],
    // The chat model, built from a validated experiment.
    &["world"],
    // One experiment end to end.
    &["runner"],
    // Verdicts, then the result files that include them.
    &["expect"],
    &["report"],
    // Memory, work and time of a run, from its counts.
    &["estimate"],
    // Many runs: sweeps, then searches made of sweep runs.
    &["sweep"],
    &["search"],
    &["compare", "check"],
    // Plans and admits a single run, a sweep or a search.
    &["job"],
    &["calibrate"],
    // The binary: `src/main.rs` and `src/cli/`.
    &["cli", "main"],
];

/// The files that only tests compile: a module declared right under `#[cfg(test)]`
/// (`#[cfg(test)] mod tiny;` in `world/mod.rs` is `world/tiny.rs`).
fn test_only_files(src: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for file in rust_files(src) {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for w in lines.windows(2) {
            if w[0] == "#[cfg(test)]"
                && let Some(name) = w[1]
                    .strip_prefix("mod ")
                    .or_else(|| w[1].strip_prefix("pub(crate) mod "))
                    .and_then(|n| n.strip_suffix(';'))
            {
                let dir = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
                    file.parent().unwrap().to_path_buf()
                } else {
                    file.with_extension("")
                };
                out.insert(dir.join(format!("{name}.rs")));
                out.insert(dir.join(name).join("mod.rs"));
            }
        }
    }
    out
}

/// A file's code without its tests: its `#[cfg(test)] mod tests` block, by convention at the
/// end, is test code, which may use any layer (a focused test builds a whole tiny world).
fn without_tests(text: &str) -> &str {
    match text.find("\n#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// The layer of a top-level module, if it has one.
fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module path of a file relative to `src/`: `sweep/plan.rs` -> `[sweep, plan]`,
/// `sweep/mod.rs` -> `[sweep]`, `lib.rs` -> `[]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// Whether the `r` at `i` starts a raw string (`r"`, `r#"`, `br"`), not ends a word.
fn raw_string_starts(chars: &[char], i: usize) -> bool {
    let word_char = |c: &char| c.is_alphanumeric() || *c == '_';
    match i.checked_sub(1).map(|p| chars[p]) {
        None => true,
        Some('b') => !i.checked_sub(2).is_some_and(|p| word_char(&chars[p])),
        Some(p) => !word_char(&p),
    }
}

/// `text` with comments, string literals and character literals blanked out (newlines kept,
/// so line numbers stay right).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && raw_string_starts(&chars, i)
        {
            // A raw string: r"..." or r#"..."# (or br"...").
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body: String = chars[j + 1..].iter().collect();
            let len = body.find(&close).map_or(chars.len() - j - 1, |k| {
                body[..k].chars().count() + close.chars().count()
            });
            for &ch in &chars[i..(j + 1 + len).min(chars.len())] {
                out.push(blank(ch));
            }
            i = j + 1 + len;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}'), or else a lifetime.
            let end = if next == Some('\\') {
                chars
                    .get(i + 3..)
                    .and_then(|rest| rest.iter().position(|&ch| ch == '\''))
                    .map(|k| i + 3 + k)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    for _ in i..=end {
                        out.push(' ');
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The top-level modules the path starting at byte `at` of `code` names, where the path is
/// rooted at the crate (`config::schema::X` gives `config`, `{config, sweep::grid}` both).
fn heads(code: &str, at: usize) -> Vec<String> {
    let rest = code[at..].trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut out = Vec::new();
        let mut depth = 0;
        let mut item_start = true;
        for (k, ch) in group.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if item_start && (c.is_alphabetic() || c == '_') => {
                    item_start = false;
                    let name: String = group[k..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push(name);
                }
                c if item_start && !c.is_whitespace() => item_start = false,
                _ => {}
            }
        }
        out
    } else {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        vec![name]
    }
}

/// Whether the word at `at` continues a path or a longer word (`x::crate`, `my_crate`): then
/// it does not start a path rooted at the crate.
fn continues_a_path(code: &str, at: usize) -> bool {
    code[..at].trim_end().ends_with("::")
        || code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
}

/// The byte ranges of the inline modules (`mod tests { ... }`) of `code`.
fn inline_modules(code: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + 4..];
        let name_len = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .count();
        if name_len == 0 || !rest[name_len..].trim_start().starts_with('{') {
            continue; // `mod x;`
        }
        let open =
            at + 4 + name_len + (rest[name_len..].len() - rest[name_len..].trim_start().len());
        let mut depth = 0;
        for (k, ch) in code[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push((open, open + k));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The top-level modules the code of a file at `module` (its module path) names, with the
/// line of each: `crate::x` and `super::...::x` paths that reach the crate root.
fn imports(code: &str, module: &[String]) -> Vec<(usize, String)> {
    let inline = inline_modules(code);
    let depth_at =
        |at: usize| module.len() + inline.iter().filter(|(a, b)| *a < at && at < *b).count();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let is_word = |code: &str, at: usize, word: &str| {
        code[at..].starts_with(word)
            && !code[at + word.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    };
    for (at, _) in code.match_indices("crate") {
        if !is_word(code, at, "crate") || continues_a_path(code, at) {
            continue;
        }
        let rest = &code[at + "crate".len()..];
        let Some(after) = rest.trim_start().strip_prefix("::") else {
            continue; // `pub(crate)`, `$crate`
        };
        let path_at = code.len() - after.len();
        for head in heads(code, path_at) {
            out.push((line_of(at), head));
        }
    }
    for (at, _) in code.match_indices("super") {
        if !is_word(code, at, "super") || continues_a_path(code, at) {
            continue;
        }
        // Count `super::` hops.
        let mut rest = &code[at..];
        let mut hops = 0;
        while let Some(r) = rest.strip_prefix("super") {
            let Some(r) = r.trim_start().strip_prefix("::") else {
                break;
            };
            hops += 1;
            rest = r.trim_start();
        }
        if hops > 0 && hops >= depth_at(at) {
            let path_at = code.len() - rest.len();
            for head in heads(code, path_at) {
                out.push((line_of(at), head));
            }
        }
    }
    out
}

/// Every import from a layer at or above the importing module's, as messages.
fn violations(src: &Path) -> (Vec<String>, BTreeSet<(String, String)>) {
    let mut problems = Vec::new();
    let mut edges = BTreeSet::new();
    let tests_only = test_only_files(src);
    for file in rust_files(src) {
        if tests_only.contains(&file) {
            continue;
        }
        let rel = file.strip_prefix(src).unwrap().to_path_buf();
        let module = module_path(&rel);
        // The crate root declares the modules; the binary (`main.rs`, `cli/`) names the
        // library as `guildsim::` and sits above everything.
        let Some(own) = module.first() else { continue };
        if own == "main" || own == "cli" {
            continue;
        }
        let Some(own_layer) = layer(own) else {
            problems.push(format!(
                "src/{}: module `{own}` has no layer: add it to LAYERS here and to the README",
                rel.display()
            ));
            continue;
        };
        let code = code_only(without_tests(&std::fs::read_to_string(&file).unwrap()));
        for (line, used) in imports(&code, &module) {
            if used == *own || matches!(used.as_str(), "self" | "super" | "crate" | "") {
                continue;
            }
            edges.insert((own.clone(), used.clone()));
            match layer(&used) {
                Some(l) if l < own_layer => {}
                Some(l) => problems.push(format!(
                    "src/{}:{line}: `{own}` (layer {}) uses `{used}` (layer {}): a module may \
                     use only lower layers",
                    rel.display(),
                    own_layer + 1,
                    l + 1
                )),
                None => problems.push(format!(
                    "src/{}:{line}: `{own}` uses `{used}`, which has no layer",
                    rel.display()
                )),
            }
        }
    }
    (problems, edges)
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let (problems, edges) = violations(&root().join("src"));
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // The reader sees the graph: a few edges that must be there (else it read nothing).
    for (from, to) in [
        ("world", "config"),
        ("sweep", "report"),
        ("config", "metrics"),
    ] {
        assert!(
            edges.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} not found in {edges:?}"
        );
    }
}

#[test]
fn every_module_of_the_library_has_a_layer() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';'))
        .collect();
    assert!(modules.contains(&"sim"), "{modules:?}");
    for m in modules {
        assert!(layer(m).is_some(), "`{m}` has no layer in LAYERS");
    }
}

#[test]
fn the_reader_finds_paths_and_skips_comments_and_strings() {
    let text = r#"
use crate::config::{self, Loaded};
use crate::{files::atomic, sweep::{plan, exec}};
// use crate::search;
/* crate::job */
let s = "crate::compare";
let r = r"crate::calibrate";
let c = '"'; let q = '\''; let lifetime: &'static str = "crate::job";
pub(crate) fn f() { crate::report::write(); x::crate_like::y(); }
use super::super::estimate::Estimate;
use super::plan;
mod tests { use super::super::runner; use super::super::super::world; }
"#;
    let code = code_only(text);
    let found: Vec<String> = imports(&code, &["sweep".to_string(), "exec".to_string()])
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(
        found,
        ["config", "files", "sweep", "report", "estimate", "world"],
        "{code}"
    );
}
