//! Facet counts: the hierarchical location (region → province → city) and the flat
//! categories, shaped for people and for JSON.

use kesou_domain::{Region, geo};
use serde::Serialize;
use tantivy::collector::{FacetCollector, FacetCounts};

use crate::{Error, Result};

/// Facets a search may ask for.
pub const FACETS: &[&str] = &["region", "industry", "size", "lifecycle", "value_level", "tags", "owner"];

/// How many values a flat facet lists at most.
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

pub fn check(requested: &[String]) -> Result<()> {
    for r in requested {
        if !FACETS.contains(&r.as_str()) {
            return Err(Error::BadRequest(format!("no facet {r:?}; facets are {}", FACETS.join(", "))));
        }
    }
    Ok(())
}

/// The collector for the requested facets.
pub fn collector(requested: &[String]) -> FacetCollector {
    let mut c = FacetCollector::for_field("facets");
    for r in requested {
        c.add_facet(format!("/{r}").as_str());
        if r == "region" {
            for region in Region::ALL {
                c.add_facet(format!("/province/{}", region.zh()).as_str());
            }
            for p in geo::PROVINCES {
                c.add_facet(format!("/city/{}/{}", p.region.zh(), p.name).as_str());
            }
        }
    }
    c
}

fn children(counts: &FacetCounts, path: &str) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = counts
        .get(path)
        .filter(|(_, n)| *n > 0)
        .map(|(f, n)| {
            let p = f.to_path();
            (p.last().map(|s| s.to_string()).unwrap_or_default(), n)
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

pub fn shape(counts: &FacetCounts, requested: &[String]) -> Vec<FacetResult> {
    requested
        .iter()
        .map(|r| {
            let values = if r == "region" {
                children(counts, "/region")
                    .into_iter()
                    .map(|(region, count)| FacetValue {
                        children: children(counts, &format!("/province/{region}"))
                            .into_iter()
                            .map(|(province, count)| FacetValue {
                                children: children(counts, &format!("/city/{region}/{province}"))
                                    .into_iter()
                                    .map(|(value, count)| FacetValue { value, count, children: Vec::new() })
                                    .collect(),
                                value: province,
                                count,
                            })
                            .collect(),
                        value: region,
                        count,
                    })
                    .collect()
            } else {
                children(counts, &format!("/{r}"))
                    .into_iter()
                    .take(TOP_VALUES)
                    .map(|(value, count)| FacetValue { value, count, children: Vec::new() })
                    .collect()
            };
            FacetResult { field: r.clone(), values }
        })
        .collect()
}
