//! Principal components of a set of vectors: the covariance matrix (after centring) and its
//! eigenvectors by cyclic Jacobi rotations, in f64. For the static model's few hundred
//! dimensions this takes a second or two and needs no linear-algebra dependency.

/// The mean of `rows × dims` values and the first `keep` principal directions, largest
/// variance first (`keep × dims`, each of unit length).
pub(crate) struct Pca {
    pub mean: Vec<f32>,
    pub components: Vec<f32>,
    pub dims: usize,
}

impl Pca {
    pub fn fit(data: &[f32], dims: usize, keep: usize) -> Pca {
        let rows = data.len() / dims;
        let keep = keep.min(dims);
        let mut mean = vec![0f64; dims];
        for row in data.chunks(dims) {
            mean.iter_mut()
                .zip(row)
                .for_each(|(m, x)| *m += f64::from(*x));
        }
        mean.iter_mut().for_each(|m| *m /= rows.max(1) as f64);
        let mut cov = vec![0f64; dims * dims];
        let mut centred = vec![0f64; dims];
        for row in data.chunks(dims) {
            for (c, (x, m)) in centred.iter_mut().zip(row.iter().zip(&mean)) {
                *c = f64::from(*x) - m;
            }
            for i in 0..dims {
                let ci = centred[i];
                let line = &mut cov[i * dims..(i + 1) * dims];
                for (j, v) in line.iter_mut().enumerate().skip(i) {
                    *v += ci * centred[j];
                }
            }
        }
        for i in 0..dims {
            for j in 0..i {
                cov[i * dims + j] = cov[j * dims + i];
            }
        }
        let (values, vectors) = jacobi(cov, dims);
        let mut order: Vec<usize> = (0..dims).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let mut components = Vec::with_capacity(keep * dims);
        for &k in order.iter().take(keep) {
            // Column k of the eigenvector matrix.
            components.extend((0..dims).map(|i| vectors[i * dims + k] as f32));
        }
        Pca {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            components,
            dims,
        }
    }

    /// A vector in the principal directions (centred, projected).
    pub fn project(&self, x: &[f32], out: &mut [f32]) {
        for (o, c) in out.iter_mut().zip(self.components.chunks(self.dims)) {
            *o = c
                .iter()
                .zip(x.iter().zip(&self.mean))
                .map(|(c, (x, m))| c * (x - m))
                .sum();
        }
    }
}

/// Eigenvalues and eigenvectors (as columns of a row-major `n × n` matrix) of a symmetric
/// matrix, by cyclic Jacobi sweeps until the off-diagonal mass is negligible.
fn jacobi(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _sweep in 0..30 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        if off <= total * 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_direction_of_largest_variance() {
        // Points along (3, 4)/5 with a little noise across it, shifted by (10, -2).
        let mut data = Vec::new();
        for i in 0..200 {
            let t = (i as f32 - 99.5) / 10.0;
            let n = if i % 2 == 0 { 0.05 } else { -0.05 };
            data.extend([10.0 + 0.6 * t - 0.8 * n, -2.0 + 0.8 * t + 0.6 * n]);
        }
        let pca = Pca::fit(&data, 2, 1);
        assert!((pca.mean[0] - 10.0).abs() < 1e-3 && (pca.mean[1] + 2.0).abs() < 1e-3);
        let c = &pca.components;
        assert!(
            (c[0].abs() - 0.6).abs() < 1e-3 && (c[1].abs() - 0.8).abs() < 1e-3,
            "{c:?}"
        );
        let mut out = [0f32];
        pca.project(&[10.0 + 0.6, -2.0 + 0.8], &mut out);
        assert!((out[0].abs() - 1.0).abs() < 1e-3, "{out:?}");
    }

    #[test]
    fn eigenvectors_of_a_symmetric_matrix() {
        let (values, v) = jacobi(vec![2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0], 3);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for (got, want) in sorted.iter().zip([1.0, 3.0, 5.0]) {
            assert!((got - want).abs() < 1e-9, "{values:?}");
        }
        // Columns are orthonormal.
        for a in 0..3 {
            for b in 0..3 {
                let dot: f64 = (0..3).map(|k| v[k * 3 + a] * v[k * 3 + b]).sum();
                assert!((dot - f64::from(u8::from(a == b))).abs() < 1e-9);
            }
        }
    }
}
