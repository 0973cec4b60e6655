//! The structured query a question becomes. Every part carries the span of the question it
//! came from; `kesou-query` executes it, `explain` reads it back to the user.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

/// A byte range of the question and the text in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Span {
    pub fn new(question: &str, start: usize, end: usize) -> Self {
        Span {
            start,
            end,
            text: question[start..end].to_string(),
        }
    }

    /// The smallest span covering both (texts joined from the question).
    pub fn cover(question: &str, a: &Span, b: &Span) -> Self {
        Span::new(question, a.start.min(b.start), a.end.max(b.end))
    }
}

/// A comparison or membership test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    /// A closed range `[low, high]`.
    #[serde(rename = "between")]
    Between,
    #[serde(rename = "in")]
    In,
    #[serde(rename = "not in")]
    NotIn,
    /// A list column holds the value.
    #[serde(rename = "contains")]
    Contains,
    #[serde(rename = "not contains")]
    NotContains,
    #[serde(rename = "is null")]
    IsNull,
    #[serde(rename = "is not null")]
    NotNull,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Between => " between ",
            Op::In => " in ",
            Op::NotIn => " not in ",
            Op::Contains => " contains ",
            Op::NotContains => " not contains ",
            Op::IsNull => " is null",
            Op::NotNull => " is not null",
        }
    }

    /// The opposite test: what 非 / 不是 / 除了 make of it.
    pub fn negated(self) -> Op {
        match self {
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
            Op::Gt => Op::Le,
            Op::Ge => Op::Lt,
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
            Op::In => Op::NotIn,
            Op::NotIn => Op::In,
            Op::Contains => Op::NotContains,
            Op::NotContains => Op::Contains,
            Op::IsNull => Op::NotNull,
            Op::NotNull => Op::IsNull,
            Op::Between => Op::Between,
        }
    }
}

/// A value in a condition. Dates are `YYYY-MM-DD` strings; the executor reads them by the
/// field's kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Num(f64),
    Str(String),
    List(Vec<Value>),
    Null,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(n) => f.write_str(&format_number(*n)),
            Value::Str(s) => f.write_str(s),
            Value::List(items) => {
                f.write_char('[')?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_char(']')
            }
            Value::Null => f.write_str("null"),
        }
    }
}

/// A number as people write it in a query: 1000000, 0.7, 12.5 (no trailing zeros).
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// One test on one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    #[serde(default = "null")]
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

fn null() -> Value {
    Value::Null
}

/// A test on the rows of a related table that belong to a row: how many of them (of a
/// kind, in a period) there are. "Has any" is `>= 1`, "has none" is `= 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedFilter {
    pub table: String,
    /// Conditions on the related rows, by the related table's field names.
    #[serde(default)]
    pub filters: Vec<Filter>,
    pub count_op: Op,
    pub count: f64,
    /// An aggregate of one field of the related rows: `count_op count` then tests it
    /// (本季度订单金额合计不少于50万: the sum of amount >= 500000; 客单价超过1万: the average)
    /// instead of how many rows there are. No rows sum to 0 and have no average.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Total>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// The sum or average of one field of a row's related rows (a [`RelatedFilter`] compares it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Total {
    pub agg: Agg,
    pub field: String,
}

/// A condition tree. The top level of a query is an implicit `all`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Filter {
    Field(Condition),
    /// Any of these holds (或, 华东和北京).
    Any {
        any: Vec<Filter>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        span: Option<Span>,
    },
    /// All of these hold (a concept made of several conditions).
    All {
        all: Vec<Filter>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        span: Option<Span>,
    },
    /// This does not hold (不是高意向待转化的客户).
    Not {
        not: Box<Filter>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        span: Option<Span>,
    },
    Related(RelatedFilter),
}

impl Filter {
    pub fn field(field: &str, op: Op, value: Value, span: Option<Span>) -> Filter {
        Filter::Field(Condition {
            field: field.to_string(),
            op,
            value,
            span,
        })
    }

    pub fn span(&self) -> Option<&Span> {
        match self {
            Filter::Field(c) => c.span.as_ref(),
            Filter::Any { span, .. } | Filter::All { span, .. } | Filter::Not { span, .. } => {
                span.as_ref()
            }
            Filter::Related(r) => r.span.as_ref(),
        }
    }

    /// Sets the span of this filter and every filter inside it that has none.
    pub fn with_span(mut self, s: &Span) -> Filter {
        self.fill_span(s);
        self
    }

    fn fill_span(&mut self, s: &Span) {
        let slot = match self {
            Filter::Field(c) => &mut c.span,
            Filter::Any { span, any: inner } | Filter::All { span, all: inner } => {
                inner.iter_mut().for_each(|f| f.fill_span(s));
                span
            }
            Filter::Not { span, not } => {
                not.fill_span(s);
                span
            }
            Filter::Related(r) => {
                r.filters.iter_mut().for_each(|f| f.fill_span(s));
                &mut r.span
            }
        };
        if slot.is_none() {
            *slot = Some(s.clone());
        }
    }

    /// The main-table fields this filter names (related tables as `table.field`).
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Filter::Field(c) => out.push(&c.field),
            Filter::Any { any: inner, .. } | Filter::All { all: inner, .. } => {
                inner.iter().for_each(|f| f.collect_fields(out))
            }
            Filter::Not { not, .. } => not.collect_fields(out),
            Filter::Related(_) => {}
        }
    }

    /// The opposite filter: 非制造业, 除了华南以外, 没有投诉过.
    pub fn negate(self) -> Filter {
        match self {
            Filter::Field(mut c) if c.op != Op::Between => {
                c.op = c.op.negated();
                Filter::Field(c)
            }
            // Sums of no rows are 0, so the opposite test is the opposite comparison (an
            // average of no rows is unknown: it stays a `not`, which keeps those rows).
            Filter::Related(mut r)
                if r.total.as_ref().is_some_and(|t| t.agg == Agg::Sum)
                    && r.count_op != Op::Between =>
            {
                r.count_op = r.count_op.negated();
                Filter::Related(r)
            }
            Filter::Related(mut r)
                if r.total.is_none() && r.count_op == Op::Ge && r.count == 1.0 =>
            {
                r.count_op = Op::Eq;
                r.count = 0.0;
                Filter::Related(r)
            }
            Filter::Related(mut r)
                if r.total.is_none() && r.count_op == Op::Eq && r.count == 0.0 =>
            {
                r.count_op = Op::Ge;
                r.count = 1.0;
                Filter::Related(r)
            }
            Filter::Not { not, .. } => *not,
            other => {
                let span = other.span().cloned();
                Filter::Not {
                    not: Box::new(other),
                    span,
                }
            }
        }
    }
}

/// An ordering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    /// A field, or the name of a measure of this query (`count`, `avg_annual_purchase`).
    pub field: String,
    pub descending: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub n: usize,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupBy {
    pub field: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl Agg {
    pub fn name(self) -> &'static str {
        match self {
            Agg::Count => "count",
            Agg::Sum => "sum",
            Agg::Avg => "avg",
            Agg::Min => "min",
            Agg::Max => "max",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Agg::Count => "数量",
            Agg::Sum => "合计",
            Agg::Avg => "平均",
            Agg::Min => "最低",
            Agg::Max => "最高",
        }
    }
}

/// A computed column of a grouped or summary answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// The answer's column name: `count`, `avg_annual_purchase`.
    pub name: String,
    pub agg: Agg,
    /// The field aggregated; `None` for a row count.
    pub field: Option<String>,
    pub span: Span,
    /// The related table the measure reads (`orders`: 销售额 is the sum of their amounts):
    /// `field` is then one of its fields, a count counts its rows, and only the rows that
    /// belong to the matching rows and pass `filters` (the question's window) are read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// Conditions on the related rows, by the related table's field names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// The answer's name for it when the schema gives one (销售额, 客单价).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl Measure {
    pub fn new(agg: Agg, field: Option<&str>, span: Span) -> Measure {
        let name = match field {
            Some(f) => format!("{}_{f}", agg.name()),
            None => agg.name().to_string(),
        };
        Measure {
            name,
            agg,
            field: field.map(str::to_string),
            span,
            related: None,
            filters: Vec::new(),
            label: None,
        }
    }
}

/// The periods of a time series: 按月, 按季度, 按年统计.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Month,
    Quarter,
    Year,
}

impl Bucket {
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Month => "month",
            Bucket::Quarter => "quarter",
            Bucket::Year => "year",
        }
    }

    /// The label of the period column: 月份.
    pub fn zh(self) -> &'static str {
        match self {
            Bucket::Month => "月份",
            Bucket::Quarter => "季度",
            Bucket::Year => "年份",
        }
    }
}

/// 按月统计销售额: the related measures of the query per period of their table's time
/// field, every period of the window in order (those with no rows as 0). With `field`, the
/// rows themselves per period of that date field of theirs (按月统计新增客户数: created_at).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub bucket: Bucket,
    pub span: Span,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// 同比 / 环比: each measure beside its value in the period before, and the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// 同比: the same period a year before.
    YearOnYear,
    /// 环比: the period just before (the month before a month, the window before a window).
    PeriodOnPeriod,
}

impl Compare {
    pub fn zh(self) -> &'static str {
        match self {
            Compare::YearOnYear => "同比",
            Compare::PeriodOnPeriod => "环比",
        }
    }
}

/// A comparison asked for, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub kind: Compare,
    pub span: Span,
}

/// Words searched in the full-text fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextTerm {
    pub text: String,
    pub span: Span,
}

/// 和…相似的客户: rank by likeness to these seeds (ids or names as the question wrote them;
/// the executor resolves them), after the query's filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Similar {
    pub seeds: Vec<Seed>,
    pub span: Span,
}

/// One seed of a lookalike question: what was written (an id such as C0000123, or a name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seed {
    pub text: String,
    pub span: Span,
}

/// A word with several readings: the one chosen (the glossary's) and the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ambiguity {
    pub span: Span,
    pub chosen: String,
    pub others: Vec<Reading>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub label: String,
    pub filters: Vec<Filter>,
}

/// A question, understood.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Query {
    pub table: String,
    /// All of these hold.
    pub filters: Vec<Filter>,
    pub text: Vec<TextTerm>,
    /// Rows like these seeds, most alike first (和C0000123相似的华东客户).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similar: Option<Similar>,
    pub group_by: Vec<GroupBy>,
    /// A time series of the related measures (按月统计销售额).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    pub measures: Vec<Measure>,
    /// 占比: each group's share of the first measure's total (of all groups, or for an
    /// answer without groups, of every row the caller may see).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Span>,
    /// 同比 / 环比 of the related measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Comparison>,
    pub sort: Vec<Sort>,
    pub limit: Option<Limit>,
    /// Parts of the question that were not understood.
    pub unrecognized: Vec<Span>,
    pub alternatives: Vec<Ambiguity>,
}

impl Query {
    /// Whether anything was understood that narrows, orders or summarises the rows. A
    /// question with nothing understood must not answer with every row.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
            && self.text.is_empty()
            && self.similar.is_none()
            && self.group_by.is_empty()
            && self.series.is_none()
            && self.measures.is_empty()
            && self.sort.is_empty()
            && self.limit.is_none()
    }

    /// Whether the question was understood well enough to answer. Not when nothing was
    /// understood but something was not (嗯, asdf), nor when the only reading is words guessed
    /// as free text beside words not understood (天气怎么样 → 天气 + 怎么样): answering would
    /// list whatever happens to mention them. A question of glue alone (所有客户) lists every
    /// row; a question of free text alone (新能源电池) searches it.
    pub fn understood(&self) -> bool {
        if self.unrecognized.is_empty() {
            return true;
        }
        let only_text = self.filters.is_empty()
            && self.similar.is_none()
            && self.group_by.is_empty()
            && self.measures.is_empty()
            && self.sort.is_empty()
            && self.limit.is_none();
        !only_text
    }

    /// Whether the answer is a summary (grouped or measured) rather than a list of rows.
    pub fn is_summary(&self) -> bool {
        !self.group_by.is_empty() || !self.measures.is_empty() || self.series.is_some()
    }
}
