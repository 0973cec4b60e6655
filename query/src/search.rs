//! Text search with filters and facets over the index, with highlighted snippets.

use std::sync::Arc;
use std::time::Instant;

use kesou_indexer::IndexHandle;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query};
use tantivy::schema::Value;
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::{DocAddress, IndexReader, Order, ReloadPolicy, TantivyDocument};

use crate::facets;
use crate::filters::Filter;
use crate::hybrid::HybridRank;
use crate::matches::AllMatches;
use crate::scope::{Scope, ScopeExt};
use crate::semantic::{Retrieval, Semantic};
use crate::text_query::{self, TextQuery};
use crate::{Error, Result};

/// Largest page a search returns.
pub const MAX_LIMIT: usize = crate::MAX_PAGE;

/// A search: text (may be empty when filters say enough), filters, facets, a page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchRequest {
    pub text: String,
    pub filters: Vec<Filter>,
    pub facets: Vec<String>,
    pub limit: usize,
    pub offset: usize,
    /// The rows the caller may see (`None`: every row). Totals and facets count only these.
    pub scope: Option<Scope>,
    /// The caller does not see every field of the store's own in full: the text of those
    /// fields is not searched (a hidden 客户来源 must not be found out by its values).
    pub hide_custom_text: bool,
}

/// A highlighted fragment of a field: the text and the byte ranges that matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Highlight {
    pub field: &'static str,
    pub fragment: String,
    pub ranges: Vec<(usize, usize)>,
    /// The fragment as HTML with `<b>` around matches (escaped).
    pub html: String,
}

impl Highlight {
    /// The fragment with matches in 【】 brackets, for terminals.
    pub fn bracketed(&self) -> String {
        bracketed(&self.fragment, &self.ranges)
    }
}

/// `fragment` with the byte `ranges` in 【】 brackets, for terminals; ranges that do not
/// fall on characters of the fragment, in order, are left out.
pub fn bracketed(fragment: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(from, to) in ranges {
        let Some(inside) = fragment.get(from..to).filter(|_| from >= at) else {
            continue;
        };
        out.push_str(&fragment[at..from]);
        out.push('【');
        out.push_str(inside);
        out.push('】');
        at = to;
    }
    out.push_str(&fragment[at..]);
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub id: String,
    pub score: Option<f32>,
    pub name: String,
    pub region: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub lifecycle: Option<String>,
    pub value_level: Option<String>,
    pub owner: Option<String>,
    pub annual_purchase: Option<f64>,
    pub tags: Vec<String>,
    pub highlights: Vec<Highlight>,
    /// How a hybrid search found the customer (absent in BM25-only searches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hybrid: Option<HybridRank>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
    pub facets: Vec<facets::FacetResult>,
    /// How the hits are ordered: `relevance`, or `annual_purchase` when there is no text.
    pub order: &'static str,
    /// Which retrieval found the text's matches: `bm25` (words) or `hybrid` (words and
    /// meaning, fused); absent when there is no text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<Retrieval>,
    /// Why a store with a model searched by words only, or why its vectors may miss
    /// recent changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval_note: Option<String>,
    pub took_ms: f64,
}

/// Answers searches over one store's index. Cheap to share across threads.
pub struct Searcher {
    pub(crate) handle: IndexHandle,
    pub(crate) reader: IndexReader,
    semantic: Option<Arc<Semantic>>,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher").finish_non_exhaustive()
    }
}

impl Searcher {
    pub fn new(handle: IndexHandle) -> Result<Self> {
        let reader = handle
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self {
            handle,
            reader,
            semantic: None,
        })
    }

    /// Blends vector similarity into text searches (the store's configured model).
    pub fn with_semantic(mut self, semantic: Option<Arc<Semantic>>) -> Self {
        self.semantic = semantic;
        self
    }

    pub fn semantic(&self) -> Option<&Arc<Semantic>> {
        self.semantic.as_ref()
    }

    /// How the store holds its contacts (lookups hash with it; answers decrypt with it).
    pub fn vault(&self) -> &kesou_indexer::crypt::Vault {
        &self.handle.vault
    }

    pub fn handle(&self) -> &IndexHandle {
        &self.handle
    }

    /// Number of customers in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        self.search_with(req, true)
    }

    /// [`Searcher::search`] by words only, whatever model the store has (suggestions,
    /// where a typed fragment has no meaning to match).
    pub fn search_words(&self, req: &SearchRequest) -> Result<SearchResults> {
        self.search_with(req, false)
    }

    fn search_with(&self, req: &SearchRequest, meaning: bool) -> Result<SearchResults> {
        let started = Instant::now();
        crate::check_offset(req.offset)?;
        facets::check(&req.facets)?;
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let fields = &self.handle.fields;
        let mut note = None;
        // A model searches by meaning too; text without a letter or digit has none.
        if let Some(semantic) = self.semantic.as_ref().filter(|_| meaning)
            && req.text.chars().any(char::is_alphanumeric)
        {
            match semantic.load() {
                Ok(loaded) => return self.hybrid_search(req, &loaded, started),
                Err(e) => {
                    tracing::warn!(error = %e, "semantic retrieval unavailable; searching by words");
                    note = Some(format!("{e}; searched by words only"));
                }
            }
        }
        let text = text_query::build(&self.handle, req.text.trim(), !req.hide_custom_text)?;
        if text.query.is_none() && req.filters.is_empty() {
            return Err(Error::BadRequest(if req.text.trim().is_empty() {
                "give search text or at least one filter".into()
            } else {
                format!("{:?} holds no searchable word", req.text)
            }));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let has_text = text.query.is_some();
        if let Some(q) = &text.query {
            clauses.push((Occur::Must, q.box_clone()));
        }
        for f in &req.filters {
            let (occur, q) = f.to_query_with(fields, &self.handle.vault)?;
            // Filters select; they must not change the ranking.
            clauses.push((occur, Box::new(BoostQuery::new(q, 0.0))));
        }
        if let Some(scope) = &req.scope {
            clauses.push((
                Occur::Must,
                Box::new(BoostQuery::new(scope.to_query(fields)?, 0.0)),
            ));
        }
        if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        // The page is ranked with scores (tantivy skips most documents with block-max
        // pruning); the total and the facet counts need every match but no score, so they
        // are a second, unscored pass.
        let addresses: Vec<(Option<f32>, DocAddress)> = if has_text {
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_score();
            searcher
                .search(&query, &top)?
                .into_iter()
                .map(|(s, a)| (Some(s), a))
                .collect()
        } else {
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_fast_field::<f64>("annual_purchase", Order::Desc);
            searcher
                .search(&query, &top)?
                .into_iter()
                .map(|(_, a)| (None, a))
                .collect()
        };
        let (total, facets) = count_and_facets(&searcher, &query, &req.facets)?;
        let snippets = Snippets::new(&searcher, &text, &self.handle)?;
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&doc, score, &snippets));
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
            order: if has_text {
                "relevance"
            } else {
                "annual_purchase"
            },
            retrieval: has_text.then_some(Retrieval::Bm25),
            retrieval_note: note,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Every customer the text matches, with its relevance score (unordered). The text
    /// splits into groups as in [`Searcher::search`]; every group must match.
    pub fn all_matches(&self, text: &str) -> Result<Vec<(String, f32)>> {
        let built = text_query::build(&self.handle, text.trim(), false)?;
        let Some(query) = built.query else {
            return Err(Error::BadRequest(format!(
                "{text:?} holds no searchable word"
            )));
        };
        Ok(self.reader.searcher().search(query.as_ref(), &AllMatches)?)
    }

    pub(crate) fn hit(
        &self,
        doc: &TantivyDocument,
        score: Option<f32>,
        snippets: &Snippets,
    ) -> SearchHit {
        let s = |name: &str| -> Option<String> {
            let field = self.handle.fields.field(name)?;
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_owned))
        };
        let f = &self.handle.fields;
        let name = s("name").unwrap_or_default();
        // Tags are stored as one value, a line each.
        let tags: Vec<String> = doc
            .get_all(f.tags)
            .filter_map(|v| v.as_str())
            .flat_map(|v| v.split('\n'))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let mut highlights = Vec::new();
        if let Some(h) = snippets.highlight("name", &name) {
            highlights.push(h);
        }
        if let Some(d) = s("description")
            && let Some(h) = snippets.highlight("description", &d)
        {
            highlights.push(h);
        }
        for t in &tags {
            if let Some(h) = snippets.highlight("tags", t) {
                highlights.push(h);
                break;
            }
        }
        if let Some(notes) = s("notes") {
            // Notes can be long: only lines that hold a query word are segmented.
            if let Some(h) = notes
                .lines()
                .filter(|l| {
                    snippets
                        .words
                        .iter()
                        .any(|w| l.to_lowercase().contains(w.as_str()))
                })
                .find_map(|l| snippets.highlight("notes", l))
            {
                highlights.push(h);
            }
        }
        SearchHit {
            id: s("id").unwrap_or_default(),
            score,
            name,
            region: s("region"),
            province: s("province"),
            city: s("city"),
            industry: s("industry"),
            size: s("size"),
            lifecycle: s("lifecycle"),
            value_level: s("value_level"),
            owner: s("owner"),
            annual_purchase: self
                .handle
                .fields
                .field("annual_purchase")
                .and_then(|f| doc.get_first(f))
                .and_then(|v| v.as_f64()),
            tags,
            highlights,
            hybrid: None,
        }
    }
}

/// The number of matches of `query` and, when asked, their facet counts.
pub(crate) fn count_and_facets(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    fields: &[String],
) -> Result<(usize, Vec<facets::FacetResult>)> {
    if fields.is_empty() {
        return Ok((searcher.search(query, &Count)?, Vec::new()));
    }
    let open = facets::open_set_collector(fields);
    let (total, categories, open) =
        searcher.search(query, &(Count, facets::CategoryCounter, open))?;
    Ok((total, facets::shape(&categories, open.as_ref(), fields)))
}

/// Snippet generators for the text fields of one query.
pub(crate) struct Snippets {
    generators: Vec<(&'static str, SnippetGenerator)>,
    words: Vec<String>,
}

impl Snippets {
    pub(crate) fn new(
        searcher: &tantivy::Searcher,
        text: &TextQuery,
        handle: &IndexHandle,
    ) -> Result<Self> {
        let mut generators = Vec::new();
        if let Some(q) = &text.query {
            let f = &handle.fields;
            for (name, field, chars) in [
                ("name", f.name, 200),
                ("description", f.description, 80),
                ("tags", f.tags, 40),
                ("notes", f.notes, 80),
            ]
            .into_iter()
            .chain(f.custom.map(|c| ("custom", c, 80)))
            {
                let mut g = SnippetGenerator::create(searcher, q.as_ref(), field)?;
                g.set_max_num_chars(chars);
                generators.push((name, g));
            }
        }
        Ok(Self {
            generators,
            words: text.words.clone(),
        })
    }

    fn highlight(&self, field: &'static str, text: &str) -> Option<Highlight> {
        let (_, g) = self.generators.iter().find(|(n, _)| *n == field)?;
        let snippet: Snippet = g.snippet(text);
        if snippet.highlighted().is_empty() {
            return None;
        }
        let mut ranges: Vec<(usize, usize)> = snippet
            .highlighted()
            .iter()
            .map(|r| (r.start, r.end))
            .collect();
        ranges.sort();
        // Overlapping tokens (words and their characters) merge into one highlight.
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (from, to) in ranges {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        let fragment = snippet.fragment().to_owned();
        let mut html = String::new();
        let mut at = 0;
        for (from, to) in &merged {
            html.push_str(&kesou_domain::text::escape_html(&fragment[at..*from]));
            html.push_str("<b>");
            html.push_str(&kesou_domain::text::escape_html(&fragment[*from..*to]));
            html.push_str("</b>");
            at = *to;
        }
        html.push_str(&kesou_domain::text::escape_html(&fragment[at..]));
        Some(Highlight {
            field,
            fragment,
            ranges: merged,
            html,
        })
    }
}
