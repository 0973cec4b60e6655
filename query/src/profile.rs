//! One customer's profile (`GET /api/customers/{id}`): every column of its row, labelled;
//! its orders and interactions, most recent first, capped, with their totals; its purchases
//! per month over the last 24 months up to `as_of`; tags, RFM and churn risk.
//!
//! Every value reaches SQL as a bound parameter. An id no customer has is
//! [`Error::NotFound`].

use chrono::{Datelike, NaiveDate};
use duckdb::types::Value as SqlValue;
use kesou_nlq::FieldKind;
use serde::Serialize;
use serde_json::Value as Json;

use crate::ask::sql::ident;
use crate::ask::{Asker, Column, json};
use crate::{Error, Result, ScopeExt};

/// Columns of the customer table that are bookkeeping, not the customer's profile.
const INTERNAL: &[&str] = &["name_key", "source_tags", "rowid"];

/// How much history a profile carries.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// The most recent orders listed (default 20); `total` counts them all.
    pub orders: usize,
    /// The most recent interactions listed (default 20).
    pub interactions: usize,
    /// Months in the purchase series, ending with `as_of`'s month (default 24).
    pub months: usize,
    /// The customers the caller may see; any other id is as unknown (default none: all).
    pub scope: Option<crate::Scope>,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            orders: 20,
            interactions: 20,
            months: 24,
            scope: None,
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
    if let Some(scope) = &options.scope
        && !scope.visible(conn, &[id])?.contains(id)
    {
        return Err(Error::NotFound(format!("no customer has id {id:?}")));
    }
    // By rowid (one row read) from the key index, which is as new as the store's generation;
    // by id (every id read) only if that row is somehow not the customer.
    let attempts = match asker.rowid(id)? {
        Some(r) => vec![Some(r), None],
        None => Vec::new(),
    };
    let mut found = None;
    for rowid in attempts {
        let (sql, params) = match rowid {
            Some(r) => (
                format!(
                    "SELECT * FROM {} WHERE rowid BETWEEN ? AND ?",
                    ident(schema.source())
                ),
                vec![SqlValue::BigInt(r), SqlValue::BigInt(r)],
            ),
            None => (
                format!(
                    "SELECT * FROM {} WHERE {} = ?",
                    ident(schema.source()),
                    ident(&schema.key)
                ),
                vec![SqlValue::Text(id.to_owned())],
            ),
        };
        let mut stmt = conn.prepare(&sql)?;
        let row: Option<Vec<Json>> = {
            let mut rows = stmt.query(duckdb::params_from_iter(params.iter()))?;
            match rows.next()? {
                Some(r) => Some(
                    (0..r.as_ref().column_count())
                        .map(|i| r.get::<_, SqlValue>(i).map(json))
                        .collect::<std::result::Result<_, _>>()?,
                ),
                None => None,
            }
        };
        let names = stmt.column_names();
        let key_at = names.iter().position(|n| *n == schema.key);
        if let Some(row) = row
            && key_at.is_some_and(|k| row[k].as_str() == Some(id))
        {
            found = Some((names, row));
            break;
        }
    }
    let (names, row) =
        found.ok_or_else(|| Error::NotFound(format!("no customer has id {id:?}")))?;
    // Lookup columns (keyed hashes of the contacts) are bookkeeping too.
    let lookup = |n: &str| schema.fields.iter().any(|f| f.lookup.as_deref() == Some(n));
    let (names, row): (Vec<String>, Vec<Json>) = names
        .into_iter()
        .zip(row)
        .filter(|(n, _)| !n.starts_with('_') && !INTERNAL.contains(&n.as_str()) && !lookup(n))
        .unzip();
    let vault = asker.vault();
    let fields: Vec<ProfileField> = names
        .iter()
        .zip(row)
        .map(|(name, value)| {
            let f = schema.field(name);
            // A contact is decrypted here; masking for a role is the server's.
            let value = match value {
                Json::String(s) if f.is_some_and(|f| f.lookup.is_some()) => {
                    Json::String(vault.open(name, &s)?)
                }
                v => v,
            };
            Ok(ProfileField {
                name: name.clone(),
                label: f.map_or_else(|| name.clone(), |f| f.label.clone()),
                kind: f.map_or(FieldKind::Text, |f| f.kind),
                value,
            })
        })
        .collect::<Result<_>>()?;
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
    // Every order (a customer has hundreds at most): the list, the total and the series
    // come from one read.
    let mut orders = history(
        asker,
        id,
        "orders",
        &["id", "order_date", "amount", "product"],
        None,
    )?;
    let monthly_purchase = monthly(&orders.rows, as_of, options.months);
    orders.rows.truncate(options.orders);
    Ok(Profile {
        id: id.to_owned(),
        name: text("name").unwrap_or_default(),
        tags,
        rfm: (rfm.segment.is_some() || rfm.r_score.is_some()).then_some(rfm),
        churn_risk: get("churn_risk").as_f64(),
        orders,
        interactions: history(
            asker,
            id,
            "interactions",
            &["id", "ts", "kind", "channel", "note"],
            Some(options.interactions),
        )?,
        monthly_purchase,
        as_of: as_of.to_string(),
        fields,
    })
}

/// The customer's rows of a related table, most recent first (by its time field, then id):
/// the first `limit` (every one when `None`), and how many there are.
fn history(
    asker: &Asker,
    id: &str,
    table: &str,
    columns: &[&str],
    limit: Option<usize>,
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
    let select: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let mut sql = format!(
        "SELECT {}, count(*) OVER () FROM {} WHERE {} = ? ORDER BY {} DESC, \"id\" DESC",
        select.join(", "),
        ident(&rel.table),
        ident(&rel.foreign_key),
        ident(&rel.time_field)
    );
    let mut params = vec![SqlValue::Text(id.to_owned())];
    if let Some(n) = limit {
        sql.push_str(" LIMIT ?");
        params.push(SqlValue::BigInt(n as i64));
    }
    let mut stmt = asker.connection().prepare(&sql)?;
    let width = columns.len();
    let mut total = 0;
    let rows = stmt
        .query_map(duckdb::params_from_iter(params.iter()), |r| {
            (0..=width)
                .map(|i| r.get::<_, SqlValue>(i).map(json))
                .collect::<std::result::Result<Vec<Json>, _>>()
        })?
        .map(|row| {
            let mut row = row?;
            total = row.pop().and_then(|t| t.as_u64()).unwrap_or_default();
            Ok(row)
        })
        .collect::<Result<Vec<_>>>()?;
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

/// Purchases per month over `months` months ending with `as_of`'s month, from order rows
/// (`id, order_date, amount, …`).
fn monthly(orders: &[Vec<Json>], as_of: NaiveDate, months: usize) -> Vec<MonthPurchase> {
    let mut series: Vec<MonthPurchase> = (0..months)
        .rev()
        .map(|back| MonthPurchase {
            month: month_start(as_of, back).format("%Y-%m").to_string(),
            amount: 0.0,
            orders: 0,
        })
        .collect();
    let last = as_of.to_string();
    for o in orders {
        let (Some(date), Some(amount)) = (o[1].as_str(), o[2].as_f64()) else {
            continue;
        };
        if date > last.as_str() || date.len() < 7 {
            continue;
        }
        if let Some(p) = series.iter_mut().find(|p| p.month == date[..7]) {
            p.amount += amount;
            p.orders += 1;
        }
    }
    series
}

#[cfg(test)]
mod tests;
