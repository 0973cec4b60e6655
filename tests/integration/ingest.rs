//! Ingest as a user sees it: bad rows rejected with reasons, good rows loaded, safe fixes
//! recorded, duplicates flagged, updates and deletes reaching the index.

use kesou_indexer::{NoProgress, StorePaths};
use kesou_query::{SearchRequest, Searcher};

use crate::common::{self, strings};

fn rejects(path: &std::path::Path) -> Vec<(String, String, String)> {
    let mut r = csv::Reader::from_path(path).expect("rejects csv");
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            let file = std::path::Path::new(&rec[0])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                format!("{file}:{}", &rec[1]),
                rec[2].to_owned(),
                rec[4].to_owned(),
            )
        })
        .collect()
}

/// Events files are read while the customers are, and an event's customer is checked once
/// both are staged: an event of no customer waits in the store (reported with its file and
/// line, counted as waiting, its normalisations not kept); an event of a customer whose
/// credit code was set aside loads with it; an event whose customer comes later in the
/// customers file loads.
#[test]
fn events_of_missing_customers_wait_after_the_customers_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let customers = std::fs::read_to_string(common::data("dirty").join("customers.csv")).unwrap();
    let header = customers.lines().next().unwrap();
    let d001 = customers.lines().nth(1).unwrap();
    let d002 = customers.lines().nth(2).unwrap(); // a credit code too short: set aside
    std::fs::write(
        src.join("customers.csv"),
        format!("{header}\n{d001}\n{d002}\n"),
    )
    .unwrap();
    std::fs::write(
        src.join("orders.csv"),
        "id,customer_id,order_date,amount,product\n\
         O1,D001,2026/06/03,\"1,200\",云服务器\n\
         O2,D002,2026/06/03,\"1,300\",云服务器\n\
         O3,NOBODY,2026-06-04,100,云服务器\n\
         O4, D001 ,2026-06-05,100,云服务器\n",
    )
    .unwrap();
    std::fs::write(
        src.join("interactions.csv"),
        "id,customer_id,ts,channel,kind,note\n\
         I1,NOBODY,2026-06-20 10:00:00,电话,咨询,询问报价\n\
         I2,D001,2026-06-21 10:00:00,电话,咨询,询问报价\n",
    )
    .unwrap();
    let paths = StorePaths::new(dir.path().join("store"));
    let s = kesou_indexer::ingest(&paths, &[src], &NoProgress).expect("ingest");
    let file = |name: &str| {
        s.files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {:#?}", s.files))
    };
    let orders = file("orders.csv");
    assert_eq!(
        (
            orders.rows_read,
            orders.loaded,
            orders.waiting,
            orders.rejected
        ),
        (4, 3, 1, 0)
    );
    let interactions = file("interactions.csv");
    assert_eq!(
        (
            interactions.rows_read,
            interactions.loaded,
            interactions.waiting,
            interactions.rejected
        ),
        (2, 1, 1, 0)
    );
    let rejected = rejects(s.rejects_file.as_ref().expect("a rejects file"));
    for place in ["orders.csv:4", "interactions.csv:2"] {
        assert!(
            rejected
                .iter()
                .any(|(p, c, r)| p == place && c == "customer_id" && r.contains("kept waiting")),
            "{place}: {rejected:#?}"
        );
    }
    // Each file's entries in line order, the customers file's first.
    let lines: Vec<&str> = rejected.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        lines,
        ["customers.csv:3", "orders.csv:4", "interactions.csv:2"]
    );
    // The normalisations of loaded orders are kept, those of the waiting O3 are not.
    let normalised =
        std::fs::read_to_string(s.normalisations_file.as_ref().expect("normalised")).unwrap();
    let orders_lines: Vec<&str> = normalised
        .lines()
        .filter(|l| l.contains("orders.csv"))
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert!(orders_lines.contains(&"2"), "{normalised}");
    assert!(orders_lines.contains(&"3"), "{normalised}");
    assert!(orders_lines.contains(&"5"), "{normalised}");
    assert!(!orders_lines.contains(&"4"), "{normalised}");
    assert_eq!(
        orders.normalised as usize,
        orders_lines.len(),
        "{normalised}"
    );
    assert_eq!(
        strings(&paths, "SELECT id FROM orders ORDER BY id"),
        ["O1", "O2", "O4"]
    );
    assert_eq!(strings(&paths, "SELECT id FROM interactions"), ["I2"]);
    assert_eq!(
        strings(&paths, "SELECT id FROM waiting_orders"),
        ["O3"],
        "the order of no customer waits in the store"
    );
}

#[test]
fn bad_rows_are_rejected_with_reasons_and_good_rows_still_load() {
    let (_dir, paths, s) = common::ingest_into_temp(&[common::data("dirty")]);
    for f in &s.files {
        assert_eq!(
            f.rows_read,
            f.loaded + f.rejected + f.waiting,
            "nothing silently dropped in {}",
            f.path.display()
        );
    }
    let rejected = rejects(s.rejects_file.as_ref().expect("a rejects file"));
    let expect = [
        (
            "customers.csv:3",
            "credit_code",
            "has 11 characters, expected 18",
        ),
        ("customers.csv:4", "credit_code", "fails its check"),
        ("customers.csv:5", "contact_phone", "has 7 digits"),
        ("customers.csv:6", "name", "is required but empty"),
        ("customers.csv:7", "province", "is not a province"),
        (
            "customers.csv:8",
            "region",
            "浙江省 belongs to 华东, not 华南",
        ),
        (
            "customers.csv:13",
            "credit_code",
            "already belongs to customer D001",
        ),
        ("customers.csv:14", "city", "is in 江苏省, not in 浙江省"),
        ("customers.csv:15", "employees", "is not a number"),
        ("orders.csv:3", "customer_id", "no such customer"),
        ("orders.csv:4", "order_date", "is not a date"),
        ("orders.csv:5", "amount", "must be at least 0"),
        ("interactions.csv:3", "channel", "is not a channel"),
        ("interactions.csv:4", "ts", "is not a timestamp"),
        ("interactions.csv:5", "kind", "is not an interaction kind"),
    ];
    for (place, column, reason) in expect {
        assert!(
            rejected
                .iter()
                .any(|(p, c, r)| p == place && c == column && r.contains(reason)),
            "expected {place} {column}: {reason}; rejects were {rejected:#?}"
        );
    }
    assert_eq!(rejected.len(), expect.len(), "{rejected:#?}");

    // Every customer loads: a bad value is set aside, the field left empty.
    let ids = strings(&paths, "SELECT id FROM customers ORDER BY id");
    let all: Vec<String> = (1..=13).map(|i| format!("D{i:03}")).collect();
    assert_eq!(ids, all);
    assert_eq!(
        strings(
            &paths,
            "SELECT id || ':' || coalesce(credit_code, '?') || ':' || coalesce(province, '-') || ':' || coalesce(contact_phone, '-')
             FROM customers WHERE id IN ('D002', 'D004', 'D006', 'D011') ORDER BY id"
        ),
        [
            "D002::浙江省:13800138000",
            "D004:91330100UJ65RGFLKW:浙江省:-",
            "D006:91330100F0M2EL8DH7:-:13800138000",
            "D011::浙江省:13800138000",
        ],
        "the set-aside values are empty, the rest of each row loaded"
    );
    // The order of no customer waits.
    assert_eq!(strings(&paths, "SELECT id FROM waiting_orders"), ["DO2"]);
    // The later row of D001 won.
    assert_eq!(
        strings(
            &paths,
            "SELECT employees::VARCHAR FROM customers WHERE id = 'D001'"
        ),
        ["60"]
    );
    // Safe normalisations were applied and recorded.
    assert_eq!(
        strings(&paths, "SELECT city FROM customers WHERE id = 'D008'"),
        ["苏州市"]
    );
    assert_eq!(
        strings(
            &paths,
            "SELECT contact_phone FROM customers WHERE id = 'D008'"
        ),
        ["13900139000"]
    );
    assert_eq!(
        strings(
            &paths,
            "SELECT province || ' ' || city || ' ' || region || ' ' || industry FROM customers WHERE id = 'D009'"
        ),
        ["北京市 北京市 华北 科技"]
    );
    for rule in [
        "trim",
        "full-width to half-width",
        "short form to full name",
        "region derived from province",
        "industry synonym to canonical name",
        "date written as YYYY-MM-DD",
        "thousands separators removed",
    ] {
        assert!(
            s.normalisations.contains_key(rule),
            "{rule} recorded: {:?}",
            s.normalisations
        );
    }
    assert!(s.normalisations_file.as_ref().is_some_and(|p| p.exists()));
    assert_eq!(
        strings(
            &paths,
            "SELECT amount::BIGINT::VARCHAR FROM orders WHERE id = 'DO6'"
        ),
        ["1200000"]
    );
    // Same name, different code: both kept, flagged, never merged.
    assert_eq!(s.duplicate_groups, 1);
    assert_eq!(
        strings(&paths, "SELECT id FROM duplicate_names ORDER BY id"),
        ["D001", "D010"]
    );
    assert!(s.duplicates_file.as_ref().is_some_and(|p| p.exists()));
    // The ground-truth-free store has no churn risk invented.
    assert_eq!(
        strings(
            &paths,
            "SELECT count(*)::VARCHAR FROM customers WHERE churn_risk IS NOT NULL"
        ),
        ["0"]
    );
}

#[test]
fn an_unreadable_input_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "just some words\nno table here\n").unwrap();
    let paths = StorePaths::new(dir.path().join("store"));
    let err = kesou_indexer::ingest(&paths, &[junk], &NoProgress).unwrap_err();
    assert!(err.is_user_error());
    assert!(err.to_string().contains("cannot tell which table"), "{err}");
    assert!(!paths.db().exists(), "no store was created");

    let missing = dir.path().join("customers.csv");
    // A customers file without what identifies a row (an id or a name column).
    std::fs::write(&missing, "province,industry\n浙江省,制造\n").unwrap();
    let err = kesou_indexer::ingest(&paths, &[missing], &NoProgress).unwrap_err();
    assert!(
        err.to_string()
            .contains("lacks the required column(s) id or name"),
        "{err}"
    );
}

fn search_ids(paths: &StorePaths, text: &str) -> Vec<String> {
    let reader = kesou_indexer::open_for_reading(paths, &NoProgress).expect("open");
    let searcher = Searcher::new(reader.index).expect("searcher");
    let r = searcher
        .search(&SearchRequest {
            text: text.into(),
            limit: 50,
            ..Default::default()
        })
        .expect("search");
    r.hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn reingest_updates_and_delete_removes_everywhere() {
    let (dir, paths, _) = common::ingest_into_temp(&[common::data("search")]);
    assert!(search_ids(&paths, "鹭岛").contains(&"S019".to_owned()));

    // S019 renamed in a later export (same credit code): an update, not a new customer.
    let code = strings(
        &paths,
        "SELECT credit_code FROM customers WHERE id = 'S019'",
    )
    .remove(0);
    let update = dir.path().join("customers-update.csv");
    std::fs::write(
        &update,
        format!(
            "id,name,credit_code,province,city,industry\nS019,厦门白鹭国际贸易有限公司,{code},福建省,厦门市,零售\n"
        ),
    )
    .unwrap();
    let s = kesou_indexer::ingest(&paths, &[update], &NoProgress).unwrap();
    assert_eq!(s.loaded(), 1);
    assert_eq!(
        strings(&paths, "SELECT count(*)::VARCHAR FROM customers"),
        ["20"]
    );
    assert!(search_ids(&paths, "白鹭").contains(&"S019".to_owned()));
    assert!(
        !search_ids(&paths, "鹭岛").contains(&"S019".to_owned()),
        "the old name is gone from the index"
    );

    // S008 has orders and interactions: all of it goes.
    let count = |table: &str, col: &str| {
        strings(
            &paths,
            &format!("SELECT count(*)::VARCHAR FROM {table} WHERE {col} = 'S008'"),
        )
        .remove(0)
    };
    assert_ne!(count("orders", "customer_id"), "0");
    assert_ne!(count("interactions", "customer_id"), "0");
    assert!(search_ids(&paths, "重庆").contains(&"S008".to_owned()));
    let d = kesou_indexer::delete(&paths, &["S008".into(), "NOPE".into()], &NoProgress).unwrap();
    assert_eq!(d.deleted, ["S008"]);
    assert_eq!(d.not_found, ["NOPE"]);
    for (table, col) in [
        ("customers", "id"),
        ("orders", "customer_id"),
        ("interactions", "customer_id"),
    ] {
        assert_eq!(count(table, col), "0", "{table}");
    }
    assert!(!search_ids(&paths, "重庆").contains(&"S008".to_owned()));
    assert!(
        !search_ids(&paths, "电池壳体").contains(&"S008".to_owned()),
        "its notes left the index too"
    );
    assert!(
        search_ids(&paths, "长沙").contains(&"S009".to_owned()),
        "other customers stay"
    );
}

#[test]
fn the_index_catches_up_after_an_interrupted_ingest() {
    let (_dir, paths, s) = common::ingest_into_temp(&[common::data("search")]);
    // Simulate a crash between the store's commit and the index's: the store moves to the
    // next generation, the index does not.
    {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Write).unwrap();
        let next = (s.generation + 1) as i64;
        conn.execute(
            "UPDATE customers SET name = '厦门白鹭国际贸易有限公司', _gen = ? WHERE id = 'S019'",
            [next],
        )
        .unwrap();
        kesou_indexer::store::set_meta(&conn, "generation", &next.to_string()).unwrap();
    }
    // Opening for reading heals it.
    assert!(search_ids(&paths, "白鹭").contains(&"S019".to_owned()));
    let index = kesou_indexer::index::open_index(&paths).unwrap();
    assert_eq!(
        kesou_indexer::index::indexed_generation(&index.index).unwrap(),
        s.generation + 1
    );

    // An index that is lost entirely is rebuilt from the store.
    std::fs::remove_dir_all(paths.index()).unwrap();
    assert!(search_ids(&paths, "白鹭").contains(&"S019".to_owned()));
}
