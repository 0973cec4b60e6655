//! Runs of Arabic digits: 500, 2,500,000, 1.5, 0.5.

use kesou_domain::text::Folded;

/// An Arabic number read at some index.
pub(super) struct Arabic {
    /// Index just after the last char read.
    pub end: usize,
    pub value: f64,
    /// One digit and nothing else: the colloquial tail of 1万5 counts in thousands.
    pub single_digit: bool,
}

/// Reads digits at `i`, with commas typed in the width of the digit before them between groups of exactly three digits (only when
/// the first group has one to three) and a decimal point followed by at least one digit.
pub(super) fn read(t: &Folded, i: usize) -> Option<Arabic> {
    let is_digit = |c: char| c.is_ascii_digit();
    let int_end = t.skip_while(i, is_digit);
    if int_end == i {
        return None;
    }
    let mut digits: String = (i..int_end).filter_map(|j| t.get(j)).collect();
    let mut end = int_end;
    if int_end - i <= 3 {
        while t.get(end) == Some(',') && t.typed_ascii(end) == t.typed_ascii(end - 1) {
            let group_end = t.skip_while(end + 1, is_digit);
            if group_end - (end + 1) != 3 {
                break;
            }
            digits.extend((end + 1..group_end).filter_map(|j| t.get(j)));
            end = group_end;
        }
    }
    if t.get(end) == Some('.') {
        let fraction_end = t.skip_while(end + 1, is_digit);
        if fraction_end > end + 1 {
            digits.push('.');
            digits.extend((end + 1..fraction_end).filter_map(|j| t.get(j)));
            end = fraction_end;
        }
    }
    let value: f64 = digits.parse().ok()?;
    value.is_finite().then_some(Arabic {
        end,
        value,
        single_digit: end - i == 1,
    })
}

#[cfg(test)]
mod tests {
    use kesou_domain::text::Fold;

    use super::*;

    fn value(s: &str) -> Option<(f64, usize)> {
        read(&Folded::new(s, Fold::WIDTH), 0).map(|a| (a.value, a.end))
    }

    #[test]
    fn groups_of_three_and_decimals() {
        assert_eq!(value("2,500,000 元"), Some((2_500_000.0, 9)));
        assert_eq!(value("1,000.5"), Some((1000.5, 7)));
        assert_eq!(value("1,00"), Some((1.0, 1)));
        assert_eq!(value("1234,567"), Some((1234.0, 4)));
        assert_eq!(value("1,0000"), Some((1.0, 1)));
        assert_eq!(value("3."), Some((3.0, 1)));
        assert_eq!(value("1，000"), Some((1.0, 1)));
        assert_eq!(value("１，０００"), Some((1000.0, 5)));
        assert_eq!(value("１,０００"), Some((1.0, 1)));
        assert_eq!(value("x"), None);
        assert_eq!(value(&"9".repeat(400)), None);
    }
}
