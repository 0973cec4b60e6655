//! Free text to a tantivy query, the way people search company names in Chinese.
//!
//! The text splits into groups at spaces and commas; every group must match (「招商 公司」
//! needs both), each group in any field. A group matches a field when the field holds its
//! words at the same relative character offsets: either as a person would segment them
//! (建设银行) or finer (建设 + 银行), so segmentation differences between a short query and a
//! long document do not lose the match. Names also match character by character, so any
//! part of a name is findable; description, tags and notes also match by character pairs
//! (`grams`), so a term written there literally is found whatever jieba made of the text
//! around it (钢结构 inside 轻钢结构), below the word matches. Names also match by pinyin
//! and initials (huawei, hwkj): as exact word runs (`name_py`) and, cut into syllables, as
//! a phrase over the name's syllable grams (`name_syl`), so pinyin of any run of a name's
//! syllables finds it (`jisengongying` → 基森供应链, whose words are 基森供 and 应链;
//! `gzdz` → 桂正电子商务). Legal forms are equivalent and optional: a group that is only a
//! legal form (公司) ranks but does not filter, and 有限责任公司 matches 有限公司 names.

use kesou_domain::text::{Fold, LEGAL_FORMS, split_legal_form};
use kesou_indexer::IndexHandle;
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::{Error, Result};

/// Longest text we search; longer input is a mistake or an attack, not a search.
pub const MAX_TEXT_CHARS: usize = 256;

const NAME_BOOST: f32 = 3.0;
const NAME_CHARS_BOOST: f32 = 2.0;
const PINYIN_BOOST: f32 = 2.5;
/// Typed pinyin matching a run of syllables across word boundaries: below a match of the
/// name's own word runs (`PINYIN_BOOST`), which it also finds.
const SYLLABLES_BOOST: f32 = 2.0;
const INITIALS_BOOST: f32 = 1.5;
const TAGS_BOOST: f32 = 1.5;
const DESCRIPTION_BOOST: f32 = 1.0;
const NOTES_BOOST: f32 = 0.5;
const CUSTOM_BOOST: f32 = 0.5;
const LEGAL_FORM_BOOST: f32 = 0.3;
/// Chinese text found only as written (character pairs of description, tags and notes):
/// below every word match, which it also finds.
const GRAMS_BOOST: f32 = 0.4;

/// The words of a text query as the index sees them, for highlighting outside tantivy.
#[derive(Debug, Default)]
pub struct TextQuery {
    pub query: Option<Box<dyn Query>>,
    /// Folded words of the query (for cheap pre-filtering of note lines).
    pub words: Vec<String>,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

fn words_query(field: Field, words: &[(usize, String)]) -> Box<dyn Query> {
    if words.len() == 1 {
        Box::new(TermQuery::new(
            Term::from_field_text(field, &words[0].1),
            IndexRecordOption::WithFreqs,
        ))
    } else {
        let base = words[0].0;
        Box::new(PhraseQuery::new_with_offset(
            words
                .iter()
                .map(|(off, w)| (off - base, Term::from_field_text(field, w)))
                .collect(),
        ))
    }
}

/// Splits query text into groups: runs between white space and commas.
fn groups(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|g| !g.is_empty())
        .collect()
}

///
/// `custom` searches the text of the store's own fields too (客户来源：展会): a search of
/// someone who sees them all. A question's text terms do not (a question names such a
/// field and its value instead: 客户来源是展会的).
pub fn build(handle: &IndexHandle, text: &str, custom: bool) -> Result<TextQuery> {
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Error::BadRequest(format!(
            "search text has {chars} characters; at most {MAX_TEXT_CHARS} are allowed"
        )));
    }
    let folded = Fold::SCRIPT.text(text).to_lowercase();
    let f = &handle.fields;
    let mut required: Vec<Box<dyn Query>> = Vec::new();
    let mut optional: Vec<Box<dyn Query>> = Vec::new();
    let mut words = Vec::new();
    for group in groups(&folded) {
        if LEGAL_FORMS.contains(&group) {
            optional.push(boosted(
                Box::new(TermQuery::new(
                    Term::from_field_text(f.name, group),
                    IndexRecordOption::WithFreqs,
                )),
                LEGAL_FORM_BOOST,
            ));
            continue;
        }
        let (body, form) = split_legal_form(group);
        if let Some(form) = form {
            let canonical = if form.ends_with("有限责任公司") {
                "有限公司"
            } else {
                form
            };
            optional.push(boosted(
                Box::new(TermQuery::new(
                    Term::from_field_text(f.name, canonical),
                    IndexRecordOption::WithFreqs,
                )),
                LEGAL_FORM_BOOST,
            ));
        }
        let tilings = handle.analyzer.query_tilings(body);
        if tilings.is_empty() {
            continue; // punctuation only
        }
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for tiling in &tilings {
            words.extend(tiling.iter().map(|(_, w)| w.clone()));
            let custom = f.custom.filter(|_| custom).map(|c| (c, CUSTOM_BOOST));
            for (field, boost) in [
                (f.name, NAME_BOOST),
                (f.tags, TAGS_BOOST),
                (f.description, DESCRIPTION_BOOST),
                (f.notes, NOTES_BOOST),
            ]
            .into_iter()
            .chain(custom)
            {
                alternatives.push((Occur::Should, boosted(words_query(field, tiling), boost)));
            }
        }
        let body_chars: Vec<char> = body.chars().collect();
        if body_chars.iter().all(|c| is_cjk(*c)) {
            let per_char: Vec<(usize, String)> = body_chars
                .iter()
                .enumerate()
                .map(|(i, c)| (i, c.to_string()))
                .collect();
            alternatives.push((
                Occur::Should,
                boosted(words_query(f.name, &per_char), NAME_CHARS_BOOST),
            ));
            if let Some(grams) = f.grams
                && body_chars.len() >= 2
            {
                let pairs = kesou_indexer::text::bigrams(body);
                alternatives.push((
                    Occur::Should,
                    boosted(words_query(grams, &pairs), GRAMS_BOOST),
                ));
            }
        }
        if body.chars().all(|c| c.is_ascii_alphanumeric())
            && body.chars().any(|c| c.is_ascii_alphabetic())
        {
            let term = Term::from_field_text(f.name_py, body);
            alternatives.push((
                Occur::Should,
                boosted(
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    PINYIN_BOOST,
                ),
            ));
            if let Some(name_syl) = f.name_syl {
                for grams in kesou_indexer::text::typed_grams(body) {
                    let initials = grams[0].1.starts_with(kesou_indexer::text::INITIALS_MARK);
                    alternatives.push((
                        Occur::Should,
                        boosted(
                            words_query(name_syl, &grams),
                            if initials {
                                INITIALS_BOOST
                            } else {
                                SYLLABLES_BOOST
                            },
                        ),
                    ));
                }
            }
        }
        required.push(Box::new(BooleanQuery::new(alternatives)));
    }
    if required.is_empty() {
        // Only legal forms (「公司」): then they are what the user asked for.
        std::mem::swap(&mut required, &mut optional);
    }
    if required.is_empty() {
        return Ok(TextQuery { query: None, words });
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = required
        .into_iter()
        .map(|q| (Occur::Must, q))
        .chain(optional.into_iter().map(|q| (Occur::Should, q)))
        .collect();
    words.sort();
    words.dedup();
    Ok(TextQuery {
        query: Some(Box::new(BooleanQuery::new(clauses))),
        words,
    })
}

#[cfg(test)]
mod tests {
    use super::groups;

    #[test]
    fn groups_split_on_spaces_and_commas() {
        assert_eq!(groups("招商 公司"), ["招商", "公司"]);
        assert_eq!(groups("  华为，中兴、 abc "), ["华为", "中兴", "abc"]);
    }
}
