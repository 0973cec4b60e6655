//! A workbook exported the way CRMs export (a merged title above the header, an empty line,
//! a 合计 row at the end, dates as Excel dates, one table a sheet) loads like the CSV files
//! it was made from.

use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::common::{self, dump};

fn write_sheet(book: &mut Workbook, csv_path: &Path, sheet: &str, title: bool, total: bool) {
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    let date = Format::new().set_num_format("yyyy/m/d");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut row = 0u32;
    if title {
        ws.merge_range(0, 0, 0, 5, "客户档案导出（2026年6月）", &Format::new())
            .unwrap();
        row = 2; // the title, then an empty line
    }
    for (c, h) in header.iter().enumerate() {
        ws.write_string(row, c as u16, h).unwrap();
    }
    let mut amount_sum = 0.0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        row += 1;
        for (c, v) in rec.iter().enumerate() {
            let col = c as u16;
            match header[c].as_str() {
                "order_date" | "founded_date" if !v.is_empty() => {
                    let d = ExcelDateTime::parse_from_str(v).unwrap();
                    ws.write_datetime_with_format(row, col, &d, &date).unwrap();
                }
                "ts" | "created_at" if !v.is_empty() => {
                    let d = ExcelDateTime::parse_from_str(v).unwrap();
                    ws.write_datetime_with_format(row, col, &d, &stamp).unwrap();
                }
                "amount" | "registered_capital" | "employees" if !v.is_empty() => {
                    let n: f64 = v.parse().unwrap();
                    amount_sum += n;
                    ws.write_number(row, col, n).unwrap();
                }
                _ if !v.is_empty() => {
                    ws.write_string(row, col, v).unwrap();
                }
                _ => {}
            }
        }
    }
    if total {
        row += 2; // an empty line, then the total
        ws.write_string(row, 0, "合计").unwrap();
        ws.write_number(row, 3, amount_sum).unwrap();
    }
}

#[test]
fn a_workbook_loads_like_the_csv_files_it_was_made_from() {
    let dir = tempfile::tempdir().unwrap();
    let source = kesou_testkit::generated_source(200, 5);
    let (_d, paths, s) = common::ingest_into_temp(&[
        source.join("meta.csv"),
        source.join("customers.csv"),
        source.join("orders.csv"),
        source.join("interactions.csv"),
    ]);
    assert_eq!(s.rejected(), 0);
    let want = dump(&paths);

    let book_path = dir.path().join("crm-export.xlsx");
    let mut book = Workbook::new();
    write_sheet(
        &mut book,
        &source.join("customers.csv"),
        "客户列表",
        true,
        false,
    );
    write_sheet(&mut book, &source.join("orders.csv"), "订单", false, true);
    write_sheet(
        &mut book,
        &source.join("interactions.csv"),
        "跟进记录",
        false,
        false,
    );
    write_sheet(&mut book, &source.join("meta.csv"), "meta", false, false);
    book.save(&book_path).unwrap();

    let (_d, paths, s) = common::ingest_into_temp(&[book_path]);
    let tables: Vec<(String, &str)> = s
        .files
        .iter()
        .map(|f| {
            let name = f.path.display().to_string();
            let sheet = name.rsplit_once('#').unwrap().1.to_owned();
            (sheet, f.table.unwrap().name())
        })
        .collect();
    for (sheet, table) in [
        ("客户列表", "customers"),
        ("订单", "orders"),
        ("跟进记录", "interactions"),
        ("meta", "meta"),
    ] {
        assert!(
            tables.contains(&(sheet.to_owned(), table)),
            "{sheet} is {table}: {tables:?}"
        );
    }
    assert_eq!(s.rejected(), 0, "{:?}", s.rejects_file);
    assert_eq!(s.set_aside(), 0, "{:?}", s.rejects_file);
    // The customers' rows start on line 4, under the title and the empty line.
    assert!(
        dump(&paths) == want,
        "the workbook gives a different store than its CSV files"
    );
}

/// The workbook `kesou bench --formats` times: customers.csv as one sheet, numbers as
/// numbers, loads as the same customers.
#[test]
fn the_bench_workbook_of_a_customers_file_loads_the_same_customers() {
    let dir = tempfile::tempdir().unwrap();
    let source = kesou_testkit::generated_source(80, kesou_datagen::GenerateConfig::DEFAULT_SEED);
    let csv_dir = dir.path().join("csv");
    let xlsx_dir = dir.path().join("xlsx");
    for d in [&csv_dir, &xlsx_dir] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::copy(source.join("meta.csv"), d.join("meta.csv")).unwrap();
    }
    std::fs::copy(source.join("customers.csv"), csv_dir.join("customers.csv")).unwrap();
    let rows = kesou_datagen::csv_to_workbook(
        &source.join("customers.csv"),
        &xlsx_dir.join("customers.xlsx"),
        "customers",
    )
    .unwrap();
    assert_eq!(rows, 80);
    let sql = "SELECT concat_ws('|', id, name, credit_code, province, industry, employees, \
               registered_capital, founded_date, array_to_string(tags, ',')) FROM customers ORDER BY id";
    let (_a, csv_store, s) = common::ingest_into_temp(&[csv_dir]);
    let (_b, xlsx_store, t) = common::ingest_into_temp(&[xlsx_dir]);
    assert_eq!((s.rejected(), t.rejected()), (0, 0));
    assert_eq!(
        common::strings(&csv_store, sql),
        common::strings(&xlsx_store, sql)
    );
}
