//! What a firing says: the watch, how its question was understood, and each customer that
//! entered or left with its reasons (the values of the fields the question names, a
//! model's reasons when it asks about its score: churn risk, purchase propensity) and a
//! link into the web app. The values are the owner's view: masked and hidden fields stay so.

use std::collections::BTreeSet;

use duckdb::Connection;
use kesou_access::{FieldAccess, Principal};
use kesou_nlq::Query;
use kesou_query::ask::Table;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::Result;
use crate::outbox::Settings;
use crate::spec::Watch;

/// One customer in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Why: 「年采购额: 1,250,000」, 「流失原因: 近180天无订单」, 「已删除」.
    pub reasons: Vec<String>,
    /// The customer's page in the web app.
    pub link: String,
}

/// A measure watch's figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureNote {
    pub label: String,
    pub value: f64,
    #[serde(default)]
    pub previous: Option<f64>,
    /// The condition that held, for people: 下降超过20%.
    pub condition: String,
}

/// A report delivered: which board, for which period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportNote {
    pub title: String,
    /// `2026-12-08` (daily) or `2026-W50` (weekly).
    pub period: String,
    pub boards: usize,
    pub rows: u64,
}

/// A firing's content, rendered per target by [`crate::robots`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub watch: i64,
    pub watch_name: String,
    pub owner: String,
    pub question: String,
    /// How the question was understood: 大区=华东 · 流失风险≥0.7.
    pub explain: String,
    pub generation: u64,
    /// RFC 3339, UTC.
    pub at: String,
    pub entered: Vec<Item>,
    pub left: Vec<Item>,
    #[serde(default)]
    pub measure: Option<MeasureNote>,
    /// A report subscription's delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportNote>,
    /// The watches page of the web app.
    pub link: String,
}

impl Message {
    pub(crate) fn for_list(
        watch: &Watch,
        explain: String,
        generation: u64,
        entered: Vec<Item>,
        left: Vec<Item>,
        settings: &Settings,
    ) -> Message {
        Message {
            watch: watch.id,
            watch_name: watch.name.clone(),
            owner: watch.owner.clone(),
            question: watch.question.clone(),
            explain,
            generation,
            at: now(),
            entered,
            left,
            measure: None,
            report: None,
            link: format!("{}/#/watches", settings.public_url.trim_end_matches('/')),
        }
    }

    /// One line of what fired: 「流失风险高的忠诚客户」: 新进入 3 家客户.
    pub fn headline(&self) -> String {
        if let Some(r) = &self.report {
            return format!("「{}」: 报表 {}（{}）", self.watch_name, r.title, r.period);
        }
        if let Some(m) = &self.measure {
            return format!(
                "「{}」: {} = {}{}",
                self.watch_name,
                m.label,
                number(m.value),
                m.previous
                    .map(|p| format!("（上次 {}）", number(p)))
                    .unwrap_or_default()
            );
        }
        let mut parts = Vec::new();
        if !self.entered.is_empty() {
            parts.push(format!("新进入 {} 家客户", self.entered.len()));
        }
        if !self.left.is_empty() {
            parts.push(format!("离开 {} 家客户", self.left.len()));
        }
        format!("「{}」: {}", self.watch_name, parts.join("，"))
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn number(n: f64) -> String {
    kesou_nlq::format_number((n * 100.0).round() / 100.0)
}

fn customer_link(settings: &Settings, id: &str) -> String {
    format!(
        "{}/#/customer/{}",
        settings.public_url.trim_end_matches('/'),
        id
    )
}

/// A value for people.
fn show(v: &Json) -> String {
    match v {
        Json::Null => "未知".into(),
        Json::Number(n) => n.as_f64().map(number).unwrap_or_else(|| n.to_string()),
        Json::String(s) => s.clone(),
        Json::Array(items) => items.iter().map(show).collect::<Vec<_>>().join("、"),
        other => other.to_string(),
    }
}

/// The fields a query's conditions and order name.
fn query_fields(query: &Query) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = query
        .filters
        .iter()
        .flat_map(|f| f.fields())
        .map(str::to_owned)
        .collect();
    out.extend(query.sort.iter().map(|s| s.field.clone()));
    out
}

/// An entering customer, its reasons the values of the fields its question names.
pub(crate) fn entered_item(
    table: &Table,
    row: Option<usize>,
    id: &str,
    query: &Query,
    settings: &Settings,
) -> Item {
    let fields = query_fields(query);
    let mut name = None;
    let mut reasons = Vec::new();
    if let Some(row) = row.and_then(|r| table.rows.get(r)) {
        for (c, v) in table.columns.iter().zip(row) {
            if c.name == "name" {
                name = v.as_str().map(str::to_owned);
            } else if c.name != "id" && fields.contains(&c.name) {
                reasons.push(format!("{}: {}", c.label, show(v)));
            }
        }
    }
    Item {
        id: id.to_owned(),
        name,
        reasons,
        link: customer_link(settings, id),
    }
}

fn id_list(ids: &[&str]) -> String {
    ids.iter()
        .map(|i| format!("'{}'", i.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The models' scores a question can ask about, with the column of their reasons and how a
/// message names them.
const MODEL_REASONS: &[(&str, &str, &str)] = &[
    ("churn_risk", "churn_factors", "流失原因"),
    ("purchase_propensity", "propensity_reasons", "购买原因"),
];

/// Adds a model's reasons to customers of a question about its score (churn risk, purchase
/// propensity), when the owner sees them.
pub(crate) fn with_model_reasons(
    conn: &Connection,
    mut items: Vec<Item>,
    query: &Query,
    principal: &Principal,
) -> Result<Vec<Item>> {
    if items.is_empty() {
        return Ok(items);
    }
    let fields = query_fields(query);
    for (score, column, label) in MODEL_REASONS {
        if !fields.contains(*score) || principal.access(column) != FieldAccess::Show {
            continue;
        }
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        // Ids came from the store's own answer; quoted all the same. `column` is one of
        // the fixed names above.
        let sql = format!(
            "SELECT id, array_to_string({column}, '；') FROM customers WHERE id IN ({}) \
             AND len({column}) > 0",
            id_list(&ids)
        );
        let mut stmt = conn.prepare(&sql)?;
        let found: std::collections::HashMap<String, String> = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        for item in &mut items {
            if let Some(f) = found.get(&item.id) {
                item.reasons.push(format!("{label}: {f}"));
            }
        }
    }
    Ok(items)
}

/// Customers that left: deleted, or no longer matching.
pub(crate) fn left_items(
    conn: &Connection,
    left: &[String],
    deleted: &BTreeSet<String>,
    principal: &Principal,
    settings: &Settings,
) -> Result<Vec<Item>> {
    if left.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = left.iter().map(String::as_str).collect();
    let sql = format!(
        "SELECT id, name FROM customers WHERE id IN ({})",
        id_list(&ids)
    );
    let mut stmt = conn.prepare(&sql)?;
    let names: std::collections::HashMap<String, Option<String>> = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(left
        .iter()
        .map(|id| {
            let name = names
                .get(id)
                .cloned()
                .flatten()
                .and_then(|n| principal.apply_to_value("name", &Json::String(n)))
                .and_then(|v| v.as_str().map(str::to_owned));
            let reason = if deleted.contains(id) {
                "已删除".to_owned()
            } else {
                "不再符合条件".to_owned()
            };
            Item {
                id: id.clone(),
                name,
                reasons: vec![reason],
                link: customer_link(settings, id),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use kesou_access::{Policy, Role};
    use kesou_nlq::{Filter, Op, Value};

    use super::*;

    fn item(id: &str) -> Item {
        Item {
            id: id.to_owned(),
            name: None,
            reasons: Vec::new(),
            link: String::new(),
        }
    }

    #[test]
    fn a_question_about_a_score_carries_its_models_reasons_only() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE customers (id VARCHAR, churn_factors VARCHAR[], propensity_reasons VARCHAR[]);
             INSERT INTO customers VALUES
                ('C1', ['已200天未下单'], ['近90天咨询4次', '采购额同比增长30%']),
                ('C2', NULL, []);",
        )
        .unwrap();
        let admin = Principal::for_role("boss", Role::Admin, None, &Policy::default());
        let asking = |field: &str| Query {
            filters: vec![Filter::field(field, Op::Ge, Value::Num(0.7), None)],
            ..Query::default()
        };
        let got = with_model_reasons(
            &conn,
            vec![item("C1"), item("C2")],
            &asking("purchase_propensity"),
            &admin,
        )
        .unwrap();
        assert_eq!(
            got[0].reasons,
            ["购买原因: 近90天咨询4次；采购额同比增长30%"]
        );
        assert!(got[1].reasons.is_empty());
        let got =
            with_model_reasons(&conn, vec![item("C1")], &asking("churn_risk"), &admin).unwrap();
        assert_eq!(got[0].reasons, ["流失原因: 已200天未下单"]);
        let got = with_model_reasons(&conn, vec![item("C1")], &asking("annual_purchase"), &admin)
            .unwrap();
        assert!(
            got[0].reasons.is_empty(),
            "no score asked about, no reasons"
        );
    }
}
