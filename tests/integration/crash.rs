//! Crash safety: `kesou ingest` and `kesou apply` killed with SIGKILL at random moments.
//!
//! Each trial writes one batch (new customers with orders, changed descriptions, an order
//! for an existing customer and, through `kesou apply`, a delete), runs the real binary on a
//! generated store and kills it: at a random time, or just after a random line of its debug
//! log (so that every step of a write is hit: validation, the DuckDB transaction, the
//! moment between the store's commit and the index's, tantivy's segment writes, its
//! meta.json, the lookalike vectors), or not at all. Then, as a user would, it opens the
//! store again (`kesou check`, sometimes after a `kesou search`, which catches up through a
//! read-only open; sometimes killing that first recovery too) and checks:
//! - store and index agree (`kesou check`: the same generation, one document per customer
//!   and no other, every document stamped with its customer's generation);
//! - every batch whose command returned success is there whole, and an interrupted batch
//!   is there whole or not at all, now and after every later trial;
//! - lookalike search answers (its vectors are rebuilt when a kill left them stale).
//!
//! `KESOU_CRASH_TRIALS` sets the number of trials (4 by default, for CI), `KESOU_CRASH_SEED`
//! the random seed (printed, to replay a failure), `KESOU_CRASH_CUSTOMERS` the store's size.
//! `tests/crash/kill-ingest.sh` runs the long version.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kesou_indexer::{NoProgress, StorePaths};

const KESOU: &str = env!("CARGO_BIN_EXE_kesou");

/// splitmix64: enough randomness for choosing moments, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Ingest,
    Apply,
}

/// An existing customer a batch changes.
#[derive(Debug, Clone)]
struct Existing {
    id: String,
    name: String,
    code: String,
    province: String,
    industry: String,
    description: String,
}

/// What one batch writes, and how to tell whether it is in the store.
#[derive(Debug)]
struct Batch {
    n: usize,
    kind: Kind,
    updated: [Existing; 2],
    /// Apply only: a customer the batch deletes.
    deleted: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Its command returned success, or a check found it whole after a kill.
    Committed,
    /// Killed, and found absent: a later check must still find it absent.
    Absent,
}

/// How a trial's command ended, and where in its work it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Moment {
    BeforeStoreCommit,
    BetweenCommits,
    AfterIndexCommit,
    Finished,
}

impl Moment {
    fn label(self) -> &'static str {
        match self {
            Moment::BeforeStoreCommit => {
                "killed before the store's commit (as far as its log shows)"
            }
            Moment::BetweenCommits => "killed between the store's and the index's commits",
            Moment::AfterIndexCommit => "killed after the index's commit (side files)",
            Moment::Finished => "finished (not killed)",
        }
    }
}

const BATCH_CUSTOMERS: usize = 2;

fn marker(n: usize) -> String {
    format!("〔批次{n:04}〕")
}

fn new_id(n: usize, i: usize) -> String {
    format!("Z{n:04}N{i}")
}

/// A valid credit code no generated customer has.
fn code(n: usize) -> String {
    let body = format!("9133010{:010}", 700_000 + n);
    let check = kesou_domain::credit_code::check_char(body.as_bytes()).unwrap();
    format!("{body}{}", check as char)
}

/// A company name unique to (n, i).
fn new_name(n: usize, i: usize) -> String {
    const C: &[char] = &[
        '恒', '瑞', '鑫', '泰', '华', '盛', '宏', '达', '兴', '隆', '祥', '安', '康', '润', '丰',
        '源', '邦', '德', '凯', '通', '旭', '辰', '嘉', '禾', '锦', '峰', '卓', '越', '航', '远',
    ];
    let k = n * BATCH_CUSTOMERS + i;
    format!(
        "杭州{}{}{}精密机械有限公司",
        C[k % C.len()],
        C[(k / C.len()) % C.len()],
        C[(k / C.len() / C.len()) % C.len()]
    )
}

impl Batch {
    fn ndjson(&self) -> String {
        let mut lines = Vec::new();
        if let Some(id) = &self.deleted {
            lines.push(serde_json::json!({"op": "delete", "id": id}).to_string());
        }
        for e in &self.updated {
            lines.push(
                serde_json::json!({"op": "upsert", "table": "customers", "row": {
                    "id": e.id, "name": e.name, "credit_code": e.code, "province": e.province,
                    "industry": e.industry,
                    "description": format!("{}{}", e.description, marker(self.n)),
                }})
                .to_string(),
            );
        }
        for i in 0..BATCH_CUSTOMERS {
            lines.push(
                serde_json::json!({"op": "upsert", "table": "customers", "row": {
                    "id": new_id(self.n, i), "name": new_name(self.n, i),
                    "credit_code": code(self.n * BATCH_CUSTOMERS + i), "province": "浙江",
                    "city": "杭州", "industry": "制造",
                    "description": format!("新客户{}", marker(self.n)),
                }})
                .to_string(),
            );
        }
        for (id, customer, amount) in self.orders() {
            lines.push(
                serde_json::json!({"op": "upsert", "table": "orders", "row": {
                    "id": id, "customer_id": customer, "order_date": "2026-06-20",
                    "amount": amount, "product": "精密轴承",
                }})
                .to_string(),
            );
        }
        lines.join("\n") + "\n"
    }

    fn orders(&self) -> Vec<(String, String, f64)> {
        let mut out: Vec<(String, String, f64)> = (0..BATCH_CUSTOMERS)
            .map(|i| {
                (
                    format!("ZO{:04}N{i}", self.n),
                    new_id(self.n, i),
                    10_000.0 + self.n as f64,
                )
            })
            .collect();
        out.push((
            format!("ZO{:04}E", self.n),
            self.updated[0].id.clone(),
            250_000.0 + self.n as f64,
        ));
        out
    }

    /// The batch as files for `kesou ingest`: customers.csv and orders.csv in `dir`.
    fn files(&self, dir: &Path) -> Vec<PathBuf> {
        std::fs::create_dir_all(dir).unwrap();
        let customers = dir.join("customers.csv");
        let mut w = csv::Writer::from_path(&customers).unwrap();
        w.write_record([
            "id",
            "name",
            "credit_code",
            "province",
            "city",
            "industry",
            "description",
        ])
        .unwrap();
        for e in &self.updated {
            let description = format!("{}{}", e.description, marker(self.n));
            w.write_record([
                &e.id,
                &e.name,
                &e.code,
                &e.province,
                "",
                &e.industry,
                &description,
            ])
            .unwrap();
        }
        for i in 0..BATCH_CUSTOMERS {
            w.write_record([
                new_id(self.n, i),
                new_name(self.n, i),
                code(self.n * BATCH_CUSTOMERS + i),
                "浙江".into(),
                "杭州".into(),
                "制造".into(),
                format!("新客户{}", marker(self.n)),
            ])
            .unwrap();
        }
        w.flush().unwrap();
        let orders = dir.join("orders.csv");
        let mut w = csv::Writer::from_path(&orders).unwrap();
        w.write_record(["id", "customer_id", "order_date", "amount", "product"])
            .unwrap();
        for (id, customer, amount) in self.orders() {
            w.write_record([
                id,
                customer,
                "2026-06-20".into(),
                amount.to_string(),
                "精密轴承".into(),
            ])
            .unwrap();
        }
        w.flush().unwrap();
        vec![customers, orders]
    }

    /// How much of the batch the store holds: (parts found, parts in the batch).
    fn found(&self, store: &Path) -> (usize, usize) {
        let conn = kesou_indexer::store::open_db(
            &StorePaths::new(store),
            kesou_indexer::store::Open::Read,
        )
        .expect("the store opens read-only");
        let count = |sql: &str, p: &[&dyn duckdb::ToSql]| -> usize {
            conn.query_row(sql, p, |r| r.get::<_, i64>(0)).unwrap() as usize
        };
        let like = format!("%{}%", marker(self.n));
        let mut found = count(
            "SELECT count(*) FROM customers WHERE id LIKE ?",
            &[&format!("Z{:04}N%", self.n)],
        );
        found += count(
            "SELECT count(*) FROM orders WHERE id LIKE ?",
            &[&format!("ZO{:04}%", self.n)],
        );
        for e in &self.updated {
            found += count(
                "SELECT count(*) FROM customers WHERE id = ? AND description LIKE ?",
                &[&e.id, &like],
            );
        }
        let mut parts = BATCH_CUSTOMERS + self.orders().len() + self.updated.len();
        if let Some(id) = &self.deleted {
            found += 1 - count("SELECT count(*) FROM customers WHERE id = ?", &[id]);
            parts += 1;
        }
        (found, parts)
    }
}

/// How a run of the binary ended.
struct Run {
    status: Option<std::process::ExitStatus>,
    moment: Moment,
    lines: usize,
    /// The line that said the store committed.
    commit_line: Option<usize>,
    elapsed: Duration,
    log_tail: Vec<String>,
}

/// When to kill a run.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Never,
    After(Duration),
    AtLine(usize, Duration),
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `kesou ARGS` with its debug log on stderr, killing it (SIGKILL) as planned.
fn run(args: &[&str], plan: Plan) -> Run {
    let started = Instant::now();
    let mut child = Command::new(KESOU)
        .args(args)
        .env("KESOU_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kesou starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(strip_ansi(&line)).is_err() {
                break;
            }
        }
    });
    let mut moment = Moment::BeforeStoreCommit;
    let mut lines = 0;
    let mut commit_line = None;
    let mut tail: Vec<String> = Vec::new();
    let note = |line: &str, moment: &mut Moment| {
        if line.contains("store committed") || line.contains("change batch committed") {
            *moment = (*moment).max(Moment::BetweenCommits);
        }
        if line.contains("index committed") {
            *moment = Moment::AfterIndexCommit;
        }
    };
    let deadline = match plan {
        Plan::Never => None,
        Plan::After(d) => Some(started + d),
        Plan::AtLine(..) => None,
    };
    let mut kill_at: Option<Instant> = deadline;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if kill_at.is_some_and(|t| Instant::now() >= t) {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        match rx.recv_timeout(Duration::from_millis(2)) {
            Ok(line) => {
                lines += 1;
                note(&line, &mut moment);
                if moment >= Moment::BetweenCommits && commit_line.is_none() {
                    commit_line = Some(lines);
                }
                tail.push(line);
                if tail.len() > 40 {
                    tail.remove(0);
                }
                if let Plan::AtLine(n, delay) = plan
                    && lines == n
                    && kill_at.is_none()
                {
                    kill_at = Some(Instant::now() + delay);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // stderr closed: the process is ending; wait for it unless a kill is due.
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    };
    reader.join().unwrap();
    // The lines written before the end (a killed process may have written more than we read).
    for line in rx.try_iter() {
        lines += 1;
        note(&line, &mut moment);
        tail.push(line);
    }
    if status.is_some() {
        moment = Moment::Finished;
    }
    Run {
        status,
        moment,
        lines,
        commit_line,
        elapsed: started.elapsed(),
        log_tail: tail,
    }
}

fn existing(store: &Path) -> Vec<Existing> {
    let conn =
        kesou_indexer::store::open_db(&StorePaths::new(store), kesou_indexer::store::Open::Read)
            .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT id, name, credit_code, province, industry, coalesce(description, '') \
             FROM customers WHERE order_count > 0 AND province IS NOT NULL \
             AND industry IS NOT NULL ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(Existing {
            id: r.get(0)?,
            name: r.get(1)?,
            code: r.get(2)?,
            province: r.get(3)?,
            industry: r.get(4)?,
            description: r.get(5)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Opens the store as a user would after a crash and checks that store and index agree.
fn recover_and_check(store: &str, rng: &mut Rng, calibrated_check: usize) -> Vec<String> {
    let mut problems = Vec::new();
    // Sometimes the first process after the crash is a search (a read-only open that
    // catches the index up), sometimes that recovery is killed too.
    if rng.chance(30) {
        let r = run(&["search", "--data", store, "精密机械"], Plan::Never);
        if r.status.is_none_or(|s| !s.success()) {
            problems.push(format!(
                "a search after the crash failed: {}",
                r.log_tail.join("\n")
            ));
        }
    }
    if rng.chance(20) {
        let line = 1 + rng.below(calibrated_check.max(1) as u64) as usize;
        run(
            &["check", "--data", store],
            Plan::AtLine(line, Duration::from_millis(rng.below(5))),
        );
    }
    let out = Command::new(KESOU)
        .args(["check", "--data", store, "--format", "json"])
        .env("NO_COLOR", "1")
        .output()
        .expect("kesou check runs");
    let text = String::from_utf8_lossy(&out.stdout);
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v["agrees"] == true && out.status.success() => {}
        Ok(v) => problems.push(format!("store and index disagree: {}", v["problems"])),
        Err(_) => problems.push(format!(
            "kesou check failed ({}): {}{}",
            out.status,
            text,
            String::from_utf8_lossy(&out.stderr)
        )),
    }
    problems
}

#[test]
fn ingest_and_apply_killed_at_random_moments_leave_store_and_index_whole() {
    let trials: usize = env_or("KESOU_CRASH_TRIALS", 4);
    let customers: usize = env_or("KESOU_CRASH_CUSTOMERS", 1500);
    let seed: u64 = env_or(
        "KESOU_CRASH_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    println!("crash trials: {trials}, {customers} customers, KESOU_CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    let kesou_testkit::GeneratedStore { dir, paths, .. } =
        kesou_testkit::generated_store(customers, 11);
    let store_path = paths.root;
    let store = store_path.to_str().unwrap().to_owned();

    let pool = existing(&store_path);
    // Batches update customers from the front of the pool and delete from the back.
    let needed = 3 * (trials + 2);
    assert!(
        pool.len() > needed,
        "a larger store is needed for {trials} trials"
    );

    let mut batches: Vec<(Batch, State)> = Vec::new();
    // Per kind, of an uninterrupted run: its log lines, the line of the store's commit, its
    // duration.
    let mut calibration: BTreeMap<Kind, (usize, usize, Duration)> = BTreeMap::new();
    let mut calibrated_check = 0;
    let mut moments: BTreeMap<(Kind, Moment), (usize, usize)> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();

    // Two calibration runs (one per kind, not killed) come first; they are batches too.
    let total = trials + 2;
    for n in 0..total {
        let kind = if n % 2 == 0 {
            Kind::Apply
        } else {
            Kind::Ingest
        };
        let batch = Batch {
            n,
            kind,
            updated: [pool[2 * n].clone(), pool[2 * n + 1].clone()],
            deleted: (kind == Kind::Apply).then(|| pool[pool.len() - 1 - n].id.clone()),
        };
        let files = dir.path().join(format!("batch{n:04}"));
        let args: Vec<String> = match kind {
            Kind::Apply => {
                std::fs::create_dir_all(&files).unwrap();
                let f = files.join("changes.ndjson");
                std::fs::write(&f, batch.ndjson()).unwrap();
                vec![
                    "apply".into(),
                    "--data".into(),
                    store.clone(),
                    f.display().to_string(),
                ]
            }
            Kind::Ingest => {
                let mut a = vec!["ingest".into(), "--data".into(), store.clone()];
                a.extend(batch.files(&files).iter().map(|p| p.display().to_string()));
                a
            }
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let plan = match calibration.get(&kind) {
            None => Plan::Never,
            // Most log lines come after the store's commit (tantivy's): half the kills
            // at a line go before it, half after.
            Some(&(lines, commit, took)) => match rng.below(100) {
                0..15 => Plan::Never,
                15..40 => Plan::After(Duration::from_micros(
                    rng.below(took.as_micros() as u64 * 11 / 10),
                )),
                40..70 => Plan::AtLine(
                    1 + rng.below(commit as u64) as usize,
                    Duration::from_micros(rng.below(5_000)),
                ),
                _ => Plan::AtLine(
                    commit + rng.below((lines - commit).max(1) as u64) as usize,
                    Duration::from_micros(rng.below(20_000)),
                ),
            },
        };
        let r = run(&args, plan);
        if matches!(plan, Plan::Never) && !calibration.contains_key(&kind) {
            let commit = r.commit_line.expect("a finished write logs its commit");
            calibration.insert(kind, (r.lines, commit, r.elapsed));
        }
        let e = moments.entry((kind, r.moment)).or_default();
        e.0 += 1;
        let killed = r.status.is_none();
        if let Some(status) = r.status
            && !status.success()
        {
            failures.push(format!(
                "batch {n} ({kind:?}) failed with {status}:\n{}",
                r.log_tail.join("\n")
            ));
        }
        if calibrated_check == 0 {
            let c = run(&["check", "--data", &store], Plan::Never);
            calibrated_check = c.lines;
        }
        for p in recover_and_check(&store, &mut rng, calibrated_check) {
            failures.push(format!(
                "after batch {n} ({kind:?}, {}): {p}",
                r.moment.label()
            ));
        }
        // Every batch: whole or absent, and as it was found before.
        let (found, parts) = batch.found(&store_path);
        let state = if found == parts {
            State::Committed
        } else if found == 0 && killed {
            State::Absent
        } else {
            failures.push(format!(
                "batch {n} ({kind:?}, {}): {found} of its {parts} parts are in the store",
                r.moment.label()
            ));
            State::Absent
        };
        if state == State::Committed {
            e.1 += 1;
        }
        batches.push((batch, state));
        for (b, state) in &batches {
            let (found, parts) = b.found(&store_path);
            let ok = match state {
                State::Committed => found == parts,
                State::Absent => found == 0,
            };
            if !ok {
                failures.push(format!(
                    "after batch {n}: batch {} ({:?}, {state:?} before) now has {found} of {parts} parts",
                    b.n, b.kind
                ));
            }
        }
        // Lookalike search answers (vectors left stale by a kill are rebuilt).
        let r = run(
            &[
                "similar",
                "--data",
                &store,
                "--k",
                "3",
                &pool[pool.len() / 2].id,
            ],
            Plan::Never,
        );
        if r.status.is_none_or(|s| !s.success()) {
            failures.push(format!(
                "after batch {n}: kesou similar failed:\n{}",
                r.log_tail.join("\n")
            ));
        }
        if !failures.is_empty() {
            break;
        }
    }

    println!("| command | moment | trials | batch found whole |");
    println!("|---|---|---|---|");
    for ((kind, moment), (n, whole)) in &moments {
        println!(
            "| kesou {} | {} | {n} | {whole} |",
            format!("{kind:?}").to_lowercase(),
            moment.label()
        );
    }
    assert!(
        failures.is_empty(),
        "KESOU_CRASH_SEED={seed}:\n{}",
        failures.join("\n\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The state a kill inside tantivy's commit leaves (found by the random trials): the new
/// segment and `.del` files written and registered, meta.json still the old one. The next
/// open performs the same deletes again, reaches the same opstamp, and must not trip over
/// the delete file the killed process left.
#[test]
fn an_index_commit_cut_short_is_redone_at_the_next_open() {
    let kesou_testkit::GeneratedStore { dir, paths, .. } = kesou_testkit::generated_store(300, 5);
    let before = dir.path().join("index-before");
    copy_dir(&paths.index(), &before);

    let store = kesou_indexer::Store::open(&paths).unwrap();
    let pool = existing(&paths.root);
    let batch = Batch {
        n: 1,
        kind: Kind::Apply,
        updated: [pool[0].clone(), pool[1].clone()],
        deleted: Some(pool[pool.len() - 1].id.clone()),
    };
    let changes = kesou_indexer::Changes::parse(batch.ndjson().as_bytes()).unwrap();
    let s = store.apply(&changes, &NoProgress).unwrap();
    drop(store);
    assert!(s.index.deleted > 0 && s.index.indexed > 0);

    // Rewind meta.json to the commit before, keeping every file of both commits, all of
    // them registered: what the disk holds when the process dies before tantivy's
    // meta.json is replaced.
    let index = paths.index();
    let mut managed: Vec<String> =
        serde_json::from_slice(&std::fs::read(index.join(".managed.json")).unwrap()).unwrap();
    for entry in std::fs::read_dir(&before).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name == ".managed.json" {
            let old: Vec<String> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            managed.extend(old);
        } else if name == "meta.json" || !index.join(&name).exists() {
            std::fs::copy(&path, index.join(&name)).unwrap();
        }
    }
    managed.sort();
    managed.dedup();
    std::fs::write(
        index.join(".managed.json"),
        serde_json::to_vec(&managed).unwrap(),
    )
    .unwrap();
    assert!(
        std::fs::read_dir(&index).unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "del")),
        "the cut-short commit left a delete file"
    );

    let store = kesou_indexer::Store::open(&paths).expect("the next open catches up");
    let a = store.check().unwrap();
    assert!(a.agrees(), "{:?}", a.problems());
    assert_eq!(a.index_generation, s.generation);
}

/// `kesou check` sees each way the two can differ: a customer changed in the store alone
/// (stale), one added to the store alone (missing), one deleted from the store alone
/// (extra), and a generation the index has not reached.
#[test]
fn check_finds_what_differs_between_store_and_index() {
    let kesou_testkit::GeneratedStore {
        dir: _dir, paths, ..
    } = kesou_testkit::generated_store(200, 8);
    let ids: Vec<String> = existing(&paths.root).into_iter().map(|e| e.id).collect();
    {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Write).unwrap();
        conn.execute("UPDATE customers SET _gen = 7 WHERE id = ?", [&ids[0]])
            .unwrap();
        conn.execute("DELETE FROM customers WHERE id = ?", [&ids[1]])
            .unwrap();
        conn.execute(
            "INSERT INTO customers SELECT * REPLACE ('ZZ1' AS id) FROM customers WHERE id = ?",
            [&ids[2]],
        )
        .unwrap();
    }
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).unwrap();
    let index = kesou_indexer::index::open_index(&paths).unwrap().index;
    let a = kesou_indexer::agreement(&conn, &index).unwrap();
    assert!(!a.agrees());
    assert_eq!(a.stale, vec![(ids[0].clone(), 7, 1)]);
    assert_eq!(a.extra, vec![ids[1].clone()]);
    assert_eq!(a.missing, vec!["ZZ1".to_owned()]);
    assert_eq!(a.problems().len(), 3, "{:?}", a.problems());

    // A generation the index has not reached.
    drop(conn);
    {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Write).unwrap();
        kesou_indexer::store::set_meta(&conn, "generation", "2").unwrap();
    }
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).unwrap();
    let a = kesou_indexer::agreement(&conn, &index).unwrap();
    assert_eq!((a.store_generation, a.index_generation), (2, 1));
    assert!(a.problems()[0].contains("generation"), "{:?}", a.problems());
}
