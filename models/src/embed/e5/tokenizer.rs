//! XLM-R's SentencePiece unigram tokenizer rebuilt from the E5S1 file, the way the file's
//! own engine (`e5.c`) runs it: each codepoint through the normalisation map, runs of spaces
//! collapsed to one, a leading `▁` unless the text starts with a space, every space made
//! `▁`, then the most probable split into pieces (Viterbi over the scores; the `tokenizers`
//! crate's Unigram model). A character no piece covers is `<unk>`, one per character (the
//! crate fuses a run of them into one token; the engine does not, so they are split again).

use tokenizers::Model;
use tokenizers::models::unigram::Unigram;

use super::file::Vocab;
use crate::{Error, Result};

const META: char = '\u{2581}';

pub(crate) struct E5Tokenizer {
    model: Unigram,
    normalise: std::collections::HashMap<char, Vec<char>>,
    pub bos: u32,
    pub eos: u32,
    unk: u32,
}

impl E5Tokenizer {
    pub fn new(vocab: &Vocab) -> Result<E5Tokenizer> {
        let pieces = vocab
            .pieces
            .iter()
            .zip(&vocab.scores)
            .enumerate()
            .map(|(i, (p, s))| {
                // The engine never matches the text "<unk>" as the unknown piece: give it a
                // spelling no normalised text contains (U+0001 is always dropped).
                let p = if i == vocab.unk as usize {
                    format!("\u{1}{p}")
                } else {
                    p.clone()
                };
                (p, f64::from(*s))
            })
            .collect();
        let model = Unigram::from(pieces, Some(vocab.unk as usize), false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut normalise = vocab.normalise.clone();
        normalise.entry('\u{1}').or_default();
        Ok(E5Tokenizer {
            model,
            normalise,
            bos: vocab.bos,
            eos: vocab.eos,
            unk: vocab.unk,
        })
    }

    /// The text as the pieces are spelled: normalised, spaces collapsed and made `▁`.
    pub fn normalise(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 3);
        let mut last_space = false;
        let mut first = true;
        for c in text.chars() {
            let mapped = self.normalise.get(&c);
            let chars: &mut dyn Iterator<Item = char> = match mapped {
                Some(v) => &mut v.iter().copied(),
                None => &mut std::iter::once(c),
            };
            for c in chars {
                if c == ' ' && last_space {
                    continue;
                }
                if first && c != ' ' {
                    out.push(META);
                }
                first = false;
                last_space = c == ' ';
                out.push(if c == ' ' { META } else { c });
            }
        }
        if first {
            out.push(META);
        }
        out
    }

    /// The piece ids of a text, without `<s>` and `</s>`.
    pub fn content_ids(&self, text: &str) -> Result<Vec<u32>> {
        let normalised = self.normalise(text);
        let tokens = self
            .model
            .tokenize(&normalised)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut ids = Vec::with_capacity(tokens.len());
        for t in tokens {
            if t.id == self.unk {
                ids.extend(std::iter::repeat_n(self.unk, t.value.chars().count()));
            } else {
                ids.push(t.id);
            }
        }
        Ok(ids)
    }
}
