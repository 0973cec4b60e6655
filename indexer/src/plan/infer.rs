//! What a column holds, read from its values: the type of a field of the file's own
//! (number, money, percentage, date, category, text, phone …), and, for a header that names
//! no contract column, the contract column its values are (provinces, credit codes, phones …).

use kesou_domain::{Channel, Industry, InteractionKind, Region, Size, credit_code, geo};

use crate::validate::{Table, split_unit};

/// The type of a column, as the dry run shows it and a custom field keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Id,
    Text,
    Category,
    Number,
    Money,
    Percent,
    Date,
    Timestamp,
    Phone,
    Email,
    CreditCode,
    List,
}

impl FieldKind {
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Id => "id",
            FieldKind::Text => "text",
            FieldKind::Category => "category",
            FieldKind::Number => "number",
            FieldKind::Money => "money",
            FieldKind::Percent => "percent",
            FieldKind::Date => "date",
            FieldKind::Timestamp => "timestamp",
            FieldKind::Phone => "phone",
            FieldKind::Email => "email",
            FieldKind::CreditCode => "credit code",
            FieldKind::List => "list",
        }
    }
}

impl FieldKind {
    /// The kind a label names ([`FieldKind::label`]): how `custom_fields` keeps it.
    pub fn from_label(label: &str) -> Option<FieldKind> {
        [
            FieldKind::Id,
            FieldKind::Text,
            FieldKind::Category,
            FieldKind::Number,
            FieldKind::Money,
            FieldKind::Percent,
            FieldKind::Date,
            FieldKind::Timestamp,
            FieldKind::Phone,
            FieldKind::Email,
            FieldKind::CreditCode,
            FieldKind::List,
        ]
        .into_iter()
        .find(|k| k.label() == label)
    }
}

/// The type of a contract column.
pub fn contract_kind(table: Table, column: &str) -> FieldKind {
    match (table, column) {
        (_, "id") | (_, "customer_id") => FieldKind::Id,
        (_, "credit_code") => FieldKind::CreditCode,
        (_, "employees") => FieldKind::Number,
        (_, "registered_capital") | (_, "amount") => FieldKind::Money,
        (_, "founded_date") | (_, "order_date") => FieldKind::Date,
        (_, "created_at") | (_, "ts") => FieldKind::Timestamp,
        (_, "tags") => FieldKind::List,
        (_, "contact_phone") => FieldKind::Phone,
        (_, "email") => FieldKind::Email,
        (
            _,
            "region" | "province" | "city" | "industry" | "size" | "owner" | "product" | "channel"
            | "kind",
        ) => FieldKind::Category,
        _ => FieldKind::Text,
    }
}

fn share(values: &[&str], test: impl Fn(&str) -> bool) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().filter(|v| test(v)).count() as f64 / values.len() as f64
}

/// Whether most values are what `test` accepts (three in four, of at least three).
fn most(values: &[&str], test: impl Fn(&str) -> bool) -> bool {
    values.len() >= 3 && share(values, test) >= 0.75
}

fn number(v: &str) -> Option<f64> {
    let t = kesou_domain::text::to_halfwidth(v).replace(',', "");
    let t = t.trim();
    let t = t
        .trim_start_matches(['¥', '￥'])
        .trim_start_matches("CNY")
        .trim_start_matches("RMB")
        .trim();
    let t = t.trim_end_matches('元');
    let (t, f) = match t.strip_suffix('万') {
        Some(t) => (t, 1e4),
        None => match t.strip_suffix('亿') {
            Some(t) => (t, 1e8),
            None => (t, 1.0),
        },
    };
    t.trim().parse::<f64>().ok().map(|n| n * f)
}

fn is_money_text(v: &str) -> bool {
    v.contains(['¥', '￥', '元', '万', '亿']) || v.starts_with("CNY") || v.starts_with("RMB")
}

/// A percentage written `35.5%` (or `35.5％`), as a fraction.
pub fn percent(v: &str) -> Option<f64> {
    let t = v.trim();
    let t = t.strip_suffix('%').or_else(|| t.strip_suffix('％'))?;
    t.trim().parse::<f64>().ok().map(|p| p / 100.0)
}

fn is_date(v: &str) -> bool {
    crate::validate::parse_date(v).is_some()
}

fn is_timestamp(v: &str) -> bool {
    v.contains(':') && crate::validate::parse_any_timestamp(v).is_some()
}

/// Words of a header that say it holds a date.
fn dated(header: &str) -> bool {
    let h = header.to_lowercase();
    ["日期", "时间", "日", "date", "time"]
        .iter()
        .any(|w| h.contains(w))
}

/// Words of a header that say it holds money.
fn moneyed(header: &str) -> bool {
    let h = header.to_lowercase();
    split_unit(header).1 != 1.0
        || h.contains("(元)")
        || h.contains("（元）")
        || [
            "金额", "额", "资本", "资金", "价", "amount", "revenue", "capital", "price",
        ]
        .iter()
        .any(|w| h.contains(w))
}

/// The type of a column of the file's own, from its header and (non-empty) values.
pub fn infer_kind(header: &str, values: &[&str]) -> FieldKind {
    if values.is_empty() {
        return FieldKind::Text;
    }
    if most(values, |v| percent(v).is_some()) {
        return FieldKind::Percent;
    }
    if most(values, is_timestamp) {
        return FieldKind::Timestamp;
    }
    if most(values, is_date)
        || (dated(header) && most(values, |v| crate::validate::excel_serial(v).is_some()))
    {
        return FieldKind::Date;
    }
    if most(values, |v| number(v).is_some()) {
        return if moneyed(header) || most(values, is_money_text) {
            FieldKind::Money
        } else {
            FieldKind::Number
        };
    }
    if most(values, |v| crate::validate::check_phone(v).is_ok()) {
        return FieldKind::Phone;
    }
    if most(values, |v| crate::validate::check_email(v).is_ok()) {
        return FieldKind::Email;
    }
    if most(values, |v| credit_code::validate(v).is_ok()) {
        return FieldKind::CreditCode;
    }
    let mut distinct: Vec<&str> = values.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let short = values.iter().all(|v| v.chars().count() <= 20);
    // A category repeats its values: at most about one distinct value in two.
    if short && distinct.len() <= 30 && distinct.len() * 2 <= values.len() + 1 {
        FieldKind::Category
    } else {
        FieldKind::Text
    }
}

/// [`infer_kind`] for the few values a change batch may send a new field: under three
/// values (too few for "most of them"), a type every one of them has.
pub fn infer_kind_of_few(header: &str, values: &[&str]) -> FieldKind {
    if values.is_empty() || values.len() >= 3 {
        return infer_kind(header, values);
    }
    // Repeated to three, the share of values of a type is unchanged: 1 or ½ is "most"
    // only when it is all of them.
    let padded: Vec<&str> = values.iter().copied().cycle().take(3).collect();
    infer_kind(header, &padded)
}

/// The contract columns whose values these are, by what they hold: for a header that names
/// none (a province column headed 所在地, credit codes headed 代码 …). First free one wins.
pub fn column_by_values(table: Table, values: &[&str], taken: &[&str]) -> Option<&'static str> {
    type Test = fn(&str) -> bool;
    let tests: &[(&str, Test)] = match table {
        Table::Customers => &[
            ("credit_code", |v| credit_code::validate(v).is_ok()),
            ("province", |v| geo::province(v).is_some()),
            ("city", |v| geo::city(v).is_some()),
            ("region", |v| Region::parse(v).is_some()),
            ("industry", |v| Industry::from_word(v).is_some()),
            ("size", |v| Size::parse(v).is_some()),
            ("contact_phone", |v| crate::validate::check_phone(v).is_ok()),
            ("email", |v| crate::validate::check_email(v).is_ok()),
        ],
        Table::Interactions => &[
            ("channel", |v| Channel::parse(v).is_some()),
            ("kind", |v| InteractionKind::parse(v).is_some()),
        ],
        _ => &[],
    };
    tests
        .iter()
        .find(|(col, test)| !taken.contains(col) && most(values, test))
        .map(|(col, _)| *col)
}

/// A custom field's value as its type: a number (money in yuan, a percentage as a
/// fraction) or a day. `scale` is the factor of the header's unit (万元). Text, categories,
/// phones and the like have neither; a value that is not of its column's type says why.
pub fn typed(
    kind: FieldKind,
    text: &str,
    scale: f64,
) -> std::result::Result<(Option<f64>, Option<chrono::NaiveDate>), String> {
    let bad = || {
        format!(
            "is not a {} (the column holds {}s)",
            kind.label(),
            kind.label()
        )
    };
    match kind {
        FieldKind::Number | FieldKind::Money => {
            let own_unit = text.contains(['万', '亿', '元']);
            let n = number(text).ok_or_else(bad)?;
            let n = if own_unit { n } else { n * scale };
            Ok((Some((n * 100.0).round() / 100.0), None))
        }
        FieldKind::Percent => Ok((Some(percent(text).ok_or_else(bad)?), None)),
        FieldKind::Date | FieldKind::Timestamp => {
            let day = crate::validate::parse_date(text)
                .or_else(|| crate::validate::parse_any_timestamp(text).map(|t| t.date()))
                .or_else(|| crate::validate::excel_serial(text).map(|t| t.date()))
                .ok_or_else(bad)?;
            Ok((None, Some(day)))
        }
        _ => Ok((None, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_headers_and_values() {
        let k = |h: &str, v: &[&str]| infer_kind(h, v);
        assert_eq!(
            k(
                "客户来源",
                &["展会", "官网", "展会", "官网", "转介绍", "展会"]
            ),
            FieldKind::Category
        );
        assert_eq!(k("毛利率", &["35.5%", "12%", "8.25%"]), FieldKind::Percent);
        assert_eq!(
            k(
                "合同到期日",
                &["2026年8月9日", "2027年1月2日", "2026年7月1日"]
            ),
            FieldKind::Date
        );
        assert_eq!(
            k("合同到期日", &["46243", "46300", "46001"]),
            FieldKind::Date
        );
        assert_eq!(
            k("信用额度(元)", &["1,130,000.00", "20,000.00", "5,000.00"]),
            FieldKind::Money
        );
        assert_eq!(k("拜访次数", &["3", "12", "7"]), FieldKind::Number);
        assert_eq!(
            k(
                "最近跟进",
                &["2024-01-05 08:00", "2024-02-05 09:30", "2024/3/5 8:00"]
            ),
            FieldKind::Timestamp
        );
        assert_eq!(
            k("座机", &["021-62345678", "13812345678", "0571-88886666"]),
            FieldKind::Phone
        );
        assert_eq!(
            k("所属集团", &["华润集团", "复星集团", "华润集团"]),
            FieldKind::Category
        );
        assert_eq!(percent("35.5%"), Some(0.355));
        assert_eq!(
            typed(FieldKind::Money, "12.5", 1e4),
            Ok((Some(125_000.0), None))
        );
        assert_eq!(
            typed(FieldKind::Money, "¥1,200", 1.0),
            Ok((Some(1200.0), None))
        );
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 5);
        assert_eq!(typed(FieldKind::Date, "45296", 1.0), Ok((None, day)));
        assert_eq!(typed(FieldKind::Date, "2024年1月5日", 1.0), Ok((None, day)));
        assert!(
            typed(FieldKind::Number, "很多", 1.0)
                .unwrap_err()
                .contains("not a number")
        );
    }

    #[test]
    fn columns_by_their_values() {
        let provinces = ["浙江省", "江苏", "上海市", "广东省"];
        assert_eq!(
            column_by_values(Table::Customers, &provinces, &[]),
            Some("province")
        );
        assert_eq!(
            column_by_values(Table::Customers, &provinces, &["province"]),
            None
        );
        assert_eq!(
            column_by_values(Table::Interactions, &["电话", "微信", "拜访"], &[]),
            Some("channel")
        );
        assert_eq!(
            column_by_values(Table::Customers, &["展会", "官网", "转介绍"], &[]),
            None
        );
    }
}
