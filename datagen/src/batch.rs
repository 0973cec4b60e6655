//! The tables as Arrow: their schemas (the file contract) and column builders that take
//! rows without per-row allocation.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, Int32Builder, ListBuilder, RecordBatch, StringBuilder,
    TimestampSecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::customer::Customer;
use crate::events::{Interaction, Order};

/// The Arrow schemas of the generated tables.
///
/// `customers`: id, name, credit_code, region, province, city, industry, size (Utf8),
/// employees (Int32), registered_capital (Float64), founded_date (Date32), owner (Utf8),
/// tags (List<Utf8>), contact_name, contact_phone, email, description (Utf8), created_at
/// (Timestamp(Second)). `orders`: id, customer_id (Utf8), order_date (Date32), amount
/// (Float64), product (Utf8). `interactions`: id, customer_id (Utf8), ts (Timestamp(Second)),
/// channel, kind, note (Utf8). `truth_segments`: id, segment. `meta`: key, value.
///
/// Dirty data keeps every schema except `orders`, whose order_date and amount are Utf8 there:
/// a malformed date or amount can only be carried as text, as ERP exports do.
#[derive(Debug, Clone)]
pub struct Schemas {
    pub customers: SchemaRef,
    pub orders: SchemaRef,
    pub interactions: SchemaRef,
    pub truth: SchemaRef,
    pub meta: SchemaRef,
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn timestamp(name: &str) -> Field {
    Field::new(name, DataType::Timestamp(TimeUnit::Second, None), true)
}

impl Schemas {
    /// The schemas of clean data.
    pub fn clean() -> Schemas {
        Self::build(false)
    }

    /// The schemas of `--dirty` data (orders' date and amount as text).
    pub fn dirty() -> Schemas {
        Self::build(true)
    }

    fn build(dirty: bool) -> Schemas {
        let id = Field::new("id", DataType::Utf8, false);
        let customers = Schema::new(vec![
            id.clone(),
            text("name"),
            text("credit_code"),
            text("region"),
            text("province"),
            text("city"),
            text("industry"),
            text("size"),
            Field::new("employees", DataType::Int32, true),
            Field::new("registered_capital", DataType::Float64, true),
            Field::new("founded_date", DataType::Date32, true),
            text("owner"),
            Field::new_list("tags", Field::new("item", DataType::Utf8, true), true),
            text("contact_name"),
            text("contact_phone"),
            text("email"),
            text("description"),
            timestamp("created_at"),
        ]);
        let (date, amount) = if dirty {
            (DataType::Utf8, DataType::Utf8)
        } else {
            (DataType::Date32, DataType::Float64)
        };
        let orders = Schema::new(vec![
            id.clone(),
            text("customer_id"),
            Field::new("order_date", date, true),
            Field::new("amount", amount, true),
            text("product"),
        ]);
        let interactions = Schema::new(vec![
            id.clone(),
            text("customer_id"),
            timestamp("ts"),
            text("channel"),
            text("kind"),
            text("note"),
        ]);
        let truth = Schema::new(vec![id, text("segment")]);
        let meta = Schema::new(vec![
            Field::new("key", DataType::Utf8, false),
            text("value"),
        ]);
        Schemas {
            customers: Arc::new(customers),
            orders: Arc::new(orders),
            interactions: Arc::new(interactions),
            truth: Arc::new(truth),
            meta: Arc::new(meta),
        }
    }
}

/// The Arrow schemas of the four data tables and `meta` (clean data; see [`Schemas`]).
pub fn schemas() -> Schemas {
    Schemas::clean()
}

/// A customer as it is written: owned text, so dirty exports can alter any of it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CustomerRow {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub region: Cow<'static, str>,
    pub province: Cow<'static, str>,
    pub city: Cow<'static, str>,
    pub industry: Cow<'static, str>,
    pub size: &'static str,
    pub employees: i32,
    pub registered_capital: f64,
    pub founded_date: i32,
    pub owner: Cow<'static, str>,
    pub tags: Vec<&'static str>,
    pub contact_name: String,
    pub contact_phone: String,
    pub email: String,
    pub description: String,
    pub created_at: i64,
}

impl CustomerRow {
    pub fn of(c: &mut Customer) -> Self {
        CustomerRow {
            id: c.id(),
            name: c.name(),
            credit_code: std::mem::take(&mut c.credit_code),
            region: Cow::Borrowed(c.region()),
            province: Cow::Borrowed(c.identity.province.name),
            city: Cow::Borrowed(c.identity.city),
            industry: Cow::Borrowed(c.identity.industry.zh()),
            size: c.identity.size.zh(),
            employees: c.employees,
            registered_capital: c.capital_yuan,
            founded_date: c.founded,
            owner: Cow::Borrowed(c.owner),
            tags: c.tags.clone(),
            contact_name: c.contact.name(),
            contact_phone: std::mem::take(&mut c.phone),
            email: std::mem::take(&mut c.email),
            description: std::mem::take(&mut c.description),
            created_at: c.created_at,
        }
    }
}

/// Builders of one chunk's four tables.
pub(crate) struct Columns {
    schemas: Schemas,
    // customers
    c_id: StringBuilder,
    c_name: StringBuilder,
    c_code: StringBuilder,
    c_region: StringBuilder,
    c_province: StringBuilder,
    c_city: StringBuilder,
    c_industry: StringBuilder,
    c_size: StringBuilder,
    c_employees: Int32Builder,
    c_capital: Float64Builder,
    c_founded: Date32Builder,
    c_owner: StringBuilder,
    c_tags: ListBuilder<StringBuilder>,
    c_contact: StringBuilder,
    c_phone: StringBuilder,
    c_email: StringBuilder,
    c_description: StringBuilder,
    c_created: TimestampSecondBuilder,
    // orders
    o_id: StringBuilder,
    o_customer: StringBuilder,
    o_date: Date32Builder,
    o_date_text: StringBuilder,
    o_amount: Float64Builder,
    o_amount_text: StringBuilder,
    o_product: StringBuilder,
    // interactions
    i_id: StringBuilder,
    i_customer: StringBuilder,
    i_ts: TimestampSecondBuilder,
    i_channel: StringBuilder,
    i_kind: StringBuilder,
    i_note: StringBuilder,
    // truth
    t_id: StringBuilder,
    t_segment: StringBuilder,
}

fn strings(rows: usize, bytes_per_row: usize) -> StringBuilder {
    StringBuilder::with_capacity(rows, rows * bytes_per_row)
}

impl Columns {
    /// Builders sized for `customers` customers.
    pub fn new(schemas: Schemas, customers: usize) -> Self {
        let (c, o, i) = (customers + customers / 16, customers * 11, customers * 16);
        let orders_text = if is_text(&schemas, 2) { o } else { 0 };
        Columns {
            schemas,
            c_id: strings(c, 8),
            c_name: strings(c, 40),
            c_code: strings(c, 18),
            c_region: strings(c, 6),
            c_province: strings(c, 9),
            c_city: strings(c, 9),
            c_industry: strings(c, 6),
            c_size: strings(c, 6),
            c_employees: Int32Builder::with_capacity(c),
            c_capital: Float64Builder::with_capacity(c),
            c_founded: Date32Builder::with_capacity(c),
            c_owner: strings(c, 9),
            c_tags: ListBuilder::with_capacity(strings(c * 2, 12), c),
            c_contact: strings(c, 9),
            c_phone: strings(c, 11),
            c_email: strings(c, 24),
            c_description: strings(c, 300),
            c_created: TimestampSecondBuilder::with_capacity(c),
            o_id: strings(o, 12),
            o_customer: strings(o, 8),
            o_date: Date32Builder::with_capacity(o - orders_text),
            o_date_text: strings(orders_text, 10),
            o_amount: Float64Builder::with_capacity(o - orders_text),
            o_amount_text: strings(orders_text, 10),
            o_product: strings(o, 12),
            i_id: strings(i, 13),
            i_customer: strings(i, 8),
            i_ts: TimestampSecondBuilder::with_capacity(i),
            i_channel: strings(i, 6),
            i_kind: strings(i, 6),
            i_note: strings(i, 90),
            t_id: strings(c, 8),
            t_segment: strings(c, 15),
        }
    }

    pub fn push_customer(&mut self, r: &CustomerRow) {
        self.c_id.append_value(&r.id);
        self.c_name.append_value(&r.name);
        self.c_code.append_value(&r.credit_code);
        self.c_region.append_value(&r.region);
        self.c_province.append_value(&r.province);
        self.c_city.append_value(&r.city);
        self.c_industry.append_value(&r.industry);
        self.c_size.append_value(r.size);
        self.c_employees.append_value(r.employees);
        self.c_capital.append_value(r.registered_capital);
        self.c_founded.append_value(r.founded_date);
        self.c_owner.append_value(&r.owner);
        for tag in &r.tags {
            self.c_tags.values().append_value(tag);
        }
        self.c_tags.append(true);
        self.c_contact.append_value(&r.contact_name);
        self.c_phone.append_value(&r.contact_phone);
        self.c_email.append_value(&r.email);
        self.c_description.append_value(&r.description);
        self.c_created.append_value(r.created_at);
    }

    pub fn push_truth(&mut self, id: &str, segment: &str) {
        self.t_id.append_value(id);
        self.t_segment.append_value(segment);
    }

    /// An order of customer `index` with typed date and amount (clean data).
    pub fn push_order(&mut self, index: usize, customer_id: &str, o: &Order, product: &str) {
        let _ = write!(self.o_id, "O{:07}{:04}", index + 1, o.seq);
        self.o_id.append_value("");
        self.o_customer.append_value(customer_id);
        self.o_date.append_value(o.day);
        self.o_amount.append_value(o.amount);
        self.o_product.append_value(product);
    }

    /// An order with date and amount as text (dirty data).
    pub fn push_order_text(
        &mut self,
        id: &str,
        customer_id: &str,
        date: &str,
        amount: &str,
        product: &str,
    ) {
        self.o_id.append_value(id);
        self.o_customer.append_value(customer_id);
        self.o_date_text.append_value(date);
        self.o_amount_text.append_value(amount);
        self.o_product.append_value(product);
    }

    pub fn push_interaction(
        &mut self,
        index: usize,
        customer_id: &str,
        e: &Interaction,
        note: &str,
    ) {
        let _ = write!(self.i_id, "I{:07}{:05}", index + 1, e.seq);
        self.i_id.append_value("");
        self.i_customer.append_value(customer_id);
        self.i_ts.append_value(e.ts);
        self.i_channel.append_value(e.channel.zh());
        self.i_kind.append_value(e.kind.zh());
        self.i_note.append_value(note);
    }

    /// The finished batches.
    pub fn finish(mut self) -> crate::Batches {
        let s = self.schemas.clone();
        let customers: Vec<ArrayRef> = vec![
            Arc::new(self.c_id.finish()),
            Arc::new(self.c_name.finish()),
            Arc::new(self.c_code.finish()),
            Arc::new(self.c_region.finish()),
            Arc::new(self.c_province.finish()),
            Arc::new(self.c_city.finish()),
            Arc::new(self.c_industry.finish()),
            Arc::new(self.c_size.finish()),
            Arc::new(self.c_employees.finish()),
            Arc::new(self.c_capital.finish()),
            Arc::new(self.c_founded.finish()),
            Arc::new(self.c_owner.finish()),
            Arc::new(self.c_tags.finish()),
            Arc::new(self.c_contact.finish()),
            Arc::new(self.c_phone.finish()),
            Arc::new(self.c_email.finish()),
            Arc::new(self.c_description.finish()),
            Arc::new(self.c_created.finish()),
        ];
        let (date, amount): (ArrayRef, ArrayRef) = if is_text(&s, 2) {
            (
                Arc::new(self.o_date_text.finish()),
                Arc::new(self.o_amount_text.finish()),
            )
        } else {
            (
                Arc::new(self.o_date.finish()),
                Arc::new(self.o_amount.finish()),
            )
        };
        let orders: Vec<ArrayRef> = vec![
            Arc::new(self.o_id.finish()),
            Arc::new(self.o_customer.finish()),
            date,
            amount,
            Arc::new(self.o_product.finish()),
        ];
        let interactions: Vec<ArrayRef> = vec![
            Arc::new(self.i_id.finish()),
            Arc::new(self.i_customer.finish()),
            Arc::new(self.i_ts.finish()),
            Arc::new(self.i_channel.finish()),
            Arc::new(self.i_kind.finish()),
            Arc::new(self.i_note.finish()),
        ];
        let truth: Vec<ArrayRef> = vec![
            Arc::new(self.t_id.finish()),
            Arc::new(self.t_segment.finish()),
        ];
        let batch = |schema: &SchemaRef, columns| {
            RecordBatch::try_new(schema.clone(), columns).expect("columns match the schema")
        };
        crate::Batches {
            customers: batch(&s.customers, customers),
            orders: batch(&s.orders, orders),
            interactions: batch(&s.interactions, interactions),
            truth: batch(&s.truth, truth),
        }
    }
}

fn is_text(s: &Schemas, column: usize) -> bool {
    s.orders.field(column).data_type() == &DataType::Utf8
}
