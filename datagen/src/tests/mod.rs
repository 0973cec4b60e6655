//! Behaviour of the generator as its users see it: determinism, the `as_of` extension
//! property, the data contract, realism targets and the dirty defects.

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Date32Type, Float64Type, Int32Type, TimestampSecondType};
use chrono::NaiveDate;
use kesou_domain::credit_code::validate;
use kesou_domain::{geo, text};

use crate::calendar::{SECONDS_PER_DAY, days_from_civil};

mod dirty;
mod files;
use crate::{GenerateConfig, generate_batches};

pub(crate) fn config(seed: u64) -> GenerateConfig {
    let mut c = GenerateConfig::new("unused");
    c.seed = seed;
    c
}

pub(crate) fn strings<'a>(b: &'a RecordBatch, column: &str) -> Vec<&'a str> {
    let a = b
        .column_by_name(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .as_string::<i32>();
    (0..a.len()).map(|i| a.value(i)).collect()
}

fn days(b: &RecordBatch, column: &str) -> Vec<i32> {
    b.column_by_name(column)
        .unwrap()
        .as_primitive::<Date32Type>()
        .values()
        .to_vec()
}

fn seconds(b: &RecordBatch, column: &str) -> Vec<i64> {
    b.column_by_name(column)
        .unwrap()
        .as_primitive::<TimestampSecondType>()
        .values()
        .to_vec()
}

fn per_customer(b: &RecordBatch) -> HashMap<&str, usize> {
    let mut n = HashMap::new();
    for c in strings(b, "customer_id") {
        *n.entry(c).or_default() += 1;
    }
    n
}

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let a = generate_batches(&config(42), 0, 1500);
    let b = generate_batches(&config(42), 0, 1500);
    assert_eq!(a.customers, b.customers);
    assert_eq!(a.orders, b.orders);
    assert_eq!(a.interactions, b.interactions);
    assert_eq!(a.truth, b.truth);
    let c = generate_batches(&config(43), 0, 1500);
    assert_ne!(strings(&a.customers, "name"), strings(&c.customers, "name"));
    assert_ne!(a.orders.num_rows(), c.orders.num_rows());
}

#[test]
fn chunks_concatenate_to_the_whole() {
    for dirty in [false, true] {
        let mut cfg = config(7);
        cfg.dirty = dirty;
        let whole = generate_batches(&cfg, 0, 1200);
        let (a, b) = (
            generate_batches(&cfg, 0, 500),
            generate_batches(&cfg, 500, 700),
        );
        for (w, x, y) in [
            (&whole.customers, &a.customers, &b.customers),
            (&whole.orders, &a.orders, &b.orders),
            (&whole.interactions, &a.interactions, &b.interactions),
            (&whole.truth, &a.truth, &b.truth),
        ] {
            assert_eq!(w, &concat_batches(&w.schema(), [x, y]).unwrap());
        }
    }
}

#[test]
fn a_later_as_of_extends_the_same_histories() {
    let early = generate_batches(&config(42), 0, 1500);
    let mut later_cfg = config(42);
    later_cfg.as_of = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let later = generate_batches(&later_cfg, 0, 1500);
    assert_eq!(early.customers, later.customers);
    assert_eq!(early.truth, later.truth);
    let cut = days_from_civil(2026, 6, 30);

    let keep: Vec<bool> = days(&later.orders, "order_date")
        .iter()
        .map(|d| *d <= cut)
        .collect();
    let kept = arrow::compute::filter_record_batch(&later.orders, &keep.clone().into()).unwrap();
    assert_eq!(
        kept, early.orders,
        "orders up to the earlier as_of are the earlier run's"
    );
    assert!(later.orders.num_rows() > early.orders.num_rows());

    let keep: Vec<bool> = seconds(&later.interactions, "ts")
        .iter()
        .map(|s| s / SECONDS_PER_DAY <= i64::from(cut))
        .collect();
    let kept = arrow::compute::filter_record_batch(&later.interactions, &keep.into()).unwrap();
    assert_eq!(
        kept, early.interactions,
        "interactions up to the earlier as_of are the earlier run's"
    );
    assert!(later.interactions.num_rows() > early.interactions.num_rows());
    assert!(days(&early.orders, "order_date").iter().all(|d| *d <= cut));
}

/// Every row of a batch as text, in order.
fn rows(b: &RecordBatch) -> Vec<String> {
    let columns: Vec<_> = b
        .columns()
        .iter()
        .map(|c| arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).unwrap())
        .collect();
    (0..b.num_rows())
        .map(|i| {
            columns
                .iter()
                .map(|c| {
                    let c = c.as_string::<i32>();
                    if c.is_null(i) { "∅" } else { c.value(i) }
                })
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect()
}

/// Whether `short` is `long` with rows left out (in the same order).
fn is_subsequence(short: &[String], long: &[String]) -> bool {
    let mut rest = long.iter();
    short.iter().all(|row| rest.any(|r| r == row))
}

#[test]
fn a_world_generated_180_days_further_is_the_same_world() {
    // What `kesou eval churn` relies on: the same seed with as_of D and D + 180 days gives
    // the same customers, and every order and interaction of the first is in the second,
    // in the same order, the second adding only what happened after D. Clean and dirty.
    let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let later_day = d + chrono::Days::new(180);
    for dirty in [false, true] {
        let mut early_cfg = config(9);
        early_cfg.dirty = dirty;
        early_cfg.as_of = d;
        let mut later_cfg = early_cfg.clone();
        later_cfg.as_of = later_day;
        let (early, later) = (
            generate_batches(&early_cfg, 0, 2000),
            generate_batches(&later_cfg, 0, 2000),
        );
        assert_eq!(early.customers, later.customers, "dirty {dirty}");
        assert_eq!(early.truth, later.truth);
        for (what, e, l) in [
            ("orders", &early.orders, &later.orders),
            ("interactions", &early.interactions, &later.interactions),
        ] {
            let (e, l) = (rows(e), rows(l));
            assert!(l.len() > e.len(), "{what}: the later world adds history");
            assert!(
                is_subsequence(&e, &l),
                "{what} (dirty {dirty}): the earlier world's rows are not all in the later one"
            );
        }
        if !dirty {
            // Clean data: exactly the later rows dated up to D.
            let cut = days_from_civil(2026, 3, 31);
            let keep: Vec<bool> = days(&later.orders, "order_date")
                .iter()
                .map(|day| *day <= cut)
                .collect();
            let kept = arrow::compute::filter_record_batch(&later.orders, &keep.into()).unwrap();
            assert_eq!(kept, early.orders);
        }
    }
}

#[test]
fn clean_customers_follow_the_contract() {
    let b = generate_batches(&config(42), 0, 3000);
    let c = &b.customers;
    assert_eq!(c.num_rows(), 3000);
    let ids = strings(c, "id");
    assert_eq!(ids[0], "C0000001");
    assert_eq!(ids[2999], "C0003000");
    let codes = strings(c, "credit_code");
    for code in &codes {
        assert_eq!(validate(code), Ok(()), "{code}");
    }
    assert_eq!(
        codes.iter().collect::<HashSet<_>>().len(),
        codes.len(),
        "codes are unique"
    );
    let keys: HashSet<String> = strings(c, "name")
        .iter()
        .map(|n| text::name_key(n))
        .collect();
    assert_eq!(keys.len(), 3000, "names are unique, also across scripts");
    let (regions, provinces, cities) = (
        strings(c, "region"),
        strings(c, "province"),
        strings(c, "city"),
    );
    for i in 0..c.num_rows() {
        let p = geo::province(provinces[i]).unwrap_or_else(|| panic!("{}", provinces[i]));
        assert_eq!(p.name, provinces[i], "full province names");
        assert_eq!(p.region.zh(), regions[i]);
        assert!(p.has_city(cities[i]), "{} in {}", cities[i], provinces[i]);
        let division = p.city_division_code(cities[i]).unwrap();
        assert_eq!(&codes[i][2..8], format!("{division:06}"));
    }
    let industries: HashSet<&str> = strings(c, "industry").into_iter().collect();
    assert_eq!(industries.len(), 12);
    let sizes = strings(c, "size");
    let employees = c
        .column_by_name("employees")
        .unwrap()
        .as_primitive::<Int32Type>()
        .values();
    for (s, e) in sizes.iter().zip(employees.iter()) {
        let ok = match *s {
            "微型" => *e < 10,
            "小型" => (10..100).contains(e),
            "中型" => (100..1000).contains(e),
            "大型" => *e >= 1000,
            other => panic!("size {other}"),
        };
        assert!(ok, "{s} with {e} employees");
    }
    let founded = days(c, "founded_date");
    let created = seconds(c, "created_at");
    assert!(
        founded
            .iter()
            .zip(&created)
            .all(|(f, c)| i64::from(*f) * SECONDS_PER_DAY < *c)
    );
    let traditional = strings(c, "name")
        .iter()
        .filter(|n| text::has_traditional(n))
        .count();
    assert!(
        (40..200).contains(&traditional),
        "{traditional} of 3000 names in traditional characters"
    );
    let segments: HashSet<&str> = strings(&b.truth, "segment").into_iter().collect();
    assert!((8..=10).contains(&segments.len()));
}

#[test]
fn histories_have_realistic_volumes_and_a_long_tail() {
    let b = generate_batches(&config(42), 0, 4000);
    let orders = b.orders.num_rows() as f64 / 4000.0;
    let interactions = b.interactions.num_rows() as f64 / 4000.0;
    assert!(
        (8.5..11.5).contains(&orders),
        "{orders} orders per customer"
    );
    assert!(
        (13.0..17.0).contains(&interactions),
        "{interactions} interactions per customer"
    );
    let per = per_customer(&b.orders);
    let without = 4000 - per.len();
    assert!(
        (400..1600).contains(&without),
        "{without} customers without orders"
    );
    let most = per.values().max().copied().unwrap_or(0);
    assert!(most >= 100, "the busiest customer has only {most} orders");
    let amounts = b
        .orders
        .column_by_name("amount")
        .unwrap()
        .as_primitive::<Float64Type>()
        .values()
        .to_vec();
    assert!(
        amounts
            .iter()
            .all(|a| *a >= 50.0 && (a * 100.0 - (a * 100.0).round()).abs() < 1e-6),
        "amounts have 2 decimals"
    );
    let mut sorted = amounts.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    assert!(
        mean > 2.0 * median,
        "amounts are skewed: mean {mean}, median {median}"
    );
    let kinds: HashSet<&str> = strings(&b.interactions, "kind").into_iter().collect();
    let channels: HashSet<&str> = strings(&b.interactions, "channel").into_iter().collect();
    assert_eq!(kinds.len(), 5);
    assert_eq!(channels.len(), 6);
    let (cids, ts) = (
        strings(&b.interactions, "customer_id"),
        seconds(&b.interactions, "ts"),
    );
    assert!(
        (1..cids.len()).all(|i| cids[i] != cids[i - 1] || ts[i] >= ts[i - 1]),
        "interactions are in time order"
    );
    let (oids, od) = (
        strings(&b.orders, "customer_id"),
        days(&b.orders, "order_date"),
    );
    assert!(
        (1..oids.len()).all(|i| oids[i] != oids[i - 1] || od[i] >= od[i - 1]),
        "orders are in time order"
    );
    let notes: HashSet<&str> = strings(&b.interactions, "note").into_iter().collect();
    assert!(
        notes.len() as f64 > 0.5 * b.interactions.num_rows() as f64,
        "notes vary"
    );
}

#[test]
fn orders_follow_the_seasons() {
    let b = generate_batches(&config(3), 0, 4000);
    let mut by_month = [0usize; 12];
    for d in days(&b.orders, "order_date") {
        by_month[crate::calendar::civil(d).1 as usize - 1] += 1;
    }
    assert!(
        by_month[11] > by_month[1] * 3 / 2,
        "December beats February: {by_month:?}"
    );
    assert!(
        by_month[2] > by_month[1],
        "March beats February: {by_month:?}"
    );
}

#[test]
fn churn_shows_in_complaints_and_shrinking_orders_before_it() {
    // Customers whose orders stopped long before as_of churned. In the 120 days before
    // their last order they complained more than steady customers did in their last 120
    // days, and their last orders were smaller than their earlier ones.
    let b = generate_batches(&config(11), 0, 6000);
    let as_of = days_from_civil(2026, 6, 30);
    let (ids, dates) = (
        strings(&b.orders, "customer_id"),
        days(&b.orders, "order_date"),
    );
    let amounts = b
        .orders
        .column_by_name("amount")
        .unwrap()
        .as_primitive::<Float64Type>()
        .values()
        .to_vec();
    let mut history: HashMap<&str, Vec<(i32, f64)>> = HashMap::new();
    for i in 0..ids.len() {
        history
            .entry(ids[i])
            .or_default()
            .push((dates[i], amounts[i]));
    }
    let last: HashMap<&str, i32> = history
        .iter()
        .map(|(k, v)| (*k, v.last().unwrap().0))
        .collect();
    let (cids, ts, kinds) = (
        strings(&b.interactions, "customer_id"),
        seconds(&b.interactions, "ts"),
        strings(&b.interactions, "kind"),
    );
    let (mut churned, mut steady) = ([0usize; 2], [0usize; 2]);
    for i in 0..cids.len() {
        let Some(end) = last.get(cids[i]) else {
            continue;
        };
        let day = (ts[i] / SECONDS_PER_DAY) as i32;
        if day > *end || day <= end - 120 || history[cids[i]].len() < 3 {
            continue;
        }
        let bucket = if *end < as_of - 365 {
            &mut churned
        } else if *end > as_of - 30 {
            &mut steady
        } else {
            continue;
        };
        bucket[0] += 1;
        bucket[1] += usize::from(matches!(kinds[i], "投诉" | "报修"));
    }
    let share = |b: [usize; 2]| b[1] as f64 / b[0].max(1) as f64;
    assert!(
        share(churned) > 1.5 * share(steady),
        "complaints before churn {churned:?}, steady {steady:?}"
    );
    let (mut late, mut early) = (0.0, 0.0);
    for (id, h) in &history {
        if last[id] < as_of - 365 && h.len() >= 8 {
            let n = h.len();
            late += h[n - 2..].iter().map(|x| x.1.ln()).sum::<f64>() / 2.0;
            early += h[..n / 2].iter().map(|x| x.1.ln()).sum::<f64>() / (n / 2) as f64;
        }
    }
    assert!(
        late < early,
        "last orders before churn are smaller (log sums {late} vs {early})"
    );
}

#[test]
fn every_lifecycle_stage_and_hot_leads_are_present() {
    // The glossary's rules over the raw rows: a demo where a stage is empty, or where
    // 「近30天咨询≥5次且未成交」 finds nobody, would demonstrate nothing.
    let b = generate_batches(&config(42), 0, 6000);
    let as_of = days_from_civil(2026, 6, 30);
    let mut orders: HashMap<&str, Vec<i32>> = HashMap::new();
    for (c, d) in strings(&b.orders, "customer_id")
        .into_iter()
        .zip(days(&b.orders, "order_date"))
    {
        orders.entry(c).or_default().push(d);
    }
    let mut contacts: HashMap<&str, Vec<(i32, &str)>> = HashMap::new();
    let kinds = strings(&b.interactions, "kind");
    for ((c, ts), k) in strings(&b.interactions, "customer_id")
        .into_iter()
        .zip(seconds(&b.interactions, "ts"))
        .zip(kinds)
    {
        contacts
            .entry(c)
            .or_default()
            .push(((ts / SECONDS_PER_DAY) as i32, k));
    }
    let within = |d: i32, n: i32| d > as_of - n;
    let mut stages: HashMap<&str, usize> = HashMap::new();
    let mut hot = 0;
    for id in strings(&b.customers, "id") {
        let o = orders.get(id).map_or(&[][..], Vec::as_slice);
        let i = contacts.get(id).map_or(&[][..], Vec::as_slice);
        let stage = if o.is_empty() && !i.iter().any(|(d, _)| within(*d, 180)) {
            "潜在"
        } else if o.is_empty() {
            "意向"
        } else if !o.iter().any(|d| within(*d, 180)) {
            "流失"
        } else if o.iter().filter(|d| within(**d, 365)).count() >= 3 {
            "忠诚"
        } else {
            "成交"
        };
        *stages.entry(stage).or_default() += 1;
        hot += usize::from(
            o.is_empty()
                && i.iter()
                    .filter(|(d, k)| *k == "咨询" && within(*d, 30))
                    .count()
                    >= 5,
        );
    }
    for stage in ["潜在", "意向", "成交", "忠诚", "流失"] {
        let share = stages.get(stage).copied().unwrap_or(0) as f64 / 6000.0;
        assert!(
            (0.03..0.45).contains(&share),
            "{stage}: {share:.3} ({stages:?})"
        );
    }
    assert!(
        hot >= 5,
        "{hot} hot leads (≥5 consultations in 30 days, no order)"
    );
}
