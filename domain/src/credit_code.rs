//! 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character alphabet, the
//! last one a check character over the first 17.

/// The code's alphabet: digits and capitals without I, O, Z, S, V.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or `None` when one of them is not in
/// the alphabet.
pub fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize])
}

/// Checks a code and says what is wrong in words a person can act on.
pub fn validate(code: &str) -> Result<(), String> {
    let n = code.chars().count();
    if n != 18 {
        return Err(format!(
            "credit_code {code:?} has {n} characters, expected 18"
        ));
    }
    let bytes = code.as_bytes();
    if let Some((i, c)) = code
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii() || value(*c as u8).is_none())
    {
        return Err(format!(
            "credit_code {code:?} has {c:?} at position {}; allowed are digits and capitals except I, O, Z, S, V",
            i + 1
        ));
    }
    let expected = check_char(&bytes[..17]).expect("17 alphabet characters");
    if bytes[17] != expected {
        return Err(format!(
            "credit_code {code:?} fails its check: the last character should be {:?}",
            expected as char
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_codes_pass() {
        // Published codes of listed companies.
        for code in [
            "91110000100005220B",
            "91440300708461136T",
            "91330000143083157E",
            "91350200260130346B",
        ] {
            assert_eq!(validate(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn bad_codes_say_why() {
        assert!(
            validate("91330100MA2")
                .unwrap_err()
                .contains("has 11 characters, expected 18")
        );
        assert!(
            validate("91110000100005220A")
                .unwrap_err()
                .contains("should be 'B'")
        );
        assert!(
            validate("9111000010000522OB")
                .unwrap_err()
                .contains("position 17")
        );
    }
}
