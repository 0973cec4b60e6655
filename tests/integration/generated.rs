//! The whole path on generated data: every format loads to the same store, derived columns
//! follow the glossary (checked against an independent implementation here), dirty exports
//! are accounted for row by row.

use std::collections::HashMap;

use chrono::NaiveDate;
use kesou_datagen::FileFormat;
use kesou_indexer::StorePaths;
use kesou_testkit::Shape;

use crate::common::{self, dump};

/// Generated files (seed 7), shared through the test kit: these tests are of the ingest.
fn generate(customers: usize, format: FileFormat, dirty: bool) -> std::path::PathBuf {
    let shape = Shape::new(customers, 7).format(format);
    kesou_testkit::source(if dirty { shape.dirty() } else { shape })
}

#[test]
fn every_format_loads_to_the_same_store() {
    let mut dumps = Vec::new();
    for format in [FileFormat::Csv, FileFormat::Jsonl, FileFormat::Parquet] {
        let source = generate(600, format, false);
        let (_d, paths, s) = common::ingest_into_temp(&[source]);
        assert_eq!(
            s.rejected(),
            0,
            "{format:?}: clean data loads without rejects: {:?}",
            s.rejects_file
        );
        let skipped: Vec<_> = s.files.iter().filter(|f| f.skipped.is_some()).collect();
        assert_eq!(
            skipped.len(),
            1,
            "the ground-truth file is skipped, never read"
        );
        dumps.push((format, dump(&paths)));
    }
    assert!(dumps[0].1.contains("C0000600"));
    for (format, d) in &dumps[1..] {
        assert!(
            d == &dumps[0].1,
            "{format:?} gives a different store than CSV"
        );
    }
}

/// A customer's orders (days before as_of, amount) and interactions (days before, kind).
type History = (Vec<(i64, f64)>, Vec<(i64, String)>);

/// The glossary's rules, written again in Rust over the raw rows.
struct Expected {
    annual: f64,
    orders: usize,
    lifecycle: &'static str,
    consult_30d: usize,
    /// Days since the last order, for customers with one.
    recency: Option<i64>,
    complaints_365: usize,
    /// 复购周期: the median of the days between consecutive orders (two or more orders).
    repurchase_days: Option<f64>,
}

/// The median of `values` as DuckDB's `median` takes it: the middle one, or the mean of
/// the middle two.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn expected(paths: &StorePaths, as_of: NaiveDate) -> HashMap<String, Expected> {
    let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read).unwrap();
    let days = |d: NaiveDate| (as_of - d).num_days();
    let mut by_id: HashMap<String, History> = HashMap::new();
    let mut stmt = conn.prepare("SELECT id FROM customers").unwrap();
    for id in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        by_id.entry(id.unwrap()).or_default();
    }
    let mut stmt = conn
        .prepare("SELECT customer_id, order_date::VARCHAR, amount FROM orders")
        .unwrap();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, f64>(2)?,
            ))
        })
        .unwrap()
    {
        let (id, date, amount) = row.unwrap();
        let d = NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap();
        by_id.get_mut(&id).unwrap().0.push((days(d), amount));
    }
    let mut stmt = conn
        .prepare("SELECT customer_id, ts::DATE::VARCHAR, kind FROM interactions")
        .unwrap();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap()
    {
        let (id, date, kind) = row.unwrap();
        let d = NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap();
        by_id.get_mut(&id).unwrap().1.push((days(d), kind));
    }
    by_id
        .into_iter()
        .map(|(id, (orders, inters))| {
            // "the last N days" = date > as_of - N, as_of included; nothing after as_of counts
            let within = |ago: i64, n: i64| (0..n).contains(&ago);
            let past_orders: Vec<&(i64, f64)> =
                orders.iter().filter(|(ago, _)| *ago >= 0).collect();
            let annual = past_orders
                .iter()
                .filter(|(ago, _)| within(*ago, 365))
                .map(|(_, a)| a)
                .sum();
            let n365 = past_orders
                .iter()
                .filter(|(ago, _)| within(*ago, 365))
                .count();
            let n180 = past_orders
                .iter()
                .filter(|(ago, _)| within(*ago, 180))
                .count();
            let i180 = inters.iter().filter(|(ago, _)| within(*ago, 180)).count();
            let consult_30d = inters
                .iter()
                .filter(|(ago, k)| within(*ago, 30) && k == "咨询")
                .count();
            let lifecycle = if past_orders.is_empty() && i180 == 0 {
                "潜在"
            } else if past_orders.is_empty() {
                "意向"
            } else if n180 == 0 {
                "流失"
            } else if n365 >= 3 {
                "忠诚"
            } else {
                "成交"
            };
            let mut ago: Vec<i64> = past_orders.iter().map(|(ago, _)| *ago).collect();
            ago.sort_unstable();
            let gaps = ago.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
            (
                id,
                Expected {
                    repurchase_days: median(gaps),
                    annual,
                    orders: past_orders.len(),
                    lifecycle,
                    consult_30d,
                    recency: past_orders.iter().map(|(ago, _)| *ago).min(),
                    complaints_365: inters
                        .iter()
                        .filter(|(ago, k)| within(*ago, 365) && k == "投诉")
                        .count(),
                },
            )
        })
        .collect()
}

#[test]
fn derived_columns_follow_the_glossary() {
    let source = generate(3000, FileFormat::Csv, false);
    let (_d, paths, s) = common::ingest_into_temp(&[source]);
    assert_eq!(s.as_of, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
    assert!(s.as_of_from_meta);
    let want = expected(&paths, s.as_of);
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, annual_purchase, order_count, lifecycle, consult_30d, value_level FROM customers ORDER BY annual_purchase DESC, id")
        .unwrap();
    let rows: Vec<(String, f64, i64, String, i64, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3000);
    let mut lifecycles: HashMap<String, usize> = HashMap::new();
    for (id, annual, orders, lifecycle, consult, _) in &rows {
        let e = &want[id];
        assert!(
            (annual - e.annual).abs() < 0.01,
            "{id}: annual_purchase {annual} != {}",
            e.annual
        );
        assert_eq!(*orders as usize, e.orders, "{id}: order_count");
        assert_eq!(lifecycle, e.lifecycle, "{id}: lifecycle");
        assert_eq!(*consult as usize, e.consult_30d, "{id}: consult_30d");
        *lifecycles.entry(lifecycle.clone()).or_default() += 1;
    }
    // value_level: top 20% of buyers by annual purchase 高, next 30% 中, the rest 低.
    let buyers: Vec<&(String, f64, i64, String, i64, String)> =
        rows.iter().filter(|r| r.2 > 0).collect();
    let n = buyers.len() as f64;
    for (rank, r) in buyers.iter().enumerate() {
        let level = if (rank + 1) as f64 <= 0.2 * n {
            "高"
        } else if (rank + 1) as f64 <= 0.5 * n {
            "中"
        } else {
            "低"
        };
        assert_eq!(r.5, level, "{}: rank {} of {n}", r.0, rank + 1);
    }
    check_rfm(&conn, &want);
    check_tag_layers(&conn, &want);
    // A realistic world has every stage.
    for stage in ["潜在", "意向", "成交", "忠诚", "流失"] {
        assert!(
            lifecycles.get(stage).copied().unwrap_or(0) > 0,
            "no {stage} customers: {lifecycles:?}"
        );
    }
}

/// RFM, written again: over customers with orders, R = days since the last order, F = all
/// their orders, M = their total purchase; scores 1-5 from the percent rank (5 best, ties
/// share a score); segments by high/low against the buyers' mean.
fn check_rfm(conn: &duckdb::Connection, want: &HashMap<String, Expected>) {
    let mut stmt = conn
        .prepare("SELECT id, total_purchase, r_score, f_score, m_score, rfm_segment FROM customers")
        .unwrap();
    type Row = (
        String,
        f64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let buyers: Vec<(&Row, f64, f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            let e = &want[&r.0];
            e.recency.map(|rec| (r, rec as f64, e.orders as f64, r.1))
        })
        .collect();
    let n = buyers.len() as f64;
    let mean = |f: fn(&(&Row, f64, f64, f64)) -> f64| buyers.iter().map(f).sum::<f64>() / n;
    let (mr, mf, mm) = (mean(|b| b.1), mean(|b| b.2), mean(|b| b.3));
    // The share of buyers strictly worse: percent_rank.
    let score = |worse: usize| (1.0 + (worse as f64 / (n - 1.0) * 5.0).floor()).min(5.0) as i64;
    let mut segments: HashMap<&str, usize> = HashMap::new();
    for b in &buyers {
        let r = score(buyers.iter().filter(|o| o.1 > b.1).count());
        let f = score(buyers.iter().filter(|o| o.2 < b.2).count());
        let m = score(buyers.iter().filter(|o| o.3 < b.3).count());
        assert_eq!(
            (b.0.2, b.0.3, b.0.4),
            (Some(r), Some(f), Some(m)),
            "{}: R F M",
            b.0.0
        );
        let segment = match (b.1 < mr, b.2 > mf, b.3 > mm) {
            (true, true, true) => "重要价值客户",
            (true, false, true) => "重要发展客户",
            (false, true, true) => "重要保持客户",
            (false, false, true) => "重要挽留客户",
            (true, true, false) => "一般价值客户",
            (true, false, false) => "一般发展客户",
            (false, true, false) => "一般保持客户",
            (false, false, false) => "一般挽留客户",
        };
        assert_eq!(b.0.5.as_deref(), Some(segment), "{}: segment", b.0.0);
        *segments.entry(segment).or_default() += 1;
    }
    for r in rows.iter().filter(|r| want[&r.0].recency.is_none()) {
        assert_eq!(
            (r.2, r.5.as_deref()),
            (None, None),
            "{}: no orders, no RFM",
            r.0
        );
    }
    assert!(
        segments.len() >= 6,
        "a realistic world fills most segments: {segments:?}"
    );
}

/// Three of the behaviour and value tags, written again: 多次投诉 (three or more complaints
/// in the last 365 days), 复购周期 (the median gap between orders) and the LTV third of
/// buyers by total purchase.
fn check_tag_layers(conn: &duckdb::Connection, want: &HashMap<String, Expected>) {
    let mut stmt = conn
        .prepare("SELECT id, total_purchase, order_count, tags FROM customers")
        .unwrap();
    let rows: Vec<(String, f64, i64, Vec<String>)> = stmt
        .query_map([], |r| {
            let tags: duckdb::types::Value = r.get(3)?;
            let tags = match tags {
                duckdb::types::Value::List(items) => items
                    .into_iter()
                    .filter_map(|v| match v {
                        duckdb::types::Value::Text(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, tags))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let has = |tags: &[String], t: &str| tags.iter().any(|x| x == t);
    let buyers: Vec<&(String, f64, i64, Vec<String>)> = rows.iter().filter(|r| r.2 > 0).collect();
    let n = buyers.len() as f64;
    let mut complainers = 0;
    let mut cycles = std::collections::BTreeSet::new();
    for r in &rows {
        let many = want[&r.0].complaints_365 >= 3;
        assert_eq!(has(&r.3, "多次投诉"), many, "{}: 多次投诉", r.0);
        let cycle = want[&r.0].repurchase_days.map(|d| match d {
            d if d <= 30.0 => "复购周期≤30天",
            d if d <= 90.0 => "复购周期31-90天",
            d if d <= 180.0 => "复购周期91-180天",
            _ => "复购周期>180天",
        });
        let tagged: Vec<&String> = r.3.iter().filter(|t| t.starts_with("复购周期")).collect();
        assert_eq!(
            tagged.first().map(|t| t.as_str()),
            cycle,
            "{}: 复购周期 (median gap {:?} days)",
            r.0,
            want[&r.0].repurchase_days
        );
        cycles.extend(cycle);
        complainers += usize::from(many);
        if r.2 == 0 {
            assert!(
                !r.3.iter().any(|t| t.starts_with("LTV")),
                "{}: no orders, no LTV",
                r.0
            );
            continue;
        }
        let below = buyers.iter().filter(|b| b.1 < r.1).count() as f64;
        let rank = below / (n - 1.0);
        let band = if rank >= 2.0 / 3.0 {
            "LTV高"
        } else if rank >= 1.0 / 3.0 {
            "LTV中"
        } else {
            "LTV低"
        };
        assert!(
            has(&r.3, band),
            "{}: {band} (rank {rank:.3}) in {:?}",
            r.0,
            r.3
        );
    }
    assert!(complainers > 0, "some customers complain often");
    assert_eq!(cycles.len(), 4, "every repurchase cycle occurs: {cycles:?}");
}

#[test]
fn dirty_exports_are_accounted_for_row_by_row() {
    let source = generate(3000, FileFormat::Csv, true);
    let (dir, paths, s) = common::ingest_into_temp(&[source]);
    // Every row read is loaded, waiting for its customer, or rejected; a bad value costs
    // only itself.
    let mut outcomes: HashMap<(String, String), u64> = HashMap::new();
    let mut waiting_rows: Vec<(String, u64)> = Vec::new();
    let mut r = csv::Reader::from_path(s.rejects_file.as_ref().unwrap()).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        assert!(!rec[4].is_empty(), "every entry has a reason: {rec:?}");
        assert!(rec[1].parse::<u64>().unwrap() >= 2, "a data line: {rec:?}");
        let file = rec[0].to_owned();
        match &rec[5] {
            "row rejected" => {
                // Customers are rejected only when they cannot be identified; events only
                // without the date, time or amount that place them in history.
                let customers = file.ends_with("customers.csv");
                let allowed = if customers {
                    rec[4].contains("cannot be identified")
                } else {
                    matches!(
                        &rec[2],
                        "order_date" | "amount" | "ts" | "id" | "customer_id"
                    )
                };
                assert!(
                    allowed,
                    "a row rejected for a value it could do without: {rec:?}"
                );
            }
            "value set aside, row loaded" => {}
            "row waiting for its customer" => {
                waiting_rows.push((file.clone(), rec[1].parse().unwrap()))
            }
            other => panic!("unknown outcome {other:?}"),
        }
        *outcomes.entry((file, rec[5].to_owned())).or_default() += 1;
    }
    for f in s.files.iter().filter(|f| f.skipped.is_none()) {
        let name = f.path.display().to_string();
        let n = |outcome: &str| {
            outcomes
                .get(&(name.clone(), outcome.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        assert_eq!(
            f.rows_read,
            f.loaded + f.rejected + f.waiting,
            "{name}: loaded + waiting + rejected = read"
        );
        assert_eq!(n("row rejected"), f.rejected, "{name}");
        assert_eq!(n("row waiting for its customer"), f.waiting, "{name}");
        assert_eq!(n("value set aside, row loaded"), f.set_aside, "{name}");
    }
    let customers_file = s
        .files
        .iter()
        .find(|f| f.path.ends_with("customers.csv"))
        .unwrap();
    assert_eq!(
        customers_file.rejected, 0,
        "every dirty customer has an id: none is rejected"
    );
    assert!(
        customers_file.set_aside > 0,
        "bad phones and codes are set aside"
    );
    assert!(
        s.waiting() > 0,
        "orders of customers not in the export wait"
    );
    assert_eq!(s.waiting_in_store, s.waiting());
    // The waiting rows are in the store, row by row.
    let mut stored: Vec<(String, u64)> = common::strings(
        &paths,
        "SELECT file || '#' || line FROM waiting_orders
         UNION ALL SELECT file || '#' || line FROM waiting_interactions",
    )
    .into_iter()
    .map(|s| {
        let (f, l) = s.rsplit_once('#').unwrap();
        (f.to_owned(), l.parse().unwrap())
    })
    .collect();
    stored.sort();
    waiting_rows.sort();
    assert_eq!(
        stored, waiting_rows,
        "the waiting tables hold what the report says"
    );
    assert!(
        s.duplicate_groups > 0,
        "same-name-different-code pairs are flagged"
    );
    for rule in ["trim", "full-width to half-width"] {
        assert!(
            s.normalisations.contains_key(rule),
            "{rule}: {:?}",
            s.normalisations
        );
    }
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).unwrap();
    let customers: i64 = conn
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .unwrap();
    assert!(customers >= 2990, "every customer loads: {customers}");
    let flagged: i64 = conn
        .query_row(
            "SELECT count(*) FROM customers WHERE list_contains(tags, '注册号代替信用代码')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(flagged > 0, "15-digit 注册号 are kept as identity, flagged");
    drop(conn);

    // The customer of some waiting orders arrives: they are attached, not lost.
    let (customer, count): (String, i64) =
        kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read)
            .unwrap()
            .query_row(
                "SELECT customer_id, count(*) FROM waiting_orders GROUP BY customer_id
             ORDER BY count(*) DESC, customer_id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
    let late = dir.path().join("customers-late.csv");
    std::fs::write(
        &late,
        format!("id,name,province,industry\n{customer},宁波迟到贸易有限公司,浙江省,零售\n"),
    )
    .unwrap();
    let again = kesou_indexer::ingest(&paths, &[late], &kesou_indexer::NoProgress).unwrap();
    assert!(
        again.attached >= count as u64,
        "{} attached",
        again.attached
    );
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).unwrap();
    let (orders, left): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM orders WHERE customer_id = ?),
                    (SELECT count(*) FROM waiting_orders WHERE customer_id = ?)",
            [&customer, &customer],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((orders, left), (count, 0), "{customer}'s orders moved in");
    assert_eq!(again.waiting_in_store + again.attached, s.waiting_in_store);
}
