//! `kesou keys new|rotate|status`: the data key that encrypts contacts at rest.

use std::io::Write;
use std::path::{Path, PathBuf};

use kesou_indexer::crypt::{self, DataKey};

use super::StoreArg;
use super::output::Table;
use super::progress::Bars;

/// Encrypt customers' contacts at rest (联系人, 联系电话, 邮箱; 《个人信息保护法》)
///
/// A store made with a key keeps contact_name, contact_phone and email encrypted with
/// SM4-GCM (or AES-256-GCM with --cipher aes-256-gcm); the search index and every file
/// beside the store hold only keyed hashes of them, so an exact lookup by phone still works
/// (--filter contact_phone=13812348000, 「手机号13812348000的客户」). Answers, exports and
/// profiles show them decrypted (masked per role by the server).
///
/// The key is never kept in the store: give it with --key-file FILE (any command), or the
/// environment: KESOU_KEY_FILE=FILE, or KESOU_DATA_KEY=<64 hex digits>. Without a key a
/// store is made with contacts in plain text, and `kesou ingest` says so. Back the key up
/// apart from the store: without it the contacts cannot be read.
///
/// Examples:
///   kesou keys new --out ~/.config/kesou/data.key
///   kesou --key-file ~/.config/kesou/data.key ingest --data kesou-data exports/
///   kesou keys rotate --data kesou-data --new-key-file ~/.config/kesou/data-2.key
///   kesou keys status --data kesou-data
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new random key file (owner-only, mode 0600). Keep it outside every store.
    New {
        /// Where to write it; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Encrypt every contact of a store under a new key, in one step (an interrupted
    /// rotation leaves the old key and values). The old key comes from --key-file,
    /// KESOU_KEY_FILE or KESOU_DATA_KEY; a store in plain text needs none (it is encrypted
    /// now). Afterwards give the new key to every command.
    Rotate {
        #[command(flatten)]
        store: StoreArg,
        /// The new key (made with `kesou keys new`), outside the store folder.
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
    },
    /// How a store keeps its contacts: cipher, key fingerprint, values per state, and
    /// whether the key given is the store's.
    Status {
        #[command(flatten)]
        store: StoreArg,
    },
}

pub fn run(args: KeysArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let cipher = opts.cipher();
    match args.command {
        KeysCommand::New { out } => new(&out),
        KeysCommand::Rotate {
            store,
            new_key_file,
        } => {
            let paths = opts.store(&store.data);
            let origin = format!("--new-key-file {}", new_key_file.display());
            let key = crypt::key::read_outside(&new_key_file, &paths.root, &origin)?;
            let bars = Bars::default();
            let s = crypt::rotate(&paths, &key, Some(&new_key_file), cipher, &bars)?;
            println!(
                "{}: contacts of {} customers encrypted again in generation {} ({:.1} s; index: {} documents)",
                store.data.display(),
                s.customers,
                s.generation,
                s.seconds,
                s.index.indexed
            );
            println!("before: {}", s.before);
            println!("now:    {}", s.after);
            println!(
                "give the new key to every command from now on: --key-file {} or KESOU_KEY_FILE",
                new_key_file.display()
            );
            Ok(())
        }
        KeysCommand::Status { store } => {
            let s = crypt::status(&opts.store(&store.data))?;
            match (&s.cipher, &s.key_id) {
                (Some(c), Some(id)) => println!("contacts encrypted with {c}, key {id}"),
                _ => println!("contacts in plain text (the store was made without a key)"),
            }
            match (&s.key_given, s.key_matches) {
                (Some(k), Some(true)) => println!("key given: {k}: the store's key"),
                (Some(k), Some(false)) => println!("key given: {k}: NOT the store's key"),
                (Some(k), None) => println!("key given: {k}"),
                (None, _) => println!("no key given"),
            }
            let mut t = Table::new(["column", "values", "state"]);
            for (column, states) in &s.values {
                for (state, n) in states {
                    t.row([column.clone(), super::output::count(*n), state.clone()]);
                }
            }
            t.print();
            let mixed = s.values.values().any(|v| v.len() > 1);
            if mixed {
                println!(
                    "mixed: some column holds values in more than one state; \
                     `kesou keys rotate` with the store's key makes them one"
                );
            }
            Ok(())
        }
    }
}

/// Writes a new key, owner-only, refusing to overwrite a file or to write inside a store.
fn new(out: &Path) -> anyhow::Result<()> {
    if let Some(store) = out
        .ancestors()
        .skip(1)
        .find(|d| d.join(kesou_indexer::store::DB_FILE).exists())
    {
        anyhow::bail!(super::user(format!(
            "{} is inside the store {}; a key kept beside the data protects nothing: write it elsewhere (e.g. ~/.config/kesou/)",
            out.display(),
            store.display()
        )));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key = DataKey::generate()?;
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(out)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    anyhow::Error::new(kesou_indexer::Error::BadInput(format!(
                        "{} exists; kesou never overwrites a key (a store encrypted with it would be lost)",
                        out.display()
                    )))
                } else {
                    anyhow::anyhow!("{}: {e}", out.display())
                }
            })?
    };
    writeln!(
        file,
        "# kesou data key {} (made {}). Whoever holds this file reads the contacts of the\n\
         # stores encrypted with it: keep it outside every store folder, owner-only, and back\n\
         # it up apart from the stores (without it their contacts cannot be read).\n{}",
        key.id(),
        chrono::Local::now().format("%Y-%m-%d"),
        key.to_hex()
    )?;
    file.sync_all()?;
    println!("wrote {} (key {}, mode 0600)", out.display(), key.id());
    println!(
        "use it: kesou --key-file {} ingest --data STORE FILES   (or KESOU_KEY_FILE={})",
        out.display(),
        out.display()
    );
    Ok(())
}
