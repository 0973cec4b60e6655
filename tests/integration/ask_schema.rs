//! A second, non-customer table (an HR roster with performance reviews,
//! `tests/data/employees/`) asked through the same parser and executor: nothing in kesou
//! knows its names, so if its questions are answered right, nothing is hard-coded to
//! customers. It has no index: text is matched with `ILIKE` on its text fields.

use chrono::NaiveDate;
use duckdb::Connection;
use kesou_nlq::Schema;
use kesou_query::ask::{AskOptions, Asker, add_store_values};

use crate::ask_cases::run_table;
use crate::common;

/// The roster in an in-memory database.
fn roster() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    let file = |name: &str| {
        common::data(&format!("employees/{name}"))
            .display()
            .to_string()
            .replace('\'', "''")
    };
    conn.execute_batch(&format!(
        "CREATE TABLE employees AS SELECT * FROM read_csv('{}', header = true, columns = {{
             'id': 'VARCHAR', 'name': 'VARCHAR', 'department': 'VARCHAR', 'city': 'VARCHAR',
             'title': 'VARCHAR', 'salary': 'DOUBLE', 'hire_date': 'DATE', 'profile': 'VARCHAR'}});
         CREATE TABLE reviews AS SELECT * FROM read_csv('{}', header = true, columns = {{
             'id': 'VARCHAR', 'employee_id': 'VARCHAR', 'review_date': 'DATE', 'rating': 'VARCHAR'}});",
        file("employees.csv"),
        file("reviews.csv")
    ))
    .unwrap();
    conn
}

fn asker() -> Asker {
    let conn = roster();
    let text = std::fs::read_to_string(common::data("employees/employees.toml")).unwrap();
    let mut schema = Schema::from_toml(&text).expect("employees.toml");
    add_store_values(&conn, &mut schema).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    Asker::new(conn, schema, None, as_of).expect("asker")
}

#[test]
fn another_table_is_asked_through_the_same_parser() {
    let asker = asker();
    let (n, failures) = run_table(&asker, asker.connection(), None, "employees/ask_cases.tsv");
    assert!(n >= 10, "the table has {n} questions");
    assert!(
        failures.is_empty(),
        "{} of {n} questions answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn its_answers_use_its_own_names() {
    let asker = asker();
    let a = asker
        .ask("研发部月薪最高的2名员工", &AskOptions::default())
        .unwrap();
    let names: Vec<&str> = a.table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(&names[..2], ["id", "name"]);
    assert!(names.contains(&"salary") && names.contains(&"department"));
    assert_eq!(a.table.columns[0].label, "工号");
    assert_eq!(a.table.rows.len(), 2);
    assert_eq!(a.table.rows[0][0], "E008");
}
