//! Suggestions on the shared generated store.

use std::sync::LazyLock;

use super::*;
use crate::testing::{self, strings};

static SUGGESTER: LazyLock<Suggester> =
    LazyLock::new(|| Suggester::new(&testing::asker()).expect("a suggester"));

fn suggest(input: &str) -> Vec<Suggestion> {
    let s = SUGGESTER.suggest(input);
    assert!(
        s.len() <= MAX_SUGGESTIONS,
        "{input}: {} suggestions",
        s.len()
    );
    s
}

fn texts(s: &[Suggestion]) -> Vec<&str> {
    s.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn every_example_question_is_understood_whole() {
    let asker = testing::asker();
    let examples: Vec<&str> = example_questions().collect();
    assert!(examples.len() >= 30, "{} examples", examples.len());
    assert!(
        examples.iter().filter(|q| q.is_ascii()).count() >= 3,
        "a few in English"
    );
    for q in &examples {
        let parsed = asker.parse(q);
        assert!(
            parsed.unrecognized.is_empty(),
            "{q}: {:?}",
            parsed.unrecognized
        );
        assert!(!parsed.is_empty(), "{q} asks something");
        asker
            .ask(q, &crate::ask::AskOptions::default())
            .unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[test]
fn an_empty_box_offers_example_questions() {
    let s = suggest("");
    assert_eq!(s.len(), MAX_SUGGESTIONS);
    assert!(s.iter().all(|s| s.kind == SuggestionKind::Question));
    assert_eq!(s[0].text, "检索华东地区年采购额超百万的科技类客户");
    assert_eq!(s[0].label, "大区=华东 · 年采购额>100万 · 行业=科技");
    assert_eq!(suggest("   "), s);
}

#[test]
fn the_last_word_completes_to_a_value() {
    let s = suggest("华东科");
    assert_eq!(s[0].text, "华东科技");
    assert_eq!(s[0].kind, SuggestionKind::Value);
    assert_eq!(s[0].label, "行业=科技");

    let s = suggest("浙江的制");
    assert_eq!(s[0].text, "浙江的制造");
    assert_eq!(s[0].label, "行业=制造");
    assert!(
        s.iter()
            .any(|x| x.kind == SuggestionKind::Question && x.text == "浙江的制造业客户有哪些"),
        "{:?}",
        texts(&s)
    );

    let s = suggest("近30天咨");
    assert_eq!(texts(&s)[..2], ["近30天咨询次数", "近30天咨询"]);
    let s = suggest("annual pur");
    assert_eq!(s[0].text, "annual purchase");
    assert_eq!(s[0].kind, SuggestionKind::Field);
    // a whole word is completed only to longer words of another meaning
    let s = suggest("流失");
    assert!(
        s.iter()
            .any(|x| x.text == "流失风险" && x.kind == SuggestionKind::Field),
        "{:?}",
        texts(&s)
    );
    assert!(
        !texts(&s).contains(&"流失客户"),
        "the same meaning as typed"
    );
    let s = suggest("华");
    let regions: Vec<&str> = s
        .iter()
        .filter(|x| x.label.starts_with("大区="))
        .map(|x| x.text.as_str())
        .collect();
    assert_eq!(
        regions[0], "华东",
        "the region with most customers first: {regions:?}"
    );
}

#[test]
fn english_prefixes_offer_questions() {
    let s = suggest("tech");
    assert!(
        texts(&s).contains(&"tech customers in East China with annual purchase over 1 million"),
        "{:?}",
        texts(&s)
    );
    assert!(
        !texts(&s).contains(&"technology"),
        "tech already reads as 科技"
    );
    assert!(s.iter().all(|x| x.text.to_lowercase().starts_with("tech")));
}

#[test]
fn tags_complete_as_tags() {
    let s = suggest("高意");
    assert_eq!(s[0].text, "高意向待转化");
    assert_eq!(s[0].kind, SuggestionKind::Tag);
    assert_eq!(s[0].label, "标签=高意向待转化");
}

#[test]
fn customers_by_name_prefix_best_known_first() {
    let asker = testing::asker();
    // the prefix of a well-known customer's name, shared with a few others
    let key = strings(
        &asker,
        "SELECT left(name_key, 4) FROM customers GROUP BY 1 HAVING count(*) BETWEEN 2 AND 6 \
         ORDER BY max(total_purchase) DESC NULLS LAST, 1 LIMIT 1",
    )[0]
    .clone();
    let want = strings(
        &asker,
        &format!(
            "SELECT id FROM customers WHERE starts_with(name_key, '{key}') \
             ORDER BY total_purchase DESC NULLS LAST, id LIMIT 4"
        ),
    );
    let s = suggest(&key);
    let customers: Vec<&Suggestion> = s
        .iter()
        .filter(|x| x.kind == SuggestionKind::Customer)
        .collect();
    let ids: Vec<&str> = customers
        .iter()
        .take(want.len())
        .map(|x| x.id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, want, "{key}: {:?}", texts(&s));
    let name = strings(
        &asker,
        &format!("SELECT name FROM customers WHERE id = '{}'", want[0]),
    );
    assert_eq!(customers[0].text, name[0]);
    assert_eq!(customers[0].label, want[0]);
    // a name typed after other words completes in place
    let s = suggest(&format!("和 {key}"));
    assert!(
        s.iter().any(|x| x.text == format!("和 {}", name[0])),
        "{:?}",
        texts(&s)
    );
}

#[test]
fn suggestions_serialise_with_their_kind() {
    let v = serde_json::to_value(suggest("华东科")).unwrap();
    assert_eq!(v[0]["kind"], "value");
    assert_eq!(v[0]["text"], "华东科技");
    assert!(v[0].get("id").is_none());
}

#[test]
fn a_suggester_is_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Suggester>();
}

#[test]
fn an_id_being_typed_offers_the_customers_it_begins() {
    let found = suggest("C00001");
    let ids: Vec<&str> = found
        .iter()
        .filter(|s| s.kind == SuggestionKind::Customer)
        .filter_map(|s| s.id.as_deref())
        .collect();
    assert!(!ids.is_empty(), "{found:?}");
    assert!(ids.iter().all(|id| id.starts_with("C00001")), "{ids:?}");
    let lower = suggest("c00001");
    assert_eq!(
        lower
            .iter()
            .filter_map(|s| s.id.as_deref())
            .collect::<Vec<_>>(),
        ids,
        "as typed in lower case"
    );
    assert!(
        suggest("C0")
            .iter()
            .all(|s| s.kind != SuggestionKind::Customer
                || s.id.as_deref().is_some_and(|i| i.starts_with("C0")))
    );
}
