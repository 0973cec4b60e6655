//! Validated rows become Arrow record batches and go into staging tables through DuckDB's
//! Arrow appender; the upsert into the contract tables is then one SQL transaction.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, RecordBatch,
    StringBuilder, TimestampMicrosecondBuilder,
};
use chrono::{NaiveDate, NaiveDateTime};
use duckdb::Connection;

use crate::Result;
use crate::crypt::Vault;
use crate::validate::{CustomerRow, InteractionRow, OrderRow};

/// A custom field's value on its way to `_stage_custom`: the text as written (`None`: sent
/// empty, which clears the customer's value), its number or day by the field's type, and
/// the `_seq` of its row (the later row wins).
#[derive(Debug, Clone)]
pub struct CustomValue {
    pub id: String,
    pub field: String,
    pub kind: &'static str,
    pub text: Option<String>,
    pub number: Option<f64>,
    pub day: Option<NaiveDate>,
    pub seq: i64,
}

impl CustomValue {
    /// The value that clears what the customer had.
    pub fn cleared(id: &str, field: &str, kind: crate::plan::FieldKind, seq: i64) -> Self {
        CustomValue {
            id: id.to_owned(),
            field: field.to_owned(),
            kind: kind.label(),
            text: None,
            number: None,
            day: None,
            seq,
        }
    }
}

/// Rows per batch handed to the appender.
pub const BATCH_ROWS: usize = 50_000;

/// Where rows are staged before the transaction that upserts them: a name of a DuckDB
/// database (catalog) the store's connections see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staging {
    /// An in-memory database attached to the store's, for file ingests: every connection
    /// of the process sees it (events files are staged in parallel on cloned connections),
    /// and nothing staged is written to the store file. Staged into tables of the store
    /// file, each append was a commit, written to the WAL and compressed again at each
    /// checkpoint: two thirds of the time it took to read a file.
    Attached,
    /// The connection's temporary tables, for change batches: they are staged inside the
    /// batch's transaction, which has written to the store already, and a DuckDB
    /// transaction writes to one attached database only (temporary tables aside).
    Temp,
}

impl Staging {
    pub(crate) fn db(self) -> &'static str {
        match self {
            Staging::Attached => "kesou_stage",
            Staging::Temp => "temp",
        }
    }

    /// The staging table `name` (`_stage_customers`, …), qualified.
    pub fn table(self, name: &str) -> String {
        format!("{}.{name}", self.db())
    }

    /// Creates the staging tables, empty.
    pub fn create(self, conn: &Connection) -> Result<()> {
        if self == Staging::Attached {
            conn.execute_batch("ATTACH IF NOT EXISTS ':memory:' AS kesou_stage")?;
        }
        let create = match self {
            Staging::Attached => "CREATE OR REPLACE TABLE kesou_stage.",
            Staging::Temp => "CREATE OR REPLACE TEMP TABLE ",
        };
        conn.execute_batch(&STAGING_DDL.replace("CREATE STAGE.", create))?;
        Ok(())
    }

    /// Drops the staging tables (their memory is freed).
    pub fn drop(self, conn: &Connection) -> Result<()> {
        for t in [
            "_stage_customers",
            "_stage_orders",
            "_stage_interactions",
            "_wait_orders",
            "_wait_interactions",
            "_stage_custom",
        ] {
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", self.table(t)))?;
        }
        Ok(())
    }

    /// Appends custom fields' values to `_stage_custom`.
    pub fn append_custom(self, conn: &Connection, values: &[CustomValue]) -> Result<()> {
        let mut app = conn.appender_to_catalog_and_db("_stage_custom", self.db(), "main")?;
        for v in values {
            let day = v.day.map_or(duckdb::types::Value::Null, |d| {
                duckdb::types::Value::Date32(days(d))
            });
            app.append_row(duckdb::params![
                v.id, v.field, v.kind, v.text, v.number, day, v.seq
            ])?;
        }
        app.flush()?;
        Ok(())
    }

    /// Appends one batch to the staging table `name`.
    pub fn append(self, conn: &Connection, name: &str, batch: RecordBatch) -> Result<()> {
        let mut appender = conn.appender_to_catalog_and_db(name, self.db(), "main")?;
        appender.append_record_batch(batch)?;
        appender.flush()?;
        Ok(())
    }
}

const STAGING_DDL: &str = r#"
CREATE STAGE._stage_customers (
    id VARCHAR, name VARCHAR, credit_code VARCHAR, region VARCHAR, province VARCHAR, city VARCHAR,
    industry VARCHAR, size VARCHAR, employees INTEGER, registered_capital DOUBLE, founded_date DATE,
    owner VARCHAR, source_tags VARCHAR[], contact_name VARCHAR, contact_phone VARCHAR, email VARCHAR,
    description VARCHAR, created_at TIMESTAMP, name_key VARCHAR, contact_name_lookup VARCHAR,
    contact_phone_lookup VARCHAR, email_lookup VARCHAR, _seq BIGINT
);
CREATE STAGE._stage_orders (
    id VARCHAR, customer_id VARCHAR, order_date DATE, amount DOUBLE, product VARCHAR, _seq BIGINT
);
CREATE STAGE._stage_interactions (
    id VARCHAR, customer_id VARCHAR, ts TIMESTAMP, channel VARCHAR, kind VARCHAR, note VARCHAR, _seq BIGINT
);
CREATE STAGE._stage_custom (
    id VARCHAR, field VARCHAR, kind VARCHAR, text VARCHAR, number DOUBLE, day DATE, _seq BIGINT
);
"#;

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn micros(ts: NaiveDateTime) -> i64 {
    ts.and_utc().timestamp_micros()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// The customers' batch; contacts sealed by `vault` (and their lookups computed) here,
/// before anything reaches DuckDB: its buffer manager may spill the staging tables to its
/// temporary files, and a plain value must never reach a disk.
pub fn customers_batch(rows: &[(i64, CustomerRow)], vault: &Vault) -> Result<RecordBatch> {
    let n = rows.len();
    let s = || StringBuilder::with_capacity(n, n * 16);
    let sealed = |field: &str, v: &Option<String>| v.as_deref().map(|v| vault.seal(field, v));
    let lookup =
        |field: &str, v: &Option<String>| v.as_deref().and_then(|v| vault.lookup(field, v));
    let (mut name_lookup, mut phone_lookup, mut email_lookup) = (s(), s(), s());
    let (mut id, mut name, mut code, mut region, mut province, mut city) =
        (s(), s(), s(), s(), s(), s());
    let (mut industry, mut size, mut owner, mut cname, mut phone, mut email) =
        (s(), s(), s(), s(), s(), s());
    let (mut desc, mut key) = (s(), s());
    let mut employees = Int32Builder::with_capacity(n);
    let mut capital = Float64Builder::with_capacity(n);
    let mut founded = Date32Builder::with_capacity(n);
    let mut created = TimestampMicrosecondBuilder::with_capacity(n);
    let mut tags = ListBuilder::new(StringBuilder::new());
    let mut seq = Int64Builder::with_capacity(n);
    for (s, r) in rows {
        id.append_value(&r.id);
        name.append_value(&r.name);
        code.append_value(&r.credit_code);
        region.append_option(r.region.as_deref());
        province.append_option(r.province.as_deref());
        city.append_option(r.city.as_deref());
        industry.append_option(r.industry.as_deref());
        size.append_option(r.size.as_deref());
        employees.append_option(r.employees);
        capital.append_option(r.registered_capital);
        founded.append_option(r.founded_date.map(days));
        owner.append_option(r.owner.as_deref());
        for t in &r.tags {
            tags.values().append_value(t);
        }
        tags.append(true);
        cname.append_option(sealed("contact_name", &r.contact_name));
        phone.append_option(sealed("contact_phone", &r.contact_phone));
        email.append_option(sealed("email", &r.email));
        name_lookup.append_option(lookup("contact_name", &r.contact_name));
        phone_lookup.append_option(lookup("contact_phone", &r.contact_phone));
        email_lookup.append_option(lookup("email", &r.email));
        desc.append_option(r.description.as_deref());
        created.append_option(r.created_at.map(micros));
        key.append_value(&r.name_key);
        seq.append_value(*s);
    }
    batch(vec![
        ("id", Arc::new(id.finish())),
        ("name", Arc::new(name.finish())),
        ("credit_code", Arc::new(code.finish())),
        ("region", Arc::new(region.finish())),
        ("province", Arc::new(province.finish())),
        ("city", Arc::new(city.finish())),
        ("industry", Arc::new(industry.finish())),
        ("size", Arc::new(size.finish())),
        ("employees", Arc::new(employees.finish())),
        ("registered_capital", Arc::new(capital.finish())),
        ("founded_date", Arc::new(founded.finish())),
        ("owner", Arc::new(owner.finish())),
        ("source_tags", Arc::new(tags.finish())),
        ("contact_name", Arc::new(cname.finish())),
        ("contact_phone", Arc::new(phone.finish())),
        ("email", Arc::new(email.finish())),
        ("description", Arc::new(desc.finish())),
        ("created_at", Arc::new(created.finish())),
        ("name_key", Arc::new(key.finish())),
        ("contact_name_lookup", Arc::new(name_lookup.finish())),
        ("contact_phone_lookup", Arc::new(phone_lookup.finish())),
        ("email_lookup", Arc::new(email_lookup.finish())),
        ("_seq", Arc::new(seq.finish())),
    ])
}

pub fn orders_batch(rows: &[(i64, OrderRow)]) -> Result<RecordBatch> {
    let n = rows.len();
    let mut id = StringBuilder::with_capacity(n, n * 12);
    let mut cid = StringBuilder::with_capacity(n, n * 8);
    let mut date = Date32Builder::with_capacity(n);
    let mut amount = Float64Builder::with_capacity(n);
    let mut product = StringBuilder::with_capacity(n, n * 12);
    let mut seq = Int64Builder::with_capacity(n);
    for (s, r) in rows {
        id.append_value(&r.id);
        cid.append_value(&r.customer_id);
        date.append_value(days(r.order_date));
        amount.append_value(r.amount);
        product.append_option(r.product.as_deref());
        seq.append_value(*s);
    }
    batch(vec![
        ("id", Arc::new(id.finish())),
        ("customer_id", Arc::new(cid.finish())),
        ("order_date", Arc::new(date.finish())),
        ("amount", Arc::new(amount.finish())),
        ("product", Arc::new(product.finish())),
        ("_seq", Arc::new(seq.finish())),
    ])
}

pub fn interactions_batch(rows: &[(i64, InteractionRow)]) -> Result<RecordBatch> {
    let n = rows.len();
    let mut id = StringBuilder::with_capacity(n, n * 12);
    let mut cid = StringBuilder::with_capacity(n, n * 8);
    let mut ts = TimestampMicrosecondBuilder::with_capacity(n);
    let mut channel = StringBuilder::with_capacity(n, n * 6);
    let mut kind = StringBuilder::with_capacity(n, n * 6);
    let mut note = StringBuilder::with_capacity(n, n * 48);
    let mut seq = Int64Builder::with_capacity(n);
    for (s, r) in rows {
        id.append_value(&r.id);
        cid.append_value(&r.customer_id);
        ts.append_value(micros(r.ts));
        channel.append_option(r.channel.as_deref());
        kind.append_option(r.kind.as_deref());
        note.append_option(r.note.as_deref());
        seq.append_value(*s);
    }
    batch(vec![
        ("id", Arc::new(id.finish())),
        ("customer_id", Arc::new(cid.finish())),
        ("ts", Arc::new(ts.finish())),
        ("channel", Arc::new(channel.finish())),
        ("kind", Arc::new(kind.finish())),
        ("note", Arc::new(note.finish())),
        ("_seq", Arc::new(seq.finish())),
    ])
}
