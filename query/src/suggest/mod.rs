//! Search-as-you-type: what the search box offers while a manager types. The last word is
//! completed against the schema's words (field names, values of the closed and store-filled
//! dictionaries, tags, glossary concepts), customers are found by name (prefix first, then
//! names that contain what was typed, best known first), and example questions that begin
//! with what was typed are offered whole ([`EXAMPLE_QUESTIONS`], a data file).
//!
//! A [`Suggester`] is built once per store open (it reads every customer's name and the
//! customers each value holds) and answers from memory: no SQL per keystroke. Which word is
//! "the last word" comes from the question parser: the trailing pieces it could not read
//! (华东|科, 浙江|的|制, annual pur), or the last word it did read when a longer word begins
//! with it (流失 → 流失风险).

mod names;
mod phrases;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use kesou_nlq::{FieldKind, Parser, Span};
use serde::Serialize;

use crate::ask::Asker;
use crate::ask::sql::ident;
use crate::{Result, Scope};
use names::Names;
use phrases::{Phrase, Phrases, fold};

/// The example questions, one a line (`#` comments).
pub const EXAMPLE_QUESTIONS: &str = include_str!("questions.txt");

/// The most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 10;

/// Longest input completed (longer input is a paste, not typing).
const MAX_INPUT_CHARS: usize = 200;
/// At most this many completions, customers and questions before the rest fill up.
const COMPLETIONS: usize = 6;
const CUSTOMERS: usize = 4;
const QUESTIONS: usize = 4;
/// How many trailing pieces of the input may make the word being completed (annual pur).
const MAX_WORD_PIECES: usize = 3;

/// What a suggestion completes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// A field's name: 年采购额.
    Field,
    /// A value or a glossary word: 科技, 浙江省, 长三角.
    Value,
    /// A tag: 高意向待转化.
    Tag,
    /// A customer, by name.
    Customer,
    /// An example question.
    Question,
}

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The whole input, completed: what the box holds when this is picked.
    pub text: String,
    /// What it means, shown beside it: 行业=科技, 年采购额, 标签=活跃, a customer's id, a
    /// question's reading (大区=华东 · 行业=科技).
    pub label: String,
    pub kind: SuggestionKind,
    /// The customer's id, for kind `customer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// An example question and how it reads.
#[derive(Debug, Clone)]
struct Example {
    text: String,
    folded: String,
    label: String,
}

/// Suggestions for one store, built once (see the module docs); share it across threads.
pub struct Suggester {
    parser: Arc<Parser>,
    as_of: NaiveDate,
    phrases: Phrases,
    names: Names,
    examples: Vec<Example>,
}

impl std::fmt::Debug for Suggester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suggester")
            .field("phrases", &self.phrases.len())
            .field("customers", &self.names.len())
            .field("examples", &self.examples.len())
            .finish_non_exhaustive()
    }
}

/// The example questions of [`EXAMPLE_QUESTIONS`].
pub fn example_questions() -> impl Iterator<Item = &'static str> {
    EXAMPLE_QUESTIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

impl Suggester {
    /// Reads what suggestions need from the asker's store: customers per value, every
    /// customer's name. About a second at 1M customers; build it once per store open.
    pub fn new(asker: &Asker) -> Result<Suggester> {
        let schema = asker.schema();
        let conn = asker.connection();
        let mut counts: HashMap<(String, String), u64> = HashMap::new();
        for f in schema.fields.iter().filter(|f| f.kind.has_values()) {
            let col = ident(&f.name);
            let values = if f.kind == FieldKind::Tags {
                format!(
                    "(SELECT unnest({col}) AS v FROM {})",
                    ident(schema.source())
                )
            } else {
                format!("(SELECT {col} AS v FROM {})", ident(schema.source()))
            };
            let sql = format!(
                "SELECT CAST(v AS VARCHAR), count(*) FROM {values} WHERE v IS NOT NULL GROUP BY 1"
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (value, n) = row?;
                counts.insert((f.name.clone(), value), n as u64);
            }
        }
        let parser = Arc::clone(asker.parser());
        let as_of = asker.as_of();
        let examples = example_questions()
            .map(|q| Example {
                text: q.to_owned(),
                folded: fold(q),
                label: kesou_nlq::explain(&parser.parse(q, as_of), schema),
            })
            .collect();
        Ok(Suggester {
            phrases: Phrases::new(schema, &counts),
            names: Names::load(conn)?,
            examples,
            parser,
            as_of,
        })
    }

    /// At most [`MAX_SUGGESTIONS`] suggestions for what was typed so far: completions of
    /// the last word first, then customers whose name starts with what was typed, example
    /// questions that begin with it, and customers whose name holds it. An empty input
    /// gives the first example questions.
    pub fn suggest(&self, input: &str) -> Vec<Suggestion> {
        self.suggest_in(input, None)
    }

    /// [`Suggester::suggest`] for a user who sees only the customers of `scope`: no name of
    /// another customer and no other salesperson (a value of rows they cannot see) is offered.
    pub fn suggest_in(&self, input: &str, scope: Option<&Scope>) -> Vec<Suggestion> {
        if input.trim().is_empty() {
            return self
                .examples
                .iter()
                .take(MAX_SUGGESTIONS)
                .map(question)
                .collect();
        }
        if input.chars().count() > MAX_INPUT_CHARS {
            return Vec::new();
        }
        let folded = fold(input.trim_start());
        let questions: Vec<Suggestion> = self
            .examples
            .iter()
            .filter(|e| e.folded.starts_with(&folded) && e.folded != folded)
            .map(question)
            .collect();
        let (prefixed, contained): (Vec<_>, Vec<_>) = self
            .customers(input, scope)
            .into_iter()
            .partition(|(p, _)| *p);
        let strip = |l: Vec<(bool, Suggestion)>| l.into_iter().map(|(_, s)| s).collect();
        let contained_share = CUSTOMERS.saturating_sub(prefixed.len());
        // First a share of each, in this order; then the rest fill what is left.
        let lists: [(Vec<Suggestion>, usize); 4] = [
            (self.complete(input, scope), COMPLETIONS),
            (strip(prefixed), CUSTOMERS),
            (questions, QUESTIONS),
            (strip(contained), contained_share),
        ];
        let mut out = Vec::with_capacity(MAX_SUGGESTIONS);
        let mut rest = Vec::new();
        for (mut list, share) in lists {
            rest.extend(list.split_off(share.min(list.len())));
            out.extend(list);
        }
        out.extend(rest);
        out.truncate(MAX_SUGGESTIONS);
        out
    }

    /// Completions of the word being typed.
    fn complete(&self, input: &str, scope: Option<&Scope>) -> Vec<Suggestion> {
        if input.ends_with(char::is_whitespace) {
            return Vec::new();
        }
        let (query, pieces) = self.parser.analyse(input, self.as_of);
        let unknown: Vec<&Span> = query
            .unrecognized
            .iter()
            .chain(query.text.iter().map(|t| &t.span))
            .collect();
        let is_unknown = |s: &Span| unknown.iter().any(|u| u.start <= s.start && s.end <= u.end);
        // The last piece, and the unread pieces before it: where the word may begin.
        let mut starts: Vec<usize> = Vec::new();
        for (i, p) in pieces.iter().rev().enumerate() {
            if i >= MAX_WORD_PIECES || (i > 0 && !is_unknown(&p.span)) {
                break;
            }
            starts.push(p.span.start);
        }
        // Longest word first; each meaning once, from the longest word that reaches it.
        let mut out: Vec<Suggestion> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for &start in starts.iter().rev() {
            let typed = fold(input[start..].trim_end());
            if typed.is_empty() {
                continue;
            }
            let matches: Vec<&Phrase> = self
                .phrases
                .starting_with(&typed)
                .iter()
                .filter(|p| scope.is_none_or(|s| visible_phrase(p, s)))
                .collect();
            let exact: HashSet<&str> = matches
                .iter()
                .filter(|p| p.folded == typed)
                .map(|p| p.meaning.as_str())
                .collect();
            let longer = matches.iter().filter(|p| {
                p.folded.len() > typed.len()
                    && !exact.contains(p.meaning.as_str())
                    && !seen.contains(p.meaning.as_str())
            });
            let mut best: HashMap<&str, &Phrase> = HashMap::new();
            for p in longer {
                let slot = best.entry(p.meaning.as_str()).or_insert(*p);
                if (p.canonical, std::cmp::Reverse(p.order))
                    > (slot.canonical, std::cmp::Reverse(slot.order))
                {
                    *slot = p;
                }
            }
            let mut found: Vec<&Phrase> = best.into_values().collect();
            found.sort_by_key(|p| {
                (
                    kind_rank(p.kind),
                    std::cmp::Reverse(p.weight),
                    p.text.chars().count(),
                    p.order,
                )
            });
            seen.extend(found.iter().map(|p| p.meaning.as_str()));
            out.extend(found.into_iter().map(|p| Suggestion {
                text: format!("{}{}", &input[..start], p.text),
                label: p.label.clone(),
                kind: p.kind,
                id: None,
            }));
            if !exact.is_empty() {
                // The input ends with a whole word: nothing inside it is being typed.
                break;
            }
        }
        out
    }

    /// Customers whose name starts with (true) or holds (false) the input's last run of
    /// text (after the last space or punctuation).
    fn customers(&self, input: &str, scope: Option<&Scope>) -> Vec<(bool, Suggestion)> {
        let trimmed = input.trim_end();
        let start = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace() || is_separator(*c))
            .map_or(0, |(at, c)| at + c.len_utf8());
        let word = &trimmed[start..];
        // An id being typed (C00001, c00001): the customers whose id starts so.
        let id = word.to_ascii_uppercase();
        let found = if id.len() >= 3
            && id.starts_with('C')
            && id[1..].bytes().all(|b| b.is_ascii_digit())
        {
            self.names.with_id_prefix(&id, MAX_SUGGESTIONS, scope)
        } else {
            let key = kesou_domain::text::name_key(word);
            if key.chars().count() < 2 {
                return Vec::new();
            }
            self.names.find_in(&key, MAX_SUGGESTIONS, scope)
        };
        found
            .into_iter()
            .map(|f| {
                (
                    f.prefix,
                    Suggestion {
                        text: format!("{}{}", &trimmed[..start], f.name),
                        label: f.id.to_owned(),
                        kind: SuggestionKind::Customer,
                        id: Some(f.id.to_owned()),
                    },
                )
            })
            .collect()
    }
}

/// Whether a user with this scope may be offered the phrase: salespeople (values of the
/// `owner` field) only when the scope names them.
fn visible_phrase(p: &Phrase, scope: &Scope) -> bool {
    match p.meaning.strip_prefix("value:owner=") {
        None => true,
        Some(owner) => scope
            .rules()
            .iter()
            .any(|r| r.field == "owner" && r.values.iter().any(|v| v == owner)),
    }
}

fn question(e: &Example) -> Suggestion {
    Suggestion {
        text: e.text.clone(),
        label: e.label.clone(),
        kind: SuggestionKind::Question,
        id: None,
    }
}

fn kind_rank(kind: SuggestionKind) -> u8 {
    match kind {
        SuggestionKind::Value => 0,
        SuggestionKind::Tag => 1,
        SuggestionKind::Field => 2,
        SuggestionKind::Customer => 3,
        SuggestionKind::Question => 4,
    }
}

fn is_separator(c: char) -> bool {
    c.is_ascii_punctuation() || "，。、；：？！「」『』（）《》".contains(c)
}
