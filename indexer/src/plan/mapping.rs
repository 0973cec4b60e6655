//! `mapping.toml`: a person's word on how a file's columns load, over what kesou reads from
//! the headers and values. The dry run prints one to start from.
//!
//! ```toml
//! [[file]]
//! name = "客户资料.csv"          # the file's name (a sheet: "book.xlsx#客户")
//! table = "customers"
//! [file.columns]
//! "客户编码" = "id"              # a contract column (or a header kesou knows for it)
//! "所在地" = "province"
//! "客户来源" = "custom"          # a field of the file's own
//! "打印备注" = "ignore"          # not loaded
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::{Error, Result};

/// What a person chose for a file's columns.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub file: Vec<FileMapping>,
}

#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMapping {
    /// The file's name, or `book.xlsx#sheet`; a full path matches too.
    pub name: String,
    /// customers, orders, interactions or meta; else detected.
    pub table: Option<String>,
    /// Header → a contract column, `custom` or `ignore`.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Mapping> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text)
            .map_err(|e| Error::BadInput(format!("{}: {}", path.display(), e.message())))
    }

    /// The choices for a file (by the name shown for it: a path, or `path#sheet`).
    pub fn for_file(&self, shown: &Path) -> Option<&FileMapping> {
        let full = shown.display().to_string();
        let name = shown
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.file.iter().find(|f| f.name == full || f.name == name)
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A file's name, its table and each column's (header, target).
pub type FileTargets = (String, String, Vec<(String, String)>);

/// Writes a mapping file: for each file its name, table and every column's target.
pub fn to_toml(files: &[FileTargets]) -> String {
    let mut out = String::from(
        "# kesou ingest --map mapping.toml: how each file's columns load.\n\
         # A column's target is a contract column (id, name, province …), \"custom\" (a field\n\
         # of the file's own) or \"ignore\".\n",
    );
    for (name, table, columns) in files {
        let _ = write!(
            out,
            "\n[[file]]\nname = {}\ntable = {}\n[file.columns]\n",
            quoted(name),
            quoted(table)
        );
        for (header, target) in columns {
            let _ = writeln!(out, "{} = {}", quoted(header), quoted(target));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_mappings_read_back() {
        let files = vec![(
            "客户资料.csv".to_owned(),
            "customers".to_owned(),
            vec![
                ("客户编码".to_owned(), "id".to_owned()),
                ("say \"hi\"".to_owned(), "ignore".to_owned()),
            ],
        )];
        let m: Mapping = toml::from_str(&to_toml(&files)).unwrap();
        let f = m.for_file(Path::new("/data/客户资料.csv")).unwrap();
        assert_eq!(f.table.as_deref(), Some("customers"));
        assert_eq!(f.columns["say \"hi\""], "ignore");
        assert!(toml::from_str::<Mapping>("[[file]]\nname='a'\ncolumn={}").is_err());
    }
}
