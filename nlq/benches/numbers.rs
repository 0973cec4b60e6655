//! Cost of reading the numbers of a question: `cargo bench -p kesou-nlq`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kesou_nlq::{find_numbers, parse_number};

const QUESTIONS: &[&str] = &[
    "检索华东地区年采购额超百万的科技类客户",
    "上海年采购额500万以上的金融客户按采购额排序",
    "近30天咨询≥5次且未成交的客户",
    "价值贡献TOP20客户",
    "年采购额介于三十万和一百二十万之间的一般客户",
    "tech customers in East China with annual purchase over 2.5 million yuan",
];

fn numbers(c: &mut Criterion) {
    c.bench_function("parse_number 一百二十万", |b| {
        b.iter(|| parse_number(black_box("一百二十万")))
    });
    c.bench_function("parse_number 2,500,000 元", |b| {
        b.iter(|| parse_number(black_box("2,500,000 元")))
    });
    for q in QUESTIONS {
        c.bench_function(&format!("find_numbers {q}"), |b| {
            b.iter(|| find_numbers(black_box(q)))
        });
    }
}

criterion_group!(benches, numbers);
criterion_main!(benches);
