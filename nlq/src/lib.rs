//! kesou's question parser: it turns a manager's question, in Chinese or English, into the
//! structured query the engine runs, and ties every part of that query to the span of the
//! question it came from, so nothing is dropped silently.
//!
//! Today it holds the foundation: [`find_numbers`] and [`parse_number`] read the numbers,
//! amounts and percentages of a question (百万, 1.5亿, 两百万, 五十万元, 2,500,000 元, 百分之十五,
//! 15%, 2.5 million, 近30天, TOP20) with byte spans into the original text.

mod numbers;

pub use numbers::{NumberKind, NumberMatch, find_numbers, parse_number};
