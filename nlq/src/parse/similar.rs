//! Lookalike questions: 和苏州恒瑞精密机械有限公司类似的客户, 和C0000123、C0000456相似的华东客户,
//! 像C0000123这样的客户, C0000123的相似客户, customers similar to C0000123. The seeds are read
//! before anything else, so that the words of a company name (苏州, 有限公司) stay part of it
//! rather than becoming filters.

use super::assemble::Asm;
use super::lexicon::{Meaning, Word};
use crate::query::{Seed, Similar};

impl Asm<'_, '_> {
    pub(super) fn similar(&mut self) {
        let n = self.t.len();
        let Some(closer) = (0..n).find(|&i| self.is(i, Word::Like)) else {
            return self.similar_open_only();
        };
        // 和 / 与 / 跟 / 像 … 相似: the seeds lie between.
        let opener = (0..closer)
            .rev()
            .find(|&i| self.is(i, Word::And) || self.is(i, Word::LikeOpen));
        let english = self.text.chars[self.t[closer].from].is_ascii_alphabetic();
        let (first, last, mut used) = match opener {
            Some(o) if o + 1 < closer && !english => (o + 1, closer - 1, vec![o, closer]),
            _ if english => {
                // similar to C0000123 (in East China …): the seeds follow.
                let mut end = closer + 1;
                while end < n && self.seed_word(end) {
                    end += 1;
                }
                if end == closer + 1 {
                    return;
                }
                (closer + 1, end - 1, vec![closer])
            }
            _ => {
                // C0000123的相似客户: the seeds open the question.
                if closer < 2 || !self.is_text(closer - 1, "的") {
                    return;
                }
                let first = (0..closer - 1)
                    .find(|&i| self.meanings(i).first() != Some(&Meaning::Word(Word::Filler)))
                    .unwrap_or(closer - 1);
                if first >= closer - 1 {
                    return;
                }
                (first, closer - 2, vec![closer - 1, closer])
            }
        };
        self.take_seeds(first, last, &mut used);
    }

    /// 像C0000123的客户 / 类似于恒瑞精密的企业: an opener with no closer; the seeds run to 的.
    fn similar_open_only(&mut self) {
        let Some(o) = (0..self.t.len()).find(|&i| self.is(i, Word::LikeOpen)) else {
            return;
        };
        let mut end = o + 1;
        while end < self.t.len() && !self.is_text(end, "的") && self.free(end) {
            end += 1;
        }
        if end == o + 1 {
            return;
        }
        self.take_seeds(o + 1, end - 1, &mut vec![o]);
    }

    /// Whether token `i` may be part of an English seed list: ids, names, commas.
    fn seed_word(&self, i: usize) -> bool {
        if !self.free(i) {
            return false;
        }
        matches!(
            self.meanings(i).first(),
            None | Some(Meaning::Word(Word::Comma | Word::And | Word::RangeSep))
        )
    }

    fn is_text(&self, i: usize, text: &str) -> bool {
        self.free(i) && self.original(i, i) == text
    }

    /// Seeds are the tokens `first..=last`, split at 、 , and English "and".
    fn take_seeds(&mut self, first: usize, last: usize, used: &mut Vec<usize>) {
        let mut seeds = Vec::new();
        let mut start = first;
        for i in first..=last + 1 {
            let split = i > last
                || self.is(i, Word::Comma)
                || (self.is(i, Word::And) && self.text.chars[self.t[i].from].is_ascii_alphabetic())
                || (i == first && self.is(i, Word::RangeSep));
            if !split {
                continue;
            }
            if i > start {
                let words: Vec<usize> = (start..i).collect();
                let span = self.span(&words);
                let text = span.text.trim().to_string();
                if !text.is_empty() {
                    seeds.push(Seed { text, span });
                }
            }
            start = i + 1;
        }
        if seeds.is_empty() {
            return;
        }
        used.extend(first..=last);
        let span = self.span(used);
        self.mark(used);
        self.q.similar = Some(Similar { seeds, span });
    }
}
