//! Reading a query back: [`explain`] gives the one line a manager sees
//! (大区=华东 · 年采购额>100万 · 行业=科技), [`canonical`] a compact form that tests compare
//! (region=华东 ; annual_purchase>1000000 ; industry=科技), [`chips`] the parts one by one with
//! their spans, for a question box to remove or edit.

use serde::Serialize;

use crate::query::{Agg, Filter, Measure, Op, Query, Span, Value, format_number};
use crate::schema::{FieldKind, Schema};

/// The query in a compact, stable form: filters, text, groups, measures, sort, limit,
/// unrecognised parts and alternatives, joined by " ; ".
pub fn canonical(q: &Query) -> String {
    let mut parts: Vec<String> = q.filters.iter().map(canonical_filter).collect();
    parts.extend(q.text.iter().map(|t| format!("text:{}", t.text)));
    parts.extend(q.similar.iter().map(|s| {
        let seeds: Vec<&str> = s.seeds.iter().map(|x| x.text.as_str()).collect();
        format!("similar:{}", seeds.join("|"))
    }));
    parts.extend(q.group_by.iter().map(|g| format!("group:{}", g.field)));
    parts.extend(q.series.iter().map(|s| match &s.field {
        Some(f) => format!("series:{}({f})", s.bucket.name()),
        None => format!("series:{}", s.bucket.name()),
    }));
    parts.extend(q.measures.iter().map(|m| {
        let field = match (&m.related, &m.field) {
            (Some(t), Some(f)) => format!("{t}.{f}"),
            (Some(t), None) => t.clone(),
            (None, Some(f)) => f.clone(),
            (None, None) => return m.agg.name().to_string(),
        };
        let window: Vec<String> = m.filters.iter().map(canonical_filter).collect();
        if window.is_empty() {
            format!("{}({field})", m.agg.name())
        } else {
            format!("{}({field} | {})", m.agg.name(), window.join(" & "))
        }
    }));
    parts.extend(q.share.iter().map(|_| "share".to_string()));
    parts.extend(q.compare.iter().map(|c| format!("compare:{}", c.kind.zh())));
    parts.extend(q.sort.iter().map(|s| {
        format!(
            "sort:{} {}",
            s.field,
            if s.descending { "desc" } else { "asc" }
        )
    }));
    parts.extend(q.limit.iter().map(|l| format!("limit:{}", l.n)));
    parts.extend(q.unrecognized.iter().map(|s| format!("?:{}", s.text)));
    parts.extend(q.alternatives.iter().map(|a| {
        let others: Vec<&str> = a.others.iter().map(|r| r.label.as_str()).collect();
        format!("alt:{}→{}", a.span.text, others.join("|"))
    }));
    parts.join(" ; ")
}

fn canonical_filter(f: &Filter) -> String {
    match f {
        Filter::Field(c) => match c.op {
            Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                format!("{}{}{}", c.field, c.op.symbol(), c.value)
            }
            Op::IsNull | Op::NotNull => format!("{}{}", c.field, c.op.symbol()),
            _ => format!("{}{}{}", c.field, c.op.symbol(), c.value),
        },
        Filter::Any { any, .. } => format!(
            "any({})",
            any.iter()
                .map(canonical_filter)
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        Filter::All { all, .. } => format!(
            "all({})",
            all.iter()
                .map(canonical_filter)
                .collect::<Vec<_>>()
                .join(" & ")
        ),
        Filter::Not { not, .. } => format!("not({})", canonical_filter(not)),
        Filter::Related(r) => {
            let inner = r
                .filters
                .iter()
                .map(canonical_filter)
                .collect::<Vec<_>>()
                .join(" & ");
            if let Some(t) = &r.total {
                return format!(
                    "{}[{inner}] {}({}){}{}",
                    r.table,
                    t.agg.name(),
                    t.field,
                    r.count_op.symbol(),
                    format_number(r.count)
                );
            }
            match (r.count_op, r.count) {
                (Op::Ge, 1.0) => format!("has {}[{inner}]", r.table),
                (Op::Eq, 0.0) => format!("no {}[{inner}]", r.table),
                (op, n) => format!(
                    "{}[{inner}] count{}{}",
                    r.table,
                    op.symbol(),
                    format_number(n)
                ),
            }
        }
    }
}

/// The one-line human reading of a query, with the schema's labels: 大区=华东 · 年采购额>100万 ·
/// 行业=科技 · 按年采购额降序 · 前20. Unrecognised parts are named at the end.
pub fn explain(q: &Query, schema: &Schema) -> String {
    let mut parts: Vec<String> = chips(q, schema).into_iter().map(|c| c.label).collect();
    parts.extend(
        q.unrecognized
            .iter()
            .map(|s| format!("未识别「{}」", s.text)),
    );
    if parts.is_empty() {
        return "全部".to_string();
    }
    parts.join(" · ")
}

/// One understood part of a query as a person reads it (a chip in the question box: 大区=华东 ×),
/// with the span of the question it came from and where in the query it sits, so that a user
/// interface can remove or edit it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chip {
    pub label: String,
    /// Which part of the query: `filter`, `text`, `similar`, `group`, `series`, `measure`,
    /// `share`, `compare`, `sort`, `limit`.
    pub part: &'static str,
    /// The position in that list (0 for `similar` and `limit`).
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// The understood parts of a query, in the order [`explain`] reads them.
pub fn chips(q: &Query, schema: &Schema) -> Vec<Chip> {
    let chip = |label: String, part: &'static str, index: usize, span: Option<&Span>| Chip {
        label,
        part,
        index,
        span: span.cloned(),
    };
    let mut out: Vec<Chip> = q
        .filters
        .iter()
        .enumerate()
        .map(|(i, f)| chip(explain_filter(f, schema, None), "filter", i, f.span()))
        .collect();
    out.extend(
        q.text
            .iter()
            .enumerate()
            .map(|(i, t)| chip(format!("文本「{}」", t.text), "text", i, Some(&t.span))),
    );
    out.extend(q.similar.iter().map(|s| {
        let seeds: Vec<String> = s.seeds.iter().map(|x| format!("「{}」", x.text)).collect();
        chip(
            format!("与{}相似", seeds.join("、")),
            "similar",
            0,
            Some(&s.span),
        )
    }));
    // Grouped by the key (and the title beside it): one row per customer.
    let per_row = q.group_by.first().is_some_and(|g| g.field == schema.key);
    out.extend(q.group_by.iter().enumerate().filter_map(|(i, g)| {
        let text = if per_row && i == 0 {
            format!("逐个{}", schema.entity.first().map_or("", String::as_str))
        } else if per_row && schema.title.as_deref() == Some(g.field.as_str()) {
            return None;
        } else {
            format!("按{}分组", label(schema, None, &g.field))
        };
        Some(chip(text, "group", i, Some(&g.span)))
    }));
    out.extend(q.series.iter().map(|s| {
        let of = s
            .field
            .as_ref()
            .map(|f| format!("（{}）", label(schema, None, f)))
            .unwrap_or_default();
        chip(
            format!("按{}{of}", s.bucket.zh()),
            "series",
            0,
            Some(&s.span),
        )
    }));
    out.extend(
        q.measures
            .iter()
            .enumerate()
            .map(|(i, m)| chip(measure_label(m, schema), "measure", i, Some(&m.span))),
    );
    out.extend(
        q.share
            .iter()
            .map(|s| chip("占比".to_string(), "share", 0, Some(s))),
    );
    out.extend(
        q.compare
            .iter()
            .map(|c| chip(c.kind.zh().to_string(), "compare", 0, Some(&c.span))),
    );
    out.extend(q.sort.iter().enumerate().map(|(i, s)| {
        let name = q
            .measures
            .iter()
            .find(|m| m.name == s.field)
            .map(|m| measure_label(m, schema))
            .unwrap_or_else(|| label(schema, None, &s.field));
        let label = format!("按{name}{}", if s.descending { "降序" } else { "升序" });
        chip(label, "sort", i, s.span.as_ref())
    }));
    out.extend(
        q.limit
            .iter()
            .map(|l| chip(format!("前{}", l.n), "limit", 0, Some(&l.span))),
    );
    out
}

fn measure_label(m: &Measure, schema: &Schema) -> String {
    if let Some(label) = &m.label {
        let window: Vec<String> = m
            .filters
            .iter()
            .map(|f| explain_filter(f, schema, m.related.as_deref()))
            .collect();
        return if window.is_empty() {
            label.clone()
        } else {
            format!("{label}（{}）", window.join("，"))
        };
    }
    match &m.field {
        Some(f) => format!("{}{}", m.agg.zh(), label(schema, None, f)),
        None => "数量".to_string(),
    }
}

fn label(schema: &Schema, table: Option<&str>, field: &str) -> String {
    let found = match table {
        Some(t) => schema
            .related(t)
            .and_then(|r| r.fields.iter().find(|f| f.name == field)),
        None => schema.field(field),
    };
    found.map_or_else(|| field.to_string(), |f| f.label.clone())
}

fn kind(schema: &Schema, table: Option<&str>, field: &str) -> Option<FieldKind> {
    match table {
        Some(t) => schema
            .related(t)
            .and_then(|r| r.fields.iter().find(|f| f.name == field))
            .map(|f| f.kind),
        None => schema.field(field).map(|f| f.kind),
    }
}

/// A value as a manager reads it: 100万, 1.5亿, 70%.
fn show(value: &Value, kind: Option<FieldKind>) -> String {
    match (value, kind) {
        (Value::Num(n), Some(FieldKind::Money)) => money(*n),
        (Value::Num(n), Some(FieldKind::Ratio)) => format!("{}%", format_number(n * 100.0)),
        (Value::List(items), _) => items
            .iter()
            .map(|v| show(v, kind))
            .collect::<Vec<_>>()
            .join("/"),
        (v, _) => v.to_string(),
    }
}

fn money(n: f64) -> String {
    if n.abs() >= 1e8 {
        format!("{}亿", format_number((n / 1e8 * 100.0).round() / 100.0))
    } else if n.abs() >= 1e4 {
        format!("{}万", format_number((n / 1e4 * 100.0).round() / 100.0))
    } else {
        format_number(n)
    }
}

fn explain_filter(f: &Filter, schema: &Schema, table: Option<&str>) -> String {
    match f {
        Filter::Field(c) => {
            let name = label(schema, table, &c.field);
            let k = kind(schema, table, &c.field);
            let v = show(&c.value, k);
            match c.op {
                Op::Eq => format!("{name}={v}"),
                Op::Ne => format!("{name}≠{v}"),
                Op::Gt => format!("{name}>{v}"),
                Op::Ge => format!("{name}≥{v}"),
                Op::Lt => format!("{name}<{v}"),
                Op::Le => format!("{name}≤{v}"),
                Op::Between => match &c.value {
                    Value::List(items) if items.len() == 2 => {
                        format!("{name}在{}~{}之间", show(&items[0], k), show(&items[1], k))
                    }
                    _ => format!("{name}在{v}之间"),
                },
                Op::In => format!("{name}∈{v}"),
                Op::NotIn => format!("{name}∉{v}"),
                Op::Contains => format!("{name}含{v}"),
                Op::NotContains => format!("{name}不含{v}"),
                Op::IsNull => format!("{name}为空"),
                Op::NotNull => format!("{name}不为空"),
            }
        }
        Filter::Any { any, .. } => format!(
            "({})",
            any.iter()
                .map(|f| explain_filter(f, schema, table))
                .collect::<Vec<_>>()
                .join(" 或 ")
        ),
        Filter::All { all, .. } => format!(
            "({})",
            all.iter()
                .map(|f| explain_filter(f, schema, table))
                .collect::<Vec<_>>()
                .join(" 且 ")
        ),
        Filter::Not { not, .. } => format!("非({})", explain_filter(not, schema, table)),
        Filter::Related(r) => {
            let rel_label = schema
                .related(&r.table)
                .map_or(r.table.as_str(), |x| x.label.as_str());
            let inner: Vec<String> = r
                .filters
                .iter()
                .map(|f| explain_filter(f, schema, Some(&r.table)))
                .collect();
            let inner = if inner.is_empty() {
                String::new()
            } else {
                format!("[{}]", inner.join(", "))
            };
            let op = match r.count_op {
                Op::Gt => ">",
                Op::Ge => "≥",
                Op::Lt => "<",
                Op::Le => "≤",
                Op::Ne => "≠",
                _ => "=",
            };
            if let Some(t) = &r.total {
                let name = label(schema, Some(&r.table), &t.field);
                let shown = show(&Value::Num(r.count), kind(schema, Some(&r.table), &t.field));
                let agg = if t.agg == Agg::Avg {
                    "平均"
                } else {
                    "合计"
                };
                return format!("{name}{agg}{inner}{op}{shown}");
            }
            match (r.count_op, r.count) {
                (Op::Ge, 1.0) => format!("有{rel_label}{inner}"),
                (Op::Eq, 0.0) => format!("无{rel_label}{inner}"),
                (_, n) => format!("{rel_label}{inner}次数{op}{}", format_number(n)),
            }
        }
    }
}
