//! The loader and the pooling on tiny models made up here (random weights, a word-level
//! tokenizer): both architectures, batching, padding, positions. The real model's
//! behaviour is tested in `models/tests/minilm.rs`.

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use serde_json::json;

use super::*;

const WORDS: &[&str] = &[
    "the", "cat", "sits", "on", "mat", "a", "kitten", "rests", "rug", "stock", "markets", "fell",
];

/// A tokenizer.json with a word-level vocabulary: specials first, then `WORDS`.
fn tokenizer_json(specials: &[&str], cls: &str, sep: &str) -> serde_json::Value {
    let mut vocab = serde_json::Map::new();
    for (i, w) in specials.iter().chain(WORDS).enumerate() {
        vocab.insert((*w).to_owned(), json!(i));
    }
    let id = |t: &str| specials.iter().position(|s| *s == t).unwrap();
    let special = |t: &str| json!({ "SpecialToken": { "id": t, "type_id": 0 } });
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": { "type": "Lowercase" },
        "pre_tokenizer": { "type": "Whitespace" },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(cls), { "Sequence": { "id": "A", "type_id": 0 } }, special(sep)],
            "pair": [special(cls), { "Sequence": { "id": "A", "type_id": 0 } }, special(sep),
                     { "Sequence": { "id": "B", "type_id": 1 } }, special(sep)],
            "special_tokens": {
                cls: { "id": cls, "ids": [id(cls)], "tokens": [cls] },
                sep: { "id": sep, "ids": [id(sep)], "tokens": [sep] }
            }
        },
        "decoder": null,
        "model": { "type": "WordLevel", "vocab": vocab, "unk_token": specials[specials.len() - 1] }
    })
}

/// Writes a model folder with random weights; returns its config.
fn tiny_model(dir: &Path, architecture: Architecture, max_positions: usize) -> ModelConfig {
    let (model_type, specials, cls, sep, pad) = match architecture {
        Architecture::Bert => (
            "bert",
            &["[PAD]", "[CLS]", "[SEP]", "[UNK]"][..],
            "[CLS]",
            "[SEP]",
            0,
        ),
        Architecture::XlmRoberta => (
            "xlm-roberta",
            &["<s>", "<pad>", "</s>", "<unk>"][..],
            "<s>",
            "</s>",
            1,
        ),
        Architecture::E5s1 | Architecture::Static => {
            unreachable!("an E5S1 model is one file, not a folder")
        }
    };
    let config = json!({
        "architectures": [if architecture == Architecture::Bert { "BertModel" } else { "XLMRobertaModel" }],
        "model_type": model_type,
        "vocab_size": specials.len() + WORDS.len(),
        "hidden_size": 16,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "hidden_act": "gelu",
        "max_position_embeddings": max_positions,
        "pad_token_id": pad,
        "type_vocab_size": 1,
        "layer_norm_eps": 1e-5
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    std::fs::write(
        dir.join("tokenizer.json"),
        tokenizer_json(specials, cls, sep).to_string(),
    )
    .unwrap();
    let folder = Folder::parse(dir).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    Encoder::new(&folder, vb).unwrap();
    varmap.save(dir.join("model.safetensors")).unwrap();
    ModelConfig::new(dir)
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn batch_equals_single(architecture: Architecture) {
    let dir = tempfile::tempdir().unwrap();
    let embedder = Embedder::load(&tiny_model(dir.path(), architecture, 64)).unwrap();
    assert_eq!(embedder.info().architecture, architecture);
    assert_eq!(embedder.dims(), 16);
    let texts = [
        "the cat sits on the mat",
        "a kitten",
        "stock markets fell",
        "cat",
    ];
    let batch = embedder.embed_batch(&texts).unwrap();
    let sorted = embedder.embed(&texts, 3, &mut |_| {}).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let single = embedder.embed_batch(&[text]).unwrap();
        assert!((norm(single.row(0)) - 1.0).abs() < 1e-5);
        for (a, b) in [
            (batch.row(i), single.row(0)),
            (sorted.row(i), single.row(0)),
        ] {
            let worst = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max);
            assert!(
                worst < 1e-5,
                "{architecture:?} {text:?}: batched differs by {worst}"
            );
        }
    }
    // Padding must not leak into the mean: the short text alone and beside a long one agree
    // (checked above), and differs from what it would be with its padding counted.
    assert_ne!(batch.row(1), batch.row(0));
}

#[test]
fn bert_batches_equal_single_texts() {
    batch_equals_single(Architecture::Bert);
}

#[test]
fn xlm_roberta_batches_equal_single_texts() {
    batch_equals_single(Architecture::XlmRoberta);
}

#[test]
fn xlm_roberta_positions_start_after_the_padding_id() {
    // 10 positions with padding id 1: positions 2..=9 are usable, so 8 tokens at most.
    let dir = tempfile::tempdir().unwrap();
    let embedder = Embedder::load(&tiny_model(dir.path(), Architecture::XlmRoberta, 10)).unwrap();
    assert_eq!(embedder.info().max_tokens, 8);
    let long = WORDS.join(" ");
    let v = embedder.embed_batch(&[&long, "cat"]).unwrap();
    assert!((norm(v.row(0)) - 1.0).abs() < 1e-5);
    // BERT numbers from 0: all 10 positions.
    let dir = tempfile::tempdir().unwrap();
    let bert = Embedder::load(&tiny_model(dir.path(), Architecture::Bert, 10)).unwrap();
    assert_eq!(bert.info().max_tokens, 10);
    bert.embed_batch(&[&long]).unwrap();
}

#[test]
fn prefixes_change_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = tiny_model(dir.path(), Architecture::Bert, 64);
    config.query_prefix = "kitten ".into();
    config.passage_prefix = "stock ".into();
    let embedder = Embedder::load(&config).unwrap();
    let query = embedder.embed_query("cat").unwrap();
    let passage = embedder.embed_passages(&["cat"], 8, &mut |_| {}).unwrap();
    let prefixed = embedder.embed_batch(&["kitten cat", "stock cat"]).unwrap();
    assert_eq!(query, prefixed.row(0));
    assert_eq!(passage.row(0), prefixed.row(1));
}

#[test]
fn cls_pooling_when_the_folder_asks_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_model(dir.path(), Architecture::Bert, 64);
    let mean = Embedder::load(&config).unwrap();
    std::fs::create_dir(dir.path().join("1_Pooling")).unwrap();
    std::fs::write(
        dir.path().join("1_Pooling/config.json"),
        r#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#,
    )
    .unwrap();
    let cls = Embedder::load(&config).unwrap();
    assert_eq!(mean.info().pooling, Pooling::Mean);
    assert_eq!(cls.info().pooling, Pooling::Cls);
    assert_ne!(mean.info().fingerprint, cls.info().fingerprint);
    let a = mean.embed_batch(&["the cat sits"]).unwrap();
    let b = cls.embed_batch(&["the cat sits"]).unwrap();
    assert_ne!(a, b);
}

#[test]
fn the_architecture_comes_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    tiny_model(dir.path(), Architecture::Bert, 64);
    let write = |config: serde_json::Value| {
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        Folder::read(dir.path())
    };
    let base = json!({ "hidden_size": 16, "max_position_embeddings": 514 });
    let with = |extra: serde_json::Value| {
        let mut c = base.clone();
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    let f = write(with(json!({ "model_type": "xlm-roberta" }))).unwrap();
    assert_eq!(f.architecture, Architecture::XlmRoberta);
    assert_eq!(f.pad_token_id, 1, "XLM-RoBERTa pads with 1 unless told");
    assert_eq!(f.max_positions, 512);
    let f = write(with(json!({ "architectures": ["XLMRobertaModel"] }))).unwrap();
    assert_eq!(f.architecture, Architecture::XlmRoberta);
    let f = write(with(json!({ "model_type": "bert", "pad_token_id": 0 }))).unwrap();
    assert_eq!(f.architecture, Architecture::Bert);
    assert_eq!(f.max_positions, 514);
    let e = write(with(json!({ "model_type": "gpt2" }))).unwrap_err();
    assert!(e.is_user_error());
    assert!(
        e.to_string().contains("\"gpt2\" is not one kesou runs"),
        "{e}"
    );
}

#[test]
fn a_folder_without_weights_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{}").unwrap();
    std::fs::write(dir.path().join("pytorch_model.bin"), "").unwrap();
    let e = Embedder::load(&ModelConfig::new(dir.path())).unwrap_err();
    assert!(e.is_user_error());
    let msg = e.to_string();
    assert!(
        msg.contains("model.safetensors, tokenizer.json missing"),
        "{msg}"
    );
    assert!(msg.contains("convert it to safetensors"), "{msg}");
}

#[test]
fn stored_config_round_trips_and_refuses_unknown_keys() {
    let mut c = ModelConfig::new("/models/multilingual-e5-small");
    c.query_prefix = "query: ".into();
    c.passage_prefix = "passage: ".into();
    let text = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<ModelConfig>(&text).unwrap(), c);
    assert!(serde_json::from_str::<ModelConfig>(r#"{"path": "x", "prefix": "q"}"#).is_err());
}
