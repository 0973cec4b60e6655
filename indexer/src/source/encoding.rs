//! Which text encoding a CSV file is in, and reading it as UTF-8.
//!
//! Excel on Chinese Windows saves CSV as GBK, Taiwanese and Hong Kong systems as Big5, and
//! "Unicode text" as UTF-16 with a byte order mark. The first 64 KiB decide: a byte order
//! mark names the encoding; a prefix that is valid UTF-8 is UTF-8 and the file takes the
//! plain path (no decoding, the speed of a 1M-row load unchanged); anything else goes to
//! `chardetng`'s detector and the file is decoded as it streams (`encoding_rs`, in chunks).
//! GBK is decoded as GB18030 (the Encoding Standard's GBK decoder is GB18030's), so a
//! GB18030 file reads whole. UTF-16 is recognised by its byte order mark only.

use std::io::{self, Read};
use std::path::Path;

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8};

use crate::{Error, Result};

/// How many bytes of a file decide its encoding.
const SNIFF: usize = 64 * 1024;

/// A file's text encoding as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    /// The file starts with a byte order mark.
    pub bom: bool,
}

impl TextEncoding {
    pub const UTF_8: TextEncoding = TextEncoding {
        encoding: UTF_8,
        bom: false,
    };

    /// Whether the file is read as it is (UTF-8), without decoding.
    pub fn is_utf8(self) -> bool {
        self.encoding == UTF_8
    }

    /// What the ingest summary says: `UTF-8`, `UTF-8 (BOM)`, `GBK/GB18030`, `Big5`,
    /// `UTF-16LE (BOM)` …
    pub fn label(self) -> String {
        let name = if self.encoding == encoding_rs::GBK || self.encoding == encoding_rs::GB18030 {
            "GBK/GB18030"
        } else {
            self.encoding.name()
        };
        if self.bom {
            format!("{name} (BOM)")
        } else {
            name.to_owned()
        }
    }
}

/// The encoding of `head`, the first bytes of a file (`whole`: the file ends there).
pub fn detect(head: &[u8], whole: bool) -> TextEncoding {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return TextEncoding {
            encoding,
            bom: true,
        };
    }
    match std::str::from_utf8(head) {
        Ok(_) => return TextEncoding::UTF_8,
        // Cut in the middle of a character by the prefix's end: still UTF-8.
        Err(e) if e.error_len().is_none() && !whole => return TextEncoding::UTF_8,
        Err(_) => {}
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(head, whole);
    // No top-level-domain hint: `cn` would read Big5 files as GBK.
    let encoding = detector.guess(None, chardetng::Utf8Detection::Allow);
    TextEncoding {
        encoding,
        bom: false,
    }
}

/// Reads the first bytes of the file at `path` and detects its encoding.
pub fn sniff(path: &Path) -> Result<(TextEncoding, Vec<u8>)> {
    let mut head = Vec::with_capacity(SNIFF);
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF as u64 + 1).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let whole = head.len() <= SNIFF;
    head.truncate(SNIFF);
    Ok((detect(&head, whole), head))
}

/// A reader of UTF-8 decoded from another encoding as the bytes stream through; a malformed
/// sequence becomes U+FFFD (the validators then see a value that fails its check rather
/// than a row that cannot be read). A byte order mark is consumed.
pub struct DecodingReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> DecodingReader<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodingReader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; 64 * 1024],
            in_start: 0,
            in_end: 0,
            output: vec![0; 3 * 64 * 1024 + 16],
            out_start: 0,
            out_end: 0,
            eof: false,
            done: false,
        }
    }

    /// Decodes the next chunk into `output`; false when everything was decoded.
    fn fill(&mut self) -> io::Result<bool> {
        loop {
            if self.done {
                return Ok(false);
            }
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = 0;
                let n = self.inner.read(&mut self.input)?;
                self.in_end = n;
                self.eof = n == 0;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.in_start..self.in_end],
                &mut self.output,
                self.eof,
            );
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            if self.eof && self.in_start == self.in_end && result == CoderResult::InputEmpty {
                self.done = true;
            }
            if written > 0 {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_start == self.out_end && !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "id,name,province\nC0000001,苏州恒瑞精密机械有限公司,江苏省\n\
                        C0000002,臺北市信義精密機械股份有限公司,浙江省\n";

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    fn read_all(bytes: &[u8], encoding: &'static Encoding) -> String {
        let mut out = String::new();
        DecodingReader::new(bytes, encoding)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn each_encoding_is_detected_and_decoded() {
        let simplified = TEXT
            .lines()
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
            .repeat(20);
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (TEXT.as_bytes().to_vec(), "UTF-8", TEXT),
            (
                [b"\xEF\xBB\xBF".as_slice(), TEXT.as_bytes()].concat(),
                "UTF-8 (BOM)",
                TEXT,
            ),
            (
                encoding_rs::GBK.encode(&simplified).0.into_owned(),
                "GBK/GB18030",
                &simplified,
            ),
            (
                encoding_rs::GB18030.encode(TEXT).0.into_owned(),
                "GBK/GB18030",
                TEXT,
            ),
            (utf16(TEXT, false), "UTF-16LE (BOM)", TEXT),
            (utf16(TEXT, true), "UTF-16BE (BOM)", TEXT),
        ];
        for (bytes, label, text) in cases {
            let found = detect(&bytes, true);
            assert_eq!(found.label(), label);
            let decoded = if found.is_utf8() {
                String::from_utf8(bytes.clone()).unwrap()
            } else {
                read_all(&bytes, found.encoding)
            };
            assert_eq!(decoded.trim_start_matches('\u{feff}'), text, "{label}");
        }
        let traditional = "編號,名稱,省份\nC0000002,臺北市信義精密機械股份有限公司,臺灣省\n\
                           C0000003,高雄港區國際物流貿易有限公司,臺灣省\n"
            .repeat(5);
        let big5 = encoding_rs::BIG5.encode(&traditional).0.into_owned();
        assert_eq!(detect(&big5, true).label(), "Big5");
        assert_eq!(read_all(&big5, encoding_rs::BIG5), traditional);
    }

    #[test]
    fn a_prefix_cut_inside_a_character_is_still_utf8() {
        let bytes = "客搜".as_bytes();
        assert!(detect(&bytes[..4], false).is_utf8());
    }

    #[test]
    fn decoding_streams_across_chunk_boundaries() {
        // Longer than one input chunk, with two-byte characters straddling the boundaries.
        let text = "甲,乙\n".repeat(30_000);
        let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
        // A reader that hands out 7 bytes at a time splits characters.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(7).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = String::new();
        DecodingReader::new(Trickle(&gbk), encoding_rs::GBK)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }
}
