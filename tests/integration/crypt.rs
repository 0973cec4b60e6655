//! Contacts encrypted at rest (《个人信息保护法》): a store made with a key holds no plain
//! contact in its DuckDB file, its index or any file beside it; answers, profiles and
//! change batches see plain values; a phone number is found through its keyed hash; the
//! wrong key is refused with a message; rotation re-seals every value in one generation;
//! a store made without a key keeps working and says so.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use kesou_indexer::crypt::{self, Cipher, DataKey};
use kesou_indexer::{Changes, NoProgress, Store, StorePaths};
use kesou_query::ask::{AskOptions, Asker};
use kesou_query::profile::{ProfileOptions, profile};
use kesou_query::{SearchRequest, Searcher};

/// Generated files of 1,200 customers (seed 17), shared: read, never written.
static SOURCE: LazyLock<PathBuf> = LazyLock::new(|| kesou_testkit::generated_source(1200, 17));

/// A customer of the source files: id, contact name, phone, e-mail.
#[derive(Debug, Clone)]
struct Contact {
    id: String,
    name: String,
    phone: String,
    email: String,
}

/// Customers whose contact name, phone and e-mail each occur exactly once in all the source
/// files (a name may also be a salesperson's or sit in a note): if one is found in a store
/// file, it came from the contact column.
fn contacts(n: usize) -> Vec<Contact> {
    let source = &*SOURCE;
    let all: String = std::fs::read_dir(source)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    let mut reader = csv::Reader::from_path(source.join("customers.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, name, phone, email) = (
        col("id"),
        col("contact_name"),
        col("contact_phone"),
        col("email"),
    );
    reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| Contact {
            id: r[id].to_owned(),
            name: r[name].to_owned(),
            phone: r[phone].to_owned(),
            email: r[email].to_owned(),
        })
        .filter(|c| {
            [&c.name, &c.phone, &c.email]
                .iter()
                .all(|v| v.chars().count() >= 3 && all.matches(v.as_str()).count() == 1)
        })
        .take(n)
        .collect()
}

fn keyed(root: &Path, key: &DataKey, cipher: Cipher) -> StorePaths {
    StorePaths::new(root).with_key(Some(key.clone()), Some(cipher))
}

fn plain(root: &Path) -> StorePaths {
    StorePaths::new(root).with_key(None, None)
}

fn ingest(paths: &StorePaths) -> kesou_indexer::IngestSummary {
    kesou_indexer::ingest(paths, std::slice::from_ref(&*SOURCE), &NoProgress).expect("ingest")
}

/// Every file under `dir` holding `needle`'s bytes.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path);
            }
        }
    }
    found
}

fn checkpoint(paths: &StorePaths) {
    let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Write).unwrap();
    conn.execute_batch("CHECKPOINT").unwrap();
}

fn asker(paths: &StorePaths) -> Asker {
    Asker::open(paths, &NoProgress).expect("asker")
}

/// The ids a question answers and the values of one of its columns.
fn ask(asker: &Asker, question: &str, column: &str) -> (Vec<String>, Vec<String>) {
    let a = asker.ask(question, &AskOptions::all()).expect(question);
    let at = |name: &str| a.table.columns.iter().position(|c| c.name == name);
    let id = at("id").expect("id column");
    let ids = a
        .table
        .rows
        .iter()
        .map(|r| r[id].as_str().unwrap().to_owned())
        .collect();
    let values = match at(column) {
        Some(i) => a
            .table
            .rows
            .iter()
            .map(|r| r[i].as_str().unwrap_or("").to_owned())
            .collect(),
        None => Vec::new(),
    };
    (ids, values)
}

fn search_ids(paths: &StorePaths, filter: &str) -> Vec<String> {
    let reader = kesou_indexer::open_for_reading(paths, &NoProgress).unwrap();
    let searcher = Searcher::new(reader.index).unwrap();
    let req = SearchRequest {
        filters: vec![filter.parse().unwrap()],
        limit: 50,
        ..SearchRequest::default()
    };
    searcher
        .search(&req)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn a_store_made_with_a_key_holds_no_plain_contact_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = DataKey::generate().unwrap();
    let paths = keyed(&dir.path().join("store"), &key, Cipher::Sm4Gcm);
    let s = ingest(&paths);
    assert_eq!(
        s.contacts_encrypted.as_deref(),
        Some(format!("sm4-gcm, key {}", key.id()).as_str())
    );
    // Every side file the store can have without a model: the lookalike vectors and the
    // duplicate report; suggestions are built in memory.
    let asker = asker(&paths);
    kesou_query::lookalike::Lookalike::open(&paths, asker.connection(), &NoProgress)
        .expect("lookalike vectors");
    kesou_query::suggest::Suggester::new(&asker).expect("suggestions");
    drop(asker);
    checkpoint(&paths);
    let picked = contacts(5);
    assert_eq!(picked.len(), 5, "five customers with unique contacts");
    for c in &picked {
        for value in [&c.name, &c.phone, &c.email] {
            assert_eq!(
                files_holding(&paths.root, value),
                Vec::<PathBuf>::new(),
                "{value} of {} in a store file",
                c.id
            );
        }
    }
    // The same data without a key holds them in plain text (the check above can fail).
    let plain_root = dir.path().join("plain");
    ingest(&plain(&plain_root));
    checkpoint(&plain(&plain_root));
    assert!(!files_holding(&plain_root, &picked[0].phone).is_empty());
}

#[test]
fn answers_profiles_and_lookups_see_plain_values_through_the_key() {
    for cipher in [Cipher::Sm4Gcm, Cipher::Aes256Gcm] {
        let dir = tempfile::tempdir().unwrap();
        let key = DataKey::generate().unwrap();
        let paths = keyed(&dir.path().join("store"), &key, cipher);
        ingest(&paths);
        let c = &contacts(1)[0];
        let asker = asker(&paths);
        // A question naming the phone, as typed with dashes: matched by its keyed hash,
        // and the answer shows the phone decrypted.
        let dashed = format!("{}-{}-{}", &c.phone[..3], &c.phone[3..7], &c.phone[7..]);
        let (ids, phones) = ask(&asker, &format!("手机号{dashed}的客户"), "contact_phone");
        assert_eq!(ids, std::slice::from_ref(&c.id), "{cipher}");
        assert_eq!(phones, std::slice::from_ref(&c.phone));
        let (ids, emails) = ask(&asker, &format!("邮箱{}的客户", c.email), "email");
        assert_eq!((ids, emails), (vec![c.id.clone()], vec![c.email.clone()]));
        // Every contact of a list answer comes out decrypted.
        let mut q = asker.parse("华东客户");
        q.filters.push(kesou_nlq::Filter::field(
            "contact_phone",
            kesou_nlq::Op::NotNull,
            kesou_nlq::Value::Null,
            None,
        ));
        let a = asker.run(&q, &AskOptions::all()).unwrap();
        let at = a
            .table
            .columns
            .iter()
            .position(|c| c.name == "contact_phone")
            .unwrap();
        assert!(a.table.rows.len() > 100);
        assert!(a.table.rows.iter().all(|r| r[at].as_str().is_none_or(
            |p| !crypt::is_sealed(p) && p.chars().filter(char::is_ascii_digit).count() >= 10
        )));
        // Ordering by an encrypted field means nothing: refused.
        let e = asker
            .ask("按联系电话排序", &AskOptions::default())
            .unwrap_err();
        assert!(e.is_user_error());
        // The profile shows them decrypted, and not the lookup columns.
        let p = profile(&asker, &c.id, &ProfileOptions::default()).unwrap();
        let field = |n: &str| {
            p.fields
                .iter()
                .find(|f| f.name == n)
                .map(|f| f.value.clone())
        };
        assert_eq!(field("contact_phone").unwrap(), c.phone.as_str());
        assert_eq!(field("contact_name").unwrap(), c.name.as_str());
        assert_eq!(field("email").unwrap(), c.email.as_str());
        assert!(field("contact_phone_lookup").is_none());
        // The search filter, in any spelling ingest accepts.
        for f in [
            format!("contact_phone={}", c.phone),
            format!("contact_phone=+86 {dashed}"),
        ] {
            assert_eq!(search_ids(&paths, &f), std::slice::from_ref(&c.id), "{f}");
        }
        assert_eq!(
            search_ids(&paths, &format!("contact_name={}", c.name)),
            std::slice::from_ref(&c.id)
        );
        assert!(search_ids(&paths, "contact_phone=13900000000").is_empty());
    }
}

#[test]
fn the_wrong_key_or_none_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let key = DataKey::generate().unwrap();
    ingest(&keyed(&root, &key, Cipher::Aes256Gcm));
    let other = DataKey::generate().unwrap();
    for (paths, says) in [
        (keyed(&root, &other, Cipher::Aes256Gcm), "is not the key of"),
        (plain(&root), "keeps its contacts encrypted (aes-256-gcm"),
    ] {
        let e = Asker::open(&paths, &NoProgress).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
        let e = Store::open(&paths).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
    assert!(
        Store::open(&keyed(&root, &key, Cipher::Sm4Gcm)).is_ok(),
        "the store's cipher wins"
    );
}

#[test]
fn rotation_reseals_every_value_under_the_new_key_in_one_generation() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let c = &contacts(1)[0];
    // A plain store is sealed by a rotation; then sealed again under a third key.
    let before = ingest(&plain(&root)).generation;
    let k1 = DataKey::generate().unwrap();
    let k2 = DataKey::generate().unwrap();
    let s = crypt::rotate(&plain(&root), &k1, None, Some(Cipher::Sm4Gcm), &NoProgress).unwrap();
    assert_eq!((s.before.as_str(), s.generation), ("plain", before + 1));
    assert!(s.customers >= 1200);
    // The database file is rewritten and the index rebuilt: the plain values (and their
    // lookups under the public key) are gone from every file, not only from the tables.
    for value in [&c.phone, &c.name, &c.email] {
        assert_eq!(
            files_holding(&root, value),
            Vec::<PathBuf>::new(),
            "{value}"
        );
    }
    let public = kesou_indexer::crypt::Vault::plain()
        .lookup("contact_phone", &c.phone)
        .unwrap();
    assert_eq!(files_holding(&root, &public), Vec::<PathBuf>::new());
    let s = crypt::rotate(
        &keyed(&root, &k1, Cipher::Sm4Gcm),
        &k2,
        None,
        Some(Cipher::Aes256Gcm),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(s.after, format!("aes-256-gcm, key {}", k2.id()));
    let e = Store::open(&keyed(&root, &k1, Cipher::Sm4Gcm))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not the key of"), "{e}");
    let paths = keyed(&root, &k2, Cipher::Aes256Gcm);
    let status = crypt::status(&paths).unwrap();
    assert_eq!(status.key_matches, Some(true));
    for (column, states) in &status.values {
        assert_eq!(states.len(), 1, "{column}: {states:?}");
        assert!(
            states.keys().all(|s| s.contains(&k2.id()[..8])),
            "{column}: {states:?}"
        );
    }
    let (ids, phones) = ask(
        &asker(&paths),
        &format!("联系电话{}", c.phone),
        "contact_phone",
    );
    assert_eq!((ids, phones), (vec![c.id.clone()], vec![c.phone.clone()]));
    assert_eq!(
        search_ids(&paths, &format!("contact_phone={}", c.phone)),
        std::slice::from_ref(&c.id)
    );
    // A rotation that fails (the old key is wrong) changes nothing.
    let e = crypt::rotate(
        &keyed(&root, &k1, Cipher::Sm4Gcm),
        &k1,
        None,
        None,
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("is not the key of"), "{e}");
    assert_eq!(
        crypt::status(&paths).unwrap().key_id.as_deref(),
        Some(k2.id().as_str())
    );
}

#[test]
fn a_plain_store_keeps_working_fills_its_lookups_and_refuses_a_key_for_writing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let s = ingest(&plain(&root));
    assert_eq!(s.contacts_encrypted, None);
    let c = &contacts(1)[0];
    // A store made before the lookups: its first write-open fills them.
    {
        let conn = kesou_indexer::store::open_db(&plain(&root), kesou_indexer::store::Open::Write)
            .unwrap();
        conn.execute_batch(
            "UPDATE customers SET contact_name_lookup = NULL, contact_phone_lookup = NULL, email_lookup = NULL;
             DELETE FROM meta WHERE key = 'crypt_lookups';",
        )
        .unwrap();
    }
    let g = Store::open(&plain(&root)).unwrap().generation().unwrap();
    assert_eq!(g, s.generation + 1, "the lookups are one generation");
    let (ids, phones) = ask(
        &asker(&plain(&root)),
        &format!("手机号{}的客户", c.phone),
        "contact_phone",
    );
    assert_eq!((ids, phones), (vec![c.id.clone()], vec![c.phone.clone()]));
    assert_eq!(
        search_ids(&plain(&root), &format!("contact_phone={}", c.phone)),
        std::slice::from_ref(&c.id)
    );
    // A key given to a plain store with rows: reads go on, writes are refused.
    let key = DataKey::generate().unwrap();
    assert!(Asker::open(&keyed(&root, &key, Cipher::Sm4Gcm), &NoProgress).is_ok());
    let e = Store::open(&keyed(&root, &key, Cipher::Sm4Gcm))
        .unwrap_err()
        .to_string();
    assert!(e.contains("kesou keys rotate"), "{e}");
}

#[test]
fn change_batches_seal_contacts_and_reports_mask_them() {
    let dir = tempfile::tempdir().unwrap();
    let key = DataKey::generate().unwrap();
    let paths = keyed(&dir.path().join("store"), &key, Cipher::Sm4Gcm);
    ingest(&paths);
    let store = Store::open(&paths).unwrap();
    let code = |n: u32| {
        let body = format!("9133010{n:010}");
        let check = kesou_domain::credit_code::check_char(body.as_bytes()).unwrap();
        format!("{body}{}", check as char)
    };
    let batch = format!(
        "{}\n{}\n",
        format_args!(
            r#"{{"op":"upsert","table":"customers","row":{{"id":"C9000001","name":"杭州密钥测试科技有限公司","credit_code":"{}","province":"浙江","industry":"科技","contact_name":"欧阳测试","contact_phone":"139 0571 2468","email":"ouyang.test@example.com"}}}}"#,
            code(1)
        ),
        format_args!(
            r#"{{"op":"upsert","table":"customers","row":{{"id":"C9000002","name":"宁波坏号码科技有限公司","credit_code":"{}","province":"浙江","industry":"科技","contact_phone":"1390571"}}}}"#,
            code(2)
        ),
    );
    let changes = Changes::parse(batch.as_bytes()).unwrap();
    let s = store.apply(&changes, &NoProgress).unwrap();
    assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
    drop(store);
    let asker = asker(&paths);
    let (ids, names) = ask(&asker, "手机号13905712468的客户", "contact_phone");
    assert_eq!(
        (ids, names),
        (
            vec!["C9000001".to_owned()],
            vec!["139 0571 2468".to_owned()]
        )
    );
    drop(asker);
    checkpoint(&paths);
    for value in [
        "139 0571 2468",
        "欧阳测试",
        "ouyang.test@example.com",
        "1390571",
    ] {
        assert_eq!(
            files_holding(&paths.root, value),
            Vec::<PathBuf>::new(),
            "{value}"
        );
    }
    let rejects = std::fs::read_to_string(s.rejects_file.unwrap()).unwrap();
    assert!(
        rejects.contains("*******") && rejects.contains("has 7 digits"),
        "{rejects}"
    );
}

#[test]
fn keys_are_made_owner_only_and_never_kept_in_a_store() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let run_with = |args: &[&str], vars: &[(&str, &str)]| {
        let o = Command::new(env!("CARGO_BIN_EXE_kesou"))
            .args(args)
            .env_remove("KESOU_KEY_FILE")
            .env_remove("KESOU_DATA_KEY")
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code(), text)
    };
    let run = |args: &[&str]| run_with(args, &[]);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys/data.key");
    let (code, text) = run(&["keys", "new", "--out", key.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (code, text) = run(&["keys", "new", "--out", key.to_str().unwrap()]);
    assert_eq!(code, Some(2), "never overwritten: {text}");
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    let source = SOURCE.to_str().unwrap();
    let (code, text) = run(&[
        "--key-file",
        key.to_str().unwrap(),
        "ingest",
        "--data",
        s,
        source,
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("encrypted at rest (sm4-gcm"), "{text}");
    let inside = store.join("data.key");
    let (code, text) = run(&["keys", "new", "--out", inside.to_str().unwrap()]);
    assert!(
        code == Some(2) && text.contains("inside the store"),
        "{text}"
    );
    std::fs::copy(&key, &inside).unwrap();
    let (code, text) = run(&[
        "--key-file",
        inside.to_str().unwrap(),
        "search",
        "--data",
        s,
        "科技",
    ]);
    assert!(
        code == Some(2) && text.contains("inside the store folder"),
        "{text}"
    );
    let (code, text) = run(&["search", "--data", s, "科技"]);
    assert!(
        code == Some(2) && text.contains("keeps its contacts encrypted"),
        "{text}"
    );
    let (code, text) = run(&[
        "keys",
        "status",
        "--data",
        s,
        "--key-file",
        key.to_str().unwrap(),
    ]);
    assert!(
        code == Some(0) && text.contains("the store's key"),
        "{text}"
    );
    // Without a key a store keeps contacts in plain text, and says so.
    let (code, text) = run(&[
        "ingest",
        "--data",
        dir.path().join("plain").to_str().unwrap(),
        source,
    ]);
    assert!(
        code == Some(0) && text.contains("stored in plain text"),
        "{text}"
    );
    // The same key through the environment: KESOU_KEY_FILE wins over KESOU_DATA_KEY, and a
    // message names the variable it came from.
    let other = "00".repeat(32);
    let status = ["keys", "status", "--data", s];
    let (code, text) = run_with(
        &status,
        &[
            ("KESOU_KEY_FILE", key.to_str().unwrap()),
            ("KESOU_DATA_KEY", &other),
        ],
    );
    assert!(
        code == Some(0) && text.contains("the store's key"),
        "{text}"
    );
    let (code, text) = run_with(&status, &[("KESOU_DATA_KEY", &other)]);
    assert!(
        code == Some(0) && text.contains("NOT the store's key"),
        "{text}"
    );
    let (code, text) = run_with(
        &["search", "--data", s, "科技"],
        &[("KESOU_KEY_FILE", inside.to_str().unwrap())],
    );
    assert!(
        code == Some(2) && text.contains("KESOU_KEY_FILE=") && text.contains("inside the store"),
        "{text}"
    );
    let (code, text) = run(&["--help"]);
    for var in [
        "KESOU_KEY_FILE",
        "KESOU_DATA_KEY",
        "KESOU_CIPHER",
        "KESOU_EMBED_KEY",
        "KESOU_PASSWORD",
        "KESOU_WATCH_RETRY_MS",
    ] {
        assert!(code == Some(0) && text.contains(var), "{var}: {text}");
    }
}
