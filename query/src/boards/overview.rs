//! The overview a manager opens first: five figures, each one structured query run by
//! [`Asker::run`] within the caller's rows (no SQL of its own), each with the address of
//! the answer or board that lists what it counts.
//!
//! | key             | figure                                              | link            |
//! |-----------------|-----------------------------------------------------|-----------------|
//! | `customers`     | customers                                           | 按大区统计客户数 |
//! | `purchase`      | Σ 年采购额 (a shorter period: its orders); change on the period before | 价值贡献TOP20 |
//! | `new`           | customers 建档 in the period (created_at > as_of − its days) | the list |
//! | `churn_high`    | 流失风险高: churn_risk ≥ 0.7                         | 流失风险预警     |
//! | `high_intent`   | 高意向待转化: consult_30d ≥ 5 and no order           | the list        |

use chrono::{Days, NaiveDate};
use kesou_nlq::{Agg, Filter, Measure, Op, Query, Span, Value};
use serde::Serialize;

use super::builtin::HIGH_CHURN_RISK;
use crate::Result;
use crate::ask::{AskOptions, Asker};

/// The periods the overview offers, in days: 近30天, 近90天, 近一年 (the default, the year of
/// 年采购额).
pub const PERIODS: [u64; 3] = [30, 90, 365];
/// The default period.
pub const YEAR: u64 = 365;

/// One figure of the overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// Stable: `customers`, `purchase`, `new`, `churn_high`, `high_intent`.
    pub key: &'static str,
    pub title: &'static str,
    pub title_en: &'static str,
    /// What it counts, in a line.
    pub about: &'static str,
    pub about_en: &'static str,
    pub value: f64,
    /// `count` or `money` (yuan).
    pub kind: &'static str,
    /// The same figure for the period before, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<f64>,
    /// (value − previous) / previous, when previous is not 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
    /// The app's address of what it counts: a question's answer or a board.
    pub link: String,
    /// Why the value is not to be read (流失风险 never computed on this store), Chinese and
    /// English; the value is then 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<[&'static str; 2]>,
}

/// The overview as of the store's `as_of`, over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub as_of: NaiveDate,
    /// The period's days: sales and new customers are counted over it, and the change is
    /// against the period before.
    pub period_days: u64,
    pub kpis: Vec<Kpi>,
}

fn sales(name: &str, from_back: u64, to_back: u64, as_of: NaiveDate) -> Measure {
    let mut m = Measure::new(Agg::Sum, Some("amount"), span());
    m.name = name.to_owned();
    m.related = Some("orders".to_owned());
    m.filters = vec![
        Filter::field("order_date", Op::Gt, day(as_of, from_back), None),
        Filter::field("order_date", Op::Le, day(as_of, to_back), None),
    ];
    m
}

fn span() -> Span {
    Span {
        start: 0,
        end: 0,
        text: String::new(),
    }
}

pub(super) fn day(d: NaiveDate, back: u64) -> Value {
    let d = d
        .checked_sub_days(Days::new(back))
        .unwrap_or(NaiveDate::MIN);
    Value::Str(d.format("%Y-%m-%d").to_string())
}

/// The first cell of a summary query's answer, as a number (0 when empty).
fn summary(asker: &Asker, query: &Query, options: &AskOptions) -> Result<Vec<f64>> {
    let answer = asker.run(query, options)?;
    Ok(answer
        .table
        .rows
        .first()
        .map(|r| r.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect())
        .unwrap_or_default())
}

/// A figure: its key, its words (title, English title, what it counts, the same in
/// English), its value and kind, and its link.
fn kpi(
    key: &'static str,
    words: [&'static str; 4],
    value: f64,
    kind: &'static str,
    link: String,
) -> Kpi {
    let [title, title_en, about, about_en] = words;
    Kpi {
        key,
        title,
        title_en,
        about,
        about_en,
        value,
        kind,
        previous: None,
        change: None,
        link,
        note: None,
    }
}

/// The web app's address of a question: `#/ask?q=` and the question percent-encoded.
pub fn ask_link(question: &str) -> String {
    let encoded: String = question
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("#/ask?q={encoded}")
}

/// The overview within `options.scope` (the caller's rows) and the `fixed` filters (the
/// page's 大区, 行业, 负责销售), ANDed into every figure, over the last `days` (one of
/// [`PERIODS`]; sales and new customers).
pub fn overview(
    asker: &Asker,
    options: &AskOptions,
    fixed: &[Filter],
    days: u64,
) -> Result<Overview> {
    if !PERIODS.contains(&days) {
        return Err(crate::Error::BadRequest(format!(
            "period: {days} days; the overview takes 30, 90 or 365"
        )));
    }
    let as_of = asker.as_of();
    let table = asker.schema().table.clone();
    let count_of = |mut filters: Vec<Filter>| -> Result<f64> {
        filters.extend(fixed.iter().cloned());
        let q = Query {
            table: table.clone(),
            filters,
            measures: vec![Measure::new(Agg::Count, None, span())],
            ..Query::default()
        };
        Ok(summary(asker, &q, options)?.first().copied().unwrap_or(0.0))
    };
    let customers = count_of(Vec::new())?;
    // Over a year the figure is Σ 年采购额 (the orders of the 365 days up to as_of); over a
    // shorter period the orders of its days. The period before is the orders of as many
    // days before, summed the same way (a related measure of the orders).
    let now = if days == YEAR {
        Measure::new(Agg::Sum, Some("annual_purchase"), span())
    } else {
        sales("sales_now", days, 0, as_of)
    };
    let purchase_query = Query {
        table: table.clone(),
        filters: fixed.to_vec(),
        measures: vec![now, sales("sales_before", 2 * days, days, as_of)],
        ..Query::default()
    };
    let sums = summary(asker, &purchase_query, options)?;
    let purchase = sums.first().copied().unwrap_or(0.0);
    let previous = sums.get(1).copied().unwrap_or(0.0);
    let new = count_of(vec![Filter::field(
        "created_at",
        Op::Gt,
        day(as_of, days),
        None,
    )])?;
    let churn_high = count_of(vec![Filter::field(
        "churn_risk",
        Op::Ge,
        Value::Num(HIGH_CHURN_RISK),
        None,
    )])?;
    let high_intent = count_of(vec![
        Filter::field("consult_30d", Op::Ge, Value::Num(5.0), None),
        Filter::field("order_count", Op::Eq, Value::Num(0.0), None),
    ])?;
    let mut purchase_kpi = kpi(
        "purchase",
        match days {
            30 => [
                "近30天销售额",
                "Sales, last 30 days",
                "近30天订单金额之和",
                "orders of the last 30 days",
            ],
            90 => [
                "近90天销售额",
                "Sales, last 90 days",
                "近90天订单金额之和",
                "orders of the last 90 days",
            ],
            _ => [
                "年采购额合计",
                "Annual purchase",
                "近365天订单金额之和",
                "orders of the last 365 days",
            ],
        },
        purchase,
        "money",
        ask_link("价值贡献TOP20客户"),
    );
    purchase_kpi.previous = Some(previous);
    purchase_kpi.change = (previous != 0.0).then(|| (purchase - previous) / previous);
    let mut churn_kpi = kpi(
        "churn_high",
        [
            "流失风险高",
            "High churn risk",
            "流失风险不低于70%",
            "churn risk of 70% or more",
        ],
        churn_high,
        "count",
        "#/dashboard/churn".to_owned(),
    );
    if !super::computed(asker, "churn_risk")? {
        churn_kpi.note = Some([
            "流失风险尚未计算（kesou train churn）",
            "churn risk not computed yet (kesou train churn)",
        ]);
    }
    Ok(Overview {
        as_of,
        period_days: days,
        kpis: vec![
            kpi(
                "customers",
                [
                    "客户总数",
                    "Customers",
                    "全部客户档案",
                    "every customer profile",
                ],
                customers,
                "count",
                ask_link("按大区统计客户数"),
            ),
            purchase_kpi,
            kpi(
                "new",
                match days {
                    30 => [
                        "新增客户",
                        "New customers",
                        "近30天建档",
                        "added in the last 30 days",
                    ],
                    90 => [
                        "新增客户",
                        "New customers",
                        "近90天建档",
                        "added in the last 90 days",
                    ],
                    _ => [
                        "新增客户",
                        "New customers",
                        "近一年建档",
                        "added in the last year",
                    ],
                },
                new,
                "count",
                ask_link(match days {
                    30 => "近30天新增的客户",
                    90 => "近90天新增的客户",
                    _ => "近一年新增的客户",
                }),
            ),
            churn_kpi,
            kpi(
                "high_intent",
                [
                    "高意向待转化",
                    "High intent, no order yet",
                    "近30天咨询≥5次且未成交",
                    "5+ enquiries in 30 days, no order",
                ],
                high_intent,
                "count",
                ask_link("近30天咨询≥5次且未成交的客户"),
            ),
        ],
    })
}
