//! Values as the exports write them: dates, times and amounts in each product's format, and
//! the fields of the CRM's own (客户来源, 客户等级, 合同到期日 …) that make each export its
//! own, derived from the customer's id so that the same seed gives the same file.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};

/// A value read from the generated tables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Date(NaiveDate),
    Stamp(NaiveDateTime),
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum DateFmt {
    /// 2024-01-05
    Iso,
    /// 2024/1/5
    Slash,
    /// 2024年1月5日
    Chinese,
    /// An Excel date cell (a serial number with a date format).
    Excel,
    /// A bare serial number (45296) in a General cell, as a date column pasted as values.
    ExcelSerial,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum StampFmt {
    /// 2024-01-05 08:00:00
    Seconds,
    /// 2024-01-05 08:00
    Minutes,
    /// 2024/1/5 8:00
    SlashMinutes,
    /// An Excel date-time cell.
    Excel,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum MoneyFmt {
    /// ¥1,234.56
    Yen,
    /// 1,234.56
    Thousands,
    /// 1,234.56元
    YuanSuffix,
    /// CNY 1,234.56
    Cny,
    /// The amount in 万元, as a number (the header says 万元).
    WanNumber,
    /// 12.3456万
    WanCell,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Fmt {
    Text,
    Number,
    Date(DateFmt),
    Stamp(StampFmt),
    Money(MoneyFmt),
    /// 35.5%
    Percent,
    /// Items joined with this separator.
    List(&'static str),
}

/// The fields of the CRM's own.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Custom {
    /// 客户来源: 展会, 官网 …
    Origin,
    /// 客户级别: 重要客户, 普通客户, 一般客户
    Level,
    /// 客户等级: A B C D
    Grade,
    /// Rating: Hot, Warm, Cold
    Rating,
    /// 信用等级: AAA AA A BBB
    Credit,
    /// 合同到期日: a date within two years around as_of
    ContractEnd,
    /// 所属集团: a group for about one customer in four
    Group,
    /// 信用额度(元): whole ten thousands
    CreditLimit,
    /// 毛利率: 5% to 45%, as a fraction
    Margin,
}

const ORIGINS: [&str; 6] = [
    "展会",
    "官网",
    "转介绍",
    "电话营销",
    "广告投放",
    "老客户推荐",
];
const GROUPS: [&str; 5] = [
    "华润集团",
    "中国建材集团",
    "复星集团",
    "万向集团",
    "海亮集团",
];

/// A stable hash of a customer id and a field (FNV-1a), so that custom values do not
/// depend on the order rows are written in.
fn hash(id: &str, salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ salt;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Custom {
    /// The value of this field for customer `id`, data ending on `as_of`.
    pub fn value(self, id: &str, seed: u64, as_of: NaiveDate) -> Value {
        let h = hash(id, seed.wrapping_mul(31).wrapping_add(self as u64));
        let pick =
            |options: &[&str]| Value::Text(options[(h % options.len() as u64) as usize].into());
        match self {
            Custom::Origin => pick(&ORIGINS),
            Custom::Level => pick(&["重要客户", "普通客户", "普通客户", "一般客户"]),
            Custom::Grade => pick(&["A", "B", "B", "C", "C", "D"]),
            Custom::Rating => pick(&["Hot", "Warm", "Warm", "Cold"]),
            Custom::Credit => pick(&["AAA", "AA", "A", "A", "BBB"]),
            Custom::ContractEnd => {
                Value::Date(as_of - Duration::days(240) + Duration::days((h % 730) as i64))
            }
            Custom::Group if h.is_multiple_of(4) => pick(&GROUPS),
            Custom::Group => Value::Null,
            Custom::CreditLimit => Value::Float(((h % 200) + 1) as f64 * 10_000.0),
            Custom::Margin => Value::Float(((h % 400) + 50) as f64 / 1000.0),
        }
    }
}

/// What a cell becomes: text, or (in a workbook) a number, possibly shown as a date.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    Empty,
    Text(String),
    Number(f64),
    /// An Excel serial number shown with a date (or date-time) format.
    ExcelDate(f64, bool),
}

/// Days and fractions since 1899-12-30: Excel's serial number of a moment.
pub(crate) fn serial(ts: NaiveDateTime) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date");
    let days = (ts.date() - epoch).num_days() as f64;
    days + f64::from(ts.num_seconds_from_midnight()) / 86_400.0
}

/// 1234567.8 → 1,234,567.80
pub(crate) fn thousands(v: f64) -> String {
    let fixed = format!("{:.2}", v.abs());
    let (int, frac) = fixed.split_once('.').expect("two decimals");
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{out}.{frac}")
}

/// A number without trailing zeros: 12.3400 → 12.34, 500.0 → 500.
fn plain(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

fn slash_date(d: NaiveDate) -> String {
    format!("{}/{}/{}", d.year(), d.month(), d.day())
}

impl Fmt {
    pub fn cell(self, v: &Value) -> Out {
        use Out::{Empty, Number, Text};
        match (self, v) {
            (_, Value::Null) => Empty,
            (Fmt::Date(f), Value::Date(d)) => match f {
                DateFmt::Iso => Text(d.to_string()),
                DateFmt::Slash => Text(slash_date(*d)),
                DateFmt::Chinese => Text(format!("{}年{}月{}日", d.year(), d.month(), d.day())),
                DateFmt::Excel => Out::ExcelDate(serial(d.and_time(Default::default())), false),
                DateFmt::ExcelSerial => Number(serial(d.and_time(Default::default()))),
            },
            (Fmt::Stamp(f), Value::Stamp(t)) => match f {
                StampFmt::Seconds => Text(t.format("%Y-%m-%d %H:%M:%S").to_string()),
                StampFmt::Minutes => Text(t.format("%Y-%m-%d %H:%M").to_string()),
                StampFmt::SlashMinutes => Text(format!(
                    "{} {}:{:02}",
                    slash_date(t.date()),
                    t.hour(),
                    t.minute()
                )),
                StampFmt::Excel => Out::ExcelDate(serial(*t), true),
            },
            (Fmt::Money(f), Value::Float(v)) => match f {
                MoneyFmt::Yen => Text(format!("¥{}", thousands(*v))),
                MoneyFmt::Thousands => Text(thousands(*v)),
                MoneyFmt::YuanSuffix => Text(format!("{}元", thousands(*v))),
                MoneyFmt::Cny => Text(format!("CNY {}", thousands(*v))),
                // Six decimals of 万元 are fen: nothing is lost.
                MoneyFmt::WanNumber => Number(plain(v / 1e4, 6).parse().expect("a number")),
                MoneyFmt::WanCell => Text(format!("{}万", plain(v / 1e4, 6))),
            },
            (Fmt::Percent, Value::Float(v)) => Text(format!("{}%", plain(v * 100.0, 2))),
            (Fmt::Number, Value::Int(i)) => Number(*i as f64),
            (Fmt::Number, Value::Float(f)) => Number(*f),
            (Fmt::List(_), Value::List(items)) if items.is_empty() => Empty,
            (Fmt::List(sep), Value::List(items)) => Text(items.join(sep)),
            (_, Value::Text(s)) if s.is_empty() => Empty,
            (_, Value::Text(s)) => Text(s.clone()),
            (_, Value::Int(i)) => Text(i.to_string()),
            (_, Value::Float(f)) => Text(plain(*f, 6)),
            (_, Value::Date(d)) => Text(d.to_string()),
            (_, Value::Stamp(t)) => Text(t.format("%Y-%m-%d %H:%M:%S").to_string()),
            (_, Value::List(items)) => Text(items.join("|")),
        }
    }
}

impl Out {
    /// The cell as CSV text.
    pub fn text(&self) -> String {
        match self {
            Out::Empty => String::new(),
            Out::Text(s) => s.clone(),
            Out::Number(n) | Out::ExcelDate(n, _) => plain(*n, 8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_exports_write_them() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 5).unwrap();
        let t = d.and_hms_opt(8, 0, 30).unwrap();
        assert_eq!(serial(d.and_hms_opt(0, 0, 0).unwrap()), 45296.0);
        assert_eq!(
            Fmt::Date(DateFmt::Slash).cell(&Value::Date(d)).text(),
            "2024/1/5"
        );
        assert_eq!(
            Fmt::Date(DateFmt::Chinese).cell(&Value::Date(d)).text(),
            "2024年1月5日"
        );
        assert_eq!(
            Fmt::Stamp(StampFmt::SlashMinutes)
                .cell(&Value::Stamp(t))
                .text(),
            "2024/1/5 8:00"
        );
        assert_eq!(thousands(1_234_567.8), "1,234,567.80");
        assert_eq!(thousands(12.0), "12.00");
        assert_eq!(
            Fmt::Money(MoneyFmt::WanCell)
                .cell(&Value::Float(5_000_000.0))
                .text(),
            "500万"
        );
        assert_eq!(
            Fmt::Money(MoneyFmt::WanNumber).cell(&Value::Float(1_234_567.89)),
            Out::Number(123.456789)
        );
        assert_eq!(Fmt::Percent.cell(&Value::Float(0.355)).text(), "35.5%");
    }
}
