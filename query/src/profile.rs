//! One customer's profile (`GET /api/customers/{id}`): every column of its row, labelled;
//! its orders and interactions, most recent first, capped, with their totals; its purchases
//! per month over the last 24 months up to `as_of`; tags, RFM and churn risk.
//!
//! Every value reaches SQL as a bound parameter. An id no customer has is
//! [`Error::NotFound`].

use chrono::{Datelike, NaiveDate};
use duckdb::OptionalExt;
use duckdb::types::Value as SqlValue;
use kesou_nlq::FieldKind;
use serde::Serialize;
use serde_json::Value as Json;

use crate::ask::sql::ident;
use crate::ask::{Asker, Column, json};
use crate::{Error, Result};

/// Columns of the customer table that are bookkeeping, not the customer's profile.
const INTERNAL: &[&str] = &["name_key", "source_tags"];

/// How much history a profile carries.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// The most recent orders listed (default 20); `total` counts them all.
    pub orders: usize,
    /// The most recent interactions listed (default 20).
    pub interactions: usize,
    /// Months in the purchase series, ending with `as_of`'s month (default 24).
    pub months: usize,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            orders: 20,
            interactions: 20,
            months: 24,
        }
    }
}

/// One customer, as the profile page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub id: String,
    pub name: String,
    /// Every column of the customer's row in the table's order (bookkeeping aside).
    pub fields: Vec<ProfileField>,
    pub tags: Vec<String>,
    /// None for customers without orders.
    pub rfm: Option<Rfm>,
    /// 0..1, None until the churn model has run.
    pub churn_risk: Option<f64>,
    pub orders: History,
    pub interactions: History,
    /// One point per month, oldest first, months without orders as 0.
    pub monthly_purchase: Vec<MonthPurchase>,
    /// The day the data runs to: `YYYY-MM-DD`.
    pub as_of: String,
}

/// A column of the customer's row and its value (dates `YYYY-MM-DD`, tags an array).
#[derive(Debug, Clone, Serialize)]
pub struct ProfileField {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub value: Json,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rfm {
    pub segment: Option<String>,
    pub r_score: Option<i64>,
    pub f_score: Option<i64>,
    pub m_score: Option<i64>,
}

/// The most recent rows of a related table, and how many there are in all.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Json>>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPurchase {
    /// `YYYY-MM`.
    pub month: String,
    /// Sum of the month's order amounts, yuan.
    pub amount: f64,
    pub orders: u64,
}

/// The profile of the customer with this id.
pub fn profile(asker: &Asker, id: &str, options: &ProfileOptions) -> Result<Profile> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > 64 {
        return Err(Error::BadRequest(format!(
            "{id:?} is not a customer id; ids look like C0000123"
        )));
    }
    let conn = asker.connection();
    let schema = asker.schema();
    let names: Vec<String> = {
        let mut stmt = conn.prepare(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? \
             ORDER BY ordinal_position",
        )?;
        stmt.query_map([&schema.table], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|n| !n.starts_with('_') && !INTERNAL.contains(&n.as_str()))
            .collect()
    };
    let select: Vec<String> = names.iter().map(|n| ident(n)).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = ?",
        select.join(", "),
        ident(&schema.table),
        ident(&schema.key)
    );
    let row: Option<Vec<Json>> = conn
        .query_row(&sql, [id], |r| {
            (0..names.len())
                .map(|i| r.get::<_, SqlValue>(i).map(json))
                .collect()
        })
        .optional()?;
    let row = row.ok_or_else(|| Error::NotFound(format!("no customer has id {id:?}")))?;
    let fields: Vec<ProfileField> = names
        .iter()
        .zip(row)
        .map(|(name, value)| {
            let f = schema.field(name);
            ProfileField {
                name: name.clone(),
                label: f.map_or_else(|| name.clone(), |f| f.label.clone()),
                kind: f.map_or(FieldKind::Text, |f| f.kind),
                value,
            }
        })
        .collect();
    let get = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name)
            .map_or(Json::Null, |f| f.value.clone())
    };
    let text = |name: &str| get(name).as_str().map(str::to_owned);
    let int = |name: &str| get(name).as_i64();
    let tags = match get("tags") {
        Json::Array(items) => items
            .into_iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let rfm = Rfm {
        segment: text("rfm_segment"),
        r_score: int("r_score"),
        f_score: int("f_score"),
        m_score: int("m_score"),
    };
    let as_of = asker.as_of();
    Ok(Profile {
        id: id.to_owned(),
        name: text("name").unwrap_or_default(),
        tags,
        rfm: (rfm.segment.is_some() || rfm.r_score.is_some()).then_some(rfm),
        churn_risk: get("churn_risk").as_f64(),
        orders: history(
            asker,
            id,
            "orders",
            &["id", "order_date", "amount", "product"],
            options.orders,
        )?,
        interactions: history(
            asker,
            id,
            "interactions",
            &["id", "ts", "kind", "channel", "note"],
            options.interactions,
        )?,
        monthly_purchase: monthly(asker, id, as_of, options.months)?,
        as_of: as_of.to_string(),
        fields,
    })
}

/// The customer's most recent rows of a related table (by its time field, then id).
fn history(
    asker: &Asker,
    id: &str,
    table: &str,
    columns: &[&str],
    limit: usize,
) -> Result<History> {
    let schema = asker.schema();
    let rel = schema
        .related(table)
        .ok_or_else(|| Error::BadRequest(format!("{} has no {table}", schema.table)))?;
    let cols: Vec<Column> = columns
        .iter()
        .map(|name| {
            let f = rel.fields.iter().find(|f| f.name == *name);
            Column {
                name: (*name).to_owned(),
                label: match f {
                    Some(f) => f.label.clone(),
                    None if *name == "id" => format!("{}编号", rel.label),
                    None => (*name).to_owned(),
                },
                kind: f.map_or(FieldKind::Id, |f| f.kind),
            }
        })
        .collect();
    let fk = ident(&rel.foreign_key);
    let from = format!("FROM {} WHERE {fk} = ?", ident(&rel.table));
    let select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let sql = format!(
        "SELECT {} {from} ORDER BY {} DESC, \"id\" DESC LIMIT ?",
        select.join(", "),
        ident(&rel.time_field)
    );
    let conn = asker.connection();
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(duckdb::params![id, limit as i64], |r| {
            (0..columns.len())
                .map(|i| r.get::<_, SqlValue>(i).map(json))
                .collect::<std::result::Result<Vec<Json>, _>>()
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let total = if rows.len() < limit {
        rows.len() as u64
    } else {
        conn.query_row(&format!("SELECT count(*) {from}"), [id], |r| {
            r.get::<_, i64>(0)
        })? as u64
    };
    Ok(History {
        columns: cols,
        rows,
        total,
    })
}

/// The first day of the month `back` months before `day`'s.
fn month_start(day: NaiveDate, back: usize) -> NaiveDate {
    let months = day.year() * 12 + day.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .expect("the first of a month")
}

/// Purchases per month over `months` months ending with `as_of`'s month.
fn monthly(asker: &Asker, id: &str, as_of: NaiveDate, months: usize) -> Result<Vec<MonthPurchase>> {
    if months == 0 {
        return Ok(Vec::new());
    }
    let from = month_start(as_of, months - 1);
    let mut series: Vec<MonthPurchase> = (0..months)
        .rev()
        .map(|back| MonthPurchase {
            month: month_start(as_of, back).format("%Y-%m").to_string(),
            amount: 0.0,
            orders: 0,
        })
        .collect();
    let mut stmt = asker.connection().prepare(
        "SELECT strftime(order_date, '%Y-%m'), sum(amount), count(*) FROM orders \
         WHERE customer_id = ? AND order_date >= ?::DATE AND order_date <= ?::DATE GROUP BY 1",
    )?;
    let rows = stmt
        .query_map(
            duckdb::params![id, from.to_string(), as_of.to_string()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    for (month, amount, n) in rows {
        if let Some(p) = series.iter_mut().find(|p| p.month == month) {
            p.amount = amount;
            p.orders = n as u64;
        }
    }
    Ok(series)
}

#[cfg(test)]
mod tests;
