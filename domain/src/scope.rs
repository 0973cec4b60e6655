//! Row-level scope: the customers a user may see. A scope is a list of category filters of
//! which *any* may hold (业务员: `region=华东` or `owner=张伟`); no scope means every row.
//! The scope itself lives here, with the values it names normalised as ingest normalises
//! them, so that `access` can hold one without the query engine; `kesou-query` applies it
//! in the form each read path needs (a tantivy clause, a SQL condition, a question filter).

use serde::{Deserialize, Serialize};

use crate::{Region, geo};

/// Category fields a scope may name: the place and the salesperson.
pub const SCOPE_FIELDS: &[&str] = &["region", "province", "city", "owner"];

/// The customers a user may see: those matching any of `any` (an empty list: none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    any: Vec<ScopeRule>,
}

/// One way a customer is in scope: its `field` is one of `values` (normalised as ingest
/// normalises them: 浙江 → 浙江省).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScopeRule {
    pub field: String,
    pub values: Vec<String>,
}

/// A scope that names another field than [`SCOPE_FIELDS`] or a value that is none of its
/// field's: what was wrong and what was expected. Always the user's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScopeError(pub String);

impl Scope {
    /// A scope from rules; values are checked and normalised, empty rules dropped.
    pub fn new(
        rules: impl IntoIterator<Item = (String, Vec<String>)>,
    ) -> Result<Scope, ScopeError> {
        let mut any = Vec::new();
        for (field, values) in rules {
            if !SCOPE_FIELDS.contains(&field.as_str()) {
                return Err(ScopeError(format!(
                    "a scope names {}, not {field:?}",
                    SCOPE_FIELDS.join(", ")
                )));
            }
            let mut normal = Vec::with_capacity(values.len());
            for v in values {
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                normal.push(canonical(&field, v)?);
            }
            normal.sort();
            normal.dedup();
            if !normal.is_empty() {
                any.push(ScopeRule {
                    field,
                    values: normal,
                });
            }
        }
        Ok(Scope { any })
    }

    /// The scope that lets nothing through.
    pub fn nothing() -> Scope {
        Scope { any: Vec::new() }
    }

    pub fn rules(&self) -> &[ScopeRule] {
        &self.any
    }

    /// Whether a customer with these values is in scope (`value(field)` gives the row's
    /// value of a scope field).
    pub fn allows<'a>(&self, value: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.any
            .iter()
            .any(|r| value(&r.field).is_some_and(|v| r.values.iter().any(|allowed| allowed == v)))
    }
}

/// A scope field's value as the store holds it (浙江 → 浙江省); a salesperson as typed.
fn canonical(field: &str, value: &str) -> Result<String, ScopeError> {
    let bad =
        |expected: &str| ScopeError(format!("{value:?} is not a {field}; expected {expected}"));
    Ok(match field {
        "region" => Region::parse(value)
            .ok_or_else(|| {
                bad(&Region::ALL
                    .iter()
                    .map(|r| r.zh())
                    .collect::<Vec<_>>()
                    .join(" "))
            })?
            .zh()
            .to_owned(),
        "province" => geo::province(value)
            .ok_or_else(|| bad("a province such as 浙江省 or 浙江"))?
            .name
            .to_owned(),
        "city" => geo::city(value)
            .ok_or_else(|| bad("a city such as 杭州市 or 杭州"))?
            .1
            .to_owned(),
        _ => value.to_owned(),
    })
}

/// `region=华东 | owner=张伟`, for people.
impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.any.is_empty() {
            return f.write_str("(nothing)");
        }
        let parts: Vec<String> = self
            .any
            .iter()
            .map(|r| format!("{}={}", r.field, r.values.join(",")))
            .collect();
        f.write_str(&parts.join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new([
            ("region".to_owned(), vec!["华东".to_owned()]),
            ("province".to_owned(), vec!["广东".to_owned()]),
            ("owner".to_owned(), vec!["张伟".to_owned(), " ".to_owned()]),
        ])
        .unwrap()
    }

    #[test]
    fn normalises_and_tests_rows() {
        let s = scope();
        assert_eq!(s.to_string(), "region=华东 | province=广东省 | owner=张伟");
        let row = |region: &'static str, province: &'static str, owner: &'static str| {
            move |f: &str| match f {
                "region" => Some(region),
                "province" => Some(province),
                "owner" => Some(owner),
                _ => None,
            }
        };
        assert!(s.allows(row("华东", "浙江省", "李娜")));
        assert!(s.allows(row("华南", "广东省", "李娜")));
        assert!(s.allows(row("华北", "北京市", "张伟")));
        assert!(!s.allows(row("华北", "北京市", "李娜")));
        assert!(!Scope::nothing().allows(row("华东", "浙江省", "张伟")));
        let city = Scope::new([("city".to_owned(), vec!["杭州".to_owned()])]).unwrap();
        assert_eq!(city.to_string(), "city=杭州市");
    }

    #[test]
    fn refuses_other_fields_and_bad_values() {
        assert!(Scope::new([("email".to_owned(), vec!["x".to_owned()])]).is_err());
        let e = Scope::new([("region".to_owned(), vec!["火星".to_owned()])]).unwrap_err();
        assert!(
            e.0.starts_with("\"火星\" is not a region; expected 华东"),
            "{e}"
        );
    }
}
