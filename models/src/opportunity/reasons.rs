//! Why a customer is likely to order, in Chinese and English. The factors that raise the
//! propensity most (by occlusion, [`crate::tabular::occlusion`]) are put into words with the
//! customer's own numbers (临近下次采购：平均45天一单，已41天未下单 · 近90天咨询4次 · 采购额同比增长30%);
//! a factor whose numbers do not read as a reason to buy is left out rather than said wrongly.

use crate::churn::money;
use crate::tabular::encode::Factor;
use crate::tabular::features::{Population, Raw};

/// At most this many reasons per customer.
pub const MAX_REASONS: usize = 3;
/// A factor must raise the logit by at least this much to be named.
pub(super) const MIN_CONTRIBUTION: f64 = 0.05;

/// A factor in words (Chinese, English) with the customer's numbers, or `None` when its
/// numbers do not read as a reason to order.
pub fn words(factor: Factor, pop: &Population, row: usize) -> Option<(String, String)> {
    let r: &Raw = &pop.raw[row];
    let bought = r.orders_total >= 1.0;
    match factor {
        Factor::Recency if bought => {
            if r.gap.is_finite() && r.recency >= 0.7 * r.gap && r.recency <= 1.5 * r.gap {
                Some((
                    format!(
                        "临近下次采购：平均{}天一单，已{}天未下单",
                        r.gap.round(),
                        r.recency
                    ),
                    format!(
                        "due to reorder: orders every {} days, last {} days ago",
                        r.gap.round(),
                        r.recency
                    ),
                ))
            } else if r.recency <= 90.0 {
                Some((
                    format!("{}天前刚下过单", r.recency),
                    format!("ordered {} days ago", r.recency),
                ))
            } else {
                None
            }
        }
        Factor::Frequency if bought => {
            if r.orders_180 > r.orders_prev180 && r.orders_180 >= 2.0 {
                Some((
                    format!(
                        "下单增多（近半年{}次，此前半年{}次）",
                        r.orders_180, r.orders_prev180
                    ),
                    format!(
                        "ordering more ({} orders in the last 6 months, {} before)",
                        r.orders_180, r.orders_prev180
                    ),
                ))
            } else if r.orders_365 >= 3.0 {
                Some((
                    format!("近一年下单{}次", r.orders_365),
                    format!("{} orders in the last year", r.orders_365),
                ))
            } else {
                None
            }
        }
        Factor::Amount if bought => {
            if r.amount_prev365 > 0.0 && r.amount_365 > 1.1 * r.amount_prev365 {
                let up = ((r.amount_365 / r.amount_prev365 - 1.0) * 100.0).round();
                Some((
                    format!("采购额同比增长{up}%"),
                    format!("buying {up}% more than a year before"),
                ))
            } else if r.amount_365 >= 100_000.0 {
                Some((
                    format!("近一年采购{}", money(r.amount_365)),
                    format!("bought {} in the last year", money_en(r.amount_365)),
                ))
            } else {
                None
            }
        }
        Factor::OrderSize => {
            let d = r.log_amount_recent3 - r.log_amount_before;
            (d.is_finite() && d > 0.1).then(|| {
                let up = ((d.exp() - 1.0) * 100.0).round();
                (
                    format!("近3单平均金额上升{up}%"),
                    format!("last 3 orders {up}% larger on average"),
                )
            })
        }
        Factor::Engagement => {
            if r.consults_90 >= 1.0 {
                Some((
                    format!("近90天咨询{}次", r.consults_90),
                    format!("{} enquiries in the last 90 days", r.consults_90),
                ))
            } else if r.visits_180 >= 1.0 {
                Some((
                    format!("近半年拜访{}次", r.visits_180),
                    format!("{} visits in the last 6 months", r.visits_180),
                ))
            } else if r.contacts_90 >= 1.0 {
                Some((
                    format!("近90天互动{}次", r.contacts_90),
                    format!("{} contacts in the last 90 days", r.contacts_90),
                ))
            } else {
                None
            }
        }
        Factor::Repairs if r.repairs_180 >= 1.0 => Some((
            format!("近半年报修{}次（设备在用）", r.repairs_180),
            format!(
                "{} repair requests in the last 6 months (in use)",
                r.repairs_180
            ),
        )),
        Factor::Tenure if bought && r.tenure >= 730.0 => {
            let years = (r.tenure / 365.25).floor();
            Some((
                format!("合作{years}年的老客户"),
                format!("a customer for {years} years"),
            ))
        }
        Factor::Company if r.employees.is_finite() && r.employees >= 300.0 => Some((
            format!("企业规模大（{}人）", r.employees),
            format!("a large company ({} staff)", r.employees),
        )),
        Factor::Industry => pop.industry[row].as_ref().map(|i| {
            (
                format!("{i}行业客户下单较多"),
                format!("{} customers order more often", industry_en(i)),
            )
        }),
        Factor::Size => pop.size[row].as_ref().map(|s| {
            (
                format!("{s}企业下单较多"),
                format!("{} companies order more often", size_en(s)),
            )
        }),
        Factor::Tag => {
            let tags = &pop.tags[row];
            (!tags.is_empty()).then(|| {
                let t = tags[..tags.len().min(2)].join("」「");
                (
                    format!("「{t}」客户下单较多"),
                    format!("customers tagged 「{t}」 order more often"),
                )
            })
        }
        _ => None,
    }
}

/// Yuan in English: 8,500 yuan, 35 thousand yuan, 1.2 million yuan.
fn money_en(yuan: f64) -> String {
    if yuan >= 1e8 {
        format!("{:.1} hundred million yuan", yuan / 1e8)
    } else if yuan >= 1e6 {
        format!("{:.1} million yuan", yuan / 1e6)
    } else if yuan >= 1e4 {
        format!("{:.0} thousand yuan", yuan / 1e3)
    } else {
        format!("{} yuan", yuan.round())
    }
}

fn industry_en(i: &str) -> &str {
    kesou_domain::Industry::parse(i).map_or(i, |x| x.en())
}

fn size_en(s: &str) -> &str {
    kesou_domain::Size::parse(s).map_or(s, |x| x.en())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: Raw) -> Population {
        Population::one(raw, "制造", "大型", &[])
    }

    #[test]
    fn reasons_carry_the_customers_numbers_in_both_languages() {
        let raw = Raw {
            recency: 41.0,
            gap: 45.0,
            tenure: 1200.0,
            orders_total: 20.0,
            orders_180: 5.0,
            orders_prev180: 3.0,
            orders_365: 8.0,
            amount_365: 260_000.0,
            amount_prev365: 200_000.0,
            consults_90: 4.0,
            employees: 800.0,
            ..Raw::default()
        };
        let p = one(raw);
        assert_eq!(
            words(Factor::Recency, &p, 0).unwrap(),
            (
                "临近下次采购：平均45天一单，已41天未下单".to_owned(),
                "due to reorder: orders every 45 days, last 41 days ago".to_owned()
            )
        );
        assert_eq!(words(Factor::Amount, &p, 0).unwrap().0, "采购额同比增长30%");
        assert_eq!(words(Factor::Engagement, &p, 0).unwrap().0, "近90天咨询4次");
        assert_eq!(
            words(Factor::Frequency, &p, 0).unwrap().1,
            "ordering more (5 orders in the last 6 months, 3 before)"
        );
        assert_eq!(words(Factor::Tenure, &p, 0).unwrap().0, "合作3年的老客户");
        assert_eq!(words(Factor::Complaints, &p, 0), None);
        // A prospect without orders has no order-based reasons, only what it did.
        let prospect = one(Raw {
            recency: 3650.0,
            orders_total: 0.0,
            consults_90: 6.0,
            ..Raw::default()
        });
        assert_eq!(words(Factor::Recency, &prospect, 0), None);
        assert_eq!(words(Factor::Amount, &prospect, 0), None);
        assert_eq!(
            words(Factor::Engagement, &prospect, 0).unwrap().1,
            "6 enquiries in the last 90 days"
        );
    }
}
