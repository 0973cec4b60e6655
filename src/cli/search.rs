use std::sync::Arc;

use kesou_indexer::StorePaths;
use kesou_query::semantic::{Field, Retrieval, Semantic};
use kesou_query::{Filter, SearchRequest, SearchResults, Searcher};

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
    /// total_purchase, registered_capital, churn_risk, employees, order_count, consult_30d).
    #[arg(long = "filter", short = 'f', value_name = "FIELD=VALUE")]
    pub filters: Vec<Filter>,
    /// Count matches by these fields: region (with provinces and cities), industry, size,
    /// lifecycle, value_level, tags, owner.
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

pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    let paths = StorePaths::new(&args.store.data);
    let reader = kesou_indexer::open_for_reading(&paths, &Bars::default())?;
    if reader.stale {
        eprintln!("note: an ingest is running; answering from the last committed index");
    }
    let semantic = Semantic::open(&paths, &reader.conn)?.map(Arc::new);
    let searcher = Searcher::new(reader.index)?.with_semantic(semantic);
    let input = std::iter::once(args.text.clone())
        .chain(args.filters.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join(" ");
    let req = SearchRequest {
        text: args.text,
        filters: args.filters,
        facets: args.facets,
        limit: args.limit,
        offset: args.offset,
        scope: None,
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
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print_table(&results);
    }
    Ok(())
}

fn print_table(r: &SearchResults) {
    let retrieval = match r.retrieval {
        Some(Retrieval::Hybrid) => ", words + meaning (hybrid)",
        Some(Retrieval::Bm25) => ", words (bm25)",
        None => "",
    };
    println!(
        "{} customers match (ordered by {}{retrieval}, {:.1} ms)",
        output::count(r.total as u64),
        r.order,
        r.took_ms
    );
    if let Some(note) = &r.retrieval_note {
        println!("note: {note}");
    }
    if r.hits.is_empty() {
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
    for h in &r.hits {
        let name = h
            .highlights
            .iter()
            .find(|x| x.field == "name")
            .map(|x| x.bracketed())
            .unwrap_or_else(|| h.name.clone());
        let place = [h.province.as_deref(), h.city.as_deref()]
            .into_iter()
            .flatten()
            .fold(String::new(), |acc, p| {
                if acc.is_empty() || acc == p {
                    p.to_owned()
                } else {
                    format!("{acc} {p}")
                }
            });
        let by_meaning = h.hybrid.as_ref().and_then(|m| {
            let field = match m.field? {
                Field::Description => "description",
                Field::Notes => "notes",
            };
            Some(format!("meaning: {field} ({:.0}%)", m.similarity? * 100.0))
        });
        let matched = h
            .highlights
            .iter()
            .find(|x| x.field != "name")
            .map(|x| format!("{}: {}", x.field, x.bracketed()))
            .or(by_meaning)
            .unwrap_or_default();
        t.row([
            h.id.clone(),
            name,
            place,
            h.industry.clone().unwrap_or_default(),
            h.lifecycle.clone().unwrap_or_default(),
            h.value_level.clone().unwrap_or_default(),
            h.annual_purchase.map(output::yuan).unwrap_or_default(),
            matched,
        ]);
    }
    t.print();
    for f in &r.facets {
        let values: Vec<String> = f
            .values
            .iter()
            .map(|v| {
                if v.children.is_empty() {
                    format!("{} {}", v.value, v.count)
                } else {
                    let top: Vec<String> = v
                        .children
                        .iter()
                        .take(3)
                        .map(|c| format!("{} {}", c.value, c.count))
                        .collect();
                    format!("{} {} ({})", v.value, v.count, top.join(", "))
                }
            })
            .collect();
        println!("{}: {}", f.field, values.join(" · "));
    }
}
