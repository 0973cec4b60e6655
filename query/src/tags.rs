//! Tag rules: managers decide tags in their own words. A rules file maps a condition, read by
//! the question parser, to a tag: `"近30天咨询≥5次且未成交" = "高意向待转化"`. A rule that is not
//! fully understood, or that asks for anything but conditions (free text, a ranking, a count),
//! is rejected with the reason and nothing is applied. Applying runs in one store generation:
//! the tags of the rules are taken off every customer and put back where a rule holds, and the
//! index catches up with the customers whose tags changed. The rules are kept in the store
//! (`tag-rules.toml`) and ingest applies them again.

use std::path::Path;

use kesou_indexer::store::{self, RULE_TAGS};
use kesou_indexer::{Progress, StorePaths, SyncReport};
use kesou_nlq::{Parser, Query, explain};

use crate::ask::customer_schema;
use crate::ask::sql::SqlBuilder;
use crate::{Error, Result};

/// One rule: a condition in a manager's words and the tag it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRule {
    pub condition: String,
    pub tag: String,
}

/// What one rule did.
#[derive(Debug, Clone)]
pub struct RuleReport {
    pub condition: String,
    pub tag: String,
    /// How the condition was read (the explain line of `kesou ask`).
    pub reading: String,
    pub customers: usize,
}

#[derive(Debug, Clone)]
pub struct TagReport {
    pub rules: Vec<RuleReport>,
    /// Customers whose tags changed.
    pub changed: usize,
    pub generation: u64,
    pub index: SyncReport,
}

/// Reads a rules file: TOML of `"condition" = "tag"` lines (a `[rules]` table is also
/// accepted).
pub fn read_rules(text: &str) -> Result<Vec<TagRule>> {
    let table: toml::Table = toml::from_str(text)
        .map_err(|e| Error::BadRequest(format!("tag rules: {}", e.message())))?;
    let table = match table.get("rules") {
        Some(toml::Value::Table(rules)) if table.len() == 1 => rules.clone(),
        _ => table,
    };
    let mut rules = Vec::new();
    for (condition, tag) in table {
        let Some(tag) = tag.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(Error::BadRequest(format!(
                "tag rules: 「{condition}」 must be followed by = \"tag name\""
            )));
        };
        rules.push(TagRule {
            condition: condition.trim().to_string(),
            tag: tag.to_string(),
        });
    }
    Ok(rules)
}

/// Why a rule cannot decide a tag, if it cannot.
/// The first field with a lookup column (a contact) a filter names.
fn names_contact<'s>(
    f: &kesou_nlq::Filter,
    schema: &'s kesou_nlq::Schema,
) -> Option<&'s kesou_nlq::Field> {
    use kesou_nlq::Filter;
    match f {
        Filter::Field(c) => schema.field(&c.field).filter(|f| f.lookup.is_some()),
        Filter::Any { any: fs, .. } | Filter::All { all: fs, .. } => {
            fs.iter().find_map(|f| names_contact(f, schema))
        }
        Filter::Not { not, .. } => names_contact(not, schema),
        Filter::Related(_) => None,
    }
}

fn problem(query: &Query, schema: &kesou_nlq::Schema) -> Option<String> {
    if let Some(u) = query.unrecognized.first() {
        return Some(format!("「{}」 is not understood", u.text));
    }
    if let Some(f) = query.filters.iter().find_map(|f| names_contact(f, schema)) {
        return Some(format!(
            "「{}」 is a contact, kept encrypted; a rule tests other fields",
            f.label
        ));
    }
    if let Some(t) = query.text.first() {
        return Some(format!(
            "「{}」 would be searched as free text; a rule tests fields (地区, 行业, 采购额, 互动 …)",
            t.text
        ));
    }
    if query.similar.is_some() {
        return Some("a lookalike is a ranking, not a condition".into());
    }
    let ranking = query.sort.first().and_then(|s| s.span.as_ref());
    if let Some(span) = query.limit.as_ref().map(|l| &l.span).or(ranking) {
        return Some(format!(
            "「{}」 ranks customers; a rule is conditions only",
            span.text
        ));
    }
    if let Some(g) = query.group_by.first() {
        return Some(format!(
            "「{}」 groups customers; a rule is conditions only",
            g.span.text
        ));
    }
    if let Some(m) = query.measures.first() {
        return Some(format!(
            "「{}」 counts or sums; a rule is conditions only",
            m.span.text
        ));
    }
    if query.filters.is_empty() {
        return Some("there is no condition to test".into());
    }
    None
}

/// Applies the rules of `rules_file` (then kept in the store), or the store's own rules when
/// none is given. `None` when there are no rules at all.
pub fn apply(
    paths: &StorePaths,
    rules_file: Option<&Path>,
    progress: &dyn Progress,
) -> Result<Option<TagReport>> {
    let source = rules_file.map_or_else(|| paths.tag_rules(), Path::to_path_buf);
    if !source.exists() {
        return match rules_file {
            Some(f) => Err(Error::BadRequest(format!(
                "tag rules: {} does not exist",
                f.display()
            ))),
            None => Ok(None),
        };
    }
    let text = std::fs::read_to_string(&source).map_err(|e| {
        Error::BadRequest(format!("tag rules: cannot read {}: {e}", source.display()))
    })?;
    let rules = read_rules(&text)?;
    let ((reports, changed), generation, index) =
        kesou_indexer::update(paths, progress, |conn, generation| {
            apply_in(conn, generation, &rules)
        })?;
    if rules_file.is_some() && source != paths.tag_rules() {
        // Written beside and renamed over: a process killed meanwhile leaves the previous
        // rules whole, never a cut-off file that would stop every later ingest.
        let tmp = paths.tag_rules().with_extension("toml.tmp");
        std::fs::write(&tmp, &text)
            .and_then(|()| std::fs::rename(&tmp, paths.tag_rules()))
            .map_err(|e| {
                Error::BadRequest(format!(
                    "tag rules applied but not kept in the store: {}: {e}",
                    paths.tag_rules().display()
                ))
            })?;
    }
    Ok(Some(TagReport {
        rules: reports,
        changed,
        generation,
        index,
    }))
}

fn apply_in(
    conn: &duckdb::Connection,
    generation: u64,
    rules: &[TagRule],
) -> Result<(Vec<RuleReport>, usize)> {
    let schema = customer_schema(conn)?;
    let parser = Parser::new(schema)?;
    let (as_of, _) = store::as_of(conn)?;
    let mut checked = Vec::new();
    let mut problems = Vec::new();
    for rule in rules {
        let query = parser.parse(&rule.condition, as_of);
        match problem(&query, parser.schema()) {
            Some(why) => problems.push(format!("「{}」 = 「{}」: {why}", rule.condition, rule.tag)),
            None => checked.push((rule, query)),
        }
    }
    if !problems.is_empty() {
        return Err(Error::BadRequest(format!(
            "{} tag rule(s) rejected, nothing applied:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )));
    }
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE _rule_hits (id VARCHAR, tag VARCHAR)")?;
    // Rules never name a contact (see `problem`): no lookup is made with this vault.
    let plain = kesou_indexer::crypt::Vault::plain();
    let mut reports = Vec::new();
    for (rule, query) in checked {
        let mut sql = SqlBuilder::new(parser.schema(), &plain);
        let tag = sql.bind(duckdb::types::Value::Text(rule.tag.clone()));
        let condition = sql.all(&query.filters)?;
        let statement =
            format!("INSERT INTO _rule_hits SELECT t.id, {tag} FROM customers t WHERE {condition}");
        let customers = conn.execute(&statement, duckdb::params_from_iter(sql.params.iter()))?;
        reports.push(RuleReport {
            condition: rule.condition.clone(),
            tag: rule.tag.clone(),
            reading: explain(&query, parser.schema()),
            customers,
        });
    }
    let old = store::get_meta(conn, RULE_TAGS)?.unwrap_or_default();
    let mut names: Vec<&str> = old.split('\u{1f}').filter(|t| !t.is_empty()).collect();
    let mut new: Vec<&str> = rules.iter().map(|r| r.tag.as_str()).collect();
    new.sort_unstable();
    new.dedup();
    names.extend(new.iter().copied());
    conn.execute(
        r#"CREATE OR REPLACE TEMP TABLE _rule_tags AS
            SELECT c.id, list_concat(
                list_filter(coalesce(c.tags, []::VARCHAR[]), lambda t: NOT list_contains(string_split(?, chr(31)), t)),
                coalesce(h.tags, []::VARCHAR[])) AS tags
            FROM customers c
            LEFT JOIN (SELECT id, list_sort(list(DISTINCT tag)) AS tags FROM _rule_hits GROUP BY id) h
                ON h.id = c.id"#,
        duckdb::params![names.join("\u{1f}")],
    )?;
    let (changed, _) = kesou_indexer::set_customer_columns(
        conn,
        "_rule_tags",
        &["tags"],
        generation,
        kesou_indexer::Unlisted::Keep,
    )?;
    conn.execute_batch("DROP TABLE _rule_tags")?;
    store::set_meta(conn, RULE_TAGS, &new.join("\u{1f}"))?;
    Ok((reports, changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_as_condition_equals_tag() {
        let rules = read_rules(
            "\"近30天咨询≥5次且未成交\" = \"高意向待转化\"\n\"年采购额超过500万的制造业客户\" = \"制造大客户\"\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert!(rules.contains(&TagRule {
            condition: "近30天咨询≥5次且未成交".into(),
            tag: "高意向待转化".into()
        }));
        let nested = read_rules("[rules]\n\"华东\" = \"东部\"\n").unwrap();
        assert_eq!(nested[0].tag, "东部");
    }

    #[test]
    fn a_rule_without_a_tag_or_in_bad_toml_says_so() {
        let e = read_rules("\"华东\" = 3\n").unwrap_err().to_string();
        assert!(e.contains("must be followed by"), "{e}");
        let e = read_rules("华东 = \n").unwrap_err().to_string();
        assert!(e.starts_with("tag rules:"), "{e}");
    }
}
