//! The schema description a store is asked through: the customer description shipped with
//! kesou (`customers.toml`), with the value dictionaries filled from the store's own
//! distinct values, so that every province, city, salesperson, tag and product in the data
//! is a word the parser knows.

use duckdb::Connection;
use kesou_nlq::{Field, FieldKind, Schema};

use super::sql::ident;
use crate::Result;

/// The customer table's description, as shipped.
pub const CUSTOMERS_TOML: &str = include_str!("customers.toml");

/// The customer description with the store's distinct values added. Fields the store's
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
    schema.check()?;
    add_store_values(conn, &mut schema)?;
    Ok(schema)
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
        let values = distinct(conn, &schema.table, &name, kind)?;
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
