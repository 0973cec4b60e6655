//! Scoring a store: every customer buying at as_of (an order in the 180 days up to it) gets
//! `churn_risk`, the calibrated probability of having no order in the next 180 days (of
//! becoming 流失), and `churn_factors`, the reasons in words. Customers without orders and
//! customers already 流失 have neither (NULL): there is nothing to lose, or it is lost.
//!
//! The write is one store generation through [`kesou_indexer::update`]: only customers whose
//! risk or factors change are stamped, so the index (which holds `churn_risk` for filters)
//! re-indexes those and no others.

use std::time::Instant;

use duckdb::Connection;
use kesou_indexer::{Progress, StorePaths, store};

use super::model::ChurnModel;
use super::report::ScoreReport;
use crate::Result;
use crate::tabular::features;
use crate::tabular::metrics;
use crate::tabular::write::{self, rounded};

/// Scores the store with its saved model. `None` when the store has no model.
pub fn score(paths: &StorePaths, progress: &dyn Progress) -> Result<Option<ScoreReport>> {
    ChurnModel::load(paths)?
        .map(|model| score_with(paths, &model, progress))
        .transpose()
}

/// Scores the store with `model`.
pub fn score_with(
    paths: &StorePaths,
    model: &ChurnModel,
    progress: &dyn Progress,
) -> Result<ScoreReport> {
    write::in_generation(paths, progress, |conn, generation| {
        write_scores(conn, model, generation, progress)
    })
}

fn write_scores(
    conn: &Connection,
    model: &ChurnModel,
    generation: u64,
    progress: &dyn Progress,
) -> Result<ScoreReport> {
    let (as_of, _) = store::as_of(conn)?;
    let t = Instant::now();
    let pop = {
        let _phase = progress.phase("churn features", None);
        features::population(conn, as_of)?
    };
    let feature_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (risks, words) = {
        let _phase = progress.phase("churn scores", Some(pop.len() as u64));
        model.score(&pop)?
    };
    let risks: Vec<f64> = risks.into_iter().map(rounded).collect();
    let model_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (changed, cleared) = write::write_scores(
        conn,
        "_churn_scores",
        &pop.ids,
        "churn_risk",
        &risks,
        &[("churn_factors", &words)],
        generation,
    )?;
    Ok(ScoreReport {
        as_of: as_of.to_string(),
        kind: model.info.kind,
        scored: pop.len(),
        changed,
        cleared,
        generation,
        bands: metrics::bands(&risks, None),
        feature_seconds,
        model_seconds,
        write_seconds: t.elapsed().as_secs_f64(),
        index_seconds: 0.0,
        seconds: 0.0,
    })
}
