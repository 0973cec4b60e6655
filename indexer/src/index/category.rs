//! The closed-set categories of a customer packed into one `u64` fast field, so facet counts
//! over many matches cost one column read and a few array increments per document (tantivy's
//! facet collector reads a variable-length list of term ordinals per document instead).
//!
//! Layout (0 means absent or unknown): bits 0–9 city (index into [`CITIES`] + 1), 10–15
//! province (index into `geo::PROVINCES` + 1), 16–18 region, 19–22 industry, 23–25 size,
//! 26–28 lifecycle, 29–30 value level; each set's value is its position in the set's `ALL`
//! + 1.

use std::collections::HashMap;
use std::sync::LazyLock;

use kesou_domain::{Industry, Lifecycle, Region, Size, ValueLevel, geo};

/// Every known city with its province index, in `geo::PROVINCES` order.
pub static CITIES: LazyLock<Vec<(usize, &'static str)>> = LazyLock::new(|| {
    geo::PROVINCES
        .iter()
        .enumerate()
        .flat_map(|(p, prov)| prov.cities.iter().map(move |(c, _)| (p, *c)))
        .collect()
});

/// Positions in `geo::PROVINCES` and in [`CITIES`] by name: every indexed customer is
/// encoded, and scanning the ~340 cities for each cost seconds at a million customers.
static PROVINCE_INDEX: LazyLock<HashMap<&'static str, usize>> = LazyLock::new(|| {
    geo::PROVINCES
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name, i))
        .collect()
});
static CITY_INDEX: LazyLock<HashMap<(usize, &'static str), usize>> =
    LazyLock::new(|| CITIES.iter().enumerate().map(|(i, pc)| (*pc, i)).collect());

const CITY: (u32, u64) = (0, 0x3ff);
const PROVINCE: (u32, u64) = (10, 0x3f);
const REGION: (u32, u64) = (16, 0x7);
const INDUSTRY: (u32, u64) = (19, 0xf);
const SIZE: (u32, u64) = (23, 0x7);
const LIFECYCLE: (u32, u64) = (26, 0x7);
const VALUE: (u32, u64) = (29, 0x3);

/// The decoded categories: 1-based positions, 0 when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Categories {
    pub city: usize,
    pub province: usize,
    pub region: usize,
    pub industry: usize,
    pub size: usize,
    pub lifecycle: usize,
    pub value_level: usize,
}

fn pos<T: PartialEq + Copy>(all: &[T], v: Option<T>) -> u64 {
    v.and_then(|v| all.iter().position(|a| *a == v))
        .map_or(0, |p| p as u64 + 1)
}

/// Packs a customer's stored values (Chinese names as in the store).
#[allow(clippy::too_many_arguments)]
pub fn encode(
    region: Option<&str>,
    province: Option<&str>,
    city: Option<&str>,
    industry: Option<&str>,
    size: Option<&str>,
    lifecycle: Option<&str>,
    value_level: Option<&str>,
) -> u64 {
    let p = province.and_then(|p| PROVINCE_INDEX.get(p).copied());
    let c = match (p, city) {
        (Some(p), Some(c)) => CITY_INDEX.get(&(p, c)).map_or(0, |i| *i as u64 + 1),
        _ => 0,
    };
    let fields = [
        (CITY, c),
        (PROVINCE, p.map_or(0, |p| p as u64 + 1)),
        (REGION, pos(Region::ALL, region.and_then(Region::parse))),
        (
            INDUSTRY,
            pos(Industry::ALL, industry.and_then(Industry::parse)),
        ),
        (SIZE, pos(Size::ALL, size.and_then(Size::parse))),
        (
            LIFECYCLE,
            pos(Lifecycle::ALL, lifecycle.and_then(Lifecycle::parse)),
        ),
        (
            VALUE,
            pos(ValueLevel::ALL, value_level.and_then(ValueLevel::parse)),
        ),
    ];
    fields
        .iter()
        .fold(0, |code, ((shift, mask), v)| code | ((v & mask) << shift))
}

#[inline]
pub fn decode(code: u64) -> Categories {
    let get = |(shift, mask): (u32, u64)| ((code >> shift) & mask) as usize;
    Categories {
        city: get(CITY),
        province: get(PROVINCE),
        region: get(REGION),
        industry: get(INDUSTRY),
        size: get(SIZE),
        lifecycle: get(LIFECYCLE),
        value_level: get(VALUE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_set() {
        let code = encode(
            Some("华东"),
            Some("浙江省"),
            Some("杭州市"),
            Some("科技"),
            Some("中型"),
            Some("忠诚"),
            Some("高"),
        );
        let c = decode(code);
        assert_eq!(geo::PROVINCES[c.province - 1].name, "浙江省");
        assert_eq!(CITIES[c.city - 1], (c.province - 1, "杭州市"));
        assert_eq!(Region::ALL[c.region - 1], Region::EastChina);
        assert_eq!(Industry::ALL[c.industry - 1], Industry::Tech);
        assert_eq!(Size::ALL[c.size - 1], Size::Medium);
        assert_eq!(Lifecycle::ALL[c.lifecycle - 1], Lifecycle::Loyal);
        assert_eq!(ValueLevel::ALL[c.value_level - 1], ValueLevel::High);
        assert!(CITIES.len() < 0x3ff && geo::PROVINCES.len() < 0x3f);
    }

    #[test]
    fn unknown_and_missing_values_are_zero() {
        let c = decode(encode(
            Some("华东"),
            Some("浙江省"),
            Some("不存在市"),
            None,
            None,
            None,
            None,
        ));
        assert_eq!((c.city, c.industry, c.size), (0, 0, 0));
        assert!(c.province > 0 && c.region > 0);
    }
}
