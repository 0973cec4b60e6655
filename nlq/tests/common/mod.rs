//! The customer schema as the store would give it: the shipped description with the
//! province and city values of the domain's geography, a few owners, tags and products, and
//! a few words of its text.

use chrono::NaiveDate;
use kesou_domain::geo::PROVINCES;
use kesou_nlq::{Parser, Schema};

pub const CUSTOMERS: &str = include_str!("../../../query/src/ask/customers.toml");

pub fn customer_schema() -> Schema {
    let mut s = Schema::from_toml(CUSTOMERS).expect("customers.toml parses");
    s.add_values("province", PROVINCES.iter().map(|p| p.name.to_string()));
    s.add_values(
        "city",
        PROVINCES
            .iter()
            .flat_map(|p| p.cities.iter().map(|(c, _)| c.to_string())),
    );
    s.add_values("owner", ["张伟", "王芳", "李娜", "刘洋"].map(String::from));
    s.add_values(
        "tags",
        [
            "活跃",
            "沉睡",
            "高意向待转化",
            "复购客户",
            "高价值客户",
            "VIP",
        ]
        .map(String::from),
    );
    s.add_related_values(
        "orders",
        "product",
        ["工业机器人", "云服务器", "数控机床"].map(String::from),
    );
    // Words a store learns from its names and descriptions (`Schema::terms`): a run of
    // unknown words made of these is a text condition without a marker.
    s.add_terms(
        [
            "跨境",
            "汽车",
            "零部件",
            "上市",
            "精密",
            "机械",
            "恒瑞",
            "5g",
            "通信",
            "b2b",
            "平台",
            "百货",
            "万科",
            "百度",
        ]
        .map(String::from),
    );
    s
}

pub fn parser() -> Parser {
    Parser::new(customer_schema()).expect("schema is valid")
}

pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}
