//! The schema description that drives the parser: a table's fields with their Chinese and
//! English names, value dictionaries, related tables and named concepts.
//!
//! Nothing in the parser knows the customer table: it reads one of these, written as TOML
//! (the customer one ships with `kesou-query`, which also fills the value dictionaries from
//! the store's distinct values). A new field or a customer's own table is a new description,
//! not new code.

use serde::{Deserialize, Serialize};

use crate::query::{Agg, Filter, Sort};
use crate::{Error, Result};

pub use kesou_domain::answer::FieldKind;

/// One queryable table and what surrounds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The table rows come from: `customers`.
    pub table: String,
    /// The relation rows are read through when it is not `table` itself: a view of the
    /// table with more columns (a store's custom fields). Queries still name `table`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The key column, always returned in list answers: `id`.
    pub key: String,
    /// The column that names a row (shown second in list answers): `name`.
    #[serde(default)]
    pub title: Option<String>,
    /// Words that name the rows themselves (客户, 企业, customers): understood, add nothing.
    #[serde(default)]
    pub entity: Vec<String>,
    /// Measure words for "how many rows" (客户数, 多少家): a count.
    #[serde(default)]
    pub count_words: Vec<String>,
    /// The numeric field a bare amount is compared with (超百万的客户 → annual_purchase), and
    /// that 前10 / TOP20 rank by when nothing else says.
    #[serde(default)]
    pub default_measure: Option<String>,
    /// Columns every list answer shows after the key and the title.
    #[serde(default)]
    pub display: Vec<String>,
    pub fields: Vec<Field>,
    #[serde(default)]
    pub related: Vec<Related>,
    #[serde(default)]
    pub concepts: Vec<Concept>,
    /// Words of the table's text that a question may name without a marker: the trade
    /// names, product and description words a store learned at ingest (filled when a store
    /// is opened). A run of words the parser does not know becomes a text condition when a
    /// marker says so (做…的, 提到, 包含, 关于, 名字里有) or when it is made of these words;
    /// otherwise it is listed as not understood, so an unknown word never narrows an answer
    /// silently.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<String>,
    /// Words of this table that introduce text to search, beside the parser's own (做, 提到,
    /// 包含, 关于): 负责 in an HR roster (负责海外业务的员工).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_cues: Vec<String>,
}

/// A column and the words that name it and its values.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The column name: `annual_purchase`.
    pub name: String,
    pub kind: FieldKind,
    /// The label answers use: 年采购额.
    pub label: String,
    /// Every word that names the field, Chinese and English: 年采购额, 采购额, annual purchase.
    #[serde(default)]
    pub words: Vec<String>,
    /// Values and their words (category and tag fields). The store's distinct values are
    /// added to these at run time.
    #[serde(default)]
    pub values: Vec<ValueWords>,
    /// Whether values are place names whose short forms people type (浙江省 → 浙江).
    #[serde(default)]
    pub places: bool,
    /// Count units that point at this field when no field is named: 100人 → employees.
    #[serde(default)]
    pub units: Vec<String>,
    /// Fields of one group name alternatives of the same thing: values of the `place` group
    /// joined by 和 mean either (华东和北京的客户 → region 华东 or province 北京市), where values
    /// of unrelated fields joined by 和 mean both.
    #[serde(default)]
    pub group: Option<String>,
    /// The column holding a keyed hash of this field's values (personal data a store may
    /// keep encrypted): the field is then matched by equality through that column, and
    /// its values are decrypted on their way out. The parser reads it like an `id` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<String>,
    /// The values, as listed, have an order of their own (规模: 大型, 中型, 小型, 微型):
    /// answers sort by it rather than by the characters, and show groups of the field in
    /// the listed order. `descending` when the list goes from the most to the least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranked: Option<Ranked>,
}

/// Which way a ranked field's values are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ranked {
    /// From the least to the most (潜在 → 流失, the order of the stages).
    Ascending,
    /// From the most to the least (高 → 低).
    Descending,
}

impl Field {
    fn add_values<I: IntoIterator<Item = String>>(&mut self, values: I) {
        for value in values {
            if !self.values.iter().any(|w| w.value == value) {
                self.values.push(ValueWords {
                    value,
                    words: Vec::new(),
                });
            }
        }
    }
}

/// A value and the words people use for it: 科技 ← 科技类, IT, tech.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueWords {
    pub value: String,
    #[serde(default)]
    pub words: Vec<String>,
}

/// A table whose rows belong to a row of the main table: orders, interactions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Related {
    pub table: String,
    /// The column holding the main table's key: `customer_id`.
    pub foreign_key: String,
    pub label: String,
    /// Words that mean "has rows here": 订单, 下单, 下过单, 购买, orders.
    #[serde(default)]
    pub words: Vec<String>,
    /// The column time words apply to: `order_date`, `ts`.
    pub time_field: String,
    /// Measure word a count of these rows takes (次, 笔, 单).
    #[serde(default)]
    pub units: Vec<String>,
    pub fields: Vec<Field>,
    /// Measures of these rows a question may name, over its window (销售额 = the sum of
    /// the orders' amounts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<RelatedMeasure>,
    /// A table of these rows rolled up per main row and calendar month, which the executor
    /// may read for whole months of a window instead of the rows themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup: Option<Rollup>,
}

/// How a related table is rolled up (`order_months`: per customer and month, how many
/// orders and their total amount). Conditions on the time field become whole months; the
/// other conditions a rollup answers must be on its `fields` (kept with the same names);
/// a question with any other condition reads the rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollup {
    pub table: String,
    /// The integer key held by the main table, the related table and the rollup alike.
    pub key: String,
    /// The first day of the month a rollup row counts.
    pub month: String,
    /// How many related rows it counts.
    pub count: String,
    /// Related fields kept as columns of the same name (kind).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Related number fields summed into a column of the same name (amount).
    #[serde(default)]
    pub sums: Vec<String>,
    /// The same per main row over all time (no month column), for conditions with no
    /// window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<String>,
}

/// A measure of a related table's rows: 销售额 (sum of amount), 客单价 (average amount),
/// 订单数 (count of rows).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedMeasure {
    /// The answer's column name: `sales`.
    pub name: String,
    /// The column label: 销售额.
    pub label: String,
    pub agg: Agg,
    /// The related field aggregated; none for a count of rows.
    #[serde(default)]
    pub field: Option<String>,
    pub words: Vec<String>,
}

/// A word of the business glossary that stands for conditions, an ordering, or both:
/// 长三角 → province in [...], 中小企业 → size in [...], 价值贡献 → by annual_purchase desc.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub words: Vec<String>,
    /// How the explain line names it: 长三角.
    pub label: String,
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub sort: Option<Sort>,
    /// Other readings, returned as alternatives when this concept is chosen.
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
}

/// Another reading of a concept word, with its label.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    pub label: String,
    pub filters: Vec<Filter>,
}

impl Schema {
    /// Reads a TOML description.
    pub fn from_toml(text: &str) -> Result<Self> {
        let schema: Schema = toml::from_str(text).map_err(|e| Error::Schema(e.to_string()))?;
        schema.check()?;
        Ok(schema)
    }

    /// The relation rows are read from: [`Schema::source`], else the table.
    pub fn source(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.table)
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.name == name)
    }

    pub fn related(&self, table: &str) -> Option<&Related> {
        self.related.iter().find(|r| r.table == table)
    }

    /// The field a name refers to: `region` on the main table or `orders.amount`.
    pub fn resolve(&self, path: &str) -> Option<&Field> {
        match path.split_once('.') {
            Some((table, field)) => self.related(table)?.fields.iter().find(|f| f.name == field),
            None => self.field(path),
        }
    }

    /// Adds values (with no extra words) to a category or tag field, skipping ones it has.
    pub fn add_values<I: IntoIterator<Item = String>>(&mut self, field: &str, values: I) {
        if let Some(f) = self.field_mut(field) {
            f.add_values(values);
        }
    }

    /// Adds words to [`Schema::terms`].
    pub fn add_terms<I: IntoIterator<Item = String>>(&mut self, terms: I) {
        self.terms.extend(terms);
    }

    /// Adds values to a related table's field.
    pub fn add_related_values<I: IntoIterator<Item = String>>(
        &mut self,
        table: &str,
        field: &str,
        values: I,
    ) {
        if let Some(f) = self
            .related
            .iter_mut()
            .find(|r| r.table == table)
            .and_then(|r| r.fields.iter_mut().find(|f| f.name == field))
        {
            f.add_values(values);
        }
    }

    /// Checks that every name the description uses exists and is a plain identifier (they
    /// are written into SQL as identifiers, so nothing else may pass): letters of any
    /// script, digits and `_` (a store's custom field is named by its header, 客户来源).
    pub fn check(&self) -> Result<()> {
        let ident = |s: &str| {
            let ok = !s.is_empty()
                && s.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !s.starts_with(|c: char| c.is_ascii_digit());
            if ok {
                Ok(())
            } else {
                Err(Error::Schema(format!(
                    "{s:?} is not a plain identifier (letters, digits and _)"
                )))
            }
        };
        ident(&self.table)?;
        ident(self.source())?;
        ident(&self.key)?;
        for f in &self.fields {
            ident(&f.name)?;
            if let Some(l) = &f.lookup {
                ident(l)?;
            }
        }
        for r in &self.related {
            ident(&r.table)?;
            ident(&r.foreign_key)?;
            if let Some(u) = &r.rollup {
                for name in [&u.table, &u.key, &u.month, &u.count]
                    .into_iter()
                    .chain(&u.fields)
                    .chain(&u.sums)
                    .chain(&u.totals)
                {
                    ident(name)?;
                }
            }
            for f in &r.fields {
                ident(&f.name)?;
            }
            for m in &r.measures {
                ident(&m.name)?;
                let field = m
                    .field
                    .as_ref()
                    .map(|name| r.fields.iter().find(|f| &f.name == name));
                match (m.agg, field) {
                    (_, Some(None)) => {
                        return Err(Error::Schema(format!(
                            "measure {} names unknown field of {}",
                            m.name, r.table
                        )));
                    }
                    (Agg::Count, None) => {}
                    (_, None) => {
                        return Err(Error::Schema(format!("measure {} needs a field", m.name)));
                    }
                    (_, Some(Some(f))) if !f.kind.is_numeric() => {
                        return Err(Error::Schema(format!(
                            "measure {}: {} is not a number",
                            m.name, f.name
                        )));
                    }
                    _ => {}
                }
            }
            if !r.fields.iter().any(|f| f.name == r.time_field) {
                return Err(Error::Schema(format!(
                    "related table {}: time_field {} is not one of its fields",
                    r.table, r.time_field
                )));
            }
        }
        let known = |name: &str, what: &str| {
            if self.resolve(name).is_some() || name == self.key {
                Ok(())
            } else {
                Err(Error::Schema(format!("{what} names unknown field {name}")))
            }
        };
        if let Some(t) = &self.title {
            known(t, "title")?;
        }
        if let Some(m) = &self.default_measure {
            known(m, "default_measure")?;
        }
        for d in &self.display {
            known(d, "display")?;
        }
        for c in &self.concepts {
            for f in c
                .filters
                .iter()
                .chain(c.alternatives.iter().flat_map(|a| &a.filters))
            {
                for name in f.fields() {
                    known(name, &format!("concept {}", c.label))?;
                }
            }
            if let Some(s) = &c.sort {
                known(&s.field, &format!("concept {}", c.label))?;
            }
        }
        Ok(())
    }
}
