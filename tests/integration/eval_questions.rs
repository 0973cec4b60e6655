//! The colloquial question set (`eval/questions.toml`) asked of the generated store through
//! `kesou eval questions`: no answer may differ from its hand-written SQL without saying it
//! is partial, and no has-any question (有没有, 是否有, 有无) is read as a negation.

use std::process::Command;

use serde_json::Value as Json;

use crate::ask_store::{self, STORE};

const SET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/questions.toml");

#[test]
fn no_question_of_the_set_gets_a_wrong_answer_without_saying_it_is_partial() {
    let out = Command::new(env!("CARGO_BIN_EXE_kesou"))
        .args(["eval", "questions", SET, "--format", "json", "--data"])
        .arg(&STORE.paths.root)
        .output()
        .expect("run kesou eval questions");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let graded: Vec<Json> = serde_json::from_slice(&out.stdout).expect("json report");
    assert!(graded.len() >= 500, "{} questions", graded.len());
    let wrong: Vec<String> = graded
        .iter()
        .filter(|g| g["outcome"] == "wrong" || g["outcome"] == "refused")
        .map(|g| format!("{} → {} ({})", g["question"], g["explain"], g["note"]))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} answers wrong without a warning, or refused:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Every miss said so.
    for g in &graded {
        if g["outcome"] == "partial_miss" {
            assert_eq!(g["partial"], true, "{g}");
        }
    }
}

#[test]
fn no_has_any_question_is_read_as_a_negation() {
    #[derive(serde::Deserialize)]
    struct Set {
        question: Vec<Q>,
    }
    #[derive(serde::Deserialize)]
    struct Q {
        category: String,
        question: String,
    }
    let set: Set = toml::from_str(&std::fs::read_to_string(SET).unwrap()).unwrap();
    let asker = kesou_query::ask::Asker::from_reader(ask_store::reader()).unwrap();
    let mut n = 0;
    for q in set.question.iter().filter(|q| q.category == "hasany") {
        let reading = kesou_nlq::canonical(&asker.parse(&q.question));
        n += 1;
        assert!(
            !reading.contains("!=") && !reading.contains("not(") && !reading.contains("no "),
            "{} → {reading}",
            q.question
        );
        assert!(
            !reading.is_empty() && !reading.contains("?:"),
            "{} → {reading}",
            q.question
        );
    }
    assert!(n >= 40, "{n} has-any questions");
}
