//! Lookalike search on a small hand-made store: seeds, filters, staleness.

use duckdb::Connection;
use duckdb::types::Value;
use kesou_indexer::{NoProgress, StorePaths, store};

use super::{Candidates, Lookalike};

/// id, name, region, province, industry, size, tag, products bought.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const CUSTOMERS: &[Row] = &[
    (
        "C1",
        "苏州恒瑞精密机械有限公司",
        "华东",
        "江苏省",
        "制造",
        "大型",
        "专精特新",
        &["刀具耗材", "刀具耗材", "精密轴承"],
    ),
    (
        "C2",
        "无锡德精机械有限公司",
        "华东",
        "江苏省",
        "制造",
        "大型",
        "专精特新",
        &["刀具耗材", "精密轴承"],
    ),
    (
        "C3",
        "佛山宏达五金有限公司",
        "华南",
        "广东省",
        "制造",
        "中型",
        "出口型",
        &["精密轴承"],
    ),
    (
        "C4",
        "成都好味餐饮有限公司",
        "西南",
        "四川省",
        "餐饮",
        "小型",
        "连锁经营",
        &["食材配送", "商用厨具"],
    ),
    (
        "C5",
        "重名科技有限公司",
        "华东",
        "浙江省",
        "科技",
        "小型",
        "高新技术企业",
        &["云服务器"],
    ),
    (
        "C6",
        "重名科技有限公司",
        "华北",
        "北京市",
        "科技",
        "中型",
        "高新技术企业",
        &["SaaS订阅"],
    ),
];

fn store() -> (tempfile::TempDir, StorePaths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = StorePaths::new(dir.path().join("store"));
    let conn = store::open_db(&paths, kesou_indexer::store::Open::CreateOrWrite).unwrap();
    for (id, name, region, province, industry, size, tag, products) in CUSTOMERS {
        conn.execute(
            "INSERT INTO customers (id, name, credit_code, region, province, industry, size, tags,
                                    annual_purchase, order_count, name_key, _gen)
             VALUES (?, ?, ?, ?, ?, ?, ?, [?], ?, ?, ?, 1)",
            duckdb::params![
                id,
                name,
                format!("code-{id}"),
                region,
                province,
                industry,
                size,
                tag,
                products.len() as f64 * 100_000.0,
                products.len() as i64,
                kesou_domain::text::name_key(name)
            ],
        )
        .unwrap();
        for (i, p) in products.iter().enumerate() {
            conn.execute(
                "INSERT INTO orders (id, customer_id, order_date, amount, product)
                 VALUES (?, ?, DATE '2026-01-01', 100000, ?)",
                duckdb::params![format!("{id}-{i}"), id, p],
            )
            .unwrap();
        }
    }
    store::set_meta(&conn, "generation", "1").unwrap();
    store::set_meta(&conn, "as_of", "2026-06-30").unwrap();
    (dir, paths)
}

fn reader(paths: &StorePaths) -> Connection {
    store::open_db(paths, kesou_indexer::store::Open::Read).unwrap()
}

fn seeds(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| (*x).to_owned()).collect()
}

#[test]
fn the_nearest_customer_comes_first_with_its_reasons_and_the_seed_never() {
    let (_dir, paths) = store();
    let conn = reader(&paths);
    let lk = Lookalike::open(&paths, &conn, &NoProgress).unwrap();
    assert_eq!(lk.len(), 6);
    let found = lk.similar(&conn, &seeds(&["C1"]), None, 10).unwrap();
    assert_eq!(found.seeds[0].name, "苏州恒瑞精密机械有限公司");
    assert_eq!(found.total, 5, "every customer but the seed is ranked");
    assert_eq!(found.hits.len(), 5);
    assert!(found.hits.iter().all(|h| h.id != "C1"));
    let best = &found.hits[0];
    assert_eq!(best.id, "C2");
    assert!(best.score > 0.8, "{}", best.score);
    assert!(
        best.reasons.iter().any(|r| r == "同为制造行业"),
        "{:?}",
        best.reasons
    );
    assert!(
        best.reasons.iter().any(|r| r.starts_with("主购产品相同")),
        "{:?}",
        best.reasons
    );
    assert_eq!(found.hits[1].id, "C3", "another factory before shops");
    assert!(found.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn filters_choose_the_candidates_before_ranking() {
    let (_dir, paths) = store();
    let conn = reader(&paths);
    let lk = Lookalike::open(&paths, &conn, &NoProgress).unwrap();
    let south = Candidates {
        from_where: "FROM customers t WHERE t.region <> ?".into(),
        params: vec![Value::Text("华东".into())],
    };
    let found = lk
        .similar(&conn, &seeds(&["C1"]), Some(&south), 10)
        .unwrap();
    assert_eq!(found.total, 3);
    let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids[0], "C3");
    assert!(!ids.contains(&"C2") && !ids.contains(&"C5"), "{ids:?}");
}

#[test]
fn seeds_by_id_name_or_name_key_and_errors_that_say_what_to_do() {
    let (_dir, paths) = store();
    let conn = reader(&paths);
    let lk = Lookalike::open(&paths, &conn, &NoProgress).unwrap();
    let by = |s: &str| {
        lk.similar(&conn, &seeds(&[s]), None, 3)
            .map(|f| f.seeds[0].id.clone())
    };
    assert_eq!(by("c2").unwrap(), "C2");
    assert_eq!(by("佛山宏达五金有限公司").unwrap(), "C3");
    assert_eq!(
        by(" 成都好味餐飲有限公司 ").unwrap(),
        "C4",
        "traditional and spaces"
    );
    let e = by("重名科技有限公司").unwrap_err();
    assert!(e.is_user_error());
    let e = e.to_string();
    assert!(
        e.contains("C5") && e.contains("C6") && e.contains("give the id"),
        "{e}"
    );
    let e = by("火星贸易").unwrap_err();
    assert!(e.is_user_error());
    assert!(e.to_string().contains("kesou search 火星贸易"), "{e}");
    assert!(lk.similar(&conn, &[], None, 3).unwrap_err().is_user_error());
}

#[test]
fn a_seed_list_ranks_by_the_mean_and_excludes_every_seed() {
    let (_dir, paths) = store();
    let conn = reader(&paths);
    let lk = Lookalike::open(&paths, &conn, &NoProgress).unwrap();
    let found = lk
        .similar(&conn, &seeds(&["C1", "C2", "C1"]), None, 10)
        .unwrap();
    assert_eq!(found.seeds.len(), 2, "a seed named twice counts once");
    assert_eq!(found.total, 4);
    assert_eq!(found.hits[0].id, "C3");
}

#[test]
fn vectors_are_rebuilt_when_the_store_moves_on() {
    let (_dir, paths) = store();
    {
        let conn = reader(&paths);
        assert!(!Lookalike::is_fresh(&paths, &conn).unwrap(), "none yet");
        let lk = Lookalike::open(&paths, &conn, &NoProgress).unwrap();
        assert_eq!(lk.generation(), 1);
        assert!(Lookalike::is_fresh(&paths, &conn).unwrap());
    }
    {
        let conn = store::open_db(&paths, kesou_indexer::store::Open::Write).unwrap();
        conn.execute("DELETE FROM customers WHERE id = 'C4'", [])
            .unwrap();
        store::set_meta(&conn, "generation", "2").unwrap();
    }
    let conn = reader(&paths);
    assert!(!Lookalike::is_fresh(&paths, &conn).unwrap());
    let lk = Lookalike::open(&paths, &conn, &NoProgress).unwrap();
    assert_eq!((lk.generation(), lk.len()), (2, 5));
    assert!(Lookalike::is_fresh(&paths, &conn).unwrap(), "saved again");
    let e = lk.similar(&conn, &seeds(&["C4"]), None, 3).unwrap_err();
    assert!(e.to_string().contains("no customer"), "{e}");
}
