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

use kesou_nlq::{Agg, Filter, GroupBy, Limit, Measure, Op, Query, Schema, Sort, Span, Value};
use serde::Serialize;

use super::ChartKind;

/// A built-in dashboard: its stable name, titles and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Builtin {
    /// The stable name embed URLs use: `map`, `top20`, `churn`, `funnel`, `rfm`, `matrix`.
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
];

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
            Shape::Matrix => {
                q.group_by = vec![group("region"), group("industry")];
                q.measures = vec![count];
                q.sort = vec![sort("region", false), sort("industry", false)];
            }
        }
        q
    }
}
