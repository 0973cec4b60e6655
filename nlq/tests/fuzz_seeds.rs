//! The question fuzz target's seeds (`fuzz/seeds/question/`, and any crash input kept
//! there) through the same checks as the fuzzer: its short run, on stable.

mod common;

#[test]
fn the_fuzz_seeds_hold_every_promise() {
    let parser = common::parser();
    let (y, m, d) = kesou_nlq::fuzzing::AS_OF[0];
    assert_eq!(
        chrono::NaiveDate::from_ymd_opt(y, m, d),
        Some(common::as_of()),
        "byte 0 is the tests' as_of"
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/question");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 10, "the seeds are there");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        if let Some((as_of, q)) = kesou_nlq::fuzzing::split_input(&bytes) {
            kesou_nlq::fuzzing::check_question(&parser, &q, as_of);
        }
    }
}
