use kesou_nlq::Schema;
use kesou_query::Filter;
use kesou_query::ask::{CUSTOMERS_TOML, Table as AnswerTable, similar_table};
use kesou_query::lookalike::{Candidates, Lookalike, Similars};

use super::StoreArg;
use super::output;
use super::progress::Bars;

/// Find customers like one customer or like a list of them (找相似客户)
///
/// Give one customer, or several (a list such as "our best customers"); kesou ranks every
/// other customer by how alike they are: industry, region and province, size, purchase
/// band, the products they buy, how they talk to us, their tags and the words of their
/// profile. Each match says why (同为华东 · 同为制造行业 · 主购产品相同（刀具耗材、精密轴承）).
/// Customers are named by id (C0000123) or by company name; --filter narrows the candidates
/// first (only 华东, only 制造 …). The customers you give are never in the answer.
///
/// Examples:
///   kesou similar C0000123
///   kesou similar 苏州恒瑞精密机械有限公司
///   kesou similar --filter region=华东 --k 50 C0000123 C0000456 C0000789
///   kesou similar --filter "annual_purchase>=1000000" --format json C0000123
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct SimilarArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// How many similar customers to show.
    #[arg(long, short = 'k', default_value_t = 20)]
    pub k: usize,
    /// Only customers where FIELD<op>VALUE holds (as in `kesou search`): region, province,
    /// city, industry, size, lifecycle, value_level, tags, owner with = or !=; numbers such
    /// as annual_purchase, employees, order_count with = != > >= < <=. Repeat for more.
    #[arg(long = "filter", short = 'f', value_name = "FIELD=VALUE")]
    pub filters: Vec<Filter>,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// The customers to find others like: ids (C0000123) or company names.
    #[arg(required = true, value_name = "ID|NAME")]
    pub seeds: Vec<String>,
}

pub fn run(args: SimilarArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&args.store.data);
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read)?;
    let lookalike = Lookalike::open(&paths, &conn, &Bars::default())?;
    let candidates = Candidates::from_filters(&args.filters)?;
    let found = lookalike.similar(&conn, &args.seeds, candidates.as_ref(), args.k)?;
    super::audit_local(
        &args.store.data,
        "similar",
        &args.seeds.join(" "),
        "",
        found
            .seeds
            .iter()
            .map(|s| s.id.clone())
            .chain(found.hits.iter().map(|h| h.id.clone()))
            .collect(),
        found.hits.len() as u64,
    );
    let schema = Schema::from_toml(CUSTOMERS_TOML)?;
    let mut fields: Vec<&str> = args.filters.iter().map(|f| f.field.as_str()).collect();
    fields.extend(["region", "province", "industry", "size", "annual_purchase"]);
    let table = similar_table(&conn, &schema, &found, &fields)?;
    if args.format == "json" {
        let mut out = serde_json::to_value(&table)?;
        out["seeds"] = serde_json::to_value(&found.seeds)?;
        out["took_ms"] = serde_json::json!((found.took_ms * 10.0).round() / 10.0);
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print(&found, &table);
    }
    Ok(())
}

fn print(found: &Similars, t: &AnswerTable) {
    let seeds: Vec<String> = found
        .seeds
        .iter()
        .map(|s| format!("{} {}", s.id, s.name))
        .collect();
    println!("customers like {}", seeds.join("、"));
    println!(
        "{} candidates ranked by likeness ({:.1} ms)",
        output::count(found.total),
        found.took_ms
    );
    if t.rows.is_empty() {
        return;
    }
    super::ask::rows_table(t, " · ").print();
}
