//! Numbers, amounts and percentages in questions.
//!
//! Why hand-written: the two crates that read Chinese numerals do not fit. `chinese-number`
//! parses one whole, well-formed numeral: it rejects 百万, 千万, 1.5亿, 100万, 三点五 and 五十万元,
//! and its `f64` reading of 一万五 is 10005; it reports no position in a text. `chinese2digits`
//! rewrites a text and returns the numeral strings, not their positions; it misses a bare 百万
//! or 千万 and full-width digits, reads the 一 of 一般 as 1, splits 1,000,000 into three
//! numbers, computes in `i32` (三十亿 comes out as -1294967296), prints to stdout and compiles
//! its regular expression on every call (~300 µs a question). The grammar below is a few
//! hundred lines, has no dependency, keeps byte spans, and reads a question in under a
//! microsecond (`cargo bench -p kesou-nlq`).
//!
//! # What is read
//! - Chinese numerals with 十百千万亿 (and 拾佰仟萬億), the financial capitals 壹贰叁肆伍陆柒捌玖,
//!   零 and 〇 as place holders (一千零五十 = 1050), 点 as the decimal point (三点五万 = 35000).
//!   A unit without a digit in front counts one: 十五 = 15, 百万 = 1,000,000, 万 = 10,000.
//! - Arabic digits, full-width too (１００万); commas between groups of exactly three digits
//!   (2,500,000), a decimal point (1.5亿), mixed with Chinese units (3千5百万).
//! - Colloquial tails: a single digit right after 百, 千, 万 or 亿 ends the number and counts in
//!   the next lower place: 一万五 = 1万5 = 15,000, 三千五 = 3,500, 一百二 = 120. After 零 it
//!   does not (一万零五 = 10,005).
//! - Three or more bare digits read digit by digit (二〇二三 = 2023).
//! - After Arabic digits only: k, M or mn, B or bn (×1e3, ×1e6, ×1e9) and w (×1e4, 10w =
//!   10万), or the words thousand, million, billion, trillion (2.5 million).
//! - Percentages: 15%, 15.5%, 百分之十五, 百分之15, 千分之五, 5‰, 15 percent, 七成.
//! - Units that end the match and set its [`NumberKind`]: currency (元, 块, 块钱, 人民币, RMB,
//!   CNY, yuan, or a ¥ in front) makes an [`NumberKind::Amount`]; a measure word (家 个 次 天
//!   个月 季度 年 名 笔 …) makes a [`NumberKind::Count`].
//!
//! # Values
//! `value` is always in the base unit, ready to compare with a column: yuan for amounts
//! (五十万元 → 500,000), a fraction for percentages (15% → 0.15, 七成 → 0.7), the count itself
//! for counts (30天 → 30, unit 天). Plain numbers are what they say (百万 → 1,000,000): the
//! question parser decides from the field they are compared with whether they are money.
//! There are no signs: `-` separates ranges and dates (100-200万), so it is never a minus.
//!
//! # Spans
//! Spans are byte ranges into the original text (never into a folded copy). A span covers the
//! numeral and its unit (五十万元, 30天, 15%, ¥500万), never the words around it: 500万以上
//! gives 500万, TOP20 gives 20, 近30天 gives 30天. Spaces between a number and its unit are
//! inside the span (2,500,000 元); spaces with nothing after them are not.
//!
//! # Ambiguous forms ([`find_numbers`] only; [`parse_number`] reads a whole string as given)
//! - A single Chinese numeral character with no unit after it (一, 三, 十, 万 …) is a number only
//!   after a word that announces one: 前 第 近 超 过 于 到 至 和 与 或 及 为 是 满 逾 达 约 仅 共 or
//!   a comparison sign, comma, colon, 、, `-` or `~` (前三, 大于五, 第一). So 一汽 and 十大 give
//!   nothing. A lone financial capital is never a number in a question (伍先生, 陆家嘴, 拾取).
//! - 两 is 2 only before 百千万亿 or a unit (两百万, 两家, 两成); 两岸 gives nothing.
//! - Two Chinese digits side by side are an estimate, not a number: 三五家, 两三个, 一两个, 五一
//!   and the whole run they are in (三五万) give nothing.
//! - Words that contain numeral characters but are not numbers never give one: 一般 一直 统一
//!   万一 十分 百货 百度 万科 千万不要 零售 长三角 四川 三亚 … (the list is in `stopwords.rs`, plus
//!   every province, city, economic area and industry name of `kesou_domain`). A word that
//!   starts with 十百千万亿 is not stopped right after another numeral: 三万科技客户 is
//!   30,000 科技 customers, 十万一千 is 101,000.
//! - Digits glued to ASCII letters are part of a name or code, not a number: B2B, 5G, MP3,
//!   iPhone15, 1e6 give nothing; TOP20 (any case) gives 20. The English letters k, M, B
//!   followed by Chinese text are a name too (3M公司 gives nothing); w may be followed by
//!   anything but a letter or digit (10w以上 = 100,000).
//! - A comma groups thousands only in the width of its digits (2,500,000 and １，０００); a
//!   full-width ，after ASCII digits separates list items (100，200 is two numbers), as 、 does.
//!
//! # Not read (the question parser lists these spans as unrecognised)
//! English number words (ten, a million), estimates (上万家, 几十家, 数百万, 十几万, 三五家 give
//! nothing; 30多家 gives 30 and leaves 多家), 十分钟 (十分 is a stop word), signs, and
//! currencies other than the yuan (5万美元 gives the plain 5万).

mod arabic;
mod numeral;
mod scan;
mod stopwords;
mod suffix;
mod text;

use std::ops::Range;

/// A number found in text, with the byte span it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberMatch {
    /// The value in its base unit: yuan for amounts, a fraction for percentages (15% → 0.15).
    pub value: f64,
    /// Byte range into the text the number was found in, unit included.
    pub span: Range<usize>,
    pub kind: NumberKind,
    /// The unit word that ended the match, in canonical form: 元 for every currency, 天 月 年
    /// 季度 周 个 家 次 … for counts (个月 → 月, 星期 → 周). `None` for plain numbers and
    /// percentages.
    pub unit: Option<&'static str>,
}

/// What a number measures, from the unit written after (or the ¥ before) it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberKind {
    /// No unit: 百万, 1,000,000, TOP20's 20.
    Plain,
    /// Money, in yuan: 五十万元, 2,500,000 元, ¥500万, 1 million yuan.
    Amount,
    /// A percentage, stored as a fraction: 15% → 0.15.
    Percent,
    /// Something counted or a span of time, named by `unit`: 30天, 5次, 20家.
    Count,
}

/// Reads a whole string as one number, surrounding white space aside: "1.5亿", "两百万",
/// "百分之十五", "五十万元". `None` when anything else is left over ("500万以上").
pub fn parse_number(s: &str) -> Option<NumberMatch> {
    scan::parse_whole(s)
}

/// Every number in a question, left to right, each the longest match at its place, with
/// non-overlapping byte spans: "年采购额超百万的客户" → [1,000,000 at the span of "百万"].
pub fn find_numbers(text: &str) -> Vec<NumberMatch> {
    scan::find_all(text)
}
