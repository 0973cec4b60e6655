//! Backups of a generated store: taken while writes go on, they hold the store as of the
//! snapshot; restored, store and index agree and every table reads back the same; a
//! changed or missing byte is refused; a store in place is replaced only when asked.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use kesou_backup::{BackupOptions, RestoreOptions, Snapshot};
use kesou_indexer::{Changes, NoProgress, Store, StorePaths};
use kesou_testkit::copy_dir;

/// A generated store, built once; each test works on a copy of it.
static BUILT: LazyLock<PathBuf> = LazyLock::new(|| {
    let store = kesou_testkit::shared_store("backup", &[kesou_testkit::Shape::new(600, 3)]).root;
    // Side files as the other parts of kesou leave them.
    let s = |rel: &str, text: &str| {
        let p = store.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    s("models/churn.json", r#"{"kind":"mlp"}"#);
    s("semantic/vectors.bin", "vectors");
    s("access/users.json", r#"{"users":[]}"#);
    s("lookalike/vectors.bin", "derived");
    s("embed.key", "0123456789abcdef0123456789abcdef");
    s(
        "tag-rules.toml",
        "\"近30天咨询≥3次且未成交\" = \"待跟进\"\n",
    );
    s(
        "audit/audit.log",
        "{\"seq\":1,\"x\":1}\n{\"seq\":2,\"x\":2}\n{\"seq\":3,\"x\":3}\n{\"seq\":4,\"x\":",
    );
    s("audit/head", r#"{"seq":2,"hash":"h2"}"#);
    store
});

fn fresh() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    copy_dir(&BUILT, &store);
    (dir, store)
}

/// Every table of a store, rows in a canonical order.
fn dump(store: &Path) -> String {
    dump_conn(
        &kesou_indexer::store::open_db(&StorePaths::new(store), kesou_indexer::store::Open::Read)
            .unwrap(),
    )
}

fn dump_conn(conn: &duckdb::Connection) -> String {
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT table_name FROM duckdb_tables() ORDER BY 1")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mut out = String::new();
    for t in tables {
        let rows: String = conn
            .query_row(
                &format!(
                    "SELECT coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)), '') FROM \"{t}\" t"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        out.push_str(&format!("## {t}\n{rows}\n"));
    }
    out
}

fn change(store: &Store, n: usize) {
    let line = format!(
        r#"{{"op":"upsert","table":"orders","row":{{"id":"BK{n}","customer_id":"C0000001","order_date":"2026-06-01","amount":{}}}}}"#,
        1000 * n
    );
    let s = store
        .apply(&Changes::parse(line.as_bytes()).unwrap(), &NoProgress)
        .unwrap();
    assert_eq!(s.applied, 1);
}

#[test]
fn a_backup_taken_while_writes_go_on_restores_the_store_as_of_its_snapshot() {
    let (dir, path) = fresh();
    let store = Store::open(&StorePaths::new(&path)).unwrap();
    change(&store, 1);
    let before = dump_conn(&store.reader().unwrap().conn);
    let snapshot = Snapshot::take(&store, &BackupOptions::default()).unwrap();
    let generation = snapshot.generation();
    // Writes go on between the snapshot and its export, and during the export.
    change(&store, 2);
    let out = dir.path().join("backups/store.kesou-backup");
    let ((), written) = kesou_backup::write_file(&out, |w| {
        let s = snapshot.write_to(w)?;
        assert_eq!(s.manifest.generation, generation);
        Ok(())
    })
    .unwrap();
    change(&store, 3);
    assert_eq!(written.manifest.generation, generation);
    assert!(!written.manifest.entries.is_empty());
    assert!(
        std::fs::read_to_string(kesou_backup::sidecar_path(&out))
            .unwrap()
            .starts_with(&written.sha256)
    );
    assert!(
        !std::fs::read_dir(&path).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".backup-")),
        "the staging folder is gone"
    );

    let restored = dir.path().join("restored");
    let r = kesou_backup::restore(
        &out,
        &StorePaths::new(&restored),
        &RestoreOptions::default(),
    )
    .unwrap();
    assert!(r.checked_whole_file);
    assert!(r.agreement.agrees(), "{:?}", r.agreement.problems());
    assert_eq!(r.agreement.store_generation, generation);
    assert_eq!(dump(&restored), before, "every table as of the snapshot");

    // Side files: kept, except the derived, the demo source and secrets; the audit log as
    // of its head (whole entries up to the one the head names).
    assert!(restored.join("models/churn.json").exists());
    assert!(restored.join("semantic/vectors.bin").exists());
    assert!(restored.join("tag-rules.toml").exists());
    assert!(restored.join("access/users.json").exists());
    assert!(!restored.join("lookalike").exists());
    assert!(!restored.join("embed.key").exists());
    assert!(
        written
            .manifest
            .excluded
            .iter()
            .any(|e| e.starts_with("embed.key"))
    );
    assert_eq!(
        std::fs::read_to_string(restored.join("audit/audit.log")).unwrap(),
        "{\"seq\":1,\"x\":1}\n{\"seq\":2,\"x\":2}\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&out), 0o600, "a backup holds customer data");
        assert_eq!(mode(&restored.join("audit")), 0o700);
    }
    // The restored store takes writes like any other.
    let again = Store::open(&StorePaths::new(&restored)).unwrap();
    change(&again, 4);
    assert!(again.check().unwrap().agrees());
}

#[test]
fn secrets_are_in_a_backup_only_when_asked_for() {
    let (dir, path) = fresh();
    let store = Store::open(&StorePaths::new(&path)).unwrap();
    let out = dir.path().join("with-secrets.tar");
    kesou_backup::backup_to_file(&store, &out, &BackupOptions { with_secrets: true }).unwrap();
    let restored = dir.path().join("restored");
    kesou_backup::restore(
        &out,
        &StorePaths::new(&restored),
        &RestoreOptions::default(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(restored.join("embed.key")).unwrap(),
        std::fs::read(path.join("embed.key")).unwrap()
    );
}

#[test]
fn a_damaged_or_cut_short_backup_is_refused_and_nothing_is_put_in_place() {
    let (dir, path) = fresh();
    let store = Store::open(&StorePaths::new(&path)).unwrap();
    let out = dir.path().join("b.tar");
    let s = kesou_backup::backup_to_file(&store, &out, &BackupOptions::default()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let target = dir.path().join("target");

    // One byte changed inside a file, checked against the manifest (no sidecar).
    let mut bad = bytes.clone();
    let at = bytes.len() / 2;
    bad[at] ^= 0x40;
    let damaged = dir.path().join("damaged.tar");
    std::fs::write(&damaged, &bad).unwrap();
    let e = kesou_backup::restore(
        &damaged,
        &StorePaths::new(&target),
        &RestoreOptions::default(),
    )
    .unwrap_err();
    assert!(e.is_user_error(), "{e}");
    assert!(e.to_string().contains("damaged"), "{e}");
    assert!(!target.exists());

    // The same file with its sidecar: the whole-file hash catches it first.
    std::fs::write(
        kesou_backup::sidecar_path(&damaged),
        format!("{}  damaged.tar\n", s.sha256),
    )
    .unwrap();
    let e = kesou_backup::verify(&damaged).unwrap_err();
    assert!(e.to_string().contains("SHA-256"), "{e}");

    // Cut short: no manifest.
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let e = kesou_backup::restore(&cut, &StorePaths::new(&target), &RestoreOptions::default())
        .unwrap_err();
    assert!(e.is_user_error(), "{e}");
    assert!(!target.exists());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("restoring")),
        "no staging folder left"
    );
}

#[test]
fn a_store_in_place_is_replaced_only_with_force() {
    let (dir, path) = fresh();
    let out = dir.path().join("b.tar");
    {
        let store = Store::open(&StorePaths::new(&path)).unwrap();
        kesou_backup::backup_to_file(&store, &out, &BackupOptions::default()).unwrap();
        change(&store, 9);
    }
    let e = kesou_backup::restore(&out, &StorePaths::new(&path), &RestoreOptions::default())
        .unwrap_err();
    assert!(
        e.is_user_error() && e.to_string().contains("--force"),
        "{e}"
    );

    let force = RestoreOptions { force: true };
    let r = kesou_backup::restore(&out, &StorePaths::new(&path), &force).unwrap();
    assert!(r.replaced);
    let conn =
        kesou_indexer::store::open_db(&StorePaths::new(&path), kesou_indexer::store::Open::Read)
            .unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM orders WHERE id = 'BK9'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 0, "the store as backed up, before the later write");
}

/// The files of an archive (manifest aside), in order: (path, bytes, mode).
type Files = Vec<(String, Vec<u8>, u32)>;

/// Writes `from` again as `to` after `edit`, with a manifest that matches the edited
/// files: what someone who edits an archive with care would make.
fn edited(from: &Path, to: &Path, edit: impl FnOnce(&mut Files)) {
    use sha2::Digest;
    use std::io::Read;
    let mut tar = tar::Archive::new(std::fs::File::open(from).unwrap());
    let mut files = Files::new();
    let mut manifest: Option<kesou_backup::Manifest> = None;
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mode = entry.header().mode().unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if path == kesou_backup::MANIFEST {
            manifest = Some(serde_json::from_slice(&bytes).unwrap());
        } else {
            files.push((path, bytes, mode));
        }
    }
    edit(&mut files);
    let mut manifest = manifest.expect("a manifest");
    let mut out = tar::Builder::new(std::fs::File::create(to).unwrap());
    manifest.entries.clear();
    for (path, bytes, mode) in files
        .iter()
        .chain(std::iter::once(&(String::new(), Vec::new(), 0)))
    {
        let (path, bytes) = if path.is_empty() {
            (
                kesou_backup::MANIFEST.to_owned(),
                serde_json::to_vec_pretty(&manifest).unwrap(),
            )
        } else {
            manifest.entries.push(kesou_backup::Entry {
                path: path.clone(),
                bytes: bytes.len() as u64,
                sha256: sha2::Sha256::digest(bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
                mode: *mode,
            });
            (path.clone(), bytes.clone())
        };
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(*mode | 0o600);
        h.set_entry_type(tar::EntryType::Regular);
        out.append_data(&mut h, &path, bytes.as_slice()).unwrap();
    }
    out.finish().unwrap();
}

/// A Parquet file holding what `select` returns.
fn parquet(dir: &Path, select: &str) -> Vec<u8> {
    let path = dir.join("made.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY ({select}) TO '{}' (FORMAT PARQUET)",
        path.display()
    ))
    .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    bytes
}

fn text_of(files: &Files, path: &str) -> String {
    let (_, bytes, _) = files.iter().find(|(p, _, _)| p == path).expect(path);
    String::from_utf8(bytes.clone()).unwrap()
}

fn set(files: &mut Files, path: &str, bytes: Vec<u8>) {
    match files.iter_mut().find(|(p, _, _)| p == path) {
        Some(f) => f.1 = bytes,
        None => files.insert(0, (path.to_owned(), bytes, 0o600)),
    }
}

#[test]
fn an_archive_is_data_never_code() {
    let (dir, path) = fresh();
    let out = dir.path().join("b.tar");
    {
        let store = Store::open(&StorePaths::new(&path)).unwrap();
        kesou_backup::backup_to_file(&store, &out, &BackupOptions::default()).unwrap();
    }
    let before = dump(&path);
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "the machine's name").unwrap();
    let written = dir.path().join("written.csv");

    // SQL in schema.sql, on lines that start as a backup's do: never run; the schema is
    // this binary's own and the data comes in.
    let code = dir.path().join("code.tar");
    edited(&out, &code, |files| {
        let schema = text_of(files, "db/schema.sql");
        let evil = format!(
            "CREATE TABLE pwned AS SELECT * FROM read_text('{}'); COPY (SELECT 42) TO '{}';\n\
             CREATE TABLE customers_extra (x INTEGER);\n{schema}",
            secret.display(),
            written.display()
        );
        set(files, "db/schema.sql", evil.into_bytes());
    });
    let target = dir.path().join("from-code");
    kesou_backup::restore(&code, &StorePaths::new(&target), &RestoreOptions::default())
        .expect("the data of an archive with an edited schema.sql restores");
    assert!(!written.exists(), "nothing in the archive ran");
    assert_eq!(dump(&target), before, "no table of the archive's making");

    // Anything else is refused and nothing is put in place.
    let refused = |name: &str, edit: &dyn Fn(&mut Files), says: &str| {
        let file = dir.path().join(format!("{name}.tar"));
        edited(&out, &file, edit);
        let target = dir.path().join(name);
        let e = kesou_backup::restore(&file, &StorePaths::new(&target), &RestoreOptions::default())
            .expect_err(name);
        assert!(e.is_user_error(), "{name}: {e}");
        assert!(e.to_string().contains(says), "{name}: {e}");
        assert!(!target.exists(), "{name}: nothing in place");
        assert!(!written.exists(), "{name}: nothing ran");
    };
    // A table this binary does not define.
    let pwned = parquet(dir.path(), "SELECT 1 AS x");
    refused(
        "unknown-table",
        &|files: &mut Files| {
            let load = text_of(files, "db/load.sql");
            set(files, "db/pwned.parquet", pwned.clone());
            let load = format!("{load}COPY pwned FROM '/x/pwned.parquet' (FORMAT 'parquet');\n");
            set(files, "db/load.sql", load.into_bytes());
        },
        "does not define",
    );
    // Statements in load.sql, and paths outside the archive.
    for (name, line) in [
        (
            "load-code",
            format!("COPY (SELECT 42) TO '{}';", written.display()),
        ),
        (
            "load-outside",
            format!("COPY meta FROM '{}' (FORMAT CSV);", secret.display()),
        ),
        (
            "load-injected",
            "COPY meta FROM 'x.parquet'; COPY (SELECT 1) TO 'y.parquet' (FORMAT PARQUET);".into(),
        ),
    ] {
        refused(
            name,
            &|files: &mut Files| {
                let load = format!("{}{line}\n", text_of(files, "db/load.sql"));
                set(files, "db/load.sql", load.into_bytes());
            },
            "",
        );
    }
    // Data that does not fit the binary's table: an unknown column, a wrong type, a
    // repeated customer id.
    for (name, select, says) in [
        (
            "extra-column",
            "SELECT *, 1 AS planted FROM read_parquet('{p}')",
            "planted",
        ),
        (
            "wrong-type",
            "SELECT * REPLACE ('many' AS employees) FROM read_parquet('{p}')",
            "does not fit",
        ),
        (
            "repeated-id",
            "SELECT * FROM read_parquet('{p}') UNION ALL (SELECT * FROM read_parquet('{p}') LIMIT 1)",
            "repeats",
        ),
    ] {
        refused(
            name,
            &|files: &mut Files| {
                let original = dir.path().join(format!("{name}-customers.parquet"));
                std::fs::write(
                    &original,
                    &files
                        .iter()
                        .find(|f| f.0 == "db/customers.parquet")
                        .unwrap()
                        .1,
                )
                .unwrap();
                let bytes = parquet(
                    dir.path(),
                    &select.replace("{p}", &original.display().to_string()),
                );
                set(files, "db/customers.parquet", bytes);
            },
            says,
        );
    }
}

/// The route a server adds (see README, "Backup and restore"), with a stand-in login.
mod server {
    use std::collections::HashMap;
    use std::sync::Arc;

    use axum::Json;
    use axum::body::Body;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use kesou_backup::{ArchiveBody, BackupOptions, Snapshot};
    use kesou_indexer::Store;

    pub async fn login(Json(body): Json<serde_json::Value>) -> Response {
        if body["name"] == "admin" && body["password"] == "s3cret" {
            Json(serde_json::json!({"token": "t0ken"})).into_response()
        } else {
            (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({"error": {"code": "unauthorized", "message": "wrong name or password"}})),
            )
                .into_response()
        }
    }

    pub async fn backup(
        State(store): State<Arc<Store>>,
        headers: HeaderMap,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        if headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some("Bearer t0ken")
        {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let options = BackupOptions {
            with_secrets: q.get("secrets").is_some_and(|v| v == "true"),
        };
        // Taking the snapshot waits for a running write: on the blocking pool.
        let snapshot = tokio::task::spawn_blocking(move || Snapshot::take(&store, &options))
            .await
            .expect("the snapshot task");
        match snapshot {
            Ok(snapshot) => Response::builder()
                .header(header::CONTENT_TYPE, "application/x-tar")
                .header(
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"kesou.kesou-backup\"",
                )
                .header("x-kesou-generation", snapshot.generation())
                .body(Body::new(ArchiveBody::new(snapshot)))
                .expect("a response"),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    }

    pub async fn logout() -> StatusCode {
        StatusCode::NO_CONTENT
    }
}

#[test]
fn a_store_a_server_holds_is_backed_up_through_it() {
    use axum::routing::{get, post};
    use std::sync::Arc;

    let (dir, path) = fresh();
    let store = Arc::new(Store::open(&StorePaths::new(&path)).unwrap());
    change(&store, 1);
    let generation = store.generation().unwrap();
    let before = dump_conn(&store.reader().unwrap().conn);
    let app = axum::Router::new()
        .route("/api/login", post(server::login))
        .route("/api/logout", post(server::logout))
        .route("/api/backup", get(server::backup))
        .with_state(Arc::clone(&store));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });

    let remote = |password: &str| kesou_backup::Remote {
        url: format!("http://{addr}"),
        user: "admin".into(),
        password: password.into(),
        with_secrets: false,
    };
    let out = dir.path().join("served.kesou-backup");
    let e = kesou_backup::download(&remote("wrong"), &out).unwrap_err();
    assert!(
        e.is_user_error() && e.to_string().contains("wrong name or password"),
        "{e}"
    );
    assert!(!out.exists());
    // The same server named with https: it speaks no TLS, and the error says so.
    let tls = kesou_backup::Remote {
        url: format!("https://{addr}"),
        ..remote("s3cret")
    };
    let e = kesou_backup::download(&tls, &out).unwrap_err();
    assert!(e.is_user_error() && e.to_string().contains("TLS"), "{e}");
    assert!(!out.exists());

    let written = kesou_backup::download(&remote("s3cret"), &out).unwrap();
    change(&store, 2);
    assert_eq!(written.manifest.generation, generation);
    assert_eq!(
        std::fs::read_to_string(kesou_backup::sidecar_path(&out)).unwrap(),
        format!("{}  served.kesou-backup\n", written.sha256)
    );
    let restored = dir.path().join("restored");
    let r = kesou_backup::restore(
        &out,
        &StorePaths::new(&restored),
        &RestoreOptions::default(),
    )
    .unwrap();
    assert!(r.agreement.agrees());
    assert_eq!(dump(&restored), before);
}

/// A store that keeps its contacts encrypted is backed up as it is stored (its key is
/// never in a backup), and restored only with its key.
#[test]
fn an_encrypted_store_is_backed_up_encrypted_and_restored_only_with_its_key() {
    use kesou_indexer::crypt::{Cipher, DataKey};

    let dir = tempfile::tempdir().unwrap();
    let source = kesou_testkit::generated_source(300, 9);
    let key = DataKey::generate().unwrap();
    let keyed = |p: &Path| StorePaths::new(p).with_key(Some(key.clone()), Some(Cipher::Sm4Gcm));
    let path = dir.path().join("store");
    kesou_indexer::ingest(&keyed(&path), std::slice::from_ref(&source), &NoProgress).unwrap();
    let phones = |p: &Path| -> Vec<String> {
        let conn =
            kesou_indexer::store::open_db(&StorePaths::new(p), kesou_indexer::store::Open::Read)
                .unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT contact_phone FROM customers WHERE contact_phone IS NOT NULL ORDER BY id",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let stored = phones(&path);
    assert!(!stored.is_empty());
    assert!(
        !stored[0].chars().all(|c| c.is_ascii_digit() || c == '-'),
        "stored sealed: {}",
        stored[0]
    );

    let out = dir.path().join("sealed.kesou-backup");
    {
        let store = Store::open(&keyed(&path)).unwrap();
        kesou_backup::backup_to_file(&store, &out, &BackupOptions::default()).unwrap();
    }
    let target = dir.path().join("restored");
    for (paths, why) in [
        (StorePaths::new(&target).with_key(None, None), "no key"),
        (
            StorePaths::new(&target).with_key(Some(DataKey::generate().unwrap()), None),
            "another key",
        ),
    ] {
        let e = kesou_backup::restore(&out, &paths, &RestoreOptions::default()).unwrap_err();
        assert!(e.to_string().contains("key"), "{why}: {e}");
        assert!(!target.exists(), "{why}: nothing put in place");
    }
    let r = kesou_backup::restore(&out, &keyed(&target), &RestoreOptions::default()).unwrap();
    assert!(r.agreement.agrees());
    assert_eq!(
        phones(&target),
        stored,
        "the same sealed values, never decrypted"
    );
    let store = Store::open(&keyed(&target)).expect("opens with its key");
    assert!(store.check().unwrap().agrees());
}
