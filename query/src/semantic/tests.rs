//! The vector file. Embedding, ranking and fusion with the real model are tested end to
//! end in `tests/integration/semantic.rs`.

use kesou_models::{Architecture, ModelInfo, Pooling};

use super::vectors::{self, Header, Vectors};

fn model(dims: usize) -> ModelInfo {
    ModelInfo {
        name: "tiny".into(),
        architecture: Architecture::Bert,
        dims,
        pooling: Pooling::Mean,
        max_tokens: 16,
        fingerprint: "00ff".into(),
    }
}

#[test]
fn the_vector_file_reads_back_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = vectors::path(dir.path());
    assert!(vectors::load(&path).unwrap().is_none(), "no file yet");
    let v = Vectors {
        header: Header {
            generation: 7,
            rows: 3,
            dims: 2,
            model: model(2),
        },
        ids: vec!["C1".into(), "C2".into(), "C3".into()],
        description_hash: vec![11, 0, 13],
        notes_hash: vec![0, 22, 23],
        descriptions: vec![1.0, 0.0, 0.0, 0.0, 0.6, 0.8],
        notes: vec![0.0, 0.0, 0.0, 1.0, -0.6, 0.8],
    };
    let bytes = vectors::save(&path, &v).unwrap();
    assert!(bytes > 48);
    let back = vectors::load(&path).unwrap().unwrap();
    assert_eq!(back.header, v.header);
    assert_eq!(back.ids, v.ids);
    assert_eq!(back.description_hash, v.description_hash);
    assert_eq!(back.notes_hash, v.notes_hash);
    assert_eq!(back.descriptions, v.descriptions);
    assert_eq!(back.notes, v.notes);
    assert_eq!(back.row_of("C2"), Some(1));
    assert_eq!(back.description(1), None, "hash 0: no description");
    assert_eq!(back.notes(2), Some(&[-0.6f32, 0.8][..]));
    assert_eq!(vectors::peek(&path).unwrap().unwrap().generation, 7);
}

#[test]
fn an_empty_store_has_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = vectors::path(dir.path());
    vectors::save(&path, &Vectors::empty(1, model(4))).unwrap();
    let back = vectors::load(&path).unwrap().unwrap();
    assert_eq!(back.rows(), 0);
    assert_eq!(back.header.dims, 4);
}

#[test]
fn a_file_of_another_version_is_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = vectors::path(dir.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"KESOUSEM\x09rest").unwrap();
    assert!(vectors::load(&path).unwrap().is_none());
    assert!(vectors::peek(&path).unwrap().is_none());
}
