//! The entry point of the question fuzz target (`fuzz/`) and of the test that replays its
//! seeds on stable: a question through the parser, with the promises the parser makes
//! checked. Not part of kesou's API.

use chrono::NaiveDate;

use crate::{Filter, Parser, Role, find_numbers};

/// The dates a fuzz input's first byte picks as `as_of`: a normal day, a leap day, and the
/// ends of the calendar (relative time must not overflow there).
pub const AS_OF: &[(i32, u32, u32)] = &[(2026, 6, 30), (2024, 2, 29), (1, 1, 1), (9999, 12, 31)];

/// Splits a fuzz input into `as_of` (its first byte) and the question (the rest, lossily
/// UTF-8).
pub fn split_input(input: &[u8]) -> Option<(NaiveDate, String)> {
    let (&pick, rest) = input.split_first()?;
    let (y, m, d) = AS_OF[pick as usize % AS_OF.len()];
    let as_of = NaiveDate::from_ymd_opt(y, m, d).expect("a real date");
    Some((as_of, String::from_utf8_lossy(rest).into_owned()))
}

fn check_spans(q: &str, f: &Filter) {
    if let Some(s) = f.span() {
        assert_eq!(
            &q[s.start..s.end],
            s.text,
            "a span's text is the question's"
        );
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

/// Parses `question` and panics when a promise breaks: no panic inside; pieces in order,
/// on char boundaries, covering every char that is not a space; every unrecognised piece
/// listed in the query; spans that quote the question; a question of which nothing was
/// understood asks for nothing; numbers found on char boundaries.
pub fn check_question(parser: &Parser, question: &str, as_of: NaiveDate) {
    let q = question;
    for m in find_numbers(q) {
        assert!(m.span.start < m.span.end && m.span.end <= q.len());
        assert!(q.is_char_boundary(m.span.start) && q.is_char_boundary(m.span.end));
    }
    let (query, pieces) = parser.analyse(q, as_of);
    let mut covered = vec![false; q.len()];
    let mut last_end = 0;
    for p in &pieces {
        assert!(
            p.span.start >= last_end && p.span.start < p.span.end,
            "{pieces:?}"
        );
        assert!(q.is_char_boundary(p.span.start) && q.is_char_boundary(p.span.end));
        assert_eq!(&q[p.span.start..p.span.end], p.span.text.as_str());
        covered[p.span.start..p.span.end]
            .iter_mut()
            .for_each(|c| *c = true);
        last_end = p.span.end;
    }
    for (at, c) in q.char_indices() {
        assert!(
            c.is_whitespace() || covered[at],
            "char {c:?} at {at} of {q:?} is in no piece"
        );
    }
    for p in pieces.iter().filter(|p| p.role == Role::Unrecognized) {
        assert!(
            query
                .unrecognized
                .iter()
                .any(|u| u.start <= p.span.start && p.span.end <= u.end),
            "unrecognised piece {:?} of {q:?} is not listed",
            p.span.text
        );
    }
    for u in &query.unrecognized {
        assert_eq!(&q[u.start..u.end], u.text.as_str());
    }
    for f in &query.filters {
        check_spans(q, f);
    }
    if pieces.iter().all(|p| p.role != Role::Used) {
        assert!(
            query.is_empty(),
            "{q:?}: nothing understood must ask for nothing"
        );
    }
    // The readings people see are made from any query without failing.
    let _ = crate::explain(&query, parser.schema());
    let _ = crate::canonical(&query);
}
