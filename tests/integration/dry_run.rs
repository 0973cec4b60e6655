//! `kesou ingest --dry-run`: per file the table, each column's field and type, the encoding,
//! the first problems and the rows that would load, with nothing written; a mapping file
//! changes what loads, the same way in the dry run and the ingest.

use std::path::Path;

use kesou_datagen::{ExportStyle, GenerateConfig};
use kesou_indexer::plan::{FieldKind, Mapping, dry_run};
use kesou_indexer::{NoProgress, StorePaths};

use crate::common;

fn column<'a>(
    f: &'a kesou_indexer::plan::FilePlan,
    header: &str,
) -> &'a kesou_indexer::plan::ColumnPlan {
    f.columns
        .iter()
        .find(|c| c.header == header)
        .unwrap_or_else(|| panic!("{header} in {:?}", f.columns))
}

#[test]
fn a_kingdee_export_is_shown_column_by_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kingdee");
    let mut config = GenerateConfig::new(out.clone());
    config.customers = 60;
    let written = kesou_datagen::export(&config, ExportStyle::Kingdee).unwrap();
    let d = dry_run(std::slice::from_ref(&out), &Mapping::default()).unwrap();
    assert!(!dir.path().join("kesou-data").exists());

    let customers = d
        .files
        .iter()
        .find(|f| f.table == Some("customers"))
        .unwrap();
    assert!(
        customers.file.ends_with("客户资料.csv"),
        "{}",
        customers.file
    );
    assert_eq!(customers.encoding.as_deref(), Some("GBK/GB18030"));
    for (header, target, kind, how) in [
        ("客户编码", "id", FieldKind::Id, "synonym"),
        (
            "注册资本(万元)",
            "registered_capital",
            FieldKind::Money,
            "synonym",
        ),
        ("成立日期", "founded_date", FieldKind::Date, "synonym"),
        ("联系电话", "contact_phone", FieldKind::Phone, "synonym"),
        ("客户等级", "custom", FieldKind::Category, "none"),
        ("信用额度(元)", "custom", FieldKind::Money, "none"),
        ("合同到期日", "custom", FieldKind::Date, "none"),
    ] {
        let c = column(customers, header);
        assert_eq!(
            (c.target.as_str(), c.kind, c.matched_by),
            (target, kind, how),
            "{header}"
        );
    }
    assert_eq!(
        (
            customers.rows_read,
            customers.would_load,
            customers.would_reject
        ),
        (written.customers, written.customers, 0)
    );
    // Values as kesou reads them: money in 万元 as yuan, dates as days.
    let capital = column(customers, "注册资本(万元)");
    assert_eq!(capital.read_as.len(), capital.samples.len());
    for (written, read) in capital.samples.iter().zip(&capital.read_as) {
        let wan: f64 = written.replace(',', "").parse().unwrap();
        assert_eq!(read.parse::<f64>().unwrap(), wan * 10_000.0, "{written}");
    }
    let due = column(customers, "合同到期日");
    assert!(
        due.read_as
            .iter()
            .all(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()),
        "{:?} → {:?}",
        due.samples,
        due.read_as
    );
    assert!(column(customers, "客户等级").read_as.is_empty());
    let orders = d.files.iter().find(|f| f.table == Some("orders")).unwrap();
    assert_eq!(column(orders, "价税合计").target, "amount");
    assert_eq!(orders.would_load, written.orders);
    assert_eq!(
        orders.would_wait,
        Some(0),
        "every order's customer is in the files"
    );

    // The JSON the web app reads, and a mapping that reads back as what was shown.
    let json = serde_json::to_value(&d).unwrap();
    assert!(
        json["files"][0]["columns"][0]["target"].is_string(),
        "{json}"
    );
    let mapping: Mapping = toml::from_str(&d.mapping_toml).unwrap();
    let f = mapping.for_file(Path::new("客户资料.csv")).unwrap();
    assert_eq!(f.table.as_deref(), Some("customers"));
    assert_eq!(f.columns["注册资本(万元)"], "registered_capital");
    assert_eq!(f.columns["客户等级"], "custom");
}

const UNHEADED: &str = "\
编号,公司,所在地,行业,电话号码,来源
K001,杭州恒瑞精密机械有限公司,浙江,制造,13812345678,展会
K002,苏州明达电子科技有限公司,江苏省,科技,0512-66881234,官网
K003,上海启元信息技术有限公司,上海,科技,12345,展会
K004,广州泰和物流有限公司,广东省,物流,020-38886666,转介绍
";

#[test]
fn columns_are_matched_by_their_values_and_a_mapping_overrides_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("客户.csv");
    std::fs::write(&file, UNHEADED).unwrap();
    let d = dry_run(std::slice::from_ref(&file), &Mapping::default()).unwrap();
    let f = &d.files[0];
    assert_eq!(f.table, Some("customers"));
    let province = column(f, "所在地");
    assert_eq!(
        (province.target.as_str(), province.matched_by),
        ("province", "values")
    );
    assert_eq!(column(f, "电话号码").target, "contact_phone");
    assert_eq!(column(f, "来源").target, "custom");
    // The bad phone is set aside, its row loads; the problem is shown.
    assert_eq!(
        (f.would_load, f.would_reject, f.values_set_aside),
        (4, 0, 1)
    );
    assert!(
        f.problems
            .iter()
            .any(|p| p.line == 4 && p.column == "contact_phone" && p.value == "12345"),
        "{:?}",
        f.problems
    );

    // The ingest maps the columns as the dry run showed.
    let (_d, paths, s) = common::ingest_into_temp(std::slice::from_ref(&file));
    assert_eq!(s.loaded(), 4);
    assert_eq!(
        common::strings(&paths, "SELECT province FROM customers ORDER BY id"),
        ["浙江省", "江苏省", "上海市", "广东省"]
    );

    // A person's word wins: 所在地 ignored, 公司 as the name.
    let edited = d
        .mapping_toml
        .replace("\"所在地\" = \"province\"", "\"所在地\" = \"ignore\"");
    assert_ne!(edited, d.mapping_toml);
    let mapping: Mapping = toml::from_str(&edited).unwrap();
    let d = dry_run(std::slice::from_ref(&file), &mapping).unwrap();
    let c = column(&d.files[0], "所在地");
    assert_eq!((c.target.as_str(), c.matched_by), ("ignore", "mapping"));
    let store = dir.path().join("mapped");
    let paths = StorePaths::new(&store);
    kesou_indexer::ingest_mapped(&paths, std::slice::from_ref(&file), &mapping, &NoProgress)
        .unwrap();
    assert_eq!(
        common::strings(
            &paths,
            "SELECT coalesce(province, '-') FROM customers ORDER BY id"
        ),
        ["-", "-", "-", "-"]
    );

    // A target that is no column says what is.
    let bad: Mapping =
        toml::from_str("[[file]]\nname = \"客户.csv\"\n[file.columns]\n\"所在地\" = \"省\"\n\"来源\" = \"origin\"\n")
            .unwrap();
    let err = dry_run(std::slice::from_ref(&file), &bad)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"origin\", which is no column of customers"),
        "{err}"
    );
}
