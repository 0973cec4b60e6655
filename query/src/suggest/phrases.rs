//! The words a question can be completed with: field words (年采购额, 员工数), values of the
//! closed and store-filled dictionaries with their words and short forms (华东, 浙江, 科技,
//! IT, 忠诚, products, salespeople), tags, and the glossary's concepts (长三角, 大客户), each
//! folded the way the parser folds questions, sorted for prefix lookups, and weighted by
//! how many customers the value holds.

use std::collections::HashMap;

use kesou_domain::text::Fold;
use kesou_nlq::{FieldKind, Schema};

use super::SuggestionKind;

/// One phrase that completes a word.
#[derive(Debug, Clone)]
pub(super) struct Phrase {
    /// Folded: half width, simplified, lower case.
    pub folded: String,
    /// As written in the dictionary: what goes into the search box.
    pub text: String,
    pub label: String,
    pub kind: SuggestionKind,
    /// What it means (one suggestion per meaning): `value:industry=科技`, `field:employees`.
    pub meaning: String,
    /// How many customers hold the value (0 for fields and concepts).
    pub weight: u64,
    /// The dictionary's own value rather than one of its words.
    pub canonical: bool,
    /// Order of insertion: the dictionary's order breaks the last ties.
    pub order: u32,
}

/// Every phrase, sorted by its folded form.
#[derive(Debug, Default)]
pub(super) struct Phrases {
    all: Vec<Phrase>,
}

/// The parser's fold of words: half width, simplified, lower case (spaces kept: a
/// completion is matched as typed).
pub(super) fn fold(s: &str) -> String {
    Fold::WORDS.text(s)
}

impl Phrases {
    /// The schema's words; `counts` holds customers per `field` and value.
    pub fn new(schema: &Schema, counts: &HashMap<(String, String), u64>) -> Phrases {
        let mut all: Vec<Phrase> = Vec::new();
        let mut add = |text: &str, label: &str, kind, meaning: &str, weight, canonical| {
            let folded = fold(text.trim());
            if folded.is_empty() {
                return;
            }
            let order = all.len() as u32;
            all.push(Phrase {
                folded,
                text: text.trim().to_owned(),
                label: label.to_owned(),
                kind,
                meaning: meaning.to_owned(),
                weight,
                canonical,
                order,
            });
        };
        let related = schema
            .related
            .iter()
            .flat_map(|r| r.fields.iter().map(move |f| (Some(r), f)));
        let fields = schema.fields.iter().map(|f| (None, f)).chain(related);
        for (rel, f) in fields {
            let path = match rel {
                Some(r) => format!("{}.{}", r.table, f.name),
                None => f.name.clone(),
            };
            let field_meaning = format!("field:{path}");
            add(
                &f.label,
                &f.label,
                SuggestionKind::Field,
                &field_meaning,
                0,
                true,
            );
            for w in &f.words {
                add(w, &f.label, SuggestionKind::Field, &field_meaning, 0, false);
            }
            if !f.kind.has_values() {
                continue;
            }
            let kind = if f.kind == FieldKind::Tags {
                SuggestionKind::Tag
            } else {
                SuggestionKind::Value
            };
            for v in &f.values {
                let label = format!("{}={}", f.label, v.value);
                let meaning = format!("value:{path}={}", v.value);
                let weight = if rel.is_none() {
                    counts
                        .get(&(f.name.clone(), v.value.clone()))
                        .copied()
                        .unwrap_or(0)
                } else {
                    0
                };
                // One-char values (高 中 低) are too weak to complete to.
                if v.value.chars().count() >= 2 {
                    add(&v.value, &label, kind, &meaning, weight, true);
                }
                if f.places {
                    let short = kesou_domain::geo::short_form(&v.value);
                    if short != v.value {
                        add(short, &label, kind, &meaning, weight, false);
                    }
                }
                for w in &v.words {
                    add(w, &label, kind, &meaning, weight, false);
                }
            }
        }
        for r in &schema.related {
            let meaning = format!("related:{}", r.table);
            for w in &r.words {
                add(w, &r.label, SuggestionKind::Field, &meaning, 0, false);
            }
        }
        for c in &schema.concepts {
            let meaning = format!("concept:{}", c.label);
            let label = kesou_nlq::explain(
                &kesou_nlq::Query {
                    filters: c.filters.clone(),
                    sort: c.sort.iter().cloned().collect(),
                    ..kesou_nlq::Query::default()
                },
                schema,
            );
            let label = format!("{}（{label}）", c.label);
            for w in &c.words {
                add(w, &label, SuggestionKind::Value, &meaning, 0, false);
            }
        }
        all.sort_by(|a, b| a.folded.cmp(&b.folded).then(a.order.cmp(&b.order)));
        Phrases { all }
    }

    /// The phrases whose folded form starts with `prefix` (folded), in folded order.
    pub fn starting_with(&self, prefix: &str) -> &[Phrase] {
        let from = self.all.partition_point(|p| p.folded.as_str() < prefix);
        let to = from + self.all[from..].partition_point(|p| p.folded.starts_with(prefix));
        &self.all[from..to]
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }
}
