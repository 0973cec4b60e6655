//! What people type for a customer they have in mind: pinyin or initials of any run of
//! the name's syllables (not only of jieba's words), polyphones read as in the name, and
//! terms written literally in its name, description, tags or notes. Hand-written customers
//! with typed queries whose answers are known, then variants built from a generated store;
//! for terms, every customer whose text holds the term (SQL on the store) must be found.

use std::collections::HashSet;
use std::path::Path;

use kesou_domain::text::Fold;
use kesou_indexer::NoProgress;
use kesou_indexer::text::{Analyzer, trade_name};
use kesou_query::{SearchRequest, Searcher};

use crate::common;

fn credit_code(n: usize) -> String {
    let first17 = format!("91330100MA{n:07}");
    let check = kesou_domain::credit_code::check_char(first17.as_bytes()).expect("alphabet");
    format!("{first17}{}", check as char)
}

/// (id, name, industry, description, tags)
const CUSTOMERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "T01",
        "广州湾茂种业有限公司",
        "农业",
        "培育水稻与蔬菜良种。",
        "",
    ),
    (
        "T02",
        "上海乐润物流有限公司",
        "物流",
        "城配与仓储服务。",
        "",
    ),
    (
        "T03",
        "杭州艺乐餐饮管理有限公司",
        "餐饮",
        "连锁中式快餐。",
        "",
    ),
    (
        "T04",
        "苏州基森供应链管理有限公司",
        "物流",
        "为制造企业提供采购与库存服务。",
        "",
    ),
    (
        "T05",
        "深圳桂正电子商务有限公司",
        "零售",
        "跨境网店运营。",
        "",
    ),
    (
        "T06",
        "北京音乐文化传媒有限公司",
        "传媒",
        "演出与唱片发行。",
        "",
    ),
    (
        "T07",
        "重庆长江重工机械有限公司",
        "制造",
        "起重设备制造。",
        "专精特新",
    ),
    ("T08", "长沙永达车行有限公司", "零售", "二手车销售。", ""),
    (
        "T09",
        "宁波精工模具有限公司",
        "制造",
        "主营轻钢结构厂房与模具加工。",
        "",
    ),
    (
        "T10",
        "无锡恒通新材料有限公司",
        "制造",
        "生产锂电池隔膜。",
        "新能源电池材料",
    ),
    (
        "T11",
        "南宁万茂农资有限公司",
        "农业",
        "化肥与农药批发。",
        "",
    ),
    ("T12", "合肥乐行智能科技有限公司", "科技", "出行软件。", ""),
];

/// Notes of interactions: (customer id, note).
const NOTES: &[(&str, &str)] = &[("T11", "客户计划采购重型钢结构货架，请报价")];

/// (typed, the customer it is meant to find within the top 10, what it shows)
const CASES: &[(&str, &str, &str)] = &[
    (
        "jisengongying",
        "T04",
        "pinyin across jieba's words 基森供 + 应链",
    ),
    ("jisengong", "T04", "pinyin of a run ending inside a word"),
    (
        "sengongying",
        "T04",
        "pinyin of a run starting inside a word",
    ),
    ("jsgy", "T04", "initials of a run across words"),
    ("guizhengdianzi", "T05", "trade name and half of 电子商务"),
    ("gzdz", "T05", "initials of the same run"),
    ("wanmaozhongye", "T01", "种业 read zhongye, not chongye"),
    ("wmzy", "T01", "initials with the right polyphone"),
    ("lerunwuliu", "T02", "乐 read le in a trade name"),
    ("yilecanyin", "T03", "乐 read le after 艺"),
    ("yinyue", "T06", "音乐 read yinyue"),
    (
        "chongqingchangjiang",
        "T07",
        "重庆 chongqing, 长江 changjiang",
    ),
    ("zhonggongjixie", "T07", "重工 read zhonggong"),
    (
        "yongdachehang",
        "T08",
        "车行 read chehang in a business name",
    ),
    ("jinggongmuju", "T09", "模具 read muju"),
    ("lexing", "T12", "乐行: le and xing"),
    (
        "huawei",
        "-",
        "no such customer: nothing wrong is claimed (checked below)",
    ),
];

fn write_fixture(dir: &Path) {
    let mut csv = String::from("id,name,credit_code,province,city,industry,tags,description\n");
    for (i, (id, name, industry, description, tags)) in CUSTOMERS.iter().enumerate() {
        csv.push_str(&format!(
            "{id},{name},{},浙江省,杭州市,{industry},{tags},{description}\n",
            credit_code(i + 1)
        ));
    }
    std::fs::write(dir.join("customers.csv"), csv).unwrap();
    let mut notes = String::from("id,customer_id,ts,channel,kind,note\n");
    for (i, (id, note)) in NOTES.iter().enumerate() {
        notes.push_str(&format!("I{i},{id},2026-05-01 10:00:00,电话,咨询,{note}\n"));
    }
    std::fs::write(dir.join("interactions.csv"), notes).unwrap();
    std::fs::write(dir.join("meta.csv"), "key,value\nas_of,2026-06-30\n").unwrap();
}

fn top(searcher: &Searcher, text: &str, limit: usize) -> Vec<String> {
    searcher
        .search(&SearchRequest {
            text: text.into(),
            limit,
            ..Default::default()
        })
        .map(|r| r.hits.into_iter().map(|h| h.id).collect())
        .unwrap_or_default()
}

#[test]
fn typed_names_find_the_customer_meant() {
    let src = tempfile::tempdir().unwrap();
    write_fixture(src.path());
    let (_dir, paths, s) = common::ingest_into_temp(&[src.path().to_path_buf()]);
    assert_eq!(s.rejected(), 0, "{:?}", s.rejects_file);
    let reader = kesou_indexer::open_for_reading(&paths, &NoProgress).unwrap();
    let searcher = Searcher::new(reader.index).unwrap();
    let mut failures = Vec::new();
    for (typed, id, why) in CASES {
        let found = top(&searcher, typed, 10);
        if *id == "-" {
            if !found.is_empty() {
                failures.push(format!("{typed:?} should find nothing, found {found:?}"));
            }
        } else if !found.iter().any(|f| f == id) {
            failures.push(format!("{typed:?} misses {id} ({why}); found {found:?}"));
        }
    }
    // The polyphone read the other way finds nothing: 种业 is not chongye, 乐润 not yuerun.
    for wrong in ["wanmaochongye", "yuerunwuliu", "yiyuecanyin"] {
        let found = top(&searcher, wrong, 10);
        if !found.is_empty() {
            failures.push(format!("{wrong:?} is a wrong reading, yet found {found:?}"));
        }
    }
    // Literal terms, whatever jieba makes of the text around them: 轻钢结构 in a
    // description, 钢结构 in a note, 新能源电池 inside a tag.
    for (term, want) in [
        ("钢结构", &["T09", "T11"][..]),
        ("新能源电池", &["T10"][..]),
        ("源电池", &["T10"][..]),
    ] {
        let found = top(&searcher, term, 10);
        for id in want {
            if !found.iter().any(|f| f == id) {
                failures.push(format!(
                    "{term:?} written literally misses {id}; found {found:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A variant typed for a customer of the generated store.
struct Variant {
    kind: &'static str,
    typed: String,
    id: String,
}

/// Polyphones whose reading depends on the word (the characters of `readings.tsv`).
const POLYPHONES: &str = "种乐行长重藏调朝解单传都和会降劲句柏薄";

/// Variants of every fifth name: the pinyin and initials of the run from the trade name's
/// first character to two characters past it (across jieba's word boundary into the
/// industry word), and for names with a polyphone, the pinyin of trade name and industry.
fn variants(analyzer: &Analyzer, names: &[(String, String)]) -> Vec<Variant> {
    let mut out = Vec::new();
    for (id, name) in names.iter().step_by(5) {
        let folded = Fold::SCRIPT.text(name);
        let (body, _) = kesou_domain::text::split_legal_form(folded.trim());
        let chars: Vec<char> = body.chars().collect();
        let syllables = analyzer.name_syllables(body);
        let Some(trade) = trade_name(analyzer.jieba(), name) else {
            continue;
        };
        let Some(byte) = body.find(&trade) else {
            continue;
        };
        let start = body[..byte].chars().count();
        let run = |from: usize, to: usize| -> Option<Vec<String>> {
            if to > chars.len() || from >= to {
                return None;
            }
            let s: Option<Vec<String>> = syllables[from..to].iter().cloned().collect();
            s.filter(|s| s.iter().all(|x| x.bytes().all(|b| b.is_ascii_lowercase())))
        };
        let end = start + trade.chars().count() + 2;
        if let Some(s) = run(start, end) {
            out.push(Variant {
                kind: "pinyin of a run",
                typed: s.concat(),
                id: id.clone(),
            });
            out.push(Variant {
                kind: "initials of a run",
                typed: s.iter().map(|x| &x[..1]).collect(),
                id: id.clone(),
            });
        }
        if chars[start..].iter().any(|c| POLYPHONES.contains(*c))
            && let Some(s) = run(start, chars.len())
        {
            out.push(Variant {
                kind: "polyphone name",
                typed: s.concat(),
                id: id.clone(),
            });
        }
    }
    out
}

/// CJK substrings of the store's texts, 2 to 5 characters, at fixed places of every 60th
/// customer's description and notes and tags (deterministic for the seed).
fn literal_terms(conn: &duckdb::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT coalesce(c.description, '') || chr(10) || array_to_string(c.tags, chr(10)) \
             || chr(10) || coalesce((SELECT string_agg(note, chr(10) ORDER BY id) FROM interactions i \
             WHERE i.customer_id = c.id), '') FROM customers c ORDER BY id",
        )
        .unwrap();
    let texts: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut terms: Vec<String> = vec!["钢结构".into(), "新能源电池".into()];
    for (i, text) in texts.iter().enumerate().step_by(60) {
        let chars: Vec<char> = text.chars().collect();
        for (k, len) in [(3usize, 2usize), (7, 3), (11, 4), (17, 5), (29, 3)] {
            let at = (k + i) % chars.len().max(1);
            let Some(term) = chars.get(at..at + len) else {
                continue;
            };
            if term.iter().all(|c| matches!(*c as u32, 0x4E00..=0x9FFF)) {
                terms.push(term.iter().collect());
            }
        }
    }
    terms.sort();
    terms.dedup();
    terms
}

fn ids_containing(conn: &duckdb::Connection, term: &str) -> HashSet<String> {
    let mut stmt = conn
        .prepare(
            "SELECT id FROM customers c WHERE strpos(c.name, $1) > 0 \
             OR strpos(coalesce(c.description, ''), $1) > 0 \
             OR list_bool_or(list_transform(c.tags, lambda t: strpos(t, $1) > 0)) \
             OR EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.id AND strpos(i.note, $1) > 0)",
        )
        .unwrap();
    stmt.query_map([term], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn typed_variants_of_a_generated_store_are_found() {
    let generated = kesou_testkit::generated_store(3_000, 19);
    let reader = kesou_indexer::open_for_reading(&generated.paths, &NoProgress).unwrap();
    let names: Vec<(String, String)> = {
        let mut stmt = reader
            .conn
            .prepare("SELECT id, name FROM customers ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let searcher = Searcher::new(reader.index.clone()).unwrap();
    let analyzer = &searcher.handle().analyzer;
    let variants = variants(analyzer, &names);
    let mut report = Vec::new();
    let mut misses = Vec::new();
    for kind in ["pinyin of a run", "initials of a run", "polyphone name"] {
        let of_kind: Vec<&Variant> = variants.iter().filter(|v| v.kind == kind).collect();
        let found = of_kind
            .iter()
            .filter(|v| {
                let hit = top(&searcher, &v.typed, 10).contains(&v.id);
                if !hit {
                    misses.push(format!("{kind}: {} for {}", v.typed, v.id));
                }
                hit
            })
            .count();
        report.push((kind, found, of_kind.len()));
    }
    for v in &variants {
        println!("variant\t{}\t{}\t{}", v.kind, v.typed, v.id);
    }
    println!("{report:?}");
    for (kind, found, n) in &report {
        assert!(*n >= 30, "{kind}: only {n} variants");
        // Short initials can be shared by more than ten names of 3,000; full pinyin of a
        // run with the trade name is all but unique.
        let floor = if *kind == "initials of a run" {
            0.9
        } else {
            0.98
        };
        assert!(
            *found as f64 >= floor * *n as f64,
            "{kind}: {found} of {n} in the top 10; misses:\n{}",
            misses.join("\n")
        );
    }

    // Terms written literally: every customer whose text holds the term is found.
    let terms = literal_terms(&reader.conn);
    assert!(terms.len() >= 40, "{} terms", terms.len());
    let mut missed = Vec::new();
    let mut contained = 0;
    for term in &terms {
        let want = ids_containing(&reader.conn, term);
        contained += want.len();
        let got: HashSet<String> = searcher
            .all_matches(term)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let lost: Vec<&String> = want.difference(&got).collect();
        if !lost.is_empty() {
            missed.push(format!(
                "{term}: {} of {} missed, e.g. {:?}",
                lost.len(),
                want.len(),
                &lost[..lost.len().min(3)]
            ));
        }
    }
    println!(
        "literal terms: {} terms, {contained} containing customers",
        terms.len()
    );
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
