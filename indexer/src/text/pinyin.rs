//! Pinyin and initials of company names, so `huawei` and `hwkj` find 华为科技.
//!
//! The whole name is converted at once (pinyin-converter matches phrases first, which
//! gets polyphones right: 重庆 → chongqing, 长沙 → changsha), then syllables are grouped
//! by jieba's words. Tokens are each word's pinyin and initials, and those of every run of
//! up to four consecutive words, and of the whole name.

use jieba_rs::Jieba;
use kesou_domain::text::split_legal_form;

use super::fold::Folded;
use super::tokens::is_cjk;

const MAX_RUN: usize = 4;

/// The pinyin tokens of a name (lower-case ASCII, deduplicated).
pub fn name_pinyin_tokens(jieba: &Jieba, name: &str) -> Vec<String> {
    let folded = Folded::new(name);
    let (body, form) = split_legal_form(folded.text.trim());
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

/// One entry per character of `text`: its toneless syllable, or for a run of ASCII letters
/// and digits the lower-cased run on its first character; `None` elsewhere.
fn syllables(text: &str) -> Vec<Option<String>> {
    let converted = pinyin::Converter::new(text).without_tone().convert();
    let mut out: Vec<Option<String>> = Vec::with_capacity(text.chars().count());
    for (word, syllable) in converted.words().iter().zip(converted.iter()) {
        let n = word.text.chars().count();
        let is_han = word.text.chars().all(is_cjk);
        if is_han && n == 1 {
            out.push(Some(ascii_only(&syllable)));
        } else if is_han {
            let mut parts = syllable.split_whitespace().map(ascii_only);
            out.extend((0..n).map(|_| parts.next()));
        } else {
            let run: String = word
                .text
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            out.push((!run.is_empty()).then(|| run.to_ascii_lowercase()));
            out.extend((1..n).map(|_| None));
        }
    }
    out.resize(text.chars().count(), None);
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
    fn traditional_names_get_the_same_pinyin() {
        assert_eq!(
            name_pinyin_tokens(&JIEBA, "華為科技"),
            name_pinyin_tokens(&JIEBA, "华为科技")
        );
    }
}
