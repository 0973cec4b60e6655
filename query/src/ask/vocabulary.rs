//! The words of a store's text that a question may name without a marker
//! ([`kesou_nlq::Schema::terms`]): the words of the index's company names (trade names
//! learned at ingest among them) and descriptions, each specific enough to be meant.
//!
//! An unknown word in a question becomes a text condition only when a marker says so
//! (做…的, 提到, 包含) or when it is one of these; anything else is listed as not understood
//! and the answer says it is partial. A word in more than [`MAX_SHARE`] of the customers'
//! names or descriptions (公司, 提供, 服务: the boilerplate of profiles) narrows nothing a
//! manager meant, so it is left out; so are single chars and numbers. Words that are common
//! in profiles but vague in questions (重点, 长期合作) are the parser's `vague.txt`.

use std::collections::{HashMap, HashSet};

use kesou_indexer::IndexHandle;
use tantivy::index::SegmentId;

use crate::Result;

/// A word in more than this share of the customers' names or descriptions is too common
/// to be meant as a condition when nothing marks it as text.
pub const MAX_SHARE: f64 = 0.15;

/// The specific words of the index's `name` and `description` fields, sorted.
pub fn index_terms(handle: &IndexHandle) -> Result<Vec<String>> {
    let mut vocabulary = Vocabulary::default();
    vocabulary.catch_up(handle)?;
    Ok(vocabulary.terms)
}

/// [`index_terms`] kept from one reader of an index to the next: each word's document
/// count summed over the segments, updated by the segments a write added and removed
/// (a segment's counts never change: `doc_freq` counts its deleted documents too), so
/// that a reader after a change batch reads the few words of its new segment instead of
/// every word of the index again (60–90 ms at 100k customers).
#[derive(Default)]
pub(crate) struct Vocabulary {
    /// The searcher whose segments the counts hold: a segment it holds and a newer reader
    /// does not (merged away) is read from it to be taken out.
    searcher: Option<tantivy::Searcher>,
    /// Per field (name, description): the documents holding each word, deleted ones too.
    counts: [HashMap<String, u64>; 2],
    /// The words, as [`index_terms`] lists them.
    terms: Vec<String>,
    /// The most documents a term may be in, when `terms` were listed.
    most: Option<u64>,
    /// Words whose counts the catch-up in progress changed, and whether each was a term.
    touched: HashMap<String, bool>,
}

impl Vocabulary {
    /// Brings the counts and terms to `handle`'s newest reader.
    pub fn catch_up(&mut self, handle: &IndexHandle) -> Result<()> {
        let caught = self.try_catch_up(handle);
        if caught.is_err() {
            // Counts half updated are worth nothing: the next reader counts every word.
            *self = Vocabulary::default();
        }
        caught
    }

    fn try_catch_up(&mut self, handle: &IndexHandle) -> Result<()> {
        let searcher = handle.index.reader()?.searcher();
        let fields = [handle.fields.name, handle.fields.description];
        let now: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        let before: HashSet<SegmentId> = self
            .searcher
            .iter()
            .flat_map(|s| s.segment_readers().iter().map(|r| r.segment_id()))
            .collect();
        if let Some(old) = self.searcher.take() {
            for segment in old.segment_readers() {
                if !now.contains(&segment.segment_id()) {
                    self.count(segment, fields, false)?;
                }
            }
        }
        for segment in searcher.segment_readers() {
            if !before.contains(&segment.segment_id()) {
                self.count(segment, fields, true)?;
            }
        }
        // Shares against every document the segments hold, deleted ones included: a word's
        // `doc_freq` counts deleted documents until their segment is merged, and a merge
        // happens in the background when it happens. Counting both sides the same way keeps
        // the vocabulary (and so how a question reads) from changing with merge timing.
        let docs: u64 = searcher
            .segment_readers()
            .iter()
            .map(|s| u64::from(s.max_doc()))
            .sum();
        self.searcher = Some(searcher);
        let most = ((docs as f64) * MAX_SHARE).max(1.0) as u64;
        let touched = std::mem::take(&mut self.touched);
        let previous = self.most.replace(most);
        // The terms stand when no word the segments changed became or stopped being one,
        // and no count lies between the old and the new bound (a write of amounts or
        // dates re-indexes customers with the words they had: the usual case).
        let kept = previous.is_some_and(|old| {
            let (lo, hi) = (old.min(most), old.max(most));
            touched
                .iter()
                .all(|(word, was)| self.is_term(word, most) == *was)
                && (lo == hi
                    || !self
                        .counts
                        .iter()
                        .any(|c| c.values().any(|&n| lo < n && n <= hi)))
        });
        if kept {
            return Ok(());
        }
        // A word's share is its larger one of the two fields (a name word and a
        // description word are counted apart).
        let [names, descriptions] = &self.counts;
        let larger = |word: &str, n: u64, other: &HashMap<String, u64>| {
            n.max(other.get(word).copied().unwrap_or(0))
        };
        let mut terms: Vec<String> = names
            .iter()
            .filter(|(w, n)| larger(w, **n, descriptions) <= most)
            .chain(
                descriptions
                    .iter()
                    .filter(|(w, n)| !names.contains_key(*w) && **n <= most),
            )
            .map(|(w, _)| w.clone())
            .collect();
        terms.sort_unstable();
        self.terms = terms;
        Ok(())
    }

    /// The terms as of the last [`Vocabulary::catch_up`].
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Whether `word` is a term with at most `most` documents.
    fn is_term(&self, word: &str, most: u64) -> bool {
        let n = self
            .counts
            .iter()
            .map(|c| c.get(word).copied().unwrap_or(0))
            .max()
            .unwrap_or(0);
        n > 0 && n <= most
    }

    /// Adds (or takes out) one segment's words of specific shape.
    fn count(
        &mut self,
        segment: &tantivy::SegmentReader,
        fields: [tantivy::schema::Field; 2],
        add: bool,
    ) -> Result<()> {
        for (i, field) in fields.into_iter().enumerate() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .stream()
                .map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                let Ok(word) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !specific_shape(word) {
                    continue;
                }
                let n = u64::from(stream.value().doc_freq);
                if let Some(most) = self.most
                    && !self.touched.contains_key(word)
                {
                    let was = self.is_term(word, most);
                    self.touched.insert(word.to_owned(), was);
                }
                let counts = &mut self.counts[i];
                if add {
                    *counts.entry(word.to_owned()).or_default() += n;
                } else if let Some(c) = counts.get_mut(word) {
                    *c = c.saturating_sub(n);
                    if *c == 0 {
                        counts.remove(word);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Two chars or more, holding a Chinese char or a letter (not a bare number).
fn specific_shape(word: &str) -> bool {
    word.chars().count() >= 2
        && word
            .chars()
            .any(|c| c.is_alphabetic() && (!c.is_ascii() || c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_chars_and_numbers_are_never_terms() {
        assert!(!specific_shape("恒"));
        assert!(!specific_shape("2024"));
        assert!(specific_shape("恒瑞"));
        assert!(specific_shape("5g"));
    }

    #[test]
    fn a_store_s_terms_hold_its_trade_names_but_not_its_common_words() {
        let reader = kesou_indexer::open_for_reading(
            &crate::testing::STORE.paths,
            &kesou_indexer::NoProgress,
        )
        .unwrap();
        let terms = index_terms(&reader.index).unwrap();
        assert!(terms.len() > 100, "{} terms", terms.len());
        assert!(!terms.iter().any(|t| t == "公司" || t == "有限公司"));
        // The trade name of a stored customer is a term.
        let name: String = reader
            .conn
            .query_row("SELECT name FROM customers ORDER BY id LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        let trade = kesou_indexer::text::trade_name(reader.index.analyzer.jieba(), &name).unwrap();
        assert!(terms.contains(&trade), "{trade} of {name}");
    }
}
