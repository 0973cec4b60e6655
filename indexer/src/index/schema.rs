//! The tantivy schema: a projection of the store for text search, filters and facets. The
//! store stays the source of truth; everything here can be rebuilt from it.

use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

use crate::text::{GRAMS_TOKENIZER, NAME_TOKENIZER, PINYIN_TOKENIZER, TEXT_TOKENIZER};

/// Facet roots: `/region/华东/浙江省/杭州市` is hierarchical; the others are flat.
pub const FACET_ROOTS: &[&str] = &[
    "region",
    "industry",
    "size",
    "lifecycle",
    "value_level",
    "tags",
    "owner",
];

/// Numeric fields, indexed for range filters and fast for sorting.
pub const F64_FIELDS: &[&str] = &[
    "annual_purchase",
    "total_purchase",
    "registered_capital",
    "churn_risk",
    "purchase_propensity",
];
pub const I64_FIELDS: &[&str] = &["employees", "order_count", "consult_30d"];

/// The packed closed-set categories (see [`super::category`]).
pub const CATEGORY_FIELD: &str = "categories";

/// The store generation a document was built at: the customer's `_gen` stamp when it was
/// indexed. After a catch-up every document's stamp equals its customer's (`kesou check`).
pub const GEN_FIELD: &str = "gen";

/// Stored text fields shown with a hit.
pub const STORED_STRINGS: &[&str] = &[
    "region",
    "province",
    "city",
    "industry",
    "size",
    "lifecycle",
    "value_level",
    "owner",
    "last_order_date",
];

/// Handles of the index's fields.
#[derive(Debug, Clone)]
pub struct IndexFields {
    pub schema: Schema,
    pub id: Field,
    pub name: Field,
    pub name_py: Field,
    /// The name's syllable grams, with positions (`text::syllable_grams`). `None` in an
    /// index made before them (until it is rebuilt).
    pub name_syl: Option<Field>,
    pub description: Field,
    pub notes: Field,
    pub tags: Field,
    /// Character bigrams of description, tags and notes (`text::bigrams`), not stored:
    /// terms written literally. `None` in an index made before them (until it is rebuilt).
    pub grams: Option<Field>,
    pub facets: Field,
    /// The text and category values of the store's own fields (客户来源：展会), a line
    /// each, stored for snippets. `None` in an index made before them (until it is rebuilt).
    pub custom: Option<Field>,
    /// The number and date values of the store's own fields, one JSON path per column
    /// (`{"合同金额": 1500000.0, "合同到期日": 20820.0}`, a date as its day number, see
    /// [`day_number`]), fast for range filters. `None` in an index made before them.
    pub custom_ranges: Option<Field>,
    /// The keyed hashes of a customer's contacts (never the contacts): exact lookup.
    /// `None` in an index made before them (until it is rebuilt).
    pub lookups: Option<Field>,
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored {
        options.set_stored()
    } else {
        options
    }
}

pub fn build_schema() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field("id", STRING | STORED | FAST);
    b.add_text_field("name", text(NAME_TOKENIZER, true));
    b.add_text_field(
        "name_py",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PINYIN_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    b.add_text_field(
        "name_syl",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PINYIN_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        ),
    );
    b.add_text_field("description", text(TEXT_TOKENIZER, true));
    b.add_text_field("notes", text(TEXT_TOKENIZER, true));
    b.add_text_field("tags", text(TEXT_TOKENIZER, true));
    b.add_text_field("grams", text(GRAMS_TOKENIZER, false));
    b.add_text_field("custom", text(TEXT_TOKENIZER, true));
    b.add_json_field(CUSTOM_RANGES_FIELD, FAST);
    b.add_facet_field("facets", FacetOptions::default());
    b.add_text_field("lookups", STRING);
    for f in STORED_STRINGS {
        b.add_text_field(f, STORED);
    }
    for f in F64_FIELDS {
        b.add_f64_field(f, INDEXED | FAST | STORED);
    }
    for f in I64_FIELDS {
        b.add_i64_field(f, INDEXED | FAST | STORED);
    }
    b.add_u64_field(CATEGORY_FIELD, FAST);
    b.add_u64_field(GEN_FIELD, FAST);
    b.build()
}

impl IndexFields {
    pub fn new(schema: Schema) -> Self {
        let f = |n: &str| schema.get_field(n).expect("field of kesou's schema");
        Self {
            id: f("id"),
            name: f("name"),
            name_py: f("name_py"),
            name_syl: schema.get_field("name_syl").ok(),
            description: f("description"),
            notes: f("notes"),
            tags: f("tags"),
            grams: schema.get_field("grams").ok(),
            custom: schema.get_field("custom").ok(),
            custom_ranges: schema.get_field(CUSTOM_RANGES_FIELD).ok(),
            facets: f("facets"),
            lookups: schema.get_field("lookups").ok(),
            schema,
        }
    }

    pub fn field(&self, name: &str) -> Option<Field> {
        self.schema.get_field(name).ok()
    }
}

/// The JSON field of the store's own number and date fields (see
/// [`IndexFields::custom_ranges`]).
pub const CUSTOM_RANGES_FIELD: &str = "custom_ranges";

/// A date as the index holds it in [`CUSTOM_RANGES_FIELD`]: days since 1970-01-01, so that
/// one numeric column serves ranges of dates as of numbers.
pub fn day_number(day: chrono::NaiveDate) -> f64 {
    (day - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a real date")).num_days() as f64
}

/// The facet root of the store's own category fields: `/custom/客户来源/展会`.
pub const CUSTOM_FACET: &str = "custom";

/// The facet of a flat field value: `/industry/科技`.
pub fn facet(root: &str, value: &str) -> Facet {
    Facet::from_path([root, value])
}

/// The hierarchical location facet: `/region/华东/浙江省/杭州市` (shorter when parts are
/// missing). Filters use it (a term on `/region/华东` matches every descendant).
pub fn region_facet(region: &str, province: Option<&str>, city: Option<&str>) -> Facet {
    let mut parts = vec!["region", region];
    if let Some(p) = province {
        parts.push(p);
        if let Some(c) = city {
            parts.push(c);
        }
    }
    Facet::from_path(parts)
}
