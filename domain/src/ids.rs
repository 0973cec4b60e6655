use std::fmt;

use serde::{Deserialize, Serialize};

/// A customer's id as the data contract defines it (`C0000123`): the primary key of
/// `customers`, the foreign key of `orders` and `interactions`, the id of a search hit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(String);

impl CustomerId {
    /// Longest id we accept; ids are keys, not text.
    pub const MAX_LEN: usize = 64;

    /// Wraps an id after checking its shape: 1 to 64 characters of ASCII letters, digits,
    /// `-` and `_`. Returns the reason as text when it does not fit.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("id is empty".to_owned());
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!(
                "id has {} characters, at most {} allowed",
                raw.chars().count(),
                Self::MAX_LEN
            ));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "id contains {bad:?}; only letters, digits, '-' and '_' are allowed"
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_contract_ids_and_rejects_others() {
        assert_eq!(CustomerId::parse("C0000123").unwrap().as_str(), "C0000123");
        assert!(CustomerId::parse("").is_err());
        assert!(CustomerId::parse("C 1").unwrap_err().contains("' '"));
        assert!(CustomerId::parse("x'; DROP TABLE customers; --").is_err());
        assert!(CustomerId::parse(&"C".repeat(65)).is_err());
    }
}
