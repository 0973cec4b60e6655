//! The tantivy index beside the store, and how it is kept in step with the store.
//!
//! Every store change commits a new generation number in DuckDB (`meta.generation`) in the
//! same transaction as the data, stamping changed customers (`customers._gen`) and deleted
//! ones (`tombstones.gen`). The index commits the generation it has caught up to as its
//! commit payload. Catching up re-indexes the customers stamped after the index's
//! generation and deletes the tombstoned ones; it runs after every ingest and delete and
//! whenever a store is opened, so a crash between the two commits heals on the next open.

pub mod category;
mod docs;
mod schema;
mod sync;

pub use schema::{
    CATEGORY_FIELD, CUSTOM_FACET, CUSTOM_RANGES_FIELD, F64_FIELDS, FACET_ROOTS, GEN_FIELD,
    I64_FIELDS, IndexFields, STORED_STRINGS, build_schema, day_number, facet, region_facet,
};
pub use sync::{IndexHandle, SyncReport, indexed_generation, open_index, sync};
pub(crate) use sync::{Merging, sync_into};
