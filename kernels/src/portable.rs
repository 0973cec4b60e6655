//! The kernels in plain Rust: the reference the SIMD ones are tested against, and what
//! runs where they cannot.

/// f32 products in eight lanes, which the compiler keeps in vector registers.
pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

pub(crate) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum()
}

/// One vector in int8 and its scale (`x ≈ code × scale`): scaled by its own largest
/// magnitude to -127..=127 (symmetric, so a code's negation is a code). Scale 0 (and
/// codes 0) for a zero or non-finite vector. Writes `min(x.len(), out.len())` codes.
pub fn quantize(x: &[f32], out: &mut [i8]) -> f32 {
    let max = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    if max == 0.0 || !max.is_finite() {
        out.iter_mut().for_each(|c| *c = 0);
        return 0.0;
    }
    let scale = max / 127.0;
    let inverse = 127.0 / max;
    for (c, v) in out.iter_mut().zip(x) {
        *c = (v * inverse).round().clamp(-127.0, 127.0) as i8;
    }
    scale
}
