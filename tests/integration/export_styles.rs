//! Exports written the way 纷享销客, 销售易, 金蝶, 用友 and Salesforce write them
//! (`kesou generate --export-style`) read back into the store the generated data gives:
//! each sheet or file found as its table, each header mapped, every date, time and amount
//! parsed to the same value, and every row accounted for.

use std::path::Path;

use kesou_datagen::ExportStyle;
use kesou_indexer::StorePaths;
use kesou_testkit::Shape;

use crate::common;

const CUSTOMERS: usize = 120;
const SEED: u64 = 23;

/// The values a store holds of what an export carries: every source column, timestamps to
/// the minute (most exports write no seconds), amounts to the fen.
fn values(paths: &StorePaths) -> String {
    let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read).unwrap();
    let mut out = String::new();
    for (table, cols) in [
        (
            "customers",
            "id, name, credit_code, region, province, city, industry, size, employees, \
             round(registered_capital, 2), founded_date, owner, tags, contact_name, \
             contact_phone, email, description, strftime(created_at, '%Y-%m-%d %H:%M')",
        ),
        (
            "orders",
            "id, customer_id, order_date, round(amount, 2), product",
        ),
        (
            "interactions",
            "id, customer_id, strftime(ts, '%Y-%m-%d %H:%M'), channel, kind, note",
        ),
    ] {
        let sql = format!(
            "SELECT coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY t.id), '') \
             FROM (SELECT {cols} FROM {table}) t"
        );
        let rows: String = conn.query_row(&sql, [], |r| r.get(0)).unwrap();
        out.push_str(&format!("## {table}\n{rows}\n"));
    }
    out
}

fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .find(|(x, y)| x != y)
        .map(|(x, y)| format!("\n  generated: {x}\n  exported:  {y}"))
        .unwrap_or_else(|| "one has more lines".into())
}

fn table_of(path: &Path) -> String {
    let name = path.display().to_string();
    name.rsplit_once('#').map_or_else(
        || path.file_stem().unwrap().to_string_lossy().into_owned(),
        |(_, sheet)| sheet.to_owned(),
    )
}

#[test]
fn every_export_style_reads_back_to_the_generated_data() {
    // The generated data as kesou generate writes it (loaded with no reject: the test kit
    // checks), and its counts.
    let plain = kesou_testkit::generated_store(CUSTOMERS, SEED);
    let want = values(&plain.paths);
    let count = |table: &str| -> u64 {
        common::strings(
            &plain.paths,
            &format!("SELECT CAST(count(*) AS VARCHAR) FROM {table}"),
        )[0]
        .parse()
        .unwrap()
    };
    let generated = (count("customers"), count("orders"), count("interactions"));

    for style in ExportStyle::ALL {
        let out = kesou_testkit::source(Shape::new(CUSTOMERS, SEED).style(style));
        let (_d, paths, s) = common::ingest_into_temp(&[out]);

        // Each sheet or file is found as its table, each contract header mapped; the
        // product's own fields load as custom fields.
        for table in ["customers", "orders", "interactions"] {
            let files: Vec<_> = s
                .files
                .iter()
                .filter(|f| f.table.map(|t| t.name()) == Some(table))
                .collect();
            assert_eq!(files.len(), 1, "{style}: one {table} table: {:?}", s.files);
            let f = files[0];
            let (_, own) = style.headers(table);
            assert_eq!(
                (f.ignored_columns.clone(), f.custom_fields.clone()),
                (
                    Vec::new(),
                    own.iter().map(|h| h.to_string()).collect::<Vec<_>>()
                ),
                "{style}: {table} ({}) maps every contract header, and keeps the product's own fields",
                table_of(&f.path)
            );
        }
        // Nothing lost: loaded + waiting + rejected = read, and nothing waits or is
        // rejected or set aside in clean data.
        for f in &s.files {
            assert_eq!(
                f.rows_read,
                f.loaded + f.waiting + f.rejected,
                "{style}: {}",
                f.path.display()
            );
        }
        assert_eq!(
            (s.rejected(), s.set_aside(), s.waiting()),
            (0, 0, 0),
            "{style}: {:?}",
            s.rejects_file
        );
        let customers = s
            .files
            .iter()
            .find(|f| f.table.map(|t| t.name()) == Some("customers"))
            .unwrap();
        assert_eq!(customers.rows_read, generated.0, "{style}");
        assert_eq!(
            s.rows_read(),
            generated.0 + generated.1 + generated.2 + 5,
            "{style}: the 合计 rows, titles and empty lines are no records"
        );

        // Every value parsed to the one generated: dates as 2024/1/5, 2024年1月5日 or Excel
        // serial numbers, amounts with ¥, thousands separators, 万元 in the header or cell.
        let got = values(&paths);
        assert!(
            got == want,
            "{style}: the export reads back differently:{}",
            first_difference(&want, &got)
        );
    }
}

#[test]
fn encodings_are_those_the_products_save_in() {
    for (style, encoding) in [
        (ExportStyle::Kingdee, "GBK/GB18030"),
        (ExportStyle::Yonyou, "GBK/GB18030"),
        (ExportStyle::Salesforce, "UTF-8"),
    ] {
        let out = kesou_testkit::source(Shape::new(20, SEED).style(style));
        let (_d, _paths, s) = common::ingest_into_temp(&[out]);
        for f in s
            .files
            .iter()
            .filter(|f| f.table.map(|t| t.name()) != Some("meta"))
        {
            let got = f.encoding.clone().unwrap_or_default();
            assert!(
                got.starts_with(encoding),
                "{style}: {} read as {got}",
                f.path.display()
            );
        }
    }
}

#[test]
fn the_products_own_fields_are_kept_with_their_types() {
    let out = kesou_testkit::source(Shape::new(40, SEED).style(ExportStyle::Yonyou));
    let (_d, paths, s) = common::ingest_into_temp(std::slice::from_ref(&out));
    assert_eq!(s.set_aside(), 0, "{:?}", s.rejects_file);
    assert_eq!(
        common::strings(
            &paths,
            "SELECT name || ':' || kind FROM custom_fields ORDER BY name"
        ),
        ["信用等级:category", "客户来源:category", "毛利率:percent"]
    );
    // Each value as written and as its type: 毛利率 35.5% is 0.355.
    let margins = common::strings(
        &paths,
        "SELECT text || '=' || CAST(round(number, 4) AS VARCHAR) FROM custom_values
         WHERE field = '毛利率' ORDER BY id",
    );
    assert_eq!(margins.len(), 40);
    for m in &margins {
        let (text, number) = m.split_once('=').unwrap();
        let pct: f64 = text.trim_end_matches('%').parse().unwrap();
        assert!(
            (pct / 100.0 - number.parse::<f64>().unwrap()).abs() < 1e-9,
            "{m}"
        );
    }

    // Fields of another product's export join them; dates are days.
    let fx = kesou_testkit::source(Shape::new(40, SEED).style(ExportStyle::Fxiaoke));
    let s = kesou_indexer::ingest(
        &paths,
        std::slice::from_ref(&fx),
        &kesou_indexer::NoProgress,
    )
    .unwrap();
    assert_eq!(s.set_aside(), 0, "{:?}", s.rejects_file);
    let kinds = common::strings(
        &paths,
        "SELECT name || ':' || kind FROM custom_fields ORDER BY name",
    );
    assert!(kinds.contains(&"合同到期日:date".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"客户来源:category".to_owned()), "{kinds:?}");
    assert_eq!(
        kinds.len(),
        5,
        "客户来源 is one field in both exports: {kinds:?}"
    );
    let undated = common::strings(
        &paths,
        "SELECT text FROM custom_values WHERE field = '合同到期日' AND day IS NULL",
    );
    assert!(undated.is_empty(), "{undated:?}");

    // Deleting a customer takes its fields' values with it.
    kesou_indexer::delete(&paths, &["C0000001".to_owned()], &kesou_indexer::NoProgress).unwrap();
    assert!(
        common::strings(
            &paths,
            "SELECT field FROM custom_values WHERE id = 'C0000001'"
        )
        .is_empty()
    );
}
