use super::*;
use crate::semantic::vectors::Header;
use kesou_models::{Architecture, ModelInfo, Pooling};

const DIMS: usize = 8;

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    normalise(&mut v);
    v
}

/// `rows` customers around `clusters` centres: every description, every other row's notes.
fn clustered(rows: usize, clusters: usize, seed: u64) -> Vectors {
    let mut s = SplitMix::new(seed);
    let mut uniform = move || (s.next_u64() % 2001) as f32 / 1000.0 - 1.0;
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| unit((0..DIMS).map(|_| uniform()).collect()))
        .collect();
    let mut near = |c: usize| unit(centres[c].iter().map(|x| x + 0.15 * uniform()).collect());
    let mut v = Vectors {
        header: Header {
            generation: 1,
            rows,
            dims: DIMS,
            model: ModelInfo {
                name: "test".into(),
                architecture: Architecture::Static,
                dims: DIMS,
                pooling: Pooling::Mean,
                max_tokens: 8,
                fingerprint: "0".into(),
            },
        },
        ids: (0..rows).map(|i| format!("C{i:07}")).collect(),
        description_hash: Vec::new(),
        notes_hash: Vec::new(),
        descriptions: Vec::new(),
        notes: Vec::new(),
    };
    for r in 0..rows {
        v.description_hash.push(r as u64 * 2 + 1);
        v.descriptions.extend(near(r % clusters));
        if r % 2 == 0 {
            v.notes_hash.push(r as u64 * 2 + 2);
            v.notes.extend(near((r / 2) % clusters));
        } else {
            v.notes_hash.push(0);
            v.notes.extend([0.0; DIMS]);
        }
    }
    v
}

fn rows(hits: &[Near]) -> Vec<usize> {
    hits.iter().map(|n| n.row).collect()
}

fn queries(n: usize) -> Vec<Vec<f32>> {
    let mut s = SplitMix::new(7);
    (0..n)
        .map(|_| {
            unit(
                (0..DIMS)
                    .map(|_| (s.next_u64() % 2001) as f32 / 1000.0 - 1.0)
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_lists_read_find_the_exact_neighbours() {
    let v = clustered(40_000, 200, 1);
    let (ivf, report) = Ivf::build(&v, None, 0).unwrap().expect("enough texts");
    assert_eq!(report.texts, 60_000);
    assert!(report.trained);
    assert_eq!(ivf.lists(), list_count(60_000));
    assert!(
        ivf.budget() <= report.texts / 10,
        "a query reads a small share"
    );
    let (mut found, mut wanted) = (0, 0);
    for q in queries(40) {
        let exact = rank::nearest(&v, &q, 100, None);
        let approx = ivf.nearest(&v, &q, 100, None);
        assert_eq!(approx.len(), 100);
        // Each row once, best first, with its exact similarity and field.
        let distinct: std::collections::HashSet<usize> = rows(&approx).into_iter().collect();
        assert_eq!(distinct.len(), 100);
        assert!(
            approx
                .windows(2)
                .all(|w| w[0].similarity >= w[1].similarity)
        );
        for hit in &approx {
            let x = text_vector(&v, hit.row * 2 + usize::from(hit.field == Field::Notes));
            assert_eq!(dot(x.expect("a text"), &q), hit.similarity);
        }
        let exact_rows: std::collections::HashSet<usize> = rows(&exact).into_iter().collect();
        found += approx
            .iter()
            .filter(|n| exact_rows.contains(&n.row))
            .count();
        wanted += exact.len();
    }
    let recall = found as f64 / wanted as f64;
    assert!(recall >= 0.9, "recall of the exact top 100: {recall}");
}

#[test]
fn each_list_holds_its_texts_int8_codes_side_by_side() {
    let v = clustered(5_000, 20, 11);
    let (ivf, report) = Ivf::build(&v, None, 0).unwrap().expect("enough texts");
    assert_eq!(ivf.codes.len(), report.texts * DIMS);
    assert_eq!(ivf.scales.len(), report.texts);
    for l in 0..ivf.lists() {
        for m in ivf.list(l) {
            let t = ivf.members[m] as usize;
            assert_eq!(
                ivf.assignment[t], l as u32,
                "member {m} filed under list {l}"
            );
            let x = text_vector(&v, t).expect("an indexed text has a vector");
            let mut want = [0i8; DIMS];
            let scale = kesou_kernels::quantize(x, &mut want);
            assert_eq!(ivf.codes[m * DIMS..(m + 1) * DIMS], want);
            assert_eq!(ivf.scales[m], scale);
            // The code times its scale is the vector within half a step.
            for (c, x) in want.iter().zip(x) {
                assert!((f32::from(*c) * scale - x).abs() <= scale * 0.5 + 1e-6);
            }
        }
    }
}

#[test]
fn a_row_with_both_texts_near_counts_once_by_the_better() {
    let v = clustered(2_000, 4, 3);
    let (ivf, _) = Ivf::build(&v, None, 0).unwrap().expect("enough texts");
    let q = v.description(0).expect("row 0 has a description").to_vec();
    let hits = ivf.nearest(&v, &q, 2_000, None);
    let distinct: std::collections::HashSet<usize> = rows(&hits).into_iter().collect();
    assert_eq!(distinct.len(), hits.len());
    assert_eq!(hits[0].row, 0);
    assert_eq!(hits[0].field, Field::Description);
}

#[test]
fn only_allowed_rows_and_a_narrow_scope_is_left_to_the_exact_scan() {
    let v = clustered(40_000, 200, 1);
    let (ivf, _) = Ivf::build(&v, None, 0).unwrap().expect("enough texts");
    let allowed: Vec<bool> = (0..v.rows()).map(|r| r % 3 == 0).collect();
    for q in queries(5) {
        let hits = ivf.nearest(&v, &q, 50, Some(&allowed));
        assert_eq!(hits.len(), 50);
        assert!(hits.iter().all(|n| n.row % 3 == 0));
    }
    assert!(ivf.pays_for(v.rows() / 3, 100));
    assert!(
        !ivf.pays_for(20, 100),
        "20 allowed rows: the exact scan is cheaper and whole"
    );
    assert!(ivf.nearest(&v, &[0.0; DIMS], 10, None).is_empty());
}

#[test]
fn a_refresh_files_only_new_and_changed_texts_under_the_same_lists() {
    let old = clustered(20_000, 100, 5);
    let (old_ivf, _) = Ivf::build(&old, None, 0).unwrap().expect("enough texts");
    // Row 10's description changes (another cluster's vector), row 11 loses its text, a
    // customer is added at the end.
    let mut new = clustered(20_001, 100, 5);
    let other = new.description(57).expect("a text").to_vec();
    new.descriptions[10 * DIMS..11 * DIMS].copy_from_slice(&other);
    new.description_hash[10] = 999_999;
    new.description_hash[11] = 0;
    new.header.generation = 2;
    let (ivf, report) = Ivf::build(&new, Some((&old, &old_ivf)), 0)
        .unwrap()
        .expect("enough texts");
    assert!(!report.trained);
    assert_eq!(ivf.centroids, old_ivf.centroids);
    // Row 10's new description and the new customer's two texts.
    assert_eq!(report.filed, 3);
    assert_eq!(ivf.assignment[10 * 2], ivf.assignment[57 * 2]);
    assert_eq!(ivf.assignment[11 * 2], NONE);
    for r in (0..20_000).filter(|r| *r != 10 && *r != 11) {
        assert_eq!(
            ivf.assignment[r * 2..r * 2 + 2],
            old_ivf.assignment[r * 2..r * 2 + 2]
        );
    }
    let members: usize = (0..ivf.lists())
        .map(|l| (ivf.offsets[l + 1] - ivf.offsets[l]) as usize)
        .sum();
    assert_eq!(members, report.texts);
    // Grown past four times the texts the centroids were learnt from: learnt again.
    let grown = clustered(90_000, 100, 5);
    let (_, report) = Ivf::build(&grown, Some((&old, &old_ivf)), 0)
        .unwrap()
        .expect("enough texts");
    assert!(report.trained);
}

#[test]
fn an_index_is_read_only_beside_the_vectors_it_was_built_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("semantic")).expect("folder");
    let v = clustered(3_000, 10, 9);
    let (ivf, _) = Ivf::build(&v, None, 0).unwrap().expect("enough texts");
    save(dir.path(), &ivf).expect("saved");
    let back = load(dir.path(), &v).expect("read").expect("an index");
    assert_eq!(back.centroids, ivf.centroids);
    assert_eq!(back.assignment, ivf.assignment);
    assert_eq!(back.members, ivf.members);
    assert_eq!(back.codes, ivf.codes);
    let mut later = v.clone();
    later.header.generation += 1;
    assert!(load(dir.path(), &later).expect("read").is_none());
    // Too few texts for an index: a refresh removes the old one.
    let small = clustered(100, 4, 9);
    assert_eq!(
        refresh(dir.path(), Some(&v), &small).expect("refreshed"),
        None
    );
    assert!(!path(dir.path()).exists());
}
