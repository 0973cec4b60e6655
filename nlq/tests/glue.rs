//! The conversational glue lexicon (`src/parse/glue.txt`) and the has-any words: glue adds
//! nothing to a question, in simplified or traditional characters, before or after it, and
//! 有没有 / 是否有 / 有无 ask whether there are any: never a negation.

mod common;

use kesou_nlq::canonical;

const PLAIN: &str = "杭州的科技客户";
const READING: &str = "city=杭州市 ; industry=科技";

fn glue_words() -> Vec<&'static str> {
    include_str!("../src/parse/glue.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn every_glue_phrase_adds_nothing_before_or_after_a_question() {
    let parser = common::parser();
    let words = glue_words();
    assert!(
        words.len() >= 80,
        "the lexicon holds {} phrases",
        words.len()
    );
    let mut wrong = Vec::new();
    for w in words {
        for q in [
            format!("{w}{PLAIN}"),
            format!("{PLAIN}{w}"),
            format!("{w} {PLAIN}"),
        ] {
            let got = canonical(&parser.parse(&q, common::as_of()));
            if got != READING {
                wrong.push(format!("{q}\n  got: {got}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn traditional_glue_is_glue_too() {
    let parser = common::parser();
    for q in [
        "請問杭州的科技客戶",
        "麻煩看下杭州那塊的科技客戶",
        "幫我查一下杭州的科技客戶",
        "給我列出杭州那邊的科技客戶吧",
        "拉個名單杭州的科技客戶",
        "我們在杭州的科技客戶呢",
        "那個杭州的科技客戶嘛",
        "能不能看看杭州所有的科技客戶",
    ] {
        assert_eq!(canonical(&parser.parse(q, common::as_of())), READING, "{q}");
    }
}

#[test]
fn asking_whether_there_are_any_is_never_a_negation() {
    let parser = common::parser();
    let cases = [
        ("有没有浙江的医疗客户", "province=浙江省 ; industry=医疗"),
        ("有沒有浙江的醫療客戶", "province=浙江省 ; industry=医疗"),
        ("是否有浙江的医疗客户", "province=浙江省 ; industry=医疗"),
        ("有无浙江的医疗客户", "province=浙江省 ; industry=医疗"),
        ("有木有浙江的医疗客户", "province=浙江省 ; industry=医疗"),
        ("浙江有没有医疗客户", "province=浙江省 ; industry=医疗"),
        (
            "有没有年采购额超过五百万的医疗客户",
            "annual_purchase>5000000 ; industry=医疗",
        ),
        ("有 没 有 浙江的医疗客户", "province=浙江省 ; industry=医疗"),
        ("有没有投诉过的客户", "has interactions[kind=投诉]"),
        // A negation after the question word is still a negation.
        (
            "有没有不是医疗的浙江客户",
            "industry!=医疗 ; province=浙江省",
        ),
    ];
    let mut wrong = Vec::new();
    for (q, expected) in cases {
        let got = canonical(&parser.parse(q, common::as_of()));
        if got != expected {
            wrong.push(format!("{q}\n  expected: {expected}\n  got:      {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn spaces_full_width_forms_and_punctuation_never_change_the_reading() {
    let parser = common::parser();
    let base = canonical(&parser.parse("华东年采购额超百万的科技客户", common::as_of()));
    for q in [
        "华东 年采购额 超 百万 的 科技 客户",
        "华东，年采购额超百万，科技客户。",
        "华东　年采购额超百万　科技客户？",
        "「华东」年采购额超百万的科技客户！",
        "华东;年采购额超百万;科技客户",
        "  华东年采购额超百万的科技客户  ",
    ] {
        assert_eq!(canonical(&parser.parse(q, common::as_of())), base, "{q}");
    }
}

#[test]
fn a_word_nothing_marks_and_the_store_does_not_know_is_listed_never_searched() {
    let parser = common::parser();
    for (q, unknown) in [
        ("杭州那啥的科技客户", "那啥"),
        ("各行业客户数增速", "增速"),
        ("天气很好的杭州客户", "天气很好"),
    ] {
        let query = parser.parse(q, common::as_of());
        assert!(query.text.is_empty(), "{q}: {:?}", query.text);
        let listed: Vec<&str> = query.unrecognized.iter().map(|s| s.text.as_str()).collect();
        assert!(listed.contains(&unknown), "{q}: {listed:?}");
    }
    // The same words after a marker, or known to the store, are text conditions.
    let q = parser.parse("提到天气的客户", common::as_of());
    assert_eq!(canonical(&q), "text:天气");
    let q = parser.parse("恒瑞精密", common::as_of());
    assert_eq!(canonical(&q), "text:恒瑞精密");
}

#[test]
fn vague_words_are_listed_even_when_the_store_knows_them() {
    let mut schema = common::customer_schema();
    let vague: Vec<String> = include_str!("../src/parse/vague.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    schema.add_terms(vague.iter().cloned());
    let parser = kesou_nlq::Parser::new(schema).unwrap();
    let mut wrong = Vec::new();
    for w in &vague {
        let q = format!("杭州{w}的科技客户");
        let query = parser.parse(&q, common::as_of());
        let listed = query
            .unrecognized
            .iter()
            .any(|s| s.text.contains(w.as_str()));
        if !query.text.is_empty() || !listed || query.filters.len() != 2 {
            wrong.push(format!("{q}: {}", canonical(&query)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        canonical(&parser.parse("简介里提到长期合作的客户", common::as_of())),
        "text:长期合作"
    );
    assert_eq!(
        canonical(&parser.parse("描述里有储能的客户", common::as_of())),
        "text:储能"
    );
}

/// Content words no schema knows: any of them in a question must come back listed.
const UNKNOWN: &[&str] = &["量子纠缠", "火星殖民", "彩虹色", "恐龙化石", "独角兽"];

#[test]
fn every_question_that_ignores_a_content_word_says_it_is_partial() {
    // Every question of the interpretation table, with an unknown content word put at the
    // start, at the end or after a 的: the reading lists the word (the answer is partial)
    // and never searches it or drops it.
    let parser = common::parser();
    let table = include_str!("data/interpretations.tsv");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (n, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let question = line.split_once('\t').map_or(line, |(q, _)| q);
        let word = UNKNOWN[n % UNKNOWN.len()];
        let mut variants = vec![format!("{word}{question}"), format!("{question}{word}")];
        if let Some(at) = question.find('的') {
            let (a, b) = question.split_at(at + '的'.len_utf8());
            variants.push(format!("{a}{word}{b}"));
        }
        for q in variants {
            checked += 1;
            let query = parser.parse(&q, common::as_of());
            // Listed whole, or in part where the lexicon took a char of it (数量子纠缠).
            let listed = query.unrecognized.iter().any(|s| {
                s.text.contains(word) || word.chars().filter(|c| s.text.contains(*c)).count() >= 2
            });
            let searched = query.text.iter().any(|t| t.text.contains(word));
            // After a text marker, in a lookalike seed list or as a person's name (联系人为…:
            // a name is any chars) the words are the user's own: searched, resolved or
            // matched as written and shown so, never dropped.
            let asked_as_written = question.contains("mentioning")
                || query.similar.is_some()
                || canonical(&query).contains("contact_name=");
            if asked_as_written {
                continue;
            }
            if !listed || searched {
                wrong.push(format!("{q} → {}", canonical(&query)));
            }
        }
    }
    assert!(checked >= 900, "{checked} questions");
    assert!(
        wrong.is_empty(),
        "{} readings ignore a word without saying so:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
