//! Text folded for matching, one folded char per typed char, each with its byte range in
//! what was typed: the index analyzer, the question parser, its number scanner and the
//! suggestions all fold through here, so that a highlight, a span or a completion points
//! into the original text and a word folds the same in every layer.
//!
//! The fold is always full width → half width; [`Fold`] adds traditional → simplified,
//! ASCII lower case and leaving out spaces between Chinese chars. A simplification that
//! changes the length (OpenCC converts some phrases as a whole) falls back to char by char,
//! which keeps the alignment at the price of context.

use std::ops::Range;

use super::{to_halfwidth, to_simplified};

/// What a fold does beyond full width → half width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    /// Traditional to simplified Chinese.
    pub script: bool,
    /// ASCII upper case to lower case.
    pub case: bool,
    /// Spaces between Chinese chars left out (有 没 有, 杭州　科技): words read the same
    /// however they are spaced, and spans still cover what was typed.
    pub cjk_spaces: bool,
}

impl Fold {
    /// Width only: the number scanner, which must still see how each digit was typed.
    pub const WIDTH: Fold = Fold {
        script: false,
        case: false,
        cjk_spaces: false,
    };
    /// Width and script: the index analyzer (its tokens are lower-cased as tokens).
    pub const SCRIPT: Fold = Fold {
        script: true,
        ..Fold::WIDTH
    };
    /// Width, script and case: words completed as typed (suggestions).
    pub const WORDS: Fold = Fold {
        case: true,
        ..Fold::SCRIPT
    };
    /// All of it: a question as the parser reads it.
    pub const QUESTION: Fold = Fold {
        cjk_spaces: true,
        ..Fold::WORDS
    };

    /// The folded text alone, for words that need no offsets.
    pub fn text(self, s: &str) -> String {
        Folded::new(s, self).chars.into_iter().collect()
    }
}

/// Text folded by a [`Fold`], with the byte offsets of every folded char in the original.
#[derive(Debug, Clone)]
pub struct Folded<'a> {
    pub original: &'a str,
    /// The folded chars, one per char of the original (less the spaces left out).
    pub chars: Vec<char>,
    /// Byte offset of every char in the original, plus the original's length at the end.
    starts: Vec<usize>,
    /// Byte offset just after every char, when spaces were left out (otherwise the next
    /// char's start).
    ends: Option<Vec<usize>>,
}

impl<'a> Folded<'a> {
    pub fn new(original: &'a str, fold: Fold) -> Folded<'a> {
        let mut starts: Vec<usize> = original.char_indices().map(|(at, _)| at).collect();
        let count = starts.len();
        starts.push(original.len());
        let half = to_halfwidth(original);
        let mut chars: Vec<char> = if !fold.script {
            half.chars().collect()
        } else {
            let simple = to_simplified(&half);
            if simple.chars().count() == count {
                simple.chars().collect()
            } else {
                half.chars()
                    .map(|c| {
                        let mut buf = [0u8; 4];
                        to_simplified(c.encode_utf8(&mut buf))
                            .chars()
                            .next()
                            .unwrap_or(c)
                    })
                    .collect()
            }
        };
        if fold.case {
            chars.iter_mut().for_each(|c| c.make_ascii_lowercase());
        }
        let mut folded = Folded {
            original,
            chars,
            starts,
            ends: None,
        };
        if fold.cjk_spaces {
            folded.leave_out_cjk_spaces();
        }
        folded
    }

    fn leave_out_cjk_spaces(&mut self) {
        let chars = &self.chars;
        let mut keep = vec![true; chars.len()];
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_whitespace() {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if i > 0 && j < chars.len() && is_cjk(chars[i - 1]) && is_cjk(chars[j]) {
                keep[i..j].iter_mut().for_each(|k| *k = false);
            }
            i = j;
        }
        if !keep.contains(&false) {
            return;
        }
        let len = self.chars.len();
        let mut ends: Vec<usize> = self.starts[1..].to_vec();
        let mut n = 0;
        for k in 0..len {
            if keep[k] {
                self.chars[n] = self.chars[k];
                self.starts[n] = self.starts[k];
                ends[n] = ends[k];
                n += 1;
            }
        }
        self.starts[n] = self.starts[len];
        self.chars.truncate(n);
        self.starts.truncate(n + 1);
        ends.truncate(n);
        self.ends = Some(ends);
    }

    /// The folded text as a string.
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The char before `i`, if any.
    pub fn before(&self, i: usize) -> Option<char> {
        i.checked_sub(1).and_then(|j| self.get(j))
    }

    /// Byte offset of char `i` in the original (the original's length at the end).
    pub fn byte(&self, i: usize) -> usize {
        self.starts[i]
    }

    /// Byte offset just after the chars before `i` in the original: the end of a span
    /// that stops before char `i` (a space left out after it is not part of it).
    pub fn end(&self, i: usize) -> usize {
        match (&self.ends, i) {
            (_, 0) => self.starts[0],
            (Some(ends), _) => ends[i - 1],
            (None, _) => self.starts[i],
        }
    }

    /// The byte range in the original of the chars `range`.
    pub fn bytes(&self, range: Range<usize>) -> Range<usize> {
        self.byte(range.start)..self.end(range.end)
    }

    /// The original byte range of chars `start..end`, both clamped to the text.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let last = self.len();
        (self.byte(start.min(last)), self.end(end.min(last)))
    }

    /// The char index at a byte offset of the original.
    pub fn char_at_byte(&self, byte: usize) -> usize {
        self.starts.partition_point(|&b| b < byte)
    }

    /// What was typed for chars `from..to`.
    pub fn slice(&self, from: usize, to: usize) -> &'a str {
        &self.original[self.starts[from]..self.end(to)]
    }

    /// Whether the char at `i` was typed as ASCII, not full width: a ，between ASCII digits
    /// separates list items, between full-width digits it groups thousands.
    pub fn typed_ascii(&self, i: usize) -> bool {
        i < self.len() && self.end(i + 1) - self.starts[i] == 1
    }

    /// Whether `word` is written at `i`; returns the index just after it.
    pub fn word_at(&self, i: usize, word: &str) -> Option<usize> {
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
    pub fn ascii_word_at(&self, i: usize, word: &str) -> Option<usize> {
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
    pub fn skip_spaces(&self, mut i: usize) -> usize {
        while self.get(i) == Some(' ') {
            i += 1;
        }
        i
    }

    /// The first index from `i` on whose char fails `keep`.
    pub fn skip_while(&self, mut i: usize, keep: impl Fn(char) -> bool) -> usize {
        while self.get(i).is_some_and(&keep) {
            i += 1;
        }
        i
    }
}

/// Whether a char is a Chinese ideograph (the CJK blocks and their extensions).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_and_script_and_keeps_original_offsets() {
        let f = Folded::new("華為ＡＢＣ公司", Fold::SCRIPT);
        assert_eq!(f.text(), "华为ABC公司");
        assert_eq!(f.original_range(0, 2), (0, 6));
        assert_eq!(f.original_range(2, 5), (6, 15));
        assert_eq!(f.original_range(5, 7), (15, 21));
        assert_eq!(f.original_range(5, 99), (15, 21));
    }

    #[test]
    fn folds_case_for_questions_but_keeps_offsets() {
        let t = Folded::new("華東ＴＯＰ２０客户", Fold::QUESTION);
        assert_eq!(t.text(), "华东top20客户");
        assert_eq!(t.slice(0, 2), "華東");
        assert_eq!(t.slice(2, 5), "ＴＯＰ");
        assert_eq!(t.char_at_byte(6), 2);
        assert_eq!(Fold::WORDS.text("Ｅ通 科技"), "e通 科技");
    }

    #[test]
    fn spaces_between_chinese_chars_are_left_out_and_spans_keep_them() {
        let t = Folded::new("有 没　有 top 20", Fold::QUESTION);
        assert_eq!(t.text(), "有没有 top 20");
        assert_eq!(t.slice(0, 3), "有 没　有");
        assert_eq!(t.slice(1, 2), "没");
        assert_eq!(Fold::WORDS.text("有 没"), "有 没");
    }

    #[test]
    fn width_only_keeps_script_and_says_how_each_char_was_typed() {
        let t = Folded::new("超１００万元 ok", Fold::WIDTH);
        assert_eq!(t.get(1), Some('1'));
        assert_eq!(t.bytes(1..5), 3..15);
        assert_eq!(&"超１００万元 ok"[t.bytes(1..6)], "１００万元");
        assert!(!t.typed_ascii(1) && t.typed_ascii(7));
        assert_eq!(Fold::WIDTH.text("華東　ＡＢ"), "華東 AB");
        assert_eq!(t.ascii_word_at(7, "OK"), Some(9));
        assert_eq!(t.word_at(4, "万元"), Some(6));
    }

    #[test]
    fn every_fold_keeps_one_char_per_typed_char() {
        for s in ["", "臺灣的後台", "ＡＢＣ　華東 有 沒 有", "a\u{3000}b"] {
            for fold in [Fold::WIDTH, Fold::SCRIPT, Fold::WORDS] {
                assert_eq!(Folded::new(s, fold).len(), s.chars().count(), "{s:?}");
            }
        }
    }
}
