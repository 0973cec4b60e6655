//! Answers as CSV for spreadsheets: a UTF-8 byte-order mark (Excel reads Chinese right only
//! with it), the column labels as the header, lists joined by 、, unknown values empty.
//! Text that a spreadsheet would run as a formula (`=HYPERLINK(…)` in a company name, a
//! note starting with `+` or `@`) is written with a leading `'`, so that it opens as the
//! text it is (OWASP's CSV-injection rule); numbers are written as numbers.

use crate::ask::Table;
use serde_json::Value;

pub fn csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(table.columns.iter().map(|c| c.label.as_str()))?;
        for row in &table.rows {
            w.write_record(row.iter().map(cell))?;
        }
        w.flush()?;
    }
    Ok(out)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => inert(s),
        Value::Array(items) => inert(&items.iter().map(cell).collect::<Vec<_>>().join("、")),
        other => other.to_string(),
    }
}

/// Text as a spreadsheet shows it, never runs it.
fn inert(s: &str) -> String {
    let trigger = s
        .trim_start_matches([' ', '\u{3000}'])
        .starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']);
    if trigger {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::Column;
    use kesou_nlq::FieldKind;
    use serde_json::json;

    #[test]
    fn labels_head_the_rows_and_cells_read_plainly() {
        let table = Table {
            columns: vec![
                Column {
                    name: "name".into(),
                    label: "企业名称".into(),
                    kind: FieldKind::Text,
                },
                Column {
                    name: "tags".into(),
                    label: "标签".into(),
                    kind: FieldKind::Tags,
                },
                Column {
                    name: "annual_purchase".into(),
                    label: "年采购额".into(),
                    kind: FieldKind::Money,
                },
            ],
            rows: vec![
                vec![
                    json!("恒瑞, \"精密\""),
                    json!(["活跃", "复购客户"]),
                    json!(1250000.5),
                ],
                vec![json!("乙"), json!([]), Value::Null],
            ],
            ..Table::default()
        };
        let out = String::from_utf8(csv(&table).unwrap()).unwrap();
        assert_eq!(
            out,
            "\u{feff}企业名称,标签,年采购额\n\"恒瑞, \"\"精密\"\"\",活跃、复购客户,1250000.5\n乙,,\n"
        );
    }

    #[test]
    fn formulas_open_as_text() {
        for (raw, written) in [
            (
                "=HYPERLINK(\"http://x\",\"点我\")",
                "'=HYPERLINK(\"http://x\",\"点我\")",
            ),
            ("+86 138", "'+86 138"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            (" =1+1", "' =1+1"),
            ("\t=1", "'\t=1"),
            ("＝1+1", "'＝1+1"),
            ("恒瑞精密", "恒瑞精密"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(cell(&json!(raw)), written, "{raw}");
        }
        assert_eq!(cell(&json!(-5)), "-5");
        assert_eq!(cell(&json!(["=1", "x"])), "'=1、x");
    }
}
