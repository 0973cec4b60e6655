//! The question as the parser reads it: [`kesou_domain::text::Folded`] with
//! [`Fold::QUESTION`] (half width, simplified, lower case; spaces between Chinese chars
//! left out), each char with its byte offset in what the user typed, so that every span
//! points into the original question.

use kesou_domain::text::{Fold, Folded};

pub(crate) use kesou_domain::text::is_cjk;

/// A question (or a dictionary word) folded as questions are.
pub(crate) type Text<'q> = Folded<'q>;

pub(crate) fn fold(question: &str) -> Text<'_> {
    Folded::new(question, Fold::QUESTION)
}

/// Whether a char is part of an English word or a number as written: letters and digits.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}
