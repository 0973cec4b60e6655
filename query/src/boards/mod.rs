//! Dashboards: named structured queries run through [`Asker::run`], so a board is a
//! [`kesou_nlq::Query`] and never SQL of its own. Six are built in ([`BUILTIN`]: `map`,
//! `top20`, `churn`, `funnel`, `rfm`, `matrix`); people add their own as reports
//! ([`ReportSpec`], saved in the store) which list beside them.
//!
//! Fixed filters (an embed token's `region=华东`, later a role's rows) are
//! [`kesou_nlq::Filter`]s ANDed into any board's query; [`parse_filter`] reads them from
//! `FIELD=VALUE` strings. A board answers with its titles, a chart kind, the [`Answer`]
//! (rows, explain line) and, when there is one, a note for people. The filter bar's
//! period reaches every board through [`board_over`] (`period.rs`: what it does on each,
//! or that it does not apply); reports may have a date range of their own. Combined
//! dashboards (`combos.rs`) put several boards on one page.

mod builtin;
mod combos;
mod flow;
mod overview;
mod owned;
mod period;
mod reports;

#[cfg(test)]
mod tests;

use builtin::Timed;
use kesou_domain::Lifecycle;
use kesou_nlq::{Agg, FieldKind, Filter, GroupBy, Measure, Op, Query, Span, Value};
use serde::Serialize;
use serde_json::{Value as Json, json};

pub use crate::filters::{filterable, parse_filter, parse_filters};
pub use builtin::{BUILTIN, Builtin, builtin};
pub use combos::{
    COMBOS_TABLE, ComboSpec, MAX_BOARDS, SavedCombo, delete_combo, save_combo, saved_combo,
    saved_combos,
};
pub use flow::{Flow, Step, flow};
pub use overview::{Kpi, Overview, PERIODS, YEAR, ask_link, overview};
pub use period::{BoardPeriod, DateRange, MAX_DAYS, ORDER_DATE, Range, Window, check_period};
pub use reports::{
    Author, MAX_NAME_CHARS, MAX_TITLE_CHARS, MeasureSpec, REPORTS_TABLE, ReportSpec, SavedReport,
    delete_report, save_report, saved_report, saved_reports,
};

use crate::ask::{Answer, AnswerKind, AskOptions, Asker, Column, Table};
use crate::{Error, Result};

/// How a board is best drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Values per province, on a (tile-grid) map of China.
    Map,
    Bar,
    /// Stages in order, each a count.
    Funnel,
    /// Two group fields and a measure: rows × columns.
    Matrix,
    Table,
}

/// A board as listed: what it is, without running it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardInfo {
    /// Stable: embed URLs and `GET /api/boards/{name}` use it.
    pub name: String,
    pub title: String,
    /// The English title (a saved report's own title when it has none).
    pub title_en: String,
    pub chart: ChartKind,
    /// Built in (`true`) or a saved report (`false`).
    pub builtin: bool,
    /// One line on what it shows: a built-in's description, a report's explain line.
    pub description: String,
}

/// A board, run.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    #[serde(flatten)]
    pub info: BoardInfo,
    /// Something people should know about the rows, e.g. that churn risk was never computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The filter bar's period, when one was asked for: what it does on this board, or that
    /// it does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<BoardPeriod>,
    /// A report's date range, with its words for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<ShownRange>,
    /// The query's answer: `interpretation`, `explain`, `kind`, `columns`, `rows`, `total` …
    #[serde(flatten)]
    pub answer: Answer,
}

/// A report's date range as a board shows it: the range and its words, `[Chinese,
/// English]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownRange {
    #[serde(flatten)]
    pub range: Range,
    pub words: [String; 2],
}

/// The RFM board's group of the customers without orders (no RFM score).
pub const NO_ORDERS_SEGMENT: &str = "无订单（潜在/意向）";

/// The note of the churn board while no customer has a churn risk.
pub const CHURN_NOT_COMPUTED: &str = "流失风险尚未计算（每个客户的流失风险都为空），所以这里没有客户。\
     计算方法：kesou train churn --data STORE（STORE 为数据目录），完成后刷新本页。\
     Churn risk has not been computed yet: run `kesou train churn --data STORE`.";

/// The note of the opportunity board while no customer has a purchase propensity.
pub const PROPENSITY_NOT_COMPUTED: &str = "购买意向尚未计算（每个客户的购买意向都为空），下面的客户没有排序依据。\
     计算方法：kesou train opportunity --data STORE（STORE 为数据目录），完成后刷新本页。\
     Purchase propensity has not been computed yet: run `kesou train opportunity --data STORE`.";

/// The built-in boards, then the saved reports (by name).
pub fn boards(asker: &Asker) -> Result<Vec<BoardInfo>> {
    let mut out: Vec<BoardInfo> = BUILTIN.iter().map(Builtin::info).collect();
    for r in saved_reports(asker)? {
        // A report the store no longer answers (a field gone) is listed with the reason.
        out.push(report_info(asker, &r.spec).unwrap_or_else(|e| BoardInfo {
            name: r.name.clone(),
            title: r.title.clone(),
            title_en: r.title.clone(),
            chart: ChartKind::Table,
            builtin: false,
            description: e.to_string(),
        }));
    }
    Ok(out)
}

/// Runs the board of that name (built in, else a saved report) with fixed filters ANDed
/// into its query. Paging and sorting options apply as to any answer. An unknown name is
/// [`Error::NotFound`].
pub fn board(asker: &Asker, name: &str, fixed: &[Filter], options: &AskOptions) -> Result<Board> {
    board_over(asker, name, fixed, options, None)
}

/// [`board`] over the filter bar's period: the last `period` days (30, 90 or 365) up to
/// as_of where the board has time, and a board that says so where it has none.
pub fn board_over(
    asker: &Asker,
    name: &str,
    fixed: &[Filter],
    options: &AskOptions,
    period: Option<u64>,
) -> Result<Board> {
    let period = period.map(check_period).transpose()?;
    if let Some(b) = builtin(name) {
        return run_builtin(asker, b, fixed, options, period);
    }
    match saved_report(asker, name)? {
        Some(r) => report_over(asker, &r.spec, fixed, options, period),
        None => {
            let mut names: Vec<String> = BUILTIN.iter().map(|b| b.name.to_owned()).collect();
            names.extend(saved_reports(asker)?.into_iter().map(|r| r.name));
            Err(Error::NotFound(format!(
                "no board is named {name:?}; boards are {}",
                names.join(", ")
            )))
        }
    }
}

/// Runs a report without saving it (its name is checked only when saved).
pub fn preview_report(
    asker: &Asker,
    spec: &ReportSpec,
    fixed: &[Filter],
    options: &AskOptions,
) -> Result<Board> {
    let info = report_info(asker, spec)?;
    let mut query = spec.query(asker)?;
    query.filters.extend(fixed.iter().cloned());
    let answer = run(asker, &query, options)?;
    let range = spec.range(asker)?.map(|range| ShownRange {
        words: range.words(),
        range,
    });
    Ok(Board {
        info,
        note: None,
        period: None,
        range,
        answer,
    })
}

/// A saved report over a period: the period is its range of order dates, unless it has a
/// date range of its own, which it keeps (and says the period does not apply).
fn report_over(
    asker: &Asker,
    spec: &ReportSpec,
    fixed: &[Filter],
    options: &AskOptions,
    period: Option<u64>,
) -> Result<Board> {
    let Some(days) = period else {
        return preview_report(asker, spec, fixed, options);
    };
    let window = Window::last(asker.as_of(), days);
    if let Some(own) = spec.range(asker)? {
        let [zh, en] = own.words();
        let mut board = preview_report(asker, spec, fixed, options)?;
        board.period = Some(BoardPeriod::new(
            days,
            window,
            false,
            [
                format!("期间不适用于此报表：它有自己的日期范围（{zh}）"),
                format!(
                    "The period does not apply to this report: it has its own date range ({en})"
                ),
            ],
        ));
        return Ok(board);
    }
    let mut timed = spec.clone();
    timed.range = Some(DateRange::last(days));
    let mut board = preview_report(asker, &timed, fixed, options)?;
    board.period = Some(BoardPeriod::new(
        days,
        window,
        true,
        [
            "期间用作报表的订单日期范围：只计期间内有订单的客户".to_owned(),
            "The period is the report's range of order dates: only customers with an order in it count".to_owned(),
        ],
    ));
    Ok(board)
}

impl Builtin {
    pub fn info(&self) -> BoardInfo {
        BoardInfo {
            name: self.name.to_owned(),
            title: self.title.to_owned(),
            title_en: self.title_en.to_owned(),
            chart: self.chart,
            builtin: true,
            description: self.description.to_owned(),
        }
    }
}

fn run_builtin(
    asker: &Asker,
    b: &Builtin,
    fixed: &[Filter],
    options: &AskOptions,
    period: Option<u64>,
) -> Result<Board> {
    let schema = asker.schema();
    let mut query = b.query(schema);
    let missing: Vec<&str> = fields(&query)
        .into_iter()
        .filter(|f| schema.field(f).is_none())
        .collect();
    if !missing.is_empty() {
        // A store loaded by an older kesou (before RFM): say so instead of failing.
        let note = format!(
            "这个数据目录没有 {} 字段（由较早版本的 kesou 导入），所以这里没有数据。\
             用当前版本重新导入即可：kesou ingest --data STORE 源文件。\
             The store has no {} column (loaded by an older kesou): load it again with \
             `kesou ingest --data STORE FILES`.",
            missing.join("、"),
            missing.join(", ")
        );
        let table = Table {
            kind: if query.is_summary() {
                AnswerKind::Groups
            } else {
                AnswerKind::List
            },
            ..Table::default()
        };
        let answer = Answer::new(query, schema, table);
        return Ok(Board {
            info: b.info(),
            note: Some(note),
            period: None,
            range: None,
            answer,
        });
    }
    let timed = period.map(|days| {
        let window = Window::last(asker.as_of(), days);
        let (timed, how) = b.over(&mut query, window);
        (days, window, timed, how)
    });
    query.filters.extend(fixed.iter().cloned());
    let mut answer = run(asker, &query, options)?;
    if b.name == "churn" {
        with_reasons(
            asker,
            &mut answer,
            "churn_risk",
            &[("churn_factors", "主要原因")],
        )?;
    }
    if b.name == "opportunity" {
        with_reasons(
            asker,
            &mut answer,
            "purchase_propensity",
            &[
                ("propensity_reasons", "购买原因"),
                ("propensity_reasons_en", "Reasons"),
            ],
        )?;
    }
    if let Some((_, window, Timed::Trend, _)) = timed {
        with_trend(asker, &mut answer, window, options)?;
    }
    if b.name == "rfm" {
        // Customers without orders have no RFM score: they are 潜在 or 意向, and say so.
        for row in &mut answer.table.rows {
            if row.first().is_some_and(Json::is_null) {
                row[0] = json!(NO_ORDERS_SEGMENT);
            }
        }
    }
    let note = if b.name == "churn" && answer.table.total == 0 && !computed(asker, "churn_risk")? {
        Some(CHURN_NOT_COMPUTED.to_owned())
    } else if b.name == "opportunity" && !computed(asker, "purchase_propensity")? {
        Some(PROPENSITY_NOT_COMPUTED.to_owned())
    } else {
        None
    };
    Ok(Board {
        info: b.info(),
        note,
        period: timed.map(|(days, window, timed, how)| {
            BoardPeriod::new(days, window, timed != Timed::None, how.map(str::to_owned))
        }),
        range: None,
        answer,
    })
}

/// The churn board's rows with each customer's sales of the window and of the window
/// before (their trend), one grouped query over the rows shown, within the caller's rows.
fn with_trend(
    asker: &Asker,
    answer: &mut Answer,
    window: Window,
    options: &AskOptions,
) -> Result<()> {
    let t = &mut answer.table;
    let Some(id_at) = t.columns.iter().position(|c| c.name == "id") else {
        return Ok(());
    };
    let ids: Vec<Value> = t
        .rows
        .iter()
        .filter_map(|r| r.get(id_at).and_then(Json::as_str))
        .map(|id| Value::Str(id.to_owned()))
        .collect();
    let measures = vec![window.sales("sales"), window.before().sales("sales_prev")];
    let mut columns: Vec<Column> = measures
        .iter()
        .map(|m| Column {
            name: m.name.clone(),
            label: m.label.clone().unwrap_or_default(),
            kind: FieldKind::Money,
        })
        .collect();
    let mut sales: std::collections::HashMap<String, Vec<Json>> = Default::default();
    if !ids.is_empty() {
        let span = Span {
            start: 0,
            end: 0,
            text: String::new(),
        };
        let n = ids.len();
        let q = Query {
            table: asker.schema().table.clone(),
            filters: vec![Filter::field("id", Op::In, Value::List(ids), None)],
            group_by: vec![GroupBy {
                field: "id".to_owned(),
                span,
            }],
            measures,
            ..Query::default()
        };
        let whole = AskOptions {
            default_limit: n,
            scope: options.scope.clone(),
            ..AskOptions::default()
        };
        let got = asker.run(&q, &whole)?;
        for (c, from) in columns.iter_mut().zip(got.table.columns.iter().skip(1)) {
            c.label.clone_from(&from.label);
        }
        for row in got.table.rows {
            if let Some(id) = row.first().and_then(Json::as_str) {
                sales.insert(id.to_owned(), row[1..].to_vec());
            }
        }
    }
    // Beside the risk and its reasons, where a manager reads the row.
    let at = ["churn_factors", "churn_risk"]
        .iter()
        .find_map(|n| t.columns.iter().position(|c| c.name == *n))
        .map_or(t.columns.len(), |i| i + 1);
    let width = columns.len();
    t.columns.splice(at..at, columns);
    for row in &mut t.rows {
        let id = row.get(id_at).and_then(Json::as_str).unwrap_or_default();
        let cells = sales.remove(id).unwrap_or_else(|| vec![json!(0); width]);
        let end = at.min(row.len());
        row.splice(end..end, cells);
    }
    Ok(())
}

/// Runs a board's query; a funnel (grouped by lifecycle alone) comes in stage order with
/// every stage, an empty one as 0.
fn run(asker: &Asker, query: &Query, options: &AskOptions) -> Result<Answer> {
    let mut answer = asker.run(query, options)?;
    let whole = options.offset == 0 && options.page_size.is_none() && options.sort.is_none();
    if whole && is_funnel(query) {
        stage_order(&mut answer);
    }
    Ok(answer)
}

/// The main-table fields a board's query names.
fn fields(query: &Query) -> Vec<&str> {
    let mut out: Vec<&str> = query.filters.iter().flat_map(|f| f.fields()).collect();
    out.extend(query.group_by.iter().map(|g| g.field.as_str()));
    out.extend(query.measures.iter().filter_map(|m| m.field.as_deref()));
    out.extend(query.sort.iter().map(|s| s.field.as_str()));
    out
}

fn is_funnel(query: &Query) -> bool {
    query.group_by.len() == 1 && query.group_by[0].field == "lifecycle" && query.limit.is_none()
}

/// Rows in the order 潜在 意向 成交 忠诚 流失, missing stages as zero measures, a row of no
/// stage last.
fn stage_order(answer: &mut Answer) {
    let t = &mut answer.table;
    if t.kind != AnswerKind::Groups {
        return;
    }
    let width = t.columns.len();
    let mut rows = Vec::with_capacity(Lifecycle::ALL.len() + 1);
    for stage in Lifecycle::ALL {
        let at = t.rows.iter().position(|r| r[0] == json!(stage.zh()));
        rows.push(match at {
            Some(i) => t.rows.swap_remove(i),
            None => {
                let mut row = vec![json!(stage.zh())];
                row.extend((1..width).map(|_| json!(0)));
                row
            }
        });
    }
    rows.append(&mut t.rows);
    t.total = rows.len() as u64;
    t.rows = rows;
    t.ordered_by = "生命周期阶段".to_owned();
}

/// A scored board's rows with each customer's reasons beside the score (`churn_factors`,
/// `propensity_reasons`: the model's words, strongest first, written with the scores), read
/// for the rows shown only, so within the caller's scope. A reasons column the caller's
/// field rules do not let them see the score of is left out with it; a store scored before
/// reasons were kept has none to show: no column.
fn with_reasons(
    asker: &Asker,
    answer: &mut Answer,
    score: &str,
    columns: &[(&str, &str)],
) -> Result<()> {
    for (column, label) in columns.iter().rev() {
        reasons_column(asker, answer, score, column, label)?;
    }
    Ok(())
}

fn reasons_column(
    asker: &Asker,
    answer: &mut Answer,
    score: &str,
    column: &str,
    label: &str,
) -> Result<()> {
    let t = &mut answer.table;
    let Some(id_at) = t.columns.iter().position(|c| c.name == "id") else {
        return Ok(());
    };
    // The score is shown only to those who may see it: its reasons go with it.
    let Some(at) = t.columns.iter().position(|c| c.name == score) else {
        return Ok(());
    };
    let at = at + 1;
    let conn = asker.connection();
    let has_column: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.columns \
         WHERE table_name = 'customers' AND column_name = ?",
        [column],
        |r| r.get(0),
    )?;
    if has_column == 0 {
        return Ok(());
    }
    let ids: Vec<String> = t
        .rows
        .iter()
        .filter_map(|r| r.get(id_at).and_then(Json::as_str).map(str::to_owned))
        .collect();
    let mut reasons: std::collections::HashMap<String, Vec<String>> = Default::default();
    if !ids.is_empty() {
        // `column` is one of the fixed names above, never user input.
        let sql = format!(
            "SELECT id, array_to_string({column}, chr(31)) FROM customers WHERE id IN ({})",
            vec!["?"; ids.len()].join(", ")
        );
        let mut stmt = conn.prepare(&sql)?;
        let found = stmt.query_map(duckdb::params_from_iter(ids.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        for row in found {
            let (id, words) = row?;
            let words = words
                .map(|w| {
                    w.split('\u{1f}')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            reasons.insert(id, words);
        }
    }
    t.columns.insert(
        at,
        Column {
            name: column.to_owned(),
            label: label.to_owned(),
            kind: FieldKind::Tags,
        },
    );
    for row in &mut t.rows {
        let id = row.get(id_at).and_then(Json::as_str).unwrap_or_default();
        let words = reasons.remove(id).unwrap_or_default();
        row.insert(at, json!(words));
    }
    Ok(())
}

/// Whether any customer has a value of `score` (one count over the column, unfiltered).
fn computed(asker: &Asker, score: &str) -> Result<bool> {
    let query = Query {
        table: asker.schema().table.clone(),
        measures: vec![Measure::new(
            Agg::Count,
            Some(score),
            Span {
                start: 0,
                end: 0,
                text: String::new(),
            },
        )],
        ..Query::default()
    };
    let answer = asker.run(&query, &AskOptions::default())?;
    Ok(answer
        .table
        .rows
        .first()
        .and_then(|r| r.first())
        .and_then(Json::as_u64)
        .is_some_and(|n| n > 0))
}

/// A report's listing: its titles, the chart its query suits, its explain line.
fn report_info(asker: &Asker, spec: &ReportSpec) -> Result<BoardInfo> {
    let query = spec.query(asker)?;
    Ok(BoardInfo {
        name: spec.name.clone(),
        title: spec.shown_title().to_owned(),
        title_en: spec.shown_title().to_owned(),
        chart: chart_of(&query),
        builtin: false,
        description: kesou_nlq::explain(&query, asker.schema()),
    })
}

/// The chart a query suits: two groups a matrix, provinces a map, lifecycle a funnel, other
/// groups bars, lists and summaries a table.
pub fn chart_of(query: &Query) -> ChartKind {
    match query.group_by.as_slice() {
        [_, _, ..] => ChartKind::Matrix,
        [g] if g.field == "province" => ChartKind::Map,
        [g] if g.field == "lifecycle" => ChartKind::Funnel,
        [_] => ChartKind::Bar,
        [] => ChartKind::Table,
    }
}
