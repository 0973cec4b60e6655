//! Hybrid retrieval: the words (tantivy's BM25) and the meaning (the nearest customers by
//! vector similarity, after the same filters) fused by reciprocal rank, for `kesou search`
//! ([`Searcher::search`] when the store has a model) and for the text terms of questions
//! ([`Searcher::text_matches`]).
//!
//! A hybrid search matches every customer the words match plus the [`VECTOR_K`] nearest
//! by meaning among those the filters allow; its total and facets count that union. The
//! page is the union ordered by fused score; BM25 is read to the depth of the page (at
//! least `VECTOR_K`), which is exact: a customer beyond that depth scores below every
//! customer the vectors contribute.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, TermSetQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocSet, TERMINATED, TantivyDocument, Term};

use crate::matches::AllMatches;
use crate::search::{MAX_LIMIT, Snippets, count_and_facets};
use crate::semantic::{Field, Loaded, Retrieval, VECTOR_K, rrf};
use crate::text_query;
use crate::{Error, Result, ScopeExt, SearchRequest, SearchResults, Searcher};

/// How a customer of a hybrid search was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HybridRank {
    /// Its rank among the word matches (from 1), if the words matched it.
    pub bm25_rank: Option<usize>,
    /// Its rank among the nearest by meaning (from 1), if it was one of them.
    pub vector_rank: Option<usize>,
    /// Its cosine similarity to the query, if it was one of the nearest.
    pub similarity: Option<f32>,
    /// The text of the customer that was nearest: its description or its notes.
    pub field: Option<Field>,
}

/// The customers a text matches, with a score to order them by (higher first).
#[derive(Debug, Clone)]
pub struct TextMatches {
    pub matches: Vec<(String, f32)>,
    pub retrieval: Retrieval,
    pub note: Option<String>,
}

impl Searcher {
    /// Every customer a question's text terms match: BM25's matches, and with a model the
    /// nearest by meaning among `allowed()` (the question's other conditions; `None` for
    /// everyone), scored by fused rank.
    pub fn text_matches(
        &self,
        text: &str,
        allowed: impl FnOnce() -> Result<Option<Vec<String>>>,
    ) -> Result<TextMatches> {
        let Some(semantic) = self.semantic() else {
            return Ok(TextMatches {
                matches: self.all_matches(text)?,
                retrieval: Retrieval::Bm25,
                note: None,
            });
        };
        let loaded = match semantic.load() {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "semantic retrieval unavailable; matching words");
                return Ok(TextMatches {
                    matches: self.all_matches(text)?,
                    retrieval: Retrieval::Bm25,
                    note: Some(format!("{e}; matched by words only")),
                });
            }
        };
        let allowed = allowed()?;
        // Words and meaning side by side, as in a hybrid search.
        let (words, near) = rayon::join(
            || self.all_matches(text),
            || loaded.nearest(text, VECTOR_K, allowed.as_deref()),
        );
        // Words that hold nothing searchable still have a meaning.
        let mut bm25 = match words {
            Ok(m) => m,
            Err(Error::BadRequest(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        bm25.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let bm25_ids: Vec<String> = bm25.into_iter().map(|(id, _)| id).collect();
        let near = near?;
        let vector_ids: Vec<String> = near.into_iter().map(|n| n.id).collect();
        Ok(TextMatches {
            matches: rrf(&bm25_ids, &vector_ids)
                .into_iter()
                .map(|f| (f.id, f.score as f32))
                .collect(),
            retrieval: Retrieval::Hybrid,
            note: loaded.stale().map(str::to_owned),
        })
    }

    /// [`Searcher::search`] with a model: see the module documentation.
    pub(crate) fn hybrid_search(
        &self,
        req: &SearchRequest,
        loaded: &Loaded,
        started: Instant,
    ) -> Result<SearchResults> {
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let fields = &self.handle.fields;
        let text = text_query::build(&self.handle, req.text.trim(), !req.hide_custom_text)?;
        let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for f in &req.filters {
            let (occur, q) = f.to_query_with(fields, &self.handle.vault)?;
            filters.push((occur, Box::new(BoostQuery::new(q, 0.0))));
        }
        // The caller's scope is one more filter: candidates, totals and facets stay inside it.
        if let Some(scope) = &req.scope {
            filters.push((
                Occur::Must,
                Box::new(BoostQuery::new(scope.to_query(fields)?, 0.0)),
            ));
        }
        let with_filters = |main: Box<dyn Query>| -> BooleanQuery {
            let mut clauses = vec![(Occur::Must, main)];
            clauses.extend(filters.iter().map(|(o, q)| (*o, q.box_clone())));
            BooleanQuery::new(clauses)
        };
        let searcher = self.reader.searcher();
        let depth = VECTOR_K.max(req.offset + limit);
        // The words and the meaning are independent until they are fused: side by side, a
        // hybrid search takes about the longer of the two rather than their sum.
        let (words, meaning) = rayon::join(
            || -> Result<(Vec<DocAddress>, Vec<String>)> {
                let bm25: Vec<DocAddress> = match &text.query {
                    Some(q) => searcher
                        .search(
                            &with_filters(q.box_clone()),
                            &TopDocs::with_limit(depth).order_by_score(),
                        )?
                        .into_iter()
                        .map(|(_, a)| a)
                        .collect(),
                    None => Vec::new(),
                };
                let ids = ids_of(&searcher, &bm25)?;
                Ok((bm25, ids))
            },
            || -> Result<Vec<crate::semantic::Near>> {
                // The filters choose the candidates before the vectors rank them.
                let allowed: Option<Vec<String>> = if filters.is_empty() {
                    None
                } else {
                    let only = with_filters(Box::new(AllQuery));
                    Some(
                        searcher
                            .search(&only, &AllMatches)?
                            .into_iter()
                            .map(|(id, _)| id)
                            .collect(),
                    )
                };
                loaded.nearest(req.text.trim(), VECTOR_K, allowed.as_deref())
            },
        );
        let (bm25, bm25_ids) = words?;
        let mut near = meaning?;
        // Vectors of customers deleted since they were made have no document: dropped.
        let near_docs = addresses_of(&searcher, fields.id, near.iter().map(|n| n.id.as_str()))?;
        let mut kept = near_docs.iter();
        near.retain(|_| kept.next().is_some_and(Option::is_some));
        let mut address: HashMap<&str, DocAddress> = HashMap::new();
        for (id, a) in bm25_ids.iter().zip(&bm25) {
            address.insert(id.as_str(), *a);
        }
        for (n, a) in near.iter().zip(near_docs.iter().flatten()) {
            address.insert(n.id.as_str(), *a);
        }
        let vector_ids: Vec<String> = near.iter().map(|n| n.id.clone()).collect();
        let id_set = |ids: &mut dyn Iterator<Item = &String>| {
            TermSetQuery::new(ids.map(|id| Term::from_field_text(fields.id, id)))
        };
        let fused = rrf(&bm25_ids, &vector_ids);
        // Total and facets: everything the words match, plus the nearest, within the filters.
        let near_query: Box<dyn Query> = Box::new(id_set(&mut vector_ids.iter()));
        let either: Box<dyn Query> = match &text.query {
            Some(q) => Box::new(BooleanQuery::new(vec![
                (Occur::Should, q.box_clone()),
                (Occur::Should, near_query),
            ])),
            None => near_query,
        };
        let (total, facets) = count_and_facets(&searcher, &with_filters(either), &req.facets)?;
        let snippets = Snippets::new(&searcher, &text, &self.handle)?;
        let by_id: HashMap<&str, &crate::semantic::Near> =
            near.iter().map(|n| (n.id.as_str(), n)).collect();
        let mut hits = Vec::with_capacity(limit);
        for f in fused.iter().skip(req.offset).take(limit) {
            let Some(a) = address.get(f.id.as_str()) else {
                continue;
            };
            let doc: TantivyDocument = searcher.doc(*a)?;
            let mut hit = self.hit(&doc, Some(f.score as f32), &snippets);
            let n = by_id.get(f.id.as_str());
            hit.hybrid = Some(HybridRank {
                bm25_rank: f.bm25_rank,
                vector_rank: f.vector_rank,
                similarity: n.map(|n| n.similarity),
                field: n.map(|n| n.field),
            });
            hits.push(hit);
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
            order: "relevance",
            retrieval: Some(Retrieval::Hybrid),
            retrieval_note: loaded.stale().map(str::to_owned),
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// The customer ids of documents, in their order (`""` for a document without one). Each
/// segment's ordinals are resolved sorted, in one pass over its id dictionary: one ordinal
/// at a time decodes its dictionary block from the start for every document.
fn ids_of(searcher: &tantivy::Searcher, docs: &[DocAddress]) -> Result<Vec<String>> {
    let mut out = vec![String::new(); docs.len()];
    let mut segments: Vec<u32> = docs.iter().map(|a| a.segment_ord).collect();
    segments.sort_unstable();
    segments.dedup();
    for segment in segments {
        let column = searcher
            .segment_reader(segment)
            .fast_fields()
            .str("id")?
            .ok_or_else(|| {
                Error::Index(tantivy::TantivyError::SchemaError(
                    "the index has no id fast field".to_owned(),
                ))
            })?;
        // (ordinal, position in `docs`), sorted by ordinal.
        let mut wanted: Vec<(u64, usize)> = docs
            .iter()
            .enumerate()
            .filter(|(_, a)| a.segment_ord == segment)
            .filter_map(|(i, a)| column.ords().first(a.doc_id).map(|ord| (ord, i)))
            .collect();
        wanted.sort_unstable();
        let ords: Vec<u64> = wanted.iter().map(|(ord, _)| *ord).collect();
        let mut positions = wanted.iter().map(|(_, i)| *i);
        column
            .dictionary()
            .sorted_ords_to_term_cb(&ords, |bytes| {
                if let Some(i) = positions.next() {
                    out[i] = String::from_utf8_lossy(bytes).into_owned();
                }
            })
            .map_err(tantivy::TantivyError::from)?;
    }
    Ok(out)
}

/// The live document of each customer id, in their order (`None`: no such customer, or
/// deleted). Looked up in the id field's terms, which costs less than reading the ids of
/// the documents a query finds back from their dictionary.
fn addresses_of<'a>(
    searcher: &tantivy::Searcher,
    field: tantivy::schema::Field,
    ids: impl Iterator<Item = &'a str>,
) -> Result<Vec<Option<DocAddress>>> {
    let indexes = searcher
        .segment_readers()
        .iter()
        .map(|r| r.inverted_index(field))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for id in ids {
        let term = Term::from_field_text(field, id);
        let mut found = None;
        'segments: for (segment, (reader, index)) in
            searcher.segment_readers().iter().zip(&indexes).enumerate()
        {
            let postings = index
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(tantivy::TantivyError::from)?;
            let Some(mut postings) = postings else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if reader.is_deleted(doc) {
                    doc = postings.advance();
                    continue;
                }
                found = Some(DocAddress::new(segment as u32, doc));
                break 'segments;
            }
        }
        out.push(found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use kesou_indexer::NoProgress;
    use tantivy::collector::DocSetCollector;

    use super::*;
    use crate::testing::STORE;

    /// Every document's id read back one at a time, as a stored id is.
    fn one_by_one(searcher: &tantivy::Searcher, a: DocAddress) -> String {
        let column = searcher
            .segment_reader(a.segment_ord)
            .fast_fields()
            .str("id")
            .expect("id column")
            .expect("an id fast field");
        let mut id = String::new();
        if let Some(ord) = column.ords().first(a.doc_id) {
            column.ord_to_str(ord, &mut id).expect("an id");
        }
        id
    }

    #[test]
    fn ids_and_addresses_map_both_ways_for_every_customer() {
        let reader =
            kesou_indexer::open_for_reading(&STORE.paths, &NoProgress).expect("open the store");
        let s = Searcher::new(reader.index).expect("searcher");
        let searcher = s.reader.searcher();
        let mut docs: Vec<DocAddress> = searcher
            .search(&AllQuery, &DocSetCollector)
            .expect("all documents")
            .into_iter()
            .collect();
        // Out of dictionary order, repeats included, as a ranking gives them.
        docs.sort_by_key(|a| std::cmp::Reverse((a.doc_id * 7919) % 3001));
        docs.push(docs[0]);
        assert_eq!(docs.len(), crate::testing::CUSTOMERS + 1);
        let ids = ids_of(&searcher, &docs).expect("ids");
        let expected: Vec<String> = docs.iter().map(|a| one_by_one(&searcher, *a)).collect();
        assert_eq!(ids, expected);
        assert!(ids.iter().all(|id| !id.is_empty()));

        let field = s.handle.fields.id;
        let back = addresses_of(
            &searcher,
            field,
            ids.iter().map(String::as_str).chain(["no-such-customer"]),
        )
        .expect("addresses");
        let mut wanted: Vec<Option<DocAddress>> = docs.iter().copied().map(Some).collect();
        wanted.push(None);
        assert_eq!(back, wanted);
    }
}
