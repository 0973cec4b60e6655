//! Any bytes as a question (the first byte picks as_of): the parser's promises hold.
#![no_main]

use std::sync::LazyLock;

use kesou_domain::geo::PROVINCES;
use kesou_nlq::{Parser, Schema};
use libfuzzer_sys::fuzz_target;

/// The customer schema as a store gives it (as `nlq/tests/common` builds it).
static PARSER: LazyLock<Parser> = LazyLock::new(|| {
    let mut s = Schema::from_toml(include_str!("../../query/src/ask/customers.toml"))
        .expect("customers.toml parses");
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
        ["活跃", "沉睡", "高意向待转化", "复购客户", "高价值客户", "VIP"].map(String::from),
    );
    s.add_related_values(
        "orders",
        "product",
        ["工业机器人", "云服务器", "数控机床"].map(String::from),
    );
    Parser::new(s).expect("the schema is valid")
});

fuzz_target!(|data: &[u8]| {
    if let Some((as_of, question)) = kesou_nlq::fuzzing::split_input(data) {
        kesou_nlq::fuzzing::check_question(&PARSER, &question, as_of);
    }
});
