//! Free text from templates with slots: `{p}` a product, `{3-15}` a number in a range,
//! other letters name a list chosen by the caller. Templates are scanned at run time (a
//! `find` per slot, no regex) and written straight into a reused buffer.

use std::fmt::Write;

use crate::rng::Rng;
use crate::script::Words;

/// Expands `template` into `out`, asking `slot` for every `{name}` that is not a number
/// range. A range `{a-b}` becomes a uniform integer in [a, b].
pub(crate) fn expand(
    template: &str,
    rng: &mut Rng,
    out: &mut String,
    slot: &mut dyn FnMut(&str, &mut Rng, &mut String),
) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(len) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return;
        };
        let name = &rest[open + 1..open + len];
        match number_range(name) {
            Some((lo, hi)) => {
                let _ = write!(out, "{}", rng.int(lo, hi));
            }
            None => slot(name, rng, out),
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
}

fn number_range(name: &str) -> Option<(i64, i64)> {
    let (lo, hi) = name.split_once('-')?;
    Some((lo.parse().ok()?, hi.parse().ok()?))
}

/// A model designation: ABC-123, HR-3050A, KX200.
pub(crate) fn model(rng: &mut Rng, out: &mut String) {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTWXYZ";
    for _ in 0..rng.int(2, 3) {
        out.push(LETTERS[rng.below(LETTERS.len())] as char);
    }
    if rng.chance(0.8) {
        out.push('-');
    }
    let _ = write!(out, "{}", rng.int(10, 9_999));
    if rng.chance(0.25) {
        out.push(LETTERS[rng.below(LETTERS.len())] as char);
    }
}

/// Modern tokens that mix scripts, as real descriptions do.
pub(crate) static TRENDS: Words = Words::new(&[
    "5G",
    "新能源电池",
    "工业互联网",
    "人工智能",
    "AI大模型",
    "物联网（IoT）",
    "跨境电商",
    "智慧城市",
    "数字化转型",
    "碳中和",
    "iPhone配件",
    "储能",
    "SaaS",
    "LED照明",
    "新能源汽车",
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_slots_and_number_ranges() {
        let mut rng = Rng::new(1);
        let mut out = String::new();
        expand(
            "交货延迟{3-5}天，{p}受损{x}",
            &mut rng,
            &mut out,
            &mut |name, _, out| match name {
                "p" => out.push_str("叉车"),
                other => out.push_str(&other.to_uppercase()),
            },
        );
        assert!(out.starts_with("交货延迟"), "{out}");
        assert!(out.ends_with("天，叉车受损X"), "{out}");
        let n: i64 = out["交货延迟".len()..out.find('天').unwrap()]
            .parse()
            .unwrap();
        assert!((3..=5).contains(&n));
        out.clear();
        expand(
            "未闭合{p",
            &mut rng,
            &mut out,
            &mut |_, _, _| unreachable!(),
        );
        assert_eq!(out, "未闭合{p");
    }

    #[test]
    fn models_look_like_part_numbers() {
        let mut rng = Rng::new(2);
        for _ in 0..100 {
            let mut m = String::new();
            model(&mut rng, &mut m);
            assert!(m.is_ascii() && m.len() >= 4, "{m}");
            assert!(m.chars().any(|c| c.is_ascii_digit()));
        }
    }
}
