//! What the handlers share: the store (the one read-write handle of this process), the
//! current [`Engine`] (replaced after each write), the embed-token signer. DuckDB and
//! tantivy block, so every use of the engine runs on the blocking pool through
//! [`AppState::blocking`], every write through [`AppState::write`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use kesou_access::{AuditLog, Event, Gate};
use kesou_indexer::{Store, StorePaths};
use kesou_query::ask::Asker;
use kesou_query::suggest::Suggester;

use crate::embed::Signer;
use crate::error::{ApiResult, AppError};

/// How the server is started (`kesou serve` flags).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The store folder, with the key it is opened with.
    pub data: StorePaths,
    /// The store holds demo data (`--demo`): without users, anyone may use it (as an
    /// administrator). Without it, the server refuses to start until an administrator exists.
    pub demo: bool,
    /// The key embed tokens are signed with; `None` reads or creates the store's key file.
    pub embed_key: Option<Vec<u8>>,
    /// The address pages and embed links are served from, for the URLs the API hands out.
    pub public_url: String,
    /// How long a failed watch delivery waits before its first retry; `None`: the default.
    pub watch_first_retry: Option<std::time::Duration>,
}

/// The shared state of the server. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    demo: bool,
    public_url: String,
    watch_first_retry: Option<std::time::Duration>,
    /// Asks the list watches after each write, keeping its question reader between writes.
    watches: kesou_watch::Evaluator,
    signer: Signer,
    gate: Gate,
    audit: AuditLog,
    engine: RwLock<Arc<Engine>>,
    imports: crate::api::imports::Imports,
    started: Instant,
    /// An embedding running beside the server (`kesou demo`), for the web app's indicator.
    semantic: std::sync::OnceLock<Arc<kesou_query::semantic::Background>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.paths().root)
            .field("demo", &self.inner.demo)
            .finish_non_exhaustive()
    }
}

/// A store opened for answering: a pool of askers (each its own DuckDB connection on the one
/// database, sharing the parser, the index and the lookalike vectors).
pub struct Engine {
    template: Mutex<Asker>,
    idle: Mutex<Vec<Asker>>,
    /// Rebuilt in the background after a write (seconds at 1M customers); until then the
    /// previous one answers.
    suggester: RwLock<Arc<Suggester>>,
    /// Board answers of this engine's store, by board and fixed filters: a board is a pure
    /// function of the store, so it is computed once per write (saving or deleting a report
    /// clears it).
    boards: Mutex<HashMap<String, Arc<serde_json::Value>>>,
}

/// How often a running server sends due deliveries and runs due figure watches.
pub const WATCH_TICK: std::time::Duration = std::time::Duration::from_secs(15);

/// Board answers kept per engine; when full, the cache starts over.
const BOARD_CACHE: usize = 512;

/// Askers kept for reuse; more are made on demand and dropped when the pool is full.
const POOL_SIZE: usize = 16;

impl Engine {
    /// An engine over an opened asker; reads what suggestions need (about a second at 1M
    /// customers).
    pub fn new(asker: Asker) -> kesou_query::Result<Engine> {
        let suggester = Arc::new(Suggester::new(&asker)?);
        Ok(Engine::with_suggester(asker, suggester))
    }

    fn with_suggester(asker: Asker, suggester: Arc<Suggester>) -> Engine {
        Engine {
            template: Mutex::new(asker),
            idle: Mutex::new(Vec::new()),
            suggester: RwLock::new(suggester),
            boards: Mutex::new(HashMap::new()),
        }
    }

    /// An asker for this thread: from the pool, or a new connection.
    fn take(&self) -> ApiResult<Asker> {
        if let Some(a) = self.idle.lock().expect("pool lock").pop() {
            return Ok(a);
        }
        Ok(self.template.lock().expect("template lock").try_clone()?)
    }

    fn give_back(&self, asker: Asker) {
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < POOL_SIZE {
            idle.push(asker);
        }
    }
}

impl AppState {
    /// Opens the store (the index catches up first when it is behind) and the signing key.
    pub fn open(config: &ServerConfig) -> Result<AppState, crate::Error> {
        let paths = config.data.clone();
        // Before anything is written beside it (access/, audit/): a server that cannot
        // start leaves the folder as it was, for `kesou demo` to fill.
        if !paths.db().exists() {
            return Err(crate::Error::Config(format!(
                "{} is not a kesou store: create one with `kesou demo --data {}` (demo data) \
                 or `kesou ingest --data {} FILES`",
                paths.root.display(),
                paths.root.display(),
                paths.root.display()
            )));
        }
        let gate = Gate::open(&paths.root).map_err(|e| crate::Error::Config(e.to_string()))?;
        if !config.demo
            && !gate
                .has_admin()
                .map_err(|e| crate::Error::Config(e.to_string()))?
        {
            return Err(crate::Error::Config(format!(
                "{} has no administrator: add one with `kesou user add --data {} NAME --role 管理员`, \
                 or start with --demo if the store holds demo data",
                paths.root.display(),
                paths.root.display()
            )));
        }
        crate::api::imports::Imports::clear_leftovers(&paths.root);
        let audit = AuditLog::open(&paths.root).map_err(|e| crate::Error::Config(e.to_string()))?;
        // For writing: the server applies change batches and saves reports in the store it
        // serves; DuckDB lets one process at a time hold it so.
        let store = Store::open(&paths).map_err(kesou_query::Error::from)?;
        let asker = Asker::on_store(&store)?;
        let signer = match &config.embed_key {
            Some(key) => Signer::new(key.clone()),
            None => Signer::from_store(&paths)?,
        };
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                demo: config.demo,
                public_url: config.public_url.trim_end_matches('/').to_string(),
                watch_first_retry: config.watch_first_retry,
                watches: kesou_watch::Evaluator::default(),
                signer,
                gate,
                audit,
                engine: RwLock::new(Arc::new(Engine::new(asker)?)),
                imports: crate::api::imports::Imports::default(),
                started: Instant::now(),
                semantic: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The imports of the web app's 「导入数据」 page.
    pub fn imports(&self) -> &crate::api::imports::Imports {
        &self.inner.imports
    }

    /// Reports, from now on, how far an embedding running beside the server has got.
    pub fn watch_semantic(&self, background: Arc<kesou_query::semantic::Background>) {
        let _ = self.inner.semantic.set(background);
    }

    /// The embedding running beside the server, if any.
    pub fn semantic_background(&self) -> Option<&Arc<kesou_query::semantic::Background>> {
        self.inner.semantic.get()
    }

    pub fn paths(&self) -> &StorePaths {
        self.inner.store.paths()
    }

    pub fn demo(&self) -> bool {
        self.inner.demo
    }

    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    pub fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    pub fn gate(&self) -> &Gate {
        &self.inner.gate
    }

    /// Whether requests without a session are let in: a demo server without users.
    pub fn open_demo(&self) -> ApiResult<bool> {
        Ok(self.inner.demo && !self.inner.gate.has_users()?)
    }

    /// Appends to the audit log; a request whose entry cannot be written fails.
    pub fn audit(&self, event: Event) -> ApiResult<()> {
        self.inner.audit.record(event)?;
        Ok(())
    }

    pub fn uptime_secs(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }

    fn engine(&self) -> Arc<Engine> {
        Arc::clone(&self.inner.engine.read().expect("engine lock"))
    }

    /// A board's answer from the current engine's cache, or computed (on the blocking pool)
    /// and kept.
    pub async fn board<F>(&self, key: String, compute: F) -> ApiResult<Arc<serde_json::Value>>
    where
        F: FnOnce(&Asker) -> ApiResult<serde_json::Value> + Send + 'static,
    {
        let engine = self.engine();
        if let Some(hit) = engine.boards.lock().expect("board cache").get(&key) {
            return Ok(Arc::clone(hit));
        }
        let value = Arc::new(self.blocking(compute).await?);
        let mut cache = engine.boards.lock().expect("board cache");
        if cache.len() >= BOARD_CACHE {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&value));
        Ok(value)
    }

    /// Forgets the cached board answers (a report was saved or deleted).
    pub fn forget_boards(&self) {
        self.engine().boards.lock().expect("board cache").clear();
    }

    /// The suggester of the current engine (answers in microseconds: no blocking pool).
    pub fn suggester(&self) -> Arc<Suggester> {
        Arc::clone(&self.engine().suggester.read().expect("suggester lock"))
    }

    /// Runs a write to the store on the blocking pool (writes are serialised by the store),
    /// then swaps in an engine over the store as written, so the next request sees it. The
    /// suggestions and the lookalike vectors, slower to rebuild, catch up in the background.
    pub async fn write<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
    {
        let state = self.clone();
        let out = tokio::task::spawn_blocking(move || -> ApiResult<T> {
            let out = work(&state.inner.store)?;
            // The same parser over the written store: milliseconds. The parser's dictionaries
            // (values new to the store) follow in the background.
            let renewed = {
                let old = state.engine();
                let template = old.template.lock().expect("template lock");
                template.renewed(state.inner.store.reader()?)?
            };
            let engine = Engine::with_suggester(renewed, state.suggester());
            *state.inner.engine.write().expect("engine lock") = Arc::new(engine);
            Ok(out)
        })
        .await
        .map_err(AppError::from)??;
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.catch_up());
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.watch_after_write());
        Ok(out)
    }

    /// The watch settings of this server: links into it.
    pub fn watch_settings(&self) -> kesou_watch::Settings {
        let mut settings = kesou_watch::Settings::with_url(&self.inner.public_url);
        if let Some(first) = self.inner.watch_first_retry {
            settings.first_retry = first;
        }
        settings
    }

    /// After a write: the store's watches are asked from the change and what fired is sent
    /// (off the request: the write's answer does not wait for receivers).
    fn watch_after_write(&self) {
        let store = &self.inner.store;
        let settings = self.watch_settings();
        let result = self.inner.watches.evaluate(store, &settings).and_then(|_| {
            kesou_watch::deliver_due(&store.reader()?.conn, &store.paths().root, &settings)
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "watches after a write failed");
        }
    }

    /// While the server runs: every [`WATCH_TICK`], figure watches that are due run and
    /// deliveries that are due (retries, those queued before a restart) are sent. The first
    /// tick also asks the list watches about writes made while no one was watching.
    pub async fn watch_loop(self) {
        let mut first = true;
        loop {
            let state = self.clone();
            let catch_up = std::mem::take(&mut first);
            let _ = tokio::task::spawn_blocking(move || {
                let store = &state.inner.store;
                let settings = state.watch_settings();
                let result = (|| -> kesou_watch::Result<()> {
                    if catch_up {
                        state.inner.watches.evaluate(store, &settings)?;
                    }
                    kesou_watch::run_scheduled(store, &settings, false)?;
                    kesou_watch::deliver_due(
                        &store.reader()?.conn,
                        &store.paths().root,
                        &settings,
                    )?;
                    Ok(())
                })();
                if let Err(e) = result {
                    tracing::warn!(error = %e, "watch tick failed");
                }
            })
            .await;
            tokio::time::sleep(WATCH_TICK).await;
        }
    }

    /// After a write: an engine with the parser's dictionaries read again from the store,
    /// the suggestions rebuilt and the lookalike vectors rebuilt when the write made them
    /// stale (seconds at 1M customers), swapped in when ready. A newer write in the meantime
    /// wins: its own catch-up follows.
    fn catch_up(&self) {
        let generation = self.inner.store.generation().ok();
        let built = (|| -> ApiResult<Engine> {
            // The semantic model and vectors the current engine loaded serve the new one.
            let previous = (self.engine().template.lock().expect("template lock"))
                .semantic()
                .cloned();
            let asker = Asker::on_store_after(&self.inner.store, previous.as_deref())?;
            asker.lookalike()?;
            let suggester = Arc::new(Suggester::new(&asker)?);
            Ok(Engine::with_suggester(asker, suggester))
        })();
        match built {
            Ok(engine) => {
                // Checked under the lock a write swaps its engine under: a write that
                // committed since is either seen here (and this engine dropped) or swaps its
                // own engine after this one.
                let mut current = self.inner.engine.write().expect("engine lock");
                if self.inner.store.generation().ok() == generation {
                    *current = Arc::new(engine);
                }
            }
            Err(e) => {
                tracing::warn!(code = e.code.as_str(), message = %e.message, "catch-up after a write failed")
            }
        }
    }

    /// Runs blocking work with the store itself (a backup's snapshot), on the blocking pool.
    pub async fn with_store<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || work(&state.inner.store))
            .await
            .map_err(AppError::from)?
    }

    /// Runs blocking work (DuckDB, tantivy) with an asker, on the blocking pool.
    pub async fn blocking<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Asker) -> ApiResult<T> + Send + 'static,
    {
        let engine = self.engine();
        tokio::task::spawn_blocking(move || {
            let asker = engine.take()?;
            let out = work(&asker);
            engine.give_back(asker);
            out
        })
        .await
        .map_err(AppError::from)?
    }
}
