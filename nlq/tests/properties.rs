//! Invariants over any input: the parser never panics, and every character of a question is
//! either used, glue (的, 客户, show) or listed as unrecognised: nothing is dropped silently.

mod common;

use std::sync::OnceLock;

use kesou_nlq::{Filter, Parser, Role};
use proptest::prelude::*;

fn parser() -> &'static Parser {
    static PARSER: OnceLock<Parser> = OnceLock::new();
    PARSER.get_or_init(common::parser)
}

/// Pieces of real questions, glued at random: far more likely than random text to reach the
/// rules that combine words.
const FRAGMENTS: &[&str] = &[
    "华东",
    "地区",
    "年采购额",
    "超",
    "百万",
    "的",
    "科技类",
    "客户",
    "浙江",
    "杭州",
    "制造业",
    "近30天",
    "咨询",
    "≥",
    "5次",
    "且",
    "未成交",
    "价值贡献",
    "TOP20",
    "按",
    "省份",
    "统计",
    "客户数",
    "各",
    "行业",
    "平均",
    "流失风险高",
    "忠诚",
    "500万",
    "以上",
    "金融",
    "排序",
    "非",
    "除了",
    "以外",
    "不是",
    "和",
    "或",
    "、",
    "去年",
    "下过单",
    "投诉过",
    "近一个月",
    "有",
    "投诉",
    "前10",
    "最高的",
    "5家",
    "从高到低",
    "注册资本",
    "做",
    "新能源电池",
    "提到",
    "1.5亿",
    "两千万",
    "三点五万",
    "壹佰万元",
    "2,500,000 元",
    "介于",
    "之间",
    "百分之十五",
    "成立于",
    "2020年",
    "以来",
    "半年内",
    "今年",
    "长三角",
    "中小企业",
    "tech",
    "customers",
    "in",
    "East China",
    "over",
    "1 million",
    "top",
    "by",
    "not",
    "last",
    "90",
    "days",
    "吉林",
    "大客户",
    "高意向待转化",
    "前",
    "最",
    "到",
    "-",
    "~",
    "？",
    "，",
    " ",
    "asdf",
    "嗯",
    "2024-01-01",
    "年",
    "月",
    "天",
    "%",
    "0.7",
    "名称含",
];

fn question() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\p{Han}a-zA-Z0-9 ,.%<>=≥≤、，？-]{0,40}",
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..12).prop_map(|v| v.concat()),
    ]
}

fn check_spans(q: &str, f: &Filter) {
    if let Some(s) = f.span() {
        assert_eq!(&q[s.start..s.end], s.text, "span text matches the question");
    }
    match f {
        Filter::Any { any: inner, .. } | Filter::All { all: inner, .. } => {
            inner.iter().for_each(|f| check_spans(q, f))
        }
        Filter::Not { not, .. } => check_spans(q, not),
        Filter::Related(r) => r.filters.iter().for_each(|f| check_spans(q, f)),
        Filter::Field(_) => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_question_parses_and_every_char_is_used_or_listed(q in question()) {
        let (query, pieces) = parser().analyse(&q, common::as_of());
        // Pieces are ordered, on char boundaries, and cover every non-space char.
        let mut covered = vec![false; q.len()];
        let mut last_end = 0;
        for p in &pieces {
            prop_assert!(p.span.start >= last_end && p.span.start < p.span.end);
            prop_assert!(q.is_char_boundary(p.span.start) && q.is_char_boundary(p.span.end));
            prop_assert_eq!(&q[p.span.start..p.span.end], p.span.text.as_str());
            covered[p.span.start..p.span.end].iter_mut().for_each(|c| *c = true);
            last_end = p.span.end;
        }
        for (at, c) in q.char_indices() {
            prop_assert!(c.is_whitespace() || covered[at], "char {c:?} at {at} of {q:?} is in no piece");
        }
        // What is unrecognised is listed in the query, and only that.
        for p in pieces.iter().filter(|p| p.role == Role::Unrecognized) {
            prop_assert!(
                query.unrecognized.iter().any(|u| u.start <= p.span.start && p.span.end <= u.end),
                "unrecognised piece {:?} of {q:?} is not listed", p.span.text
            );
        }
        for u in &query.unrecognized {
            prop_assert_eq!(&q[u.start..u.end], u.text.as_str());
        }
        for f in &query.filters {
            check_spans(&q, f);
        }
        for t in &query.text {
            prop_assert!(!t.text.trim().is_empty());
        }
        // A question with nothing understood asks for nothing: it cannot mean every row.
        if pieces.iter().all(|p| p.role != Role::Used) {
            prop_assert!(query.is_empty());
        }
    }
}
