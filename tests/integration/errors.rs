//! Every variant of every crate's error, with the kind it must have, and what the server and
//! the command line make of it: the status and code come from the kind, a fault never shows
//! its detail (a path) to the client, and the exit code is 2 for the user's, 1 for a fault.

use std::io::ErrorKind as Io;
use std::path::PathBuf;

use axum::response::IntoResponse;
use kesou_dashboards::AppError;
use kesou_domain::Kind;

const PATH: &str = "/srv/kesou/store/secret-place/file.bin";

fn io(kind: Io) -> std::io::Error {
    std::io::Error::from(kind)
}

fn disk_full() -> std::io::Error {
    std::io::Error::from_raw_os_error(28)
}

fn duck() -> duckdb::Error {
    duckdb::Connection::open_in_memory()
        .unwrap()
        .execute_batch("this is not sql")
        .unwrap_err()
}

fn tantivy() -> tantivy::TantivyError {
    tantivy::TantivyError::InvalidArgument("bad".into())
}

/// A real DuckDB error of a full disk: a copy written to /dev/full.
fn duck_disk_full() -> duckdb::Error {
    let e = duckdb::Connection::open_in_memory()
        .unwrap()
        .execute_batch("COPY (SELECT 42 AS answer) TO '/dev/full' (FORMAT csv)")
        .unwrap_err();
    assert!(e.to_string().contains("No space left on device"), "{e}");
    e
}

/// DuckDB's words for a refused permission (the tests may run as root, who meets none).
fn duck_denied() -> duckdb::Error {
    duckdb::Error::DuckDBFailure(
        duckdb::ffi::Error::new(1),
        Some(format!(
            "IO Error: Cannot open file \"{PATH}\": Permission denied"
        )),
    )
}

/// tantivy failing to write a file on a full disk.
fn tantivy_disk_full() -> tantivy::TantivyError {
    tantivy::directory::error::OpenWriteError::wrap_io_error(disk_full(), PATH.into()).into()
}

fn tantivy_denied() -> tantivy::TantivyError {
    tantivy::TantivyError::IoError(std::sync::Arc::new(io(Io::PermissionDenied)))
}

fn arrow() -> arrow::error::ArrowError {
    arrow::error::ArrowError::ComputeError("bad".into())
}

fn indexer_io(kind: Io) -> kesou_indexer::Error {
    kesou_indexer::Error::Io {
        path: PATH.into(),
        source: io(kind),
    }
}

fn say(s: &str) -> String {
    s.to_owned()
}

/// The variant's name, by an exhaustive match: a new variant does not compile until it
/// is named here, and `every_variant_has_its_kind` fails until it has a row.
macro_rules! names {
    ($e:expr, $($p:pat => $n:literal),+ $(,)?) => {
        match $e { $($p => $n),+ }
    };
}

fn name_indexer(e: &kesou_indexer::Error) -> &'static str {
    use kesou_indexer::Error as E;
    names!(e, E::Io { .. } => "indexer::Io", E::BadInput(_) => "indexer::BadInput",
        E::Store(_) => "indexer::Store", E::Index(_) => "indexer::Index",
        E::Arrow(_) => "indexer::Arrow", E::IndexBusy => "indexer::IndexBusy")
}

fn name_query(e: &kesou_query::Error) -> &'static str {
    use kesou_query::Error as E;
    names!(e, E::BadRequest(_) => "query::BadRequest", E::NotUnderstood(_) => "query::NotUnderstood",
        E::NotFound(_) => "query::NotFound", E::Conflict(_) => "query::Conflict",
        E::Forbidden(_) => "query::Forbidden", E::Indexer(_) => "query::Indexer",
        E::Index(_) => "query::Index", E::Store(_) => "query::Store",
        E::Schema(_) => "query::Schema", E::Model(_) => "query::Model")
}

fn name_models(e: &kesou_models::Error) -> &'static str {
    use kesou_models::Error as E;
    names!(e, E::BadModel(_) => "models::BadModel", E::BadInput(_) => "models::BadInput",
        E::Io { .. } => "models::Io", E::ModelFile { .. } => "models::ModelFile",
        E::Tokenizer(_) => "models::Tokenizer", E::Candle(_) => "models::Candle",
        E::Store(_) => "models::Store", E::Indexer(_) => "models::Indexer",
        E::Arrow(_) => "models::Arrow")
}

fn name_access(e: &kesou_access::Error) -> &'static str {
    use kesou_access::Error as E;
    names!(e, E::BadInput(_) => "access::BadInput", E::Unauthorized(_) => "access::Unauthorized",
        E::Locked(_) => "access::Locked", E::Forbidden(_) => "access::Forbidden",
        E::RateLimited(_) => "access::RateLimited", E::Io { .. } => "access::Io")
}

fn name_backup(e: &kesou_backup::Error) -> &'static str {
    use kesou_backup::Error as E;
    names!(e, E::Io { .. } => "backup::Io", E::BadInput(_) => "backup::BadInput",
        E::Damaged(_) => "backup::Damaged", E::Store(_) => "backup::Store",
        E::Duck(_) => "backup::Duck", E::Index(_) => "backup::Index")
}

fn name_datagen(e: &kesou_datagen::Error) -> &'static str {
    use kesou_datagen::Error as E;
    names!(e, E::Config(_) => "datagen::Config", E::Io { .. } => "datagen::Io",
        E::Arrow { .. } => "datagen::Arrow", E::Parquet(_) => "datagen::Parquet")
}

fn name_watch(e: &kesou_watch::Error) -> &'static str {
    use kesou_watch::Error as E;
    names!(e, E::BadInput(_) => "watch::BadInput", E::NotFound(_) => "watch::NotFound",
        E::Forbidden(_) => "watch::Forbidden", E::Query(_) => "watch::Query",
        E::Indexer(_) => "watch::Indexer", E::Access(_) => "watch::Access",
        E::Store(_) => "watch::Store")
}

fn name_dashboards(e: &kesou_dashboards::Error) -> &'static str {
    use kesou_dashboards::Error as E;
    names!(e, E::Query(_) => "dashboards::Query", E::Io { .. } => "dashboards::Io",
        E::Bind(..) => "dashboards::Bind", E::Config(_) => "dashboards::Config")
}

fn name_nlq(e: &kesou_nlq::Error) -> &'static str {
    use kesou_nlq::Error as E;
    names!(e, E::Schema(_) => "nlq::Schema")
}

/// One row: the variant's name, its kind, its message, and what the server answers (for
/// the crates the server answers errors of).
struct Row {
    name: &'static str,
    kind: Kind,
    message: String,
    served: Option<AppError>,
}

fn row<E: std::error::Error>(
    name: &'static str,
    kind: Kind,
    e: E,
    served: impl FnOnce(E) -> Option<AppError>,
) -> Row {
    Row {
        name,
        kind,
        message: e.to_string(),
        served: served(e),
    }
}

/// An error the server never answers with.
fn none<E>(_: E) -> Option<AppError> {
    None
}

fn rows() -> Vec<(Row, Kind)> {
    use kesou_access::Error as A;
    use kesou_backup::Error as B;
    use kesou_dashboards::Error as D;
    use kesou_datagen::Error as G;
    use kesou_indexer::Error as I;
    use kesou_models::Error as M;
    use kesou_query::Error as Q;
    use kesou_watch::Error as W;
    let app = |e: I| Some(AppError::from(e));
    let q = |e: Q| Some(AppError::from(e));
    let a = |e: A| Some(AppError::from(e));
    let w = |e: W| Some(AppError::from(e));
    let mut out = Vec::new();
    let mut add = |r: Row, k: Kind| out.push((r, k));

    for (source, kind) in [
        (io(Io::NotFound), Kind::NotFound),
        (io(Io::PermissionDenied), Kind::System),
        (disk_full(), Kind::System),
        (io(Io::StorageFull), Kind::System),
        (io(Io::InvalidData), Kind::System),
    ] {
        let e = I::Io {
            path: PATH.into(),
            source,
        };
        add(row(name_indexer(&e), e.kind(), e, app), kind);
    }
    for (e, kind) in [
        (I::BadInput(say("row 17: bad")), Kind::BadRequest),
        (I::Store(duck()), Kind::Internal),
        (I::Store(duck_disk_full()), Kind::System),
        (I::Store(duck_denied()), Kind::System),
        (I::Index(tantivy()), Kind::Internal),
        (I::Index(tantivy_disk_full()), Kind::System),
        (I::Index(tantivy_denied()), Kind::System),
        (I::Arrow(arrow()), Kind::Internal),
        (I::IndexBusy, Kind::Conflict),
    ] {
        add(row(name_indexer(&e), e.kind(), e, app), kind);
    }

    for (e, kind) in [
        (Q::BadRequest(say("bad filter")), Kind::BadRequest),
        (
            Q::NotUnderstood(say("nothing understood")),
            Kind::BadQuestion,
        ),
        (Q::NotFound(say("no customer")), Kind::NotFound),
        (Q::Conflict(say("taken")), Kind::Conflict),
        (Q::Forbidden(say("not yours")), Kind::Forbidden),
        (Q::Indexer(indexer_io(Io::NotFound)), Kind::NotFound),
        (Q::Indexer(indexer_io(Io::PermissionDenied)), Kind::System),
        (Q::Indexer(I::IndexBusy), Kind::Conflict),
        (Q::Index(tantivy()), Kind::Internal),
        (Q::Index(tantivy_disk_full()), Kind::System),
        (Q::Store(duck()), Kind::Internal),
        (Q::Store(duck_disk_full()), Kind::System),
        (
            Q::Schema(kesou_nlq::Error::Schema(say("bad"))),
            Kind::Internal,
        ),
        (Q::Model(M::BadModel(say("no weights"))), Kind::BadRequest),
        (Q::Model(M::Tokenizer(say("bad"))), Kind::Internal),
    ] {
        add(row(name_query(&e), e.kind(), e, q), kind);
    }

    let e = kesou_nlq::Error::Schema(say("bad"));
    add(row(name_nlq(&e), e.kind(), e, none), Kind::Internal);

    for (e, kind) in [
        (M::BadModel(say("no weights")), Kind::BadRequest),
        (M::BadInput(say("no data")), Kind::BadRequest),
        (
            M::Io {
                path: PATH.into(),
                source: io(Io::NotFound),
            },
            Kind::NotFound,
        ),
        (
            M::Io {
                path: PATH.into(),
                source: disk_full(),
            },
            Kind::System,
        ),
        (
            M::ModelFile {
                path: PATH.into(),
                reason: say("truncated"),
            },
            Kind::BadRequest,
        ),
        (M::Tokenizer(say("bad")), Kind::Internal),
        (
            M::Candle(candle_core::Error::Msg(say("bad"))),
            Kind::Internal,
        ),
        (M::Store(duck()), Kind::Internal),
        (M::Store(duck_denied()), Kind::System),
        (M::Indexer(I::BadInput(say("bad"))), Kind::BadRequest),
        (M::Arrow(arrow()), Kind::Internal),
    ] {
        add(row(name_models(&e), e.kind(), e, none), kind);
    }

    for (e, kind) in [
        (A::BadInput(say("bad name")), Kind::BadRequest),
        (A::Unauthorized(say("wrong password")), Kind::Unauthorized),
        (A::Locked(say("locked for 5 more minutes")), Kind::Locked),
        (A::Forbidden(say("not allowed")), Kind::Forbidden),
        (A::RateLimited(say("slow down")), Kind::RateLimited),
        (
            A::Io {
                path: PATH.into(),
                source: io(Io::NotFound),
            },
            Kind::System,
        ),
    ] {
        add(row(name_access(&e), e.kind(), e, a), kind);
    }

    for (e, kind) in [
        (
            B::Io {
                path: PATH.into(),
                source: io(Io::NotFound),
            },
            Kind::NotFound,
        ),
        (
            B::Io {
                path: PATH.into(),
                source: disk_full(),
            },
            Kind::System,
        ),
        (B::BadInput(say("not empty; --force")), Kind::BadRequest),
        (B::Damaged(say("cut short")), Kind::BadRequest),
        (B::Store(I::IndexBusy), Kind::Conflict),
        (B::Duck(duck()), Kind::Internal),
        (B::Duck(duck_disk_full()), Kind::System),
        (B::Index(tantivy()), Kind::Internal),
        (B::Index(tantivy_denied()), Kind::System),
    ] {
        add(row(name_backup(&e), e.kind(), e, none), kind);
    }

    for (e, kind) in [
        (G::Config(say("bad format")), Kind::BadRequest),
        (
            G::Io {
                path: PATH.into(),
                source: disk_full(),
            },
            Kind::System,
        ),
        (
            G::Io {
                path: PATH.into(),
                source: io(Io::NotFound),
            },
            Kind::NotFound,
        ),
        (
            G::Arrow {
                table: "customers",
                source: arrow(),
            },
            Kind::Internal,
        ),
        (G::Parquet(duck()), Kind::Internal),
        (G::Parquet(duck_disk_full()), Kind::System),
    ] {
        add(row(name_datagen(&e), e.kind(), e, none), kind);
    }

    for (e, kind) in [
        (W::BadInput(say("not understood whole")), Kind::BadRequest),
        (W::NotFound(say("no watch 7")), Kind::NotFound),
        (W::Forbidden(say("not yours")), Kind::Forbidden),
        (W::Query(Q::NotUnderstood(say("?"))), Kind::BadQuestion),
        (W::Indexer(indexer_io(Io::NotFound)), Kind::NotFound),
        (W::Access(A::Locked(say("locked"))), Kind::Locked),
        (W::Store(duck()), Kind::Internal),
        (W::Store(duck_denied()), Kind::System),
    ] {
        add(row(name_watch(&e), e.kind(), e, w), kind);
    }

    for (e, kind) in [
        (D::Query(Q::Forbidden(say("no"))), Kind::Forbidden),
        (
            D::Io {
                path: PATH.into(),
                source: io(Io::NotFound),
            },
            Kind::System,
        ),
        (
            D::Bind("127.0.0.1:8080".parse().unwrap(), io(Io::AddrInUse)),
            Kind::BadRequest,
        ),
        (D::Config(say("bad setting")), Kind::BadRequest),
    ] {
        add(row(name_dashboards(&e), e.kind(), e, none), kind);
    }
    out
}

/// Every variant the exhaustive matches above name.
const VARIANTS: &[&str] = &[
    "indexer::Io",
    "indexer::BadInput",
    "indexer::Store",
    "indexer::Index",
    "indexer::Arrow",
    "indexer::IndexBusy",
    "query::BadRequest",
    "query::NotUnderstood",
    "query::NotFound",
    "query::Conflict",
    "query::Forbidden",
    "query::Indexer",
    "query::Index",
    "query::Store",
    "query::Schema",
    "query::Model",
    "nlq::Schema",
    "models::BadModel",
    "models::BadInput",
    "models::Io",
    "models::ModelFile",
    "models::Tokenizer",
    "models::Candle",
    "models::Store",
    "models::Indexer",
    "models::Arrow",
    "access::BadInput",
    "access::Unauthorized",
    "access::Locked",
    "access::Forbidden",
    "access::RateLimited",
    "access::Io",
    "backup::Io",
    "backup::BadInput",
    "backup::Damaged",
    "backup::Store",
    "backup::Duck",
    "backup::Index",
    "datagen::Config",
    "datagen::Io",
    "datagen::Arrow",
    "datagen::Parquet",
    "watch::BadInput",
    "watch::NotFound",
    "watch::Forbidden",
    "watch::Query",
    "watch::Indexer",
    "watch::Access",
    "watch::Store",
    "dashboards::Query",
    "dashboards::Io",
    "dashboards::Bind",
    "dashboards::Config",
];

#[test]
fn every_variant_has_its_kind_status_code_and_exit_code() {
    let rows = rows();
    for name in VARIANTS {
        assert!(
            rows.iter().any(|(r, _)| r.name == *name),
            "{name} has no row"
        );
    }
    for (r, expected) in rows {
        assert_eq!(r.kind, expected, "{}: {}", r.name, r.message);
        let (status, code, exit) = expected.row();
        assert_eq!(exit, if expected.is_user() { 2 } else { 1 }, "{}", r.name);
        let Some(served) = r.served else { continue };
        let caused_by_io = r.message.contains(PATH);
        let answered = served.code;
        let response = served.into_response();
        if expected.is_user() && !caused_by_io {
            assert_eq!(answered, expected, "{}", r.name);
            assert_eq!(response.status().as_u16(), status, "{}", r.name);
            assert_eq!(answered.as_str(), code, "{}", r.name);
        } else {
            // a fault, or the server's own file: 500, and nothing of the detail
            assert_eq!(response.status().as_u16(), 500, "{}", r.name);
            assert_eq!(answered.as_str(), "internal", "{}", r.name);
        }
    }
}

#[test]
fn an_indexer_io_error_through_the_server_is_a_500_without_the_path() {
    for kind in [Io::NotFound, Io::PermissionDenied, Io::StorageFull] {
        let e = kesou_query::Error::Indexer(indexer_io(kind));
        let answered = AppError::from(e);
        assert!(
            !answered.message.contains("secret-place"),
            "{}",
            answered.message
        );
        assert_eq!(
            answered.message,
            "internal error; the server log has the details"
        );
        assert_eq!(answered.into_response().status().as_u16(), 500);
    }
    // the same missing file on the command line is the user's to fix
    let missing = PathBuf::from(PATH);
    let e = kesou_indexer::ingest(
        &kesou_indexer::StorePaths::new(tempfile::tempdir().unwrap().path().join("s")),
        &[missing],
        &kesou_indexer::NoProgress,
    )
    .unwrap_err();
    assert_eq!(e.kind(), Kind::NotFound, "{e}");
    assert_eq!(e.kind().exit_code(), 2);
}

#[test]
fn the_command_line_exits_2_for_the_users_mistakes_and_1_for_faults() {
    const KESOU: &str = env!("CARGO_BIN_EXE_kesou");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = std::process::Command::new(KESOU)
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let store = dir.path().join("nothing-here");
    let store = store.to_str().unwrap();
    // a store that is not there, said by the command line itself (was exit 1)
    let (code, err) = run(&["share", "--data", store, "map"], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is not a kesou store"), "{err}");
    // an input file that is not there
    let (code, err) = run(
        &["ingest", "--data", store, &format!("{store}/customers.csv")],
        &[],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("No such file"), "{err}");
}
