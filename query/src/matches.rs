//! Every match of a text query with its score, by customer id: what the question executor
//! joins with its SQL conditions (a search page stops at [`crate::search::MAX_LIMIT`]).

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader, TantivyError};

/// Collects `(id, score)` of every matching document from the `id` fast field.
pub(crate) struct AllMatches;

pub(crate) struct SegmentMatches {
    ids: StrColumn,
    /// (term ordinal of the id, score)
    found: Vec<(u64, Score)>,
}

impl Collector for AllMatches {
    type Fruit = Vec<(String, Score)>;
    type Child = SegmentMatches;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentMatches> {
        let ids = segment.fast_fields().str("id")?.ok_or_else(|| {
            TantivyError::SchemaError("the index has no id fast field".to_owned())
        })?;
        Ok(SegmentMatches {
            ids,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        fruits: Vec<std::io::Result<Vec<(String, Score)>>>,
    ) -> tantivy::Result<Vec<(String, Score)>> {
        let mut all = Vec::new();
        for f in fruits {
            all.extend(f?);
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = std::io::Result<Vec<(String, Score)>>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(ord) = self.ids.ords().first(doc) {
            self.found.push((ord, score));
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        // The dictionary resolves sorted ordinals in one sequential pass.
        self.found.sort_by_key(|(ord, _)| *ord);
        self.found.dedup_by_key(|(ord, _)| *ord);
        let ords: Vec<u64> = self.found.iter().map(|(o, _)| *o).collect();
        let mut out = Vec::with_capacity(ords.len());
        let mut scores = self.found.iter().map(|(_, s)| *s);
        self.ids
            .dictionary()
            .sorted_ords_to_term_cb(&ords, |bytes| {
                let id = String::from_utf8_lossy(bytes).into_owned();
                out.push((id, scores.next().unwrap_or_default()));
            })?;
        Ok(out)
    }
}
