//! Facet counts: the hierarchical location (region → province → city) and the flat
//! categories, shaped for people and for JSON.
//!
//! The closed sets (location, industry, size, lifecycle, value level) are counted from the
//! packed category fast field by [`CategoryCounter`]: one column read per match, no scores.
//! The open sets (tags, owner) use tantivy's facet collector.

use kesou_domain::{Industry, Lifecycle, Region, Size, ValueLevel, geo};
use kesou_indexer::index::category::{CITIES, decode};
use kesou_indexer::index::{CATEGORY_FIELD, FACET_ROOTS};
use serde::Serialize;
use tantivy::collector::{Collector, FacetCollector, FacetCounts, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::{Error, Result};

/// Facets a search may ask for: the index's facet roots.
pub const FACETS: &[&str] = FACET_ROOTS;
const OPEN_SETS: &[&str] = &["tags", "owner"];

/// How many values an open-set facet lists at most.
const TOP_VALUES: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetResult {
    pub field: String,
    pub values: Vec<FacetValue>,
}

/// The facet path prefix of the store's own category fields (`custom/客户来源`, counted
/// like the open sets): [`resolve`] names them so.
pub const CUSTOM_PREFIX: &str = "custom/";

/// The facets a person names (region, 客户来源 …) as a search counts them: a category field
/// of the store's own is `custom/<column>`.
pub fn resolve(schema: &kesou_nlq::Schema, requested: &[String]) -> Result<Vec<String>> {
    requested
        .iter()
        .map(|r| {
            if FACETS.contains(&r.as_str()) {
                return Ok(r.clone());
            }
            match schema.field(r) {
                Some(f)
                    if crate::ask::is_custom(schema, &f.name)
                        && f.kind == kesou_nlq::FieldKind::Category =>
                {
                    Ok(format!("{CUSTOM_PREFIX}{}", f.name))
                }
                _ => Err(no_facet(schema, r)),
            }
        })
        .collect()
}

fn no_facet(schema: &kesou_nlq::Schema, r: &str) -> Error {
    let own: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| {
            crate::ask::is_custom(schema, &f.name) && f.kind == kesou_nlq::FieldKind::Category
        })
        .map(|f| f.name.as_str())
        .collect();
    let mut all = FACETS.join(", ");
    if !own.is_empty() {
        all = format!("{all}, and the store's own {}", own.join(", "));
    }
    Error::BadRequest(format!("no facet {r:?}; facets are {all}"))
}

pub fn check(requested: &[String]) -> Result<()> {
    for r in requested {
        let custom = r
            .strip_prefix(CUSTOM_PREFIX)
            .is_some_and(|c| !c.is_empty() && !c.contains('/'));
        if !FACETS.contains(&r.as_str()) && !custom {
            return Err(Error::BadRequest(format!(
                "no facet {r:?}; facets are {}",
                FACETS.join(", ")
            )));
        }
    }
    Ok(())
}

/// Counts of every closed set over the matching documents.
#[derive(Debug, Clone)]
pub struct CategoryCounts {
    city: Vec<u64>,
    province: Vec<u64>,
    region: [u64; 8],
    industry: [u64; 16],
    size: [u64; 8],
    lifecycle: [u64; 8],
    value_level: [u64; 4],
}

impl Default for CategoryCounts {
    fn default() -> Self {
        Self {
            city: vec![0; CITIES.len() + 1],
            province: vec![0; geo::PROVINCES.len() + 1],
            region: [0; 8],
            industry: [0; 16],
            size: [0; 8],
            lifecycle: [0; 8],
            value_level: [0; 4],
        }
    }
}

impl CategoryCounts {
    fn add(&mut self, other: &CategoryCounts) {
        fn sum(a: &mut [u64], b: &[u64]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        sum(&mut self.city, &other.city);
        sum(&mut self.province, &other.province);
        sum(&mut self.region, &other.region);
        sum(&mut self.industry, &other.industry);
        sum(&mut self.size, &other.size);
        sum(&mut self.lifecycle, &other.lifecycle);
        sum(&mut self.value_level, &other.value_level);
    }
}

/// Counts the closed sets of the matches from the packed fast field; needs no scores.
pub struct CategoryCounter;

pub struct CategorySegment {
    column: Option<Column<u64>>,
    counts: CategoryCounts,
}

impl Collector for CategoryCounter {
    type Fruit = CategoryCounts;
    type Child = CategorySegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<CategorySegment> {
        let column = segment.fast_fields().u64(CATEGORY_FIELD).ok();
        Ok(CategorySegment {
            column,
            counts: CategoryCounts::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<CategoryCounts>) -> tantivy::Result<CategoryCounts> {
        let mut total = CategoryCounts::default();
        for f in &fruits {
            total.add(f);
        }
        Ok(total)
    }
}

impl SegmentCollector for CategorySegment {
    type Fruit = CategoryCounts;

    #[inline]
    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(code) = self.column.as_ref().and_then(|c| c.first(doc)) else {
            return;
        };
        let c = decode(code);
        let n = &mut self.counts;
        n.city[c.city] += 1;
        n.province[c.province] += 1;
        n.region[c.region] += 1;
        n.industry[c.industry] += 1;
        n.size[c.size] += 1;
        n.lifecycle[c.lifecycle] += 1;
        n.value_level[c.value_level] += 1;
    }

    fn harvest(self) -> CategoryCounts {
        self.counts
    }
}

/// The facet collector for the open sets requested (none when only closed sets are).
pub fn open_set_collector(requested: &[String]) -> Option<FacetCollector> {
    let open: Vec<&String> = requested
        .iter()
        .filter(|r| OPEN_SETS.contains(&r.as_str()) || r.starts_with(CUSTOM_PREFIX))
        .collect();
    if open.is_empty() {
        return None;
    }
    let mut c = FacetCollector::for_field("facets");
    for r in open {
        c.add_facet(format!("/{r}").as_str());
    }
    Some(c)
}

fn sorted(values: impl Iterator<Item = (String, u64)>) -> Vec<FacetValue> {
    let mut out: Vec<FacetValue> = values
        .filter(|(_, n)| *n > 0)
        .map(|(value, count)| FacetValue {
            value,
            count,
            children: Vec::new(),
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

fn closed<T: Copy>(all: &[T], counts: &[u64], name: impl Fn(T) -> &'static str) -> Vec<FacetValue> {
    sorted(
        all.iter()
            .enumerate()
            .map(|(i, v)| (name(*v).to_owned(), counts[i + 1])),
    )
}

fn location(c: &CategoryCounts) -> Vec<FacetValue> {
    let mut regions = closed(Region::ALL, &c.region, Region::zh);
    for r in &mut regions {
        let provinces = geo::PROVINCES
            .iter()
            .enumerate()
            .filter(|(_, p)| p.region.zh() == r.value);
        r.children = sorted(provinces.map(|(i, p)| (p.name.to_owned(), c.province[i + 1])));
        for p in &mut r.children {
            let pi = geo::PROVINCES
                .iter()
                .position(|x| x.name == p.value)
                .expect("known province");
            let cities = CITIES.iter().enumerate().filter(|(_, (cp, _))| *cp == pi);
            p.children = sorted(cities.map(|(i, (_, name))| (name.to_string(), c.city[i + 1])));
        }
    }
    regions
}

pub fn shape(
    categories: &CategoryCounts,
    open: Option<&FacetCounts>,
    requested: &[String],
) -> Vec<FacetResult> {
    requested
        .iter()
        .map(|r| {
            let values = match r.as_str() {
                "region" => location(categories),
                "industry" => closed(Industry::ALL, &categories.industry, Industry::zh),
                "size" => closed(Size::ALL, &categories.size, Size::zh),
                "lifecycle" => closed(Lifecycle::ALL, &categories.lifecycle, Lifecycle::zh),
                "value_level" => closed(ValueLevel::ALL, &categories.value_level, ValueLevel::zh),
                _ => open
                    .map(|counts| {
                        let mut v = sorted(counts.get(format!("/{r}").as_str()).map(|(f, n)| {
                            (
                                f.to_path()
                                    .last()
                                    .map(|s| s.to_string())
                                    .unwrap_or_default(),
                                n,
                            )
                        }));
                        v.truncate(TOP_VALUES);
                        v
                    })
                    .unwrap_or_default(),
            };
            FacetResult {
                field: r.strip_prefix(CUSTOM_PREFIX).unwrap_or(r).to_owned(),
                values,
            }
        })
        .collect()
}
