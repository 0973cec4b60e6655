//! Character bigrams of free text, so a term written literally is found whatever jieba
//! makes of the text around it.
//!
//! jieba segments 轻钢结构厂房 as 轻钢 / 结构 / 厂房, so the word 钢结构 is not in the text
//! field, and a customer whose description holds 钢结构 would be missed (at 100k generated
//! customers, 钢结构 found 1,425 of the 3,014 that contain it). The grams field holds every
//! pair of adjacent Chinese characters at its character position (轻钢@0 钢结@1 结构@2 构厂@3
//! …); a query term of Chinese characters is the phrase of its pairs (钢结@0 结构@1), which
//! matches exactly the texts that contain it. The query ORs this with the word match, so
//! texts found by words keep ranking first (`query/src/text_query.rs`).
//!
//! Only pairs of Chinese characters are indexed: letters and digits are words jieba keeps
//! whole, and a single character is too common to be worth a posting list here.

use tantivy::tokenizer::{Token, Tokenizer};

use super::BufTokenStream;
use super::tokens::is_cjk;
use kesou_domain::text::{Fold, Folded};

/// Name under which the bigram tokenizer is registered with tantivy.
pub const GRAMS_TOKENIZER: &str = "kesou_grams";

/// The bigrams of folded `text`: (character position, bigram), in position order.
pub fn bigrams(folded: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = folded.chars().collect();
    chars
        .windows(2)
        .enumerate()
        .filter(|(_, w)| is_cjk(w[0]) && is_cjk(w[1]))
        .map(|(i, w)| (i, w.iter().collect()))
        .collect()
}

/// tantivy's view: folds the text (traditional to simplified, full-width to half-width)
/// and emits its bigrams with offsets into the original text, for highlights.
#[derive(Clone, Default)]
pub(crate) struct GramTokenizer {
    tokens: Vec<Token>,
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = BufTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufTokenStream<'a> {
        self.tokens.clear();
        let folded = Folded::new(text, Fold::SCRIPT);
        let mut chars = folded.chars.iter().copied().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            let Some(&(_, next)) = chars.peek() else {
                break;
            };
            if is_cjk(c) && is_cjk(next) {
                let (from, to) = folded.original_range(i, i + 2);
                let mut gram = String::with_capacity(8);
                gram.push(c);
                gram.push(next);
                self.tokens.push(Token {
                    offset_from: from,
                    offset_to: to,
                    position: i,
                    text: gram,
                    position_length: 1,
                });
            }
        }
        BufTokenStream::new(&mut self.tokens)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::TokenStream;

    use super::*;

    #[test]
    fn pairs_of_chinese_characters_at_their_positions() {
        assert_eq!(
            bigrams("轻钢结构, 5G基站"),
            vec![
                (0, "轻钢".to_owned()),
                (1, "钢结".to_owned()),
                (2, "结构".to_owned()),
                (8, "基站".to_owned())
            ]
        );
        let mut t = GramTokenizer::default();
        let mut s = t.token_stream("輕鋼結構");
        let mut got = Vec::new();
        while s.advance() {
            let tok = s.token();
            got.push((
                tok.position,
                tok.text.clone(),
                tok.offset_from,
                tok.offset_to,
            ));
        }
        assert_eq!(
            got,
            vec![
                (0, "轻钢".to_owned(), 0, 6),
                (1, "钢结".to_owned(), 3, 9),
                (2, "结构".to_owned(), 6, 12)
            ]
        );
    }
}
