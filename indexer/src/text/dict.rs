//! The company-name dictionary: trade names (字号) learned from the data, so that 恒瑞 in
//! 苏州恒瑞精密机械有限公司 is one word for jieba rather than two characters.
//!
//! A name is place + trade name + industry word + legal form. We strip the legal form and
//! any leading place names (province or city, full or short), segment the rest without the
//! HMM, and take the leading run of single characters jieba could not join: that run is a
//! trade name jieba does not know. Known words (华为, 招商) need nothing.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use jieba_rs::Jieba;
use kesou_domain::geo::{PROVINCES, short_form};
use kesou_domain::text::split_legal_form;
use rayon::prelude::*;

use super::tokens::is_cjk;
use kesou_domain::text::Fold;

/// The trade name of a company name, whether jieba knows it or not: the first word after
/// the place names, or the leading run of characters jieba could not join.
pub fn trade_name(jieba: &Jieba, name: &str) -> Option<String> {
    let folded = Fold::SCRIPT.text(name);
    let (body, _) = split_legal_form(folded.trim());
    let core = strip_places(body);
    let first = jieba.cut(core, false).into_iter().next()?;
    let n = first.word.chars().count();
    if (2..=4).contains(&n) && first.word.chars().all(is_cjk) {
        return Some(first.word.to_owned());
    }
    leading_run(jieba, core)
}

/// The trade name of a company name when jieba does not know it as a word.
pub fn unknown_trade_name(jieba: &Jieba, name: &str) -> Option<String> {
    let folded = Fold::SCRIPT.text(name);
    let (body, _) = split_legal_form(folded.trim());
    leading_run(jieba, strip_places(body))
}

fn leading_run(jieba: &Jieba, core: &str) -> Option<String> {
    let mut run = String::new();
    for t in jieba.cut(core, false) {
        let mut chars = t.word.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if is_cjk(c) => run.push(c),
            _ => break,
        }
    }
    let n = run.chars().count();
    (2..=4).contains(&n).then_some(run)
}

/// Every place name a company name may start with: provinces and cities, full and short.
static PLACES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    PROVINCES
        .iter()
        .flat_map(|p| {
            [p.name, p.short()]
                .into_iter()
                .chain(p.cities.iter().flat_map(|(c, _)| [*c, short_form(c)]))
        })
        .collect()
});

/// The longest place name, in characters.
static LONGEST_PLACE: LazyLock<usize> =
    LazyLock::new(|| PLACES.iter().map(|p| p.chars().count()).max().unwrap_or(0));

/// Strips up to two leading place names, the longest first. Looks each prefix of the name
/// up (a dozen at most) rather than trying each of the ~1,400 place names on it: this runs
/// for every customer of an ingest.
fn strip_places(mut body: &str) -> &str {
    for _ in 0..2 {
        let ends: Vec<usize> = body
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .take(*LONGEST_PLACE)
            .collect();
        let longest = ends
            .into_iter()
            .rev()
            // Keep at least two characters: 上海市 is a place, not 上海 + 市.
            .find(|&end| PLACES.contains(&body[..end]) && body[end..].chars().count() >= 2);
        match longest {
            Some(end) => body = &body[end..],
            None => break,
        }
    }
    body
}

/// Trade names jieba does not know, from a batch of company names, sorted.
pub fn learn_trade_names<'a>(
    jieba: &Jieba,
    names: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<String> {
    let names: Vec<&str> = names.into_iter().collect();
    names
        .par_iter()
        .filter_map(|n| unknown_trade_name(jieba, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

    /// The scan `strip_places` replaced: every place name tried on the name.
    fn strip_places_by_scan(mut body: &str) -> &str {
        for _ in 0..2 {
            let longest = PROVINCES
                .iter()
                .flat_map(|p| {
                    [p.name, p.short()]
                        .into_iter()
                        .chain(p.cities.iter().flat_map(|(c, _)| [*c, short_form(c)]))
                })
                .filter(|place| body.starts_with(place) && body[place.len()..].chars().count() >= 2)
                .max_by_key(|place| place.len());
            match longest {
                Some(place) => body = &body[place.len()..],
                None => break,
            }
        }
        body
    }

    #[test]
    fn places_are_stripped_as_the_scan_did() {
        let places: Vec<&str> = PLACES.iter().copied().collect();
        let tails = ["恒瑞精密机械", "市场", "大", "", "吉林化工", "ABC科技"];
        let mut checked = 0;
        for (i, a) in places.iter().enumerate() {
            let b = places[(i * 31 + 7) % places.len()];
            for tail in tails {
                for name in [
                    format!("{a}{tail}"),
                    format!("{a}{b}{tail}"),
                    tail.to_owned(),
                ] {
                    assert_eq!(strip_places(&name), strip_places_by_scan(&name), "{name}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 5000);
    }

    #[test]
    fn finds_the_unknown_trade_name_after_the_place() {
        assert_eq!(
            unknown_trade_name(&JIEBA, "苏州瑞达精密机械有限公司").as_deref(),
            Some("瑞达")
        );
        assert_eq!(
            unknown_trade_name(&JIEBA, "浙江杭州鑫泰电子股份有限公司").as_deref(),
            Some("鑫泰")
        );
        assert_eq!(
            unknown_trade_name(&JIEBA, "深圳华为科技有限公司"),
            None,
            "华为 is a known word"
        );
        assert_eq!(
            unknown_trade_name(&JIEBA, "苏州恒瑞精密机械有限公司"),
            None,
            "恒瑞 is a known word"
        );
        assert_eq!(
            trade_name(&JIEBA, "苏州恒瑞精密机械有限公司").as_deref(),
            Some("恒瑞")
        );
        assert_eq!(
            trade_name(&JIEBA, "苏州瑞达精密机械有限公司").as_deref(),
            Some("瑞达")
        );
    }

    #[test]
    fn strips_full_and_short_place_names() {
        assert_eq!(strip_places("广西壮族自治区南宁恒瑞"), "恒瑞");
        assert_eq!(strip_places("上海市"), "上海市");
    }
}
