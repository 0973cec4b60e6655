use kesou_nlq::{FieldKind, Filter, Piece, Query, Role, Span};
use kesou_query::ask::{Answer, AnswerKind, AskOptions, Asker, Table as AnswerTable};
use kesou_query::semantic::Retrieval;
use serde_json::Value as Json;

use super::StoreArg;
use super::output::{self, Table};
use super::progress::Bars;

/// Ask a question about your customers in plain Chinese or English
///
/// The answer shows how the question was understood on top, so you can check it. kesou
/// understands places (华东, 浙江, 杭州, 长三角, 珠三角), industries (科技类, 制造业, IT),
/// amounts (超百万, 500万以上, 介于30万和120万之间), negation (非制造业, 除了华南以外),
/// time counted back from the data's date (近30天, 去年, 上季度), orders and interactions
/// (去年下过单的, 投诉过的), rankings (价值贡献TOP20, 前10), counts and averages
/// (按省份统计客户数, 各行业平均年采购额). Words that are none of these are searched for in
/// names, descriptions and notes (做新能源电池的). Parts that were not understood are shown,
/// never silently dropped.
///
/// Examples:
///   kesou ask 检索华东地区年采购额超百万的科技类客户
///   kesou ask 近30天咨询≥5次且未成交的客户
///   kesou ask 价值贡献TOP20客户
///   kesou ask 按省份统计客户数
///   kesou ask --all --format json 去年下过单的长三角制造企业
///   kesou ask "tech customers in East China with annual purchase over 1 million"
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct AskArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Show every matching customer, not only the first 20 (a number in the question, such
    /// as TOP20, still applies).
    #[arg(long)]
    pub all: bool,
    /// Also show how each part of the question was read, word by word.
    #[arg(long)]
    pub explain: bool,
    /// The question.
    #[arg(value_name = "问题", required = true)]
    pub question: Vec<String>,
}

pub fn run(args: AskArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    if let Some(server) = super::remote::server_of(&args.store.data) {
        return run_remote(&server, &args);
    }
    let asker = Asker::open(&opts.store(&args.store.data), &Bars::default())?;
    if asker.is_stale() {
        eprintln!("note: an ingest is running; answering from the last committed index");
    }
    let question = args.question.join(" ");
    let options = if args.all {
        AskOptions::all()
    } else {
        AskOptions::default()
    };
    if args.explain && args.format == "table" {
        let (query, pieces) = asker.analyse(&question);
        print_parse(&question, &query, &pieces);
        println!();
    }
    let answer = asker.ask(&question, &options)?;
    let table = &answer.table;
    let customers = table
        .columns
        .iter()
        .position(|c| c.name == "id")
        .map(|i| {
            table
                .rows
                .iter()
                .filter_map(|r| r.get(i).and_then(|v| v.as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    super::audit_local(
        &args.store.data,
        "ask",
        &question,
        &answer.explain,
        customers,
        table.rows.len() as u64,
    );
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print_answer(&answer);
    }
    Ok(())
}

/// `kesou ask` through the server that holds the store (it audits the question). With
/// `--all`, page after page up to the server's bounds.
fn run_remote(server: &kesou_indexer::served::Served, args: &AskArgs) -> anyhow::Result<()> {
    super::remote::note(server);
    if args.explain {
        eprintln!("note: --explain reads the store itself: it shows once the server has stopped");
    }
    let question = args.question.join(" ");
    let page = if args.all { kesou_query::MAX_PAGE } else { 20 };
    let ask = |offset: usize| -> anyhow::Result<Answer> {
        let body = serde_json::json!({"q": question, "limit": page, "offset": offset});
        Ok(serde_json::from_value(super::remote::post(
            server, "/api/ask", &body,
        )?)?)
    };
    let mut answer = ask(0)?;
    while args.all
        && answer.table.kind == AnswerKind::List
        && (answer.table.rows.len() as u64) < answer.table.total
        && answer.table.rows.len() <= kesou_query::MAX_OFFSET
    {
        let more = ask(answer.table.rows.len())?;
        if more.table.rows.is_empty() {
            break;
        }
        answer.table.rows.extend(more.table.rows);
    }
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print_answer(&answer);
    }
    Ok(())
}

/// The explain line, what was not understood and the other readings.
fn print_reading(a: &Answer) {
    println!("understood as: {}", a.explain);
    if a.partial {
        let parts: Vec<String> = a.ignored.iter().map(|w| format!("「{w}」")).collect();
        println!(
            "部分理解：忽略了 {} (partial answer: not understood, left out; ask again with \
             提到… to search a word as text)",
            parts.join(" ")
        );
    }
    for alt in &a.alternatives {
        let others: Vec<&str> = alt.others.iter().map(|o| o.label.as_str()).collect();
        println!(
            "「{}」 could also mean {} (read as the glossary's {})",
            alt.span.text,
            others.join(" or "),
            alt.chosen
        );
    }
}

fn print_answer(a: &Answer) {
    print_reading(a);
    let t = &a.table;
    match t.retrieval {
        Some(Retrieval::Hybrid) => println!("text matched by words + meaning (hybrid)"),
        Some(Retrieval::Bm25) => println!("text matched by words (bm25)"),
        None => {}
    }
    if let Some(note) = &t.retrieval_note {
        println!("note: {note}");
    }
    match t.kind {
        AnswerKind::List => println!(
            "{} customers match (ordered by {})",
            output::count(t.total),
            t.ordered_by
        ),
        AnswerKind::Groups => println!(
            "{} groups (ordered by {})",
            output::count(t.total),
            t.ordered_by
        ),
        AnswerKind::Summary => {}
    }
    if t.rows.is_empty() {
        return;
    }
    rows_table(t, "、").print();
    if (t.rows.len() as u64) < t.total {
        let hint = if a.interpretation.limit.is_none() {
            "; add --all to see every one"
        } else {
            ""
        };
        println!(
            "showing {} of {}{hint}",
            t.rows.len(),
            output::count(t.total)
        );
    }
}

/// A value as people read it: 350.5万, 72%, 活跃、复购客户.
/// An answer's rows as a terminal table, cells formatted by their column's kind; list
/// cells are joined with `list_sep`.
pub(super) fn rows_table(t: &AnswerTable, list_sep: &str) -> Table {
    let mut table = Table::with_header(t.columns.iter().map(|c| c.label.clone()).collect());
    for row in &t.rows {
        table.row_vec(
            row.iter()
                .zip(&t.columns)
                .map(|(v, c)| cell(v, c.kind, list_sep))
                .collect(),
        );
    }
    table
}

fn cell(v: &Json, kind: FieldKind, list_sep: &str) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|i| cell(i, FieldKind::Category, list_sep))
            .collect::<Vec<_>>()
            .join(list_sep),
        Json::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            match kind {
                FieldKind::Money => output::yuan(f),
                FieldKind::Ratio => format!("{:.0}%", f * 100.0),
                _ => output::number(f),
            }
        }
        other => other.to_string(),
    }
}

/// Every part of the parse with the words it came from and their byte range, and how each
/// piece of the question was read.
fn print_parse(question: &str, q: &Query, pieces: &[Piece]) {
    println!("question: {question}");
    let words: Vec<String> = pieces
        .iter()
        .map(|p| match p.role {
            Role::Used => format!("[{}]", p.span.text),
            Role::Glue => p.span.text.clone(),
            Role::Unrecognized => format!("?{}?", p.span.text),
        })
        .collect();
    println!(
        "read as: {}   ([used] glue ?not understood?)",
        words.join(" ")
    );
    let mut t = Table::new(["part", "reading", "from the words", "bytes"]);
    let mut add = |part: &str, reading: String, span: Option<&Span>| {
        let (words, bytes) = span.map_or((String::new(), String::new()), |s| {
            (format!("「{}」", s.text), format!("{}..{}", s.start, s.end))
        });
        t.row([part.to_owned(), reading, words, bytes]);
    };
    for f in &q.filters {
        add("filter", describe(f), f.span());
    }
    for x in &q.text {
        add("text", x.text.clone(), Some(&x.span));
    }
    for g in &q.group_by {
        add("group by", g.field.clone(), Some(&g.span));
    }
    for m in &q.measures {
        let of = match (&m.related, &m.field) {
            (Some(t), Some(f)) => format!(" of {t}.{f}"),
            (Some(t), None) => format!(" of {t}"),
            (None, Some(f)) => format!(" of {f}"),
            (None, None) => String::new(),
        };
        let window: Vec<String> = m.filters.iter().map(describe).collect();
        let of = if window.is_empty() {
            of
        } else {
            format!("{of} where {}", window.join(" and "))
        };
        add("measure", format!("{}{of}", m.agg.name()), Some(&m.span));
    }
    for s in &q.sort {
        let dir = if s.descending {
            "descending"
        } else {
            "ascending"
        };
        add("order by", format!("{} {dir}", s.field), s.span.as_ref());
    }
    if let Some(l) = &q.limit {
        add("limit", l.n.to_string(), Some(&l.span));
    }
    for u in &q.unrecognized {
        add("not understood", String::new(), Some(u));
    }
    for a in &q.alternatives {
        let others: Vec<&str> = a.others.iter().map(|o| o.label.as_str()).collect();
        add(
            "alternative",
            format!("chose {}; also {}", a.chosen, others.join(", ")),
            Some(&a.span),
        );
    }
    t.print();
}

/// A condition tree on one line: region = 华东, any(…), orders[…] count >= 1.
fn describe(f: &Filter) -> String {
    let join = |fs: &[Filter], sep: &str| fs.iter().map(describe).collect::<Vec<_>>().join(sep);
    match f {
        Filter::Field(c) => match c.op {
            kesou_nlq::Op::IsNull | kesou_nlq::Op::NotNull => {
                format!("{}{}", c.field, c.op.symbol())
            }
            op => format!("{} {} {}", c.field, op.symbol().trim(), c.value),
        },
        Filter::Any { any, .. } => format!("any({})", join(any, " | ")),
        Filter::All { all, .. } => format!("all({})", join(all, " & ")),
        Filter::Not { not, .. } => format!("not({})", describe(not)),
        Filter::Related(r) => format!(
            "{}[{}] {} {} {}",
            r.table,
            join(&r.filters, " & "),
            r.total.as_ref().map_or_else(
                || "count".to_owned(),
                |t| format!("{}({})", t.agg.name(), t.field)
            ),
            r.count_op.symbol().trim(),
            kesou_nlq::format_number(r.count)
        ),
    }
}
