//! `kesou eval lookalike`: how often a seed's lookalikes share its planted segment.
//!
//! For `seeds` customers drawn with a fixed random seed, the top-k (seed excluded) is
//! compared with the ground-truth file the demo generator writes (`truth_segments` with
//! `id, segment`): precision@k is the share of the k in the seed's segment, lift the
//! precision over what k random customers would give (the segment's share of the rest).
//! Seed lists are measured too: lists of five seeds from one segment.
//!
//! This is the only code that reads the ground truth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::Connection;
use serde::Serialize;

use super::Lookalike;
use super::rank::{self, Allowed, QueryVector};
use crate::{Error, Result};

/// Seeds in a seed list of the list measurement.
const LIST_SIZE: usize = 5;

/// Precision of one segment's seeds.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentReport {
    pub segment: String,
    pub seeds: usize,
    pub precision: f64,
    /// The segment's share of all customers: the precision of a random pick.
    pub base_rate: f64,
}

/// What `kesou eval lookalike` measured.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub customers: usize,
    pub seeds: usize,
    pub k: usize,
    /// Mean precision@k over single seeds.
    pub precision: f64,
    /// Mean of precision over the seed segment's base rate.
    pub lift: f64,
    /// Mean base rate of the seeds' segments (what random picks would score).
    pub random_precision: f64,
    /// Mean precision@k of seed lists of five seeds from one segment.
    pub list_precision: f64,
    pub lists: usize,
    pub per_segment: Vec<SegmentReport>,
    pub p50_ms: f64,
}

/// The truth file beside the files the store was loaded from, when one was recorded.
pub fn default_truth(conn: &Connection) -> Result<Option<PathBuf>> {
    let mut stmt = conn.prepare("SELECT files FROM ingest_runs ORDER BY gen DESC")?;
    let runs: Vec<Option<String>> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for files in runs.into_iter().flatten() {
        for f in files.split(", ") {
            let folder = Path::new(f).parent().unwrap_or(Path::new("."));
            for ext in ["csv", "jsonl", "parquet"] {
                let p = folder.join(format!("truth_segments.{ext}"));
                if p.is_file() {
                    return Ok(Some(p));
                }
            }
        }
    }
    Ok(None)
}

fn read_truth(conn: &Connection, path: &Path) -> Result<HashMap<String, String>> {
    let reader = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => "read_csv_auto",
        Some("jsonl" | "json") => "read_json_auto",
        Some("parquet") => "read_parquet",
        _ => {
            return Err(Error::BadRequest(format!(
                "{}: the truth file must be .csv, .jsonl or .parquet with columns id, segment",
                path.display()
            )));
        }
    };
    if !path.is_file() {
        return Err(Error::BadRequest(format!(
            "{} does not exist; give the generator's truth_segments file with --truth",
            path.display()
        )));
    }
    let sql = format!("SELECT id::VARCHAR, segment::VARCHAR FROM {reader}(?)");
    let mut stmt = conn.prepare(&sql).map_err(|e| {
        Error::BadRequest(format!(
            "{}: cannot read id and segment columns ({e})",
            path.display()
        ))
    })?;
    let rows = stmt.query_map([path.to_string_lossy().as_ref()], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// SplitMix64: a fixed, dependency-free random stream for choosing seeds.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `n` distinct values below `len` (all when `n >= len`).
    fn sample(&mut self, len: usize, n: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..len).collect();
        let n = n.min(len);
        for i in 0..n {
            let j = i + (self.next() % (len - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(n);
        all
    }
}

/// Measures precision@k of `seeds` random seeds against the truth file.
pub fn evaluate(
    lk: &Lookalike,
    conn: &Connection,
    truth: &Path,
    seeds: usize,
    k: usize,
) -> Result<EvalReport> {
    let v = &lk.vectors;
    let truth = read_truth(conn, truth)?;
    let segment_of: Vec<Option<&str>> = v
        .ids
        .iter()
        .map(|id| truth.get(id).map(String::as_str))
        .collect();
    let known: Vec<usize> = (0..v.rows()).filter(|r| segment_of[*r].is_some()).collect();
    if known.is_empty() {
        return Err(Error::BadRequest(
            "no customer of the store is in the truth file; is it the truth of this store's data?"
                .into(),
        ));
    }
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for s in segment_of.iter().flatten() {
        *sizes.entry(s).or_default() += 1;
    }
    let base = |s: &str| (sizes[s] - 1) as f64 / (known.len() - 1).max(1) as f64;
    let precision_of = |rows: &[usize], segment: &str| -> (f64, f64) {
        let started = Instant::now();
        let q = lk.query_vector(rows);
        let mut allowed = Allowed::all(v.rows());
        rows.iter().for_each(|r| allowed.remove(*r));
        let top = rank::top_k(v, &QueryVector::new(&q), &allowed, k);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let same = top
            .iter()
            .filter(|s| segment_of[s.row] == Some(segment))
            .count();
        (same as f64 / top.len().max(1) as f64, ms)
    };
    let mut rng = SplitMix(0x6b65_736f_7531);
    let mut per: HashMap<&str, (usize, f64)> = HashMap::new();
    let (mut precision, mut lift, mut random) = (0.0, 0.0, 0.0);
    let mut times = Vec::new();
    let picked = rng.sample(known.len(), seeds);
    for &i in &picked {
        let row = known[i];
        let segment = segment_of[row].expect("known");
        let (p, ms) = precision_of(&[row], segment);
        times.push(ms);
        precision += p;
        random += base(segment);
        lift += p / base(segment).max(f64::MIN_POSITIVE);
        let e = per.entry(segment).or_default();
        e.0 += 1;
        e.1 += p;
    }
    let n = picked.len().max(1) as f64;
    // Seed lists: five customers of one segment, one list per picked seed's segment.
    let mut by_segment: HashMap<&str, Vec<usize>> = HashMap::new();
    for &r in &known {
        by_segment
            .entry(segment_of[r].expect("known"))
            .or_default()
            .push(r);
    }
    let mut list_precision = 0.0;
    let lists = picked.len().min(50);
    for &i in picked.iter().take(lists) {
        let segment = segment_of[known[i]].expect("known");
        let members = &by_segment[segment];
        let rows: Vec<usize> = rng
            .sample(members.len(), LIST_SIZE)
            .into_iter()
            .map(|j| members[j])
            .collect();
        list_precision += precision_of(&rows, segment).0;
    }
    times.sort_by(f64::total_cmp);
    let mut per_segment: Vec<SegmentReport> = per
        .into_iter()
        .map(|(s, (count, p))| SegmentReport {
            segment: s.to_owned(),
            seeds: count,
            precision: p / count as f64,
            base_rate: base(s),
        })
        .collect();
    per_segment.sort_by(|a, b| b.seeds.cmp(&a.seeds).then(a.segment.cmp(&b.segment)));
    Ok(EvalReport {
        customers: v.rows(),
        seeds: picked.len(),
        k,
        precision: precision / n,
        lift: lift / n,
        random_precision: random / n,
        list_precision: list_precision / lists.max(1) as f64,
        lists,
        per_segment,
        p50_ms: times.get(times.len() / 2).copied().unwrap_or(0.0),
    })
}
