use std::sync::Arc;

use kesou_query::semantic::Semantic;
use kesou_query::{Filter, SearchRequest, Searcher};
use serde_json::Value as Json;

use super::StoreArg;
use super::output::{self, Table};
use super::progress::Bars;

/// Finds customers by name, description, tags and interaction notes.
///
/// Chinese-aware: traditional and simplified characters match each other (華為 finds 华为),
/// pinyin and initials find names (huawei, hwkj), legal forms are optional (建设银行 finds
/// 中国建设银行股份有限公司), words separated by spaces must all match (招商 公司).
/// With a model set by `kesou embed`, customers near the text in meaning are found too
/// (retrieval: hybrid).
///
/// Examples:
///   kesou search 恒瑞精密
///   kesou search --filter region=华东 --filter industry=科技 --facets region,lifecycle 新能源
///   kesou search --filter "annual_purchase>=1000000" --format json 投诉
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct SearchArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Only customers where FIELD<op>VALUE holds; repeat for more. Categories take = or !=
    /// (region, province, city, industry, size, lifecycle, value_level, tags, owner; several
    /// values with commas mean any of them); numbers take = != > >= < <= (annual_purchase,
    /// total_purchase, registered_capital, churn_risk, purchase_propensity, employees,
    /// order_count, consult_30d);
    /// a category field of the store's own takes = or != too (客户来源=展会).
    #[arg(long = "filter", short = 'f', value_name = "FIELD=VALUE")]
    pub filters: Vec<String>,
    /// Count matches by these fields: region (with provinces and cities), industry, size,
    /// lifecycle, value_level, tags, owner, and the store's own category fields (客户来源).
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub facets: Vec<String>,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// How many customers to show.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Skip this many (for paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// The words to search for (may be empty when filters are given).
    #[arg(value_name = "TEXT", default_value = "")]
    pub text: String,
}

pub fn run(args: SearchArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    if let Some(server) = super::remote::server_of(&args.store.data) {
        super::remote::note(&server);
        let body = serde_json::json!({
            "q": args.text,
            "filters": args.filters,
            "facets": args.facets,
            "limit": args.limit,
            "offset": args.offset,
        });
        let results = super::remote::post(&server, "/api/search", &body)?;
        return print(&results, &args.format);
    }
    let paths = opts.store(&args.store.data);
    let reader = kesou_indexer::open_for_reading(&paths, &Bars::default())?;
    if reader.stale {
        eprintln!("note: an ingest is running; answering from the last committed index");
    }
    let semantic = Semantic::open(&paths, &reader.conn)?.map(Arc::new);
    // Filters and facets read as the server reads them: against the store's fields, its
    // own included.
    let schema = kesou_query::ask::customer_schema(&reader.conn)?;
    let typed = kesou_query::parse_filters(&schema, &args.filters)?;
    let filters = typed
        .iter()
        .map(|f| Filter::from_question_in(&schema, f))
        .collect::<Result<Vec<_>, _>>()?;
    let facets = kesou_query::facets::resolve(&schema, &args.facets)?;
    let searcher = Searcher::new(reader.index)?.with_semantic(semantic);
    let input = std::iter::once(args.text.clone())
        .chain(args.filters.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let req = SearchRequest {
        text: args.text,
        filters,
        facets,
        limit: args.limit,
        offset: args.offset,
        scope: None,
        hide_custom_text: false,
    };
    let results = searcher.search(&req)?;
    super::audit_local(
        &args.store.data,
        "search",
        input.trim(),
        "",
        results.hits.iter().map(|h| h.id.clone()).collect(),
        results.hits.len() as u64,
    );
    print(&serde_json::to_value(&results)?, &args.format)
}

/// Prints search results (as the API gives them) for people or programs.
fn print(results: &Json, format: &str) -> anyhow::Result<()> {
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(results)?);
    } else {
        print_table(results);
    }
    Ok(())
}

fn print_table(r: &Json) {
    let text = |v: &Json| v.as_str().unwrap_or_default().to_owned();
    let retrieval = match r["retrieval"].as_str() {
        Some("hybrid") => ", words + meaning (hybrid)",
        Some("bm25") => ", words (bm25)",
        _ => "",
    };
    println!(
        "{} customers match (ordered by {}{retrieval}, {:.1} ms)",
        output::count(r["total"].as_u64().unwrap_or(0)),
        text(&r["order"]),
        r["took_ms"].as_f64().unwrap_or(0.0)
    );
    if let Some(note) = r["retrieval_note"].as_str() {
        println!("note: {note}");
    }
    let hits = r["hits"].as_array().map(Vec::as_slice).unwrap_or_default();
    if hits.is_empty() {
        return;
    }
    let mut t = Table::new([
        "id",
        "name",
        "where",
        "industry",
        "lifecycle",
        "value",
        "年采购额",
        "matched",
    ]);
    for h in hits {
        let highlights = h["highlights"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let name = highlights
            .iter()
            .find(|x| x["field"] == "name")
            .map(bracketed)
            .unwrap_or_else(|| text(&h["name"]));
        let place = [h["province"].as_str(), h["city"].as_str()]
            .into_iter()
            .flatten()
            .fold(String::new(), |acc, p| {
                if acc.is_empty() || acc == p {
                    p.to_owned()
                } else {
                    format!("{acc} {p}")
                }
            });
        let by_meaning = h["hybrid"]["field"].as_str().and_then(|field| {
            let similarity = h["hybrid"]["similarity"].as_f64()?;
            Some(format!("meaning: {field} ({:.0}%)", similarity * 100.0))
        });
        let matched = highlights
            .iter()
            .find(|x| x["field"] != "name")
            .map(|x| format!("{}: {}", text(&x["field"]), bracketed(x)))
            .or(by_meaning)
            .unwrap_or_default();
        t.row([
            text(&h["id"]),
            name,
            place,
            text(&h["industry"]),
            text(&h["lifecycle"]),
            text(&h["value_level"]),
            h["annual_purchase"]
                .as_f64()
                .map(output::yuan)
                .unwrap_or_default(),
            matched,
        ]);
    }
    t.print();
    for f in r["facets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let count =
            |v: &Json| format!("{} {}", text(&v["value"]), v["count"].as_u64().unwrap_or(0));
        let values: Vec<String> = f["values"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|v| match v["children"].as_array() {
                Some(children) if !children.is_empty() => {
                    let top: Vec<String> = children.iter().take(3).map(count).collect();
                    format!("{} ({})", count(v), top.join(", "))
                }
                _ => count(v),
            })
            .collect();
        println!("{}: {}", text(&f["field"]), values.join(" · "));
    }
}

/// A highlight (as JSON) with its matches in 【】 brackets.
fn bracketed(h: &Json) -> String {
    let ranges: Vec<(usize, usize)> =
        serde_json::from_value(h["ranges"].clone()).unwrap_or_default();
    kesou_query::bracketed(h["fragment"].as_str().unwrap_or_default(), &ranges)
}
