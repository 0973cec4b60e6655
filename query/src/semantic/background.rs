//! How far embedding a store in the background has got (`kesou demo` serves at once and
//! embeds meanwhile): a [`Progress`] that records its phases, read by the server for the
//! web app's indicator.

use std::sync::Mutex;

use kesou_indexer::{Phase, Progress};
use serde::Serialize;

/// What a background embedding is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Reading the store's texts, or not started.
    Waiting,
    /// Running the vocabulary's tokens through the transformer (first run on a machine).
    Distilling,
    /// Embedding descriptions and notes.
    Embedding,
    /// Done: text search blends words with meaning.
    Ready,
    /// Stopped on an error (`message` says which): text search stays words only.
    Failed,
}

/// A snapshot for people: the stage, the phase's name and how far it is.
#[derive(Debug, Clone, Serialize)]
pub struct BackgroundState {
    pub stage: Stage,
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    pub message: Option<String>,
}

/// Shared between the embedding thread and the server.
#[derive(Debug)]
pub struct Background {
    state: Mutex<BackgroundState>,
}

impl Default for Background {
    fn default() -> Self {
        Background {
            state: Mutex::new(BackgroundState {
                stage: Stage::Waiting,
                phase: String::new(),
                done: 0,
                total: None,
                message: None,
            }),
        }
    }
}

impl Background {
    pub fn snapshot(&self) -> BackgroundState {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BackgroundState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_stage(&self, stage: Stage, message: Option<String>) {
        let mut s = self.lock();
        s.stage = stage;
        s.message = message;
    }
}

struct Step<'a>(&'a Background);

impl Phase for Step<'_> {
    fn advance(&self, rows: u64) {
        self.0.lock().done += rows;
    }
}

impl Progress for Background {
    fn phase(&self, what: &str, total: Option<u64>) -> Box<dyn Phase + '_> {
        let mut s = self.lock();
        s.stage = if what.starts_with("distil") {
            Stage::Distilling
        } else {
            Stage::Embedding
        };
        s.phase = what.to_owned();
        s.done = 0;
        s.total = total;
        drop(s);
        Box::new(Step(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_recorded_with_their_counts() {
        let b = Background::default();
        assert_eq!(b.snapshot().stage, Stage::Waiting);
        {
            let p = b.phase("embedding descriptions", Some(10));
            p.advance(3);
            p.advance(4);
        }
        let s = b.snapshot();
        assert_eq!((s.stage, s.done, s.total), (Stage::Embedding, 7, Some(10)));
        assert_eq!(s.phase, "embedding descriptions");
        b.set_stage(Stage::Ready, None);
        assert_eq!(b.snapshot().stage, Stage::Ready);
    }
}
