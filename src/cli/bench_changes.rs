//! `kesou bench`'s change batches: how long a small batch takes to be derived, committed and
//! indexed through a store kept open, as the HTTP server keeps it.

use std::time::Instant;

use duckdb::types::Value as Db;
use kesou_indexer::{Changes, NoProgress, Store, StorePaths};
use kesou_query::ask::{AskOptions, Asker};
use serde_json::{Value, json};

/// Timings (ms, sorted) of one kind of batch at one size, and the customers each stamped.
pub struct BatchTimes {
    pub kind: &'static str,
    pub lines: usize,
    pub ms: Vec<f64>,
    pub changed: Vec<usize>,
}

pub struct ChangeTimes {
    /// The first batch after opening the store (it reads every buyer once).
    pub first_ms: f64,
    pub batches: Vec<BatchTimes>,
    /// A new reader after a write, and an asker (parser dictionaries) made from it.
    pub reader_ms: Vec<f64>,
    pub asker_ms: Vec<f64>,
    /// The first question after a write as a server answers it: its asker renewed from
    /// the one before the write ([`Asker::renewed`]), then the question asked.
    pub first_answer_ms: Vec<f64>,
    pub restore_seconds: f64,
}

/// A sampled customer: its source row as stored, and one of its orders.
struct Sample {
    row: serde_json::Map<String, Value>,
    order: serde_json::Map<String, Value>,
}

fn text(v: Db) -> Value {
    match v {
        Db::Null => Value::Null,
        Db::Text(s) => Value::String(s),
        Db::Int(i) => json!(i),
        Db::BigInt(i) => json!(i),
        Db::Double(d) => json!(d),
        Db::List(items) => Value::Array(items.into_iter().map(text).collect()),
        other => Value::String(format!("{other:?}")),
    }
}

const ROW: &[&str] = &[
    "id",
    "name",
    "credit_code",
    "region",
    "province",
    "city",
    "industry",
    "size",
    "employees",
    "registered_capital",
    "founded_date",
    "owner",
    "tags",
    "contact_name",
    "contact_phone",
    "email",
    "description",
    "created_at",
];

/// `n` customers with orders, spread over the store, with their rows and first order.
fn sample(store: &Store, n: usize) -> anyhow::Result<Vec<Sample>> {
    let conn = store.reader()?.conn;
    let buyers: i64 = conn.query_row(
        "SELECT count(*) FROM customers WHERE order_count > 0",
        [],
        |r| r.get(0),
    )?;
    let step = (buyers / n as i64).max(1);
    let mut stmt = conn.prepare(
        "WITH s AS (SELECT * FROM (SELECT *, row_number() OVER (ORDER BY id) AS k FROM customers WHERE order_count > 0)
                    WHERE k % ? = 0 LIMIT ?),
              o AS (SELECT * FROM orders WHERE customer_id IN (SELECT id FROM s)
                    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY id) = 1)
         SELECT s.id, s.name, s.credit_code, s.region, s.province, s.city, s.industry, s.size, s.employees,
             s.registered_capital, strftime(s.founded_date, '%Y-%m-%d'), s.owner, s.source_tags,
             s.contact_name, s.contact_phone, s.email, s.description,
             strftime(s.created_at, '%Y-%m-%d %H:%M:%S'),
             o.id, strftime(o.order_date, '%Y-%m-%d'), o.amount, o.product
         FROM s JOIN o ON o.customer_id = s.id ORDER BY s.id",
    )?;
    let rows = stmt.query_map(duckdb::params![step, n as i64], |r| {
        let mut row = serde_json::Map::new();
        for (i, name) in ROW.iter().enumerate() {
            row.insert((*name).into(), text(r.get::<_, Db>(i)?));
        }
        let mut order = serde_json::Map::new();
        for (i, name) in ["id", "order_date", "amount", "product"].iter().enumerate() {
            order.insert((*name).into(), text(r.get::<_, Db>(18 + i)?));
        }
        order.insert("customer_id".into(), row["id"].clone());
        Ok(Sample { row, order })
    })?;
    // Contacts come back as the store keeps them (encrypted with a key): a change batch
    // carries them in plain text, as a CRM export would.
    let vault = store.vault();
    let mut samples: Vec<Sample> = rows.collect::<Result<_, _>>()?;
    for s in &mut samples {
        for field in ["contact_name", "contact_phone", "email"] {
            if let Some(Value::String(v)) = s.row.get_mut(field) {
                *v = vault.open(field, v)?;
            }
        }
    }
    Ok(samples)
}

fn line(op: Value) -> String {
    let mut s = op.to_string();
    s.push('\n');
    s
}

fn upsert(table: &str, row: &serde_json::Map<String, Value>) -> String {
    line(json!({"op": "upsert", "table": table, "row": row}))
}

/// A valid credit code of its own for bench customer `n`.
fn credit_code(n: usize) -> String {
    let body = format!("9133010{n:010}");
    let check = kesou_domain::credit_code::check_char(body.as_bytes()).expect("digits");
    format!("{body}{}", check as char)
}

/// Asked after each write, as a server's first question.
const FIRST_QUESTION: &str = "华东地区年采购额超过100万的科技类客户";

/// Applies `runs` batches of 1 and of 100 lines of each kind to the store at `paths`
/// (kept open), then puts every changed row back and deletes the customers it added.
pub fn time_changes(paths: &StorePaths, runs: usize) -> anyhow::Result<ChangeTimes> {
    let store = Store::open(paths)?;
    drop(store.reader()?);
    let sizes = [1usize, 100];
    let per_run: usize = sizes.iter().sum();
    let samples = sample(&store, runs * per_run * 2 + 1)?;
    anyhow::ensure!(
        samples.len() > runs * per_run * 2,
        "the store has too few customers with orders for {runs} runs"
    );
    let mut times = ChangeTimes {
        first_ms: 0.0,
        batches: Vec::new(),
        reader_ms: Vec::new(),
        asker_ms: Vec::new(),
        first_answer_ms: Vec::new(),
        restore_seconds: 0.0,
    };
    let mut next_sample = 0;
    let mut take = |n: usize| {
        let s = &samples[next_sample..next_sample + n];
        next_sample += n;
        s
    };
    let mut new_ids = Vec::new();
    // The server's asker, renewed write after write.
    let mut kept = Asker::on_store(&store)?;
    let mut first = take(1)[0].row.clone();
    first.insert("description".into(), json!("第一次更新"));
    let started = Instant::now();
    store.apply(
        &Changes::parse(upsert("customers", &first).as_bytes())?,
        &NoProgress,
    )?;
    times.first_ms = started.elapsed().as_secs_f64() * 1000.0;
    for kind in [
        "existing: description",
        "existing: order amount",
        "new customers",
    ] {
        for lines in sizes {
            let mut t = BatchTimes {
                kind,
                lines,
                ms: Vec::new(),
                changed: Vec::new(),
            };
            for run in 0..runs {
                let mut batch = String::new();
                match kind {
                    "existing: description" => {
                        for s in take(lines) {
                            let mut row = s.row.clone();
                            let d = row["description"].as_str().unwrap_or_default().to_owned();
                            row.insert(
                                "description".into(),
                                json!(format!("{d}（第{run}次更新）")),
                            );
                            batch.push_str(&upsert("customers", &row));
                        }
                    }
                    "existing: order amount" => {
                        for s in take(lines) {
                            let mut order = s.order.clone();
                            let a = order["amount"].as_f64().unwrap_or_default();
                            order.insert("amount".into(), json!((a * 101.0).round() / 100.0));
                            batch.push_str(&upsert("orders", &order));
                        }
                    }
                    _ => {
                        for j in 0..lines.div_ceil(2) {
                            let n = new_ids.len();
                            let id = format!("ZB-{n}");
                            batch.push_str(&line(json!({"op": "upsert", "table": "customers", "row": {
                                "id": id, "name": format!("杭州测速{n}号科技有限公司"), "credit_code": credit_code(n),
                                "province": "浙江省", "city": "杭州市", "industry": "科技",
                                "description": format!("第{run}轮测速新客户，主营工业软件与数据服务。")}})));
                            if lines > 1 || j > 0 {
                                batch.push_str(&line(json!({"op": "upsert", "table": "orders", "row": {
                                    "id": format!("ZBO-{n}"), "customer_id": id, "order_date": "2026-06-01",
                                    "amount": 12000 + n}})));
                            }
                            new_ids.push(id);
                        }
                    }
                }
                let changes = Changes::parse(batch.as_bytes())?;
                let started = Instant::now();
                let s = store.apply(&changes, &NoProgress)?;
                t.ms.push(started.elapsed().as_secs_f64() * 1000.0);
                anyhow::ensure!(
                    s.rejected.is_empty(),
                    "bench batch rejected: {:?}",
                    s.rejected
                );
                t.changed.push(s.customers_changed);
                let started = Instant::now();
                let reader = store.reader()?;
                times
                    .reader_ms
                    .push(started.elapsed().as_secs_f64() * 1000.0);
                let started = Instant::now();
                drop(Asker::from_reader(reader)?);
                times
                    .asker_ms
                    .push(started.elapsed().as_secs_f64() * 1000.0);
                let started = Instant::now();
                kept = kept.renewed(store.reader()?)?;
                kept.ask(FIRST_QUESTION, &AskOptions::default())?;
                times
                    .first_answer_ms
                    .push(started.elapsed().as_secs_f64() * 1000.0);
            }
            t.ms.sort_by(f64::total_cmp);
            t.changed.sort_unstable();
            times.batches.push(t);
        }
    }
    // Everything back as it was.
    let started = Instant::now();
    let mut restore = String::new();
    for s in &samples[..next_sample] {
        restore.push_str(&upsert("customers", &s.row));
        restore.push_str(&upsert("orders", &s.order));
    }
    for id in &new_ids {
        restore.push_str(&line(json!({"op": "delete", "id": id})));
    }
    let s = store.apply(&Changes::parse(restore.as_bytes())?, &NoProgress)?;
    anyhow::ensure!(s.rejected.is_empty(), "restore rejected: {:?}", s.rejected);
    times.restore_seconds = started.elapsed().as_secs_f64();
    times.reader_ms.sort_by(f64::total_cmp);
    times.asker_ms.sort_by(f64::total_cmp);
    times.first_answer_ms.sort_by(f64::total_cmp);
    Ok(times)
}

/// The table of change batches, printed after the other measurements.
pub fn print(times: &ChangeTimes, percentile: fn(&[f64], f64) -> f64) {
    let mut t = super::output::Table::new([
        "change batch (store kept open)",
        "lines",
        "batches",
        "p50 ms",
        "p99 ms",
        "customers stamped (median)",
    ]);
    t.row([
        "first batch after opening (reads every buyer)".into(),
        "1".into(),
        "1".into(),
        format!("{:.0}", times.first_ms),
        "-".into(),
        "1".into(),
    ]);
    for b in &times.batches {
        t.row([
            b.kind.to_owned(),
            b.lines.to_string(),
            b.ms.len().to_string(),
            format!("{:.0}", percentile(&b.ms, 50.0)),
            format!("{:.0}", percentile(&b.ms, 99.0)),
            b.changed
                .get(b.changed.len() / 2)
                .map_or("-".into(), ToString::to_string),
        ]);
    }
    for (what, ms) in [
        ("new reader after a write", &times.reader_ms),
        ("asker from that reader", &times.asker_ms),
        (
            "first question after a write (asker renewed)",
            &times.first_answer_ms,
        ),
    ] {
        t.row([
            what.to_owned(),
            "-".into(),
            ms.len().to_string(),
            format!("{:.1}", percentile(ms, 50.0)),
            format!("{:.1}", percentile(ms, 99.0)),
            "-".into(),
        ]);
    }
    t.print();
    println!(
        "every changed row put back and the added customers deleted in one batch: {:.1} s",
        times.restore_seconds
    );
}
