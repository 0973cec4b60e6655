use super::*;

/// A deterministic stream of numbers (SplitMix64), so a failure can be replayed.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn f32s(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
            .collect()
    }

    fn i8s(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| self.next() as u8 as i8).collect()
    }
}

/// Lengths around every lane width the kernels use (8, 16, 32) and the model's 384.
const LENGTHS: [usize; 16] = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, 384, 391];

fn exact_f32(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

#[test]
fn f32_products_equal_the_exact_sum_within_rounding() {
    let mut s = Stream(1);
    for n in LENGTHS {
        for _ in 0..20 {
            let (a, b) = (s.f32s(n), s.f32s(n));
            let want = exact_f32(&a, &b);
            // Each product is at most 1 in magnitude: rounding stays within n ulps of n.
            let tolerance = 1e-6 * (n as f64 + 1.0);
            for got in [dot_f32(&a, &b), portable::dot_f32(&a, &b)] {
                assert!(
                    (f64::from(got) - want).abs() <= tolerance,
                    "n={n}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn i8_products_are_exact_for_every_code_including_minus_128() {
    let mut s = Stream(2);
    for n in LENGTHS {
        for _ in 0..20 {
            let (a, b) = (s.i8s(n), s.i8s(n));
            let want: i32 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| i32::from(*x) * i32::from(*y))
                .sum();
            assert_eq!(dot_i8(&a, &b), want, "n={n}");
            assert_eq!(portable::dot_i8(&a, &b), want, "n={n}");
        }
        // The extremes: every pair -128 × -128 and -128 × 127.
        let low = vec![-128i8; n];
        let high = vec![127i8; n];
        assert_eq!(dot_i8(&low, &low), 16_384 * n as i32, "n={n}");
        assert_eq!(dot_i8(&low, &high), -16_256 * n as i32, "n={n}");
    }
}

#[test]
fn unequal_lengths_use_the_shorter() {
    let mut s = Stream(3);
    let (a, b) = (s.f32s(40), s.f32s(37));
    assert_eq!(dot_f32(&a, &b), dot_f32(&a[..37], &b));
    let (a, b) = (s.i8s(40), s.i8s(37));
    assert_eq!(dot_i8(&a, &b), dot_i8(&a[..37], &b));
}

#[test]
fn block_products_equal_one_product_per_row() {
    let mut s = Stream(4);
    for dims in [1, 7, 16, 33, 384] {
        let rows = 13;
        let query = s.f32s(dims);
        let block = s.f32s(dims * rows);
        let mut out = vec![f32::NAN; rows];
        dots_f32(&query, &block, &mut out);
        for (r, got) in out.iter().enumerate() {
            assert_eq!(*got, dot_f32(&query, &block[r * dims..(r + 1) * dims]));
        }
        let query = s.i8s(dims);
        let block = s.i8s(dims * rows);
        let mut out = vec![i32::MIN; rows];
        dots_i8(&query, &block, &mut out);
        for (r, got) in out.iter().enumerate() {
            assert_eq!(
                *got,
                portable::dot_i8(&query, &block[r * dims..(r + 1) * dims]),
                "dims={dims} row={r}"
            );
        }
        // `out` shorter than the block: only its rows are written.
        let mut short = vec![0i32; 2];
        dots_i8(&query, &block, &mut short);
        assert_eq!(short, out[..2]);
    }
}

#[test]
fn quantized_products_are_close_to_the_f32_ones() {
    let mut s = Stream(5);
    for _ in 0..50 {
        let (a, b) = (s.f32s(384), s.f32s(384));
        let (mut qa, mut qb) = (vec![0i8; 384], vec![0i8; 384]);
        let (sa, sb) = (quantize(&a, &mut qa), quantize(&b, &mut qb));
        assert!(qa.iter().all(|c| *c != -128));
        assert_eq!(qa.iter().map(|c| c.unsigned_abs()).max(), Some(127));
        let approx = dot_i8(&qa, &qb) as f32 * sa * sb;
        let norms = exact_f32(&a, &a).sqrt() * exact_f32(&b, &b).sqrt();
        let exact = exact_f32(&a, &b);
        assert!(
            (f64::from(approx) - exact).abs() < 0.01 * norms,
            "{approx} vs {exact}"
        );
    }
    let mut q = [1i8; 3];
    assert_eq!(quantize(&[0.0; 3], &mut q), 0.0);
    assert_eq!(q, [0; 3]);
    assert_eq!(quantize(&[f32::INFINITY, 1.0, 0.5], &mut q), 0.0);
    assert_eq!(q, [0; 3]);
}

#[test]
fn this_machine_reports_its_kernels() {
    let set = instruction_set();
    assert!(set == "avx2" || set == "portable");
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        set == "avx2",
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    );
}
