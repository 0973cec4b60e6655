//! Tag rules on a generated store: rules in managers' words tag exactly the customers
//! hand-written SQL finds, a rule not understood stops the whole file, rules survive ingest,
//! and the new tags are askable and searchable.

use std::collections::BTreeSet;

use kesou_indexer::{NoProgress, StorePaths};
use kesou_query::ask::{AskOptions, Asker};
use kesou_query::tags;

use crate::common;

fn ids(paths: &StorePaths, sql: &str) -> BTreeSet<String> {
    common::strings(paths, sql).into_iter().collect()
}

fn tagged(paths: &StorePaths, tag: &str) -> BTreeSet<String> {
    ids(
        paths,
        &format!("SELECT id FROM customers WHERE list_contains(tags, '{tag}')"),
    )
}

/// A store of its own (1,500 customers, seed 11) and the files it was loaded from.
fn store() -> kesou_testkit::GeneratedStore {
    kesou_testkit::generated_store(1500, 11)
}

const RULES: &str = r#"
"年采购额超过50万的制造业客户" = "制造大客户"
"近30天咨询≥3次且未成交" = "待跟进"
"去年下过单但今年没有订单的华东客户" = "待唤醒"
"#;

#[test]
fn rules_in_managers_words_tag_what_hand_written_sql_finds() {
    let kesou_testkit::GeneratedStore {
        dir,
        paths,
        source: src,
    } = store();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
    let report = tags::apply(&paths, Some(&rules), &NoProgress)
        .unwrap()
        .expect("rules applied");
    assert_eq!(report.rules.len(), 3);

    let big = ids(
        &paths,
        "SELECT id FROM customers WHERE annual_purchase > 500000 AND industry = '制造'",
    );
    let follow = ids(
        &paths,
        "SELECT id FROM customers c WHERE lifecycle IN ('潜在', '意向') AND (SELECT count(*) FROM interactions i
           WHERE i.customer_id = c.id AND i.kind = '咨询' AND i.ts::DATE > DATE '2026-05-31'
           AND i.ts::DATE <= DATE '2026-06-30') >= 3",
    );
    let wake = ids(
        &paths,
        "SELECT id FROM customers c WHERE region = '华东'
           AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND year(o.order_date) = 2025)
           AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id
               AND o.order_date BETWEEN DATE '2026-01-01' AND DATE '2026-06-30')",
    );
    assert!(!big.is_empty() && !follow.is_empty() && !wake.is_empty());
    assert_eq!(tagged(&paths, "制造大客户"), big);
    assert_eq!(tagged(&paths, "待跟进"), follow);
    assert_eq!(tagged(&paths, "待唤醒"), wake);
    for r in &report.rules {
        let want = match r.tag.as_str() {
            "制造大客户" => big.len(),
            "待跟进" => follow.len(),
            _ => wake.len(),
        };
        assert_eq!(r.customers, want, "{}", r.condition);
    }

    // The new tag is a value questions and search know.
    let asker = Asker::open(&paths, &NoProgress).unwrap();
    let answer = asker
        .ask(
            "待唤醒的客户",
            &AskOptions {
                all: true,
                ..AskOptions::default()
            },
        )
        .unwrap();
    assert_eq!(answer.table.total as usize, wake.len());
    drop(asker);

    // A reload keeps the rules' tags; changed rules move them.
    kesou_indexer::ingest(&paths, &[src], &NoProgress).unwrap();
    assert_eq!(tagged(&paths, "制造大客户"), big);
    std::fs::write(
        &rules,
        "\"年采购额超过50万的制造业客户\" = \"制造大客户\"\n",
    )
    .unwrap();
    tags::apply(&paths, Some(&rules), &NoProgress).unwrap();
    assert!(
        tagged(&paths, "待唤醒").is_empty(),
        "a dropped rule takes its tag away"
    );
    assert_eq!(tagged(&paths, "制造大客户"), big);
    // Without --rules the store's own rules apply again.
    assert!(tags::apply(&paths, None, &NoProgress).unwrap().is_some());
}

#[test]
fn a_rule_not_understood_stops_the_file_and_says_why() {
    let kesou_testkit::GeneratedStore { dir, paths, .. } = store();
    let before = common::dump(&paths);
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "\"华东的制造业客户\" = \"华东制造\"\n\"asdf的客户\" = \"坏规则\"\n\"价值贡献前10\" = \"前十\"\n",
    )
    .unwrap();
    let err = tags::apply(&paths, Some(&rules), &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 tag rule(s) rejected"), "{err}");
    assert!(err.contains("「asdf」 is not understood"), "{err}");
    assert!(err.contains("「前10」 ranks customers"), "{err}");
    assert_eq!(common::dump(&paths), before, "nothing applied");
    assert!(!paths.tag_rules().exists(), "a rejected file is not kept");
    assert!(tags::apply(&paths, None, &NoProgress).unwrap().is_none());
}
