//! Pinyin and initials of company names, so `huawei` and `hwkj` find 华为科技.
//!
//! The whole name is converted at once (pinyin-converter matches phrases first, which
//! gets polyphones right: 重庆 → chongqing, 长沙 → changsha), characters outside its
//! phrases and the words it reads wrongly in company names are read as `readings.rs` says
//! (种业 → zhongye, 乐润 → lerun), then syllables are grouped by jieba's words. Two fields come of it:
//! - word tokens ([`name_pinyin_tokens`], field `name_py`): each word's pinyin and
//!   initials, those of every run of up to four consecutive words, and of the whole name.
//!   One exact term per typed word run: the cheapest match, and a typed run that follows
//!   the words of the name ranks above one that cuts across them.
//! - syllable grams ([`syllable_grams`], field `name_syl`): at every character the
//!   syllables of it and the next character joined, and their initials, so typed pinyin
//!   cut into syllables ([`super::typed`]) is a phrase that matches any run of the name's
//!   syllables, whatever jieba made of the words: `jisengongying` finds 基森供应链 where
//!   jieba's words are 基森供 and 应链.

use jieba_rs::Jieba;
use kesou_domain::text::split_legal_form;

use super::readings;
use super::tokens::is_cjk;
use super::typed::INITIALS_MARK;
use kesou_domain::text::Fold;

const MAX_RUN: usize = 4;

/// The pinyin tokens of a name (lower-case ASCII, deduplicated).
pub fn name_pinyin_tokens(jieba: &Jieba, name: &str) -> Vec<String> {
    let folded = Fold::SCRIPT.text(name);
    let (body, form) = split_legal_form(folded.trim());
    let syllables = syllables(body);
    // (full pinyin, initials) of each jieba word of the body
    let mut words: Vec<(String, String)> = Vec::new();
    for t in jieba.cut(body, false) {
        let mut full = String::new();
        let mut initials = String::new();
        for s in syllables[t.start..t.end].iter().flatten() {
            full.push_str(s);
            initials.push_str(&s[..1]);
        }
        if !full.is_empty() {
            words.push((full, initials));
        }
    }
    let mut out = Vec::new();
    for start in 0..words.len() {
        let mut full = String::new();
        let mut initials = String::new();
        for (f, i) in words.iter().skip(start).take(MAX_RUN) {
            full.push_str(f);
            initials.push_str(i);
            out.push(full.clone());
            if initials.len() >= 2 {
                out.push(initials.clone());
            }
        }
    }
    // Long words also give their search-mode parts: 华为技术 → huawei, jishu.
    for t in jieba.cut_for_search(body, false) {
        let parts: Vec<&String> = syllables[t.start..t.end].iter().flatten().collect();
        if parts.len() >= 2 && parts.len() < t.end - t.start + 1 {
            out.push(parts.iter().map(|s| s.as_str()).collect());
            out.push(parts.iter().map(|s| &s[..1]).collect());
        }
    }
    let all_full: String = words.iter().map(|w| w.0.as_str()).collect();
    let all_initials: String = words.iter().map(|w| w.1.as_str()).collect();
    if let Some(form) = form {
        let form_initials: String = syllables_of(form).iter().map(|s| &s[..1]).collect();
        out.push(format!("{all_initials}{form_initials}"));
    }
    out.push(all_full);
    out.push(all_initials);
    out.retain(|t| t.len() >= 2);
    out.sort();
    out.dedup();
    out
}

/// The syllable of every character of a name (folded), `None` where there is none: what
/// the pinyin fields are made of.
pub fn name_syllables(name: &str) -> Vec<Option<String>> {
    syllables(&Fold::SCRIPT.text(name))
}

/// The syllable grams of a name (see the module docs): (character position, gram), in
/// position order. Only Chinese characters have syllables; anything else breaks the run.
pub fn syllable_grams(name: &str) -> Vec<(usize, String)> {
    let folded = Fold::SCRIPT.text(name);
    let text = folded.as_str();
    let chars: Vec<char> = text.chars().collect();
    let syllables = syllables(text);
    let mut out = Vec::with_capacity(2 * chars.len());
    for i in 1..chars.len() {
        if let (Some(a), Some(b)) = (&syllables[i - 1], &syllables[i])
            && is_cjk(chars[i - 1])
            && is_cjk(chars[i])
            && !a.is_empty()
            && !b.is_empty()
        {
            out.push((i - 1, format!("{a}{b}")));
            out.push((i - 1, format!("{INITIALS_MARK}{}{}", &a[..1], &b[..1])));
        }
    }
    out
}

/// One entry per character of `text`: its toneless syllable, or for a run of ASCII letters
/// and digits the lower-cased run on its first character; `None` elsewhere.
fn syllables(text: &str) -> Vec<Option<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Option<String>> = vec![None; chars.len()];
    // Whole words (not split per character): the converter drops white space, so each
    // word is found in the text rather than counted.
    let converted = pinyin::Converter::new(text)
        .without_tone()
        .raw_words()
        .convert();
    let mut at = 0;
    for (word, reading) in converted.words().iter().zip(converted.iter()) {
        let w: Vec<char> = word.text.chars().collect();
        if w.is_empty() {
            continue;
        }
        let Some(start) = (at..chars.len()).find(|&i| chars[i..].starts_with(&w)) else {
            continue;
        };
        at = start + w.len();
        if let [c] = w[..]
            && is_cjk(c)
        {
            // A character outside the converter's words: its usual reading, not the
            // surname reading the converter gives it (readings.rs).
            out[start] = readings::lone(c)
                .map(|s| ascii_only(&s))
                .filter(|s| !s.is_empty());
        } else if w.iter().all(|c| is_cjk(*c)) {
            for (slot, syllable) in out[start..at].iter_mut().zip(reading.split_whitespace()) {
                let s = ascii_only(syllable);
                *slot = (!s.is_empty()).then_some(s);
            }
        } else {
            let run: String = w.iter().filter(|c| c.is_ascii_alphanumeric()).collect();
            out[start] = (!run.is_empty()).then(|| run.to_ascii_lowercase());
        }
    }
    readings::apply_words(&chars, &mut out);
    out
}

fn syllables_of(text: &str) -> Vec<String> {
    syllables(text).into_iter().flatten().collect()
}

fn ascii_only(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

    #[test]
    fn full_pinyin_and_initials_of_word_runs() {
        let toks = name_pinyin_tokens(&JIEBA, "华为科技有限公司");
        for want in ["huawei", "keji", "huaweikeji", "hw", "hwkj", "hwkjyxgs"] {
            assert!(toks.iter().any(|t| t == want), "{want} missing in {toks:?}");
        }
    }

    #[test]
    fn polyphones_follow_the_phrase() {
        let cq = name_pinyin_tokens(&JIEBA, "重庆银行股份有限公司");
        assert!(
            cq.iter().any(|t| t == "chongqing") && cq.iter().any(|t| t == "cq"),
            "{cq:?}"
        );
        let hw = name_pinyin_tokens(&JIEBA, "華為技術服務有限公司");
        assert!(
            hw.iter().any(|t| t == "huawei"),
            "a part of the word 华为技术: {hw:?}"
        );
        let cs = name_pinyin_tokens(&JIEBA, "长沙远大住工集团");
        assert!(
            cs.iter().any(|t| t == "changsha") && cs.iter().any(|t| t == "cs"),
            "{cs:?}"
        );
    }

    #[test]
    fn syllable_grams_cover_every_run_of_the_name() {
        let grams = syllable_grams("基森供应链管理有限公司");
        let at = |g: &str| grams.iter().find(|(_, t)| t == g).map(|(p, _)| *p);
        assert_eq!(at("jisen"), Some(0), "{grams:?}");
        assert_eq!(at("sengong"), Some(1));
        assert_eq!(at("gongying"), Some(2));
        assert_eq!(at("=js"), Some(0));
        assert_eq!(at("=gy"), Some(2));
        assert!(grams.windows(2).all(|w| w[0].0 <= w[1].0));
        // letters and punctuation break the run
        let mixed = syllable_grams("华为(深圳)A科技");
        assert!(mixed.iter().any(|(_, g)| g == "huawei"), "{mixed:?}");
        assert!(mixed.iter().any(|(_, g)| g == "shenzhen"), "{mixed:?}");
        assert!(mixed.iter().any(|(_, g)| g == "keji"), "{mixed:?}");
        assert!(
            !mixed
                .iter()
                .any(|(_, g)| g.contains("weishen") || g.contains("zhenke"))
        );
    }

    /// `readings_cases.tsv`: names and their syllables written by hand, covering every
    /// line of `readings.tsv`.
    #[test]
    fn polyphones_are_read_as_in_the_table_of_cases() {
        let cases = include_str!("readings_cases.tsv");
        let mut failures = Vec::new();
        let mut names = String::new();
        for line in cases
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let (name, want) = line.split_once('\t').expect("name TAB syllables");
            names.push_str(name);
            let got: Vec<String> = name_syllables(name)
                .into_iter()
                .zip(Fold::SCRIPT.text(name).chars())
                .filter(|(_, c)| is_cjk(*c))
                .map(|(s, _)| s.unwrap_or_else(|| "?".into()))
                .collect();
            if got.join(" ") != want {
                failures.push(format!("{name}: want {want}, got {}", got.join(" ")));
            }
        }
        let folded = Fold::SCRIPT.text(&names);
        for line in include_str!("readings.tsv").lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let word = line.split('\t').next().unwrap();
            if !folded.contains(word) {
                failures.push(format!("readings.tsv {word} is in no case"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_company_name_is_no_surname() {
        let toks = name_pinyin_tokens(&JIEBA, "湾茂种业有限公司");
        assert!(toks.iter().any(|t| t == "zhongye"), "{toks:?}");
        assert!(!toks.iter().any(|t| t.contains("chongye")), "{toks:?}");
        let grams = syllable_grams("乐润物流有限公司");
        assert!(
            grams.iter().any(|(p, g)| *p == 0 && g == "lerun"),
            "{grams:?}"
        );
    }

    #[test]
    fn traditional_names_get_the_same_pinyin() {
        assert_eq!(
            name_pinyin_tokens(&JIEBA, "華為科技"),
            name_pinyin_tokens(&JIEBA, "华为科技")
        );
    }
}
