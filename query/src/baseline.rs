//! The same search answered by DuckDB alone: `ILIKE '%…%'` over name, description, tags
//! and notes, the filters as SQL, facet counts as GROUP BY. This is what a team without a
//! search engine would write; benchmarks run it beside [`crate::Searcher`] in the same run.
//! Every value is bound as a parameter.

use duckdb::Connection;
use duckdb::types::Value;
use kesou_nlq::Op;

use crate::{Error, Result, SearchRequest};

/// Total matches and the ids of the first page, by annual purchase.
#[derive(Debug, Clone)]
pub struct BaselineAnswer {
    pub total: usize,
    pub ids: Vec<String>,
    /// (facet, value, count) rows.
    pub facets: Vec<(String, String, u64)>,
}

fn column(field: &str) -> Result<&'static str> {
    Ok(match field {
        "region" => "region",
        "province" => "province",
        "city" => "city",
        "industry" => "industry",
        "size" => "size",
        "lifecycle" => "lifecycle",
        "value_level" => "value_level",
        "owner" => "owner",
        "annual_purchase" => "annual_purchase",
        "total_purchase" => "total_purchase",
        "registered_capital" => "registered_capital",
        "churn_risk" => "churn_risk",
        "employees" => "employees",
        "order_count" => "order_count",
        "consult_30d" => "consult_30d",
        "tags" => "tags",
        other => {
            return Err(Error::BadRequest(format!(
                "baseline cannot filter on {other}"
            )));
        }
    })
}

pub fn search(conn: &Connection, req: &SearchRequest) -> Result<BaselineAnswer> {
    let mut wheres: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for group in req.text.split_whitespace() {
        wheres.push(
            "(c.name ILIKE ? ESCAPE '\\' OR c.description ILIKE ? ESCAPE '\\' OR array_to_string(c.tags, ' ') ILIKE ? ESCAPE '\\' OR c.id IN \
             (SELECT customer_id FROM interactions WHERE note ILIKE ? ESCAPE '\\'))"
                .into(),
        );
        let pattern = format!("%{}%", group.replace('%', "\\%").replace('_', "\\_"));
        params.extend(std::iter::repeat_n(Value::Text(pattern), 4));
    }
    for f in &req.filters {
        let col = column(&f.field)?;
        if col == "tags" {
            let alts = vec!["list_contains(c.tags, ?)"; f.values.len()].join(" OR ");
            let neg = if f.op == Op::Ne { "NOT " } else { "" };
            wheres.push(format!("{neg}({alts})"));
            params.extend(f.values.iter().map(|v| Value::Text(v.clone())));
        } else if f.values.len() > 1 || f.values[0].parse::<f64>().is_err() {
            let list = vec!["?"; f.values.len()].join(", ");
            let neg = if f.op == Op::Ne { "NOT " } else { "" };
            wheres.push(format!("c.{col} {neg}IN ({list})"));
            params.extend(f.values.iter().map(|v| Value::Text(v.clone())));
        } else {
            let op = if f.op == Op::Ne { "<>" } else { f.op.symbol() };
            wheres.push(format!("c.{col} {op} ?"));
            params.push(Value::Double(f.values[0].parse().expect("checked number")));
        }
    }
    let where_sql = if wheres.is_empty() {
        "TRUE".to_owned()
    } else {
        wheres.join(" AND ")
    };
    conn.execute(&format!("CREATE OR REPLACE TEMP TABLE _baseline AS SELECT c.* FROM customers c WHERE {where_sql}"), duckdb::params_from_iter(params.iter()))?;
    let total: i64 = conn.query_row("SELECT count(*) FROM _baseline", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(
        "SELECT id FROM _baseline ORDER BY annual_purchase DESC NULLS LAST, id LIMIT ? OFFSET ?",
    )?;
    let ids: Vec<String> = stmt
        .query_map([req.limit.max(1) as i64, req.offset as i64], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    let mut facets = Vec::new();
    for facet in &req.facets {
        let sql = match facet.as_str() {
            "tags" => "SELECT t, count(*) FROM (SELECT unnest(tags) AS t FROM _baseline) GROUP BY 1 ORDER BY 2 DESC LIMIT 20".to_owned(),
            f => format!("SELECT {col}, count(*) FROM _baseline WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC", col = column(f)?),
        };
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (value, count) = row?;
            facets.push((facet.clone(), value, count as u64));
        }
    }
    Ok(BaselineAnswer {
        total: total as usize,
        ids,
        facets,
    })
}
