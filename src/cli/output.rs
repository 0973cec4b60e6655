//! Tables and numbers for terminals.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table as Inner};

pub struct Table(Inner);

impl Table {
    pub fn new<const N: usize>(header: [&str; N]) -> Self {
        let mut t = Inner::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(header);
        Self(t)
    }

    /// A table whose columns are known only at run time.
    pub fn with_header(header: Vec<String>) -> Self {
        let mut t = Inner::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(header);
        Self(t)
    }

    pub fn row<const N: usize>(&mut self, cells: [String; N]) {
        self.0.add_row(cells.map(|c| one_line(&c)));
    }

    pub fn row_vec(&mut self, cells: Vec<String>) {
        self.0
            .add_row(cells.iter().map(|c| one_line(c)).collect::<Vec<_>>());
    }

    pub fn print(&self) {
        println!("{}", self.0);
    }
}

/// A cell's text on one line: line breaks and other control characters (typed into a
/// question, stored in a note) are shown escaped, so that no value draws extra table
/// lines or moves the terminal's cursor.
pub fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .flat_map(|c| match c {
            '\n' => "\\n".chars().collect::<Vec<_>>(),
            '\r' => "\\r".chars().collect(),
            '\t' => "\\t".chars().collect(),
            c if c.is_control() => format!("\\u{{{:x}}}", u32::from(c)).chars().collect(),
            c => vec![c],
        })
        .collect()
}

/// 1234567 → "1,234,567".
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Yuan as people read them, written as the web app writes them: 1.5亿, 350.5万, 114万,
/// 8,000, 0.25 (no trailing zeros; separators below 万).
pub fn yuan(v: f64) -> String {
    let abs = v.abs();
    if abs >= 1e8 {
        format!("{}亿", trimmed(v / 1e8, 2))
    } else if abs >= 1e4 {
        format!("{}万", trimmed(v / 1e4, 1))
    } else if abs >= 100.0 {
        number(v.round())
    } else {
        number(v)
    }
}

/// `v` with at most `digits` decimals and no trailing zeros: 114.0 → "114", 1.50 → "1.5".
fn trimmed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A number with thousands separators and at most two decimals: 100000 → "100,000",
/// 1234.5 → "1,234.5" (as the web app's `integer`).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let text = trimmed(v.abs(), 2);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = whole
        .parse::<u64>()
        .map_or_else(|_| whole.to_owned(), count);
    let sign = if v < 0.0 && text != "0" { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{digits}")
    } else {
        format!("{sign}{digits}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_stay_on_one_line() {
        assert_eq!(one_line("华东客户"), "华东客户");
        assert_eq!(
            one_line("a\n│ 2 │ forged\r\u{1b}[2J"),
            "a\\n│ 2 │ forged\\r\\u{1b}[2J"
        );
        let mut t = Table::new(["input"]);
        t.row(["line one\nline two".into()]);
        assert_eq!(t.0.to_string().lines().count(), 5, "{}", t.0);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(yuan(150_000_000.0), "1.5亿");
        assert_eq!(yuan(3_505_000.0), "350.5万");
        assert_eq!(yuan(1_140_000.0), "114万");
        assert_eq!(yuan(8_000.4), "8,000");
        assert_eq!(yuan(0.25), "0.25");
        assert_eq!(yuan(-25_000.0), "-2.5万");
        assert_eq!(number(100_000.0), "100,000");
        assert_eq!(number(-1234.5), "-1,234.5");
        assert_eq!(number(20.0), "20");
    }
}
