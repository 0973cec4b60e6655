//! Scoring a store: every customer known at as_of (an order or an interaction) gets
//! `purchase_propensity`, the calibrated probability of an order in the next 90 days, with
//! the reasons in `propensity_reasons` (Chinese) and `propensity_reasons_en` (English).
//! Customers the store knows nothing of yet have none (NULL). One store generation through
//! [`kesou_indexer::update`]; only customers whose values change are stamped.

use duckdb::Connection;
use kesou_indexer::{Progress, StorePaths, store};

use super::learn::population;
use super::model::PropensityModel;
use super::report::ScoreReport;
use crate::Result;
use crate::tabular::write::{self, rounded};

/// Scores the store with its saved model. `None` when the store has no model.
pub fn score(paths: &StorePaths, progress: &dyn Progress) -> Result<Option<ScoreReport>> {
    PropensityModel::load(paths)?
        .map(|model| score_with(paths, &model, progress))
        .transpose()
}

/// Scores the store with `model`.
pub fn score_with(
    paths: &StorePaths,
    model: &PropensityModel,
    progress: &dyn Progress,
) -> Result<ScoreReport> {
    write::in_generation(paths, progress, |conn, generation| {
        write_scores(conn, model, generation, progress)
    })
}

fn write_scores(
    conn: &Connection,
    model: &PropensityModel,
    generation: u64,
    progress: &dyn Progress,
) -> Result<ScoreReport> {
    let (as_of, _) = store::as_of(conn)?;
    let pop = {
        let _phase = progress.phase("propensity features", None);
        population(conn, as_of)?
    };
    let (p, zh, en) = {
        let _phase = progress.phase("propensity scores", Some(pop.len() as u64));
        model.score(&pop)?
    };
    let p: Vec<f64> = p.into_iter().map(rounded).collect();
    let (changed, cleared) = write::write_scores(
        conn,
        "_propensity_scores",
        &pop.ids,
        "purchase_propensity",
        &p,
        &[("propensity_reasons", &zh), ("propensity_reasons_en", &en)],
        generation,
    )?;
    Ok(ScoreReport {
        as_of: as_of.to_string(),
        kind: model.info.kind,
        scored: pop.len(),
        changed,
        cleared,
        generation,
        mean: p.iter().sum::<f64>() / p.len().max(1) as f64,
        at_least_half: p.iter().filter(|x| **x >= 0.5).count(),
        index_seconds: 0.0,
        seconds: 0.0,
    })
}
