//! One chunk of customers with their histories, as Arrow batches. Chunks are independent:
//! generating customers [a, b) alone gives exactly the rows that the whole run writes for
//! them, so chunks can be generated in parallel and concatenated in order.

use std::fmt::Write;

use arrow::array::RecordBatch;

use crate::GenerateConfig;
use crate::batch::{Columns, CustomerRow, Schemas};
use crate::catalog::PRODUCTS;
use crate::customer::Customer;
use crate::dirty::{self, OrderDefects};
use crate::events;
use crate::script::Script;
use crate::unique::Names;

/// The four data tables of one chunk of customers.
#[derive(Debug, Clone)]
pub struct Batches {
    pub customers: RecordBatch,
    pub orders: RecordBatch,
    pub interactions: RecordBatch,
    /// `id, segment`: the latent persona of each customer (the generator's ground truth).
    pub truth: RecordBatch,
}

/// Generates customers [first, first + count) with their orders and interactions.
pub(crate) fn chunk(config: &GenerateConfig, names: &Names, first: usize, count: usize) -> Batches {
    let (seed, as_of) = (config.seed, config.as_of_day());
    let schemas = if config.dirty {
        Schemas::dirty()
    } else {
        Schemas::clean()
    };
    let mut cols = Columns::new(schemas, count);
    let mut note = String::with_capacity(256);
    for index in first..first + count {
        let mut c = Customer::generate(seed, index, names.identity(index));
        let id = c.id();
        let segment = c.identity.persona().name;
        cols.push_truth(&id, segment);
        let row = CustomerRow::of(&mut c);
        if config.dirty {
            dirty::customer_rows(seed, &c, row, &mut |r, new_company| {
                cols.push_customer(r);
                if new_company {
                    cols.push_truth(&r.id, segment);
                }
            });
            dirty_orders(&c, &id, seed, as_of, &mut cols);
        } else {
            cols.push_customer(&row);
            events::orders(&c, seed, as_of, &mut |o| {
                cols.push_order(index, &id, o, PRODUCTS.get(o.product, Script::Simplified));
            });
        }
        events::interactions(&c, seed, as_of, &mut note, &mut |e, note| {
            cols.push_interaction(index, &id, e, note)
        });
    }
    cols.finish()
}

/// The customer's orders as a dirty export has them: text dates and amounts, some broken,
/// and perhaps an order of a customer missing from the export.
fn dirty_orders(c: &Customer, id: &str, seed: u64, as_of: i32, cols: &mut Columns) {
    let mut defects = OrderDefects::new(seed, c);
    let mut order_id = String::with_capacity(16);
    events::orders(c, seed, as_of, &mut |o| {
        defects.text(o);
        order_id.clear();
        let _ = write!(order_id, "O{:07}{:04}", c.index + 1, o.seq);
        let product = PRODUCTS.get(o.product, Script::Simplified);
        cols.push_order_text(&order_id, id, &defects.date, &defects.amount, product);
    });
    if let Some((order_id, customer, o)) = defects.orphan(c.index, as_of) {
        defects.plain(&o);
        let product = PRODUCTS.get(o.product, Script::Simplified);
        cols.push_order_text(
            &order_id,
            &customer,
            &defects.date,
            &defects.amount,
            product,
        );
    }
}
