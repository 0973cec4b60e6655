//! [`Asker`]: questions in, answers out, for one store (or any table with a schema
//! description). It owns the question parser (built once: the lexicon of the schema), a
//! connection and the index searcher, and the date relative times are read against.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use duckdb::Connection;
use kesou_indexer::{Progress, Reader, Store, StorePaths};
use kesou_nlq::{Parser, Piece, Query, Schema};

use super::answer::Answer;
use super::execute::{AskOptions, execute};
use super::keys::KeyIndex;
use super::store_schema::customer_schema;
use super::vocabulary::Vocabulary;
use crate::lookalike::Lookalike;
use crate::semantic::Semantic;
use crate::{Error, Result, Searcher};

/// Longest question we read; longer input is a paste accident or an attack.
pub const MAX_QUESTION_CHARS: usize = 500;

/// Answers questions about one table. Synchronous (DuckDB and tantivy block): call it from
/// `spawn_blocking` in async code, with one [`Asker::try_clone`] per thread.
pub struct Asker {
    parser: Arc<Parser>,
    conn: Connection,
    searcher: Option<Arc<Searcher>>,
    as_of: NaiveDate,
    stale: bool,
    lookalike: Option<Arc<LookalikeSlot>>,
    /// Rowids by key, read at the first lookup by key (shared by clones).
    keys: Arc<Mutex<Option<Arc<KeyIndex>>>>,
    /// The store's own fields the parser was made with ([`fields_key`]); `None` for an
    /// asker over a table of its own schema.
    fields: Option<Arc<str>>,
    /// The index's words, caught up from reader to reader by [`Asker::renewed`].
    vocabulary: Arc<Mutex<Vocabulary>>,
}

/// The store's custom fields with their kinds, in one string: a write that adds or retypes
/// one changes it.
fn fields_key(conn: &Connection) -> Result<Arc<str>> {
    let kept: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'custom_fields'",
        [],
        |r| r.get(0),
    )?;
    if kept == 0 {
        return Ok("".into());
    }
    let fields = kesou_indexer::store::view_fields(conn)?;
    Ok(fields
        .iter()
        .map(|f| format!("{}:{}", f.column, f.kind))
        .collect::<Vec<_>>()
        .join(",")
        .into())
}

/// A store's lookalike vectors, loaded (or rebuilt) at the first question that needs them.
struct LookalikeSlot {
    paths: StorePaths,
    loaded: Mutex<Option<Arc<Lookalike>>>,
}

impl std::fmt::Debug for Asker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Asker")
            .field("table", &self.schema().table)
            .field("as_of", &self.as_of)
            .field("index", &self.searcher.is_some())
            .finish_non_exhaustive()
    }
}

impl Asker {
    /// Opens a kesou store for questions about its customers: the index catches up first,
    /// the schema's dictionaries are filled from the store, times are relative to its
    /// `meta.as_of` (today when it has none).
    /// Text terms are matched by words and meaning when the store has a model
    /// ([`crate::semantic`]).
    pub fn open(paths: &StorePaths, progress: &dyn Progress) -> Result<Asker> {
        let reader = kesou_indexer::open_for_reading(paths, progress)?;
        let semantic = Semantic::open(paths, &reader.conn)?.map(Arc::new);
        let mut asker = Asker::with_semantic(reader, semantic)?;
        asker.lookalike = Some(Arc::new(LookalikeSlot {
            paths: paths.clone(),
            loaded: Mutex::new(None),
        }));
        Ok(asker)
    }

    /// Questions about the customers of a store a process holds open ([`Store`]): a reader
    /// of the store as committed now. Its connection may write (a server saves reports in
    /// the store, [`crate::boards::save_report`]); make another asker after a write to the
    /// store to see it.
    pub fn on_store(store: &Store) -> Result<Asker> {
        Asker::on_store_after(store, None)
    }

    /// [`Asker::on_store`] after a write, for a process that holds `previous` (the semantic
    /// retrieval of an earlier asker of the same store): the model and vectors it loaded
    /// are used again ([`Semantic::renewed`]) rather than loaded at the next text query.
    pub fn on_store_after(store: &Store, previous: Option<&Semantic>) -> Result<Asker> {
        let reader = store.reader()?;
        let semantic = match previous {
            Some(s) => s.renewed(&reader.conn)?,
            None => Semantic::open(store.paths(), &reader.conn)?,
        };
        let mut asker = Asker::with_semantic(reader, semantic.map(Arc::new))?;
        asker.lookalike = Some(Arc::new(LookalikeSlot {
            paths: store.paths().clone(),
            loaded: Mutex::new(None),
        }));
        Ok(asker)
    }

    /// This asker over a newer reader of the same store (after a write): the new rows and
    /// index, the same parser with the index's words read again (new trade names are text a
    /// question may name). Cheap (milliseconds, where [`Asker::on_store`] reads every
    /// field's values: 0.4 s at 1M customers); values new to the store are understood in
    /// questions once an asker is made with `on_store` again.
    ///
    /// A write that brought fields of the store's own (an import with 客户来源) makes the
    /// parser again at once, as `on_store` does: a question may name them right away.
    pub fn renewed(&self, reader: Reader) -> Result<Asker> {
        let (as_of, _) = kesou_indexer::store::as_of(&reader.conn)?;
        // New trade names and words of the store's text are words a question may name:
        // the words of the segments the write added and removed are counted again.
        let mut vocabulary = self.vocabulary.lock().unwrap_or_else(|p| p.into_inner());
        vocabulary.catch_up(&reader.index)?;
        let terms = vocabulary.terms();
        let fields = match &self.fields {
            Some(_) => Some(fields_key(&reader.conn)?),
            None => None,
        };
        let parser = if fields != self.fields {
            // New fields of the store's own: the whole description again (rollups included).
            let mut schema = customer_schema(&reader.conn)?;
            schema.add_terms(terms.iter().cloned());
            Arc::new(Parser::new(schema)?)
        } else {
            // The rollups are read only while they describe the store: a write that built
            // them (the first to a store made before them) makes them usable, and the
            // description follows (a new parser, once).
            let fresh = kesou_indexer::rollup::fresh(&reader.conn)?;
            let wanted = super::store_schema::rollups_for(self.schema(), fresh)?;
            let declared = self.schema().related.iter().map(|r| r.rollup.clone());
            if declared.eq(wanted) {
                if self.schema().terms == terms {
                    // Most writes (amounts, dates, a stage) bring no word: the same parser.
                    Arc::clone(&self.parser)
                } else {
                    Arc::new(self.parser.with_terms(terms.to_vec()))
                }
            } else {
                let mut schema = self.schema().clone();
                super::store_schema::set_rollups(&mut schema, fresh)?;
                Arc::new(Parser::new(schema)?.with_terms(terms.to_vec()))
            }
        };
        drop(vocabulary);
        // The store generation moved: the vectors' staleness is told against the new one,
        // with the model and vectors already loaded.
        let semantic = match self.semantic() {
            Some(s) => s.renewed(&reader.conn)?,
            None => None,
        };
        Ok(Asker {
            fields,
            vocabulary: Arc::clone(&self.vocabulary),
            parser,
            searcher: Some(Arc::new(
                Searcher::new(reader.index)?.with_semantic(semantic.map(Arc::new)),
            )),
            conn: reader.conn,
            as_of,
            stale: reader.stale,
            lookalike: self.lookalike.as_ref().map(|slot| {
                Arc::new(LookalikeSlot {
                    paths: slot.paths.clone(),
                    loaded: Mutex::new(None),
                })
            }),
            // Rows moved: the key index is read again at its first use.
            keys: Arc::new(Mutex::new(None)),
        })
    }

    /// [`Asker::renewed`] in place of `previous`, on its connection: the statements it
    /// prepared stay prepared (a process asking the same statements after every write,
    /// such as the watches' evaluator, plans them once). The connection sees every write
    /// committed since, as any connection outside a transaction does.
    pub fn renewed_from(previous: Asker, reader: Reader) -> Result<Asker> {
        let mut next = previous.renewed(reader)?;
        next.conn = previous.conn;
        Ok(next)
    }

    /// The store's semantic retrieval, when it has a model.
    pub fn semantic(&self) -> Option<&Arc<Semantic>> {
        self.searcher.as_ref().and_then(|s| s.semantic())
    }

    /// Questions about the customers of a store opened for reading.
    pub fn from_reader(reader: Reader) -> Result<Asker> {
        Asker::with_semantic(reader, None)
    }

    /// [`Asker::from_reader`], matching text terms by meaning too with `semantic`.
    pub fn with_semantic(reader: Reader, semantic: Option<Arc<Semantic>>) -> Result<Asker> {
        let mut schema = customer_schema(&reader.conn)?;
        let mut vocabulary = Vocabulary::default();
        vocabulary.catch_up(&reader.index)?;
        schema.add_terms(vocabulary.terms().iter().cloned());
        let (as_of, _) = kesou_indexer::store::as_of(&reader.conn)?;
        let searcher = Searcher::new(reader.index)?.with_semantic(semantic);
        let fields = Some(fields_key(&reader.conn)?);
        let mut asker = Asker::new(reader.conn, schema, Some(searcher), as_of)?;
        asker.stale = reader.stale;
        asker.fields = fields;
        asker.vocabulary = Arc::new(Mutex::new(vocabulary));
        Ok(asker)
    }

    /// Questions about any table a schema describes, on `conn`. Text terms go through
    /// `searcher` when given (it must index that table by its key), else through `ILIKE` on
    /// the schema's text fields.
    pub fn new(
        conn: Connection,
        schema: Schema,
        searcher: Option<Searcher>,
        as_of: NaiveDate,
    ) -> Result<Asker> {
        Ok(Asker {
            parser: Arc::new(Parser::new(schema)?),
            conn,
            searcher: searcher.map(Arc::new),
            as_of,
            stale: false,
            lookalike: None,
            keys: Arc::default(),
            fields: None,
            vocabulary: Arc::default(),
        })
    }

    /// How the store holds its contacts: answers and profiles decrypt with it (plain for a
    /// table without an index).
    pub fn vault(&self) -> kesou_indexer::crypt::Vault {
        self.searcher
            .as_ref()
            .map(|s| s.vault().clone())
            .unwrap_or_default()
    }

    /// Another asker on the same database, sharing the parser and the index (cheap).
    pub fn try_clone(&self) -> Result<Asker> {
        Ok(Asker {
            parser: Arc::clone(&self.parser),
            conn: self.conn.try_clone()?,
            searcher: self.searcher.clone(),
            as_of: self.as_of,
            stale: self.stale,
            lookalike: self.lookalike.clone(),
            keys: Arc::clone(&self.keys),
            fields: self.fields.clone(),
            vocabulary: Arc::clone(&self.vocabulary),
        })
    }

    pub fn schema(&self) -> &Schema {
        self.parser.schema()
    }

    /// The day relative times (近30天, 去年) are counted from.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Whether the index could not catch up with the store (an ingest holds it): text
    /// matches come from the last committed index.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// How many customers the store holds, and its generation (for a health check).
    pub fn holds(&self) -> Result<(u64, u64)> {
        let customers: i64 = self
            .conn
            .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
        let generation = kesou_indexer::store::generation(&self.conn)?;
        Ok((customers as u64, generation))
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The index searcher, when the table has an index.
    pub fn searcher(&self) -> Option<&Searcher> {
        self.searcher.as_deref()
    }

    /// The store's lookalike vectors, loaded at the first call (rebuilt when stale).
    pub fn lookalike(&self) -> Result<Arc<Lookalike>> {
        let slot = self.lookalike.as_ref().ok_or_else(|| {
            Error::BadRequest(format!(
                "{} has no lookalike vectors: they exist for kesou stores (Asker::open)",
                self.schema().table
            ))
        })?;
        let mut loaded = slot.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = loaded.as_ref() {
            return Ok(Arc::clone(l));
        }
        let l = Arc::new(Lookalike::open(
            &slot.paths,
            &self.conn,
            &kesou_indexer::NoProgress,
        )?);
        *loaded = Some(Arc::clone(&l));
        Ok(l)
    }

    /// The DuckDB rowid of the row with this key, from an in-memory index read at the first
    /// call and again whenever the store's generation has changed (see `keys.rs`).
    pub(crate) fn rowid(&self, key: &str) -> Result<Option<i64>> {
        // A table without kesou's meta (Asker::new) never changes generation.
        let generation = kesou_indexer::store::generation(&self.conn).unwrap_or(0);
        let mut slot = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let index = match slot.as_ref() {
            Some(k) if k.generation == generation => Arc::clone(k),
            _ => {
                let k = Arc::new(KeyIndex::load(&self.conn, self.schema(), generation)?);
                *slot = Some(Arc::clone(&k));
                k
            }
        };
        drop(slot);
        Ok(index.rowid(key))
    }

    /// The question parser (shared by every clone).
    pub(crate) fn parser(&self) -> &Arc<Parser> {
        &self.parser
    }

    /// What the question means, without running it.
    pub fn parse(&self, question: &str) -> Query {
        self.parser.parse(question, self.as_of)
    }

    /// [`Asker::parse`], plus every piece of the question with how it was read.
    pub fn analyse(&self, question: &str) -> (Query, Vec<Piece>) {
        self.parser.analyse(question, self.as_of)
    }

    /// Understands the question and answers it.
    pub fn ask(&self, question: &str, options: &AskOptions) -> Result<Answer> {
        let chars = question.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(Error::BadRequest(format!(
                "the question has {chars} characters; ask in at most {MAX_QUESTION_CHARS}"
            )));
        }
        if !question.chars().any(char::is_alphanumeric) {
            return Err(Error::BadRequest(
                "ask a question, e.g. 「华东地区年采购额超百万的科技客户」 or 「按省份统计客户数」"
                    .into(),
            ));
        }
        self.run(&self.parse(question), options)
    }

    /// Answers a structured query (one parsed earlier, or corrected by the user).
    pub fn run(&self, query: &Query, options: &AskOptions) -> Result<Answer> {
        options.check()?;
        if let Some(top) = &query.limit {
            crate::check_count("a top-N", top.n, crate::MAX_ROWS)?;
        }
        let schema = self.schema();
        let table = match (&query.similar, &self.lookalike) {
            (Some(_), Some(_)) if query.understood() => super::similar::answer(
                &self.conn,
                schema,
                self.searcher.as_deref(),
                &*self.lookalike()?,
                query,
                options,
            )?,
            _ => execute(&self.conn, schema, self.searcher.as_deref(), query, options)?,
        };
        Ok(Answer::new(query.clone(), schema, table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asker_moves_to_a_blocking_thread() {
        fn send<T: Send + 'static>() {}
        send::<Asker>();
        fn shared<T: Send + Sync>() {}
        shared::<Parser>();
        shared::<Searcher>();
    }
}
