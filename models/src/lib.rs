//! kesou's learned models, trained and run on the CPU with candle.
//!
//! [`churn`]: who among the customers buying now will stop (流失风险). Features per customer
//! as of a date in DuckDB SQL, a logistic regression and a small MLP trained on the store's
//! own history (the one that wins on validation is kept), calibrated risks written to
//! `customers.churn_risk` with the factors behind each in words (`churn_factors`), the model
//! saved in the store and reloaded to score new data.

mod error;

pub mod churn;

pub use error::{Error, Result};
