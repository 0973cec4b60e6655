//! multilingual-e5-small's encoder (BERT: 12 layers, 12 heads, 384 wide, erf GELU) over the
//! E5S1 file's weights in candle. The six matrices of each layer stay 4-bit and run through
//! candle's Q4_0 kernels (activations quantised to 8 bits per block of 32, as the file's
//! own engine does), or are dequantised to f32 once at load ([`Kernels`]; the default, as
//! it measured faster on this machine's two cores). The word table stays 4-bit either way
//! (each token's row is dequantised when looked up).

use candle_core::quantized::{GgmlDType, QMatMul, QTensor, ggml_file::qtensor_from_ggml};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::LayerNorm;

use super::file::{E5File, Sizes};
use crate::Result;

/// How the layers' weight matrices are multiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// 4-bit weights × 8-bit activations (candle's Q4_0 kernels): a quarter of the memory.
    Quantized,
    /// The weights dequantised to f32 at load, multiplied as f32 (about 85 MB more).
    Dequantized,
}

struct Linear {
    weight: QMatMul,
    bias: Tensor,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.weight.forward(x)?.broadcast_add(&self.bias)
    }
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    attn_norm: LayerNorm,
    up: Linear,
    down: Linear,
    out_norm: LayerNorm,
}

pub(crate) struct E5Net {
    sizes: Sizes,
    word: QTensor,
    /// Position rows 0.. (the file stores them already shifted past XLM-R's padding id).
    positions: Tensor,
    token_type: Tensor,
    norm: LayerNorm,
    layers: Vec<Layer>,
    device: Device,
}

impl E5Net {
    pub fn new(file: &E5File, kernels: Kernels) -> Result<E5Net> {
        let device = Device::Cpu;
        let s = file.sizes;
        let (h, ff) = (s.hidden, s.ffn);
        let vector = |name: &str, n: usize| -> Result<Tensor> {
            let e = file.entry(name, false, n)?;
            Ok(Tensor::from_vec(file.f32s(e), n, &device)?)
        };
        let q4 = |name: &str, rows: usize, cols: usize| -> Result<QTensor> {
            let e = file.entry(name, true, rows * cols)?;
            Ok(qtensor_from_ggml(
                GgmlDType::Q4_0,
                file.bytes(e),
                vec![rows, cols],
                &device,
            )?)
        };
        let linear = |name: &str, rows: usize, cols: usize| -> Result<Linear> {
            let t = q4(&format!("{name}.w"), rows, cols)?;
            let weight = match kernels {
                Kernels::Quantized => QMatMul::QTensor(std::sync::Arc::new(t)),
                Kernels::Dequantized => QMatMul::Tensor(t.dequantize(&device)?),
            };
            Ok(Linear {
                weight,
                bias: vector(&format!("{name}.b"), rows)?,
            })
        };
        let norm = |name: &str| -> Result<LayerNorm> {
            Ok(LayerNorm::new(
                vector(&format!("{name}.w"), h)?,
                vector(&format!("{name}.b"), h)?,
                s.eps,
            ))
        };
        let layers = (0..s.layers)
            .map(|l| {
                Ok(Layer {
                    q: linear(&format!("l{l}.q"), h, h)?,
                    k: linear(&format!("l{l}.k"), h, h)?,
                    v: linear(&format!("l{l}.v"), h, h)?,
                    out: linear(&format!("l{l}.ao"), h, h)?,
                    attn_norm: norm(&format!("l{l}.aln"))?,
                    up: linear(&format!("l{l}.fi"), ff, h)?,
                    down: linear(&format!("l{l}.fo"), h, ff)?,
                    out_norm: norm(&format!("l{l}.oln"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let types = file.tensors.get("emb.type").map_or(0, |e| e.elements);
        let token_type = vector("emb.type", types.max(h))?.narrow(0, 0, h)?;
        Ok(E5Net {
            sizes: s,
            word: q4("emb.word", s.vocab, h)?,
            positions: vector("emb.pos", s.max_positions * h)?.reshape((s.max_positions, h))?,
            token_type,
            norm: norm("emb.ln")?,
            layers,
            device,
        })
    }

    /// The mean of the last layer's token vectors of each row (not normalised): `rows`
    /// rows of up to `len` ids, row `r` being `ids[r * len..][..lens[r]]` (the rest is
    /// padding, masked out of attention and of the mean).
    pub fn mean_pooled(&self, ids: &[u32], lens: &[usize], len: usize) -> Result<Vec<f32>> {
        let rows = lens.len();
        let (h, heads) = (self.sizes.hidden, self.sizes.heads);
        let hd = h / heads;
        let d = &self.device;
        let ids = Tensor::from_slice(ids, rows * len, d)?;
        let x = self
            .word
            .embedding(&ids)?
            .reshape((rows, len, h))?
            .broadcast_add(&self.positions.narrow(0, 0, len)?)?
            .broadcast_add(&self.token_type)?;
        let mut x = self.norm.forward(&x)?;
        let mut mask = vec![0f32; rows * len];
        let mut keep = vec![0f32; rows * len];
        for (r, &n) in lens.iter().enumerate() {
            mask[r * len + n..(r + 1) * len].fill(-1e9);
            keep[r * len..r * len + n].fill(1.0);
        }
        let mask = Tensor::from_vec(mask, (rows, 1, 1, len), d)?;
        let scale = 1.0 / (hd as f64).sqrt();
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((rows, len, heads, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        for layer in &self.layers {
            let q = split(layer.q.forward(&x)?)?;
            let k = split(layer.k.forward(&x)?)?;
            let v = split(layer.v.forward(&x)?)?;
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&mask)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((rows, len, h))?;
            let attn = layer.out.forward(&ctx)?;
            x = layer.attn_norm.forward(&(x + attn)?)?;
            let up = layer.up.forward(&x)?.gelu_erf()?;
            let down = layer.down.forward(&up)?;
            x = layer.out_norm.forward(&(x + down)?)?;
        }
        let keep = Tensor::from_vec(keep, (rows, len, 1), d)?;
        let counts = keep.sum(1)?;
        let mean = x.broadcast_mul(&keep)?.sum(1)?.broadcast_div(&counts)?;
        Ok(mean.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
    }
}

/// Scales each row of `rows × dims` values to unit length.
pub(crate) fn normalise_rows(data: &mut [f32], dims: usize) {
    for row in data.chunks_mut(dims) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        row.iter_mut().for_each(|v| *v /= norm);
    }
}
