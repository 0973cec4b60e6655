//! The DuckDB store: the source of truth. Tables follow the data contract of DOMAIN.md;
//! `meta` holds `as_of` and the store's `generation`, bumped in the same transaction as
//! every change (see ARCHITECTURE.md, "store and index agree").

use std::path::PathBuf;

use duckdb::{AccessMode, Config, Connection, OptionalExt, params};

use crate::crypt::{Cipher, DataKey, KeyChoice, KeyOptions};
use crate::{Error, Result};

/// Meta key holding the tag names user rules own, joined by U+001F.
pub const RULE_TAGS: &str = "rule_tags";

/// File name of the DuckDB database inside a store directory.
pub const DB_FILE: &str = "kesou.duckdb";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS customers (
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    credit_code VARCHAR NOT NULL,
    region VARCHAR,
    province VARCHAR,
    city VARCHAR,
    industry VARCHAR,
    size VARCHAR,
    employees INTEGER,
    registered_capital DOUBLE,
    founded_date DATE,
    lifecycle VARCHAR,
    value_level VARCHAR,
    owner VARCHAR,
    tags VARCHAR[],
    annual_purchase DOUBLE,
    total_purchase DOUBLE,
    order_count INTEGER,
    last_order_date DATE,
    consult_30d INTEGER,
    churn_risk DOUBLE,
    contact_name VARCHAR,
    contact_phone VARCHAR,
    email VARCHAR,
    description VARCHAR,
    created_at TIMESTAMP,
    source_tags VARCHAR[],
    name_key VARCHAR NOT NULL,
    _gen BIGINT NOT NULL,
    r_score INTEGER,
    f_score INTEGER,
    m_score INTEGER,
    rfm_segment VARCHAR,
    churn_factors VARCHAR[],
    contact_name_lookup VARCHAR,
    contact_phone_lookup VARCHAR,
    email_lookup VARCHAR,
    purchase_propensity DOUBLE,
    propensity_reasons VARCHAR[],
    propensity_reasons_en VARCHAR[]
);
-- Stores made before RFM get its columns (appended, as in a new store).
ALTER TABLE customers ADD COLUMN IF NOT EXISTS r_score INTEGER;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS f_score INTEGER;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS m_score INTEGER;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS rfm_segment VARCHAR;
-- Stores made before churn scoring get the reasons column (churn_risk was always there).
-- Both stay NULL until the churn model writes them (kesou train churn, then every ingest).
ALTER TABLE customers ADD COLUMN IF NOT EXISTS churn_factors VARCHAR[];
-- Keyed hashes of the contacts for exact lookup (see crypt/): a store made before them
-- gets them filled at its first write.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS contact_name_lookup VARCHAR;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS contact_phone_lookup VARCHAR;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS email_lookup VARCHAR;
-- Purchase propensity (商机) and its reasons: NULL until the propensity model writes them
-- (kesou train opportunity, then every ingest).
ALTER TABLE customers ADD COLUMN IF NOT EXISTS purchase_propensity DOUBLE;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS propensity_reasons VARCHAR[];
ALTER TABLE customers ADD COLUMN IF NOT EXISTS propensity_reasons_en VARCHAR[];
CREATE TABLE IF NOT EXISTS orders (
    id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    order_date DATE NOT NULL,
    amount DOUBLE NOT NULL,
    product VARCHAR
);
CREATE TABLE IF NOT EXISTS interactions (
    id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    channel VARCHAR,
    kind VARCHAR,
    note VARCHAR
);
-- Orders and interactions whose customer is not (yet) in the store, kept with the file and
-- line they came from until the customer is loaded (ingest.rs, `attach_waiting`).
CREATE TABLE IF NOT EXISTS waiting_orders (
    id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    order_date DATE NOT NULL,
    amount DOUBLE NOT NULL,
    product VARCHAR,
    file VARCHAR,
    line BIGINT,
    _gen BIGINT
);
CREATE TABLE IF NOT EXISTS waiting_interactions (
    id VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    channel VARCHAR,
    kind VARCHAR,
    note VARCHAR,
    file VARCHAR,
    line BIGINT,
    _gen BIGINT
);
-- Fields of the customers files' own (客户来源, 合同到期日 …): each with the type read
-- from its values when it first came, and each customer's value as written (text) and as
-- that type (number: numbers, money in yuan, percentages as fractions; day: dates).
CREATE TABLE IF NOT EXISTS custom_fields (
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    _gen BIGINT
);
CREATE TABLE IF NOT EXISTS custom_values (
    id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    number DOUBLE,
    day DATE,
    _gen BIGINT
);
-- Dense integer customer keys and the per-customer monthly rollups of their events, which
-- related-record questions read instead of the raw events (rollup.rs). A key, once given,
-- stays with its id (also after a delete), so that rows keyed by it never change owner.
CREATE TABLE IF NOT EXISTS customer_keys (id VARCHAR NOT NULL, ckey INTEGER NOT NULL);
ALTER TABLE customers ADD COLUMN IF NOT EXISTS ckey INTEGER;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS ckey INTEGER;
ALTER TABLE interactions ADD COLUMN IF NOT EXISTS ckey INTEGER;
CREATE TABLE IF NOT EXISTS order_months (
    ckey INTEGER NOT NULL,
    month DATE NOT NULL,
    n INTEGER NOT NULL,
    amount DECIMAL(18, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS interaction_months (
    ckey INTEGER NOT NULL,
    month DATE NOT NULL,
    kind VARCHAR,
    n INTEGER NOT NULL
);
-- The same over each customer's whole history: one row per customer (and kind).
CREATE TABLE IF NOT EXISTS order_totals (
    ckey INTEGER NOT NULL,
    n INTEGER NOT NULL,
    amount DECIMAL(18, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS interaction_totals (
    ckey INTEGER NOT NULL,
    kind VARCHAR,
    n INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS tombstones (id VARCHAR NOT NULL, gen BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS duplicate_names (
    name_key VARCHAR, id VARCHAR, name VARCHAR, credit_code VARCHAR
);
CREATE TABLE IF NOT EXISTS ingest_runs (
    gen BIGINT, finished_at TIMESTAMP, files VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
    rows_rejected BIGINT, normalised BIGINT, duplicates_flagged BIGINT, seconds DOUBLE
);
"#;

/// The table saved reports live in (`kesou report`, the web app's report builder).
pub const REPORTS_TABLE: &str = "saved_reports";

/// The saved reports table; reports saved before reports had owners get the column.
pub const REPORTS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS saved_reports (
    name VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    spec VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    owner VARCHAR
);
ALTER TABLE saved_reports ADD COLUMN IF NOT EXISTS owner VARCHAR;
";

/// The table combined dashboards live in: several saved reports and built-in boards on
/// one page (the web app's `#/dashboards/NAME`), their names in order as JSON.
pub const COMBOS_TABLE: &str = "saved_dashboards";

/// The combined dashboards table, owned like the reports.
pub const COMBOS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS saved_dashboards (
    name VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    spec VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    owner VARCHAR
);
";

/// The tables of watches (saved questions that fire when customers enter or leave their
/// answer) and their outbox. Written only by `kesou-watch`; defined here because a restore
/// builds a store's tables from this file alone.
pub const WATCH_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS watches (
    id BIGINT NOT NULL, name VARCHAR NOT NULL, owner VARCHAR NOT NULL,
    question VARCHAR NOT NULL, query VARCHAR, fire_on VARCHAR NOT NULL,
    targets VARCHAR NOT NULL, every VARCHAR, condition VARCHAR,
    created_at TIMESTAMP NOT NULL, evaluated_gen BIGINT, evaluated_key VARCHAR,
    last_value DOUBLE, last_run TIMESTAMP
);
ALTER TABLE watches ADD COLUMN IF NOT EXISTS board VARCHAR;
ALTER TABLE watches ADD COLUMN IF NOT EXISTS board_view VARCHAR;
CREATE TABLE IF NOT EXISTS watch_members (watch_id BIGINT NOT NULL, customer_id VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS watch_firings (
    id BIGINT NOT NULL, watch_id BIGINT NOT NULL, fired_at TIMESTAMP NOT NULL, generation BIGINT,
    entered INTEGER, left_count INTEGER, full_run BOOLEAN, message VARCHAR
);
CREATE TABLE IF NOT EXISTS watch_targets (
    name VARCHAR NOT NULL, kind VARCHAR NOT NULL, url VARCHAR NOT NULL, secret VARCHAR,
    format VARCHAR NOT NULL, allow_demo BOOLEAN NOT NULL, created_by VARCHAR,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS watch_outbox (
    key VARCHAR NOT NULL, firing_id BIGINT, target VARCHAR NOT NULL, body VARCHAR NOT NULL,
    state VARCHAR NOT NULL, attempts INTEGER NOT NULL, next_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL, sent_at TIMESTAMP, last_error VARCHAR,
    created_at TIMESTAMP NOT NULL
);
";

/// Paths of a store directory's parts, and the key it is opened with.
#[derive(Debug, Clone)]
pub struct StorePaths {
    pub root: PathBuf,
    /// The data key: by default none; [`StorePaths::with_options`] names where it comes
    /// from (`--key-file`, `KESOU_KEY_FILE`, `KESOU_DATA_KEY`), read when the store is opened.
    pub key: KeyChoice,
}

impl StorePaths {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            key: KeyChoice::default(),
        }
    }

    /// The same store opened with the key these options name (the command line's).
    pub fn with_options(mut self, options: &std::sync::Arc<KeyOptions>) -> Self {
        self.key = KeyChoice::Options(options.clone());
        self
    }

    /// The same store opened with this key (or none), whatever the options say; a
    /// store created so is sealed with `cipher` (default SM4-GCM).
    pub fn with_key(mut self, key: Option<DataKey>, cipher: Option<Cipher>) -> Self {
        self.key = KeyChoice::Given(key.map(std::sync::Arc::new), cipher);
        self
    }
    pub fn db(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }
    /// The tag rules `kesou tags apply` keeps and ingest applies again.
    pub fn tag_rules(&self) -> PathBuf {
        self.root.join("tag-rules.toml")
    }
    pub fn words(&self) -> PathBuf {
        self.root.join("index").join("learned-words.txt")
    }
    pub fn rejects(&self) -> PathBuf {
        self.root.join("rejects")
    }
    pub fn reports(&self) -> PathBuf {
        self.root.join("reports")
    }
}

/// How a store's database is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// An existing store, read-only: many readers at once, beside one writer process.
    Read,
    /// An existing store, for writing: one process at a time.
    Write,
    /// For writing, created (with its folder) when there is none yet.
    CreateOrWrite,
}

/// Columns every read names (the index documents and the questions read them) that a store
/// made before them lacks until a write adds them. Older additions are read gracefully
/// where they are missing (a board says to run `kesou ingest`), so they are not here.
const READ_COLUMNS: [&str; 3] = [
    "purchase_propensity",
    "propensity_reasons",
    "propensity_reasons_en",
];

/// Whether the store has the columns every read names ([`READ_COLUMNS`]).
pub fn schema_is_current(conn: &Connection) -> Result<bool> {
    let mut stmt = conn.prepare(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
    )?;
    let have: std::collections::HashSet<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(READ_COLUMNS.iter().all(|column| have.contains(*column)))
}

/// Opens the store's database as `how` says.
pub fn open_db(paths: &StorePaths, how: Open) -> Result<Connection> {
    let db = paths.db();
    if !db.exists() {
        if how != Open::CreateOrWrite {
            return Err(Error::BadInput(format!(
                "{} is not a kesou store (no {DB_FILE}); create one with `kesou ingest --data {} FILES`",
                paths.root.display(),
                paths.root.display()
            )));
        }
        std::fs::create_dir_all(&paths.root).map_err(|e| Error::io(&paths.root, e))?;
    }
    let config = if how == Open::Read {
        Config::default().access_mode(AccessMode::ReadOnly)?
    } else {
        Config::default()
    };
    let conn = Connection::open_with_flags(&db, config).map_err(|e| {
        if e.to_string().contains("Could not set lock") {
            Error::BadInput(match crate::served::running(paths) {
                Some(s) => format!(
                    "{} is held by `kesou serve` (pid {}, {}): `kesou ask` and `kesou search` \
                     go through it; for this command use the web app or the API there, or \
                     stop the server first",
                    paths.root.display(),
                    s.pid,
                    s.public_url
                ),
                None => format!(
                    "{} is in use by another kesou process (an ingest, a delete or a server); try \
                     again when it has finished",
                    paths.root.display()
                ),
            })
        } else {
            Error::Store(e)
        }
    })?;
    if how != Open::Read {
        bound_memory(&conn)?;
        create_schema(&conn)?;
    }
    Ok(conn)
}

/// DuckDB memory of a writing process (its buffer pool: the staged rows of an ingest, the
/// blocks it writes, joins, sorts and aggregates). DuckDB's own default is 80% of the
/// machine's memory, which an ingest filled as the data grew: staged events and blocks
/// written stayed in memory until the end. Above this, DuckDB spills to its temporary
/// folder beside the database file (`kesou.duckdb.tmp` in the store), which it empties when
/// done; the in-memory staging database spills there too. What cannot spill (a `list()`
/// over every row of a large table) is read in chunks instead (the index documents'
/// notes, `index::docs`).
pub const WRITE_MEMORY_LIMIT: &str = "1GB";

/// DuckDB's memory limit lowered for a while (its cached blocks evicted down to it), set
/// back when dropped. Lowering can fail while DuckDB holds more than the new limit: the
/// work then goes on under the old one.
pub(crate) struct MemoryLimit<'c> {
    conn: &'c Connection,
    before: Option<String>,
}

impl<'c> MemoryLimit<'c> {
    pub(crate) fn lower(conn: &'c Connection, limit: &str) -> Self {
        let before: Option<String> = conn
            .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
            .ok();
        let lowered = before.is_some()
            && conn
                .execute_batch(&format!("SET memory_limit = '{limit}'"))
                .map_err(|e| tracing::debug!(error = %e, "duckdb memory limit kept"))
                .is_ok();
        MemoryLimit {
            conn,
            before: before.filter(|_| lowered),
        }
    }
}

impl Drop for MemoryLimit<'_> {
    fn drop(&mut self) {
        if let Some(bytes) = self.before.as_deref().and_then(shown_bytes) {
            let _ = self
                .conn
                .execute_batch(&format!("SET memory_limit = '{bytes}B'"));
        }
    }
}

/// Bytes of a limit as DuckDB shows it (`953.6 MiB` for 1GB: one decimal, cut, not
/// rounded), taken in the middle of what the shown value covers, so that it shows the same
/// when set again (set as shown, `953.6MiB`, it would show `953.5 MiB`).
fn shown_bytes(shown: &str) -> Option<u64> {
    let (number, unit) = shown.split_once(' ')?;
    let scale: u64 = match unit {
        "bytes" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return None,
    };
    Some(((number.parse::<f64>().ok()? + 0.05) * scale as f64).round() as u64)
}

fn bound_memory(conn: &Connection) -> Result<()> {
    conn.execute_batch(&format!("SET memory_limit = '{WRITE_MEMORY_LIMIT}'"))?;
    Ok(())
}

/// Creates every table of a store as this binary defines them (a no-op on a store that
/// has them; older stores get the columns added since). The one definition of a store's
/// tables: a restore builds its database from this, never from an archive's text.
pub fn create_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(REPORTS_SCHEMA)?;
    conn.execute_batch(COMBOS_SCHEMA)?;
    conn.execute_batch(WATCH_SCHEMA)?;
    refresh_fields_view(conn)?;
    Ok(())
}

/// The view questions read customers through when the store has custom fields: every
/// column of `customers` (and its `rowid`, which the lookalike vectors are keyed by), then
/// one column per custom field named by its header, typed by the field's kind (number,
/// money and percent: DOUBLE, percentages as fractions; date and timestamp: DATE; any
/// other: the value as written). `custom_values` stays the source of truth; the view only
/// pivots it.
pub const FIELDS_VIEW: &str = "customers_fields";

/// A custom field as a column of [`FIELDS_VIEW`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewField {
    /// The column: the header with every run of other chars than letters, digits and `_`
    /// made one `_` (信用额度(元) → 信用额度_元), so that it is a plain identifier.
    pub column: String,
    /// The header as written, the field's name in `custom_fields`.
    pub header: String,
    /// The kind read from its values: number, money, percent, date, category, text …
    pub kind: String,
}

pub use kesou_domain::text::field_column;

/// The custom fields a question can name as columns of [`FIELDS_VIEW`], in the order they
/// came. A field whose column is one of `customers` (in any case), or repeats another's in
/// another case, is left out: DuckDB's names ignore case.
pub fn view_fields(conn: &Connection) -> Result<Vec<ViewField>> {
    let mut stmt = conn.prepare(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
    )?;
    let mut taken: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<Vec<_>, _>>()?
        .into_iter()
        .map(|c| c.to_lowercase())
        .collect();
    taken.push("rowid".into());
    let mut stmt = conn.prepare("SELECT name, kind FROM custom_fields ORDER BY _gen, name")?;
    let all = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut fields = Vec::new();
    for (header, kind) in all {
        let Some(column) = field_column(&header) else {
            continue;
        };
        let folded = column.to_lowercase();
        if taken.contains(&folded) {
            continue;
        }
        taken.push(folded);
        fields.push(ViewField {
            column,
            header,
            kind,
        });
    }
    Ok(fields)
}

/// (Re)creates [`FIELDS_VIEW`] for the store's custom fields, or drops it when there are
/// none. Called when a store is opened for writing and after each ingest that adds fields.
pub fn refresh_fields_view(conn: &Connection) -> Result<()> {
    let fields = view_fields(conn)?;
    if fields.is_empty() {
        conn.execute_batch(&format!("DROP VIEW IF EXISTS {FIELDS_VIEW}"))?;
        return Ok(());
    }
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let pivots: Vec<String> = fields
        .iter()
        .map(|f| {
            let value = match f.kind.as_str() {
                "number" | "money" | "percent" => "number",
                "date" | "timestamp" => "day",
                _ => "text",
            };
            format!(
                "max({value}) FILTER (WHERE field = {}) AS {}",
                literal(&f.header),
                quote(&f.column)
            )
        })
        .collect();
    let columns: Vec<String> = fields
        .iter()
        .map(|f| format!("f.{}", quote(&f.column)))
        .collect();
    conn.execute_batch(&format!(
        "CREATE OR REPLACE VIEW {FIELDS_VIEW} AS \
         SELECT c.*, c.rowid AS rowid, {} FROM customers c LEFT JOIN \
         (SELECT id, {} FROM custom_values GROUP BY id) f ON f.id = c.id",
        columns.join(", "),
        pivots.join(", ")
    ))?;
    Ok(())
}

pub fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?", params![key], |r| {
            r.get::<_, Option<String>>(0)
        })
        .optional()?
        .flatten())
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?", params![key])?;
    conn.execute("INSERT INTO meta VALUES (?, ?)", params![key, value])?;
    Ok(())
}

/// The store's committed generation (0 for a new store).
pub fn generation(conn: &Connection) -> Result<u64> {
    Ok(get_meta(conn, "generation")?
        .and_then(|g| g.parse().ok())
        .unwrap_or(0))
}

/// The date derived columns are relative to: `meta.as_of` when present, else today.
pub fn as_of(conn: &Connection) -> Result<(chrono::NaiveDate, bool)> {
    match get_meta(conn, "as_of")? {
        Some(s) => {
            let d = chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                Error::BadInput(format!("meta.as_of {s:?} is not a YYYY-MM-DD date"))
            })?;
            Ok((d, true))
        }
        None => Ok((chrono::Local::now().date_naive(), false)),
    }
}

/// Tombstones are kept for 16 generations: enough for an index that fell a few
/// generations behind to catch up with the deletes.
pub fn forget_tombstones(conn: &Connection, generation: u64) -> Result<()> {
    conn.execute(
        "DELETE FROM tombstones WHERE gen < ?",
        params![generation as i64 - 16],
    )?;
    Ok(())
}

/// A transaction on a connection, rolled back when dropped before [`Tx::commit`]: on an
/// error and on a panic alike, so a connection kept for a process's lifetime is never left
/// inside a transaction.
pub(crate) struct Tx<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> Tx<'c> {
    pub fn begin(conn: &'c Connection) -> Result<Self> {
        conn.execute_batch("BEGIN TRANSACTION")?;
        Ok(Self { conn, open: true })
    }

    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Runs `body` in a transaction: committed when it succeeds, rolled back otherwise. The
    /// body's error type passes through, so a user error stays one.
    pub fn run<T, E: From<Error>>(
        conn: &'c Connection,
        body: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = Tx::begin(conn)?;
        let value = body()?;
        tx.commit()?;
        Ok(value)
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;

    #[test]
    fn a_store_made_before_the_newest_columns_is_seen_and_brought_up_to_date() {
        let conn = Connection::open_in_memory().unwrap();
        create_schema(&conn).unwrap();
        assert!(schema_is_current(&conn).unwrap());
        conn.execute_batch(
            "ALTER TABLE customers DROP COLUMN propensity_reasons_en; \
             ALTER TABLE customers DROP COLUMN purchase_propensity;",
        )
        .unwrap();
        assert!(!schema_is_current(&conn).unwrap());
        create_schema(&conn).unwrap();
        assert!(schema_is_current(&conn).unwrap());
    }

    #[test]
    fn a_writing_process_caps_duckdb_memory_and_a_reading_one_keeps_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StorePaths::new(dir.path().join("store"));
        let limit = |conn: &Connection| -> String {
            conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
                .unwrap()
        };
        let conn = open_db(&paths, Open::CreateOrWrite).unwrap();
        // DuckDB reports 1GB as 953.6 MiB.
        assert_eq!(limit(&conn), "953.6 MiB");
        {
            let _lowered = MemoryLimit::lower(&conn, "300MB");
            assert_eq!(limit(&conn), "286.1 MiB");
        }
        assert_eq!(limit(&conn), "953.6 MiB", "set back as it was");
        drop(conn);
        let conn = open_db(&paths, Open::Read).unwrap();
        let default = limit(&conn);
        assert_ne!(default, "953.6 MiB");
        drop(MemoryLimit::lower(&conn, "300MB"));
        assert_eq!(limit(&conn), default);
    }
}
