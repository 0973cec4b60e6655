//! The parser: the question is folded, split into known words, numbers and unknown runs
//! (`lex`), and the words are assembled into a [`Query`] (`assemble`), each part tied to the
//! span it came from.

mod assemble;
mod conditions;
mod lexicon;
mod ordering;
mod similar;
mod text;
mod time;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use kesou_domain::text::Fold;

use crate::numbers::{NumberMatch, find_numbers};
use crate::query::{Query, Span};
use crate::schema::Schema;
use crate::{Error, Result};
use lexicon::{Lexicon, Meaning};
use text::Text;

/// Parses questions against one schema. Build it once (the lexicon takes a few milliseconds
/// for a store's value dictionaries) and share it: parsing takes `&self`.
pub struct Parser {
    schema: Schema,
    lexicon: Arc<Lexicon>,
    /// [`Schema::terms`], folded the way questions are.
    terms: HashSet<String>,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("table", &self.schema.table)
            .finish_non_exhaustive()
    }
}

/// How one piece of the question was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Part of a condition, ordering, grouping, measure or text term of the query.
    Used,
    /// A word that carries no condition of its own: 的, 客户, 有哪些, show.
    Glue,
    /// Not understood: listed in [`Query::unrecognized`].
    Unrecognized,
}

/// A piece of the question and how it was read, for `--explain` and for checking that
/// nothing was dropped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Piece {
    pub span: Span,
    pub role: Role,
}

impl Parser {
    pub fn new(schema: Schema) -> Result<Parser> {
        schema.check()?;
        if schema.fields.is_empty() {
            return Err(Error::Schema("a schema needs at least one field".into()));
        }
        let lexicon = Arc::new(Lexicon::new(&schema));
        let terms = folded_terms(&schema.terms);
        Ok(Parser {
            schema,
            lexicon,
            terms,
        })
    }

    /// This parser with another vocabulary of the table's text ([`Schema::terms`]): after
    /// the store changed, its new trade names and words are text a question may name. The
    /// lexicon is shared, so this costs the words only.
    pub fn with_terms(&self, terms: Vec<String>) -> Parser {
        let mut schema = self.schema.clone();
        schema.terms = terms;
        Parser {
            terms: folded_terms(&schema.terms),
            schema,
            lexicon: Arc::clone(&self.lexicon),
        }
    }

    /// Whether folded `run` is made of the schema's known text words ([`Schema::terms`]),
    /// each of at least two chars: 恒瑞精密 from 恒瑞 and 精密. An unknown run that is not
    /// is no text condition (see `assemble::leftovers`).
    pub(crate) fn knows_text(&self, run: &[char]) -> bool {
        const LONGEST: usize = 16;
        if self.terms.is_empty() || run.len() < 2 {
            return false;
        }
        let mut reach = vec![false; run.len() + 1];
        reach[0] = true;
        let mut word = String::new();
        for i in 0..run.len() {
            if !reach[i] {
                continue;
            }
            word.clear();
            word.push(run[i]);
            for j in i + 2..=run.len().min(i + LONGEST) {
                word.push(run[j - 1]);
                if !reach[j] && self.terms.contains(&word) {
                    reach[j] = true;
                }
            }
        }
        reach[run.len()]
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Reads a question; relative times are resolved against `as_of`. Never fails: what is
    /// not understood is listed in `unrecognized`.
    pub fn parse(&self, question: &str, as_of: NaiveDate) -> Query {
        self.analyse(question, as_of).0
    }

    /// [`Parser::parse`], plus every piece of the question with how it was read.
    pub fn analyse(&self, question: &str, as_of: NaiveDate) -> (Query, Vec<Piece>) {
        let text = text::fold(question);
        let tokens = self.lex(&text);
        assemble::assemble(self, &text, tokens, as_of)
    }

    fn lex<'p>(&'p self, text: &Text) -> Vec<Token<'p>> {
        let mut numbers: Vec<(usize, usize, NumberMatch)> = find_numbers(text.original)
            .into_iter()
            .map(|m| {
                (
                    text.char_at_byte(m.span.start),
                    text.char_at_byte(m.span.end),
                    m,
                )
            })
            .collect();
        numbers.reverse();
        let mut tokens: Vec<Token<'p>> = Vec::new();
        let mut i = 0;
        while i < text.len() {
            while numbers.last().is_some_and(|(from, _, _)| *from < i) {
                numbers.pop();
            }
            let c = text.chars[i];
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            if let Some((date, len)) = date_at(&text.chars[i..]) {
                tokens.push(Token::new(i, i + len, Kind::Date(date)));
                i += len;
                continue;
            }
            let found = self.lexicon.best(text, i);
            let number = numbers.last().filter(|(from, _, _)| *from == i);
            let lex_len = found.as_ref().map_or(0, |f| f.len);
            // A number wins a tie, except against a named period: 三季度 is Q3, not three
            // quarters (近三季度 reads it back as a duration).
            let period = found.as_ref().is_some_and(|f| {
                f.meanings
                    .iter()
                    .any(|m| matches!(m, Meaning::Word(lexicon::Word::Period(_))))
            });
            if let Some((from, to, m)) = number
                && (to - from > lex_len || (to - from == lex_len && !period))
            {
                tokens.push(Token::new(*from, *to, Kind::Num(m.clone())));
                i = *to;
                continue;
            }
            if let Some(f) = found {
                tokens.push(Token::new(i, i + f.len, Kind::Lex(f.meanings)));
                i += f.len;
                continue;
            }
            // Unknown: extend the previous unknown token of the same class.
            let class = CharClass::of(c);
            match tokens.last_mut() {
                Some(t)
                    if t.to == i
                        && matches!(t.kind, Kind::Unknown(k) if k == class)
                        && class != CharClass::Other =>
                {
                    t.to += 1
                }
                _ => tokens.push(Token::new(i, i + 1, Kind::Unknown(class))),
            }
            i += 1;
        }
        tokens
    }
}

/// Words folded the way questions are, two chars or longer.
fn folded_terms(terms: &[String]) -> HashSet<String> {
    terms
        .iter()
        .map(|t| Fold::QUESTION.text(t.trim()))
        .filter(|t| t.chars().count() >= 2)
        .collect()
}

/// What kind of char an unknown run is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    Cjk,
    Word,
    Other,
}

impl CharClass {
    fn of(c: char) -> CharClass {
        if text::is_cjk(c) {
            CharClass::Cjk
        } else if text::is_word_char(c) || c == '_' {
            CharClass::Word
        } else {
            CharClass::Other
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Kind<'p> {
    Lex(&'p [Meaning]),
    Num(NumberMatch),
    Date(NaiveDate),
    Unknown(CharClass),
}

/// A piece of the question: char range, what it is, how it was used.
#[derive(Debug, Clone)]
pub(crate) struct Token<'p> {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) kind: Kind<'p>,
    pub(crate) role: Option<Role>,
}

impl<'p> Token<'p> {
    fn new(from: usize, to: usize, kind: Kind<'p>) -> Self {
        Token {
            from,
            to,
            kind,
            role: None,
        }
    }
}

/// A written date at the start of `chars`: 2024-01-15, 2024/1/5, 2024.01.05, 2024年1月5日.
fn date_at(chars: &[char]) -> Option<(NaiveDate, usize)> {
    let digits = |from: usize, max: usize| -> Option<(u32, usize)> {
        let n = chars[from..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        let v = chars[from..from + n]
            .iter()
            .fold(0u32, |v, c| v * 10 + c.to_digit(10).unwrap_or(0));
        Some((v, from + n))
    };
    let (y, at) = digits(0, 4)?;
    if at != 4 || chars.get(4).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let sep = *chars.get(at)?;
    let (ends, close) = match sep {
        '-' | '/' | '.' => (sep, None),
        '年' => ('月', Some('日')),
        _ => return None,
    };
    let (m, at) = digits(at + 1, 2)?;
    if *chars.get(at)? != ends {
        return None;
    }
    let (d, mut at) = digits(at + 1, 2)?;
    if let Some(close) = close {
        if chars.get(at) == Some(&close) || chars.get(at) == Some(&'号') {
            at += 1;
        } else {
            return None;
        }
    }
    if chars.get(at).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((NaiveDate::from_ymd_opt(y as i32, m, d)?, at))
}
