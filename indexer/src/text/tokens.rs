//! Segmentation into index tokens and query tokens.
//!
//! Positions are character offsets into the folded text, so a query can ask for words at
//! exact relative offsets (tantivy's phrase query with offsets) whatever the segmentation
//! inside the document: 建设银行 at offsets (0) matches the document's 建设@n 银行@n+2 as
//! well as its 建设银行@n.

use std::borrow::Cow;
use std::collections::HashMap;

use jieba_rs::Jieba;

use kesou_domain::text::{Fold, Folded};

/// One token: its text (folded, lower-cased), character position, original byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub text: String,
    pub position: usize,
    pub from: usize,
    pub to: usize,
}

/// What is being tokenized, which decides the extra tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Free text (descriptions, notes, tags): search-mode words and the dictionary words
    /// inside long words.
    Text,
    /// Company names: as `Text`, plus every CJK character on its own (so any substring of a
    /// name is findable as a phrase of characters) and legal-form synonyms.
    Name,
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Tokens for the index. Indexing free text goes through [`text_tokens_into`] and a
/// [`TokenMemo`], which give the same tokens.
pub fn index_tokens(jieba: &Jieba, original: &str, mode: Mode) -> Vec<Tok> {
    let folded = Folded::new(original, Fold::SCRIPT);
    let text = folded.text();
    let text = text.as_str();
    let mut out = Vec::new();
    let push = |out: &mut Vec<Tok>, word: String, start: usize, end: usize| {
        let (from, to) = folded.original_range(start, end);
        out.push(Tok {
            text: word,
            position: start,
            from,
            to,
        });
    };
    for (start, end, word) in block_words(jieba, text) {
        push(&mut out, word, start, end);
    }
    if mode == Mode::Name {
        for (i, c) in text.chars().enumerate() {
            if is_cjk(c) {
                push(&mut out, c.encode_utf8(&mut [0; 4]).to_owned(), i, i + 1);
            }
        }
        // 有限责任公司 and 有限公司 are the same legal form: index the short one too.
        if let (body, Some(form)) = kesou_domain::text::split_legal_form(text)
            && form.ends_with("有限责任公司")
        {
            let at = body.chars().count() + form.chars().count() - "有限责任公司".chars().count();
            push(&mut out, "有限公司".to_owned(), at, at + 6);
        }
    }
    out.sort_by(|a, b| {
        a.position
            .cmp(&b.position)
            .then(a.text.len().cmp(&b.text.len()))
    });
    out.dedup_by(|a, b| a.position == b.position && a.text == b.text);
    out
}

/// The words of folded `text` (search mode, plus the longer dictionary words inside long
/// words), lower-cased, with their character ranges, in jieba's order.
fn block_words(jieba: &Jieba, text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for t in jieba.cut_for_search(text, true) {
        if !t.word.chars().any(is_word_char) {
            continue;
        }
        out.push((t.start, t.end, t.word.to_lowercase()));
        // Search mode offers the 2- and 3-character dictionary words of a long word; add
        // the longer ones too, so 建设银行 is found inside 中国建设银行.
        let len = t.end - t.start;
        if len >= 5 {
            let chars: Vec<(usize, char)> = t.word.char_indices().collect();
            for sub_len in 4..len {
                for i in 0..=len - sub_len {
                    let from = chars[i].0;
                    let to = chars.get(i + sub_len).map_or(t.word.len(), |c| c.0);
                    let sub = &t.word[from..to];
                    if jieba.has_word(sub) {
                        out.push((t.start + i, t.start + i + sub_len, sub.to_lowercase()));
                    }
                }
            }
        }
    }
    out
}

/// A character at which jieba always ends a word block: ASCII other than letters, digits
/// and the joiners it keeps inside words (`+#&._%-`), CJK punctuation (、。「」) and the
/// full-width forms. Jieba's own blocks end at these and at more characters; splitting at
/// fewer places than jieba does gives the same words, as jieba splits what it is given.
fn is_break(c: char) -> bool {
    if c.is_ascii() {
        !(c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-'))
    } else {
        matches!(c, '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}')
    }
}

enum Piece<'a> {
    /// Text between breaks, starting at character `at`.
    Block {
        at: usize,
        text: &'a str,
    },
    Break {
        at: usize,
        c: char,
    },
}

/// `text` cut at its breaks.
fn pieces(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = text.char_indices().peekable();
    let mut at = 0;
    std::iter::from_fn(move || {
        let (start, c) = rest.next()?;
        let here = at;
        at += 1;
        if is_break(c) {
            return Some(Piece::Break { at: here, c });
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = rest.peek() {
            if is_break(c) {
                break;
            }
            rest.next();
            at += 1;
            end = i + c.len_utf8();
        }
        Some(Piece::Block {
            at: here,
            text: &text[start..end],
        })
    })
}

/// The words of blocks seen before, for one dictionary: a tokenizer keeps one (each
/// indexing thread has its own clone), so no lock is taken. Bounded: when full it starts
/// again, which keeps the blocks that recur most within reach.
pub(crate) struct TokenMemo {
    words: HashMap<Box<str>, Box<[Word]>, rustc_hash::FxBuildHasher>,
    /// Blocks held before starting again.
    cap: usize,
}

impl Default for TokenMemo {
    fn default() -> Self {
        Self {
            words: HashMap::default(),
            cap: MEMO_BLOCKS,
        }
    }
}

/// A word of a block: its character range in the block and its text.
type Word = (usize, usize, Box<str>);

/// Blocks a memo holds before it starts again (a few tens of MB at most).
const MEMO_BLOCKS: usize = 200_000;

/// Blocks longer than this (in bytes) are segmented every time: long runs rarely repeat.
const MEMO_BLOCK_BYTES: usize = 96;

impl TokenMemo {
    fn words(&mut self, jieba: &Jieba, block: &str) -> Cow<'_, [Word]> {
        if block.len() > MEMO_BLOCK_BYTES {
            let mut words = boxed(block_words(jieba, block));
            in_token_order(&mut words);
            return Cow::Owned(words);
        }
        // Looked up before anything is allocated: most blocks are found.
        if !self.words.contains_key(block) {
            if self.words.len() >= self.cap {
                self.words.clear();
            }
            let mut words = boxed(block_words(jieba, block));
            in_token_order(&mut words);
            self.words.insert(block.into(), words.into_boxed_slice());
        }
        Cow::Borrowed(&self.words[block])
    }
}

/// Sorts a block's words as [`index_tokens`] orders tokens (by start, then length; stable)
/// and drops repeats: blocks follow each other in the text, so the words of consecutive
/// blocks come out in token order with nothing left to sort.
fn in_token_order(words: &mut Vec<Word>) {
    words.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.len().cmp(&b.2.len())));
    words.dedup_by(|a, b| a.0 == b.0 && a.2 == b.2);
}

/// The `Mode::Text` tokens of `original` (as [`index_tokens`] makes them) written into
/// `out` as tantivy tokens, reusing the tokens and text buffers already there; returns how
/// many were written (`out` may hold more, left from longer texts). Indexing calls this
/// for every text value: no token allocates once the buffers have grown, and nothing is
/// sorted, as the memo holds each block's words in token order.
pub(crate) fn text_tokens_into(
    jieba: &Jieba,
    original: &str,
    memo: &mut TokenMemo,
    out: &mut Vec<tantivy::tokenizer::Token>,
) -> usize {
    let folded = Folded::new(original, Fold::SCRIPT);
    let text = folded.text();
    let mut n = 0;
    let mut put = |word: &str, start: usize, end: usize| {
        let (from, to) = folded.original_range(start, end);
        if n == out.len() {
            out.push(tantivy::tokenizer::Token::default());
        }
        let t = &mut out[n];
        t.text.clear();
        t.text.push_str(word);
        t.offset_from = from;
        t.offset_to = to;
        t.position = start;
        t.position_length = 1;
        n += 1;
    };
    let mut lower = [0u8; 16];
    for piece in pieces(&text) {
        match piece {
            Piece::Block { at, text } => {
                for (start, end, word) in memo.words(jieba, text).iter() {
                    put(word, at + start, at + end);
                }
            }
            // What jieba makes of a character outside its word blocks: a token of its own.
            Piece::Break { at, c } => {
                if is_word_char(c) {
                    let mut len = 0;
                    for l in c.to_lowercase() {
                        len += l.encode_utf8(&mut lower[len..]).len();
                    }
                    put(
                        std::str::from_utf8(&lower[..len]).expect("chars"),
                        at,
                        at + 1,
                    );
                }
            }
        }
    }
    n
}

fn boxed(words: Vec<(usize, usize, String)>) -> Vec<Word> {
    words
        .into_iter()
        .map(|(s, e, w)| (s, e, w.into_boxed_str()))
        .collect()
}

/// A query's words with their character offsets, two ways: the segmentation a person
/// would make (`cut`), and the finest tiling of each word by shorter dictionary words.
/// A document matches a group of words if it has either tiling at the right offsets.
pub fn query_tilings(jieba: &Jieba, folded_query: &str) -> Vec<Vec<(usize, String)>> {
    let coarse: Vec<(usize, String)> = jieba
        .cut(folded_query, true)
        .into_iter()
        .filter(|t| t.word.chars().any(is_word_char))
        .map(|t| (t.start, t.word.to_lowercase()))
        .collect();
    let mut fine = Vec::new();
    for (start, word) in &coarse {
        match finest_tiling(jieba, word) {
            Some(parts) => fine.extend(parts.into_iter().map(|(off, w)| (start + off, w))),
            None => fine.push((*start, word.clone())),
        }
    }
    let mut out = vec![coarse];
    if out[0] != fine {
        out.push(fine);
    }
    out.retain(|t| !t.is_empty());
    out
}

/// Splits a word of 3+ CJK characters into shorter dictionary words covering it exactly,
/// longest first from the left; `None` when the word is short or cannot be tiled.
fn finest_tiling(jieba: &Jieba, word: &str) -> Option<Vec<(usize, String)>> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 || !chars.iter().all(|c| is_cjk(*c)) {
        return None;
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let longest = (2..chars.len())
            .rev()
            .filter(|l| i + l <= chars.len())
            .find(|l| {
                let w: String = chars[i..i + l].iter().collect();
                jieba.has_word(&w)
            });
        let len = longest?;
        parts.push((i, chars[i..i + len].iter().collect()));
        i += len;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

    fn texts(toks: &[Tok]) -> Vec<(usize, &str)> {
        toks.iter().map(|t| (t.position, t.text.as_str())).collect()
    }

    #[test]
    fn long_words_carry_their_dictionary_sub_words() {
        let toks = index_tokens(&JIEBA, "中国建设银行股份有限公司", Mode::Text);
        let t = texts(&toks);
        assert!(t.contains(&(2, "建设银行")), "{t:?}");
        assert!(t.contains(&(2, "建设")), "{t:?}");
        assert!(t.contains(&(4, "银行")), "{t:?}");
    }

    #[test]
    fn names_get_characters_and_legal_form_synonyms() {
        let toks = index_tokens(&JIEBA, "恒瑞精密机械有限责任公司", Mode::Name);
        let t = texts(&toks);
        assert!(t.contains(&(0, "恒")) && t.contains(&(1, "瑞")), "{t:?}");
        assert!(t.contains(&(6, "有限公司")), "{t:?}");
        // positions never go backwards (tantivy requires it)
        assert!(toks.windows(2).all(|w| w[0].position <= w[1].position));
    }

    #[test]
    fn offsets_point_into_the_original_traditional_text() {
        let original = "華為技術";
        let toks = index_tokens(&JIEBA, original, Mode::Text);
        let hw = toks.iter().find(|t| t.text == "华为").expect("华为 token");
        assert_eq!(&original[hw.from..hw.to], "華為");
    }

    #[test]
    fn mixed_scripts_stay_whole_and_lowercase() {
        let toks = index_tokens(&JIEBA, "支持5G与iPhone配件，型号ABC-123", Mode::Text);
        let t: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
        for want in ["5g", "iphone", "abc-123", "abc"] {
            assert!(t.contains(&want), "{want} missing in {t:?}");
        }
    }

    /// Notes as people write them: clauses with numbers, models and names, in simplified
    /// and traditional script, with full-width and ASCII punctuation, kana, line breaks.
    fn notes() -> Vec<String> {
        let clauses = [
            "客户询问精密轴承的价格",
            "希望3天内给出报价",
            "跟進記錄：陪同朱经理拜訪客戶",
            "洽談年度框架協議",
            "咨询GK-7738型号是否有替代方案",
            "支持5G与iPhone配件",
            "中国建设银行股份有限公司来电",
            "预算约498万元",
            "ＡＢＣ－１２３到货",
            "カタログ送付済み",
            "WES-5.4.5版本升级",
            "a.b_c%d&e#f+g",
            "Café订单",
            "这是一段很长的没有任何标点的跟进记录客户希望我们尽快安排工程师上门调试设备并且提供培训服务",
            "",
        ];
        let seps = [
            "，",
            "。",
            ", ",
            "\n",
            "\r\n",
            "；",
            "!",
            "、",
            " ",
            "·",
            "（备注）",
        ];
        let mut out = Vec::new();
        for (i, a) in clauses.iter().enumerate() {
            for (j, b) in clauses.iter().enumerate() {
                let sep = seps[(i * 7 + j) % seps.len()];
                let end = seps[(i + j * 3) % seps.len()];
                out.push(format!("{a}{sep}{b}{end}{a}"));
            }
        }
        out
    }

    #[test]
    fn memoised_tokens_written_into_reused_buffers_are_the_tokens() {
        for cap in [3, MEMO_BLOCKS] {
            let mut memo = TokenMemo {
                cap,
                ..TokenMemo::default()
            };
            let mut buf = Vec::new();
            // Twice, the second time backwards: the memo is read, and the buffers hold
            // more tokens than are written (long texts then short ones).
            let mut all = notes();
            all.extend(notes().into_iter().rev());
            for note in all {
                let n = text_tokens_into(&JIEBA, &note, &mut memo, &mut buf);
                let got: Vec<Tok> = buf[..n]
                    .iter()
                    .map(|t| Tok {
                        text: t.text.clone(),
                        position: t.position,
                        from: t.offset_from,
                        to: t.offset_to,
                    })
                    .collect();
                assert_eq!(
                    got,
                    index_tokens(&JIEBA, &note, Mode::Text),
                    "{note:?} (memo of {cap})"
                );
            }
            assert!(memo.words.len() <= cap.max(1));
        }
    }

    #[test]
    fn query_tilings_offer_a_fine_alternative() {
        let tilings = query_tilings(&JIEBA, "精密机械");
        assert!(
            tilings
                .iter()
                .any(|t| t == &vec![(0, "精密".to_owned()), (2, "机械".to_owned())]),
            "{tilings:?}"
        );
    }
}
