//! The Chinese search behaviour, as a table: `tests/data/search_cases.tsv` over the
//! hand-written customers of `tests/data/search/`.

use std::sync::LazyLock;

use kesou_indexer::{NoProgress, StorePaths};
use kesou_query::{SearchRequest, Searcher};

use crate::common;

struct Fixture {
    searcher: Searcher,
}

/// The store lives as long as the process, in the target folder (a `LazyLock` never drops
/// a temporary folder).
static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let paths = StorePaths::new(kesou_testkit::process_dir("search_cases").join("store"));
    let summary =
        kesou_indexer::ingest(&paths, &[common::data("search")], &NoProgress).expect("ingest");
    assert_eq!(
        summary.rejected(),
        0,
        "the search fixture loads cleanly: {:?}",
        summary.rejects_file
    );
    let reader = kesou_indexer::open_for_reading(&paths, &NoProgress).expect("open");
    let searcher = Searcher::new(reader.index).expect("searcher");
    Fixture { searcher }
});

fn ids(field: &str) -> Vec<String> {
    if field == "-" {
        Vec::new()
    } else {
        field.split(',').map(str::to_owned).collect()
    }
}

#[test]
fn search_table() {
    let table =
        std::fs::read_to_string(common::data("search_cases.tsv")).expect("search_cases.tsv");
    let mut failures = Vec::new();
    let mut n = 0;
    for (lineno, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            cols.len(),
            5,
            "line {}: five tab-separated columns",
            lineno + 1
        );
        let (text, filters, include, exclude, why) =
            (cols[0], cols[1], ids(cols[2]), ids(cols[3]), cols[4]);
        let request = SearchRequest {
            text: if text == "-" {
                String::new()
            } else {
                text.to_owned()
            },
            filters: if filters == "-" {
                Vec::new()
            } else {
                filters
                    .split(';')
                    .map(|f| f.parse().expect("filter in search_cases.tsv"))
                    .collect()
            },
            limit: 100,
            ..Default::default()
        };
        n += 1;
        let found: Vec<String> = match FIXTURE.searcher.search(&request) {
            Ok(r) => r.hits.into_iter().map(|h| h.id).collect(),
            Err(e) => {
                failures.push(format!("line {}: {text:?} failed: {e}", lineno + 1));
                continue;
            }
        };
        let missing: Vec<&String> = include.iter().filter(|i| !found.contains(i)).collect();
        let wrong: Vec<&String> = exclude.iter().filter(|i| found.contains(i)).collect();
        if !missing.is_empty() || !wrong.is_empty() {
            failures.push(format!(
                "line {}: {text:?} {filters}: missing {missing:?}, should not find {wrong:?}; found {found:?} ({why})",
                lineno + 1
            ));
        }
    }
    assert!(n >= 50, "the table has {n} cases");
    assert!(
        failures.is_empty(),
        "{} of {n} search cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn highlights_point_at_the_match_in_the_original_text() {
    let r = FIXTURE
        .searcher
        .search(&SearchRequest {
            text: "华为".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let s002 = r.hits.iter().find(|h| h.id == "S002").expect("S002 found");
    let name = s002
        .highlights
        .iter()
        .find(|h| h.field == "name")
        .expect("name highlighted");
    assert_eq!(name.bracketed(), "【華為】技術服務有限公司");
    assert!(name.html.contains("<b>華為</b>"));
    let r = FIXTURE
        .searcher
        .search(&SearchRequest {
            text: "交货延迟".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let note = r.hits[0]
        .highlights
        .iter()
        .find(|h| h.field == "notes")
        .expect("note highlighted");
    assert!(
        note.bracketed().contains("【交货延迟】"),
        "{}",
        note.bracketed()
    );
}

#[test]
fn facets_count_the_matches_hierarchically() {
    let request = SearchRequest {
        text: "公司".into(),
        facets: vec!["region".into(), "industry".into()],
        limit: 5,
        ..Default::default()
    };
    let r = FIXTURE.searcher.search(&request).unwrap();
    let region = r.facets.iter().find(|f| f.field == "region").unwrap();
    let south = region
        .values
        .iter()
        .find(|v| v.value == "华南")
        .expect("华南 counted");
    let guangdong = south
        .children
        .iter()
        .find(|v| v.value == "广东省")
        .expect("广东省 under 华南");
    let shenzhen = guangdong
        .children
        .iter()
        .find(|v| v.value == "深圳市")
        .expect("深圳市 under 广东省");
    assert!(
        shenzhen.count >= 3,
        "S001, S004, S005 are in 深圳: {shenzhen:?}"
    );
    assert_eq!(
        south.count,
        south.children.iter().map(|c| c.count).sum::<u64>()
    );
    let total: u64 = region.values.iter().map(|v| v.count).sum();
    assert_eq!(total as usize, r.total, "every match has a region");
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let err = |req: SearchRequest| FIXTURE.searcher.search(&req).unwrap_err().to_string();
    assert!(err(SearchRequest::default()).contains("give search text or at least one filter"));
    assert!(
        err(SearchRequest {
            text: "x".repeat(300),
            ..Default::default()
        })
        .contains("at most 256")
    );
    assert!(
        err(SearchRequest {
            text: "华为".into(),
            facets: vec!["colour".into()],
            ..Default::default()
        })
        .contains("no facet")
    );
    assert!(
        err(SearchRequest {
            text: "，。！".into(),
            ..Default::default()
        })
        .contains("no searchable word")
    );
    // A value that is no region is refused when the filter is read, naming the regions.
    let bad_region = "region=火星"
        .parse::<kesou_query::Filter>()
        .unwrap_err()
        .to_string();
    assert!(bad_region.contains("华东"), "{bad_region}");
    // A page past the deepest one is refused before anything is allocated for it.
    for offset in [kesou_query::MAX_OFFSET + 1, usize::MAX, 1 << 63] {
        assert!(
            err(SearchRequest {
                text: "公司".into(),
                offset,
                limit: 20,
                ..Default::default()
            })
            .contains("deepest page")
        );
    }
}

#[test]
fn query_syntax_is_plain_text() {
    // tantivy's query language must not leak through: these are words, not operators, and
    // the worst answer is a plain "no searchable word".
    for text in [
        "name:华为",
        "华为 AND 招商",
        "\"华为",
        "华为~2",
        "*",
        "(华为",
        "华为^10",
        "-华为",
        "' OR 1=1 --",
    ] {
        match FIXTURE.searcher.search(&SearchRequest {
            text: text.into(),
            limit: 5,
            ..Default::default()
        }) {
            Ok(_) => {}
            Err(e) => assert!(e.is_user_error(), "{text:?}: {e}"),
        }
    }
    let r = FIXTURE
        .searcher
        .search(&SearchRequest {
            text: "华为 AND 招商".into(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        r.total, 0,
        "AND is a word here, and no customer has 华为, AND and 招商 together"
    );
}
