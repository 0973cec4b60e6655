//! The same parser answering about a table that is not customers: a product catalogue
//! described in `data/products.toml`, with brand values as a store would add them. Proves
//! that fields, values, related tables and concepts all come from the description.

use chrono::NaiveDate;
use kesou_nlq::{Parser, Schema, canonical};

fn parser() -> Parser {
    let mut schema = Schema::from_toml(include_str!("data/products.toml")).unwrap();
    schema.add_values("brand", ["海尔", "美的", "华为"].map(String::from));
    // Words of the catalogue's own text, as a store learns them.
    schema.add_terms(["耳机", "蓝牙", "音箱"].map(String::from));
    Parser::new(schema).unwrap()
}

#[test]
fn a_product_catalogue_is_read_through_its_own_description() {
    let parser = parser();
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let cases = [
        ("价格超过5000的家电", "price>5000 ; category=家电"),
        ("海尔和美的的电器", "brand in [海尔,美的] ; category=家电"),
        ("非数码产品", "category!=数码"),
        ("库存少于10件的商品", "stock<10"),
        (
            "去年上市的华为产品",
            "launched between [2025-01-01,2025-12-31] ; brand=华为",
        ),
        (
            "近30天被退货的产品",
            "has returns[returned_on between [2026-06-01,2026-06-30]]",
        ),
        (
            "因质量问题退货超过3次的",
            "returns[reason=质量问题] count>3",
        ),
        ("没有退过货的家电", "no returns[] ; category=家电"),
        ("按品牌统计产品数", "group:brand ; count"),
        ("各品类平均售价", "group:category ; avg(price)"),
        ("价格最高的5款", "sort:price desc ; limit:5"),
        ("前10", "sort:price desc ; limit:10"),
        ("大件", "category=家电"),
        ("最畅销的食品", "category=食品 ; sort:stock asc"),
        ("有多少款数码产品", "category=数码 ; count"),
        ("名称含蓝牙的耳机", "text:蓝牙 ; text:耳机"),
        // Customer words mean nothing here: not understood, never guessed as text.
        ("华东地区的科技客户", "?:华东地区的科技客户"),
        ("有没有蓝牙音箱", "text:蓝牙音箱"),
    ];
    let mut wrong = Vec::new();
    for (q, expected) in cases {
        let got = canonical(&parser.parse(q, as_of));
        if got != expected {
            wrong.push(format!("{q}\n  expected: {expected}\n  got:      {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
