//! kesou's HTTP server: the JSON API (questions, search, customer profiles, lookalikes,
//! dashboards, reports, suggestions, ingest), the web app and its dashboards as embedded
//! static files, and chrome-less embeds opened with signed, expiring tokens.
//!
//! [`app`] builds the router over an [`AppState`] (what the tests drive with `oneshot`);
//! [`serve`] binds it. The server never builds SQL: answers come from `kesou-query`, and
//! every DuckDB or tantivy call runs on the blocking pool.

mod api;
mod assets;
pub mod auth;
mod embed;
mod error;
mod language;
mod origin;
mod reasons;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post, put};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use embed::{Grant, Signer, TokenError, parse_ttl};
pub use error::{AppError, Code};
pub use state::{AppState, Engine, ServerConfig};

/// What can stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Query(#[from] kesou_query::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("{0}")]
    Config(String),
}

impl Error {
    pub fn is_user_error(&self) -> bool {
        self.kind().is_user()
    }

    /// Whose fault it is: an address in use or a bad setting is the user's to change.
    pub fn kind(&self) -> kesou_domain::Kind {
        use kesou_domain::Kind;
        match self {
            Error::Query(e) => e.kind(),
            Error::Bind(..) | Error::Config(_) => Kind::BadRequest,
            // the server's own files (its key), never named by the user
            Error::Io { .. } => Kind::System,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Largest request body outside ingest.
const BODY_LIMIT: usize = 256 * 1024;
/// Longest a request may take before the client gets a timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The app's pages may not be framed by other sites; embeds may.
const APP_CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
pub(crate) const EMBED_CSP: &str =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'";

/// The router: API, pages, embeds.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(api::meta::health))
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/backup", get(api::backup::backup))
        .route("/openapi.json", get(api::meta::openapi))
        .route("/ask", post(api::ask::ask))
        .route("/export", post(api::ask::export))
        .route("/search", post(api::search::search))
        .route("/customers/{id}", get(api::customers::profile))
        .route("/customers/{id}/similar", get(api::customers::similar))
        .route("/suggest", get(api::suggest::suggest))
        .route("/fields", get(api::meta::fields))
        .route("/overview", get(api::overview::overview))
        .route("/dashboards", get(api::boards::list))
        .route("/dashboards/{name}", get(api::boards::show))
        .route("/reports", post(api::boards::save))
        .route("/reports/preview", post(api::boards::preview))
        .route(
            "/reports/{name}",
            get(api::boards::report).delete(api::boards::delete),
        )
        .route("/embed/{name}", get(api::boards::embedded))
        .route("/combos", get(api::combos::list).post(api::combos::save))
        .route(
            "/combos/{name}",
            get(api::combos::open).delete(api::combos::delete),
        )
        .route(
            "/ingest",
            post(api::ingest::ingest).layer(DefaultBodyLimit::max(api::ingest::MAX_BODY + 1)),
        )
        .route("/embed-tokens", post(api::embed::create_token))
        .route("/imports", post(api::imports::open))
        .route(
            "/imports/{id}",
            get(api::imports::status).delete(api::imports::discard),
        )
        .route(
            "/imports/{id}/files/{name}",
            put(api::imports::put_file).layer(DefaultBodyLimit::disable()),
        )
        .route("/imports/{id}/plan", post(api::imports::plan))
        .route("/imports/{id}/load", post(api::imports::load))
        .route("/imports/{id}/rejects", get(api::imports::rejects))
        .route("/watches", get(api::watches::list).post(api::watches::add))
        .route("/watches/{id}", axum::routing::delete(api::watches::remove))
        .route("/watches/{id}/send", post(api::watches::send))
        .route("/watch-targets", get(api::watches::targets))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::same_origin_writes,
        ))
        .layer(axum::middleware::from_fn(language::localise));
    let index = get(assets::index).layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(APP_CSP),
    ));
    Router::new()
        .nest("/api", api)
        .route("/", index)
        .route("/assets/{*path}", get(assets::asset))
        .route("/embed/{name}", get(api::embed::page))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn api_not_found() -> AppError {
    AppError::not_found("no such endpoint; GET /api/openapi.json lists them")
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        Code::BadRequest,
        "this endpoint does not take that method; GET /api/openapi.json lists them",
    )
}

/// Serves `app` on `addr` until Ctrl-C; `ready` is called with the bound address.
/// The store's server file while this server runs (see [`kesou_indexer::served`]); removed
/// when dropped.
struct Announced(kesou_indexer::StorePaths);

impl Drop for Announced {
    fn drop(&mut self) {
        kesou_indexer::served::Served::withdraw(&self.0);
    }
}

fn announce(state: &AppState, bound: SocketAddr) -> Result<Announced> {
    let local = if bound.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], bound.port()))
    } else {
        bound
    };
    let token = state
        .gate()
        .local_session()
        .map_err(|e| Error::Config(e.to_string()))?;
    let url = format!("http://{local}");
    // A public address made from --bind before the port was chosen (port 0) is this one.
    let public_url = match state.public_url() {
        p if p.ends_with(":0") => url.clone(),
        p => p.to_owned(),
    };
    let served = kesou_indexer::served::Served {
        url,
        public_url,
        pid: std::process::id(),
        token,
    };
    served
        .announce(state.paths())
        .map_err(kesou_query::Error::from)?;
    Ok(Announced(state.paths().clone()))
}

pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Bind(addr, e))?;
    let bound = listener.local_addr().map_err(|e| Error::Bind(addr, e))?;
    let _announced = announce(&state, bound)?;
    tokio::spawn(state.clone().watch_loop());
    ready(bound);
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Error::Bind(bound, e))
}
