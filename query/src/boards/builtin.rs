//! The built-in dashboards, each a structured query run by [`Asker::run`](crate::ask::Asker::run):
//! no SQL of their own. Their names are stable: embed URLs carry them.
//!
//! | name     | title          | the query                                                        |
//! |----------|----------------|------------------------------------------------------------------|
//! | `map`    | 客户分布热力图 | by province: customers, sum of 年采购额                           |
//! | `top20`  | 价值贡献TOP20客户 | customers by 年采购额, biggest first, the first 20             |
//! | `churn`  | 流失风险预警   | customers with 流失风险 ≥ 0.7, riskiest first                     |
//! | `funnel` | 生命周期漏斗   | by lifecycle, in stage order 潜在 意向 成交 忠诚 流失: customers  |
//! | `rfm`    | RFM客户分群    | by RFM segment: customers, sum of 年采购额                        |
//! | `matrix` | 区域×行业矩阵  | by region and industry: customers                               |
//! | `opportunity` | 商机：最可能下单的客户 | customers by 购买意向, likeliest first, the first 50 |

use kesou_nlq::{Agg, Filter, GroupBy, Limit, Measure, Op, Query, Schema, Sort, Span, Value};
use serde::Serialize;

use super::ChartKind;
use super::period::Window;

/// A built-in dashboard: its stable name, titles and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Builtin {
    /// The stable name embed URLs use: `map`, `top20`, `churn`, `funnel`, `rfm`, `matrix`,
    /// `opportunity`.
    pub name: &'static str,
    pub title: &'static str,
    pub title_en: &'static str,
    pub chart: ChartKind,
    /// One line on what it shows, for people.
    pub description: &'static str,
    #[serde(skip)]
    shape: Shape,
}

/// Which query a built-in board runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Map,
    Top20,
    Churn,
    Funnel,
    Rfm,
    Matrix,
    Opportunity,
}

/// Every built-in dashboard, in the order they are listed.
pub const BUILTIN: &[Builtin] = &[
    Builtin {
        name: "map",
        title: "客户分布热力图",
        title_en: "Customers by province",
        chart: ChartKind::Map,
        description: "各省份的客户数与年采购额合计",
        shape: Shape::Map,
    },
    Builtin {
        name: "top20",
        title: "价值贡献TOP20客户",
        title_en: "Top 20 customers by annual purchase",
        chart: ChartKind::Bar,
        description: "年采购额最高的20家客户",
        shape: Shape::Top20,
    },
    Builtin {
        name: "churn",
        title: "流失风险预警",
        title_en: "Churn risk alert",
        chart: ChartKind::Table,
        description: "流失风险不低于70%的客户，风险最高的在前",
        shape: Shape::Churn,
    },
    Builtin {
        name: "funnel",
        title: "生命周期漏斗",
        title_en: "Lifecycle funnel",
        chart: ChartKind::Funnel,
        description: "潜在 → 意向 → 成交 → 忠诚 → 流失 各阶段的客户数",
        shape: Shape::Funnel,
    },
    Builtin {
        name: "rfm",
        title: "RFM客户分群",
        title_en: "RFM segments",
        chart: ChartKind::Bar,
        description: "各RFM分群的客户数与年采购额合计（无订单的客户归为潜在/意向）",
        shape: Shape::Rfm,
    },
    Builtin {
        name: "matrix",
        title: "区域×行业矩阵",
        title_en: "Region × industry",
        chart: ChartKind::Matrix,
        description: "每个大区、每个行业的客户数",
        shape: Shape::Matrix,
    },
    Builtin {
        name: "opportunity",
        title: "商机：最可能下单的客户",
        title_en: "Opportunities: most likely to order",
        chart: ChartKind::Table,
        description: "未来90天最可能下单的50家客户，购买意向从高到低，附原因",
        shape: Shape::Opportunity,
    },
];

/// How many customers the opportunity board lists.
pub(super) const OPPORTUNITIES: usize = 50;

/// The built-in dashboard of that name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.name == name)
}

/// The churn board's threshold: 流失风险高 in the glossary.
pub(super) const HIGH_CHURN_RISK: f64 = 0.7;

impl Builtin {
    /// The structured query behind the board.
    pub fn query(&self, schema: &Schema) -> Query {
        let span = Span {
            start: 0,
            end: self.title.len(),
            text: self.title.to_owned(),
        };
        let group = |field: &str| GroupBy {
            field: field.to_owned(),
            span: span.clone(),
        };
        let sort = |field: &str, descending: bool| Sort {
            field: field.to_owned(),
            descending,
            span: None,
        };
        let count = Measure::new(Agg::Count, None, span.clone());
        let purchase = Measure::new(Agg::Sum, Some("annual_purchase"), span.clone());
        let mut q = Query {
            table: schema.table.clone(),
            ..Query::default()
        };
        match self.shape {
            Shape::Map => {
                q.group_by = vec![group("province")];
                q.measures = vec![count, purchase];
            }
            Shape::Top20 => {
                q.sort = vec![sort("annual_purchase", true)];
                q.limit = Some(Limit { n: 20, span });
            }
            Shape::Churn => {
                q.filters = vec![Filter::field(
                    "churn_risk",
                    Op::Ge,
                    Value::Num(HIGH_CHURN_RISK),
                    None,
                )];
                q.sort = vec![sort("churn_risk", true)];
            }
            Shape::Funnel => {
                q.group_by = vec![group("lifecycle")];
                q.measures = vec![count];
            }
            Shape::Rfm => {
                q.group_by = vec![group("rfm_segment")];
                q.measures = vec![count, purchase];
            }
            Shape::Opportunity => {
                q.sort = vec![sort("purchase_propensity", true)];
                q.limit = Some(Limit {
                    n: OPPORTUNITIES,
                    span,
                });
            }
            Shape::Matrix => {
                q.group_by = vec![group("region"), group("industry")];
                q.measures = vec![count];
                q.sort = vec![sort("region", false), sort("industry", false)];
            }
        }
        q
    }
}

/// What a period does on a board: sums or ranks the orders of the window, adds each row's
/// trend, moves the funnel's flow, or nothing (a board of current attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timed {
    /// The query now reads the window's orders.
    Query,
    /// Each listed customer's sales of the window and the one before, beside the row.
    Trend,
    /// The funnel's flow over the window (its stage counts stay today's).
    Flow,
    /// No time on this board.
    None,
}

impl Builtin {
    /// Puts the window on the board's query, and says what it did, `[Chinese, English]`.
    pub(super) fn over(&self, q: &mut Query, w: Window) -> (Timed, [&'static str; 2]) {
        match self.shape {
            Shape::Map | Shape::Rfm => {
                // The count stays: customers are counted as they are now.
                q.measures.truncate(1);
                q.measures.push(w.sales("sales"));
                (
                    Timed::Query,
                    [
                        "销售额为期间内的订单金额之和（替代年采购额）；客户数为当前客户数",
                        "Sales are the orders of the period (instead of annual purchase); customers are counted as they are now",
                    ],
                )
            }
            Shape::Top20 => {
                let span = q.limit.as_ref().map(|l| l.span.clone()).unwrap_or(Span {
                    start: 0,
                    end: 0,
                    text: String::new(),
                });
                let group = |field: &str| GroupBy {
                    field: field.to_owned(),
                    span: span.clone(),
                };
                q.group_by = vec![group("id"), group("name")];
                q.filters.push(Filter::Related(kesou_nlq::RelatedFilter {
                    table: "orders".to_owned(),
                    filters: vec![w.filter(super::period::ORDER_DATE)],
                    count_op: Op::Ge,
                    count: 1.0,
                    total: None,
                    span: None,
                }));
                q.measures = vec![w.sales("sales")];
                q.sort = vec![Sort {
                    field: "sales".to_owned(),
                    descending: true,
                    span: None,
                }];
                (
                    Timed::Query,
                    [
                        "按期间内的订单金额（销售额）排名前20的客户",
                        "The 20 customers with the most orders in the period (sales)",
                    ],
                )
            }
            Shape::Churn => (
                Timed::Trend,
                [
                    "流失风险为当前值；每位客户旁列出期间内与上一个同样长的期间的销售额（订单趋势）",
                    "Churn risk is as of now; each customer shows the sales of the period and of the period before (their trend)",
                ],
            ),
            Shape::Opportunity => (
                Timed::Trend,
                [
                    "购买意向为当前值（未来90天下单的概率）；每位客户旁列出期间内与上一个同样长的期间的销售额",
                    "Purchase propensity is as of now (the chance of an order in the next 90 days); each customer shows the sales of the period and of the period before",
                ],
            ),
            Shape::Funnel => (
                Timed::Flow,
                [
                    "各阶段客户数为当前；新成交与流失按所选期间计算",
                    "Stage counts are as of now; conversions and lapses are counted over the period",
                ],
            ),
            Shape::Matrix => (
                Timed::None,
                [
                    "期间不适用于此看板：它是当前客户属性（大区、行业）的分布，与时间无关",
                    "The period does not apply to this board: it shows customers' current region and industry, which have no date",
                ],
            ),
        }
    }
}
