//! `kesou churn`: 流失风险预警, the customers most likely to stop buying with the reasons,
//! or given ids, each customer's risk as its profile shows it.

use kesou_models::churn::{self, AtRisk};

use super::StoreArg;
use super::output::{Table, count, yuan};

/// Show 流失风险预警: customers buying now who are likely to stop, riskiest first, with why.
///
/// The risk is the chance that a customer with an order in the last 180 days places none in
/// the next 180 (becomes 流失): 高 ≥ 0.7, 中 0.4–0.7, 低 < 0.4. Train the model first with
/// `kesou train churn`; every `kesou ingest` then scores new data. Give customer ids to see
/// their risk and reasons.
///
/// Examples:
///   kesou churn --data kesou-data
///   kesou churn --data kesou-data --min-risk 0.4 --limit 50
///   kesou churn --data kesou-data C0000123
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Customer ids to show (default: the riskiest customers).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Only customers with at least this risk (0.7 = 流失风险高).
    #[arg(long, default_value_t = 0.7)]
    pub min_risk: f64,
    /// How many customers to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

pub fn run(args: ChurnArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&args.store.data);
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read)?;
    if !churn::has_scores(&conn)? {
        anyhow::bail!(super::user(format!(
            "{} has no churn risks yet; train the model with `kesou train churn --data {}`",
            paths.root.display(),
            paths.root.display()
        )));
    }
    if !args.ids.is_empty() {
        let mut found = Vec::new();
        for id in &args.ids {
            found.push((id.clone(), churn::customer(&conn, id)?));
        }
        if args.format == "json" {
            let out: Vec<_> = found
                .iter()
                .map(|(id, c)| serde_json::json!({ "id": id, "churn": c }))
                .collect();
            println!("{}", serde_json::to_string_pretty(&out)?);
            return Ok(());
        }
        for (id, c) in &found {
            match c {
                Some(c) => {
                    println!(
                        "{} {} · 流失风险 {}（{}）· {} · 最近下单 {}",
                        c.id,
                        c.name,
                        percent(c.churn_risk),
                        c.band,
                        c.lifecycle.as_deref().unwrap_or("-"),
                        c.last_order_date.as_deref().unwrap_or("-")
                    );
                    for f in &c.churn_factors {
                        println!("  · {f}");
                    }
                }
                None => println!(
                    "{id}: no churn risk (no such customer, or not buying now: no order in the last 180 days)"
                ),
            }
        }
        return Ok(());
    }
    let (total, rows) = churn::warnings(&conn, args.min_risk, args.limit)?;
    if args.format == "json" {
        let out = serde_json::json!({ "min_risk": args.min_risk, "total": total, "rows": rows });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "流失风险预警: {} customers with churn risk ≥ {:.0}% (riskiest first)",
        count(total as u64),
        100.0 * args.min_risk
    );
    print_table(&rows);
    if rows.len() < total {
        println!("showing {} of {}", rows.len(), count(total as u64));
    }
    Ok(())
}

fn print_table(rows: &[AtRisk]) {
    let mut t = Table::new([
        "客户编号",
        "企业名称",
        "流失风险",
        "风险因素",
        "生命周期",
        "行业",
        "大区",
        "年采购额",
        "负责销售",
    ]);
    for c in rows {
        t.row([
            c.id.clone(),
            c.name.clone(),
            percent(c.churn_risk),
            c.churn_factors.join(" · "),
            c.lifecycle.clone().unwrap_or_default(),
            c.industry.clone().unwrap_or_default(),
            c.region.clone().unwrap_or_default(),
            c.annual_purchase.map(yuan).unwrap_or_default(),
            c.owner.clone().unwrap_or_default(),
        ]);
    }
    t.print();
}

/// A risk in whole percent, rounded down so that it never shows the next band's number
/// (0.6996 is 69%, 中, not 70%).
fn percent(risk: f64) -> String {
    format!("{}%", (risk * 100.0 + 1e-9).floor())
}
