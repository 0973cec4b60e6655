//! Chinese-aware text analysis shared by indexing and querying: one `Jieba` per store
//! (dictionary plus the trade names learned from the data), traditional → simplified
//! folding, search-mode words, per-character name tokens, name pinyin (words and syllable
//! grams), typed pinyin cut into syllables, and character bigrams of free text.

mod dict;
mod grams;
mod pinyin;
mod readings;
mod tokens;
mod typed;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub use dict::{learn_trade_names, trade_name};
pub use grams::{GRAMS_TOKENIZER, bigrams};
pub use kesou_domain::text::Folded;
use tokens::TokenMemo;
pub use tokens::{Mode, Tok, index_tokens, query_tilings};
pub use typed::{INITIALS_MARK, syllable_cuts, typed_grams};

use crate::Result;

/// Name under which the free-text analyzer is registered with tantivy.
pub const TEXT_TOKENIZER: &str = "kesou_text";
/// Name under which the company-name analyzer is registered with tantivy.
pub const NAME_TOKENIZER: &str = "kesou_name";
/// The tokenizer named by the pinyin fields, whose tokens are made outside tantivy
/// (pre-tokenized). The name carries the version of the readings: the index is rebuilt
/// when its schema changes, so a change to what pinyin a name gets bumps the number and
/// every index made before it is rebuilt on its next open.
pub const PINYIN_TOKENIZER: &str = "kesou_pinyin_2";

/// The analyzer of one store. Cheap to clone (the dictionary is shared); building one costs
/// about 120 ms (jieba's dictionary) plus the learned words, so build it once per process.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    learned: Arc<Vec<String>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("learned_words", &self.learned.len())
            .finish()
    }
}

impl Analyzer {
    /// jieba's dictionary plus `learned` words (trade names), added in the order given.
    pub fn new(learned: Vec<String>) -> Self {
        let mut jieba = Jieba::new();
        add_words(&mut jieba, &learned);
        Self {
            jieba: Arc::new(jieba),
            learned: Arc::new(learned),
        }
    }

    /// Loads the learned words saved beside an index (none when the file is absent).
    pub fn load(words_file: &Path) -> Result<Self> {
        let learned = match fs::read_to_string(words_file) {
            Ok(text) => text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(crate::Error::io(words_file, e)),
        };
        Ok(Self::new(learned))
    }

    /// This analyzer extended with trade names learned from `names`; `self` when none are new.
    ///
    /// New words go after the known ones (sorted among themselves) and are added to a copy of
    /// this dictionary: the same steps [`Analyzer::load`] takes with the saved file, so an
    /// analyzer extended in a running process and one loaded later are the same (a word's
    /// frequency depends on the words added before it). Copying the dictionary costs a few
    /// tens of milliseconds where building it again from the file costs a second.
    pub fn learn<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Self {
        let known: std::collections::HashSet<&str> =
            self.learned.iter().map(String::as_str).collect();
        let new: Vec<String> = learn_trade_names(&self.jieba, names)
            .into_iter()
            .filter(|w| !known.contains(w.as_str()))
            .collect();
        if new.is_empty() {
            return self.clone();
        }
        let mut jieba = (*self.jieba).clone();
        add_words(&mut jieba, &new);
        let mut learned = Vec::with_capacity(self.learned.len() + new.len());
        learned.extend(self.learned.iter().cloned());
        learned.extend(new);
        Self {
            jieba: Arc::new(jieba),
            learned: Arc::new(learned),
        }
    }

    /// How many trade names this analyzer learned from the data.
    pub fn learned_words(&self) -> usize {
        self.learned.len()
    }

    /// Saves the learned words atomically (write to a temporary file, then rename).
    pub fn save(&self, words_file: &Path) -> Result<()> {
        let tmp = words_file.with_extension("tmp");
        let mut f = fs::File::create(&tmp).map_err(|e| crate::Error::io(&tmp, e))?;
        for w in self.learned.iter() {
            writeln!(f, "{w}").map_err(|e| crate::Error::io(&tmp, e))?;
        }
        f.sync_all().map_err(|e| crate::Error::io(&tmp, e))?;
        fs::rename(&tmp, words_file).map_err(|e| crate::Error::io(words_file, e))
    }

    /// Runs the analyzer once over a sample, so that the tables built on first use
    /// (pinyin phrases, traditional characters: about two seconds) are built now rather than
    /// in the first request that needs them.
    pub fn warm_up(&self) {
        let sample = "重慶長江恒瑞精密機械有限公司";
        std::hint::black_box(self.name_pinyin(sample));
        std::hint::black_box(index_tokens(&self.jieba, sample, Mode::Name));
        std::hint::black_box(index_tokens(&self.jieba, sample, Mode::Text));
    }

    pub fn jieba(&self) -> &Jieba {
        &self.jieba
    }

    pub fn name_pinyin(&self, name: &str) -> Vec<String> {
        pinyin::name_pinyin_tokens(&self.jieba, name)
    }

    /// The syllable of every character of a name (folded; `None` for anything that has
    /// none), as the pinyin fields read it.
    pub fn name_syllables(&self, name: &str) -> Vec<Option<String>> {
        pinyin::name_syllables(name)
    }

    /// The syllable grams of a name: (character position, gram); see `pinyin.rs`.
    pub fn syllable_grams(&self, name: &str) -> Vec<(usize, String)> {
        pinyin::syllable_grams(name)
    }

    /// Query-side tilings of already folded text, see [`query_tilings`].
    pub fn query_tilings(&self, folded: &str) -> Vec<Vec<(usize, String)>> {
        query_tilings(&self.jieba, folded)
    }

    /// Registers the text and name tokenizers on a tantivy index.
    pub fn register(&self, index: &tantivy::Index) {
        let tokenizers = index.tokenizers();
        tokenizers.register(
            TEXT_TOKENIZER,
            KesouTokenizer::new(self.jieba.clone(), Mode::Text),
        );
        tokenizers.register(
            NAME_TOKENIZER,
            KesouTokenizer::new(self.jieba.clone(), Mode::Name),
        );
        tokenizers.register(GRAMS_TOKENIZER, grams::GramTokenizer::default());
        // Never runs (the pinyin fields are pre-tokenized), but tantivy wants every
        // field's tokenizer to exist.
        tokenizers.register(
            PINYIN_TOKENIZER,
            tantivy::tokenizer::RawTokenizer::default(),
        );
    }
}

/// Adds learned words in order, each as frequent as jieba suggests and at least 1000.
fn add_words(jieba: &mut Jieba, words: &[String]) {
    for word in words {
        let freq = jieba.suggest_freq(word).max(1000);
        jieba.add_word(word, Some(freq), Some("nz"));
    }
}

/// tantivy's view of the analyzer. Free text goes through a memo of the words of each
/// clause (names are mostly unique and are segmented every time). tantivy clones a
/// tokenizer for each indexing thread: a clone starts with an empty memo of its own.
struct KesouTokenizer {
    jieba: Arc<Jieba>,
    mode: Mode,
    memo: Option<TokenMemo>,
    /// The tokens of the last text, their buffers reused for the next one.
    tokens: Vec<Token>,
}

/// Token buffers a tokenizer keeps between texts; beyond this (one very long text) they
/// are let go.
const KEPT_TOKENS: usize = 1 << 16;

impl KesouTokenizer {
    fn new(jieba: Arc<Jieba>, mode: Mode) -> Self {
        let memo = (mode == Mode::Text).then(TokenMemo::default);
        Self {
            jieba,
            mode,
            memo,
            tokens: Vec::new(),
        }
    }
}

impl Clone for KesouTokenizer {
    fn clone(&self) -> Self {
        Self::new(self.jieba.clone(), self.mode)
    }
}

/// The first `len` tokens of a tokenizer's buffer (every tokenizer of this module streams
/// from one).
pub(crate) struct BufTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl<'a> BufTokenStream<'a> {
    pub(crate) fn new(tokens: &'a mut [Token]) -> Self {
        BufTokenStream { tokens, next: 0 }
    }
}

impl Tokenizer for KesouTokenizer {
    type TokenStream<'a> = BufTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufTokenStream<'a> {
        if self.tokens.len() > KEPT_TOKENS {
            self.tokens.truncate(KEPT_TOKENS);
            self.tokens.shrink_to_fit();
        }
        // Free text has a memo (`KesouTokenizer::new`); names are segmented every time.
        let len = match self.memo.as_mut() {
            Some(memo) => tokens::text_tokens_into(&self.jieba, text, memo, &mut self.tokens),
            None => {
                self.tokens.clear();
                self.tokens
                    .extend(
                        index_tokens(&self.jieba, text, self.mode)
                            .into_iter()
                            .map(|t| Token {
                                offset_from: t.from,
                                offset_to: t.to,
                                position: t.position,
                                text: t.text,
                                position_length: 1,
                            }),
                    );
                self.tokens.len()
            }
        };
        BufTokenStream {
            tokens: &mut self.tokens[..len],
            next: 0,
        }
    }
}

impl TokenStream for BufTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}
