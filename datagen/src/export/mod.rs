//! Exports as CRMs and ERPs write them (`kesou generate --export-style NAME`): the same
//! customers, orders and interactions as [`crate::generate`], under each product's header
//! names, in its file formats and encodings, with titles above the header, empty lines,
//! 合计 rows, dates as 2024/1/5, 2024年1月5日, 2024-01-05 08:00 or Excel serial numbers,
//! amounts with ¥, thousands separators, 万元 in the header or the cell, percentages, and
//! fields of the CRM's own (客户来源, 客户等级, 合同到期日 …) beside the contract's.
//!
//! So tests never need outside files: every style must read back into the store the
//! generated data gives. `meta.csv` (as_of) is written beside, as the generator's own.

mod cells;
mod sheet;
mod styles;

pub use sheet::csv_to_workbook;

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Date32Type, Float64Type, Int32Type, TimestampSecondType};
use chrono::{DateTime, NaiveDate};

use crate::{Error, GenerateConfig, GenerateSummary, Result};
use cells::Value;
use styles::Spec;

/// The products whose exports [`export`] imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportStyle {
    /// 纷享销客: one .xlsx workbook.
    Fxiaoke,
    /// 销售易: one .xlsx workbook.
    Xiaoshouyi,
    /// 金蝶: CSV files in GBK.
    Kingdee,
    /// 用友: CSV files in GB18030.
    Yonyou,
    /// Salesforce: CSV files in UTF-8 with a BOM, English headers.
    Salesforce,
}

impl ExportStyle {
    pub const ALL: [ExportStyle; 5] = [
        ExportStyle::Fxiaoke,
        ExportStyle::Xiaoshouyi,
        ExportStyle::Kingdee,
        ExportStyle::Yonyou,
        ExportStyle::Salesforce,
    ];

    /// The name `--export-style` takes.
    pub fn name(self) -> &'static str {
        match self {
            ExportStyle::Fxiaoke => "fxiaoke",
            ExportStyle::Xiaoshouyi => "xiaoshouyi",
            ExportStyle::Kingdee => "kingdee",
            ExportStyle::Yonyou => "yonyou",
            ExportStyle::Salesforce => "salesforce",
        }
    }

    /// The product's own name.
    pub fn product(self) -> &'static str {
        match self {
            ExportStyle::Fxiaoke => "纷享销客",
            ExportStyle::Xiaoshouyi => "销售易",
            ExportStyle::Kingdee => "金蝶",
            ExportStyle::Yonyou => "用友",
            ExportStyle::Salesforce => "Salesforce",
        }
    }

    fn spec(self) -> &'static Spec {
        match self {
            ExportStyle::Fxiaoke => &styles::FXIAOKE,
            ExportStyle::Xiaoshouyi => &styles::XIAOSHOUYI,
            ExportStyle::Kingdee => &styles::KINGDEE,
            ExportStyle::Yonyou => &styles::YONYOU,
            ExportStyle::Salesforce => &styles::SALESFORCE,
        }
    }

    /// The header each contract column of `table` (customers, orders, interactions) has in
    /// this style's export, and the headers of the product's own fields (the second list).
    pub fn headers(self, table: &str) -> (Vec<(&'static str, &'static str)>, Vec<&'static str>) {
        let mut contract = Vec::new();
        let mut own = Vec::new();
        for sheet in self.spec().sheets.iter().filter(|s| s.table == table) {
            for c in sheet.columns {
                match c.source {
                    styles::Source::Field(f) => contract.push((f, c.header)),
                    styles::Source::Custom(_) => own.push(c.header),
                }
            }
        }
        (contract, own)
    }
}

impl fmt::Display for ExportStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportStyle {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        ExportStyle::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s) || e.product() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ExportStyle::ALL.iter().map(|e| e.name()).collect();
                Error::Config(format!(
                    "unknown export style {s:?}; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// Writes the data `config` describes (its format aside) as `style` exports it, into
/// `config.out`, with `meta.csv` beside. Every row is held in memory while a workbook is
/// written: meant for the sizes a test or an evaluation loads (up to some 100,000
/// customers), not for benchmarks.
pub fn export(config: &GenerateConfig, style: ExportStyle) -> Result<GenerateSummary> {
    let started = Instant::now();
    config.validate()?;
    std::fs::create_dir_all(&config.out).map_err(|e| Error::io(&config.out, e))?;
    let b = crate::generate_batches(config, 0, config.customers);
    let spec = style.spec();
    let exported = config.as_of.format("%Y年%-m月%-d日").to_string();
    let mut tables = Vec::new();
    for sheet in &spec.sheets {
        let batch = match sheet.table {
            "customers" => &b.customers,
            "orders" => &b.orders,
            _ => &b.interactions,
        };
        let rows = rows(batch, sheet, config)?;
        tables.push((sheet, rows));
    }
    let mut files = sheet::write(&config.out, spec, &tables, &exported)?;
    let meta = crate::write::csv_bytes(&crate::generate::meta(config), true, "meta")?;
    let meta_path = config.out.join("meta.csv");
    std::fs::write(&meta_path, meta).map_err(|e| Error::io(&meta_path, e))?;
    files.push(meta_path);
    Ok(GenerateSummary {
        customers: b.customers.num_rows() as u64,
        orders: b.orders.num_rows() as u64,
        interactions: b.interactions.num_rows() as u64,
        files,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The rows of one table as the sheet's columns' values.
fn rows(
    batch: &RecordBatch,
    sheet: &styles::Sheet,
    config: &GenerateConfig,
) -> Result<Vec<Vec<Value>>> {
    let schema = batch.schema();
    let id_col = schema.index_of("id").expect("every table has an id");
    let ids = batch.column(id_col).as_string::<i32>();
    let mut columns: Vec<Vec<Value>> = Vec::with_capacity(sheet.columns.len());
    for c in sheet.columns {
        let values = match c.source {
            styles::Source::Custom(custom) => (0..batch.num_rows())
                .map(|r| custom.value(ids.value(r), config.seed, config.as_of))
                .collect(),
            styles::Source::Field(name) => {
                let i = schema.index_of(name).map_err(|_| {
                    Error::Config(format!("export style names an unknown column {name}"))
                })?;
                values(batch.column(i).as_ref())
            }
        };
        columns.push(values);
    }
    Ok((0..batch.num_rows())
        .map(|r| columns.iter().map(|c| c[r].clone()).collect())
        .collect())
}

fn values(a: &dyn Array) -> Vec<Value> {
    let n = a.len();
    let each = |f: &dyn Fn(usize) -> Value| -> Vec<Value> {
        (0..n)
            .map(|i| if a.is_null(i) { Value::Null } else { f(i) })
            .collect()
    };
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            each(&|i| Value::Text(s.value(i).to_owned()))
        }
        DataType::Int32 => {
            let p = a.as_primitive::<Int32Type>();
            each(&|i| Value::Int(i64::from(p.value(i))))
        }
        DataType::Float64 => {
            let p = a.as_primitive::<Float64Type>();
            each(&|i| Value::Float(p.value(i)))
        }
        DataType::Date32 => {
            let p = a.as_primitive::<Date32Type>();
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
            each(&|i| Value::Date(epoch + chrono::Duration::days(i64::from(p.value(i)))))
        }
        DataType::Timestamp(_, _) => {
            let p = a.as_primitive::<TimestampSecondType>();
            each(&|i| {
                DateTime::from_timestamp(p.value(i), 0)
                    .map_or(Value::Null, |t| Value::Stamp(t.naive_utc()))
            })
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            each(&|i| {
                let items = l.value(i);
                let items = items.as_string::<i32>();
                Value::List(
                    (0..items.len())
                        .map(|j| items.value(j).to_owned())
                        .collect(),
                )
            })
        }
        other => unreachable!("the generated tables have no {other} column"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_parse_by_name_or_product() {
        assert_eq!(
            "Kingdee".parse::<ExportStyle>().unwrap(),
            ExportStyle::Kingdee
        );
        assert_eq!("用友".parse::<ExportStyle>().unwrap(), ExportStyle::Yonyou);
        let err = "sap".parse::<ExportStyle>().unwrap_err();
        assert!(err.to_string().contains("fxiaoke, xiaoshouyi"), "{err}");
    }
}
