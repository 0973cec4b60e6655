//! The number reader against its tables (`tests/data/numbers.tsv` for single forms,
//! `tests/data/questions.tsv` for whole questions) and its invariants under proptest.
//! Each table test checks every row and reports all failures at once.

use kesou_nlq::{NumberKind, NumberMatch, find_numbers, parse_number};
use proptest::prelude::*;

const NUMBERS: &str = include_str!("data/numbers.tsv");
const QUESTIONS: &str = include_str!("data/questions.tsv");

/// Data lines of a table with their 1-based line numbers, comments and blank lines left out.
fn rows(table: &str) -> impl Iterator<Item = (usize, &str)> {
    table
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
}

fn kind(name: &str) -> NumberKind {
    match name {
        "Plain" => NumberKind::Plain,
        "Amount" => NumberKind::Amount,
        "Percent" => NumberKind::Percent,
        "Count" => NumberKind::Count,
        other => panic!("unknown kind {other:?} in a table"),
    }
}

fn value(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("bad value {text:?} in a table"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// A number as the tables write it: span text, value, kind, unit.
#[derive(Debug, PartialEq)]
struct Expected<'a> {
    span: &'a str,
    value: f64,
    kind: NumberKind,
    unit: Option<&'a str>,
}

/// `None` when the match agrees with the expectation, else what differs.
fn mismatch(text: &str, got: &NumberMatch, want: &Expected) -> Option<String> {
    let span = text
        .get(got.span.clone())
        .unwrap_or("<span off char boundaries>");
    let agrees = span == want.span
        && close(got.value, want.value)
        && got.kind == want.kind
        && (want.unit.is_none() || got.unit == want.unit);
    (!agrees).then(|| format!("got {span:?}={} {:?} {:?}", got.value, got.kind, got.unit))
}

fn check_list(text: &str, got: &[NumberMatch], want: &[Expected]) -> Option<String> {
    if got.len() != want.len() {
        let spans: Vec<_> = got
            .iter()
            .map(|m| (&text[m.span.clone()], m.value))
            .collect();
        return Some(format!("expected {} numbers, got {spans:?}", want.len()));
    }
    got.iter()
        .zip(want)
        .find_map(|(g, w)| mismatch(text, g, w).map(|m| format!("{m}, expected {w:?}")))
}

#[test]
fn numbers_table() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (line, row) in rows(NUMBERS) {
        let cols: Vec<&str> = row.split('\t').collect();
        let [mode, input, want_value, span, want_kind, unit] = cols[..] else {
            panic!(
                "numbers.tsv:{line}: expected 6 tab-separated columns, got {}",
                cols.len()
            );
        };
        count += 1;
        let want = (want_value != "NONE").then(|| Expected {
            span,
            value: value(want_value),
            kind: kind(want_kind),
            unit: (unit != "-").then_some(unit),
        });
        let mut fail = |what: &str, detail: String| {
            failures.push(format!("numbers.tsv:{line} {what}({input:?}): {detail}"))
        };
        if matches!(mode, "both" | "parse") {
            match (parse_number(input), &want) {
                (None, None) => {}
                (Some(got), Some(want)) => {
                    if let Some(detail) = mismatch(input, &got, want) {
                        fail("parse_number", format!("{detail}, expected {want:?}"));
                    }
                }
                (got, want) => fail("parse_number", format!("got {got:?}, expected {want:?}")),
            }
        }
        if matches!(mode, "both" | "find") {
            let want: Vec<Expected> = want.into_iter().collect();
            if let Some(detail) = check_list(input, &find_numbers(input), &want) {
                fail("find_numbers", detail);
            }
        } else if mode != "parse" {
            panic!("numbers.tsv:{line}: mode {mode:?} is none of both, parse, find");
        }
    }
    assert!(count >= 150, "numbers.tsv has only {count} rows");
    assert!(
        failures.is_empty(),
        "{} of {count} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `百万=1e6 ; 30天=30:Count` → expectations.
fn expected_list(cell: &str) -> Vec<Expected<'_>> {
    cell.split(" ; ")
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let (span, rest) = item
                .rsplit_once('=')
                .unwrap_or_else(|| panic!("bad item {item:?}"));
            let (number, kind_name) = rest.split_once(':').unwrap_or((rest, "Plain"));
            Expected {
                span,
                value: value(number),
                kind: kind(kind_name),
                unit: None,
            }
        })
        .collect()
}

#[test]
fn questions_table() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (line, row) in rows(QUESTIONS) {
        let (question, cell) = row.split_once('\t').unwrap_or((row, ""));
        count += 1;
        if let Some(detail) = check_list(question, &find_numbers(question), &expected_list(cell)) {
            failures.push(format!("questions.tsv:{line} {question:?}: {detail}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} questions failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Text biased towards what the reader looks at: numerals, units, stop-word chars.
fn questionish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "一", "二", "两", "三", "十", "百", "千", "万", "亿", "零", "〇", "点", "壹", "佰", "萬",
        "0", "1", "5", "9", ",", ".", "，", "%", "％", "‰", "元", "块", "天", "个月", "成", "分之",
        "¥", "k", "M", "w", "TOP", " ", "million", "般", "货", "度", "科", "售", "川", "年",
        "客户", "超", "前", "第", "-", "１", "\u{3000}", "e",
    ]);
    prop::collection::vec(
        prop_oneof![
            pieces.prop_map(str::to_string),
            any::<char>().prop_map(String::from)
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn spans_are_sound(text: &str, found: &[NumberMatch]) -> Result<(), TestCaseError> {
    let mut previous_end = 0;
    for m in found {
        prop_assert!(m.span.start < m.span.end, "empty span {:?}", m.span);
        prop_assert!(
            m.span.start >= previous_end,
            "spans overlap or go back: {found:?}"
        );
        prop_assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
        prop_assert!(m.span.end <= text.len());
        prop_assert!(m.value.is_finite() && m.value >= 0.0, "value {}", m.value);
        previous_end = m.span.end;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_string_gives_sound_spans(text in any::<String>()) {
        spans_are_sound(&text, &find_numbers(&text))?;
        if let Some(m) = parse_number(&text) {
            spans_are_sound(&text, &[m])?;
        }
    }

    #[test]
    fn question_like_strings_give_sound_spans(text in questionish()) {
        let found = find_numbers(&text);
        spans_are_sound(&text, &found)?;
        if let Some(m) = parse_number(&text) {
            spans_are_sound(&text, std::slice::from_ref(&m))?;
            prop_assert_eq!(&text[m.span.clone()], text.trim());
        }
    }

    /// A number found alone reads the same inside a question: parse_number agrees with
    /// find_numbers on every span it reports.
    #[test]
    fn found_spans_parse_back(text in questionish()) {
        for m in find_numbers(&text) {
            let span = &text[m.span.clone()];
            if let Some(alone) = parse_number(span) {
                prop_assert!(close(alone.value, m.value), "{span:?}: {} alone, {} in {text:?}", alone.value, m.value);
            }
        }
    }
}
