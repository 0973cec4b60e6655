//! Combined dashboards keep to each user's rows and field rules: a salesperson opens an
//! administrator's dashboard and each chart shows her rows only, a masked field masked; a
//! role that may not use a field cannot put a report on it into a dashboard; only owners
//! change theirs and owners or administrators delete them.

use super::*;

#[tokio::test]
async fn a_combined_dashboard_keeps_to_each_users_rows_and_fields() {
    let f = &fixture(300, None);
    let admin = login(f, "admin").await;
    let manager = login(f, "李强").await;
    let sales = login(f, "王芳").await;
    let phone = one(
        f,
        "SELECT contact_phone FROM customers WHERE region = '华东' AND contact_phone IS NOT NULL \
         ORDER BY id LIMIT 1",
    );
    for body in [
        json!({"name": "by-industry", "dimension": "industry"}),
        json!({"name": "phone", "question": format!("联系电话是{phone}的客户")}),
    ] {
        let r = post(f, &admin, "/api/reports", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = post(
        f,
        &admin,
        "/api/combos",
        json!({"name": "all", "title": "全部", "boards": ["by-industry", "phone", "map"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The salesperson opens it: every chart within her rows, the phone masked.
    let r = get(f, &sales, "/api/combos/all").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["charts"].as_array().unwrap().len(), 3);
    let v = get(f, &sales, "/api/dashboards/by-industry?period=90")
        .await
        .json();
    let at = column(&v, "count").unwrap();
    let shown: u64 = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[at].as_u64().unwrap())
        .sum();
    let scope = scope_sql(f, "王芳");
    assert_eq!(
        shown,
        count(
            f,
            &format!(
                "SELECT count(*) FROM customers c WHERE {scope} AND EXISTS (SELECT 1 FROM orders o \
                 WHERE o.customer_id = c.id AND o.order_date > DATE '2026-06-30' - INTERVAL 90 DAY)"
            )
        )
    );
    let v = get(f, &sales, "/api/dashboards/phone").await.json();
    let at = column(&v, "contact_phone").expect("the phone column, masked");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    let masked = rows[0][at].as_str().unwrap();
    assert!(masked.contains('*') && masked != phone, "{masked}");
    // She reads; she does not save or delete.
    let r = post(
        f,
        &sales,
        "/api/combos",
        json!({"name": "hers", "boards": ["map"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = send(f, Some(&sales), Method::DELETE, "/api/combos/all", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // The manager sees phones masked: a report on them is refused in a dashboard of his.
    let r = post(
        f,
        &manager,
        "/api/combos",
        json!({"name": "mine", "boards": ["phone"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.code(), "forbidden");
    let r = post(
        f,
        &manager,
        "/api/combos",
        json!({"name": "mine", "boards": ["by-industry", "matrix"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // His embed link shows his dashboard within his rows (华北 and 东北).
    let r = post(
        f,
        &manager,
        "/api/embed-tokens",
        json!({"dashboard": "mine"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let v = send(
        f,
        None,
        Method::GET,
        &format!("/api/embed/mine?token={token}"),
        None,
    )
    .await
    .json();
    assert_eq!(v["combo"], true, "{v}");
    let industries = &v["boards"][0];
    let at = column(industries, "count").unwrap();
    let shown: u64 = industries["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[at].as_u64().unwrap())
        .sum();
    let scope = scope_sql(f, "李强");
    assert_eq!(
        shown,
        count(f, &format!("SELECT count(*) FROM customers WHERE {scope}"))
    );
    // Not his to change or delete; an administrator deletes anyone's.
    let r = post(
        f,
        &manager,
        "/api/combos",
        json!({"name": "all", "boards": ["map"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = send(f, Some(&manager), Method::DELETE, "/api/combos/all", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    for name in ["mine", "all"] {
        let r = send(
            f,
            Some(&admin),
            Method::DELETE,
            &format!("/api/combos/{name}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    }
    let r = get(f, &admin, "/api/combos").await;
    assert_eq!(r.json()["combos"], json!([]));
}
