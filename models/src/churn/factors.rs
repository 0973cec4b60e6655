//! Why a customer is at risk, in words. Each factor's contribution is measured by occlusion
//! ([`crate::tabular::occlusion`]). The factors that raise the risk most are put into words with the customer's own numbers (已152天未下单 ·
//! 近90天投诉3次 · 采购额同比下降40%); a factor whose numbers do not read as a risk (a
//! complaint factor without complaints) is left out rather than said wrongly.

use crate::Result;
use crate::tabular::encode::{Factor, Matrix};
use crate::tabular::features::{Population, Raw};
use crate::tabular::net::Net;
use crate::tabular::occlusion;

/// At most this many factors per customer.
pub const MAX_FACTORS: usize = 3;
/// A factor must raise the logit by at least this much to be named.
const MIN_CONTRIBUTION: f64 = 0.05;
/// The words for the factors that raise each customer's risk most (at most
/// [`MAX_FACTORS`]), strongest first.
pub fn explain(
    net: &Net,
    m: &Matrix,
    columns: &[Factor],
    pop: &Population,
) -> Result<Vec<Vec<String>>> {
    occlusion::strongest(net, m, columns, MIN_CONTRIBUTION, MAX_FACTORS, |f, r| {
        words(f, pop, r)
    })
}

/// A factor in words with the customer's numbers, or `None` when its numbers do not read as
/// a risk.
pub fn words(factor: Factor, pop: &Population, row: usize) -> Option<String> {
    let r: &Raw = &pop.raw[row];
    match factor {
        Factor::Recency if r.recency >= 30.0 => Some(if r.gap.is_finite() && r.recency > r.gap {
            format!("已{}天未下单（平均{}天一单）", r.recency, r.gap.round())
        } else {
            format!("已{}天未下单", r.recency)
        }),
        Factor::Frequency => {
            if r.orders_prev180 > r.orders_180 {
                Some(format!(
                    "下单减少（近半年{}次，此前半年{}次）",
                    r.orders_180, r.orders_prev180
                ))
            } else if r.orders_total <= 1.0 {
                Some("仅下过1单".to_owned())
            } else if r.orders_365 <= 2.0 {
                Some(format!("近一年仅下单{}次", r.orders_365))
            } else {
                None
            }
        }
        Factor::Amount => {
            if r.amount_prev365 > 0.0 && r.amount_365 < 0.9 * r.amount_prev365 {
                Some(format!(
                    "采购额同比下降{}%",
                    percent_drop(r.amount_365 / r.amount_prev365)
                ))
            } else if r.amount_prev180 > 0.0 && r.amount_180 < 0.9 * r.amount_prev180 {
                Some(format!(
                    "近半年采购额环比下降{}%",
                    percent_drop(r.amount_180 / r.amount_prev180)
                ))
            } else if r.amount_365 < 50_000.0 {
                Some(format!("近一年采购额仅{}", money(r.amount_365)))
            } else {
                None
            }
        }
        Factor::OrderSize => {
            let d = r.log_amount_recent3 - r.log_amount_before;
            (d.is_finite() && d < -0.1)
                .then(|| format!("近3单平均金额下降{}%", percent_drop(d.exp())))
        }
        Factor::Complaints => {
            count_words("投诉", r.complaints_90, r.complaints_180, r.complaints_365)
        }
        Factor::Repairs => count_words("报修", r.repairs_90, r.repairs_180, r.repairs_365),
        Factor::Engagement => {
            if r.contact_days.is_nan() {
                Some("从未有过互动记录".to_owned())
            } else if r.contact_days >= 90.0 {
                Some(format!("已{}天无互动", r.contact_days))
            } else if r.contacts_prev180 > r.contacts_180 + 1.0 {
                Some(format!(
                    "互动减少（近半年{}次，此前半年{}次）",
                    r.contacts_180, r.contacts_prev180
                ))
            } else {
                None
            }
        }
        Factor::Tenure if r.tenure < 365.0 => Some(format!(
            "首单至今仅{}个月",
            (r.tenure / 30.4).floor().max(1.0)
        )),
        Factor::Company if r.employees.is_finite() && r.employees < 50.0 => {
            Some(format!("企业规模小（{}人）", r.employees))
        }
        Factor::Industry => pop.industry[row]
            .as_ref()
            .map(|i| format!("{i}行业客户流失较多")),
        Factor::Size => pop.size[row].as_ref().map(|s| format!("{s}企业流失较多")),
        Factor::Tag => {
            let tags = &pop.tags[row];
            (!tags.is_empty())
                .then(|| format!("「{}」客户流失较多", tags[..tags.len().min(2)].join("」「")))
        }
        _ => None,
    }
}

/// 近90天投诉3次, or over 180 days, or a year, whichever window first has one.
fn count_words(kind: &str, d90: f64, d180: f64, d365: f64) -> Option<String> {
    if d90 >= 1.0 {
        Some(format!("近90天{kind}{d90}次"))
    } else if d180 >= 1.0 {
        Some(format!("近180天{kind}{d180}次"))
    } else if d365 >= 1.0 {
        Some(format!("近一年{kind}{d365}次"))
    } else {
        None
    }
}

/// 40 for a ratio of 0.6.
fn percent_drop(ratio: f64) -> i64 {
    ((1.0 - ratio.max(0.0)) * 100.0).round() as i64
}

/// Yuan as a manager writes it: 8,500元, 3.5万, 1.2亿.
pub fn money(yuan: f64) -> String {
    if yuan >= 1e8 {
        format!("{:.1}亿", yuan / 1e8)
    } else if yuan >= 1e4 {
        format!("{:.1}万", yuan / 1e4)
    } else {
        format!("{}元", yuan.round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: Raw) -> Population {
        Population::one(raw, "餐饮", "微型", &["线上注册"])
    }

    #[test]
    fn words_carry_the_customers_numbers_and_only_read_as_risk() {
        let raw = Raw {
            recency: 152.0,
            gap: 40.0,
            tenure: 900.0,
            orders_total: 12.0,
            orders_180: 1.0,
            orders_prev180: 4.0,
            orders_365: 5.0,
            amount_365: 60_000.0,
            amount_prev365: 100_000.0,
            complaints_90: 3.0,
            complaints_180: 4.0,
            complaints_365: 4.0,
            log_amount_recent3: 8.0,
            log_amount_before: 9.0,
            contact_days: 10.0,
            employees: 8.0,
            ..Raw::default()
        };
        let p = one(raw);
        assert_eq!(
            words(Factor::Recency, &p, 0).unwrap(),
            "已152天未下单（平均40天一单）"
        );
        assert_eq!(words(Factor::Complaints, &p, 0).unwrap(), "近90天投诉3次");
        assert_eq!(words(Factor::Amount, &p, 0).unwrap(), "采购额同比下降40%");
        assert_eq!(
            words(Factor::OrderSize, &p, 0).unwrap(),
            "近3单平均金额下降63%"
        );
        assert_eq!(
            words(Factor::Frequency, &p, 0).unwrap(),
            "下单减少（近半年1次，此前半年4次）"
        );
        assert_eq!(words(Factor::Repairs, &p, 0), None, "no repairs, no words");
        assert_eq!(words(Factor::Engagement, &p, 0), None);
        assert_eq!(words(Factor::Tenure, &p, 0), None);
        assert_eq!(
            words(Factor::Industry, &p, 0).unwrap(),
            "餐饮行业客户流失较多"
        );
        assert_eq!(words(Factor::Company, &p, 0).unwrap(), "企业规模小（8人）");
        let quiet = one(Raw {
            recency: 10.0,
            ..raw
        });
        assert_eq!(
            words(Factor::Recency, &quiet, 0),
            None,
            "a recent order is no risk"
        );
    }

    #[test]
    fn money_reads_like_a_manager_writes_it() {
        assert_eq!(money(8_500.0), "8500元");
        assert_eq!(money(35_000.0), "3.5万");
        assert_eq!(money(120_000_000.0), "1.2亿");
    }
}
