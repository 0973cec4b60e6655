//! Answers as CSV for spreadsheets: a UTF-8 byte-order mark (Excel reads Chinese right only
//! with it), the column labels as the header, lists joined by 、, unknown values empty.

use kesou_query::ask::Table;
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
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("、"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kesou_nlq::FieldKind;
    use kesou_query::ask::Column;
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
}
