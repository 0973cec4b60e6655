//! The text as the number scanner sees it: one half-width char per original char, each with
//! its byte offset in the original, so that spans always point into what the user typed.

use std::ops::Range;

/// The text folded char by char with [`kesou_domain::text::to_halfwidth`]'s rule.
pub(super) struct Folded {
    chars: Vec<char>,
    /// Byte offset of every char in the original text, plus the text's length at the end.
    starts: Vec<usize>,
}

impl Folded {
    pub(super) fn new(s: &str) -> Self {
        let mut chars = Vec::with_capacity(s.len());
        let mut starts = Vec::with_capacity(s.len() + 1);
        for (at, c) in s.char_indices() {
            chars.push(fold(c));
            starts.push(at);
        }
        starts.push(s.len());
        Folded { chars, starts }
    }

    pub(super) fn len(&self) -> usize {
        self.chars.len()
    }

    pub(super) fn get(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The char before `i`, if any.
    pub(super) fn before(&self, i: usize) -> Option<char> {
        i.checked_sub(1).and_then(|j| self.get(j))
    }

    /// Whether the char at `i` was typed as ASCII, not full width: a ，between ASCII digits
    /// separates list items, between full-width digits it groups thousands.
    pub(super) fn typed_ascii(&self, i: usize) -> bool {
        i < self.len() && self.starts[i + 1] - self.starts[i] == 1
    }

    /// The byte range in the original text of the chars `range`.
    pub(super) fn bytes(&self, range: Range<usize>) -> Range<usize> {
        self.starts[range.start]..self.starts[range.end]
    }

    /// Whether `word` is written at `i`; returns the index just after it.
    pub(super) fn word_at(&self, i: usize, word: &str) -> Option<usize> {
        let mut j = i;
        for w in word.chars() {
            if self.get(j) != Some(w) {
                return None;
            }
            j += 1;
        }
        Some(j)
    }

    /// Like [`Folded::word_at`] for an ASCII word, in any case, and not followed by another
    /// ASCII letter (so "million" does not match in "millionaire").
    pub(super) fn ascii_word_at(&self, i: usize, word: &str) -> Option<usize> {
        let mut j = i;
        for w in word.chars() {
            if !self.get(j).is_some_and(|c| c.eq_ignore_ascii_case(&w)) {
                return None;
            }
            j += 1;
        }
        (!self.get(j).is_some_and(|c| c.is_ascii_alphabetic())).then_some(j)
    }

    /// The first index from `i` on that is not a space.
    pub(super) fn skip_spaces(&self, mut i: usize) -> usize {
        while self.get(i) == Some(' ') {
            i += 1;
        }
        i
    }

    /// The first index from `i` on whose char fails `keep`.
    pub(super) fn skip_while(&self, mut i: usize, keep: impl Fn(char) -> bool) -> usize {
        while self.get(i).is_some_and(&keep) {
            i += 1;
        }
        i
    }
}

/// Full-width ASCII (U+FF01..U+FF5E) to half-width and the ideographic space to a space: the
/// per-char rule of `kesou_domain::text::to_halfwidth` (a test keeps the two in step).
fn fold(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        c => c,
    }
}

/// Chinese and other wide scripts: text that glued English unit letters must not run into.
pub(super) fn is_cjk(c: char) -> bool {
    c >= '\u{2E80}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_matches_the_domain_rule_for_every_wide_char() {
        let wide = ('\u{FF00}'..='\u{FF65}').chain(['\u{3000}', '\u{3001}', '\u{FFE5}', '万']);
        for c in wide {
            let domain = kesou_domain::text::to_halfwidth(&c.to_string()).into_owned();
            assert_eq!(fold(c).to_string(), domain, "{c:?}");
        }
    }

    #[test]
    fn spans_point_into_the_original_bytes() {
        let t = Folded::new("超１００万元");
        assert_eq!(t.get(1), Some('1'));
        assert_eq!(t.bytes(1..5), 3..15);
        assert_eq!(&"超１００万元"[t.bytes(1..6)], "１００万元");
    }
}
