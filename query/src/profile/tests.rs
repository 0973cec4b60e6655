//! Profiles on the shared generated store, against hand-written SQL.

use serde_json::json;

use super::*;
use crate::testing::{self, number, strings};

/// A customer with more orders than a profile lists, and one with none.
fn busy_and_idle(asker: &Asker) -> (String, String) {
    let busy = strings(
        asker,
        "SELECT customer_id FROM orders GROUP BY 1 HAVING count(*) > 25 ORDER BY count(*) DESC, 1 LIMIT 1",
    );
    let idle = strings(
        asker,
        "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders) ORDER BY id LIMIT 1",
    );
    (busy[0].clone(), idle[0].clone())
}

#[test]
fn a_profile_has_the_row_the_recent_history_and_the_monthly_series() {
    let asker = testing::asker();
    let (id, _) = busy_and_idle(&asker);
    let p = profile(&asker, &id, &ProfileOptions::default()).unwrap();
    assert_eq!(p.id, id);
    let name = strings(
        &asker,
        &format!("SELECT name FROM customers WHERE id = '{id}'"),
    );
    assert_eq!(p.name, name[0]);
    let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
    for contract in [
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
        "lifecycle",
        "value_level",
        "owner",
        "tags",
        "annual_purchase",
        "total_purchase",
        "order_count",
        "last_order_date",
        "consult_30d",
        "churn_risk",
        "contact_name",
        "contact_phone",
        "email",
        "description",
        "created_at",
        "rfm_segment",
        "r_score",
        "f_score",
        "m_score",
    ] {
        assert!(names.contains(&contract), "{contract} is in the profile");
    }
    assert!(!names.contains(&"_gen") && !names.contains(&"name_key"));
    let region = p.fields.iter().find(|f| f.name == "region").unwrap();
    assert_eq!(region.label, "大区");

    // orders: the 20 most recent of all of them
    let total = number(
        &asker,
        &format!("SELECT count(*) FROM orders WHERE customer_id = '{id}'"),
    );
    assert_eq!(p.orders.total as f64, total);
    assert_eq!(p.orders.rows.len(), 20);
    let recent = strings(
        &asker,
        &format!(
            "SELECT id FROM orders WHERE customer_id = '{id}' ORDER BY order_date DESC, id DESC LIMIT 20"
        ),
    );
    let got: Vec<&str> = p
        .orders
        .rows
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(got, recent);
    assert_eq!(p.orders.columns[1].label, "下单日期");
    let dates: Vec<&str> = p
        .orders
        .rows
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "most recent first");
    let interactions = number(
        &asker,
        &format!("SELECT count(*) FROM interactions WHERE customer_id = '{id}'"),
    );
    assert_eq!(p.interactions.total as f64, interactions);
    assert!(p.interactions.rows.len() as f64 == interactions.min(20.0));

    // 24 months ending with as_of's, summing to the orders of those months
    assert_eq!(p.as_of, "2026-06-30");
    assert_eq!(p.monthly_purchase.len(), 24);
    assert_eq!(p.monthly_purchase[0].month, "2024-07");
    assert_eq!(p.monthly_purchase[23].month, "2026-06");
    let want = number(
        &asker,
        &format!(
            "SELECT coalesce(sum(amount), 0) FROM orders WHERE customer_id = '{id}' \
             AND order_date >= DATE '2024-07-01' AND order_date <= DATE '2026-06-30'"
        ),
    );
    let got: f64 = p.monthly_purchase.iter().map(|m| m.amount).sum();
    assert!((got - want).abs() < 1e-6 * want.max(1.0), "{got} vs {want}");
    let rfm = p.rfm.as_ref().expect("a buyer has RFM");
    assert!(rfm.segment.is_some() && rfm.r_score.is_some());
    assert_eq!(p.churn_risk, None, "churn risk is never invented");
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["orders"]["total"], json!(total as u64));
    assert!(v["fields"][0]["kind"].is_string());
}

#[test]
fn a_customer_without_orders_has_an_empty_history_and_no_rfm() {
    let asker = testing::asker();
    let (_, idle) = busy_and_idle(&asker);
    let p = profile(&asker, &idle, &ProfileOptions::default()).unwrap();
    assert_eq!(p.orders.total, 0);
    assert!(p.orders.rows.is_empty());
    assert!(p.rfm.is_none());
    assert!(
        p.monthly_purchase
            .iter()
            .all(|m| m.amount == 0.0 && m.orders == 0)
    );
}

#[test]
fn an_unknown_id_is_not_found() {
    let asker = testing::asker();
    for id in ["C9999999", "' OR 1=1 --"] {
        let e = profile(&asker, id, &ProfileOptions::default()).unwrap_err();
        assert!(matches!(e, Error::NotFound(_)), "{id}: {e}");
        assert!(e.is_user_error());
    }
    assert!(matches!(
        profile(&asker, "  ", &ProfileOptions::default()).unwrap_err(),
        Error::BadRequest(_)
    ));
}

#[test]
fn months_count_back_across_years() {
    let d = NaiveDate::from_ymd_opt(2026, 2, 15).unwrap();
    assert_eq!(month_start(d, 0).to_string(), "2026-02-01");
    assert_eq!(month_start(d, 2).to_string(), "2025-12-01");
    assert_eq!(month_start(d, 25).to_string(), "2024-01-01");
}

#[test]
fn profiles_follow_the_store_when_it_changes() {
    let (_dir, paths) = testing::copy();
    let store = kesou_indexer::Store::open(&paths).unwrap();
    let asker = Asker::on_store(&store).unwrap();
    let ids = strings(&asker, "SELECT id FROM customers ORDER BY id LIMIT 3");
    for id in &ids {
        assert_eq!(
            &profile(&asker, id, &ProfileOptions::default()).unwrap().id,
            id
        );
    }
    // a customer deleted and the generation bumped, as every store change does
    let conn = asker.connection();
    conn.execute("DELETE FROM customers WHERE id = ?", [&ids[0]])
        .unwrap();
    let g = kesou_indexer::store::generation(conn).unwrap();
    kesou_indexer::store::set_meta(conn, "generation", &(g + 1).to_string()).unwrap();
    let gone = profile(&asker, &ids[0], &ProfileOptions::default()).unwrap_err();
    assert!(matches!(gone, Error::NotFound(_)), "{gone}");
    let p = profile(&asker, &ids[2], &ProfileOptions::default()).unwrap();
    assert_eq!(p.id, ids[2]);
    // and a clone shares what it knows
    let clone = asker.try_clone().unwrap();
    assert_eq!(
        profile(&clone, &ids[1], &ProfileOptions::default())
            .unwrap()
            .id,
        ids[1]
    );
}
