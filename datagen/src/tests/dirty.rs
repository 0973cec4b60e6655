//! `--dirty` data carries every kind of defect the crate docs promise, in modest numbers.

use std::collections::{HashMap, HashSet};

use arrow::array::AsArray;
use chrono::NaiveDate;
use kesou_domain::credit_code::validate;

use crate::generate_batches;
use crate::tests::{config, strings};

fn is_full_width(s: &str) -> bool {
    s.chars().any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c))
}

fn is_padded(s: &str) -> bool {
    s != s.trim()
}

fn phone_ok(p: &str) -> bool {
    let b = p.as_bytes();
    let mobile = p.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && p.bytes().all(|c| c.is_ascii_digit());
    let landline = p.split_once('-').is_some_and(|(code, number)| {
        code.starts_with('0')
            && number.len() == 8
            && format!("{code}{number}")
                .bytes()
                .all(|c| c.is_ascii_digit())
    });
    mobile || landline
}

#[test]
fn dirty_data_has_every_kind_of_defect() {
    let mut cfg = config(42);
    cfg.dirty = true;
    let b = generate_batches(&cfg, 0, 5000);
    let c = &b.customers;
    let columns = [
        "id",
        "name",
        "credit_code",
        "province",
        "city",
        "owner",
        "contact_name",
        "contact_phone",
        "email",
        "description",
    ];
    let cols: Vec<Vec<&str>> = columns.iter().map(|n| strings(c, n)).collect();
    let col = |name: &str| &cols[columns.iter().position(|n| *n == name).unwrap()];
    let employees = c
        .column_by_name("employees")
        .unwrap()
        .as_primitive::<arrow::datatypes::Int32Type>();
    let tags = c.column_by_name("tags").unwrap().as_list::<i32>();
    let row_key = |i: usize| {
        let mut k: Vec<String> = cols.iter().map(|v| v[i].to_owned()).collect();
        k.push(employees.value(i).to_string());
        k.push(format!("{:?}", tags.value(i)));
        k
    };
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, id) in col("id").iter().enumerate() {
        by_id.entry(id).or_default().push(i);
    }
    let repeated: Vec<&Vec<usize>> = by_id.values().filter(|rows| rows.len() > 1).collect();
    let exact = repeated
        .iter()
        .filter(|r| row_key(r[0]) == row_key(r[1]))
        .count();
    let changed = repeated.len() - exact;
    let count = |f: &dyn Fn(usize) -> bool| (0..c.num_rows()).filter(|i| f(*i)).count();
    let (phones, codes) = (col("contact_phone"), col("credit_code"));
    let bad_phones =
        count(&|i| !phone_ok(phones[i]) && !is_full_width(phones[i]) && !is_padded(phones[i]));
    let bad_codes = count(&|i| {
        !codes[i].is_empty()
            && !is_full_width(codes[i])
            && !is_padded(codes[i])
            && validate(codes[i]).is_err()
    });
    let empty_names = count(&|i| col("name")[i].is_empty());
    let empty_provinces = count(&|i| col("province")[i].is_empty());
    let empty_codes = count(&|i| codes[i].is_empty());
    let padded = count(&|i| cols.iter().any(|v| is_padded(v[i])));
    let full_width = count(&|i| is_full_width(phones[i]) || is_full_width(codes[i]));
    let mut names: HashMap<&str, HashSet<(&str, &str)>> = HashMap::new();
    for ((name, id), code) in col("name").iter().zip(col("id")).zip(codes) {
        if !name.is_empty() {
            names.entry(name).or_default().insert((id, code));
        }
    }
    let same_name = names
        .values()
        .filter(|v| {
            let ids: HashSet<_> = v.iter().map(|x| x.0).collect();
            let valid: HashSet<_> = v
                .iter()
                .map(|x| x.1)
                .filter(|code| validate(code).is_ok())
                .collect();
            ids.len() > 1 && valid.len() > 1
        })
        .count();
    for (what, n) in [
        ("exact duplicates", exact),
        ("re-exports with a changed field", changed),
        ("malformed phones", bad_phones),
        ("malformed credit codes", bad_codes),
        ("empty names", empty_names),
        ("empty provinces", empty_provinces),
        ("empty credit codes", empty_codes),
        ("padded values", padded),
        ("full-width phones or codes", full_width),
        ("same-name pairs", same_name),
    ] {
        assert!(n >= 5, "{n} {what}");
        assert!(n <= 200, "{n} {what}");
    }
    let truth = strings(&b.truth, "id");
    assert!(
        truth.iter().any(|id| id.starts_with("C9")),
        "same-name companies are in the truth table"
    );

    let o = &b.orders;
    let known: HashSet<&str> = col("id").iter().copied().collect();
    let (customer, date, amount) = (
        strings(o, "customer_id"),
        strings(o, "order_date"),
        strings(o, "amount"),
    );
    let unknown = customer.iter().filter(|c| !known.contains(*c)).count();
    let negative = amount
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1)
        .count();
    let wide = amount.iter().filter(|a| is_full_width(a)).count();
    let non_numeric = amount
        .iter()
        .filter(|a| !is_full_width(a) && a.parse::<f64>().is_err())
        .count();
    let bad_dates = date
        .iter()
        .filter(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err())
        .count();
    for (what, n) in [
        ("orders of unknown customers", unknown),
        ("negative amounts", negative),
        ("full-width amounts", wide),
        ("non-numeric amounts", non_numeric),
        ("impossible dates", bad_dates),
    ] {
        assert!(n >= 5, "{n} {what}");
        assert!((n as f64) < 0.02 * o.num_rows() as f64, "{n} {what}");
    }
}
