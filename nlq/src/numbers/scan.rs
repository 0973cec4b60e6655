//! The scanner: tries a number at each place of the text, left to right, and applies the
//! rules that need the context of a question (a lone 三 needs a word before it, B2B is a
//! name); `parse_whole` reads one string as one number without them.

use super::numeral::{self, Scan, Shape, big_unit, is_chinese_numeral, small_unit};
use super::{NumberKind, NumberMatch, stopwords, suffix};
use kesou_domain::text::{Fold, Folded};

/// Whether the text is a question (context rules apply) or one string meant as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Question,
    Whole,
}

/// Chars after which a lone Chinese numeral (三, 十, 万) is a number: 前三, 大于五, 第一.
const ANNOUNCERS: &str = "前第近超过于到至和与或及为是满逾达约仅共≥≤><=~-,、:";

/// A number read at some index: its end (char index) and what it is.
struct Read {
    end: usize,
    value: f64,
    kind: NumberKind,
    unit: Option<&'static str>,
}

/// What to do at one index.
enum Step {
    Found(usize, Read),
    /// Nothing here; go on at this index.
    Skip(usize),
}

/// One text being scanned, with the chars that stop words take out of play.
struct Scanner<'a> {
    t: Folded<'a>,
    stopped: Vec<bool>,
    mode: Mode,
}

pub(super) fn find_all(text: &str) -> Vec<NumberMatch> {
    let s = Scanner::new(text, Mode::Question);
    let mut found = Vec::new();
    let mut i = 0;
    while i < s.t.len() {
        match s.step(i) {
            Step::Found(start, read) => {
                i = read.end;
                found.push(s.to_match(start, read));
            }
            Step::Skip(next) => i = next.max(i + 1),
        }
    }
    found
}

pub(super) fn parse_whole(text: &str) -> Option<NumberMatch> {
    let s = Scanner::new(text, Mode::Whole);
    let t = &s.t;
    let start = t.skip_while(0, char::is_whitespace);
    let end = (start..t.len())
        .rev()
        .find(|&i| !t.get(i).is_some_and(char::is_whitespace))?
        + 1;
    match s.step(start) {
        Step::Found(at, read) if at == start && read.end == end => Some(s.to_match(start, read)),
        _ => None,
    }
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str, mode: Mode) -> Self {
        let t = Folded::new(text, Fold::WIDTH);
        let stopped = stopwords::mask(&t);
        Scanner { t, stopped, mode }
    }

    fn to_match(&self, start: usize, read: Read) -> NumberMatch {
        NumberMatch {
            value: read.value,
            span: self.t.bytes(start..read.end),
            kind: read.kind,
            unit: read.unit,
        }
    }

    fn numeral(&self, i: usize) -> Scan {
        numeral::scan(&self.t, i, &|j| {
            self.stopped.get(j).copied().unwrap_or(false)
        })
    }

    /// Tries a number starting at `i`, prefixes (¥, 百分之) included.
    fn step(&self, i: usize) -> Step {
        let t = &self.t;
        let Some(c) = t
            .get(i)
            .filter(|&c| c.is_ascii_digit() || is_chinese_numeral(c) || is_yuan_sign(c))
        else {
            return Step::Skip(i + 1);
        };
        if is_yuan_sign(c) {
            return match self.number(t.skip_spaces(i + 1)) {
                Ok(read) if read.kind != NumberKind::Percent => Step::Found(
                    i,
                    Read {
                        kind: NumberKind::Amount,
                        unit: Some("元"),
                        ..read
                    },
                ),
                _ => Step::Skip(i + 1),
            };
        }
        for (prefix, divisor) in [("百分之", 100.0), ("千分之", 1000.0)] {
            if let Some(at) = t.word_at(i, prefix) {
                return match self.numeral(at) {
                    Scan::Found(n) => Step::Found(
                        i,
                        Read {
                            end: n.end,
                            value: n.value / divisor,
                            kind: NumberKind::Percent,
                            unit: None,
                        },
                    ),
                    _ => Step::Skip(at),
                };
            }
        }
        match self.number(i) {
            Ok(read) => Step::Found(i, read),
            Err(next) => Step::Skip(next),
        }
    }

    /// A numeral at `i` with its suffix, or the index to go on at.
    fn number(&self, i: usize) -> Result<Read, usize> {
        let t = &self.t;
        if glued_before(t, i) {
            return Err(skip_token(t, i));
        }
        let skip_numerals =
            |from: usize| t.skip_while(from, |c| is_chinese_numeral(c) || c.is_ascii_digit());
        let n = match self.numeral(i) {
            Scan::Found(n) => n,
            Scan::Nothing => return Err(i + 1),
            Scan::Reject => return Err(skip_numerals(i)),
        };
        if estimate(t, i, n.end) {
            return Err(skip_numerals(n.end + 1));
        }
        let (mut end, mut value) = (n.end, n.value);
        if n.shape == Shape::Arabic
            && let Some((after, factor)) = suffix::magnitude(t, end)
        {
            end = after;
            value *= factor;
        }
        let (end, value, kind, unit) = if let Some((after, divisor)) = suffix::percent(t, end) {
            (after, value / divisor, NumberKind::Percent, None)
        } else if let Some(after) = tenths(t, &n, end) {
            (after, value / 10.0, NumberKind::Percent, None)
        } else if let Some(after) = suffix::currency(t, end) {
            (after, value, NumberKind::Amount, Some("元"))
        } else if let Some((after, unit)) = suffix::measure(t, end) {
            (after, value, NumberKind::Count, Some(unit))
        } else if runs_into_letters(t, end) {
            return Err(skip_token(t, i));
        } else {
            (end, value, NumberKind::Plain, None)
        };
        if self.mode == Mode::Question
            && let Shape::Lone { capital } = n.shape
        {
            let announced = t.before(i).is_some_and(|c| ANNOUNCERS.contains(c));
            if capital || (kind == NumberKind::Plain && !announced) {
                return Err(i + 1);
            }
        }
        Ok(Read {
            end,
            value,
            kind,
            unit,
        })
    }
}

/// 上万, 几十, 数百万, 十几万: a round number with 上, 几 or 数 before it or 几 after it is an
/// estimate, not a number.
fn estimate(t: &Folded, start: usize, end: usize) -> bool {
    let starts_with_unit = t
        .get(start)
        .is_some_and(|c| small_unit(c).is_some() || big_unit(c).is_some());
    let vague_before = starts_with_unit
        && t.before(start)
            .is_some_and(|c| matches!(c, '上' | '几' | '数'));
    vague_before || t.get(end) == Some('几')
}

fn is_yuan_sign(c: char) -> bool {
    matches!(c, '¥' | '￥')
}

/// 七成: tenths after a Chinese numeral from one to ten.
fn tenths(t: &Folded, n: &numeral::Numeral, end: usize) -> Option<usize> {
    let small_whole = n.value.fract() == 0.0 && (1.0..=10.0).contains(&n.value);
    (n.shape != Shape::Arabic && small_whole)
        .then(|| suffix::tenths(t, end))
        .flatten()
}

/// Digits right after ASCII letters are part of a name or code (B2B, iPhone15, v2.0),
/// except after TOP in any case (TOP20).
fn glued_before(t: &Folded, i: usize) -> bool {
    if !t.get(i).is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    match t.before(i) {
        Some(c) if c.is_ascii_alphabetic() => {
            let word_start = (0..i)
                .rev()
                .take_while(|&j| t.get(j).is_some_and(|c| c.is_ascii_alphabetic()))
                .last();
            let word: String = (word_start.unwrap_or(i)..i)
                .filter_map(|j| t.get(j))
                .collect();
            !word.eq_ignore_ascii_case("top")
        }
        Some('.') => t.before(i - 1).is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Whether the number (ending with an ASCII digit or letter) runs into ASCII letters: 5G, 1e6.
fn runs_into_letters(t: &Folded, end: usize) -> bool {
    let last_ascii = t.before(end).is_some_and(|c| c.is_ascii_alphanumeric());
    last_ascii && t.get(end).is_some_and(|c| c.is_ascii_alphanumeric())
}

/// The end of the ASCII token around `i` (letters, digits and points): B2B, v2.0.
fn skip_token(t: &Folded, i: usize) -> usize {
    t.skip_while(i, |c| c.is_ascii_alphanumeric() || c == '.')
}
