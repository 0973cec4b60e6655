//! kesou's hot numeric kernels: the dot products of semantic search (f32 and int8), one
//! vector against one or against a block of vectors laid end to end.
//!
//! Why a crate of its own: it is built at opt-level 3 in every profile (the root
//! `Cargo.toml`), where our other crates build at opt-level 1 for quick test builds, and its
//! functions are not generic, so callers at opt-level 1 call this optimised code rather
//! than instantiate their own copy. It is a few hundred lines: the cold build hardly notices.
//!
//! Why `pulp`: the workspace denies `unsafe`, so no raw intrinsics here. `pulp` checks the
//! CPU once and runs a function compiled for AVX2 + FMA (`pulp::x86::V3`) through a safe
//! call; elsewhere (no AVX2, another architecture) the portable loops below run, which the
//! compiler vectorises for f32 but not for the widening i8 products.
//!
//! The int8 products are exact (i8 × i8 summed in i32) for vectors of up to 66,000
//! dimensions; no saturating instruction is used, so any i8, -128 included, is allowed.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod portable;

pub use portable::quantize;

/// `Σ a[i] × b[i]` over the shorter length.
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = avx2::simd() {
        return avx2::dot_f32(simd, a, b);
    }
    portable::dot_f32(a, b)
}

/// `Σ a[i] × b[i]` in i32 over the shorter length.
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = avx2::simd() {
        return avx2::dot_i8(simd, a, b);
    }
    portable::dot_i8(a, b)
}

/// `out[r] = query · block[r × d .. (r + 1) × d]` with `d = query.len()`, for every row the
/// block and `out` both have.
pub fn dots_f32(query: &[f32], block: &[f32], out: &mut [f32]) {
    if query.is_empty() {
        out.iter_mut().for_each(|o| *o = 0.0);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = avx2::simd() {
        return avx2::dots_f32(simd, query, block, out);
    }
    for (o, row) in out.iter_mut().zip(block.chunks_exact(query.len())) {
        *o = portable::dot_f32(query, row);
    }
}

/// `out[r] = query · block[r × d .. (r + 1) × d]` in i32, `d = query.len()`, for every row
/// the block and `out` both have.
pub fn dots_i8(query: &[i8], block: &[i8], out: &mut [i32]) {
    if query.is_empty() {
        out.iter_mut().for_each(|o| *o = 0);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = avx2::simd() {
        return avx2::dots_i8(simd, query, block, out);
    }
    for (o, row) in out.iter_mut().zip(block.chunks_exact(query.len())) {
        *o = portable::dot_i8(query, row);
    }
}

/// Which kernels run on this CPU, for reports: `"avx2"` or `"portable"`.
pub fn instruction_set() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if avx2::simd().is_some() {
        return "avx2";
    }
    "portable"
}

#[cfg(test)]
mod tests;
