//! Reading changed customers out of the store (as Arrow) and turning them into documents.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use duckdb::Connection;
use tantivy::TantivyDocument;
use tantivy::tokenizer::{PreTokenizedString, Token};

use super::schema::{
    F64_FIELDS, GEN_FIELD, I64_FIELDS, IndexFields, STORED_STRINGS, facet, region_facet,
};
use crate::Result;
use crate::text::Analyzer;

/// The customers changed after `since`, with their interaction notes, as Arrow batches.
/// Contacts are never read: only their keyed hashes (`LOOKUPS`), for exact lookup.
pub const CHANGED_SQL: &str = r#"
SELECT LOOKUPS, c.id, c.name, c.region, c.province, c.city, c.industry, c.size, c.lifecycle, c.value_level, c.owner,
    strftime(c.last_order_date, '%Y-%m-%d') AS last_order_date,
    array_to_string(c.tags, chr(31)) AS tags, c.description, n.notes,
    c.annual_purchase, c.total_purchase, c.registered_capital, c.churn_risk, c.purchase_propensity,
    c.employees::BIGINT AS employees, c.order_count::BIGINT AS order_count, c.consult_30d::BIGINT AS consult_30d,
    c._gen AS gen, CUSTOM
FROM customers c
LEFT JOIN (
    -- In time order (ties by text): listed, then each list sorted. An ordered string_agg
    -- sorts inside every group's state and took 8.4 s against 5.1 s at 15M notes.
    SELECT customer_id,
        array_to_string(list_transform(list_sort(list({'ts': ts, 'note': note})), lambda x: x.note), chr(10)) AS notes
    FROM interactions
    WHERE note IS NOT NULL AND customer_id IN (SELECT id FROM customers WHERE _gen > ?) NOTES_RANGE
    GROUP BY customer_id
) n ON n.customer_id = c.id
WHERE c._gen > ? RANGE
"#;

/// Customers whose documents are read at a time. Each chunk is a range of ids, so its
/// notes are grouped from the interactions of those customers only: grouped for every
/// customer at once, the notes of 1M customers (14.8M interactions) were one `list()`
/// aggregate of gigabytes, which DuckDB cannot spill, and the result was held whole.
/// Each chunk reads the id column of the interactions once more (a filter on its range).
pub const DOC_CHUNK: usize = 50_000;

/// The values of the changed customers' own fields: `kind␟field␟value` entries a `␞`
/// apart; a number as DuckDB writes it, a date as `YYYY-MM-DD`. Kinds other than these
/// (phones and the like) are not indexed: a contact is found only through its keyed hash.
const CUSTOM_SQL: &str = r#"(SELECT string_agg(f.kind || chr(31) || f.name || chr(31) ||
        CASE WHEN f.kind IN ('number', 'money', 'percent') THEN CAST(v.number AS VARCHAR)
             WHEN f.kind IN ('date', 'timestamp') THEN strftime(v.day, '%Y-%m-%d')
             ELSE v.text END, chr(30) ORDER BY f.name)
    FROM custom_values v JOIN custom_fields f ON f.name = v.field
    WHERE v.id = c.id
      AND f.kind IN ('text', 'category', 'number', 'money', 'percent', 'date', 'timestamp')) AS custom"#;

/// Runs `CHANGED_SQL` and hands each batch to `each`, [`DOC_CHUNK`] customers at a time
/// in the order of their ids, streamed. A store made before the contact lookups (opened
/// read-only, so not yet given them) is indexed without them.
pub fn for_each_changed(
    conn: &Connection,
    since: u64,
    each: impl FnMut(&RecordBatch) -> Result<()>,
) -> Result<()> {
    for_each_changed_in_chunks(conn, since, DOC_CHUNK, each)
}

/// [`for_each_changed`] with `chunk` customers per read.
pub(crate) fn for_each_changed_in_chunks(
    conn: &Connection,
    since: u64,
    chunk: usize,
    mut each: impl FnMut(&RecordBatch) -> Result<()>,
) -> Result<()> {
    let has: i64 = conn.query_row(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'customers' AND column_name = 'contact_phone_lookup'",
        [],
        |r| r.get(0),
    )?;
    let lookups = crate::crypt::SEALED_FIELDS
        .iter()
        .map(|(_, l)| {
            if has > 0 {
                format!("c.{l}")
            } else {
                format!("NULL::VARCHAR AS {l}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let custom: i64 = conn.query_row(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'custom_values'",
        [],
        |r| r.get(0),
    )?;
    let custom = if custom > 0 {
        CUSTOM_SQL
    } else {
        "NULL::VARCHAR AS custom"
    };
    let sql = CHANGED_SQL
        .replace("LOOKUPS", &lookups)
        .replace("CUSTOM", custom);
    // The first id of each chunk: the chunk runs up to the next one's.
    let starts: Vec<String> = {
        let mut stmt = conn.prepare(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers WHERE _gen > ?)
             WHERE (n - 1) % ? = 0 ORDER BY id",
        )?;
        stmt.query_map(duckdb::params![since as i64, chunk.max(1) as i64], |r| {
            r.get(0)
        })?
        .collect::<std::result::Result<_, _>>()?
    };
    let since = since as i64;
    if starts.len() <= 1 {
        let sql = sql.replace("NOTES_RANGE", "").replace("RANGE", "");
        let mut stmt = conn.prepare(&sql)?;
        for batch in stmt.stream_arrow(duckdb::params![since, since])? {
            each(&batch?)?;
        }
        return Ok(());
    }
    for (i, from) in starts.iter().enumerate() {
        let mut stmt;
        let batches = match starts.get(i + 1) {
            Some(to) => {
                stmt = conn.prepare(
                    &sql.replace("NOTES_RANGE", "AND customer_id >= ? AND customer_id < ?")
                        .replace("RANGE", "AND c.id >= ? AND c.id < ?"),
                )?;
                stmt.stream_arrow(duckdb::params![since, from, to, since, from, to])?
            }
            None => {
                stmt = conn.prepare(
                    &sql.replace("NOTES_RANGE", "AND customer_id >= ?")
                        .replace("RANGE", "AND c.id >= ?"),
                )?;
                stmt.stream_arrow(duckdb::params![since, from, since, from])?
            }
        };
        for batch in batches {
            each(&batch?)?;
        }
    }
    Ok(())
}

/// Column accessors of a changed-customers batch, cast to plain types once per batch.
pub struct BatchView {
    cols: Vec<(String, ArrayRef)>,
}

impl BatchView {
    pub fn new(batch: &RecordBatch) -> Result<Self> {
        let mut cols = Vec::with_capacity(batch.num_columns());
        for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
            let target = match col.data_type() {
                DataType::Float64 | DataType::Float32 | DataType::Decimal128(..) => {
                    DataType::Float64
                }
                DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Int8 => {
                    DataType::Int64
                }
                _ => DataType::Utf8,
            };
            cols.push((field.name().clone(), cast(col, &target)?));
        }
        Ok(Self { cols })
    }

    fn col(&self, name: &str) -> &ArrayRef {
        &self
            .cols
            .iter()
            .find(|(n, _)| n == name)
            .expect("column of CHANGED_SQL")
            .1
    }

    pub fn str(&self, name: &str, row: usize) -> Option<&str> {
        let col = self.col(name).as_string::<i32>();
        (!col.is_null(row)).then(|| col.value(row))
    }

    pub fn f64(&self, name: &str, row: usize) -> Option<f64> {
        let col = self
            .col(name)
            .as_primitive::<arrow::datatypes::Float64Type>();
        (!col.is_null(row)).then(|| col.value(row))
    }

    pub fn i64(&self, name: &str, row: usize) -> Option<i64> {
        let col = self.col(name).as_primitive::<arrow::datatypes::Int64Type>();
        (!col.is_null(row)).then(|| col.value(row))
    }

    pub fn rows(&self) -> usize {
        self.cols.first().map_or(0, |c| c.1.len())
    }
}

/// Builds the document of row `row`.
pub fn document(
    view: &BatchView,
    row: usize,
    fields: &IndexFields,
    analyzer: &Analyzer,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    let id = view.str("id", row).unwrap_or_default();
    let name = view.str("name", row).unwrap_or_default();
    doc.add_text(fields.id, id);
    doc.add_text(fields.name, name);
    let py = analyzer.name_pinyin(name);
    let tokens = py
        .iter()
        .enumerate()
        .map(|(i, t)| Token {
            offset_from: 0,
            offset_to: 0,
            position: i,
            text: t.clone(),
            position_length: 1,
        })
        .collect();
    doc.add_pre_tokenized_text(
        fields.name_py,
        PreTokenizedString {
            text: String::new(),
            tokens,
        },
    );
    if let Some(name_syl) = fields.name_syl {
        let tokens = analyzer
            .syllable_grams(name)
            .into_iter()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        doc.add_pre_tokenized_text(
            name_syl,
            PreTokenizedString {
                text: String::new(),
                tokens,
            },
        );
    }
    if let Some(lookups) = fields.lookups {
        for (_, lookup) in crate::crypt::SEALED_FIELDS {
            if let Some(h) = view.str(lookup, row) {
                doc.add_text(lookups, h);
            }
        }
    }
    let description = view.str("description", row);
    let notes = view.str("notes", row);
    if let Some(d) = description {
        doc.add_text(fields.description, d);
    }
    if let Some(n) = notes {
        doc.add_text(fields.notes, n);
    }
    let tags: Vec<&str> = view
        .str("tags", row)
        .map(|t| t.split('\u{1f}').filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    // The store's own fields: text searched (客户来源：展会, a line each), categories also
    // facets by their column (`/custom/客户来源/展会`), numbers and dates in the range
    // field by their column. Not in the grams: a caller who may not see one of them
    // searches without the text (`SearchRequest::hide_custom_text`).
    let mut custom_text = String::new();
    let mut ranges = std::collections::BTreeMap::new();
    for entry in view
        .str("custom", row)
        .into_iter()
        .flat_map(|c| c.split('\u{1e}'))
    {
        let mut parts = entry.splitn(3, '\u{1f}');
        let (Some(kind), Some(header), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let column = crate::store::field_column(header);
        let ranged = match kind {
            "number" | "money" | "percent" => value.parse::<f64>().ok(),
            "date" | "timestamp" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()
                .map(super::schema::day_number),
            _ => None,
        };
        if let Some(n) = ranged {
            if let Some(column) = column {
                ranges.insert(column, tantivy::schema::OwnedValue::F64(n));
            }
            continue;
        }
        custom_text.push_str(header);
        custom_text.push('：');
        custom_text.push_str(value);
        custom_text.push('\n');
        if kind == "category"
            && let Some(column) = column
        {
            doc.add_facet(
                fields.facets,
                tantivy::schema::Facet::from_path([super::schema::CUSTOM_FACET, &column, value]),
            );
        }
    }
    if let (Some(f), false) = (fields.custom_ranges, ranges.is_empty()) {
        doc.add_object(f, ranges);
    }
    if let (Some(f), false) = (fields.custom, custom_text.is_empty()) {
        doc.add_text(f, &custom_text);
    }
    if let Some(grams) = fields.grams {
        // One value, the texts a line apart: a line break is no Chinese character, so no
        // pair runs from one text into the next.
        let mut all = String::new();
        for t in description
            .into_iter()
            .chain(tags.iter().copied())
            .chain(notes)
        {
            all.push_str(t);
            all.push('\n');
        }
        if !all.is_empty() {
            doc.add_text(grams, all);
        }
    }
    // One text value for all tags, a line each: one pass of the analyzer per customer
    // rather than one per tag (a dozen derived tags made that a third of the indexing time).
    // A line break is no word, so no phrase runs from one tag into the next.
    if !tags.is_empty() {
        doc.add_text(fields.tags, tags.join("\n"));
    }
    for t in &tags {
        doc.add_facet(fields.facets, facet("tags", t));
    }
    if let Some(region) = view.str("region", row) {
        doc.add_facet(
            fields.facets,
            region_facet(region, view.str("province", row), view.str("city", row)),
        );
    }
    for root in ["industry", "size", "lifecycle", "value_level", "owner"] {
        if let Some(v) = view.str(root, row) {
            doc.add_facet(fields.facets, facet(root, v));
        }
    }
    let code = super::category::encode(
        view.str("region", row),
        view.str("province", row),
        view.str("city", row),
        view.str("industry", row),
        view.str("size", row),
        view.str("lifecycle", row),
        view.str("value_level", row),
    );
    if let Some(f) = fields.field(super::schema::CATEGORY_FIELD) {
        doc.add_u64(f, code);
    }
    for name in STORED_STRINGS {
        if let (Some(v), Some(f)) = (view.str(name, row), fields.field(name)) {
            doc.add_text(f, v);
        }
    }
    for name in F64_FIELDS {
        if let (Some(v), Some(f)) = (view.f64(name, row), fields.field(name)) {
            doc.add_f64(f, v);
        }
    }
    for name in I64_FIELDS {
        if let (Some(v), Some(f)) = (view.i64(name, row), fields.field(name)) {
            doc.add_i64(f, v);
        }
    }
    if let (Some(g), Some(f)) = (view.i64("gen", row), fields.field(GEN_FIELD)) {
        doc.add_u64(f, g as u64);
    }
    doc
}

#[cfg(test)]
mod chunk_tests {
    use std::collections::BTreeMap;

    use super::*;

    /// 20 customers (C01..C20, `_gen` 1 or 2), each with 0–3 notes, one with notes but
    /// none readable (NULL).
    fn store() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::create_schema(&conn).unwrap();
        for i in 1..=20 {
            conn.execute(
                "INSERT INTO customers (id, name, credit_code, name_key, _gen, description, tags,
                     annual_purchase, employees, region)
                 VALUES (?, ?, '', ?, ?, ?, ['标签' || ?::VARCHAR, 'x'], ?, ?, '华东')",
                duckdb::params![
                    format!("C{i:02}"),
                    format!("客户{i}有限公司"),
                    format!("客户{i}"),
                    1 + i64::from(i % 3 == 0),
                    format!("简介 {i}"),
                    i,
                    f64::from(i) * 1000.5,
                    i * 10,
                ],
            )
            .unwrap();
            for n in 0..(i % 4) {
                conn.execute(
                    "INSERT INTO interactions (id, customer_id, ts, channel, kind, note) VALUES (?, ?, TIMESTAMP '2026-01-01 00:00:00' + to_days(?), '电话', '咨询', ?)",
                    duckdb::params![
                        format!("I{i:02}{n}"),
                        format!("C{i:02}"),
                        3 - n,
                        (i != 11).then(|| format!("客户{i}第{n}次咨询")),
                    ],
                )
                .unwrap();
            }
        }
        conn
    }

    /// Every customer read, by id: every column as text, and the ids in the order read.
    fn read(
        conn: &Connection,
        since: u64,
        chunk: usize,
    ) -> (Vec<String>, BTreeMap<String, String>) {
        let mut order = Vec::new();
        let mut rows = BTreeMap::new();
        for_each_changed_in_chunks(conn, since, chunk, |batch| {
            let view = BatchView::new(batch)?;
            for row in 0..view.rows() {
                let id = view.str("id", row).unwrap().to_owned();
                let all = view
                    .cols
                    .iter()
                    .map(|(name, col)| {
                        let f = arrow::util::display::ArrayFormatter::try_new(
                            col.as_ref(),
                            &Default::default(),
                        )
                        .unwrap();
                        format!("{name}={}", f.value(row))
                    })
                    .collect::<Vec<_>>()
                    .join(" | ");
                order.push(id.clone());
                rows.insert(id, all);
            }
            Ok(())
        })
        .unwrap();
        (order, rows)
    }

    #[test]
    fn documents_read_in_chunks_are_those_read_at_once() {
        let conn = store();
        for since in [0, 1] {
            let (_, whole) = read(&conn, since, 1_000);
            let expected = if since == 0 { 20 } else { 6 };
            assert_eq!(whole.len(), expected, "since {since}");
            for chunk in [1, 2, 6, 7, 19, 20, 21] {
                let (order, chunked) = read(&conn, since, chunk);
                assert_eq!(chunked, whole, "since {since}, chunks of {chunk}");
                assert_eq!(order.len(), expected, "each customer once");
                if expected > chunk {
                    // Chunks run in id order, whatever the order within one.
                    let firsts: Vec<&String> = order.iter().step_by(chunk).collect();
                    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{order:?}");
                }
            }
        }
        let (_, rows) = read(&conn, 0, 7);
        // The notes of a customer at a chunk's edge (C07 ends the first chunk of 7, C08
        // starts the second) stay with it, in time order.
        assert!(
            rows["C07"].contains("notes=客户7第2次咨询\n客户7第1次咨询\n客户7第0次咨询"),
            "{}",
            rows["C07"]
        );
        assert!(rows["C08"].contains("notes= |"), "{}", rows["C08"]);
        assert!(
            rows["C09"].contains("notes=客户9第0次咨询 |"),
            "{}",
            rows["C09"]
        );
    }
}
