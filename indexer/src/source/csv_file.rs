use std::io::Read;
use std::path::Path;

use super::encoding::{self, DecodingReader, TextEncoding};
use super::{Cell, HEADER_WITHIN, Record, RecordResult, Unreadable, header_row, is_total};
use crate::{Error, Result};

/// Splits a CSV cell holding a list (tags): `a|b|c`, also `;` and the Chinese `、` or `，`.
pub(crate) fn split_list(raw: &str) -> Vec<String> {
    raw.split(['|', ';', '、', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether the first line of `head` (a file's first bytes, as UTF-8 text) ends in CRLF.
fn first_line_ends_crlf(head: &[u8]) -> bool {
    head.iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && head[i - 1] == b'\r')
}

type Opened = (
    Vec<String>,
    Box<dyn Iterator<Item = RecordResult> + Send>,
    TextEncoding,
);

/// Opens a CSV (or TSV) file in whichever encoding it is (see [`super::encoding`]).
pub(super) fn open(path: &Path) -> Result<Opened> {
    let (encoding, head) = encoding::sniff(path)?;
    let delimiter = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"))
    {
        b'\t'
    } else {
        b','
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let (input, crlf): (Box<dyn Read + Send>, bool) = if encoding.is_utf8() {
        (Box::new(file), first_line_ends_crlf(&head))
    } else {
        let (text, _) = encoding.encoding.decode_with_bom_removal(&head);
        (
            Box::new(DecodingReader::new(file, encoding.encoding)),
            first_line_ends_crlf(text.as_bytes()),
        )
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(input);
    // The header is the first line, or one under a title, an export date and empty lines
    // (see [`super::header_row`]): the first lines are read to find it.
    let mut head: std::collections::VecDeque<csv::ByteRecord> = Default::default();
    while head.len() < HEADER_WITHIN {
        let mut record = csv::ByteRecord::new();
        match reader.read_byte_record(&mut record) {
            Ok(true) => head.push_back(record),
            Ok(false) => break,
            Err(e) if head.is_empty() => {
                return Err(Error::BadInput(format!(
                    "{}: cannot read the header line: {e}",
                    path.display()
                )));
            }
            Err(_) => break,
        }
    }
    let filled: Vec<usize> = head
        .iter()
        .map(|r| {
            r.iter()
                .filter(|f| !f.iter().all(u8::is_ascii_whitespace))
                .count()
        })
        .collect();
    let at = header_row(&filled).unwrap_or(0);
    let header = head
        .drain(..(at + 1).min(head.len()))
        .next_back()
        .map(|r| {
            r.iter()
                .map(|h| String::from_utf8_lossy(h).into_owned())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let width = header.len();
    // The csv crate places a record's start just before the previous line's '\n' when lines
    // end in CRLF, one line too early; such files get their line numbers shifted back.
    let crlf_shift = u64::from(crlf);
    let mut record = csv::ByteRecord::new();
    let iter = std::iter::from_fn(move || {
        loop {
            let read = match head.pop_front() {
                Some(r) => {
                    record = r;
                    Ok(true)
                }
                None => reader.read_byte_record(&mut record),
            };
            return match read {
                Ok(false) => None,
                Ok(true) => {
                    let line = record.position().map_or(0, |p| p.line()) + crlf_shift;
                    // Empty lines (of commas) and a 合计 row are not records.
                    if record.iter().all(<[u8]>::is_empty)
                        || is_total(record.iter().map(|f| std::str::from_utf8(f).unwrap_or("")))
                    {
                        continue;
                    }
                    if record.len() != width {
                        return Some(Err(Unreadable {
                            line,
                            reason: format!(
                                "row has {} fields, the header has {width}",
                                record.len()
                            ),
                        }));
                    }
                    let mut cells = Vec::with_capacity(width);
                    for (i, field) in record.iter().enumerate() {
                        match std::str::from_utf8(field) {
                            Ok("") => cells.push(None),
                            Ok(s) => cells.push(Some(Cell::Text(s.to_owned()))),
                            Err(_) => {
                                return Some(Err(Unreadable {
                                    line,
                                    reason: format!(
                                        "column {} is not valid UTF-8, though the file began as UTF-8 (save it in one encoding)",
                                        i + 1
                                    ),
                                }));
                            }
                        }
                    }
                    Some(Ok(Record { line, cells }))
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line()) + crlf_shift;
                    // A broken row: report it and go on with the next one; a broken file
                    // (I/O) ends the stream after reporting.
                    let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                    if fatal {
                        return None;
                    }
                    Some(Err(Unreadable {
                        line,
                        reason: format!("unreadable CSV row: {e}"),
                    }))
                }
            };
        }
    });
    Ok((header, Box::new(iter), encoding))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_those_a_text_editor_shows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        for newline in ["\n", "\r\n"] {
            let text = "a,b\n1,x\n2,\"two\nlines\"\n3,y\n4\n".replace('\n', newline);
            std::fs::write(&path, text).unwrap();
            let (_, records, _) = open(&path).unwrap();
            let lines: Vec<(u64, bool)> = records
                .map(|r| r.map_or_else(|u| (u.line, false), |r| (r.line, true)))
                .collect();
            assert_eq!(
                lines,
                [(2, true), (3, true), (5, true), (6, false)],
                "newline {newline:?}"
            );
        }
    }

    #[test]
    fn lists_split_on_common_separators() {
        assert_eq!(
            split_list("展会获客| 专精特新 ;上市公司、出口型"),
            ["展会获客", "专精特新", "上市公司", "出口型"]
        );
    }
}
