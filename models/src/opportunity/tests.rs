//! The propensity model on a small generated store, as its users see it: it learns who
//! orders better than chance and than recency and frequency alone, gives probabilities with
//! reasons in both languages, writes them once, and reads nothing after its cut-off.

use std::sync::OnceLock;

use kesou_indexer::{NoProgress, store};
use kesou_testkit::{GeneratedStore, generated_store};

use super::*;
use crate::churn::TrainOptions;

/// A store of 3,000 customers (seed 7, as_of 2026-06-30), shared (never written to).
fn shared() -> &'static GeneratedStore {
    static STORE: OnceLock<GeneratedStore> = OnceLock::new();
    STORE.get_or_init(|| generated_store(3_000, 7))
}

fn as_of() -> chrono::NaiveDate {
    let conn = store::open_db(&shared().paths, store::Open::Read).unwrap();
    store::as_of(&conn).unwrap().0
}

fn trained() -> &'static PropensityModel {
    static MODEL: OnceLock<PropensityModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let conn = store::open_db(&shared().paths, store::Open::Read).unwrap();
        train(&conn, as_of(), &TrainOptions { seed: 11 }).expect("train")
    })
}

#[test]
fn the_model_ranks_who_orders_well_above_chance() {
    let r = &trained().info.report;
    let h = &r.held_out;
    assert!(r.known_at_cutoff > 1000, "{r:?}");
    assert!(
        (0.05..0.95).contains(&r.base_rate),
        "base rate {}",
        r.base_rate
    );
    // Chance is 0.5; the margin is wide enough that a seed cannot flip it.
    assert!(h.model.auc > 0.7, "held-out AUC {:.3}", h.model.auc);
    assert!(
        h.model.precision_at_10 > h.base_rate,
        "top 10% precision {:.3} vs base rate {:.3}",
        h.model.precision_at_10,
        h.base_rate
    );
    assert!(
        h.model.auc >= h.baseline.auc - 0.02,
        "model {:.3} vs recency and frequency {:.3}",
        h.model.auc,
        h.baseline.auc
    );
    assert_eq!(r.split.iter().sum::<usize>(), r.known_at_cutoff);
}

#[test]
fn prospects_without_orders_are_in_the_population_and_nothing_after_the_day_is_read() {
    let conn = store::open_db(&shared().paths, store::Open::Read).unwrap();
    let day = cutoff(as_of());
    let pop = population(&conn, day).unwrap();
    let never: usize = pop.raw.iter().filter(|r| r.orders_total == 0.0).count();
    assert!(never > 0, "no prospect among {} customers", pop.len());
    // Known means an order or an interaction on or before the day: checked by hand.
    let known: i64 = conn
        .query_row(
            "SELECT count(*) FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date <= ?::DATE)
               OR EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.id AND i.ts::DATE <= ?::DATE)",
            duckdb::params![day.to_string(), day.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pop.len() as i64, known);
    let labels = ordered(&conn, &pop, as_of()).unwrap();
    let later: i64 = conn
        .query_row(
            "SELECT count(DISTINCT customer_id) FROM orders WHERE order_date > ?::DATE",
            duckdb::params![day.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(labels.iter().filter(|l| **l).count() as i64 <= later);
}

#[test]
fn scores_are_probabilities_with_reasons_in_both_languages_written_once() {
    let copy = generated_store(3_000, 7);
    let first = score_with(&copy.paths, trained(), &NoProgress).unwrap();
    assert!(
        first.scored > 1000 && first.changed == first.scored,
        "{first:?}"
    );
    let conn = store::open_db(&copy.paths, store::Open::Read).unwrap();
    let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        q("SELECT count(*) FROM customers WHERE purchase_propensity IS NOT NULL"),
        first.scored as i64
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM customers WHERE purchase_propensity < 0 OR purchase_propensity > 1"
        ),
        0
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM customers WHERE len(propensity_reasons) <> len(propensity_reasons_en)"
        ),
        0,
        "every reason is said in both languages"
    );
    // The top customers all have reasons.
    assert_eq!(
        q(
            "SELECT count(*) FROM (SELECT propensity_reasons FROM customers WHERE purchase_propensity IS NOT NULL
               ORDER BY purchase_propensity DESC, id LIMIT 50) WHERE len(coalesce(propensity_reasons, [])) = 0"
        ),
        0
    );
    drop(conn);
    let again = score_with(&copy.paths, trained(), &NoProgress).unwrap();
    assert_eq!((again.changed, again.cleared), (0, 0), "{again:?}");
    // Saved and loaded, the model scores the same.
    trained().save(&copy.paths).unwrap();
    let loaded = PropensityModel::load(&copy.paths).unwrap().expect("saved");
    let conn = store::open_db(&copy.paths, store::Open::Read).unwrap();
    let pop = population(&conn, as_of()).unwrap();
    assert_eq!(loaded.score(&pop).unwrap(), trained().score(&pop).unwrap());
}
