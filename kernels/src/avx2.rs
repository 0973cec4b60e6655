//! The kernels for x86-64 CPUs with AVX2 and FMA, through `pulp`'s safe wrappers of the
//! intrinsics. Each public function enters one function compiled for those features
//! (`V3::vectorize`) and does all its work there: the loops below are inlined into it.
//!
//! f32: four accumulators of eight lanes (fused multiply-add), so that the adds of one
//! product do not wait for the previous one. i8: sixteen codes widened to i16, multiplied
//! and summed in pairs into i32 lanes (`vpmaddwd`): exact for every i8.

use core::arch::x86_64::{__m128i, __m256, __m256i};

use pulp::NullaryFnOnce;
use pulp::x86::V3;

/// The AVX2 + FMA token when the CPU has them (checked once, then an atomic load).
#[inline]
pub(crate) fn simd() -> Option<V3> {
    V3::try_new()
}

#[inline(always)]
fn sum_f32(x: __m256) -> f32 {
    let lanes: [f32; 8] = bytemuck::cast(x);
    lanes.iter().sum()
}

#[inline(always)]
fn sum_i32(x: __m256i) -> i32 {
    let lanes: [i32; 8] = bytemuck::cast(x);
    lanes.iter().sum()
}

#[inline(always)]
fn dot_f32_in(simd: V3, a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (a32, a_rest) = a.as_chunks::<32>();
    let (b32, b_rest) = b.as_chunks::<32>();
    let zero = simd.avx._mm256_setzero_ps();
    let mut acc = [zero; 4];
    for (x, y) in a32.iter().zip(b32) {
        let x: [[f32; 8]; 4] = bytemuck::cast(*x);
        let y: [[f32; 8]; 4] = bytemuck::cast(*y);
        for i in 0..4 {
            acc[i] = simd
                .fma
                ._mm256_fmadd_ps(bytemuck::cast(x[i]), bytemuck::cast(y[i]), acc[i]);
        }
    }
    let (a8, a_tail) = a_rest.as_chunks::<8>();
    let (b8, b_tail) = b_rest.as_chunks::<8>();
    for (x, y) in a8.iter().zip(b8) {
        acc[0] = simd
            .fma
            ._mm256_fmadd_ps(bytemuck::cast(*x), bytemuck::cast(*y), acc[0]);
    }
    let total = simd.avx._mm256_add_ps(
        simd.avx._mm256_add_ps(acc[0], acc[1]),
        simd.avx._mm256_add_ps(acc[2], acc[3]),
    );
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    sum_f32(total) + tail
}

#[inline(always)]
fn dot_i8_in(simd: V3, a: &[i8], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (a32, a_rest) = a.as_chunks::<32>();
    let (b32, b_rest) = b.as_chunks::<32>();
    let zero = simd.avx._mm256_setzero_si256();
    let mut acc = [zero; 2];
    let product = |x: [i8; 16], y: [i8; 16]| {
        let x: __m128i = bytemuck::cast(x);
        let y: __m128i = bytemuck::cast(y);
        simd.avx2._mm256_madd_epi16(
            simd.avx2._mm256_cvtepi8_epi16(x),
            simd.avx2._mm256_cvtepi8_epi16(y),
        )
    };
    for (x, y) in a32.iter().zip(b32) {
        let x: [[i8; 16]; 2] = bytemuck::cast(*x);
        let y: [[i8; 16]; 2] = bytemuck::cast(*y);
        acc[0] = simd.avx2._mm256_add_epi32(acc[0], product(x[0], y[0]));
        acc[1] = simd.avx2._mm256_add_epi32(acc[1], product(x[1], y[1]));
    }
    let (a16, a_tail) = a_rest.as_chunks::<16>();
    let (b16, b_tail) = b_rest.as_chunks::<16>();
    for (x, y) in a16.iter().zip(b16) {
        acc[0] = simd.avx2._mm256_add_epi32(acc[0], product(*x, *y));
    }
    let tail: i32 = a_tail
        .iter()
        .zip(b_tail)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    sum_i32(simd.avx2._mm256_add_epi32(acc[0], acc[1])) + tail
}

struct DotF32<'a>(V3, &'a [f32], &'a [f32]);

impl NullaryFnOnce for DotF32<'_> {
    type Output = f32;
    #[inline(always)]
    fn call(self) -> f32 {
        dot_f32_in(self.0, self.1, self.2)
    }
}

struct DotI8<'a>(V3, &'a [i8], &'a [i8]);

impl NullaryFnOnce for DotI8<'_> {
    type Output = i32;
    #[inline(always)]
    fn call(self) -> i32 {
        dot_i8_in(self.0, self.1, self.2)
    }
}

struct DotsF32<'a>(V3, &'a [f32], &'a [f32], &'a mut [f32]);

impl NullaryFnOnce for DotsF32<'_> {
    type Output = ();
    #[inline(always)]
    fn call(self) {
        let DotsF32(simd, query, block, out) = self;
        for (o, row) in out.iter_mut().zip(block.chunks_exact(query.len())) {
            *o = dot_f32_in(simd, query, row);
        }
    }
}

struct DotsI8<'a>(V3, &'a [i8], &'a [i8], &'a mut [i32]);

impl NullaryFnOnce for DotsI8<'_> {
    type Output = ();
    #[inline(always)]
    fn call(self) {
        let DotsI8(simd, query, block, out) = self;
        for (o, row) in out.iter_mut().zip(block.chunks_exact(query.len())) {
            *o = dot_i8_in(simd, query, row);
        }
    }
}

pub(crate) fn dot_f32(simd: V3, a: &[f32], b: &[f32]) -> f32 {
    simd.vectorize(DotF32(simd, a, b))
}

pub(crate) fn dot_i8(simd: V3, a: &[i8], b: &[i8]) -> i32 {
    simd.vectorize(DotI8(simd, a, b))
}

pub(crate) fn dots_f32(simd: V3, query: &[f32], block: &[f32], out: &mut [f32]) {
    simd.vectorize(DotsF32(simd, query, block, out))
}

pub(crate) fn dots_i8(simd: V3, query: &[i8], block: &[i8], out: &mut [i32]) {
    simd.vectorize(DotsI8(simd, query, block, out))
}
