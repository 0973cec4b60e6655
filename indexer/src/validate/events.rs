//! Orders and interactions: the events a customer's derived columns are computed from.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use kesou_domain::{Channel, InteractionKind};

use super::fields::{FieldResult, Fields};

#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub id: String,
    pub customer_id: String,
    pub order_date: NaiveDate,
    pub amount: f64,
    pub product: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InteractionRow {
    pub id: String,
    pub customer_id: String,
    pub ts: NaiveDateTime,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub note: Option<String>,
}

fn event_id(f: &mut Fields<'_>, col: usize) -> FieldResult<String> {
    let id = f.required(col)?;
    if id.len() > 64 || id.chars().any(|c| c.is_whitespace()) {
        return Err(f.reject(
            f.names[col],
            &id,
            "an id is at most 64 characters without spaces",
        ));
    }
    Ok(id)
}

/// Why an event whose customer does not exist is rejected.
/// Why an order or interaction of a file waits (`ingest.rs`, `hold_orphans`).
pub const WAITING_FOR_CUSTOMER: &str = "no such customer in the store or in this ingest: kept waiting in the store, loaded when the customer is";

pub const NO_SUCH_CUSTOMER: &str = "no such customer in the store or in this ingest (load the customer first, or check it was not rejected)";

fn customer_ref(
    f: &mut Fields<'_>,
    col: usize,
    known: Option<&HashMap<String, String>>,
) -> FieldResult<String> {
    let id = f.required(col)?;
    if known.is_some_and(|known| !known.contains_key(&id)) {
        return Err(f.reject("customer_id", &id, NO_SUCH_CUSTOMER));
    }
    Ok(id)
}

/// `known` maps customer ids to their credit codes (only the keys matter here); `None`
/// when the caller checks the customers exist itself, later (a file ingest does, in SQL,
/// once its customers files are staged: see `ingest.rs`).
pub fn validate_order(
    f: &mut Fields<'_>,
    known: Option<&HashMap<String, String>>,
) -> FieldResult<OrderRow> {
    let id = event_id(f, 0)?;
    let customer_id = customer_ref(f, 1, known)?;
    let order_date = f
        .date(2)?
        .ok_or_else(|| f.reject("order_date", "", "is required but empty"))?;
    let amount = f
        .number(3, 0.0)?
        .ok_or_else(|| f.reject("amount", "", "is required but empty"))?;
    let product = f.text(4);
    let product = f.aside(product);
    Ok(OrderRow {
        id,
        customer_id,
        order_date,
        amount,
        product,
    })
}

/// As [`validate_order`].
pub fn validate_interaction(
    f: &mut Fields<'_>,
    known: Option<&HashMap<String, String>>,
) -> FieldResult<InteractionRow> {
    let id = event_id(f, 0)?;
    let customer_id = customer_ref(f, 1, known)?;
    let ts = f
        .timestamp(2)?
        .ok_or_else(|| f.reject("ts", "", "is required but empty"))?;
    // The channel, kind and note are set aside when they fail their checks: the
    // interaction still happened.
    let channel = f.text(3);
    let channel = f.aside(channel).and_then(|c| match Channel::parse(&c) {
        Some(channel) => Some(channel.zh().to_owned()),
        None => {
            let r = f.reject(
                "channel",
                &c,
                "is not a channel; expected 电话 微信 官网 邮件 展会 拜访",
            );
            f.aside::<String>(Err(r))
        }
    });
    let kind = f.required(4).map(Some);
    let kind = f
        .aside(kind)
        .and_then(|k| match InteractionKind::parse(&k) {
            Some(kind) => Some(kind.zh().to_owned()),
            None => {
                let r = f.reject(
                    "kind",
                    &k,
                    "is not an interaction kind; expected 咨询 拜访 投诉 报修 回访",
                );
                f.aside::<String>(Err(r))
            }
        });
    let note = f.text(5);
    let note = f.aside(note);
    Ok(InteractionRow {
        id,
        customer_id,
        ts,
        channel,
        kind,
        note,
    })
}
