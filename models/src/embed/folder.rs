//! A model folder as sentence-transformers and Hugging Face leave it: `config.json` (which
//! architecture, its sizes), `model.safetensors` (the weights), `tokenizer.json`, and the
//! sentence-transformers extras kesou reads when present (`1_Pooling/config.json`: mean or
//! CLS pooling; `sentence_bert_config.json`: the longest input the model was trained for).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{Error, Result};

/// The encoder architectures kesou runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// BERT and its small cousins: all-MiniLM-L6-v2, bge-small-zh-v1.5, multilingual-e5-small.
    Bert,
    /// XLM-RoBERTa: multilingual-e5-base/large, bge-m3. Positions count from the padding id + 1.
    XlmRoberta,
    /// multilingual-e5-small as one 4-bit E5S1 file (`e5-small-q4.bin`), not a folder.
    E5s1,
    /// A static model distilled from an E5S1 file (`kesou embed --distill`): token vectors
    /// averaged, no transformer.
    Static,
}

/// How token vectors become one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// The mean of the token vectors the attention mask keeps (padding left out).
    Mean,
    /// The first token's vector ([CLS]), as the bge models are trained.
    Cls,
}

/// What kesou read from a model folder, before loading any weight.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub dir: PathBuf,
    pub architecture: Architecture,
    /// `config.json` with kesou's defaults for the fields some configs leave out.
    pub config: Json,
    pub hidden_size: usize,
    pub pad_token_id: u32,
    /// Longest input the position table allows.
    pub max_positions: usize,
    /// The pooling the folder asks for (mean when it says nothing).
    pub pooling: Pooling,
    /// `sentence_bert_config.json`'s `max_seq_length`, when present.
    pub trained_max_tokens: Option<usize>,
}

pub(crate) const CONFIG: &str = "config.json";
pub(crate) const WEIGHTS: &str = "model.safetensors";
pub(crate) const TOKENIZER: &str = "tokenizer.json";

impl Folder {
    pub fn read(dir: &Path) -> Result<Folder> {
        if !dir.is_dir() {
            return Err(Error::BadModel(format!(
                "{} is not a folder; give the folder of a sentence-embedding model \
                 (config.json, model.safetensors, tokenizer.json)",
                dir.display()
            )));
        }
        let missing: Vec<&str> = [CONFIG, WEIGHTS, TOKENIZER]
            .into_iter()
            .filter(|f| !dir.join(f).is_file())
            .collect();
        if !missing.is_empty() {
            let hint = if missing.contains(&WEIGHTS) && dir.join("pytorch_model.bin").is_file() {
                "; it has pytorch_model.bin only: convert it to safetensors first"
            } else {
                ""
            };
            return Err(Error::BadModel(format!(
                "{} is not a sentence-embedding model folder: {} missing{hint}",
                dir.display(),
                missing.join(", ")
            )));
        }
        Folder::parse(dir)
    }

    /// The folder's settings, without checking that the weights are there.
    pub fn parse(dir: &Path) -> Result<Folder> {
        let mut config = read_json(&dir.join(CONFIG))?;
        let architecture = architecture(&config, dir)?;
        fill_defaults(&mut config, architecture);
        let number = |key: &str| -> Result<usize> {
            config
                .get(key)
                .and_then(Json::as_u64)
                .map(|n| n as usize)
                .ok_or_else(|| {
                    Error::BadModel(format!(
                        "{}: {key} is missing or not a number",
                        dir.join(CONFIG).display()
                    ))
                })
        };
        let hidden_size = number("hidden_size")?;
        let pad_token_id = number("pad_token_id")? as u32;
        let positions = number("max_position_embeddings")?;
        // XLM-RoBERTa numbers positions from padding_idx + 1.
        let max_positions = match architecture {
            Architecture::Bert | Architecture::E5s1 | Architecture::Static => positions,
            Architecture::XlmRoberta => positions.saturating_sub(pad_token_id as usize + 1),
        };
        let trained_max_tokens = optional_json(&dir.join("sentence_bert_config.json"))?
            .and_then(|c| c.get("max_seq_length").and_then(Json::as_u64))
            .map(|n| n as usize);
        Ok(Folder {
            dir: dir.to_owned(),
            architecture,
            pooling: pooling(dir)?,
            config,
            hidden_size,
            pad_token_id,
            max_positions,
            trained_max_tokens,
        })
    }
}

fn read_json(path: &Path) -> Result<Json> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::BadModel(format!("{}: not valid JSON: {e}", path.display())))
}

fn optional_json(path: &Path) -> Result<Option<Json>> {
    if path.is_file() {
        read_json(path).map(Some)
    } else {
        Ok(None)
    }
}

/// `model_type` decides; `architectures` when a config has no type.
fn architecture(config: &Json, dir: &Path) -> Result<Architecture> {
    let model_type = config.get("model_type").and_then(Json::as_str);
    let named: Vec<&str> = config
        .get("architectures")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    match model_type {
        Some("bert") => return Ok(Architecture::Bert),
        Some("xlm-roberta" | "xlm_roberta") => return Ok(Architecture::XlmRoberta),
        _ => {}
    }
    if model_type.is_none() {
        if named.iter().any(|a| a.starts_with("Bert")) {
            return Ok(Architecture::Bert);
        }
        if named.iter().any(|a| a.starts_with("XLMRoberta")) {
            return Ok(Architecture::XlmRoberta);
        }
    }
    Err(Error::BadModel(format!(
        "{}: model_type {} is not one kesou runs; use a BERT or XLM-RoBERTa sentence-embedding \
         model (all-MiniLM-L6-v2, bge-small-zh-v1.5, multilingual-e5-small …)",
        dir.join(CONFIG).display(),
        model_type.map_or_else(
            || format!("(none, architectures {named:?})"),
            |t| format!("{t:?}")
        )
    )))
}

/// Fields some configs leave out, with the values the Hugging Face classes assume.
fn fill_defaults(config: &mut Json, architecture: Architecture) {
    let Some(map) = config.as_object_mut() else {
        return;
    };
    let defaults: &[(&str, Json)] = &[
        ("hidden_act", Json::from("gelu")),
        ("hidden_dropout_prob", Json::from(0.1)),
        ("attention_probs_dropout_prob", Json::from(0.1)),
        ("initializer_range", Json::from(0.02)),
        ("layer_norm_eps", Json::from(1e-12)),
        ("type_vocab_size", Json::from(2)),
        ("position_embedding_type", Json::from("absolute")),
        ("max_position_embeddings", Json::from(512)),
        (
            "pad_token_id",
            Json::from(match architecture {
                Architecture::Bert | Architecture::E5s1 | Architecture::Static => 0,
                Architecture::XlmRoberta => 1,
            }),
        ),
    ];
    for (key, value) in defaults {
        if map.get(*key).is_none_or(Json::is_null) {
            map.insert((*key).to_owned(), value.clone());
        }
    }
}

/// The pooling of the sentence-transformers Pooling module, mean when there is none.
fn pooling(dir: &Path) -> Result<Pooling> {
    let module = optional_json(&dir.join("modules.json"))?
        .and_then(|m| {
            m.as_array()?.iter().find_map(|module| {
                let kind = module.get("type")?.as_str()?;
                kind.ends_with("Pooling")
                    .then(|| module.get("path")?.as_str().map(str::to_owned))?
            })
        })
        .unwrap_or_else(|| "1_Pooling".to_owned());
    let path = dir.join(module).join("config.json");
    let Some(cfg) = optional_json(&path)? else {
        return Ok(Pooling::Mean);
    };
    let on = |key: &str| cfg.get(key).and_then(Json::as_bool).unwrap_or(false);
    if on("pooling_mode_cls_token") {
        Ok(Pooling::Cls)
    } else if on("pooling_mode_mean_tokens") {
        Ok(Pooling::Mean)
    } else {
        Err(Error::BadModel(format!(
            "{}: kesou pools by mean or by the CLS token, and this model asks for neither; \
             set the pooling in kesou's model settings to override",
            path.display()
        )))
    }
}
