//! The churn model on generated worlds, as its users see it: no leakage from after the
//! cut-off, a model that beats the recency baseline, identical scores after a save and load,
//! reasons in words for the risky customers, and a forward test on the same world generated
//! further.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use kesou_datagen::GenerateConfig;
use kesou_indexer::{NoProgress, StorePaths, store};

use super::*;

const AS_OF: (i32, u32, u32) = (2026, 6, 30);

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).unwrap()
}

/// Generates `customers` customers (seed 42) up to `as_of` and loads them into `dir/store`.
fn world(dir: &Path, customers: usize, as_of: NaiveDate) -> StorePaths {
    let mut config = GenerateConfig::new(dir.join("source"));
    config.customers = customers;
    config.as_of = as_of;
    kesou_datagen::generate(&config, &|_| {}).expect("generate");
    let paths = StorePaths::new(dir.join("store"));
    kesou_indexer::ingest(&paths, &[config.out.clone()], &NoProgress).expect("ingest");
    paths
}

/// One world of 6,000 customers shared by the tests of this process (never written to: tests
/// that write copy it first).
fn shared() -> &'static StorePaths {
    static WORLD: OnceLock<(tempfile::TempDir, StorePaths)> = OnceLock::new();
    &WORLD
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let paths = world(dir.path(), 6_000, as_of());
            (dir, paths)
        })
        .1
}

/// The model trained on the shared world (seed 42).
fn trained() -> &'static ChurnModel {
    static MODEL: OnceLock<ChurnModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let conn = store::open_db(shared(), kesou_indexer::store::Open::Read).unwrap();
        train(&conn, as_of(), &TrainOptions::default()).expect("train")
    })
}

/// A writable copy of the shared store's database (no index: features need only DuckDB).
fn copy_of_shared(to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    let db = to.join(store::DB_FILE);
    std::fs::copy(shared().db(), &db).unwrap();
    db
}

fn close(a: &Population, b: &Population) -> bool {
    let same = |x: f64, y: f64| {
        x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * x.abs().max(1.0)
    };
    a.ids == b.ids
        && a.industry == b.industry
        && a.size == b.size
        && a.tags == b.tags
        && a.raw
            .iter()
            .zip(&b.raw)
            .all(|(x, y)| x.values().iter().zip(y.values()).all(|(p, q)| same(*p, q)))
}

#[test]
fn features_at_the_cutoff_use_nothing_after_it() {
    // A store cut at the cut-off (every later order and interaction deleted) and stripped of
    // every column ingest derived relative to as_of describes its customers exactly as the
    // full store does at the cut-off.
    let cut = cutoff(as_of());
    let full = store::open_db(shared(), kesou_indexer::store::Open::Read).unwrap();
    let expected = population(&full, cut).unwrap();
    assert!(expected.len() > 1000, "{} customers buying", expected.len());

    let dir = tempfile::tempdir().unwrap();
    let db = copy_of_shared(dir.path());
    let conn = duckdb::Connection::open(&db).unwrap();
    let deleted = conn
        .execute(
            "DELETE FROM orders WHERE order_date > ?::DATE",
            duckdb::params![cut.to_string()],
        )
        .unwrap();
    assert!(deleted > 1000, "{deleted} later orders");
    conn.execute(
        "DELETE FROM interactions WHERE ts::DATE > ?::DATE",
        duckdb::params![cut.to_string()],
    )
    .unwrap();
    conn.execute_batch(
        "UPDATE customers SET lifecycle = NULL, value_level = NULL, tags = NULL, annual_purchase = NULL,
            total_purchase = NULL, order_count = NULL, last_order_date = NULL, consult_30d = NULL,
            churn_risk = NULL, r_score = NULL, f_score = NULL, m_score = NULL, rfm_segment = NULL;
         UPDATE meta SET value = '1999-01-01' WHERE key = 'as_of'",
    )
    .unwrap();
    let truncated = population(&conn, cut).unwrap();
    assert!(
        close(&expected, &truncated),
        "features changed with data after the cut-off"
    );
    // And the later data does change the features at as_of: the test can fail.
    let at_as_of = population(&full, as_of()).unwrap();
    assert!(!close(&expected, &at_as_of));
}

#[test]
fn the_label_is_lifecycle_churned_at_as_of() {
    // Churned by as_of among those buying at the cut-off is exactly lifecycle 流失 at as_of.
    let conn = store::open_db(shared(), kesou_indexer::store::Open::Read).unwrap();
    let pop = population(&conn, cutoff(as_of())).unwrap();
    let labels = churned(&conn, &pop, as_of()).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, lifecycle = '流失' FROM customers")
        .unwrap();
    let lifecycle: std::collections::HashMap<String, bool> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, churned) in pop.ids.iter().zip(&labels) {
        assert_eq!(lifecycle[id], *churned, "{id}");
    }
    let rate = labels.iter().filter(|l| **l).count() as f64 / labels.len() as f64;
    assert!((0.05..0.6).contains(&rate), "churn rate {rate}");
}

#[test]
fn the_model_beats_ranking_by_recency() {
    let r = &trained().info.report;
    let h = &r.held_out;
    assert!(
        h.model.auc > h.baseline.auc + 0.02,
        "held out: model AUC {:.3}, recency {:.3}",
        h.model.auc,
        h.baseline.auc
    );
    for c in &r.candidates {
        assert!(c.validation.auc > 0.6, "{:?}", c);
    }
    assert!(r.beats_baseline && r.note.is_none(), "{r:?}");
    assert_eq!(
        r.customers.train + r.customers.validation + r.customers.test,
        r.customers.buying_at_cutoff
    );
}

#[test]
fn risks_are_calibrated_into_meaningful_bands() {
    // On held-out customers, the churn rate rises from band to band and the mean risk of
    // each band is near its churn rate.
    let bands = &trained().info.report.held_out.bands;
    let rate = |b: &str| {
        bands
            .iter()
            .find(|x| x.band == b)
            .and_then(|x| x.churn_rate)
    };
    let (high, low) = (rate("高"), rate("低").unwrap());
    if let Some(high) = high {
        assert!(high > low, "{bands:?}");
    }
    for b in bands.iter().filter(|b| b.customers >= 50) {
        let (r, m) = (b.churn_rate.unwrap(), b.mean_risk.unwrap());
        assert!(
            (r - m).abs() < 0.12,
            "band {} churn {r:.2} vs mean risk {m:.2}",
            b.band
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_model() {
    let conn = store::open_db(shared(), kesou_indexer::store::Open::Read).unwrap();
    let again = train(&conn, as_of(), &TrainOptions::default()).unwrap();
    let pop = population(&conn, as_of()).unwrap();
    assert_eq!(trained().risks(&pop).unwrap(), again.risks(&pop).unwrap());
}

#[test]
fn a_saved_model_scores_like_the_trained_one() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StorePaths::new(dir.path());
    trained().save(&paths).unwrap();
    let loaded = ChurnModel::load(&paths).unwrap().expect("a saved model");
    let (a, b) = (&loaded.info, &trained().info);
    assert_eq!(
        (a.kind, &a.encoder, a.calibration, &a.trained_at),
        (b.kind, &b.encoder, b.calibration, &b.trained_at)
    );
    assert_eq!(a.report.customers, b.report.customers);
    let conn = store::open_db(shared(), kesou_indexer::store::Open::Read).unwrap();
    let pop = population(&conn, as_of()).unwrap();
    assert_eq!(loaded.score(&pop).unwrap(), trained().score(&pop).unwrap());
    // A store without a model has none; a broken model file is an error that says what to do.
    assert!(
        ChurnModel::load(&StorePaths::new(dir.path().join("none")))
            .unwrap()
            .is_none()
    );
    std::fs::write(model_dir(&paths).join("churn.safetensors"), b"broken").unwrap();
    let e = ChurnModel::load(&paths).unwrap_err();
    assert!(
        e.is_user_error() && e.to_string().contains("kesou train churn"),
        "{e}"
    );
}

#[test]
fn scoring_writes_risks_and_reasons_for_customers_buying_now_only() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_shared(&dir.path().join("store"));
    let paths = StorePaths::new(dir.path().join("store"));
    let first = score_with(&paths, trained(), &NoProgress).unwrap();
    assert!(
        first.scored > 1000 && first.changed == first.scored,
        "{first:?}"
    );
    let conn = store::open_db(&paths, kesou_indexer::store::Open::Read).unwrap();
    let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        q("SELECT count(*) FROM customers WHERE churn_risk IS NOT NULL"),
        first.scored as i64
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM customers WHERE churn_risk IS NOT NULL AND lifecycle NOT IN ('成交', '忠诚')"
        ),
        0,
        "only customers buying now have a risk"
    );
    assert_eq!(
        q("SELECT count(*) FROM customers WHERE churn_risk < 0 OR churn_risk > 1"),
        0
    );
    let high = q("SELECT count(*) FROM customers WHERE churn_risk >= 0.7");
    assert!(high > 0, "no customer at high risk");
    assert_eq!(
        q(
            "SELECT count(*) FROM customers WHERE churn_risk >= 0.7 AND len(coalesce(churn_factors, [])) = 0"
        ),
        0,
        "every high-risk customer has its reasons"
    );
    let (total, list) = warnings(&conn, 0.7, 5).unwrap();
    assert_eq!(total as i64, high);
    assert!(list.windows(2).all(|w| w[0].churn_risk >= w[1].churn_risk));
    let top = &list[0];
    assert!(top.band == "高" && !top.churn_factors.is_empty());
    assert!(
        top.churn_factors
            .iter()
            .all(|f| f.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "{:?}",
        top.churn_factors
    );
    assert_eq!(customer(&conn, &top.id).unwrap().as_ref(), Some(top));
    drop(conn);
    // Scoring the same data again changes nothing, so nothing is re-indexed.
    let again = score_with(&paths, trained(), &NoProgress).unwrap();
    assert_eq!((again.changed, again.cleared), (0, 0), "{again:?}");
}

#[test]
fn the_forward_test_reads_the_outcome_from_the_same_world_later() {
    // The same world to D and to D + 180 days: what was known at D is the same in both, and
    // the model trained to D ranks the customers who really stopped above the others better
    // than days since the last order does.
    let dir = tempfile::tempdir().unwrap();
    let later_day = as_of() + chrono::Days::new(HORIZON_DAYS);
    let later = world(&dir.path().join("later"), 6_000, later_day);
    let at = store::open_db(shared(), kesou_indexer::store::Open::Read).unwrap();
    let later = store::open_db(&later, kesou_indexer::store::Open::Read).unwrap();
    let r = forward_test(trained(), &at, &later).unwrap();
    assert_eq!(
        r.world_mismatches, 0,
        "the later world is not the same world"
    );
    assert!(r.customers > 1000 && r.churned > 50, "{r:?}");
    assert!(
        r.model.auc > r.baseline.auc,
        "forward: model {:.3}, recency {:.3}",
        r.model.auc,
        r.baseline.auc
    );
    // A store that does not reach 180 days past the first is refused.
    let e = forward_test(trained(), &at, &at).unwrap_err();
    assert!(e.is_user_error(), "{e}");
}

#[test]
fn churn_is_not_readable_from_one_column() {
    // The generator plants churn as behaviour (orders thinning and shrinking, complaints
    // and repairs piling up, long gaps), never as a column: no single input column ranks the
    // customers nearly as well as the model does.
    let conn = store::open_db(shared(), kesou_indexer::store::Open::Read).unwrap();
    let pop = population(&conn, cutoff(as_of())).unwrap();
    let labels = churned(&conn, &pop, as_of()).unwrap();
    let model = trained();
    let m = model.info.encoder.encode(&pop);
    let mut best = (String::new(), 0.0);
    for (c, name) in model.info.encoder.columns.iter().enumerate() {
        let column: Vec<f64> = (0..m.rows).map(|r| f64::from(m.row(r)[c])).collect();
        let a = auc(&column, &labels).unwrap();
        let a = a.max(1.0 - a);
        if a > best.1 {
            best = (name.clone(), a);
        }
    }
    let held_out = model.info.report.held_out.model.auc;
    assert!(
        held_out > best.1 + 0.05,
        "the model (AUC {held_out:.3}) is hardly better than {} alone ({:.3})",
        best.0,
        best.1
    );
}
