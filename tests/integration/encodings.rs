//! CSV files in the encodings Chinese systems save them in load like their UTF-8 twins, and
//! the ingest summary names each file's encoding.

use std::path::{Path, PathBuf};

use crate::common::{self, dump};

/// The generated files (300 customers, seed 11), shared through the test kit: read only.
fn generate() -> PathBuf {
    kesou_testkit::generated_source(300, 11)
}

fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "customers, orders, interactions, meta");
    files
}

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

/// Writes every CSV file of `from` into `to`, its text turned into bytes by `encode`.
fn re_encode(from: &Path, to: &Path, encode: impl Fn(&str) -> Vec<u8>) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for file in csv_files(from) {
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(to.join(file.file_name().unwrap()), encode(&text)).unwrap();
    }
    to.to_owned()
}

fn strict(encoding: &'static encoding_rs::Encoding) -> impl Fn(&str) -> Vec<u8> {
    move |text| {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(
            !unmappable,
            "{} holds every generated character",
            encoding.name()
        );
        bytes.into_owned()
    }
}

/// Text to the bytes of a file in some encoding.
type Encode = Box<dyn Fn(&str) -> Vec<u8>>;

fn encodings_of(s: &kesou_indexer::IngestSummary) -> Vec<(String, String)> {
    s.files
        .iter()
        .filter(|f| f.skipped.is_none())
        .map(|f| {
            let name = f.path.file_name().unwrap().to_string_lossy().into_owned();
            (name, f.encoding.clone().unwrap_or_default())
        })
        .collect()
}

#[test]
fn gbk_gb18030_and_utf16_files_load_like_their_utf8_twins() {
    let dir = tempfile::tempdir().unwrap();
    let source = generate();
    let (_d, paths, s) = common::ingest_into_temp(std::slice::from_ref(&source));
    assert_eq!(s.rejected(), 0);
    assert!(
        encodings_of(&s).iter().all(|(_, e)| e == "UTF-8"),
        "{:?}",
        encodings_of(&s)
    );
    let want = dump(&paths);
    assert!(want.contains("C0000300"));

    let cases: Vec<(&str, Encode)> = vec![
        (
            "UTF-8 (BOM)",
            Box::new(|t: &str| [b"\xEF\xBB\xBF".as_slice(), t.as_bytes()].concat()),
        ),
        ("GBK/GB18030", Box::new(strict(encoding_rs::GBK))),
        ("GBK/GB18030", Box::new(strict(encoding_rs::GB18030))),
        ("UTF-16LE (BOM)", Box::new(|t: &str| utf16(t, false))),
        ("UTF-16BE (BOM)", Box::new(|t: &str| utf16(t, true))),
    ];
    for (i, (label, encode)) in cases.into_iter().enumerate() {
        let copy = re_encode(&source, &dir.path().join(format!("case{i}")), encode);
        let (_d, paths, s) = common::ingest_into_temp(&[copy]);
        for (file, found) in encodings_of(&s) {
            // The meta file is ASCII: any ASCII-compatible encoding reads it as UTF-8.
            let ascii = file.starts_with("meta") && !label.contains("BOM");
            let expected = if ascii { "UTF-8" } else { label };
            assert_eq!(found, expected, "{file} written as {label}");
        }
        assert_eq!(s.rejected(), 0, "{label}: {:?}", s.rejects_file);
        assert!(
            dump(&paths) == want,
            "{label}: the store differs from UTF-8's"
        );
    }
}

/// Big5 holds traditional characters only: the free text goes traditional (as a Taiwanese
/// or Hong Kong export's would), the rows Big5 cannot hold are left out of both twins.
#[test]
fn a_big5_file_loads_like_its_utf8_twin() {
    let dir = tempfile::tempdir().unwrap();
    let source = generate();
    let twin = dir.path().join("twin");
    std::fs::create_dir_all(&twin).unwrap();
    for file in csv_files(&source) {
        let mut reader = csv::Reader::from_path(&file).unwrap();
        let header = reader.headers().unwrap().clone();
        let free: Vec<bool> = header
            .iter()
            .map(|h| {
                matches!(
                    h,
                    "name" | "description" | "note" | "product" | "owner" | "contact_name" | "tags"
                )
            })
            .collect();
        let blank: Vec<bool> = header
            .iter()
            .map(|h| matches!(h, "region" | "city"))
            .collect();
        let mut writer = csv::Writer::from_path(twin.join(file.file_name().unwrap())).unwrap();
        writer.write_record(&header).unwrap();
        for rec in reader.records() {
            let rec = rec.unwrap();
            let row: Vec<String> = rec
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if blank[i] {
                        String::new()
                    } else if free[i] {
                        hanconv::s2t(v)
                    } else {
                        v.to_owned()
                    }
                })
                .collect();
            if row.iter().all(|v| !encoding_rs::BIG5.encode(v).2) {
                writer.write_record(&row).unwrap();
            }
        }
        writer.flush().unwrap();
    }
    let (_d, paths, s) = common::ingest_into_temp(std::slice::from_ref(&twin));
    let want = dump(&paths);
    let customers = common::strings(&paths, "SELECT CAST(count(*) AS VARCHAR) FROM customers");
    assert!(
        customers[0].parse::<u32>().unwrap() >= 50,
        "enough customers survive in Big5 to compare: {customers:?}"
    );
    let loaded = s.loaded();

    let big5 = re_encode(&twin, &dir.path().join("big5"), strict(encoding_rs::BIG5));
    let (_d, paths, s) = common::ingest_into_temp(&[big5]);
    for (file, found) in encodings_of(&s) {
        // A file left with ASCII only (no interaction kind is in Big5) reads as UTF-8.
        let ascii = std::fs::read(twin.join(&file)).unwrap().is_ascii();
        let expected = if ascii { "UTF-8" } else { "Big5" };
        assert_eq!(found, expected, "{file}");
    }
    assert_eq!(s.loaded(), loaded);
    assert!(
        dump(&paths) == want,
        "the Big5 store differs from its UTF-8 twin's"
    );
}
