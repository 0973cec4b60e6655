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
        self.0.add_row(cells);
    }

    pub fn row_vec(&mut self, cells: Vec<String>) {
        self.0.add_row(cells);
    }

    pub fn print(&self) {
        println!("{}", self.0);
    }
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
    fn numbers_read_well() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(yuan(150_000_000.0), "1.50亿");
        assert_eq!(yuan(3_505_000.0), "350.5万");
    }
}
