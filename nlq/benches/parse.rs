//! Cost of reading a whole question against the customer schema (with every province and
//! city in its value dictionary): `cargo bench -p kesou-nlq --bench parse`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/common/mod.rs"]
mod common;

const QUESTIONS: &[&str] = &[
    "检索华东地区年采购额超百万的科技类客户",
    "浙江的制造业客户有哪些",
    "近30天咨询≥5次且未成交的客户",
    "价值贡献TOP20客户",
    "按省份统计客户数",
    "各行业平均年采购额",
    "流失风险高的忠诚客户",
    "上海年采购额500万以上的金融客户按采购额排序",
    "tech customers in East China with annual purchase over 1 million",
    "年采购额介于三十万和一百二十万之间的客户",
    "除了华南以外的非制造业客户",
    "北京和上海的金融客户",
    "长三角的中小企业",
    "去年下过单的华东客户",
    "近一个月有投诉的客户",
    "成立于2020年的科技公司",
    "注册资本最高的10家企业",
    "做新能源电池的客户",
    "華東地區年採購額超百萬的科技類客戶",
    "customers with complaints in the last 30 days",
    "客户最多的3个省份",
    "各大区去年销售额同比",
    "本季度订单金额合计不少于50万的客户",
    "前年有订单、去年没有的制造业客户",
];

fn parse(c: &mut Criterion) {
    let parser = common::parser();
    let as_of = common::as_of();
    // Per-question latency percentiles, the figure the issue names (p50 under 200 µs).
    let mut times = Vec::new();
    for _ in 0..200 {
        for q in QUESTIONS {
            let start = Instant::now();
            black_box(parser.parse(black_box(q), as_of));
            times.push(start.elapsed());
        }
    }
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "parse latency over {} parses of {} questions: p50 {:?}, p99 {:?}, max {:?}",
        times.len(),
        QUESTIONS.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1]
    );
    c.bench_function("parse the question set", |b| {
        b.iter(|| {
            for q in QUESTIONS {
                black_box(parser.parse(black_box(q), as_of));
            }
        })
    });
    c.bench_function("build the parser (lexicon)", |b| {
        b.iter(|| black_box(kesou_nlq::Parser::new(common::customer_schema()).unwrap()))
    });
}

criterion_group!(benches, parse);
criterion_main!(benches);
