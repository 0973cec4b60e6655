//! Raw features to the model's input: numbers transformed (logs of counts and amounts, log
//! ratios for trends), industry and size one-hot, source tags as indicators, every column
//! standardised by the training customers' mean and standard deviation. The encoder is
//! saved with the model, so scoring encodes exactly as training did.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::features::{Population, Raw};

/// What a column is about: the unit in which contributions are summed and put into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// How long since the last order, against the customer's own rhythm.
    Recency,
    /// How often it orders, and whether that slows down.
    Frequency,
    /// How much it buys, and whether that shrinks.
    Amount,
    /// Whether its latest orders are smaller than its earlier ones.
    OrderSize,
    Complaints,
    Repairs,
    /// Consultations, visits, follow-ups: how much we hear from it.
    Engagement,
    /// How long it has been buying.
    Tenure,
    /// Employees, registered capital, company age.
    Company,
    Industry,
    Size,
    Tag,
}

/// A numeric column: its name, its factor and how it is computed from the raw numbers.
struct Numeric {
    name: &'static str,
    factor: Factor,
    value: fn(&Raw) -> f64,
}

/// Amounts are smoothed by this many yuan in ratios, so that tiny amounts do not swing them.
const AMOUNT_SMOOTHING: f64 = 1_000.0;
/// The gap assumed for a customer with one order: a year.
const ONE_ORDER_GAP: f64 = 365.0;

fn ln1p(v: f64) -> f64 {
    v.max(0.0).ln_1p()
}

fn ratio(now: f64, before: f64, smoothing: f64) -> f64 {
    ((now.max(0.0) + smoothing) / (before.max(0.0) + smoothing)).ln()
}

fn gap(r: &Raw) -> f64 {
    if r.gap.is_nan() { ONE_ORDER_GAP } else { r.gap }
}

static NUMERIC: &[Numeric] = &[
    Numeric {
        name: "ln_recency",
        factor: Factor::Recency,
        value: |r| ln1p(r.recency),
    },
    Numeric {
        name: "overdue",
        factor: Factor::Recency,
        value: |r| ((r.recency + 1.0) / (gap(r) + 1.0)).ln(),
    },
    Numeric {
        name: "ln_gap",
        factor: Factor::Frequency,
        value: |r| ln1p(gap(r)),
    },
    Numeric {
        name: "one_order",
        factor: Factor::Frequency,
        value: |r| f64::from(u8::from(r.orders_total <= 1.0)),
    },
    Numeric {
        name: "ln_orders_total",
        factor: Factor::Frequency,
        value: |r| ln1p(r.orders_total),
    },
    Numeric {
        name: "ln_orders_90",
        factor: Factor::Frequency,
        value: |r| ln1p(r.orders_90),
    },
    Numeric {
        name: "ln_orders_180",
        factor: Factor::Frequency,
        value: |r| ln1p(r.orders_180),
    },
    Numeric {
        name: "ln_orders_365",
        factor: Factor::Frequency,
        value: |r| ln1p(r.orders_365),
    },
    Numeric {
        name: "orders_trend",
        factor: Factor::Frequency,
        value: |r| ratio(r.orders_180, r.orders_prev180, 1.0),
    },
    Numeric {
        name: "ln_amount_total",
        factor: Factor::Amount,
        value: |r| ln1p(r.amount_total),
    },
    Numeric {
        name: "ln_amount_365",
        factor: Factor::Amount,
        value: |r| ln1p(r.amount_365),
    },
    Numeric {
        name: "amount_trend",
        factor: Factor::Amount,
        value: |r| ratio(r.amount_180, r.amount_prev180, AMOUNT_SMOOTHING),
    },
    Numeric {
        name: "amount_yoy",
        factor: Factor::Amount,
        value: |r| ratio(r.amount_365, r.amount_prev365, AMOUNT_SMOOTHING),
    },
    Numeric {
        name: "order_size_trend",
        factor: Factor::OrderSize,
        value: |r| {
            if r.log_amount_before.is_nan() || r.log_amount_recent3.is_nan() {
                0.0
            } else {
                r.log_amount_recent3 - r.log_amount_before
            }
        },
    },
    Numeric {
        name: "ln_complaints_90",
        factor: Factor::Complaints,
        value: |r| ln1p(r.complaints_90),
    },
    Numeric {
        name: "ln_complaints_180",
        factor: Factor::Complaints,
        value: |r| ln1p(r.complaints_180),
    },
    Numeric {
        name: "ln_complaints_365",
        factor: Factor::Complaints,
        value: |r| ln1p(r.complaints_365),
    },
    Numeric {
        name: "ln_repairs_90",
        factor: Factor::Repairs,
        value: |r| ln1p(r.repairs_90),
    },
    Numeric {
        name: "ln_repairs_180",
        factor: Factor::Repairs,
        value: |r| ln1p(r.repairs_180),
    },
    Numeric {
        name: "ln_repairs_365",
        factor: Factor::Repairs,
        value: |r| ln1p(r.repairs_365),
    },
    Numeric {
        name: "ln_consults_90",
        factor: Factor::Engagement,
        value: |r| ln1p(r.consults_90),
    },
    Numeric {
        name: "ln_consults_365",
        factor: Factor::Engagement,
        value: |r| ln1p(r.consults_365),
    },
    Numeric {
        name: "ln_visits_180",
        factor: Factor::Engagement,
        value: |r| ln1p(r.visits_180),
    },
    Numeric {
        name: "ln_followups_180",
        factor: Factor::Engagement,
        value: |r| ln1p(r.followups_180),
    },
    Numeric {
        name: "ln_contacts_90",
        factor: Factor::Engagement,
        value: |r| ln1p(r.contacts_90),
    },
    Numeric {
        name: "contacts_trend",
        factor: Factor::Engagement,
        value: |r| ratio(r.contacts_180, r.contacts_prev180, 1.0),
    },
    Numeric {
        name: "ln_contact_days",
        factor: Factor::Engagement,
        value: |r| {
            if r.contact_days.is_nan() {
                ln1p(3650.0)
            } else {
                ln1p(r.contact_days.min(3650.0))
            }
        },
    },
    Numeric {
        name: "ln_tenure",
        factor: Factor::Tenure,
        value: |r| ln1p(r.tenure),
    },
    Numeric {
        name: "ln_employees",
        factor: Factor::Company,
        value: |r| {
            if r.employees.is_nan() {
                0.0
            } else {
                ln1p(r.employees)
            }
        },
    },
    Numeric {
        name: "ln_capital",
        factor: Factor::Company,
        value: |r| {
            if r.capital.is_nan() {
                0.0
            } else {
                ln1p(r.capital)
            }
        },
    },
    Numeric {
        name: "ln_age",
        factor: Factor::Company,
        value: |r| {
            if r.age_days.is_nan() {
                0.0
            } else {
                ln1p(r.age_days)
            }
        },
    },
];

/// A source tag must be on at least this share of the training customers to be a column.
const MIN_TAG_SHARE: f64 = 0.002;
/// At most this many tag columns (the most frequent).
const MAX_TAGS: usize = 40;

/// The columns of the model's input and how to compute them. Saved with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// Every column's name, numeric ones first, then `industry=…`, `size=…`, `tag=…`.
    pub columns: Vec<String>,
    pub industries: Vec<String>,
    pub sizes: Vec<String>,
    pub tags: Vec<String>,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

/// Encoded rows: `rows × cols`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// The rows at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(rows.len() * self.cols);
        for &r in rows {
            data.extend_from_slice(self.row(r));
        }
        Matrix {
            rows: rows.len(),
            cols: self.cols,
            data,
        }
    }
}

impl Encoder {
    /// Learns the vocabularies and the standardisation from the training customers.
    pub fn fit(train: &Population) -> Encoder {
        let distinct = |values: &[Option<String>]| -> Vec<String> {
            let mut v: Vec<String> = values.iter().flatten().cloned().collect();
            v.sort();
            v.dedup();
            v
        };
        let mut tag_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for tags in &train.tags {
            for t in tags {
                *tag_counts.entry(t).or_default() += 1;
            }
        }
        let min = (MIN_TAG_SHARE * train.len() as f64).ceil().max(1.0) as usize;
        let mut tags: Vec<(&str, usize)> = tag_counts.into_iter().filter(|t| t.1 >= min).collect();
        tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        tags.truncate(MAX_TAGS);
        let mut tags: Vec<String> = tags.into_iter().map(|(t, _)| t.to_owned()).collect();
        tags.sort();
        let mut enc = Encoder {
            columns: Vec::new(),
            industries: distinct(&train.industry),
            sizes: distinct(&train.size),
            tags,
            mean: Vec::new(),
            std: Vec::new(),
        };
        enc.columns = NUMERIC.iter().map(|n| n.name.to_owned()).collect();
        enc.columns
            .extend(enc.industries.iter().map(|v| format!("industry={v}")));
        enc.columns
            .extend(enc.sizes.iter().map(|v| format!("size={v}")));
        enc.columns
            .extend(enc.tags.iter().map(|v| format!("tag={v}")));
        let cols = enc.columns.len();
        enc.mean = vec![0.0; cols];
        enc.std = vec![1.0; cols];
        let m = enc.encode(train);
        let n = m.rows.max(1) as f64;
        let mut sum = vec![0.0f64; cols];
        let mut sq = vec![0.0f64; cols];
        for r in 0..m.rows {
            for (c, v) in m.row(r).iter().enumerate() {
                sum[c] += f64::from(*v);
                sq[c] += f64::from(*v) * f64::from(*v);
            }
        }
        for c in 0..cols {
            let mean = sum[c] / n;
            let var = (sq[c] / n - mean * mean).max(0.0);
            enc.mean[c] = mean as f32;
            // A constant column stays 0 after centring.
            enc.std[c] = if var > 1e-12 { var.sqrt() as f32 } else { 1.0 };
        }
        enc
    }

    /// The standardised input of every customer of `pop`.
    pub fn encode(&self, pop: &Population) -> Matrix {
        let cols = self.columns.len();
        let mut data = vec![0.0f32; pop.len() * cols];
        let (industry_at, size_at, tag_at) = (
            NUMERIC.len(),
            NUMERIC.len() + self.industries.len(),
            NUMERIC.len() + self.industries.len() + self.sizes.len(),
        );
        for (r, row) in data.chunks_mut(cols.max(1)).enumerate().take(pop.len()) {
            let raw = &pop.raw[r];
            for (c, n) in NUMERIC.iter().enumerate() {
                let v = (n.value)(raw);
                row[c] = if v.is_finite() { v as f32 } else { 0.0 };
            }
            if let Some(i) = pop.industry[r]
                .as_ref()
                .and_then(|v| self.industries.iter().position(|x| x == v))
            {
                row[industry_at + i] = 1.0;
            }
            if let Some(i) = pop.size[r]
                .as_ref()
                .and_then(|v| self.sizes.iter().position(|x| x == v))
            {
                row[size_at + i] = 1.0;
            }
            for t in &pop.tags[r] {
                if let Ok(i) = self.tags.binary_search(t) {
                    row[tag_at + i] = 1.0;
                }
            }
            for (c, v) in row.iter_mut().enumerate() {
                *v = (*v - self.mean[c]) / self.std[c];
            }
        }
        Matrix {
            rows: pop.len(),
            cols,
            data,
        }
    }

    /// The factor of every column, in column order.
    pub fn factors(&self) -> Vec<Factor> {
        let mut f: Vec<Factor> = NUMERIC.iter().map(|n| n.factor).collect();
        f.extend(self.industries.iter().map(|_| Factor::Industry));
        f.extend(self.sizes.iter().map(|_| Factor::Size));
        f.extend(self.tags.iter().map(|_| Factor::Tag));
        f
    }

    /// Whether the encoder's numeric columns are the ones this build computes (a model saved
    /// by another version of kesou may not be).
    pub fn matches_this_build(&self) -> bool {
        self.columns.len() >= NUMERIC.len()
            && NUMERIC.iter().zip(&self.columns).all(|(n, c)| n.name == c)
            && self.mean.len() == self.columns.len()
            && self.std.len() == self.columns.len()
    }
}
