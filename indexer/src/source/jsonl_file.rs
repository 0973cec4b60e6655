use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use super::{Cell, Record, RecordResult, Unreadable};
use crate::{Error, Result};

type Opened = (Vec<String>, Box<dyn Iterator<Item = RecordResult> + Send>);

/// JSON Lines: one object per line. The header is the union of the keys of the first
/// 1,000 objects, in order of first appearance; a later object with a key outside it is
/// rejected with the key named rather than losing the field.
pub(super) fn open(path: &Path) -> Result<Opened> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut header: Vec<String> = Vec::new();
    for line in BufReader::new(file).lines().take(1000) {
        let line = line.map_err(|e| Error::io(path, e))?;
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&line) {
            for k in map.keys() {
                if !header.contains(k) {
                    header.push(k.clone());
                }
            }
        }
    }
    if header.is_empty() {
        return Err(Error::BadInput(format!(
            "{}: no JSON object in the first 1,000 lines",
            path.display()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let keys = header.clone();
    let mut lines = BufReader::new(file).split(b'\n');
    let mut line_no = 0u64;
    let iter = std::iter::from_fn(move || {
        loop {
            let raw = lines.next()?.ok()?;
            line_no += 1;
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_line(&raw, line_no, &keys));
        }
    });
    Ok((header, Box::new(iter)))
}

fn parse_line(raw: &[u8], line: u64, keys: &[String]) -> RecordResult {
    let text = std::str::from_utf8(raw).map_err(|_| Unreadable {
        line,
        reason: "line is not valid UTF-8".into(),
    })?;
    let map = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(Unreadable {
                line,
                reason: "line is JSON but not an object".into(),
            });
        }
        Err(e) => {
            return Err(Unreadable {
                line,
                reason: format!("line is not valid JSON: {e}"),
            });
        }
    };
    if let Some(extra) = map.keys().find(|k| !keys.contains(k)) {
        return Err(Unreadable {
            line,
            reason: format!("key {extra:?} does not appear in the file's first 1,000 lines"),
        });
    }
    object_record(&map, line, keys)
}

/// The record of a JSON object: one cell per key of `keys` (absent, null and empty values
/// are `None`; numbers and booleans become their text; arrays of texts are lists).
pub(crate) fn object_record(
    map: &serde_json::Map<String, Value>,
    line: u64,
    keys: &[String],
) -> RecordResult {
    let mut cells = Vec::with_capacity(keys.len());
    for key in keys {
        let cell = match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(Cell::Text(s.clone())),
            Some(Value::Number(n)) => Some(Cell::Text(n.to_string())),
            Some(Value::Bool(b)) => Some(Cell::Text(b.to_string())),
            Some(Value::Array(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => list.push(s.clone()),
                        Value::Number(n) => list.push(n.to_string()),
                        other => {
                            return Err(Unreadable {
                                line,
                                reason: format!(
                                    "{key:?} holds a list with {other}, expected texts"
                                ),
                            });
                        }
                    }
                }
                Some(Cell::List(list))
            }
            Some(Value::Object(_)) => {
                return Err(Unreadable {
                    line,
                    reason: format!("{key:?} holds an object, expected a value"),
                });
            }
        };
        cells.push(cell);
    }
    Ok(Record { line, cells })
}
