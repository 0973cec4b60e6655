//! The numbers a request carries (a page's offset and length, how many similar customers,
//! how long a token lives), each read as a whole number within its bound. One type for
//! every body and query string: a number past its bound, negative, fractional or written
//! as 1e13 is a 400 naming the bound before any handler runs, never a value that reaches
//! the engine (which checks the same bounds again, [`kesou_query::check_offset`]).

use serde::de::{Deserialize, Deserializer, Error as _};

/// A whole number between `MIN` and `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const MIN: u64, const MAX: u64>(u64);

impl<const MIN: u64, const MAX: u64> Bounded<MIN, MAX> {
    pub fn get(self) -> usize {
        // MAX is far below usize::MAX on every platform kesou builds for.
        usize::try_from(self.0).expect("a bounded count fits a usize")
    }
}

impl<const MIN: u64, const MAX: u64> Default for Bounded<MIN, MAX> {
    fn default() -> Self {
        Bounded(MIN)
    }
}

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d).map_err(|e| {
            D::Error::custom(format!("expected a whole number from {MIN} to {MAX} ({e})"))
        })?;
        if !(MIN..=MAX).contains(&n) {
            return Err(D::Error::custom(format!(
                "{n} is out of range: give a whole number from {MIN} to {MAX}"
            )));
        }
        Ok(Bounded(n))
    }
}

/// Where a page starts.
pub type Offset = Bounded<0, { kesou_query::MAX_OFFSET as u64 }>;
/// How many rows a page holds.
pub type PageLength = Bounded<1, { kesou_query::MAX_PAGE as u64 }>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default)]
        offset: Offset,
        #[serde(default)]
        limit: Option<PageLength>,
    }

    #[test]
    fn every_hostile_number_is_refused_with_its_bound() {
        let ok: Body = serde_json::from_str(r#"{"offset": 10000, "limit": 1000}"#).unwrap();
        assert_eq!((ok.offset.get(), ok.limit.unwrap().get()), (10_000, 1_000));
        assert_eq!(serde_json::from_str::<Body>("{}").unwrap().offset.get(), 0);
        for bad in [
            "18446744073709551615",
            "9223372036854775808",
            "-1",
            "1e13",
            "10000000000000",
            "10001",
            "1.5",
            "\"5\"",
            "null",
        ] {
            let e = serde_json::from_str::<Body>(&format!(r#"{{"offset": {bad}}}"#))
                .unwrap_err()
                .to_string();
            assert!(e.contains("0 to 10000"), "{bad}: {e}");
        }
        for bad in ["0", "1001", "-1", "1e13"] {
            let e = serde_json::from_str::<Body>(&format!(r#"{{"limit": {bad}}}"#))
                .unwrap_err()
                .to_string();
            assert!(e.contains("1 to 1000"), "{bad}: {e}");
        }
    }
}
