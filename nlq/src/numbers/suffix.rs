//! The words after a numeral that belong to it: English magnitudes (k, million), percent
//! signs, currencies and measure words. Each reader takes the index right after the numeral
//! and returns the index after the suffix; spaces in between are allowed except before a
//! glued letter (1.2k, 3M).

use kesou_domain::text::Folded;

use super::text::is_cjk;

/// Currency words, longest first; every one stands for yuan.
const CURRENCIES: &[&str] = &[
    "元人民币",
    "人民币",
    "人民幣",
    "元钱",
    "块钱",
    "塊錢",
    "元",
    "块",
    "塊",
];

/// Currency words in English (any case, whole words).
const CURRENCIES_EN: &[&str] = &["RMB", "CNY", "yuan"];

/// Measure words and their canonical unit, longest first.
const MEASURES: &[(&str, &str)] = &[
    ("个百分点", "百分点"),
    ("个工作日", "工作日"),
    ("个季度", "季度"),
    ("个星期", "周"),
    ("个小时", "小时"),
    ("個月", "月"),
    ("个月", "月"),
    ("百分点", "百分点"),
    ("工作日", "工作日"),
    ("季度", "季度"),
    ("星期", "周"),
    ("小时", "小时"),
    ("分钟", "分钟"),
    ("月份", "月"),
    ("个", "个"),
    ("個", "个"),
    ("家", "家"),
    ("位", "位"),
    ("名", "名"),
    ("人", "人"),
    ("次", "次"),
    ("笔", "笔"),
    ("筆", "笔"),
    ("单", "单"),
    ("單", "单"),
    ("条", "条"),
    ("條", "条"),
    ("项", "项"),
    ("項", "项"),
    ("件", "件"),
    ("款", "款"),
    ("种", "种"),
    ("台", "台"),
    ("份", "份"),
    ("户", "户"),
    ("戶", "户"),
    ("倍", "倍"),
    ("岁", "岁"),
    ("歲", "岁"),
    ("分", "分"),
    ("天", "天"),
    ("日", "日"),
    ("周", "周"),
    ("週", "周"),
    ("月", "月"),
    ("年", "年"),
];

/// English magnitude words, any case, after optional spaces.
const MAGNITUDE_WORDS: &[(&str, f64)] = &[
    ("thousand", 1e3),
    ("million", 1e6),
    ("billion", 1e9),
    ("trillion", 1e12),
];

/// Chars after 成 that make it part of a word (成交, 成立 …) rather than tenths (七成).
const NOT_TENTHS: &str = "交立员本都功为长果品熟型";

/// A magnitude after Arabic digits: 1.2k, 3M, 1B, 2bn, 10w (万), 2.5 million. Returns the
/// end and the factor. The glued English letters must not run into a letter, digit or
/// Chinese text (3M公司 is a name); w must not run into a letter or digit.
pub(super) fn magnitude(t: &Folded, i: usize) -> Option<(usize, f64)> {
    let glued = match (t.get(i), t.get(i + 1)) {
        (Some('b'), Some('n')) => Some((2, 1e9, true)),
        (Some('m'), Some('n')) => Some((2, 1e6, true)),
        (Some('k' | 'K'), _) => Some((1, 1e3, true)),
        (Some('M'), _) => Some((1, 1e6, true)),
        (Some('B'), _) => Some((1, 1e9, true)),
        (Some('w' | 'W'), _) => Some((1, 1e4, false)),
        _ => None,
    };
    if let Some((len, factor, english)) = glued {
        let end = i + len;
        let runs_on = t
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || (english && is_cjk(c)));
        return (!runs_on).then_some((end, factor));
    }
    let at = t.skip_spaces(i);
    MAGNITUDE_WORDS
        .iter()
        .find_map(|&(word, factor)| t.ascii_word_at(at, word).map(|end| (end, factor)))
}

/// A percent or per-mille sign, or the word percent. Returns the end and the divisor.
pub(super) fn percent(t: &Folded, i: usize) -> Option<(usize, f64)> {
    let at = t.skip_spaces(i);
    match t.get(at) {
        Some('%') => Some((at + 1, 100.0)),
        Some('‰') => Some((at + 1, 1000.0)),
        _ => t.ascii_word_at(at, "percent").map(|end| (end, 100.0)),
    }
}

/// 成 as tenths (七成 = 70%), not the start of 成交 or 成立.
pub(super) fn tenths(t: &Folded, i: usize) -> Option<usize> {
    let follows_word = t.get(i + 1).is_some_and(|c| NOT_TENTHS.contains(c));
    (t.get(i) == Some('成') && !follows_word).then_some(i + 1)
}

/// A currency word: 元, 块, 人民币, RMB, yuan …
pub(super) fn currency(t: &Folded, i: usize) -> Option<usize> {
    let at = t.skip_spaces(i);
    CURRENCIES
        .iter()
        .find_map(|word| t.word_at(at, word))
        .or_else(|| {
            CURRENCIES_EN
                .iter()
                .find_map(|word| t.ascii_word_at(at, word))
        })
}

/// A measure word: 家, 次, 天, 个月 …, with its canonical unit.
pub(super) fn measure(t: &Folded, i: usize) -> Option<(usize, &'static str)> {
    let at = t.skip_spaces(i);
    MEASURES
        .iter()
        .find_map(|&(word, unit)| t.word_at(at, word).map(|end| (end, unit)))
}

/// Whether a unit of any kind starts at `i` (for 两, a number only before one).
pub(super) fn unit_at(t: &Folded, i: usize) -> bool {
    currency(t, i).is_some() || measure(t, i).is_some() || tenths(t, i).is_some()
}

#[cfg(test)]
mod tests {
    use kesou_domain::text::Fold;

    use super::*;

    #[test]
    fn longest_measure_word_wins() {
        let t = Folded::new("3个月", Fold::WIDTH);
        assert_eq!(measure(&t, 1), Some((3, "月")));
        let t = Folded::new("5个客户", Fold::WIDTH);
        assert_eq!(measure(&t, 1), Some((2, "个")));
    }

    #[test]
    fn glued_letters_need_a_boundary() {
        assert_eq!(
            magnitude(&Folded::new("3M", Fold::WIDTH), 1),
            Some((2, 1e6))
        );
        assert_eq!(magnitude(&Folded::new("3M公司", Fold::WIDTH), 1), None);
        assert_eq!(
            magnitude(&Folded::new("10w以上", Fold::WIDTH), 2),
            Some((3, 1e4))
        );
        assert_eq!(
            magnitude(&Folded::new("3 millionaires", Fold::WIDTH), 1),
            None
        );
        assert_eq!(
            magnitude(&Folded::new("3 Million", Fold::WIDTH), 1),
            Some((9, 1e6))
        );
    }
}
