//! `STORE/server.json`: which running `kesou serve` holds the store, and how commands on
//! the same machine reach it.
//!
//! DuckDB lets one process hold a store for writing, and the server holds it while it
//! runs; a command that opens the store then meets the lock. Rather than a lock error the
//! user cannot act on, the server announces itself here and the command line goes through
//! it (`kesou ask`, `kesou search` …) or names it. The file is owner-only like the
//! database beside it (whoever may read it may read the store anyway); its token is a
//! session of the machine's command line, valid while that server process runs, and the
//! file is removed when the server stops. A file left by a server that died is ignored
//! (its process is gone).

use serde::{Deserialize, Serialize};

use crate::store::StorePaths;
use crate::{Error, Result};

/// The file's name in a store folder.
pub const SERVER_FILE: &str = "server.json";

/// A running server of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    /// Where this machine reaches it: `http://127.0.0.1:8080`.
    pub url: String,
    /// Where people reach it (`--url`), for the links commands hand out.
    pub public_url: String,
    pub pid: u32,
    /// A session token of the local command line.
    pub token: String,
}

impl Served {
    /// Writes the announcement into the store (owner-only, whole or not at all).
    pub fn announce(&self, paths: &StorePaths) -> Result<()> {
        let path = paths.root.join(SERVER_FILE);
        let tmp = paths
            .root
            .join(format!(".{SERVER_FILE}.{}", std::process::id()));
        let json = serde_json::to_vec_pretty(self).expect("a server file serialises");
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let io = |e| Error::io(&path, e);
        std::io::Write::write_all(&mut o.open(&tmp).map_err(io)?, &json).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// Removes the announcement, if it is still this process's.
    pub fn withdraw(paths: &StorePaths) {
        if running(paths).is_some_and(|s| s.pid == std::process::id()) {
            let _ = std::fs::remove_file(paths.root.join(SERVER_FILE));
        }
    }
}

/// The server that holds the store now, if one announced itself and its process lives.
pub fn running(paths: &StorePaths) -> Option<Served> {
    let text = std::fs::read_to_string(paths.root.join(SERVER_FILE)).ok()?;
    let served: Served = serde_json::from_str(&text).ok()?;
    alive(served.pid).then_some(served)
}

#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn alive(_pid: u32) -> bool {
    // Without /proc, trust the file: the server removes it when it stops.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_is_read_back_while_its_process_lives() {
        let dir = tempfile::tempdir().unwrap();
        let paths = StorePaths::new(dir.path());
        assert!(running(&paths).is_none());
        let me = Served {
            url: "http://127.0.0.1:8080".into(),
            public_url: "https://kesou.example.cn".into(),
            pid: std::process::id(),
            token: "t".into(),
        };
        me.announce(&paths).unwrap();
        assert_eq!(running(&paths), Some(me.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SERVER_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A server that died leaves a file nobody follows.
        Served {
            pid: u32::MAX - 1,
            ..me.clone()
        }
        .announce(&paths)
        .unwrap();
        assert!(running(&paths).is_none());
        me.announce(&paths).unwrap();
        Served::withdraw(&paths);
        assert!(!dir.path().join(SERVER_FILE).exists());
    }
}
