//! The maps stay true: every path ARCHITECTURE.md names in backticks exists, every crate of
//! the workspace has its section there, and every relative link of README.md and `docs/`
//! leads to a file. A map that names a moved file sends the next reader to nothing.

use std::path::{Path, PathBuf};

/// File name endings that make a backticked word a path even without a `/`.
const FILE_ENDINGS: &[&str] = &[
    ".rs", ".toml", ".md", ".tsv", ".txt", ".js", ".html", ".css", ".json", ".sh", ".py",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file and folder under `dir`, as paths relative to it with `/` separators.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "target" || name.starts_with('.') {
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
            if path.is_dir() {
                todo.push(path);
            }
        }
    }
    out
}

/// The spans between single backticks, outside fenced code blocks, each with the crate
/// folder of the `### `…`` section it appears in (`None` outside a crate's section).
fn backticked(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut fenced = false;
    let mut section: Option<String> = None;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if line.starts_with("## ") {
            section = None;
        } else if let Some(rest) = line.strip_prefix("### `") {
            section = rest
                .split('`')
                .next()
                .map(|s| s.trim_end_matches('/').to_owned());
        } else if line.starts_with("### ") {
            section = None;
        }
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 1 {
                out.push((span.to_owned(), section.clone()));
            }
        }
    }
    out
}

/// Whether a backticked span is meant as a path in the repository.
fn is_path(span: &str) -> bool {
    let plain = !span.is_empty()
        && !span.contains(char::is_whitespace)
        && !span.contains([':', '{', '}', '*', '<', '>', '…', '=', '(', ',', '|'])
        && !span.starts_with(['/', '#', '$', '-'])
        && !span.starts_with("STORE/");
    plain && (span.contains('/') || FILE_ENDINGS.iter().any(|e| span.ends_with(e)))
}

/// What is wrong with an architecture document over the repository at `root`.
fn problems(doc: &str, root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let top: Vec<String> = std::fs::read_dir(root)
        .expect("repository root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut trees: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (span, section) in backticked(doc) {
        if !is_path(&span) {
            continue;
        }
        let path = span.trim_end_matches('/');
        let first = path.split('/').next().unwrap_or_default();
        if top.iter().any(|t| t == first) {
            if !root.join(path).exists() {
                found.push(format!("`{span}` does not exist"));
            }
            continue;
        }
        // A path relative to the crate of its section (`parse/text.rs`, `rank.rs`).
        let base = section.clone().unwrap_or_default();
        let files = trees
            .entry(base.clone())
            .or_insert_with(|| tree(&root.join(&base)));
        let suffix = format!("/{path}");
        if !files.iter().any(|f| f == path || f.ends_with(&suffix)) {
            found.push(format!(
                "`{span}` is in no file under {} (section `{}`)",
                root.join(&base).display(),
                section.as_deref().unwrap_or("none")
            ));
        }
    }
    // Every crate of the workspace, and the root package, has its section.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let members = manifest
        .split("members = [")
        .nth(1)
        .and_then(|m| m.split(']').next())
        .expect("workspace members");
    let mut crates: Vec<(String, String)> = vec![("src".into(), "kesou".into())];
    for member in members.split(',').map(|m| m.trim().trim_matches('"')) {
        if member.is_empty() {
            continue;
        }
        let own = std::fs::read_to_string(root.join(member).join("Cargo.toml")).unwrap_or_default();
        let name = own
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.split('"').next())
            .unwrap_or(member)
            .to_owned();
        crates.push((member.to_owned(), name));
    }
    for (dir, name) in crates {
        let heading = format!("### `{dir}/` ({name}");
        if !doc.lines().any(|l| l.starts_with(&heading)) {
            found.push(format!("no section \"{heading})\" for the crate in {dir}/"));
        }
    }
    found
}

#[test]
fn architecture_names_only_paths_that_exist_and_every_crate() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let found = problems(&doc, root());
    assert!(found.is_empty(), "ARCHITECTURE.md:\n{}", found.join("\n"));
    // The document checked is a map, not a log.
    assert!(
        doc.len() <= 25_000,
        "ARCHITECTURE.md has grown to {} bytes: move measurements to docs/performance.md, \
         runs to docs/reliability.md, reasons to the module's //!",
        doc.len()
    );
}

#[test]
fn the_check_finds_a_moved_file_and_a_missing_crate() {
    let doc = "### `src/` (kesou, the binary)\n\
               `tests/integration/main.rs` and `tests/integration/gone.rs`\n\
               ### `domain/` (kesou-domain)\n\
               `text.rs`, `nowhere.rs`, `STORE/index/`, `kesou_domain::Region`\n";
    let found = problems(doc, root());
    assert!(
        found
            .iter()
            .any(|p| p.contains("tests/integration/gone.rs")),
        "{found:?}"
    );
    assert!(found.iter().any(|p| p.contains("nowhere.rs")), "{found:?}");
    assert!(
        found
            .iter()
            .any(|p| p.contains("### `query/` (kesou-query")),
        "{found:?}"
    );
    assert!(!found.iter().any(|p| p.contains("main.rs")), "{found:?}");
    assert!(!found.iter().any(|p| p.contains("STORE")), "{found:?}");
    assert!(!found.iter().any(|p| p.contains("text.rs")), "{found:?}");
}

#[test]
fn readme_and_guide_links_lead_to_files() {
    let mut pages: Vec<PathBuf> = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    for dir in ["docs", "docs/guide"] {
        for e in std::fs::read_dir(root().join(dir)).expect(dir).flatten() {
            if e.path().extension().is_some_and(|x| x == "md") {
                pages.push(e.path());
            }
        }
    }
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("page");
        for target in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() || file.contains("://") {
                continue;
            }
            let at = page.parent().expect("folder").join(file);
            if !at.exists() {
                broken.push(format!("{}: ({target})", page.display()));
            }
        }
    }
    assert!(pages.len() >= 10, "the guide and docs are there: {pages:?}");
    assert!(
        broken.is_empty(),
        "links to nothing:\n{}",
        broken.join("\n")
    );
}
