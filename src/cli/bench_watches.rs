//! `kesou bench`'s watches: what 100 list watches add to a change batch. The same batches
//! (100 changed order amounts) are timed through a store kept open, first with no watch,
//! then with 100 watches asked again after each (`kesou_watch::evaluate_all`). Everything is
//! put back afterwards.

use std::time::Instant;

use duckdb::params;
use kesou_indexer::{Changes, NoProgress, Store, StorePaths};
use serde_json::json;

pub struct WatchTimes {
    pub watches: usize,
    /// Batches with no watch: apply only.
    pub without_ms: Vec<f64>,
    /// Batches with the watches: apply.
    pub with_apply_ms: Vec<f64>,
    /// …and the watches asked again.
    pub evaluate_ms: Vec<f64>,
    /// Customers each evaluation asked again per watch (the batch's stamped customers).
    pub checked: Vec<usize>,
    /// Watches asked whole (should be none).
    pub full_runs: usize,
}

struct Order {
    id: String,
    customer: String,
    amount: f64,
    date: String,
    product: Option<String>,
}

/// The 100 questions: each answered from the change.
fn questions() -> Vec<String> {
    let regions = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
    let industries = [
        "科技", "制造", "金融", "零售", "医疗", "教育", "物流", "能源", "建筑", "餐饮", "农业",
        "传媒",
    ];
    let mut out = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        for (j, ind) in industries.iter().enumerate() {
            out.push(format!(
                "{r}{ind}客户年采购额超过{}万",
                20 + 10 * ((i + j) % 10)
            ));
        }
        out.push(format!("{r}流失客户"));
        out.push(format!("{r}高价值客户"));
    }
    out.push("忠诚客户年采购额超过100万".into());
    out.push("成交客户年采购额不到10万".into());
    out.truncate(100);
    out
}

/// `runs` batches of 100 changed order amounts without watches, then `runs` with 100.
pub fn time_watches(paths: &StorePaths, runs: usize) -> anyhow::Result<WatchTimes> {
    let store = Store::open(paths)?;
    let conn = store.reader()?.conn;
    anyhow::ensure!(
        conn.query_row("SELECT count(*) FROM watches", [], |r| r.get::<_, i64>(0))? == 0,
        "the bench store has watches of its own; bench a store without"
    );
    let orders: Vec<Order> = {
        let mut stmt = conn.prepare(
            "SELECT id, customer_id, amount, strftime(order_date, '%Y-%m-%d'), product FROM orders \
             QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY id) = 1 \
             ORDER BY hash(customer_id) LIMIT ?",
        )?;
        stmt.query_map(params![(200 * runs) as i64], |r| {
            Ok(Order {
                id: r.get(0)?,
                customer: r.get(1)?,
                amount: r.get(2)?,
                date: r.get(3)?,
                product: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?
    };
    anyhow::ensure!(
        orders.len() == 200 * runs,
        "the store has too few buyers for {runs} runs"
    );
    let batch = |part: &[Order], factor: f64| -> anyhow::Result<Changes> {
        let mut text = String::new();
        for o in part {
            text.push_str(
                &json!({"op": "upsert", "table": "orders", "row": {
                    "id": o.id, "customer_id": o.customer, "order_date": o.date, "product": o.product,
                    "amount": (o.amount * factor * 100.0).round() / 100.0}})
                .to_string(),
            );
            text.push('\n');
        }
        Ok(Changes::parse(text.as_bytes())?)
    };
    let settings = kesou_watch::Settings::default();
    let mut times = WatchTimes {
        watches: 0,
        without_ms: Vec::new(),
        with_apply_ms: Vec::new(),
        evaluate_ms: Vec::new(),
        checked: Vec::new(),
        full_runs: 0,
    };
    let (without, with) = orders.split_at(100 * runs);
    // One warm-up batch, then the timed ones.
    store.apply(&batch(&without[..100], 1.01)?, &NoProgress)?;
    for part in without.chunks(100) {
        let b = batch(part, 1.02)?;
        let t = Instant::now();
        store.apply(&b, &NoProgress)?;
        times.without_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let owner = kesou_access::Principal::local().name;
    for q in questions() {
        let new = kesou_watch::NewWatch {
            name: String::new(),
            question: q.clone(),
            query: None,
            fire_on: kesou_watch::FireOn::Both,
            targets: Vec::new(),
            every: None,
            condition: None,
            board: None,
            filters: Vec::new(),
            period: None,
        };
        match kesou_watch::add(&store, &owner, new) {
            Ok(_) => times.watches += 1,
            Err(e) => eprintln!("bench watch 「{q}」 not added: {e}"),
        }
    }
    // As the server does: one evaluator for the store, its reader renewed write after write.
    let evaluator = kesou_watch::Evaluator::default();
    evaluator.evaluate(&store, &settings)?;
    for part in with.chunks(100) {
        let b = batch(part, 1.02)?;
        let t = Instant::now();
        store.apply(&b, &NoProgress)?;
        times.with_apply_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let outcomes = evaluator.evaluate(&store, &settings)?;
        times.evaluate_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        times.full_runs += outcomes.iter().filter(|o| o.full_run.is_some()).count();
        times
            .checked
            .push(outcomes.first().map_or(0, |o| o.checked));
    }
    // Put back: the amounts as they were, no watches.
    store.apply(&batch(&orders, 1.0)?, &NoProgress)?;
    conn.execute_batch(
        "DELETE FROM watch_members; DELETE FROM watch_firings; DELETE FROM watch_outbox; \
         DELETE FROM watches;",
    )?;
    Ok(times)
}

pub fn print(t: &WatchTimes, percentile: fn(&[f64], f64) -> f64) {
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let without = sorted(&t.without_ms);
    let apply = sorted(&t.with_apply_ms);
    let eval = sorted(&t.evaluate_ms);
    let with: Vec<f64> = sorted(
        &t.with_apply_ms
            .iter()
            .zip(&t.evaluate_ms)
            .map(|(a, e)| a + e)
            .collect::<Vec<_>>(),
    );
    let p50 = |v: &[f64]| percentile(v, 0.5);
    println!(
        "\nchange batch of 100 order amounts with {} watches (p50 of {} runs each):",
        t.watches,
        t.without_ms.len()
    );
    println!("  without watches:        {:.1} ms", p50(&without));
    println!(
        "  with: apply {:.1} ms + watches {:.1} ms = {:.1} ms ({:+.0}%)",
        p50(&apply),
        p50(&eval),
        p50(&with),
        (p50(&with) / p50(&without) - 1.0) * 100.0
    );
    println!(
        "  customers asked again per watch: {:?}; watches asked whole: {}",
        t.checked, t.full_runs
    );
}
