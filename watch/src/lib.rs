//! Questions that watch. A watch is a question (or a structured query) saved by a user; it
//! is answered within that user's scope and field rules as they are when it runs, and it
//! fires when customers **enter** (or leave) its answer. List watches are evaluated after
//! every ingest and change batch ([`evaluate_all`]); measure watches (a summary such as
//! 「本周销售额」 with a condition: below, above, a drop or a rise against the last run) on a
//! schedule ([`run_scheduled`]).
//!
//! Incremental evaluation. A watch remembers its members and the store generation they
//! reflect. Every write stamps the customers whose stored or derived values it changed
//! (`customers._gen`), so after a write only the customers stamped since are asked again:
//! the watch's query plus `id IN (changed)`, under the owner's scope. A customer's
//! membership then depends on its own row only. A full re-run is needed, and done, when
//! that does not hold or the reading moved:
//! - a top-N or 和…相似 (membership depends on every other customer),
//! - a condition on orders or interactions (a batch may change an order without changing
//!   any stamped column of its customer),
//! - the store's `as_of` moved (relative times such as 近30天 are read again), the owner's
//!   scope changed, or the watch is new (its first run only records who is in: a watch
//!   fires on changes after it was made),
//! - more than [`FULL_RUN_SHARE`] of the customers changed (one pass is cheaper).
//!
//! Reports on a schedule ([`report`]) are watches too: a board, saved report or combined
//! dashboard rendered as its subscriber sees it, every day or week, beside the measure
//! watches in [`run_scheduled`].
//!
//! Deliveries go through an outbox in the store ([`outbox`]): queued in the transaction
//! that records the firing, under an idempotency key made of the watch, the generations
//! and the target, so evaluating the same change twice queues nothing new.

mod batch;
mod error;
mod evaluate;
mod measure;
mod message;
pub mod outbox;
pub mod render;
pub mod report;
pub mod robots;
mod spec;
mod targets;

pub use error::{Error, Result};
pub use evaluate::{Evaluator, FULL_RUN_SHARE, Outcome, evaluate_all, full_run_reason, test_watch};
pub use measure::{Condition, Every, run_scheduled};
pub use message::{Item, MeasureNote, Message, ReportNote};
pub use outbox::{DeliveryReport, OutboxItem, Settings, deliver_due, release_held};
pub use report::{Period, Rendered, period_at, render_report, send_now};
pub use spec::{
    BoardView, FireOn, FiringInfo, NewWatch, Watch, WatchInfo, add, get, list, owner_principal,
    remove,
};
pub use targets::{Format, Target, TargetKind, add_target, list_targets, mask_url, remove_target};
