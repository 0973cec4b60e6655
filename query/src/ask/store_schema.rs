//! The schema description a store is asked through: the customer description shipped with
//! kesou (`customers.toml`), with the value dictionaries filled from the store's own
//! distinct values, so that every province, city, salesperson, tag and product in the data
//! is a word the parser knows.
//!
//! A store's custom fields (客户来源, 合同到期日 … of a CRM's export) join the description:
//! rows are then read through the store's [`FIELDS_VIEW`], which carries one column per
//! field, and each field is named by its header (and the header without a unit in
//! brackets: 信用额度(元) → 信用额度), so filters, groups, sorts and measures of a question
//! reach them through the same SQL as the contract's columns, and field permissions apply
//! by the same name. A text field with few distinct values is read as a category, so that
//! its values are words of questions (客户来源是展会的). A field's name is its column (the
//! header made a plain identifier: 信用额度(元) → 信用额度_元), its label the header.

use std::sync::OnceLock;

use duckdb::Connection;
pub use kesou_indexer::store::field_column;
use kesou_indexer::store::{FIELDS_VIEW, ViewField, view_fields};
use kesou_nlq::{Field, FieldKind, Rollup, Schema};

use super::sql::ident;
use crate::Result;

/// The customer table's description, as shipped.
pub const CUSTOMERS_TOML: &str = include_str!("customers.toml");

/// The customer description with the store's custom fields, the words of its
/// `schema.toml` ([`super::user_schema`]) and its distinct values added. Fields the store's
/// tables do not have (a store made by an older kesou, opened read-only before an ingest added
/// them) are left out, so questions about the rest still work.
pub fn customer_schema(conn: &Connection) -> Result<Schema> {
    let mut schema = Schema::from_toml(CUSTOMERS_TOML)?;
    let main = columns(conn, &schema.table)?;
    schema.fields.retain(|f| main.contains(&f.name));
    for r in &mut schema.related {
        let have = columns(conn, &r.table)?;
        r.fields.retain(|f| have.contains(&f.name));
    }
    // Rollups are read only while they describe the store as it is (indexer/src/rollup.rs).
    set_rollups(&mut schema, kesou_indexer::rollup::fresh(conn)?)?;
    add_custom_fields(conn, &mut schema)?;
    super::user_schema::apply_user_schema(conn, &mut schema)?;
    schema.check()?;
    add_store_values(conn, &mut schema)?;
    Ok(schema)
}

/// How the store's events are rolled up, as the description names them.
const ROLLUPS_TOML: &str = include_str!("rollups.toml");

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rollups {
    rollups: Vec<RelatedRollup>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RelatedRollup {
    related: String,
    rollup: Rollup,
}

/// Declares the store's rollups ([`ROLLUPS_TOML`]) on the related tables of `schema` that
/// have them, with every field they keep (`fresh`), or none (the store's are stale).
pub(crate) fn set_rollups(schema: &mut Schema, fresh: bool) -> Result<()> {
    let wanted = rollups_for(schema, fresh)?;
    for (r, rollup) in schema.related.iter_mut().zip(wanted) {
        r.rollup = rollup;
    }
    schema.check()?;
    Ok(())
}

/// The rollup each related table of `schema` has in a store whose rollups are `fresh` or
/// not, in the order of `schema.related`.
pub(crate) fn rollups_for(schema: &Schema, fresh: bool) -> Result<Vec<Option<Rollup>>> {
    let mut wanted = vec![None; schema.related.len()];
    if !fresh {
        return Ok(wanted);
    }
    let Rollups { rollups } = toml::from_str(ROLLUPS_TOML)
        .map_err(|e| kesou_nlq::Error::Schema(format!("rollups.toml: {e}")))?;
    for RelatedRollup { related, rollup } in rollups {
        if let Some((i, r)) = schema
            .related
            .iter()
            .enumerate()
            .find(|(_, r)| r.table == related)
            && rollup
                .fields
                .iter()
                .chain(&rollup.sums)
                .all(|f| r.fields.iter().any(|have| &have.name == f))
        {
            wanted[i] = Some(rollup);
        }
    }
    Ok(wanted)
}

/// Whether `field` of a schema is one of the store's custom fields (not of the shipped
/// description).
pub fn is_custom(schema: &Schema, field: &str) -> bool {
    static SHIPPED: OnceLock<Vec<String>> = OnceLock::new();
    let shipped = SHIPPED.get_or_init(|| {
        Schema::from_toml(CUSTOMERS_TOML)
            .map(|s| s.fields.into_iter().map(|f| f.name).collect())
            .unwrap_or_default()
    });
    schema.source.as_deref() == Some(FIELDS_VIEW)
        && schema.field(field).is_some()
        && !shipped.iter().any(|f| f == field)
}

/// A text custom field with at most this many distinct values is a category.
pub const MAX_CATEGORY_VALUES: i64 = 50;

/// Adds the store's custom fields to the description, reading rows through [`FIELDS_VIEW`]
/// (a store without the view, made by an older kesou and opened read-only, is asked without
/// them).
fn add_custom_fields(conn: &Connection, schema: &mut Schema) -> Result<()> {
    let view: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
        [FIELDS_VIEW],
        |r| r.get(0),
    )?;
    if view == 0 || schema.table != "customers" || schema.source.is_some() {
        return Ok(());
    }
    let have = columns(conn, FIELDS_VIEW)?;
    for ViewField {
        column,
        header,
        kind,
    } in view_fields(conn)?
    {
        if !have.contains(&column) {
            continue;
        }
        let kind = match kind.as_str() {
            "number" => FieldKind::Number,
            "money" => FieldKind::Money,
            "percent" => FieldKind::Ratio,
            "date" | "timestamp" => FieldKind::Date,
            "category" => FieldKind::Category,
            "id" | "phone" | "email" | "credit code" => FieldKind::Id,
            _ if distinct_count(conn, &header)? <= MAX_CATEGORY_VALUES => FieldKind::Category,
            _ => FieldKind::Text,
        };
        let mut words = vec![header.clone()];
        if let Some((bare, _)) = header.split_once(['(', '（']) {
            let bare = bare.trim();
            if !bare.is_empty() {
                words.push(bare.to_owned());
            }
        }
        // A due date is said without its 日: 下个月合同到期的客户.
        if kind == FieldKind::Date
            && let Some(stem) = ["日期", "时间", "日"]
                .iter()
                .find_map(|end| header.strip_suffix(end))
            && stem.chars().count() >= 2
        {
            words.push(stem.to_owned());
        }
        if !words.contains(&column) {
            words.push(column.clone());
        }
        // A word another field has keeps that field's meaning (等级 stays 价值等级): the
        // custom field keeps its other words, and is listed and reachable by name anyway.
        let known = |w: &String| {
            schema
                .fields
                .iter()
                .any(|f| f.name == *w || f.label == *w || f.words.contains(w))
        };
        let taken: Vec<String> = words.iter().filter(|w| known(w)).cloned().collect();
        if !taken.is_empty() {
            tracing::info!(field = %header, words = ?taken, "custom field words already name another field; left to it");
            words.retain(|w| !taken.contains(w));
        }
        schema.fields.push(Field {
            name: column,
            kind,
            label: header,
            words,
            values: Vec::new(),
            places: false,
            units: Vec::new(),
            group: None,
            lookup: None,
            ranked: None,
        });
    }
    schema.source = Some(FIELDS_VIEW.to_owned());
    Ok(())
}

fn distinct_count(conn: &Connection, field: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(DISTINCT text) FROM custom_values WHERE field = ?",
        [field],
        |r| r.get(0),
    )?)
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT column_name FROM information_schema.columns WHERE table_name = ?")?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(names)
}

/// Adds the distinct values the store holds to every category and tag field of a schema
/// and of its related tables (NULL skipped, in a stable order).
pub fn add_store_values(conn: &Connection, schema: &mut Schema) -> Result<()> {
    let main: Vec<(String, FieldKind)> = dictionary_fields(&schema.fields);
    for (name, kind) in main {
        let values = distinct(conn, schema.source(), &name, kind)?;
        schema.add_values(&name, values);
    }
    let related: Vec<(String, String, FieldKind)> = schema
        .related
        .iter()
        .flat_map(|r| {
            dictionary_fields(&r.fields)
                .into_iter()
                .map(|(f, k)| (r.table.clone(), f, k))
        })
        .collect();
    for (table, name, kind) in related {
        let values = distinct(conn, &table, &name, kind)?;
        schema.add_related_values(&table, &name, values);
    }
    Ok(())
}

fn dictionary_fields(fields: &[Field]) -> Vec<(String, FieldKind)> {
    fields
        .iter()
        .filter(|f| f.kind.has_values())
        .map(|f| (f.name.clone(), f.kind))
        .collect()
}

fn distinct(conn: &Connection, table: &str, field: &str, kind: FieldKind) -> Result<Vec<String>> {
    let (table, col) = (ident(table), ident(field));
    let sql = if kind == FieldKind::Tags {
        format!(
            "SELECT DISTINCT CAST(v AS VARCHAR) AS v FROM (SELECT unnest({col}) AS v FROM {table}) \
             WHERE v IS NOT NULL ORDER BY 1"
        )
    } else {
        format!(
            "SELECT DISTINCT CAST({col} AS VARCHAR) FROM {table} WHERE {col} IS NOT NULL ORDER BY 1"
        )
    };
    let mut stmt = conn.prepare(&sql)?;
    let values = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(values
        .into_iter()
        .filter(|v| !v.trim().is_empty())
        .collect())
}
