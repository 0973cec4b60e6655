//! Text normalisation that every layer applies the same way: the ingest validator, the
//! index analyzer and the question parser.

use std::borrow::Cow;

mod fold;

pub use fold::{Fold, Folded, is_cjk};

/// Full-width ASCII (U+FF01..U+FF5E) to half-width, the ideographic space to a space.
/// Returns the input untouched (borrowed) when there is nothing to fold.
pub fn to_halfwidth(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_fullwidth) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(halfwidth_char).collect())
}

fn is_fullwidth(c: char) -> bool {
    ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}'
}

fn halfwidth_char(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Traditional to simplified Chinese (OpenCC's T2S tables through hanconv).
pub fn to_simplified(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    let folded = hanconv::t2s(s);
    if folded == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(folded)
    }
}

/// Whether the text has a character that folding to simplified changes.
pub fn has_traditional(s: &str) -> bool {
    matches!(to_simplified(s), Cow::Owned(_))
}

/// Legal forms (企业组织形式) as they end company names, longest first. They are
/// equivalent for matching: 有限责任公司 names the same kind of company as 有限公司.
pub const LEGAL_FORMS: &[&str] = &[
    "集团股份有限公司",
    "集团有限责任公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "集团",
    "公司",
];

/// Splits a company name into its body and its legal form: 苏州恒瑞精密机械有限公司 →
/// (苏州恒瑞精密机械, Some(有限公司)).
pub fn split_legal_form(name: &str) -> (&str, Option<&'static str>) {
    for form in LEGAL_FORMS {
        if let Some(body) = name.strip_suffix(form)
            && !body.is_empty()
        {
            return (body, Some(form));
        }
    }
    (name, None)
}

/// The key under which two company names count as "the same name": trimmed, half-width,
/// simplified, without white space, brackets made half-width, ASCII lower-cased. The legal
/// form is kept: 恒瑞有限公司 and 恒瑞股份有限公司 are different companies.
pub fn name_key(name: &str) -> String {
    let half = to_halfwidth(name.trim());
    let simple = to_simplified(&half);
    simple
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Percent-encoding of everything but unreserved characters (RFC 3986): a URL's path
/// segment or query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Text as HTML text or an attribute value: the five characters HTML gives meaning to
/// escaped (search snippets, report pages).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The column a custom field's header gives: the header with every run of other chars than
/// letters and digits made one `_` (信用额度(元) → 信用额度_元), so that it is a plain
/// identifier, `f_` before a leading digit; `None` when the header has no letter or digit.
pub fn field_column(header: &str) -> Option<String> {
    let mut column = String::new();
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            column.push(c);
        } else if !column.is_empty() && !column.ends_with('_') {
            column.push('_');
        }
    }
    let column = column.trim_end_matches('_');
    if column.is_empty() {
        return None;
    }
    Some(if column.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{column}")
    } else {
        column.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halfwidth_folds_digits_letters_and_space() {
        assert_eq!(to_halfwidth("１３８００１３８０００"), "13800138000");
        assert_eq!(to_halfwidth("ＡＢＣ－１２３\u{3000}x"), "ABC-123 x");
        assert!(matches!(to_halfwidth("plain 中文"), Cow::Borrowed(_)));
    }

    #[test]
    fn simplified_folding() {
        assert_eq!(to_simplified("華為技術有限公司"), "华为技术有限公司");
        assert!(has_traditional("廣州"));
        assert!(!has_traditional("广州"));
    }

    #[test]
    fn legal_form_split_prefers_the_longest_form() {
        assert_eq!(
            split_legal_form("招商证券股份有限公司"),
            ("招商证券", Some("股份有限公司"))
        );
        assert_eq!(
            split_legal_form("恒瑞有限责任公司"),
            ("恒瑞", Some("有限责任公司"))
        );
        assert_eq!(split_legal_form("海尔集团"), ("海尔", Some("集团")));
        assert_eq!(split_legal_form("公司"), ("公司", None));
    }

    #[test]
    fn name_key_ignores_width_script_and_spaces() {
        assert_eq!(
            name_key(" 蘇州恒瑞 精密機械有限公司（ＳＺ） "),
            name_key("苏州恒瑞精密机械有限公司(SZ)")
        );
        assert_ne!(name_key("恒瑞有限公司"), name_key("恒瑞股份有限公司"));
    }
}
