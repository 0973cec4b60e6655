//! The question as the parser reads it: one folded char per typed char (half width,
//! simplified, lower case; spaces between Chinese chars left out), each with its byte offset
//! in what the user typed, so that every span points into the original question.

use kesou_domain::text::{to_halfwidth, to_simplified};

pub(crate) struct Text<'q> {
    pub(crate) original: &'q str,
    pub(crate) chars: Vec<char>,
    /// Byte offset of every char in the original, plus the original's length at the end.
    starts: Vec<usize>,
    /// Byte offset just after every char in the original.
    ends: Vec<usize>,
}

impl<'q> Text<'q> {
    pub(crate) fn new(original: &'q str) -> Self {
        let mut starts: Vec<usize> = original.char_indices().map(|(at, _)| at).collect();
        starts.push(original.len());
        let half = to_halfwidth(original);
        let simple = to_simplified(&half);
        let folded: Vec<char> = if simple.chars().count() == starts.len() - 1 {
            simple.chars().collect()
        } else {
            // A phrase conversion changed the length: fold char by char instead.
            half.chars()
                .map(|c| {
                    let mut buf = [0u8; 4];
                    to_simplified(c.encode_utf8(&mut buf))
                        .chars()
                        .next()
                        .unwrap_or(c)
                })
                .collect()
        };
        let mut chars: Vec<char> = folded.into_iter().map(fold_case).collect();
        let mut ends: Vec<usize> = starts[1..].to_vec();
        // Spaces between Chinese chars mean nothing (有 没 有, 杭州　科技): drop them, so
        // words read the same however they are spaced. Spans still cover what was typed.
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
        if keep.contains(&false) {
            let mut n = 0;
            for k in 0..chars.len() {
                if keep[k] {
                    chars[n] = chars[k];
                    starts[n] = starts[k];
                    ends[n] = ends[k];
                    n += 1;
                }
            }
            starts[n] = starts[chars.len()];
            chars.truncate(n);
            starts.truncate(n + 1);
            ends.truncate(n);
        }
        Text {
            original,
            chars,
            starts,
            ends,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.chars.len()
    }

    /// Byte offset of char `i` in the original (the original's length at the end).
    pub(crate) fn byte(&self, i: usize) -> usize {
        self.starts[i]
    }

    /// Byte offset just after the chars before `i` in the original: the end of a span
    /// that stops before char `i` (a space left out after it is not part of it).
    pub(crate) fn end(&self, i: usize) -> usize {
        if i == 0 {
            self.starts[0]
        } else {
            self.ends[i - 1]
        }
    }

    /// The char index at a byte offset of the original.
    pub(crate) fn char_at_byte(&self, byte: usize) -> usize {
        self.starts.partition_point(|&b| b < byte)
    }

    pub(crate) fn slice(&self, from: usize, to: usize) -> &'q str {
        &self.original[self.starts[from]..self.end(to)]
    }
}

fn fold_case(c: char) -> char {
    c.to_ascii_lowercase()
}

/// Whether a char is part of an English word or a number as written: letters and digits.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_script_and_case_but_keeps_offsets() {
        let t = Text::new("華東ＴＯＰ２０客户");
        assert_eq!(t.chars.iter().collect::<String>(), "华东top20客户");
        assert_eq!(t.slice(0, 2), "華東");
        assert_eq!(t.slice(2, 5), "ＴＯＰ");
        assert_eq!(t.char_at_byte(6), 2);
    }

    #[test]
    fn spaces_between_chinese_chars_are_left_out_and_spans_keep_them() {
        let t = Text::new("有 没　有 top 20");
        assert_eq!(t.chars.iter().collect::<String>(), "有没有 top 20");
        assert_eq!(t.slice(0, 3), "有 没　有");
        assert_eq!(t.slice(1, 2), "没");
    }
}
