//! Reading the scores back: the 流失风险预警 list (customers buying now, riskiest first, with
//! the reasons) and one customer's risk for its profile.

use duckdb::{Connection, OptionalExt, params};
use serde::Serialize;

use crate::Result;
use crate::tabular::metrics::band;

/// A customer with its churn risk and the reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRisk {
    pub id: String,
    pub name: String,
    pub churn_risk: f64,
    /// 高, 中 or 低 (the glossary's bands).
    pub band: &'static str,
    pub churn_factors: Vec<String>,
    pub lifecycle: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub owner: Option<String>,
    pub annual_purchase: Option<f64>,
    pub last_order_date: Option<String>,
}

const COLUMNS: &str = "id, name, churn_risk, array_to_string(churn_factors, chr(31)), lifecycle, region, industry, owner, annual_purchase, strftime(last_order_date, '%Y-%m-%d')";

fn at_risk(r: &duckdb::Row<'_>) -> duckdb::Result<AtRisk> {
    let risk: f64 = r.get(2)?;
    let factors: Option<String> = r.get(3)?;
    Ok(AtRisk {
        id: r.get(0)?,
        name: r.get(1)?,
        churn_risk: risk,
        band: band(risk),
        churn_factors: factors
            .map(|f| {
                f.split('\u{1f}')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        lifecycle: r.get(4)?,
        region: r.get(5)?,
        industry: r.get(6)?,
        owner: r.get(7)?,
        annual_purchase: r.get(8)?,
        last_order_date: r.get(9)?,
    })
}

/// Whether the store has been scored at all (a store made before churn scoring has no
/// `churn_factors` column until it is next written).
pub fn has_scores(conn: &Connection) -> Result<bool> {
    let column: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'churn_factors'",
        [],
        |r| r.get(0),
    )?;
    if column == 0 {
        return Ok(false);
    }
    let scored: i64 = conn.query_row(
        "SELECT count(*) FROM customers WHERE churn_risk IS NOT NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(scored > 0)
}

/// 流失风险预警: the customers with a risk of at least `min_risk`, riskiest first (larger
/// annual purchase first among equal risks), at most `limit`; and how many there are in all.
pub fn warnings(conn: &Connection, min_risk: f64, limit: usize) -> Result<(usize, Vec<AtRisk>)> {
    if !has_scores(conn)? {
        return Ok((0, Vec::new()));
    }
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM customers WHERE churn_risk >= ?",
        params![min_risk],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM customers WHERE churn_risk >= ? ORDER BY churn_risk DESC, annual_purchase DESC NULLS LAST, id LIMIT ?"
    ))?;
    let rows = stmt
        .query_map(params![min_risk, limit as i64], at_risk)?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok((total as usize, rows))
}

/// One customer's risk and reasons: `None` when it has no risk (not buying now, not scored,
/// or no such customer).
pub fn customer(conn: &Connection, id: &str) -> Result<Option<AtRisk>> {
    if !has_scores(conn)? {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM customers WHERE id = ? AND churn_risk IS NOT NULL"),
            params![id],
            at_risk,
        )
        .optional()?)
}
