//! The files in each format: complete, readable, typed as promised, byte-identical for a seed.

use std::fs::{self, File};
use std::path::Path;
use std::sync::Mutex;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use chrono::NaiveDate;

use crate::generate::generate_in_chunks;
use crate::parquet::{Staging, sql_path};
use crate::write::join_lists;
use crate::{Batches, FileFormat, GenerateConfig, generate, generate_batches};

fn run(format: FileFormat, customers: usize, dir: &Path) -> crate::GenerateSummary {
    let mut cfg = GenerateConfig::new(dir);
    cfg.customers = customers;
    cfg.format = format;
    let seen = Mutex::new(Vec::new());
    let summary = generate(&cfg, &|n| seen.lock().unwrap().push(n)).unwrap();
    assert_eq!(seen.into_inner().unwrap().last(), Some(&(customers as u64)));
    summary
}

fn expected(customers: usize) -> Batches {
    let mut cfg = GenerateConfig::new("unused");
    cfg.customers = customers;
    generate_batches(&cfg, 0, customers)
}

fn read_csv(path: &Path, schema: SchemaRef) -> RecordBatch {
    let file = File::open(path).unwrap();
    let reader = arrow::csv::ReaderBuilder::new(schema.clone())
        .with_header(true)
        .with_batch_size(1 << 20)
        .build(file)
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    concat_batches(&schema, &batches).unwrap()
}

fn read_jsonl(path: &Path, schema: SchemaRef) -> RecordBatch {
    let file = std::io::BufReader::new(File::open(path).unwrap());
    let reader = arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(1 << 20)
        .build(file)
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    concat_batches(&schema, &batches).unwrap()
}

/// Tags as text with empty lists as empty text (CSV cannot tell them from null).
fn tags_text(b: &RecordBatch) -> Vec<String> {
    let t = b.column_by_name("tags").unwrap().as_string::<i32>();
    (0..t.len())
        .map(|i| {
            if t.is_null(i) {
                String::new()
            } else {
                t.value(i).to_owned()
            }
        })
        .collect()
}

fn without_tags(b: &RecordBatch) -> RecordBatch {
    let keep: Vec<usize> = (0..b.num_columns())
        .filter(|i| b.schema().field(*i).name() != "tags")
        .collect();
    b.project(&keep).unwrap()
}

#[test]
fn csv_reads_back_as_the_batches_with_tags_joined() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(FileFormat::Csv, 1200, dir.path());
    let want = expected(1200);
    assert_eq!(summary.customers, 1200);
    assert_eq!(summary.orders, want.orders.num_rows() as u64);
    let names: Vec<String> = summary
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "customers.csv",
            "orders.csv",
            "interactions.csv",
            "meta.csv",
            "truth_segments.csv"
        ]
    );
    let joined = join_lists(&want.customers);
    let got = read_csv(&dir.path().join("customers.csv"), joined.schema());
    assert_eq!(without_tags(&got), without_tags(&joined));
    assert_eq!(tags_text(&got), tags_text(&joined));
    assert!(
        tags_text(&got).iter().any(|t| t.contains('|')),
        "some customers have several tags"
    );
    for (table, batch) in [
        ("orders", &want.orders),
        ("interactions", &want.interactions),
        ("truth_segments", &want.truth),
    ] {
        let got = read_csv(&dir.path().join(format!("{table}.csv")), batch.schema());
        assert_eq!(&got, batch, "{table}");
    }
    let text = fs::read_to_string(dir.path().join("customers.csv")).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("id,name,credit_code,region,province,city,industry,size,employees"),
        "{header}"
    );
    let first = text.lines().nth(1).unwrap();
    let created = first.rsplit(',').next().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{created}"
    );
    let meta = fs::read_to_string(dir.path().join("meta.csv")).unwrap();
    assert!(
        meta.starts_with(
            "key,value\nas_of,2026-06-30\nseed,42\ncustomers,1200\ngenerator,kesou-datagen 0.1\n"
        ),
        "{meta}"
    );
}

#[test]
fn jsonl_reads_back_as_the_batches() {
    let dir = tempfile::tempdir().unwrap();
    run(FileFormat::Jsonl, 1200, dir.path());
    let want = expected(1200);
    for (table, batch) in [
        ("customers", &want.customers),
        ("orders", &want.orders),
        ("interactions", &want.interactions),
        ("truth_segments", &want.truth),
    ] {
        let got = read_jsonl(&dir.path().join(format!("{table}.jsonl")), batch.schema());
        assert_eq!(&got, batch, "{table}");
    }
    let text = fs::read_to_string(dir.path().join("customers.jsonl")).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with(r#"{"id":"C0000001","name":""#), "{first}");
    let created = &first[first.find(r#""created_at":""#).unwrap() + 14..][..19];
    assert!(
        chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{created}"
    );
    let founded = &first[first.find(r#""founded_date":""#).unwrap() + 16..][..10];
    assert!(
        NaiveDate::parse_from_str(founded, "%Y-%m-%d").is_ok(),
        "{founded}"
    );
    assert!(text.contains(r#""tags":[""#), "tags are JSON arrays");
    assert!(
        fs::read_to_string(dir.path().join("meta.jsonl"))
            .unwrap()
            .contains(r#"{"key":"as_of","value":"2026-06-30"}"#)
    );
}

#[test]
fn parquet_holds_typed_columns_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(FileFormat::Parquet, 1200, dir.path());
    let want = expected(1200);
    assert!(
        !Staging::spill_dir(dir.path()).exists(),
        "the spill folder is removed"
    );
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let count = |t: &str| -> i64 {
        let p = dir.path().join(format!("{t}.parquet"));
        conn.query_row(
            &format!("SELECT count(*) FROM read_parquet('{}')", sql_path(&p)),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(count("customers"), 1200);
    assert_eq!(count("orders") as u64, summary.orders);
    assert_eq!(count("interactions") as u64, summary.interactions);
    assert_eq!(count("truth_segments"), 1200);
    assert_eq!(count("meta"), 5);
    let customers = sql_path(&dir.path().join("customers.parquet"));
    let types: String = conn
        .query_row(
            &format!(
                "SELECT typeof(employees) || ' ' || typeof(registered_capital) || ' ' || typeof(founded_date) || ' ' \
                 || typeof(tags) || ' ' || typeof(created_at) FROM read_parquet('{customers}') LIMIT 1"
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(types, "INTEGER DOUBLE DATE VARCHAR[] TIMESTAMP");
    let tags = want
        .customers
        .column_by_name("tags")
        .unwrap()
        .as_list::<i32>();
    let ids = crate::tests::strings(&want.customers, "id");
    let row = (0..tags.len())
        .find(|i| tags.value(*i).len() >= 2)
        .expect("a customer with two tags");
    let expected: Vec<String> = tags
        .value(row)
        .as_string::<i32>()
        .iter()
        .map(|t| t.unwrap().to_owned())
        .collect();
    let got: String = conn
        .query_row(
            &format!(
                "SELECT array_to_string(tags, '|') FROM read_parquet('{customers}') WHERE id = ?"
            ),
            [ids[row]],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(got, expected.join("|"));
    let created: String = conn
        .query_row(&format!("SELECT strftime(created_at, '%Y-%m-%d %H:%M:%S') FROM read_parquet('{customers}') WHERE id = 'C0000001'"), [], |r| r.get(0))
        .unwrap();
    let want_created = want
        .customers
        .column_by_name("created_at")
        .unwrap()
        .as_primitive::<arrow::datatypes::TimestampSecondType>()
        .value(0);
    assert_eq!(
        created,
        chrono::DateTime::from_timestamp(want_created, 0)
            .unwrap()
            .naive_utc()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    );
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    for format in FileFormat::ALL {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sa = run(format, 800, a.path());
        run(format, 800, b.path());
        for f in &sa.files {
            let name = f.file_name().unwrap();
            assert_eq!(
                fs::read(f).unwrap(),
                fs::read(b.path().join(name)).unwrap(),
                "{format} {name:?}"
            );
        }
    }
}

#[test]
fn chunks_and_threads_do_not_change_the_files() {
    for format in FileFormat::ALL {
        let reference = tempfile::tempdir().unwrap();
        let files = run(format, 1000, reference.path()).files;
        for (threads, chunk) in [(1, 170), (3, 333)] {
            let dir = tempfile::tempdir().unwrap();
            let mut cfg = GenerateConfig::new(dir.path());
            cfg.customers = 1000;
            cfg.format = format;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| generate_in_chunks(&cfg, &|_| {}, chunk))
                .unwrap();
            for f in &files {
                let name = f.file_name().unwrap();
                let same = fs::read(f).unwrap() == fs::read(dir.path().join(name)).unwrap();
                assert!(
                    same,
                    "{format} {name:?} with {threads} threads and chunks of {chunk}"
                );
            }
        }
    }
}

#[test]
fn an_as_of_before_2026_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut cfg = GenerateConfig::new(&out);
    cfg.as_of = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let err = generate(&cfg, &|_| {}).unwrap_err();
    assert!(err.is_user_error(), "{err}");
    assert!(err.to_string().contains("2026-01-01"), "{err}");
    assert!(!out.exists());
}

#[test]
fn zero_customers_write_headers_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(FileFormat::Csv, 0, dir.path());
    assert_eq!((s.customers, s.orders, s.interactions), (0, 0, 0));
    let text = fs::read_to_string(dir.path().join("orders.csv")).unwrap();
    assert_eq!(text, "id,customer_id,order_date,amount,product\n");
}
