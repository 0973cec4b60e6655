//! The gate a server keeps: logins with lockout, sessions, rate limits. In memory, for one
//! server process; the users come from [`Users`], re-read when their file's contents change
//! (`kesou user disable` while serving). Contents, not the file's time: two writes within
//! the file system's time granularity (a second on some) leave the same mtime, and a
//! disabled user would keep their sessions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};

use crate::policy::Policy;
use crate::principal::Principal;
use crate::users::Users;
use crate::{Error, Result};

/// What a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Use {
    /// Questions, searches, profiles, similar customers, dashboards, suggestions.
    Query,
    /// CSV exports.
    Export,
}

#[derive(Debug)]
struct Session {
    user: String,
    last_seen: Instant,
}

#[derive(Debug, Default)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

/// A token bucket: `capacity` tokens, refilled at `per_second`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Users, sessions, lockouts and rate limits of a running server.
#[derive(Debug)]
pub struct Gate {
    store: PathBuf,
    policy: Policy,
    /// The users and the SHA-256 of the file text they were read from.
    users: Mutex<(Users, Option<[u8; 32]>)>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    failures: Mutex<HashMap<String, Failures>>,
    buckets: Mutex<HashMap<(String, Use), Bucket>>,
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct Login {
    /// The session token: the client sends it back as a cookie or a bearer token.
    pub token: String,
    pub principal: Principal,
}

fn key_of(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn digest(text: Option<&str>) -> Option<[u8; 32]> {
    text.map(|t| Sha256::digest(t.as_bytes()).into())
}

impl Gate {
    /// The gate of a store: its users and policy (`STORE/access/`).
    pub fn open(store: &Path) -> Result<Gate> {
        let policy = Policy::load(&store.join("access").join("policy.toml"))?;
        let text = Users::read(store)?;
        let users = Users::parse(store, text.as_deref())?;
        // Every user must make sense under the policy (a department it knows …).
        for u in users.all() {
            Principal::of(u, &policy)?;
        }
        Ok(Gate {
            store: store.to_owned(),
            policy,
            users: Mutex::new((users, digest(text.as_deref()))),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The users, read again when their file's contents changed (`kesou user …` while
    /// serving). The file is small (one line of JSON per user) and in the page cache.
    fn with_users<T>(&self, f: impl FnOnce(&Users) -> T) -> Result<T> {
        let mut guard = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let text = Users::read(&self.store)?;
        let now = digest(text.as_deref());
        if now != guard.1 {
            guard.0 = Users::parse(&self.store, text.as_deref())?;
            guard.1 = now;
        }
        Ok(f(&guard.0))
    }

    /// Whether any user exists (a server without users runs only as a demo).
    pub fn has_users(&self) -> Result<bool> {
        self.with_users(|u| !u.all().is_empty())
    }

    pub fn has_admin(&self) -> Result<bool> {
        self.with_users(Users::has_admin)
    }

    /// Checks a name and password. Wrong passwords in a row lock the account for the
    /// policy's lockout time; a locked account refuses even the right password.
    pub fn login(&self, name: &str, password: &str) -> Result<Login> {
        let limits = &self.policy.limits;
        {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(f) = failures.get_mut(name)
                && let Some(until) = f.locked_until
            {
                if Instant::now() < until {
                    return Err(Error::Locked(format!(
                        "too many wrong passwords: the account is locked for {} more minutes",
                        (until - Instant::now()).as_secs().div_ceil(60)
                    )));
                }
                *f = Failures::default();
            }
        }
        let user = self.with_users(|u| u.check(name, password).cloned())?;
        let Some(user) = user else {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            let f = failures.entry(name.to_owned()).or_default();
            f.count += 1;
            if f.count >= limits.failed_logins {
                f.locked_until =
                    Some(Instant::now() + Duration::from_secs(limits.lockout_minutes * 60));
            }
            return Err(Error::Unauthorized("wrong user name or password".into()));
        };
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        let principal = Principal::of(&user, &self.policy)?;
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| Error::BadInput(format!("no randomness: {e}")))?;
        let token = B64.encode(raw);
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                key_of(&token),
                Session {
                    user: user.name.clone(),
                    last_seen: Instant::now(),
                },
            );
        Ok(Login { token, principal })
    }

    /// The principal of a session token; a session unused for the policy's idle time, or
    /// whose user was disabled or removed since, has ended.
    pub fn session(&self, token: &str) -> Result<Principal> {
        let idle = Duration::from_secs(self.policy.limits.session_idle_minutes * 60);
        let key = key_of(token);
        let user = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let Some(s) = sessions.get_mut(&key) else {
                return Err(Error::Unauthorized("log in first".into()));
            };
            if s.last_seen.elapsed() > idle {
                sessions.remove(&key);
                return Err(Error::Unauthorized(
                    "the session has ended; log in again".into(),
                ));
            }
            s.last_seen = Instant::now();
            s.user.clone()
        };
        let found = self.with_users(|u| u.get(&user).cloned())?;
        match found {
            Some(u) if !u.disabled => Principal::of(&u, &self.policy),
            _ => {
                self.logout(token);
                Err(Error::Unauthorized("the account is disabled".into()))
            }
        }
    }

    /// The principal of a user as they are now (their role, rows and field rules under the
    /// current users file): what an embed link made by them shows. A user disabled or
    /// removed since is refused, and so are their links.
    pub fn principal_of(&self, name: &str) -> Result<Principal> {
        match self.with_users(|u| u.get(name).cloned())? {
            Some(u) if !u.disabled => Principal::of(&u, &self.policy),
            _ => Err(Error::Unauthorized(format!(
                "the account {name:?} that made this link is disabled or gone"
            ))),
        }
    }

    pub fn logout(&self, token: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key_of(token));
    }

    /// Takes one use from the user's budget, or refuses when it is spent.
    pub fn spend(&self, user: &str, kind: Use) -> Result<()> {
        let limits = &self.policy.limits;
        let (capacity, per_second) = match kind {
            Use::Query => (
                f64::from(limits.queries_per_minute),
                f64::from(limits.queries_per_minute) / 60.0,
            ),
            Use::Export => (
                f64::from(limits.exports_per_hour).max(1.0),
                f64::from(limits.exports_per_hour) / 3600.0,
            ),
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let b = buckets.entry((user.to_owned(), kind)).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        b.tokens = (b.tokens + (now - b.at).as_secs_f64() * per_second).min(capacity);
        b.at = now;
        if b.tokens < 1.0 {
            let wait = ((1.0 - b.tokens) / per_second).ceil().max(1.0);
            return Err(Error::RateLimited(format!(
                "too many {} in a short time; try again in {wait:.0} s",
                match kind {
                    Use::Query => "requests",
                    Use::Export => "exports",
                }
            )));
        }
        b.tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, User};

    fn store_with_users(policy: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut users = Users::load(dir.path()).unwrap();
        let user = |name: &str, role| User {
            regions: vec!["华东".into()],
            ..User::new(name, role)
        };
        users
            .add(user("admin", Role::Admin), "admin password 1")
            .unwrap();
        users
            .add(user("王芳", Role::Sales), "sales password 1")
            .unwrap();
        users.save().unwrap();
        if let Some(p) = policy {
            std::fs::write(dir.path().join("access/policy.toml"), p).unwrap();
        }
        dir
    }

    #[test]
    fn wrong_passwords_lock_the_account() {
        let dir = store_with_users(None);
        let gate = Gate::open(dir.path()).unwrap();
        for _ in 0..4 {
            assert!(matches!(
                gate.login("王芳", "wrong password"),
                Err(Error::Unauthorized(_))
            ));
        }
        // a right password before the limit resets the count
        gate.login("王芳", "sales password 1").unwrap();
        for _ in 0..5 {
            assert!(gate.login("王芳", "wrong password").is_err());
        }
        let e = gate.login("王芳", "sales password 1").unwrap_err();
        assert!(matches!(e, Error::Locked(_)), "{e}");
        // another account is not affected
        gate.login("admin", "admin password 1").unwrap();
    }

    #[test]
    fn sessions_end_when_the_user_is_disabled() {
        let dir = store_with_users(None);
        let gate = Gate::open(dir.path()).unwrap();
        let login = gate.login("王芳", "sales password 1").unwrap();
        assert_eq!(gate.session(&login.token).unwrap().role, Role::Sales);
        assert!(gate.session("forged").is_err());
        let mut users = Users::load(dir.path()).unwrap();
        users.set_disabled("王芳", true).unwrap();
        // at once: the gate compares the file's contents, not its time
        users.save().unwrap();
        assert!(gate.session(&login.token).is_err());
        gate.logout(&login.token);
    }

    #[test]
    fn bursts_beyond_the_limit_are_refused() {
        let policy = crate::policy::DEFAULT_POLICY
            .replace("queries_per_minute = 120", "queries_per_minute = 3")
            .replace("exports_per_hour = 20", "exports_per_hour = 1");
        let dir = store_with_users(Some(&policy));
        let gate = Gate::open(dir.path()).unwrap();
        for _ in 0..3 {
            gate.spend("王芳", Use::Query).unwrap();
        }
        assert!(matches!(
            gate.spend("王芳", Use::Query),
            Err(Error::RateLimited(_))
        ));
        gate.spend("admin", Use::Query).unwrap();
        gate.spend("王芳", Use::Export).unwrap();
        assert!(gate.spend("王芳", Use::Export).is_err());
    }
}
