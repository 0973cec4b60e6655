//! Search examples taken from a store's own data, so the tips `kesou demo` prints and the
//! queries `kesou bench` runs always find something.

use kesou_indexer::text::{Analyzer, trade_name};

/// A customer's trade name (字号) with its pinyin and the initials of its place and trade
/// name, e.g. 欣长, xinchang, jhxc for 金华欣长建材股份有限公司.
#[derive(Debug, Clone)]
pub struct NameExample {
    pub name: String,
    pub trade: String,
    pub pinyin: Option<String>,
    pub initials: Option<String>,
}

pub fn name_example(analyzer: &Analyzer, name: &str) -> Option<NameExample> {
    let trade = trade_name(analyzer.jieba(), name)?;
    let trade_pinyin = analyzer
        .name_pinyin(&trade)
        .into_iter()
        .max_by_key(|p| p.len());
    let tokens = analyzer.name_pinyin(name);
    // the initials token of place + trade name: four letters ending in the trade's initials
    let initials = trade_pinyin.as_ref().and_then(|tp| {
        let trade_initials: String = analyzer
            .name_pinyin(&trade)
            .into_iter()
            .rfind(|t| t.len() == 2)?;
        tokens
            .iter()
            .find(|t| t.len() == 4 && t.ends_with(&trade_initials) && t.as_str() != tp)
            .cloned()
    });
    Some(NameExample {
        name: name.to_owned(),
        trade,
        pinyin: trade_pinyin,
        initials,
    })
}

/// Names of the store's largest customers by annual purchase (deterministic).
pub fn top_names(conn: &duckdb::Connection, n: usize) -> anyhow::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM customers ORDER BY annual_purchase DESC NULLS LAST, id LIMIT ?",
    )?;
    let names = stmt
        .query_map([n as i64], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}
