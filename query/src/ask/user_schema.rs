//! `STORE/schema.toml`: the words a company adds to the schema description without code:
//! labels and synonyms of any field (a custom field by its header, a contract field by its
//! name or label), and synonyms of values.
//!
//! ```toml
//! [fields."客户来源"]
//! label = "获客渠道"
//! words = ["渠道", "获客方式"]
//! values = { "展会" = ["展览会", "会展"] }
//!
//! [fields.annual_purchase]
//! words = ["年度采购"]
//! ```
//!
//! The file sits beside the store's database, so every reader of the store finds it. A
//! field named that the store does not have (yet: a custom field arrives with its first
//! ingest) is skipped with a warning; a file that does not parse is a user error that
//! names it, as a bad access policy is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;
use kesou_nlq::{Schema, ValueWords};
use serde::Deserialize;

use crate::{Error, Result};

/// The file's name inside a store folder.
pub const USER_SCHEMA_FILE: &str = "schema.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserSchema {
    #[serde(default)]
    fields: BTreeMap<String, UserField>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserField {
    /// The label answers use instead of the shipped one (or the header).
    label: Option<String>,
    /// More words that name the field.
    #[serde(default)]
    words: Vec<String>,
    /// More words for values: value → its words.
    #[serde(default)]
    values: BTreeMap<String, Vec<String>>,
}

/// The `schema.toml` beside the database `conn` is open on, when it has one.
fn file_of(conn: &Connection) -> Result<Option<PathBuf>> {
    let db: Option<String> = conn.query_row(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()",
        [],
        |r| r.get(0),
    )?;
    Ok(db
        .filter(|p| !p.is_empty())
        .and_then(|p| Path::new(&p).parent().map(|d| d.join(USER_SCHEMA_FILE)))
        .filter(|p| p.is_file()))
}

/// Applies the store's `schema.toml`, when there is one, to `schema`.
pub fn apply_user_schema(conn: &Connection, schema: &mut Schema) -> Result<()> {
    let Some(path) = file_of(conn)? else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::BadRequest(format!("{}: {e}", path.display())))?;
    apply(&text, &path, schema)
}

fn apply(text: &str, path: &Path, schema: &mut Schema) -> Result<()> {
    let user: UserSchema = toml::from_str(text).map_err(|e| {
        Error::BadRequest(format!(
            "{}: {e}; see docs/guide/loading-data.md for its form",
            path.display()
        ))
    })?;
    for (key, add) in user.fields {
        let column = super::store_schema::field_column(&key);
        let Some(field) = schema.fields.iter_mut().find(|f| {
            f.name == key || f.label == key || column.as_deref() == Some(f.name.as_str())
        }) else {
            tracing::warn!(file = %path.display(), field = %key, "schema.toml names no field of this store; skipped");
            continue;
        };
        if let Some(label) = add.label.filter(|l| !l.trim().is_empty()) {
            if !field.words.contains(&field.label) {
                field.words.push(field.label.clone());
            }
            field.label = label.trim().to_owned();
            if !field.words.contains(&field.label) {
                field.words.push(field.label.clone());
            }
        }
        for w in add.words {
            let w = w.trim().to_owned();
            if !w.is_empty() && !field.words.contains(&w) {
                field.words.push(w);
            }
        }
        for (value, words) in add.values {
            let at = match field.values.iter().position(|v| v.value == value) {
                Some(at) => at,
                None => {
                    field.values.push(ValueWords {
                        value,
                        words: Vec::new(),
                    });
                    field.values.len() - 1
                }
            };
            let entry = &mut field.values[at];
            for w in words {
                let w = w.trim().to_owned();
                if !w.is_empty() && !entry.words.contains(&w) {
                    entry.words.push(w);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Schema {
        Schema::from_toml(super::super::CUSTOMERS_TOML).unwrap()
    }

    #[test]
    fn labels_and_words_are_added_by_name_or_label() {
        let mut s = shipped();
        apply(
            "[fields.annual_purchase]\nwords = [\"年度采购\"]\n\
             [fields.\"行业\"]\nlabel = \"所属行业\"\nvalues = { \"科技\" = [\"硬科技\"] }\n",
            Path::new("schema.toml"),
            &mut s,
        )
        .unwrap();
        let ap = s.field("annual_purchase").unwrap();
        assert!(ap.words.iter().any(|w| w == "年度采购"));
        let industry = s.field("industry").unwrap();
        assert_eq!(industry.label, "所属行业");
        assert!(
            industry.words.iter().any(|w| w == "行业"),
            "the old label still names it"
        );
        let tech = industry.values.iter().find(|v| v.value == "科技").unwrap();
        assert!(tech.words.iter().any(|w| w == "硬科技"));
    }

    #[test]
    fn a_bad_file_says_which_and_an_unknown_field_is_skipped() {
        let mut s = shipped();
        let e = apply(
            "[fields.x]\nsynonyms = []\n",
            Path::new("S/schema.toml"),
            &mut s,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("S/schema.toml") && e.contains("synonyms"), "{e}");
        apply(
            "[fields.\"没有\"]\nwords = [\"甲\"]\n",
            Path::new("schema.toml"),
            &mut s,
        )
        .unwrap();
        assert!(!s.fields.iter().any(|f| f.words.iter().any(|w| w == "甲")));
    }
}
