//! Invariants over many inputs (proptest): the order of rows in a file does not matter, and
//! an upsert followed by a delete leaves no trace.

use std::path::Path;
use std::sync::LazyLock;

use kesou_indexer::NoProgress;
use proptest::prelude::*;

use crate::common::{self, dump};

fn lines(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut it = text.lines().map(str::to_owned);
    let header = it.next().unwrap();
    (header, it.collect())
}

static BASELINE: LazyLock<String> = LazyLock::new(|| {
    let (_dir, paths, _) = common::ingest_into_temp(&[common::data("search")]);
    dump(&paths)
});

fn write(dir: &Path, name: &str, header: &str, rows: &[String]) {
    let mut text = format!("{header}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    std::fs::write(dir.join(name), text).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_files_give_the_same_store(seed in any::<u64>()) {
        let src = tempfile::tempdir().unwrap();
        for name in ["customers.csv", "orders.csv", "interactions.csv", "meta.csv"] {
            let (header, mut rows) = lines(&common::data("search").join(name));
            // a deterministic shuffle from the seed
            let mut state = seed | 1;
            for i in (1..rows.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                rows.swap(i, (state % (i as u64 + 1)) as usize);
            }
            write(src.path(), name, &header, &rows);
        }
        let (_dir, paths, _) = common::ingest_into_temp(&[src.path().to_owned()]);
        prop_assert_eq!(dump(&paths), BASELINE.clone());
    }

    #[test]
    fn upsert_then_delete_leaves_no_trace(orders in 0usize..6, amount in 1u32..5_000_000, touch in 0usize..20) {
        let (dir, paths, _) = common::ingest_into_temp(&[common::data("search")]);
        let code = {
            // a valid credit code that is not in the fixture
            let body = b"91330100MA2TXT8X0";
            let check = kesou_domain::credit_code::check_char(body).unwrap();
            format!("{}{}", std::str::from_utf8(body).unwrap(), check as char)
        };
        let extra = dir.path().join("extra");
        std::fs::create_dir(&extra).unwrap();
        write(&extra, "customers.csv", "id,name,credit_code,province,city,industry",
            &[format!("X001,杭州临时测试科技有限公司,{code},浙江省,杭州市,科技")]);
        let rows: Vec<String> = (0..orders).map(|k| format!("XO{k},X001,2026-05-0{},{amount},云服务器", k + 1)).collect();
        write(&extra, "orders.csv", "id,customer_id,order_date,amount,product", &rows);
        write(&extra, "interactions.csv", "id,customer_id,ts,channel,kind,note",
            &[format!("XI1,X001,2026-06-01 10:00:00,电话,咨询,临时测试备注{touch}")]);
        kesou_indexer::ingest(&paths, &[extra], &NoProgress).unwrap();
        prop_assert_ne!(dump(&paths), BASELINE.clone());
        kesou_indexer::delete(&paths, &["X001".to_owned()], &NoProgress).unwrap();
        prop_assert_eq!(dump(&paths), BASELINE.clone());
        let reader = kesou_indexer::open_for_reading(&paths, &NoProgress).unwrap();
        let searcher = kesou_query::Searcher::new(reader.index).unwrap();
        prop_assert_eq!(searcher.num_docs(), 20);
        let r = searcher.search(&kesou_query::SearchRequest { text: "临时测试".into(), limit: 5, ..Default::default() }).unwrap();
        prop_assert_eq!(r.total, 0);
    }
}
