//! 统一社会信用代码 for generated companies: `9` (registered by market regulation), `1`
//! (an enterprise), the 6-digit division code of the company's city, a 9-character
//! organisation code and the GB 32100 check character. Companies registered since the
//! reform of October 2015 have organisation codes starting `MA`; older ones carry their
//! former 组织机构代码 (8 digits and a GB 11714 check). Organisation codes are a bijection
//! of the customer index, so codes are unique by construction.

use kesou_domain::credit_code::{ALPHABET, check_char};
use kesou_domain::geo::Province;

use crate::calendar::days_from_civil;
use crate::rng::mix;

/// Index offset for the second company of a planted same-name pair (dirty data): far
/// beyond any customer index, inside both code spaces.
pub(crate) const TWIN_OFFSET: usize = 50_000_000;
/// The largest number of customers whose codes stay unique (below [`TWIN_OFFSET`]).
pub(crate) const MAX_CUSTOMERS: usize = 9_999_999;

const REFORM: i32 = days_from_civil(2015, 10, 1);
/// 31^7 organisation codes after `MA`, 10^8 before the reform.
const NEW_SPACE: u64 = 27_512_614_111;
const OLD_SPACE: u64 = 100_000_000;

/// An affine bijection of [0, m): `a` is coprime with `m`.
fn permute(i: u64, a: u64, b: u64, m: u64) -> u64 {
    ((u128::from(i % m) * u128::from(a) + u128::from(b % m)) % u128::from(m)) as u64
}

/// The code of customer `index` registered in `city` of `province`, founded on `founded`.
pub(crate) fn code(
    seed: u64,
    index: usize,
    province: &Province,
    city: &str,
    founded: i32,
) -> String {
    let division = province
        .city_division_code(city)
        .expect("the city is the province's");
    let mut code = [0u8; 18];
    code[0] = b'9';
    code[1] = b'1';
    for (i, d) in format!("{division:06}").bytes().enumerate() {
        code[2 + i] = d;
    }
    let org = &mut code[8..17];
    if founded >= REFORM {
        let mut x = permute(index as u64, 7_919_350_513, mix(seed ^ 0x4D41), NEW_SPACE);
        org[0] = b'M';
        org[1] = b'A';
        for slot in org[2..].iter_mut().rev() {
            *slot = ALPHABET[(x % 31) as usize];
            x /= 31;
        }
    } else {
        let mut x = permute(index as u64, 48_271_963, mix(seed ^ 0x4F4C44), OLD_SPACE);
        for slot in org[..8].iter_mut().rev() {
            *slot = b'0' + (x % 10) as u8;
            x /= 10;
        }
        org[8] = gb11714_check(&org[..8].try_into().expect("8 digits"));
    }
    code[17] = check_char(&code[..17]).expect("alphabet characters");
    String::from_utf8(code.to_vec()).expect("ASCII")
}

/// The check character of a former 组织机构代码 (GB 11714): `0`-`9` or `X`.
fn gb11714_check(digits: &[u8; 8]) -> u8 {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use kesou_domain::credit_code::validate;
    use kesou_domain::geo;

    use super::*;

    #[test]
    fn codes_are_valid_unique_and_carry_the_division() {
        let zj = geo::province("浙江").unwrap();
        let mut seen = HashSet::new();
        for index in 0..20_000 {
            let founded = if index % 2 == 0 {
                REFORM + 10
            } else {
                REFORM - 10
            };
            let c = code(42, index, zj, "杭州市", founded);
            assert_eq!(validate(&c), Ok(()), "{c}");
            assert!(c.starts_with("91330100"), "{c}");
            assert_eq!(&c[8..10] == "MA", founded >= REFORM, "{c}");
            assert!(seen.insert(c));
            let twin = code(42, index + TWIN_OFFSET, zj, "杭州市", founded);
            assert!(seen.insert(twin));
        }
    }

    #[test]
    fn the_former_organisation_code_check_matches_a_published_code() {
        // The organisation codes inside 91110000100005220B, 91440300708461136T and
        // 91330000143083157E.
        assert_eq!(gb11714_check(b"10000522"), b'0');
        assert_eq!(gb11714_check(b"70846113"), b'6');
        assert_eq!(gb11714_check(b"14308315"), b'7');
    }
}
