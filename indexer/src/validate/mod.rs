//! Validation of source rows against the data contract: what is wrong with a row, in words a
//! person can act on, and which safe normalisations were applied on the way.

mod customers;
mod events;
mod fields;
mod tables;

pub use customers::{
    CustomerRow, Identities, check_email, check_phone, claimed_identity, validate_customer,
};
pub use events::{
    InteractionRow, OrderRow, WAITING_FOR_CUSTOMER, validate_interaction, validate_order,
};
pub use fields::{Columns, Fields, Normalization, Outcome, Reject};
pub(crate) use fields::{excel_serial, parse_any_timestamp, parse_date};
pub use tables::{Table, split_unit};
