//! What kesou keeps about the model a store embeds with ([`ModelConfig`], stored in the
//! store's meta) and what it learns from loading it ([`ModelInfo`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::folder::{Architecture, Pooling};

/// A model and how to use it: the folder, and the prefixes its training expects.
///
/// Retrieval models are trained with markers on their inputs: the e5 family wants
/// `"query: "` before a question and `"passage: "` before a document; bge-*-zh wants the
/// instruction `"为这个句子生成表示以用于检索相关文章："` before a query (documents bare);
/// all-MiniLM-L6-v2 wants nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model folder: config.json, model.safetensors, tokenizer.json.
    pub path: PathBuf,
    /// Put before the text of a query. Default none.
    #[serde(default)]
    pub query_prefix: String,
    /// Put before every text embedded into the store. Default none.
    #[serde(default)]
    pub passage_prefix: String,
    /// Longest input in tokens (longer texts are cut). Default: the folder's
    /// `sentence_bert_config.json` `max_seq_length`, else the model's position table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<usize>,
    /// Pooling. Default: the folder's `1_Pooling/config.json`, mean when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooling: Option<Pooling>,
}

impl ModelConfig {
    /// A model folder with no prefixes and the folder's own settings; an E5S1 file
    /// (multilingual-e5-small) with the prefixes it was trained with, `"query: "` and
    /// `"passage: "`.
    pub fn new(path: impl Into<PathBuf>) -> ModelConfig {
        let path = path.into();
        let e5 = path.is_file() && super::e5::is_e5_file(&path);
        let prefix = |p: &str| if e5 { p.to_owned() } else { String::new() };
        ModelConfig {
            query_prefix: prefix("query: "),
            passage_prefix: prefix("passage: "),
            path,
            max_tokens: None,
            pooling: None,
        }
    }
}

/// What a loaded model is: enough to tell whether vectors were made by the same one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The folder's name (all-MiniLM-L6-v2).
    pub name: String,
    pub architecture: Architecture,
    /// Length of every vector.
    pub dims: usize,
    pub pooling: Pooling,
    /// Longest input in tokens.
    pub max_tokens: usize,
    /// A hash of config.json, tokenizer.json, the weights' header and size and their first
    /// and last MiB, and the prefixes: equal fingerprints, interchangeable vectors.
    pub fingerprint: String,
}
