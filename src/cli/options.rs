//! The options every command shares, from flags or their environment variables: the data
//! key and cipher, the key embed links are signed with, a server password and the watch
//! retry delay. Parsed once by clap (a flag wins over its variable) and handed down: the
//! key to each store a command opens ([`Options::store`]), the rest to what needs it. No
//! library reads the environment for them.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::ArgMatches;
use clap::parser::ValueSource;
use kesou_indexer::StorePaths;
use kesou_indexer::crypt::{Cipher, KeyOptions};

/// The global options, as `kesou --help` lists them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Options {
    /// The key file of a store whose contacts (联系人, 电话, 邮箱) are encrypted, kept outside
    /// the store; it wins over KESOU_DATA_KEY. A store made with no key keeps contacts in
    /// plain text. See `kesou keys`.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        env = "KESOU_KEY_FILE",
        value_parser = clap::value_parser!(OsString)
    )]
    key_file: Option<OsString>,
    /// The data key itself (64 hex digits or base64), when no key file is given. Prefer the
    /// variable: a command line is visible to other users of the machine.
    #[arg(
        long,
        value_name = "KEY",
        global = true,
        env = "KESOU_DATA_KEY",
        hide_env_values = true
    )]
    data_key: Option<Secret>,
    /// The cipher a store encrypted from now on uses: sm4-gcm (default) or aes-256-gcm.
    #[arg(long, value_name = "CIPHER", global = true, env = "KESOU_CIPHER")]
    cipher: Option<CipherName>,
    /// The key embed links are signed with (`kesou serve`, `kesou share`), at least 32
    /// characters; default: the store's own STORE/embed.key.
    #[arg(
        long,
        value_name = "KEY",
        global = true,
        env = "KESOU_EMBED_KEY",
        hide_env_values = true
    )]
    embed_key: Option<Secret>,
    /// The password `kesou backup --server` logs in with; without it, it is asked. Prefer
    /// the variable: a command line is visible to other users of the machine.
    #[arg(
        long,
        value_name = "PASSWORD",
        global = true,
        env = "KESOU_PASSWORD",
        hide_env_values = true
    )]
    password: Option<Secret>,
    /// How long a watch delivery that failed waits before its first retry, in
    /// milliseconds (default 30000; the wait doubles at each retry, up to an hour).
    #[arg(long, value_name = "MS", global = true, env = "KESOU_WATCH_RETRY_MS")]
    watch_retry_ms: Option<u64>,
    /// Where the data key comes from, with how it was given (filled by [`Options::finish`]).
    #[arg(skip)]
    keys: Arc<KeyOptions>,
}

impl Options {
    /// Completes the parsed options with where each key came from (flag or variable), for
    /// messages such as `KESOU_KEY_FILE=/etc/kesou/key: cannot read the key file`.
    pub fn finish(mut self, matches: &ArgMatches) -> Options {
        let from_env = |id: &str| matches.value_source(id) == Some(ValueSource::EnvVariable);
        let key_file = self.key_file.clone().filter(|p| !p.is_empty()).map(|p| {
            let path = std::path::PathBuf::from(p);
            let origin = if from_env("key_file") {
                format!("KESOU_KEY_FILE={}", path.display())
            } else {
                format!("--key-file {}", path.display())
            };
            (path, origin)
        });
        let data_key = self.data_key.clone().map(|Secret(text)| {
            let origin = if from_env("data_key") {
                "KESOU_DATA_KEY"
            } else {
                "--data-key"
            };
            (text, origin.to_owned())
        });
        self.keys = Arc::new(KeyOptions {
            key_file,
            data_key,
            cipher: self.cipher.and_then(|c| c.0),
        });
        self
    }

    /// The store at `data`, opened with the key these options name.
    pub fn store(&self, data: impl AsRef<Path>) -> StorePaths {
        StorePaths::new(data.as_ref()).with_options(&self.keys)
    }

    /// The cipher asked for, if any.
    pub fn cipher(&self) -> Option<Cipher> {
        self.keys.cipher
    }

    /// The key embed links are signed with, when one is given (at least 32 characters).
    pub fn embed_key(&self) -> anyhow::Result<Option<Vec<u8>>> {
        match &self.embed_key {
            Some(Secret(k)) if k.len() >= 32 => Ok(Some(k.clone().into_bytes())),
            Some(_) => {
                Err(super::user("KESOU_EMBED_KEY must be at least 32 characters long").into())
            }
            None => Ok(None),
        }
    }

    /// The server password, when one is given.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|Secret(p)| p.as_str())
    }

    /// The first retry's delay of a failed watch delivery, when one is given.
    pub fn watch_first_retry(&self) -> Option<Duration> {
        self.watch_retry_ms.map(Duration::from_millis)
    }

    /// The watch delivery settings for the app at `public_url`.
    pub fn watch_settings(&self, public_url: &str) -> kesou_watch::Settings {
        let mut settings = kesou_watch::Settings::with_url(public_url);
        if let Some(first) = self.watch_first_retry() {
            settings.first_retry = first;
        }
        settings
    }
}

/// A value never printed (a key, a password): `Debug` shows `…`.
#[derive(Clone, Default)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("…")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// A cipher name; empty (an empty KESOU_CIPHER) means the default.
#[derive(Debug, Clone, Copy)]
struct CipherName(Option<Cipher>);

impl std::str::FromStr for CipherName {
    type Err = kesou_indexer::Error;
    fn from_str(s: &str) -> Result<CipherName, Self::Err> {
        if s.trim().is_empty() {
            return Ok(CipherName(None));
        }
        s.parse().map(|c| CipherName(Some(c)))
    }
}
