//! A report as one self-contained HTML page: the boards' tables, a bar chart drawn here as
//! inline SVG where a board has a label and a figure per row, the CSS in the page. The
//! page makes no request of its own (no script, no stylesheet, font or image to fetch, no
//! link with an address: the web app's address is printed as text), so it reads the same
//! in a mail client, on a file share or offline, and opening it tells no one.
//!
//! Every value is escaped: a company's name is text, never markup.

use kesou_query::ask::{AnswerKind, Table};
use serde_json::Value as Json;

use crate::message::number;

/// Bars drawn at most per chart (the table lists every row).
pub const MAX_BARS: usize = 30;

/// One board of a report, as the subscriber may see it.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub title: String,
    /// How the board's query reads: 大区=华东 · 年采购额>100万.
    pub explain: String,
    pub note: Option<String>,
    /// None: the board was deleted since the subscription was made.
    pub table: Option<Table>,
}

pub use kesou_domain::text::escape_html as esc;

/// A cell for people: unknown empty, lists joined by 、.
fn cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Number(n) => n.as_f64().map(number).unwrap_or_else(|| n.to_string()),
        Json::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("、"),
        other => other.to_string(),
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',\
sans-serif;margin:24px;color:#1f2933;background:#fff}h1{font-size:22px;margin:0 0 4px}\
h2{font-size:17px;margin:28px 0 4px}.meta,.explain{color:#52606d;font-size:13px;margin:2px 0}\
.note{background:#fff8e1;padding:6px 10px;font-size:13px}table{border-collapse:collapse;\
font-size:13px;margin-top:8px}th,td{border:1px solid #d9e2ec;padding:4px 8px;text-align:left}\
th{background:#f0f4f8}td.n{text-align:right;font-variant-numeric:tabular-nums}\
svg{display:block;margin-top:8px}svg text{font-size:12px;fill:#334e68}";

/// The page: a title, the period, when it was made, each board with its chart and table.
pub fn page(
    title: &str,
    period: &str,
    generated_at: &str,
    link: &str,
    boards: &[Section],
) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">");
    out.push_str(&format!("<title>{}</title>", esc(title)));
    out.push_str(&format!("<style>{STYLE}</style></head><body>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    out.push_str(&format!(
        "<p class=\"meta\">周期 Period: {} · 生成于 Generated: {} · 在网页中查看 Open in kesou: {}</p>\n",
        esc(period),
        esc(generated_at),
        esc(link)
    ));
    for s in boards {
        out.push_str(&format!("<section><h2>{}</h2>\n", esc(&s.title)));
        let Some(table) = &s.table else {
            out.push_str(&format!(
                "<p class=\"note\">看板 {} 已删除 (this board was deleted)</p></section>\n",
                esc(&s.name)
            ));
            continue;
        };
        if !s.explain.is_empty() {
            out.push_str(&format!("<p class=\"explain\">{}</p>\n", esc(&s.explain)));
        }
        if let Some(note) = &s.note {
            out.push_str(&format!("<p class=\"note\">{}</p>\n", esc(note)));
        }
        if let Some(svg) = bars(table) {
            out.push_str(&svg);
        }
        out.push_str(&html_table(table));
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn is_number_column(table: &Table, i: usize) -> bool {
    let mut any = false;
    for row in &table.rows {
        match row.get(i) {
            Some(Json::Number(_)) => any = true,
            Some(Json::Null) | None => {}
            _ => return false,
        }
    }
    any
}

fn html_table(table: &Table) -> String {
    let numeric: Vec<bool> = (0..table.columns.len())
        .map(|i| is_number_column(table, i))
        .collect();
    let mut out = String::from("<table><thead><tr>");
    for c in &table.columns {
        out.push_str(&format!("<th>{}</th>", esc(&c.label)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, v) in row.iter().enumerate() {
            let class = if numeric.get(i).copied().unwrap_or(false) {
                " class=\"n\""
            } else {
                ""
            };
            out.push_str(&format!("<td{class}>{}</td>", esc(&cell(v))));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    if table.total as usize > table.rows.len() && table.kind == AnswerKind::List {
        out.push_str(&format!(
            "<p class=\"meta\">共 {} 行，此处列出前 {} 行 ({} rows, the first {} shown)</p>\n",
            table.total,
            table.rows.len(),
            table.total,
            table.rows.len()
        ));
    }
    out
}

/// Horizontal bars of the first figure per row, labelled by the first text column: for a
/// board of groups, or a list with a figure. None when the table has no such pair.
pub fn bars(table: &Table) -> Option<String> {
    if table.rows.is_empty() || table.kind == AnswerKind::Summary {
        return None;
    }
    let label = (0..table.columns.len()).find(|&i| {
        table
            .rows
            .iter()
            .all(|r| matches!(r.get(i), Some(Json::String(_) | Json::Null)))
    })?;
    let value = (0..table.columns.len()).find(|&i| i != label && is_number_column(table, i))?;
    let rows: Vec<(String, f64)> = table
        .rows
        .iter()
        .take(MAX_BARS)
        .map(|r| {
            (
                r.get(label).map(cell).unwrap_or_default(),
                r.get(value).and_then(Json::as_f64).unwrap_or(0.0),
            )
        })
        .collect();
    let max = rows.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let (width, left, bar_h, gap) = (640.0, 170.0, 16.0, 6.0);
    let room = width - left - 90.0;
    let height = rows.len() as f64 * (bar_h + gap) + gap;
    let mut out = format!(
        "<svg width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        esc(&table.columns[value].label)
    );
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = gap + i as f64 * (bar_h + gap);
        let w = if max > 0.0 {
            (v.max(0.0) / max) * room
        } else {
            0.0
        };
        let shown: String = name.chars().take(12).collect();
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar_h}\" fill=\"#3e7cb1\"/>\
             <text x=\"{:.1}\" y=\"{}\">{}</text>",
            left - 6.0,
            y + bar_h - 3.0,
            esc(&shown),
            left + w + 4.0,
            y + bar_h - 3.0,
            esc(&number(*v))
        ));
    }
    out.push_str("</svg>\n");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kesou_nlq::FieldKind;
    use kesou_query::ask::Column;
    use serde_json::json;

    fn groups() -> Table {
        Table {
            kind: AnswerKind::Groups,
            columns: vec![
                Column {
                    name: "region".into(),
                    label: "大区".into(),
                    kind: FieldKind::Category,
                },
                Column {
                    name: "count".into(),
                    label: "客户数".into(),
                    kind: FieldKind::Number,
                },
            ],
            rows: vec![
                vec![json!("华东<script>"), json!(30)],
                vec![json!("华北"), json!(10)],
            ],
            total: 2,
            ..Table::default()
        }
    }

    #[test]
    fn values_are_text_and_bars_scale_to_the_largest() {
        let section = Section {
            name: "map".into(),
            title: "各省客户".into(),
            explain: "按大区".into(),
            note: None,
            table: Some(groups()),
        };
        let html = page(
            "周报",
            "2026-W50",
            "2026-12-08 09:00",
            "http://h/#/x",
            &[section],
        );
        assert!(html.contains("华东&lt;script&gt;"));
        assert!(!html.contains("<script"));
        let svg = bars(&groups()).unwrap();
        assert!(svg.contains("width=\"380.0\""), "{svg}");
        assert!(svg.contains("width=\"126.7\""), "{svg}");
    }

    #[test]
    fn a_figure_alone_has_no_bars() {
        let mut t = groups();
        t.kind = AnswerKind::Summary;
        assert!(bars(&t).is_none());
    }
}
