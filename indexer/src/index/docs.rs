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
    WHERE note IS NOT NULL AND customer_id IN (SELECT id FROM customers WHERE _gen > ?)
    GROUP BY customer_id
) n ON n.customer_id = c.id
WHERE c._gen > ?
"#;

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

/// Runs `CHANGED_SQL` and hands each batch to `each`. A store made before the contact
/// lookups (opened read-only, so not yet given them) is indexed without them.
pub fn for_each_changed(
    conn: &Connection,
    since: u64,
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
    let mut stmt = conn.prepare(&sql)?;
    for batch in stmt.query_arrow(duckdb::params![since as i64, since as i64])? {
        each(&batch)?;
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
