//! Words that contain numeral characters but are not numbers: 一般, 百货, 万科, 零售, 四川.
//!
//! A numeral char inside one of these words never starts or continues a number. The list is
//! this file's words plus every name of `kesou_domain` that has a numeral char in it:
//! provinces and cities (四川, 三亚, 十堰, 六安), economic areas (长三角) and industries (零售).
//! A word that starts with 十百千万亿 does not stop a number it follows: 三万科技 is 3万 +
//! 科技, 十万一千 is 101,000, though 万科 and 万一 alone are words.

use std::collections::HashMap;
use std::sync::LazyLock;

use kesou_domain::{Industry, geo};

use super::numeral::{big_unit, is_chinese_numeral, small_unit};
use kesou_domain::text::Folded;

/// Common words, idioms and names with numeral chars that questions may contain.
const WORDS: &[&str] = &[
    // 一
    "一般",
    "一直",
    "一起",
    "一些",
    "一定",
    "一样",
    "一下",
    "一切",
    "一致",
    "一旦",
    "一向",
    "一律",
    "一共",
    "一体",
    "一手",
    "一线",
    "一流",
    "一贯",
    "一带一路",
    "一对一",
    "一站式",
    "一块儿",
    "一点儿",
    "一点点",
    "有一点",
    "一次性",
    "一汽",
    "统一",
    "唯一",
    "同一",
    "单一",
    "逐一",
    "专一",
    "不一",
    "划一",
    "一成不变",
    // 二 … 九
    "二手",
    "二线",
    "不二",
    "三线",
    "四线",
    "五线",
    "三甲",
    "三农",
    "五金",
    "五湖四海",
    "三一重工",
    "五粮液",
    // 十 百 千 万
    "十分",
    "十足",
    "十全十美",
    "百货",
    "百度",
    "百姓",
    "百科",
    "百强",
    "百分比",
    "百分点",
    "千万不要",
    "千万别",
    "千万要",
    "千方百计",
    "千家万户",
    "千千万万",
    "万一",
    "万科",
    "万达",
    "万能",
    "万象",
    "万物",
    "万众",
    "万州",
    "万宁",
    // 零
    "零售",
    "零件",
    "零部件",
    "零配件",
    "零食",
    "零星",
    "零散",
    "零碎",
    "零钱",
];

/// A stop word and the place in it of the numeral char it is indexed under.
struct Entry {
    word: Vec<char>,
    offset: usize,
}

/// Stop words by each numeral char they contain.
static INDEX: LazyLock<HashMap<char, Vec<Entry>>> = LazyLock::new(build);

fn domain_words() -> impl Iterator<Item = &'static str> {
    let places = geo::PROVINCES.iter().flat_map(|p| {
        let cities = p
            .cities
            .iter()
            .flat_map(|&(city, _)| [city, geo::short_form(city)]);
        [p.name, p.short()].into_iter().chain(cities)
    });
    let areas = geo::ECONOMIC_AREAS.iter().map(|&(name, _)| name);
    let industries = Industry::ALL
        .iter()
        .flat_map(|i| std::iter::once(i.zh()).chain(i.synonyms().iter().copied()));
    places.chain(areas).chain(industries)
}

fn build() -> HashMap<char, Vec<Entry>> {
    let mut words: Vec<&str> = WORDS.iter().copied().chain(domain_words()).collect();
    words.sort_unstable();
    words.dedup();
    let mut index: HashMap<char, Vec<Entry>> = HashMap::new();
    for word in words {
        let chars: Vec<char> = word.chars().collect();
        for (offset, &c) in chars.iter().enumerate() {
            if is_chinese_numeral(c) {
                index.entry(c).or_default().push(Entry {
                    word: chars.clone(),
                    offset,
                });
            }
        }
    }
    index
}

/// For every char of the text, whether it is a numeral char inside a stop word.
pub(super) fn mask(t: &Folded) -> Vec<bool> {
    (0..t.len())
        .map(|i| t.get(i).is_some_and(is_chinese_numeral) && blocked(t, i))
        .collect()
}

/// Whether the char at `i` is a numeral char inside a stop word.
fn blocked(t: &Folded, i: usize) -> bool {
    let Some(entries) = t.get(i).and_then(|c| INDEX.get(&c)) else {
        return false;
    };
    entries.iter().any(|entry| {
        let Some(start) = i.checked_sub(entry.offset) else {
            return false;
        };
        let written = entry
            .word
            .iter()
            .enumerate()
            .all(|(k, &w)| t.get(start + k) == Some(w));
        written && !multiplies_number_before(t, start, entry.word[0])
    })
}

/// 三万科技: the 万 of 万科 multiplies the 三 before it.
fn multiplies_number_before(t: &Folded, start: usize, first: char) -> bool {
    let is_unit = small_unit(first).is_some() || big_unit(first).is_some();
    is_unit
        && t.before(start)
            .is_some_and(|c| c.is_ascii_digit() || is_chinese_numeral(c))
}

#[cfg(test)]
mod tests {
    use kesou_domain::text::Fold;

    use super::*;

    fn blocked_chars(s: &str) -> String {
        let t = Folded::new(s, Fold::WIDTH);
        (0..t.len())
            .filter(|&i| blocked(&t, i))
            .filter_map(|i| t.get(i))
            .collect()
    }

    #[test]
    fn words_and_domain_names_block_their_numerals() {
        assert_eq!(blocked_chars("一般的零售客户"), "一零");
        assert_eq!(blocked_chars("四川和长三角"), "四三");
        assert_eq!(blocked_chars("十堰"), "十");
        assert_eq!(blocked_chars("百货和万科"), "百万");
    }

    #[test]
    fn a_unit_word_after_a_numeral_is_not_stopped() {
        assert_eq!(blocked_chars("三万科技客户"), "");
        assert_eq!(blocked_chars("十万一千"), "");
        assert_eq!(blocked_chars("百万一般"), "一");
    }
}
