//! Purchase propensity (商机) end to end: trained and scored on a generated store, asked
//! about in Chinese and English by a 业务员, and shown on its board with the reasons.

use kesou_indexer::{NoProgress, store};
use kesou_models::churn::TrainOptions;
use kesou_models::opportunity;
use kesou_query::ask::{AskOptions, Asker};
use kesou_testkit::generated_store;

#[test]
fn the_likeliest_buyers_come_first_within_a_salespersons_scope_with_reasons() {
    let s = generated_store(2_000, 42);
    let model = {
        let conn = store::open_db(&s.paths, store::Open::Read).unwrap();
        let (as_of, _) = store::as_of(&conn).unwrap();
        opportunity::train(&conn, as_of, &TrainOptions::default()).unwrap()
    };
    opportunity::score_with(&s.paths, &model, &NoProgress).unwrap();

    let asker = Asker::open(&s.paths, &NoProgress).unwrap();
    let owner: String = asker
        .connection()
        .query_row(
            "SELECT owner FROM customers WHERE region = '华东' GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mine: i64 = asker
        .connection()
        .query_row(
            "SELECT count(*) FROM customers WHERE region = '华东' AND owner = ? AND purchase_propensity IS NOT NULL",
            [&owner],
            |r| r.get(0),
        )
        .unwrap();
    assert!(mine >= 3, "{owner} has {mine} scored customers in 华东");
    let scope = kesou_query::Scope::new([("owner".to_owned(), vec![owner.clone()])]).unwrap();
    let options = AskOptions {
        scope: Some(scope),
        ..AskOptions::default()
    };
    for question in [
        "最可能下单的20家华东客户",
        "top 20 customers most likely to buy in East China",
    ] {
        let a = asker.ask(question, &options).unwrap();
        assert!(a.unrecognized.is_empty() && !a.partial, "{question}: {a:?}");
        let q = &a.interpretation;
        assert_eq!(q.sort[0].field, "purchase_propensity", "{question}");
        assert!(q.sort[0].descending);
        assert_eq!(q.limit.as_ref().map(|l| l.n), Some(20));
        assert!(a.explain.contains("购买意向"), "{question}: {}", a.explain);
        let col = |name: &str| {
            a.table
                .columns
                .iter()
                .position(|c| c.name == name)
                .unwrap_or_else(|| panic!("{question}: no column {name}"))
        };
        let (p, o, r) = (col("purchase_propensity"), col("owner"), col("region"));
        assert_eq!(a.table.rows.len(), mine.min(20) as usize, "{question}");
        let scores: Vec<f64> = a
            .table
            .rows
            .iter()
            .map(|row| row[p].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        assert!(scores.iter().all(|x| (0.0..=1.0).contains(x)));
        for row in &a.table.rows {
            assert_eq!(row[o], serde_json::json!(owner));
            assert_eq!(row[r], serde_json::json!("华东"));
        }
    }

    // The board: the top customers by propensity, each with reasons in both languages.
    let b = kesou_query::boards::board(&asker, "opportunity", &[], &AskOptions::default()).unwrap();
    assert!(b.note.is_none(), "{:?}", b.note);
    let t = &b.answer.table;
    let at = |name: &str| t.columns.iter().position(|c| c.name == name).unwrap();
    let (p, zh, en) = (
        at("purchase_propensity"),
        at("propensity_reasons"),
        at("propensity_reasons_en"),
    );
    assert_eq!(t.rows.len(), 50);
    assert!(
        t.rows
            .windows(2)
            .all(|w| w[0][p].as_f64() >= w[1][p].as_f64())
    );
    for row in &t.rows {
        let (zh, en) = (row[zh].as_array().unwrap(), row[en].as_array().unwrap());
        assert!(!zh.is_empty() && zh.len() == en.len(), "{row:?}");
    }
}
