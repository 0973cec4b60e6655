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

/// Yuan as people read them: 1.2亿, 350.5万, 8,000.
pub fn yuan(v: f64) -> String {
    if v >= 1e8 {
        format!("{:.2}亿", v / 1e8)
    } else if v >= 1e4 {
        format!("{:.1}万", v / 1e4)
    } else {
        format!("{v:.0}")
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
        assert_eq!(yuan(150_000_000.0), "1.50亿");
        assert_eq!(yuan(3_505_000.0), "350.5万");
    }
}
