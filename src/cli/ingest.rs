use std::path::PathBuf;

use kesou_indexer::plan::{DryRun, Mapping};
use kesou_indexer::{IngestSummary, Store, StorePaths};

use super::StoreArg;
use super::output::{self, Table};
use super::progress::Bars;

/// Loads files into a store (creating it), validating every row.
///
/// PATH may be files or folders of .csv, .jsonl, .parquet and .xlsx files. Which table a
/// file holds is read from its name (customers…, 客户资料, 销售订单 …) or its columns;
/// the headers of common ERP/CRM exports (企业名称, 统一社会信用代码, 税号 …) are understood.
/// Try --dry-run first: it shows how each column would load and writes nothing; save the
/// mapping it prints, correct it, and load with --map mapping.toml.
/// Bad rows are rejected with file, line, column and reason into STORE/rejects/, good rows
/// of the same file still load; safe fixes (trimming, full-width digits, 浙江 → 浙江省) are
/// applied and listed there too. Re-ingesting updates customers by credit code.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Files or folders to load.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Show how each file would load (table, columns, types, problems, rows) and a
    /// mapping.toml to start from; load nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How columns load, over what is read from headers and values (see --dry-run).
    #[arg(long, value_name = "mapping.toml")]
    pub map: Option<PathBuf>,
    /// Output of --dry-run: table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

/// Deletes customers by id, with their orders and interactions, from store and index.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Customer ids (e.g. C0000123).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
}

/// Shows customers that share a name but have different credit codes: never merged, for a
/// person to check.
#[derive(Debug, clap::Args)]
pub struct DuplicatesArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// How many groups to list.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// Ingests through a [`kesou_indexer::Store`] opened for the call; the files are read and
/// classified first, so that one that cannot be read leaves no new store behind.
pub fn ingest_with_bars(store: &StorePaths, paths: &[PathBuf]) -> anyhow::Result<IngestSummary> {
    ingest_mapped_with_bars(store, paths, &Mapping::default())
}

fn ingest_mapped_with_bars(
    store: &StorePaths,
    paths: &[PathBuf],
    mapping: &Mapping,
) -> anyhow::Result<IngestSummary> {
    let bars = Bars::default();
    Ok(kesou_indexer::ingest_mapped(store, paths, mapping, &bars)?)
}

/// Prints what loading would do, file by file, then a mapping file to start from.
pub fn print_dry_run(d: &DryRun) {
    for f in &d.files {
        let name = f.file.clone();
        println!(
            "{name} · {} · {}",
            f.table.unwrap_or("?"),
            f.encoding.as_deref().unwrap_or("-")
        );
        if !f.columns.is_empty() {
            let mut t = Table::new(["column", "→ field", "type", "matched by", "values"]);
            for c in &f.columns {
                let target = if c.target == "custom" {
                    format!("custom: {}", c.header)
                } else {
                    c.target.clone()
                };
                t.row([
                    c.header.clone(),
                    target,
                    c.kind.label().to_owned(),
                    c.matched_by.to_owned(),
                    c.samples
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let v = match v.char_indices().nth(24) {
                                Some((at, _)) => format!("{}…", &v[..at]),
                                None => v.clone(),
                            };
                            // As kesou reads it, when that differs from the text.
                            match c.read_as.get(i) {
                                Some(r) if *r != v => format!("{v} → {r}"),
                                _ => v,
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" · "),
                ]);
            }
            t.print();
        }
        if let Some(note) = &f.note {
            println!("  {note}");
            continue;
        }
        let wait = match f.would_wait {
            Some(n) => format!("{} would wait for their customer", output::count(n)),
            None => "their customers are checked against the store at ingest".into(),
        };
        let events = f
            .table
            .is_some_and(|t| t == "orders" || t == "interactions");
        println!(
            "  rows read {} · would load {} · rejected {} · values set aside {}{}",
            output::count(f.rows_read),
            output::count(f.would_load),
            output::count(f.would_reject),
            output::count(f.values_set_aside),
            if events {
                format!(" · {wait}")
            } else {
                String::new()
            }
        );
        if !f.problems.is_empty() {
            println!("  first problems:");
            for p in &f.problems {
                println!(
                    "    line {} {} {:?}: {} ({})",
                    p.line,
                    p.column,
                    p.value,
                    p.reason,
                    p.outcome.label()
                );
            }
        }
        println!();
    }
    let custom = d
        .files
        .iter()
        .flat_map(|f| &f.columns)
        .filter(|c| c.target == "custom")
        .count();
    if custom > 0 {
        println!(
            "{custom} column(s) are fields of the files' own (custom): kept with the customers, with their type"
        );
    }
    println!(
        "nothing was loaded. A mapping to start from (save it, correct it, load with --map FILE):\n"
    );
    print!("{}", d.mapping_toml);
}

pub fn print_summary(s: &IngestSummary) {
    let mut t = Table::new([
        "file",
        "table",
        "encoding",
        "read",
        "loaded",
        "values set aside",
        "waiting",
        "rejected",
        "normalised",
    ]);
    for f in &s.files {
        let table = f.table.map(|t| t.name()).unwrap_or("?");
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match &f.skipped {
            Some(why) => t.row([
                name,
                table.to_owned(),
                String::new(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                why.clone(),
            ]),
            None => t.row([
                name,
                table.to_owned(),
                f.encoding.clone().unwrap_or_default(),
                output::count(f.rows_read),
                output::count(f.loaded),
                output::count(f.set_aside),
                output::count(f.waiting),
                output::count(f.rejected),
                output::count(f.normalised),
            ]),
        }
    }
    t.row([
        "total".into(),
        String::new(),
        String::new(),
        output::count(s.rows_read()),
        output::count(s.loaded()),
        output::count(s.set_aside()),
        output::count(s.waiting()),
        output::count(s.rejected()),
        output::count(s.normalisations.values().sum()),
    ]);
    t.print();
    for f in &s.files {
        if !f.custom_fields.is_empty() {
            println!(
                "{}: custom fields {}",
                f.path.display(),
                f.custom_fields.join(", ")
            );
        }
        if !f.ignored_columns.is_empty() {
            println!(
                "{}: ignored columns {}",
                f.path.display(),
                f.ignored_columns.join(", ")
            );
        }
    }
    let as_of = if s.as_of_from_meta {
        format!("{} (from meta)", s.as_of)
    } else {
        format!("{} (today: no meta as_of)", s.as_of)
    };
    println!(
        "generation {} · as_of {} · {} customers changed · index: {} documents in {:.1} s",
        s.generation, as_of, s.customers_changed, s.index.indexed, s.index.seconds
    );
    println!(
        "duplicates flagged: {} customers in this ingest; {} same-name-different-code groups in the store",
        s.duplicates_flagged, s.duplicate_groups
    );
    if s.waiting_in_store > 0 || s.attached > 0 {
        println!(
            "orders and interactions waiting for their customer: {} in the store ({} attached now that their customer arrived); they load when it does",
            output::count(s.waiting_in_store),
            output::count(s.attached)
        );
    }
    if !s.normalisations.is_empty() {
        let parts: Vec<String> = s
            .normalisations
            .iter()
            .map(|(rule, n)| format!("{rule} {}", output::count(*n)))
            .collect();
        println!("normalised: {}", parts.join(" · "));
    }
    for (what, file) in [
        (
            "rejected rows, values set aside, waiting rows",
            &s.rejects_file,
        ),
        ("normalisations", &s.normalisations_file),
        ("duplicate names", &s.duplicates_file),
    ] {
        if let Some(f) = file {
            println!("{what}: {}", f.display());
        }
    }
    match &s.contacts_encrypted {
        Some(how) => println!("contacts (联系人, 电话, 邮箱): encrypted at rest ({how})"),
        None => println!(
            "contacts (联系人, 电话, 邮箱): stored in plain text (no key was given); \
             to encrypt them run `kesou keys new --out FILE` and `kesou keys rotate --data STORE --new-key-file FILE`"
        ),
    }
    println!(
        "took {:.1} s ({:.0} rows/s)",
        s.seconds,
        s.rows_read() as f64 / s.seconds.max(1e-9)
    );
}

pub fn run(args: IngestArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let mapping = match &args.map {
        Some(path) => Mapping::load(path)?,
        None => Mapping::default(),
    };
    if args.dry_run {
        let d = kesou_indexer::plan::dry_run(&args.paths, &mapping)?;
        if args.format == "json" {
            println!("{}", serde_json::to_string_pretty(&d)?);
        } else {
            print_dry_run(&d);
        }
        return Ok(());
    }
    if let Some(server) = super::remote::server_of(&args.store.data) {
        return ingest_remote(&server, &args);
    }
    let paths = opts.store(&args.store.data);
    let s = ingest_mapped_with_bars(&paths, &args.paths, &mapping)?;
    print_summary(&s);
    // The store's tag rules hold for the customers just loaded too.
    if let Some(report) = kesou_query::tags::apply(&paths, None, &Bars::default())? {
        println!("tag rules of the store, applied again:");
        super::tags::print_report(&report);
    }
    // Before the lookalike vectors: scoring is a store generation of its own, and vectors
    // stamped with an older generation would be rebuilt by the first query.
    rescore_churn(&paths)?;
    build_lookalike(&paths)?;
    embed_changed(&paths)?;
    super::watch::after_write(&paths, true, opts)?;
    Ok(())
}

/// Loads through the running server of the store, as the web app's import does: each file
/// sent, loaded with the mapping given, followed with progress bars.
fn ingest_remote(server: &kesou_indexer::served::Served, args: &IngestArgs) -> anyhow::Result<()> {
    eprintln!(
        "note: the store is served by `kesou serve` (pid {}); loading through it at {}",
        server.pid, server.url
    );
    let files = kesou_indexer::plan::files_of(&args.paths)?;
    let mut names = std::collections::BTreeSet::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !names.insert(name.clone()) {
            return Err(super::user(format!(
                "two files are named {name}: the server takes files by name, so load them one at a time"
            ))
            .into());
        }
    }
    let mapping = match &args.map {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| kesou_indexer::Error::BadInput(format!("{}: {e}", path.display())))?;
            let toml: toml::Value = toml::from_str(&text).map_err(|e| {
                kesou_indexer::Error::BadInput(format!("{}: {}", path.display(), e.message()))
            })?;
            serde_json::json!({ "mapping": serde_json::to_value(toml)? })
        }
        None => serde_json::json!({}),
    };
    let id = super::remote::post(server, "/api/imports", &serde_json::json!({}))?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let bars = Bars::default();
    {
        let phase = kesou_indexer::Progress::phase(&bars, "sending", Some(files.len() as u64));
        for f in &files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut file = std::fs::File::open(f)
                .map_err(|e| kesou_indexer::Error::BadInput(format!("{}: {e}", f.display())))?;
            super::remote::send(
                server,
                "PUT",
                &format!(
                    "/api/imports/{id}/files/{}",
                    kesou_domain::text::url_encode(&name)
                ),
                "application/octet-stream",
                &mut file,
            )?;
            phase.advance(1);
        }
    }
    super::remote::post(server, &format!("/api/imports/{id}/load"), &mapping)?;
    let status = follow(server, &id, &bars)?;
    if status["state"] == "failed" {
        let message = status["error"]["message"]
            .as_str()
            .unwrap_or("the import failed");
        let code = status["error"]["code"].as_str().unwrap_or("internal");
        return Err(super::Failure::new(kesou_domain::Kind::of_code(code), message).into());
    }
    print_remote_summary(&status["summary"], &args.store.data);
    Ok(())
}

/// Polls an import until it has finished, showing its phases as bars.
fn follow(
    server: &kesou_indexer::served::Served,
    id: &str,
    bars: &Bars,
) -> anyhow::Result<serde_json::Value> {
    let mut shown: Option<(String, Box<dyn kesou_indexer::Phase + '_>, u64)> = None;
    loop {
        let s = super::remote::get(server, &format!("/api/imports/{id}"))?;
        if s["state"] != "running" {
            return Ok(s);
        }
        let what = s["phase"].as_str().unwrap_or("loading").to_owned();
        let done = s["done"].as_u64().unwrap_or(0);
        if shown.as_ref().is_none_or(|(w, _, _)| *w != what) {
            let phase = kesou_indexer::Progress::phase(bars, &what, s["total"].as_u64());
            shown = Some((what, phase, 0));
        }
        if let Some((_, phase, at)) = shown.as_mut() {
            phase.advance(done.saturating_sub(*at));
            *at = done.max(*at);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// What an import through the server did, from its summary.
fn print_remote_summary(s: &serde_json::Value, store: &std::path::Path) {
    let n = |v: &serde_json::Value| output::count(v.as_u64().unwrap_or(0));
    let mut t = Table::new([
        "file",
        "table",
        "read",
        "loaded",
        "rejected",
        "waiting",
        "set aside",
    ]);
    for f in s["files"].as_array().into_iter().flatten() {
        t.row([
            f["file"].as_str().unwrap_or_default().to_owned(),
            f["table"].as_str().unwrap_or("skipped").to_owned(),
            n(&f["rows_read"]),
            n(&f["loaded"]),
            n(&f["rejected"]),
            n(&f["waiting"]),
            n(&f["set_aside"]),
        ]);
    }
    t.print();
    println!(
        "read {} · loaded {} · rejected {} · waiting {} · values set aside {} · customers changed {} · generation {}",
        n(&s["rows_read"]),
        n(&s["loaded"]),
        n(&s["rejected"]),
        n(&s["waiting"]),
        n(&s["set_aside"]),
        n(&s["customers_changed"]),
        n(&s["generation"]),
    );
    if s["rejects"] == true {
        println!(
            "rejects: the newest report in {}",
            store.join("rejects").display()
        );
    }
    println!("took {:.1} s", s["seconds"].as_f64().unwrap_or(0.0));
}

/// With a model set (`kesou embed`), embeds the customers whose texts changed, so that
/// search by meaning covers what was just loaded.
pub fn embed_changed(paths: &StorePaths) -> anyhow::Result<()> {
    let config = {
        let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read)?;
        kesou_query::semantic::configured(&conn)?
    };
    let Some(config) = config else {
        return Ok(());
    };
    let embedder = kesou_models::Embedder::load(&config)?;
    let r = kesou_query::semantic::embed_store(paths, &embedder, 32, &Bars::default())?;
    super::embed::print_report(&r);
    Ok(())
}

/// Scores the customers of a store just loaded with its churn and propensity models, when
/// it has them.
pub fn rescore_churn(paths: &StorePaths) -> anyhow::Result<()> {
    if let Some(s) = kesou_models::churn::score(paths, &Bars::default())? {
        println!("churn model of the store, scoring again:");
        super::train::print_score(&s);
    }
    if let Some(s) = kesou_models::opportunity::score(paths, &Bars::default())? {
        println!("purchase-propensity model of the store, scoring again:");
        super::train_opportunity::print_score(&s);
    }
    Ok(())
}

/// Builds the lookalike vectors of a store just loaded, so `kesou similar` starts at once.
pub fn build_lookalike(paths: &StorePaths) -> anyhow::Result<()> {
    let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read)?;
    let r = kesou_query::lookalike::Lookalike::build(paths, &conn, &Bars::default())?;
    println!(
        "lookalike vectors: {} customers × {} features, {:.1} MB in {:.1} s",
        output::count(r.rows as u64),
        r.dim,
        r.bytes as f64 / 1e6,
        r.seconds
    );
    Ok(())
}

pub fn delete(args: DeleteArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let bars = Bars::default();
    let paths = opts.store(&args.store.data);
    let s = Store::open(&paths)?.delete(&args.ids, &bars)?;
    println!(
        "deleted {} customer(s) with their orders and interactions (generation {})",
        s.deleted.len(),
        s.generation
    );
    if !s.not_found.is_empty() {
        println!("not found: {}", s.not_found.join(", "));
    }
    super::watch::after_write(&paths, true, opts)?;
    Ok(())
}

pub fn duplicates(args: DuplicatesArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&args.store.data);
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read)?;
    let groups = kesou_indexer::duplicate_groups(&conn, args.limit)?;
    if groups.is_empty() {
        println!("no customers share a name with a different credit code");
        return Ok(());
    }
    let mut t = Table::new(["name", "id", "credit_code"]);
    for g in &groups {
        for (i, (id, code)) in g.members.iter().enumerate() {
            t.row([
                if i == 0 {
                    g.name.clone()
                } else {
                    String::new()
                },
                id.clone(),
                code.clone(),
            ]);
        }
    }
    t.print();
    Ok(())
}
