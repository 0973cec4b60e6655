//! The question table: hundreds of questions with the interpretation they must get, read
//! against the shipped customer schema with as_of 2026-06-30. Every mismatch is listed at
//! once, so a change to the parser shows all it moves.

mod common;

use kesou_nlq::canonical;

#[test]
fn every_question_of_the_table_gets_its_interpretation() {
    let parser = common::parser();
    let table = include_str!("data/interpretations.tsv");
    let mut rows = 0;
    let mut wrong = Vec::new();
    for (n, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (question, expected) = line.split_once('\t').unwrap_or((line, ""));
        let got = canonical(&parser.parse(question, common::as_of()));
        rows += 1;
        if got != expected {
            wrong.push(format!(
                "line {}: {question}\n  expected: {expected}\n  got:      {got}",
                n + 1
            ));
        }
    }
    assert!(
        rows >= 300,
        "the table holds {rows} questions, the issue asks 300"
    );
    assert!(
        wrong.is_empty(),
        "{} of {rows} questions misread:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_part_of_the_query_points_at_the_words_it_came_from() {
    let parser = common::parser();
    let q = parser.parse("检索华东地区年采购额超百万的科技类客户", common::as_of());
    let spans: Vec<&str> = q
        .filters
        .iter()
        .map(|f| f.span().expect("filters carry spans").text.as_str())
        .collect();
    assert_eq!(spans, ["华东地区", "年采购额超百万", "科技类"]);
    let q = parser.parse("价值贡献TOP20客户", common::as_of());
    assert_eq!(q.sort[0].span.as_ref().unwrap().text, "价值贡献");
    assert_eq!(q.limit.as_ref().unwrap().span.text, "TOP20");
    let q = parser.parse("近30天咨询≥5次且未成交的客户", common::as_of());
    assert_eq!(q.filters[0].span().unwrap().text, "近30天咨询≥5次");
    assert_eq!(q.filters[1].span().unwrap().text, "未成交");
}

#[test]
fn the_explain_line_reads_the_query_back_in_the_schema_s_words() {
    let parser = common::parser();
    let explain = |q: &str| kesou_nlq::explain(&parser.parse(q, common::as_of()), parser.schema());
    assert_eq!(
        explain("检索华东地区年采购额超百万的科技类客户"),
        "大区=华东 · 年采购额>100万 · 行业=科技"
    );
    assert_eq!(explain("价值贡献TOP20客户"), "按年采购额降序 · 前20");
    assert_eq!(explain("按省份统计客户数"), "按省份分组 · 数量");
    assert_eq!(explain("流失概率超过70%的客户"), "流失风险>70%");
    assert_eq!(
        explain("去年下过单的客户"),
        "有订单[下单日期在2025-01-01~2025-12-31之间]"
    );
    assert_eq!(explain("asdf科技"), "行业=科技 · 未识别「asdf」");
}

#[test]
fn ambiguous_words_take_the_glossary_reading_and_list_the_others() {
    let parser = common::parser();
    let q = parser.parse("大客户", common::as_of());
    assert_eq!(canonical(&q), "value_level=高 ; alt:大客户→规模=大型");
    assert_eq!(q.alternatives[0].chosen, "大客户");
    let q = parser.parse("吉林的客户", common::as_of());
    assert_eq!(q.alternatives[0].chosen, "省份=吉林省");
    assert_eq!(q.alternatives[0].others[0].label, "城市=吉林市");
}

#[test]
fn the_interpretation_serialises_to_the_json_contract() {
    let parser = common::parser();
    let q = parser.parse("华东地区年采购额超百万", common::as_of());
    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(json["filters"][0]["type"], "field");
    assert_eq!(json["filters"][0]["field"], "region");
    assert_eq!(json["filters"][0]["op"], "=");
    assert_eq!(json["filters"][0]["value"], "华东");
    assert_eq!(json["filters"][0]["span"]["text"], "华东地区");
    assert_eq!(json["filters"][1]["op"], ">");
    assert_eq!(json["filters"][1]["value"], 1000000.0);
    let back: kesou_nlq::Query = serde_json::from_value(json).unwrap();
    assert_eq!(back, q);
}
