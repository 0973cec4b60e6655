//! int8 copies of the vectors for the exact scan ([`super::Precision::Int8`]): each vector
//! scaled by its own largest magnitude to -127..127 (one f32 scale per vector), the query
//! the same way, dot products summed in i32 (kesou-kernels, AVX2 where the CPU has it). A
//! quarter of the bytes to read per query and a similarity within about 1% of f32's. Not
//! the default for the exact scan, which serves small stores and narrow scopes: it adds a
//! quarter to the f32 vectors' memory. The index ([`super::ivf`]) always scans int8.

use super::vectors::Vectors;

/// Every row's description and notes vectors in int8, rows in the vectors' order.
#[derive(Debug, Clone)]
pub(crate) struct Int8 {
    dims: usize,
    descriptions: Vec<i8>,
    /// Per row; 0 where the row has no such text.
    description_scale: Vec<f32>,
    notes: Vec<i8>,
    notes_scale: Vec<f32>,
}

pub(crate) use kesou_kernels::quantize;

/// Sum of products in i32 (kesou-kernels: vectorised on AVX2).
pub(crate) fn dot(a: &[i8], b: &[i8]) -> i32 {
    kesou_kernels::dot_i8(a, b)
}

impl Int8 {
    pub fn new(v: &Vectors) -> Int8 {
        let (rows, dims) = (v.rows(), v.dims());
        let mut q = Int8 {
            dims,
            descriptions: vec![0; rows * dims],
            description_scale: vec![0.0; rows],
            notes: vec![0; rows * dims],
            notes_scale: vec![0.0; rows],
        };
        for r in 0..rows {
            let out = r * dims..(r + 1) * dims;
            if let Some(x) = v.description(r) {
                q.description_scale[r] = quantize(x, &mut q.descriptions[out.clone()]);
            }
            if let Some(x) = v.notes(r) {
                q.notes_scale[r] = quantize(x, &mut q.notes[out]);
            }
        }
        q
    }

    pub fn bytes(&self) -> usize {
        self.descriptions.len() + self.notes.len() + (self.description_scale.len() * 8)
    }

    /// Row `r`'s similarity to a query quantized with `scale` (description, notes): `None`
    /// for a text the row does not have.
    pub fn similarities(&self, r: usize, query: &[i8], scale: f32) -> [Option<f32>; 2] {
        let rows = r * self.dims..(r + 1) * self.dims;
        let one = |codes: &[i8], s: f32| {
            (s != 0.0).then(|| dot(&codes[rows.clone()], query) as f32 * s * scale)
        };
        [
            one(&self.descriptions, self.description_scale[r]),
            one(&self.notes, self.notes_scale[r]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantized_dot_products_are_close_to_exact_ones() {
        let a: Vec<f32> = (0..384)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 70.0)
            .collect();
        let b: Vec<f32> = (0..384)
            .map(|i| ((i * 53 % 89) as f32 - 44.0) / 60.0)
            .collect();
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let (mut qa, mut qb) = (vec![0i8; 384], vec![0i8; 384]);
        let (sa, sb) = (quantize(&a, &mut qa), quantize(&b, &mut qb));
        let approx = dot(&qa, &qb) as f32 * sa * sb;
        let norms = a.iter().map(|x| x * x).sum::<f32>().sqrt()
            * b.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((approx - exact).abs() < 0.01 * norms, "{approx} vs {exact}");
        assert_eq!(qa.iter().map(|c| c.unsigned_abs()).max(), Some(127));
    }

    #[test]
    fn a_zero_vector_has_scale_zero_and_odd_lengths_add_up() {
        let mut q = [1i8; 3];
        assert_eq!(quantize(&[0.0; 3], &mut q), 0.0);
        assert_eq!(q, [0; 3]);
        let a: Vec<i8> = (0..19).map(|i| i as i8 - 9).collect();
        assert_eq!(
            dot(&a, &a),
            a.iter().map(|x| i32::from(*x).pow(2)).sum::<i32>()
        );
    }
}
