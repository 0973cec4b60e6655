//! Custom fields in questions: a store loaded from two CRMs' exports (用友: 客户来源, 信用等级,
//! 毛利率; 金蝶: 客户等级, 信用额度(元), 合同到期日) is asked about them by their headers, and
//! every answer is checked against hand SQL over `custom_values`, the source of truth.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use kesou_datagen::{ExportStyle, GenerateConfig};
use kesou_indexer::{NoProgress, StorePaths};
use kesou_query::ask::{Answer, AskOptions, Asker};
use kesou_testkit::Shape;
use serde_json::Value;

use crate::common;

struct Fixture {
    paths: StorePaths,
}

/// Both exports (120 customers, seed 23) in one store, each loading with nothing set aside
/// (the test kit checks).
static STORE: LazyLock<Fixture> = LazyLock::new(|| {
    let export = |style| Shape::new(120, 23).style(style);
    Fixture {
        paths: kesou_testkit::shared_store(
            "custom_fields",
            &[export(ExportStyle::Yonyou), export(ExportStyle::Kingdee)],
        ),
    }
});

fn asker() -> Asker {
    Asker::open(&STORE.paths, &NoProgress).unwrap()
}

fn ask(q: &str) -> Answer {
    let a = asker()
        .ask(q, &AskOptions::all())
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    assert!(!a.partial, "{q}: understood only in part: {:?}", a.ignored);
    a
}

fn col(a: &Answer, name: &str) -> usize {
    a.table
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}: {:?}", a.table.columns))
}

fn ids(a: &Answer) -> BTreeSet<String> {
    let at = col(a, "id");
    a.table
        .rows
        .iter()
        .map(|r| r[at].as_str().unwrap().to_owned())
        .collect()
}

fn sql_ids(sql: &str) -> BTreeSet<String> {
    common::strings(&STORE.paths, sql).into_iter().collect()
}

/// The rows of a grouped answer: group value → the measure.
fn groups(a: &Answer, group: &str, measure: usize) -> BTreeMap<String, f64> {
    let g = col(a, group);
    a.table
        .rows
        .iter()
        .map(|r| {
            (
                r[g].as_str().unwrap().to_owned(),
                r[measure].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn custom_fields_are_asked_about_by_their_headers() {
    // A category's values are words of questions.
    let a = ask("客户来源是展会的客户");
    assert_eq!(a.explain, "客户来源=展会");
    let want = sql_ids("SELECT id FROM custom_values WHERE field = '客户来源' AND text = '展会'");
    assert!(want.len() > 5, "{want:?}");
    assert_eq!(ids(&a), want);
    // The field asked about is shown, labelled with its header.
    let at = col(&a, "客户来源");
    assert_eq!(a.table.columns[at].label, "客户来源");
    assert!(a.table.rows.iter().all(|r| r[at] == "展会"));

    // With the contract's fields, in English too.
    let a = ask("信用等级为AAA的华东客户");
    let want = sql_ids(
        "SELECT v.id FROM custom_values v JOIN customers c ON c.id = v.id \
         WHERE v.field = '信用等级' AND v.text = 'AAA' AND c.region = '华东'",
    );
    assert!(!want.is_empty());
    assert_eq!(ids(&a), want);
    assert_eq!(
        ids(&ask("customers in East China whose 信用等级 is AAA")),
        want
    );

    // A percentage compares with the fraction it holds.
    let a = ask("毛利率超过30%的客户");
    assert_eq!(a.explain, "毛利率>30%");
    let want = sql_ids("SELECT id FROM custom_values WHERE field = '毛利率' AND number > 0.3");
    assert!(want.len() > 10 && want.len() < 100, "{}", want.len());
    assert_eq!(ids(&a), want);

    // Money in yuan; a header's unit in brackets need not be said; a top-N by it.
    let a = ask("信用额度最高的5个客户");
    let at = col(&a, "信用额度_元");
    assert_eq!(a.table.columns[at].label, "信用额度(元)");
    let got: Vec<f64> = a
        .table
        .rows
        .iter()
        .map(|r| r[at].as_f64().unwrap())
        .collect();
    let want: Vec<f64> = common::strings(
        &STORE.paths,
        "SELECT CAST(number AS VARCHAR) FROM custom_values WHERE field = '信用额度(元)' \
         ORDER BY number DESC LIMIT 5",
    )
    .iter()
    .map(|n| n.parse().unwrap())
    .collect();
    assert_eq!(got, want);
    let a = ask("信用额度不少于150万的客户");
    assert_eq!(
        ids(&a),
        sql_ids("SELECT id FROM custom_values WHERE field = '信用额度(元)' AND number >= 1500000")
    );

    // A date, and a window after as_of (a due date).
    let a = ask("合同到期日在下个月的客户");
    let want = sql_ids(
        "SELECT id FROM custom_values WHERE field = '合同到期日' \
         AND day >= date_trunc('month', (SELECT CAST(value AS DATE) FROM meta WHERE key = 'as_of')) + INTERVAL 1 MONTH \
         AND day < date_trunc('month', (SELECT CAST(value AS DATE) FROM meta WHERE key = 'as_of')) + INTERVAL 2 MONTH",
    );
    assert!(!want.is_empty());
    assert_eq!(ids(&a), want);
    // Said without its 日, the window first.
    assert_eq!(ids(&ask("下个月合同到期的客户")), want);
}

#[test]
fn custom_fields_group_and_measure() {
    let a = ask("按客户等级统计客户数");
    let got = groups(&a, "客户等级", 1);
    let want: BTreeMap<String, f64> = common::strings(
        &STORE.paths,
        "SELECT text || '=' || count(*) FROM custom_values WHERE field = '客户等级' GROUP BY text",
    )
    .iter()
    .map(|s| {
        let (k, v) = s.split_once('=').unwrap();
        (k.to_owned(), v.parse().unwrap())
    })
    .collect();
    assert_eq!(want.len(), 4, "{want:?}");
    assert_eq!(got, want);

    let a = ask("按客户来源统计平均毛利率");
    let got = groups(&a, "客户来源", 1);
    let want: BTreeMap<String, f64> = common::strings(
        &STORE.paths,
        "SELECT s.text || '=' || avg(m.number) FROM custom_values s JOIN custom_values m \
         ON m.id = s.id AND m.field = '毛利率' WHERE s.field = '客户来源' GROUP BY s.text",
    )
    .iter()
    .map(|s| {
        let (k, v) = s.split_once('=').unwrap();
        (k.to_owned(), v.parse().unwrap())
    })
    .collect();
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert!((got[k] - v).abs() < 1e-9, "{k}: {} vs {v}", got[k]);
    }
}

#[test]
fn the_schema_lists_custom_fields_with_their_kinds_and_values() {
    let asker = asker();
    let schema = asker.schema();
    let kind = |name: &str| {
        serde_json::to_value(schema.field(name).unwrap_or_else(|| panic!("{name}")).kind).unwrap()
    };
    for (name, want) in [
        ("客户来源", "category"),
        ("信用等级", "category"),
        ("客户等级", "category"),
        ("毛利率", "ratio"),
        ("信用额度_元", "money"),
        ("合同到期日", "date"),
    ] {
        assert_eq!(kind(name), Value::from(want), "{name}");
    }
    let values: Vec<&str> = schema
        .field("客户来源")
        .unwrap()
        .values
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    assert!(
        values.contains(&"展会") && values.contains(&"官网"),
        "{values:?}"
    );
    // The contract's fields are as shipped.
    assert!(schema.field("region").is_some());
    assert_eq!(schema.table, "customers");
}

#[test]
fn a_store_without_custom_fields_reads_its_table() {
    let kesou_testkit::GeneratedStore { dir: _d, paths, .. } =
        kesou_testkit::generated_store(30, GenerateConfig::DEFAULT_SEED);
    let asker = Asker::open(&paths, &NoProgress).unwrap();
    assert_eq!(asker.schema().source(), "customers");
    assert!(
        common::strings(
            &paths,
            "SELECT table_name FROM information_schema.tables WHERE table_name = 'customers_fields'"
        )
        .is_empty()
    );
    assert!(self::asker().schema().source.is_some());
}

#[test]
fn a_store_s_schema_toml_adds_labels_and_words_without_code() {
    let kesou_testkit::GeneratedStore { dir: _d, paths, .. } =
        kesou_testkit::store(&[Shape::new(40, 23).style(ExportStyle::Kingdee)]);
    let ask = |q: &str| {
        let a = Asker::open(&paths, &NoProgress)
            .unwrap()
            .ask(q, &AskOptions::all())
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        assert!(!a.partial, "{q}: {:?}", a.ignored);
        a
    };
    let before = ask("信用额度超过100万的客户");
    assert!(
        Asker::open(&paths, &NoProgress)
            .unwrap()
            .ask("授信额度超过100万的客户", &AskOptions::all())
            .map_or(true, |a| a.partial),
        "授信额度 is no word before the file says so"
    );
    std::fs::write(
        paths.root.join(kesou_query::ask::USER_SCHEMA_FILE),
        "[fields.\"信用额度(元)\"]\nlabel = \"授信额度\"\nwords = [\"额度\"]\n\
         [fields.\"客户等级\"]\nvalues = { \"A\" = [\"一级\", \"A级\"] }\n",
    )
    .unwrap();
    let after = ask("授信额度超过100万的客户");
    assert_eq!(after.explain, "授信额度>100万");
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(ids(&ask("额度超过100万的客户")), ids(&before));
    let graded = ask("客户等级是一级的客户");
    assert_eq!(graded.explain, "客户等级=A");
    let want: BTreeSet<String> = common::strings(
        &paths,
        "SELECT id FROM custom_values WHERE field = '客户等级' AND text = 'A'",
    )
    .into_iter()
    .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&graded), want);
}

#[test]
fn reports_group_measure_and_filter_by_custom_fields() {
    use kesou_query::boards::ReportSpec;
    let asker = asker();
    let spec = ReportSpec {
        name: "credit-by-grade".into(),
        title: String::new(),
        dimension: Some("客户等级".into()),
        measure: Some("avg:信用额度_元".parse().unwrap()),
        filters: vec!["客户来源=展会".into()],
        question: None,
        range: None,
    };
    let q = spec.query(&asker).unwrap();
    let a = asker.run(&q, &AskOptions::all()).unwrap();
    let got = groups(&a, "客户等级", 1);
    let want: BTreeMap<String, f64> = common::strings(
        &STORE.paths,
        "SELECT g.text || '=' || avg(c.number) FROM custom_values g \
         JOIN custom_values c ON c.id = g.id AND c.field = '信用额度(元)' \
         JOIN custom_values s ON s.id = g.id AND s.field = '客户来源' AND s.text = '展会' \
         WHERE g.field = '客户等级' GROUP BY g.text",
    )
    .iter()
    .map(|s| {
        let (k, v) = s.split_once('=').unwrap();
        (k.to_owned(), v.parse().unwrap())
    })
    .collect();
    assert!(!want.is_empty());
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (k, v) in &want {
        assert!((got[k] - v).abs() < 1e-6, "{k}: {} vs {v}", got[k]);
    }
}

#[test]
fn a_list_re_sorted_by_a_custom_field_it_does_not_name() {
    // The question names no custom field (its rows are read from the table itself); the
    // ordering that replaces its own does.
    let options = AskOptions {
        sort: Some(kesou_nlq::Sort {
            field: "信用额度_元".into(),
            descending: true,
            span: None,
        }),
        page_size: Some(5),
        ..AskOptions::default()
    };
    let a = asker().ask("华东客户", &options).unwrap();
    let at = col(&a, "信用额度_元");
    let got: Vec<f64> = a
        .table
        .rows
        .iter()
        .map(|r| r[at].as_f64().unwrap())
        .collect();
    let want: Vec<f64> = common::strings(
        &STORE.paths,
        "SELECT CAST(v.number AS VARCHAR) FROM custom_values v JOIN customers c ON c.id = v.id \
         WHERE v.field = '信用额度(元)' AND c.region = '华东' ORDER BY v.number DESC LIMIT 5",
    )
    .iter()
    .map(|n| n.parse().unwrap())
    .collect();
    assert_eq!(got, want);
    // The same question without it reads the same rows.
    let plain = asker().ask("华东客户", &AskOptions::all()).unwrap();
    assert_eq!(
        ids(&plain),
        sql_ids("SELECT id FROM customers WHERE region = '华东'")
    );
}

#[test]
fn custom_fields_are_searched_counted_and_filtered_in_the_index() {
    let asker = asker();
    let searcher = asker.searcher().expect("an index");
    let schema = asker.schema();
    // 客户等级 came with the second export, for customers loaded by the first: they were
    // indexed again for it.
    for field in ["客户来源", "客户等级"] {
        let facets = kesou_query::facets::resolve(schema, &[field.to_owned()]).unwrap();
        let found = searcher
            .search(&kesou_query::SearchRequest {
                facets,
                limit: 1,
                filters: vec![],
                text: String::new(),
                ..Default::default()
            })
            .err();
        // Neither text nor a filter: a search needs one; with a filter on the field it counts.
        assert!(found.is_some());
        let values = common::strings(
            &STORE.paths,
            &format!("SELECT DISTINCT text FROM custom_values WHERE field = '{field}' ORDER BY 1"),
        );
        assert!(values.len() >= 2, "{field}: {values:?}");
        for value in &values {
            let expected = sql_ids(&format!(
                "SELECT id FROM custom_values WHERE field = '{field}' AND text = '{value}'"
            ));
            let typed = kesou_query::parse_filters(schema, &[format!("{field}={value}")]).unwrap();
            let filter = kesou_query::Filter::from_question_in(schema, &typed[0]).unwrap();
            let r = searcher
                .search(&kesou_query::SearchRequest {
                    filters: vec![filter],
                    facets: kesou_query::facets::resolve(schema, &[field.to_owned()]).unwrap(),
                    limit: 1000,
                    ..Default::default()
                })
                .unwrap();
            let got: BTreeSet<String> = r.hits.iter().map(|h| h.id.clone()).collect();
            assert_eq!(got, expected, "{field}={value}");
            assert_eq!(r.facets[0].field, field);
            assert_eq!(
                r.facets[0]
                    .values
                    .iter()
                    .map(|v| (v.value.as_str(), v.count))
                    .collect::<Vec<_>>(),
                vec![(value.as_str(), expected.len() as u64)],
                "{field}={value}"
            );
        }
    }
    // The text of a custom field is searched: every customer whose 客户来源 is a value is
    // among the matches of that value as text, unless the caller may not see it.
    let value = common::strings(
        &STORE.paths,
        "SELECT text FROM custom_values WHERE field = '客户来源' GROUP BY text ORDER BY count(*) DESC, text LIMIT 1",
    )
    .remove(0);
    let expected = sql_ids(&format!(
        "SELECT id FROM custom_values WHERE field = '客户来源' AND text = '{value}'"
    ));
    let by_text = |hide: bool| -> BTreeSet<String> {
        let r = searcher
            .search(&kesou_query::SearchRequest {
                text: value.clone(),
                limit: 1000,
                hide_custom_text: hide,
                ..Default::default()
            })
            .unwrap();
        r.hits.into_iter().map(|h| h.id).collect()
    };
    let shown = by_text(false);
    assert!(
        expected.is_subset(&shown),
        "{value}: {:?}",
        expected.difference(&shown)
    );
    let hidden = by_text(true);
    assert!(
        !expected.is_subset(&hidden),
        "a hidden field's text is not searched"
    );
    // Numbers, percentages and dates of custom fields are ranges in the index: each
    // comparison finds what SQL over `custom_values` finds.
    for (filter, sql) in [
        (
            "信用额度>=1500000",
            "field = '信用额度(元)' AND number >= 1500000",
        ),
        (
            "信用额度<100万",
            "field = '信用额度(元)' AND number < 1000000",
        ),
        (
            "信用额度=1000000",
            "field = '信用额度(元)' AND number = 1000000",
        ),
        ("毛利率>30%", "field = '毛利率' AND number > 0.3"),
        ("毛利率<=0.1", "field = '毛利率' AND number <= 0.1"),
        (
            "合同到期日>=2026-09-01",
            "field = '合同到期日' AND day >= DATE '2026-09-01'",
        ),
        (
            "合同到期日<2026-01-01",
            "field = '合同到期日' AND day < DATE '2026-01-01'",
        ),
    ] {
        let expected = sql_ids(&format!("SELECT id FROM custom_values WHERE {sql}"));
        assert!(!expected.is_empty(), "{filter}: no customer to find");
        let typed = kesou_query::parse_filters(schema, &[filter.to_owned()]).unwrap();
        let f = kesou_query::Filter::from_question_in(schema, &typed[0])
            .unwrap_or_else(|e| panic!("{filter}: {e}"));
        let r = searcher
            .search(&kesou_query::SearchRequest {
                filters: vec![f],
                limit: 1000,
                ..Default::default()
            })
            .unwrap();
        let got: BTreeSet<String> = r.hits.iter().map(|h| h.id.clone()).collect();
        assert_eq!(got, expected, "{filter}");
    }
    // `!=` keeps the customers without the value, as a question's negation does.
    let typed = kesou_query::parse_filters(schema, &["信用额度!=1000000".to_owned()]).unwrap();
    let f = kesou_query::Filter::from_question_in(schema, &typed[0]).unwrap();
    let r = searcher
        .search(&kesou_query::SearchRequest {
            filters: vec![f],
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let all = sql_ids("SELECT id FROM customers");
    let equal =
        sql_ids("SELECT id FROM custom_values WHERE field = '信用额度(元)' AND number = 1000000");
    let got: BTreeSet<String> = r.hits.iter().map(|h| h.id.clone()).collect();
    assert_eq!(got, all.difference(&equal).cloned().collect());
    // A category is not compared as a number.
    let e = kesou_query::parse_filters(schema, &["客户等级>5".to_owned()])
        .map_err(|e| e.to_string())
        .and_then(|typed| {
            kesou_query::Filter::from_question_in(schema, &typed[0])
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .unwrap_err();
    assert!(e.contains("客户等级"), "{e}");
    assert!(kesou_query::facets::resolve(schema, &["信用额度".to_owned()]).is_err());
}

#[test]
fn grades_written_as_letters_are_values_with_or_without_their_class_word() {
    let want = sql_ids("SELECT id FROM custom_values WHERE field = '客户等级' AND text = 'A'");
    assert!(!want.is_empty());
    // "a" is also the English article: after the field's name it is the value.
    for q in [
        "客户等级是A的客户",
        "客户等级为a的客户",
        "客户等级A类的客户",
        "客户等级是A级的",
    ] {
        let a = ask(q);
        assert_eq!(a.explain, "客户等级=A", "{q}");
        assert_eq!(ids(&a), want, "{q}");
        assert!(a.alternatives.is_empty(), "{q}: {:?}", a.alternatives);
    }
    // Said alone, A is a grade of 客户等级 and of 信用等级: the answer takes one and
    // offers the other reading, never one silently.
    for q in ["A类客户", "A级客户"] {
        let a = ask(q);
        let readings: BTreeSet<String> = a
            .alternatives
            .iter()
            .flat_map(|alt| {
                std::iter::once(alt.chosen.clone())
                    .chain(alt.others.iter().map(|o| o.label.clone()))
            })
            .collect();
        assert_eq!(
            readings,
            BTreeSet::from(["客户等级=A".to_owned(), "信用等级=A".to_owned()]),
            "{q}"
        );
    }
}
