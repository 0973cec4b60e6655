//! The gate a server keeps: logins with lockout, sessions, rate limits. In memory, for one
//! server process; the users come from [`Users`], re-read when their file may have changed
//! (`kesou user disable` while serving): when its time or size moved, or when it was last
//! read within the file system's time granularity of its time (two writes in one tick leave
//! the same mtime, and a disabled user would keep their sessions). Otherwise a request costs
//! one `stat`, not a read.
//!
//! A guess is counted before its password is hashed (Argon2 takes tens of milliseconds), so
//! that parallel guesses cannot all be evaluated before the first failure is counted. The
//! lockout holds for the account *from the address the guesses came from*: a stranger who
//! types wrong passwords for the administrator locks only themselves out, and each address
//! gets a few login attempts a minute whatever the accounts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

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
    /// The password the session was opened with (a digest of its hash): a new password
    /// ends every session opened with the old one.
    credential: [u8; 32],
    started: Instant,
    last_seen: Instant,
    /// The local command line's session ([`Gate::local_session`]).
    local: bool,
}

#[derive(Debug, Default)]
struct Failures {
    count: u32,
    /// Guesses whose password is being checked right now.
    pending: u32,
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
    users: Mutex<KnownUsers>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    /// Per (account, client address).
    failures: Mutex<HashMap<(String, String), Failures>>,
    buckets: Mutex<HashMap<(String, Use), Bucket>>,
    /// Login attempts per client address.
    login_buckets: Mutex<HashMap<String, Bucket>>,
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

fn credential_of(password_hash: &str) -> [u8; 32] {
    Sha256::digest(password_hash.as_bytes()).into()
}

/// Takes a token from `key`'s bucket (`capacity`, refilled at `per_second`), or says how
/// many seconds until one is there.
fn take<K: std::hash::Hash + Eq>(
    buckets: &Mutex<HashMap<K, Bucket>>,
    key: K,
    capacity: f64,
    per_second: f64,
) -> std::result::Result<(), f64> {
    let mut buckets = buckets.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    let b = buckets.entry(key).or_insert(Bucket {
        tokens: capacity,
        at: now,
    });
    b.tokens = (b.tokens + (now - b.at).as_secs_f64() * per_second).min(capacity);
    b.at = now;
    if b.tokens < 1.0 {
        return Err(((1.0 - b.tokens) / per_second).ceil().max(1.0));
    }
    b.tokens -= 1.0;
    Ok(())
}

/// Longer than any file system's timestamp granularity.
const SETTLED: Duration = Duration::from_secs(2);

/// The users as last read, and what they were read from.
#[derive(Debug)]
struct KnownUsers {
    users: Users,
    /// The file's modification time and size then (none: no file).
    stamp: Option<(SystemTime, u64)>,
    read_at: SystemTime,
}

fn stamp_of(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl KnownUsers {
    fn read(store: &Path) -> Result<KnownUsers> {
        let stamp = stamp_of(&Users::path_in(store));
        let read_at = SystemTime::now();
        let text = Users::read(store)?;
        Ok(KnownUsers {
            users: Users::parse(store, text.as_deref())?,
            stamp,
            read_at,
        })
    }

    /// Whether the file may hold something else than what was read: its time or size moved,
    /// or it was read so soon after its time that a write in the same tick would not show.
    fn may_have_changed(&self, stamp: Option<(SystemTime, u64)>) -> bool {
        stamp != self.stamp || stamp.is_some_and(|(modified, _)| self.read_at < modified + SETTLED)
    }
}

impl Gate {
    /// The gate of a store: its users and policy (`STORE/access/`).
    pub fn open(store: &Path) -> Result<Gate> {
        let policy = Policy::load(&store.join("access").join("policy.toml"))?;
        let known = KnownUsers::read(store)?;
        // Every user must make sense under the policy (a department it knows …).
        for u in known.users.all() {
            Principal::of(u, &policy)?;
        }
        Ok(Gate {
            store: store.to_owned(),
            policy,
            users: Mutex::new(known),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            login_buckets: Mutex::new(HashMap::new()),
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The users, read again when their file's contents changed (`kesou user …` while
    /// serving). The file is small (one line of JSON per user) and in the page cache.
    fn with_users<T>(&self, f: impl FnOnce(&Users) -> T) -> Result<T> {
        let mut known = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if known.may_have_changed(stamp_of(&Users::path_in(&self.store))) {
            *known = KnownUsers::read(&self.store)?;
        }
        Ok(f(&known.users))
    }

    /// Whether any user exists (a server without users runs only as a demo).
    pub fn has_users(&self) -> Result<bool> {
        self.with_users(|u| !u.all().is_empty())
    }

    pub fn has_admin(&self) -> Result<bool> {
        self.with_users(Users::has_admin)
    }

    /// Checks a name and password tried from the client address `from`. Wrong passwords in
    /// a row lock the account for that address for the policy's lockout time (a locked
    /// account refuses even the right password from there); each address has a budget of
    /// attempts per minute.
    pub fn login(&self, name: &str, password: &str, from: &str) -> Result<Login> {
        let limits = &self.policy.limits;
        let per_minute = f64::from(limits.login_attempts_per_minute);
        if let Err(wait) = take(
            &self.login_buckets,
            from.to_owned(),
            per_minute,
            per_minute / 60.0,
        ) {
            return Err(Error::RateLimited(format!(
                "too many login attempts from this address; try again in {wait:.0} s"
            )));
        }
        let key = (name.to_owned(), from.to_owned());
        {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            let f = failures.entry(key.clone()).or_default();
            if let Some(until) = f.locked_until {
                if Instant::now() < until {
                    return Err(Error::Locked(format!(
                        "too many wrong passwords: the account is locked for {} more minutes",
                        (until - Instant::now()).as_secs().div_ceil(60)
                    )));
                }
                *f = Failures::default();
            }
            // Counted before the check: no more guesses in flight than failures allowed.
            if f.count + f.pending >= limits.failed_logins {
                return Err(Error::RateLimited(
                    "too many login attempts for this account at once; try again in a moment"
                        .into(),
                ));
            }
            f.pending += 1;
        }
        let user = self.with_users(|u| u.check(name, password).cloned());
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let f = failures.entry(key.clone()).or_default();
        f.pending = f.pending.saturating_sub(1);
        let Some(user) = user? else {
            f.count += 1;
            if f.count >= limits.failed_logins {
                f.locked_until =
                    Some(Instant::now() + Duration::from_secs(limits.lockout_minutes * 60));
            }
            return Err(Error::Unauthorized("wrong user name or password".into()));
        };
        if f.pending == 0 {
            failures.remove(&key);
        } else {
            f.count = 0;
        }
        drop(failures);
        let principal = Principal::of(&user, &self.policy)?;
        let token = self.open_session(&user.name, credential_of(&user.password), false)?;
        Ok(Login { token, principal })
    }

    /// The principal of a session token; a session unused for the policy's idle time, older
    /// than its absolute lifetime, whose user was disabled or removed since, or whose user's
    /// password has changed since, has ended.
    pub fn session(&self, token: &str) -> Result<Principal> {
        let idle = Duration::from_secs(self.policy.limits.session_idle_minutes * 60);
        let lifetime = Duration::from_secs(self.policy.limits.session_max_hours * 3600);
        let key = key_of(token);
        let (user, credential) = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let Some(s) = sessions.get_mut(&key) else {
                return Err(Error::Unauthorized("log in first".into()));
            };
            if s.local {
                return Ok(Principal::local());
            }
            if s.last_seen.elapsed() > idle || s.started.elapsed() > lifetime {
                sessions.remove(&key);
                return Err(Error::Unauthorized(
                    "the session has ended; log in again".into(),
                ));
            }
            s.last_seen = Instant::now();
            (s.user.clone(), s.credential)
        };
        let found = self.with_users(|u| u.get(&user).cloned())?;
        match found {
            Some(u) if !u.disabled && credential_of(&u.password) == credential => {
                Principal::of(&u, &self.policy)
            }
            Some(u) if !u.disabled => {
                self.logout(token);
                Err(Error::Unauthorized(
                    "the password has changed since this session began; log in again".into(),
                ))
            }
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

    /// A session for the command line of this machine ([`Principal::local`]), valid while
    /// this server runs; its token goes only into the owner-only server file of the store.
    pub fn local_session(&self) -> Result<String> {
        self.open_session(&Principal::local().name, [0; 32], true)
    }

    /// A new session token for `user` (its SHA-256 is what is kept).
    fn open_session(&self, user: &str, credential: [u8; 32], local: bool) -> Result<String> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| Error::BadInput(format!("no randomness: {e}")))?;
        let token = B64.encode(raw);
        let now = Instant::now();
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                key_of(&token),
                Session {
                    user: user.to_owned(),
                    credential,
                    started: now,
                    last_seen: now,
                    local,
                },
            );
        Ok(token)
    }

    /// Makes every session `by` older (tests of the lifetime).
    #[cfg(test)]
    fn age_sessions(&self, by: Duration) {
        for s in self.sessions.lock().unwrap().values_mut() {
            s.started = s.started.checked_sub(by).expect("an earlier instant");
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
        take(&self.buckets, (user.to_owned(), kind), capacity, per_second).map_err(|wait| {
            Error::RateLimited(format!(
                "too many {} in a short time; try again in {wait:.0} s",
                match kind {
                    Use::Query => "requests",
                    Use::Export => "exports",
                }
            ))
        })
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
                gate.login("王芳", "wrong password", "10.0.0.1"),
                Err(Error::Unauthorized(_))
            ));
        }
        // a right password before the limit resets the count
        gate.login("王芳", "sales password 1", "10.0.0.1").unwrap();
        for _ in 0..5 {
            assert!(gate.login("王芳", "wrong password", "10.0.0.1").is_err());
        }
        let e = gate
            .login("王芳", "sales password 1", "10.0.0.1")
            .unwrap_err();
        assert!(matches!(e, Error::Locked(_)), "{e}");
        // another account is not affected
        gate.login("admin", "admin password 1", "10.0.0.1").unwrap();
        // nor the same account from another address: a stranger cannot lock anyone out
        gate.login("王芳", "sales password 1", "10.0.0.2").unwrap();
    }

    #[test]
    fn parallel_guesses_are_counted_before_they_are_checked() {
        let policy = crate::policy::DEFAULT_POLICY.replace(
            "login_attempts_per_minute = 30",
            "login_attempts_per_minute = 1000",
        );
        let dir = store_with_users(Some(&policy));
        let gate = std::sync::Arc::new(Gate::open(dir.path()).unwrap());
        let start = std::sync::Arc::new(std::sync::Barrier::new(40));
        let guesses: Vec<_> = (0..40)
            .map(|i| {
                let (gate, start) = (gate.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    gate.login("王芳", &format!("guess {i}"), "10.0.0.1")
                })
            })
            .collect();
        let results: Vec<_> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
        let checked = results
            .iter()
            .filter(|r| matches!(r, Err(Error::Unauthorized(_))))
            .count();
        assert!(
            (1..=5).contains(&checked),
            "{checked} of 40 parallel guesses were checked"
        );
        assert!(
            results.iter().all(|r| matches!(
                r,
                Err(Error::Unauthorized(_) | Error::RateLimited(_) | Error::Locked(_))
            )),
            "{results:?}"
        );
        // the guesses that were checked locked the account; the right password waits
        let e = gate
            .login("王芳", "sales password 1", "10.0.0.1")
            .unwrap_err();
        assert!(matches!(e, Error::Locked(_)), "{e}");
    }

    #[test]
    fn each_address_has_a_budget_of_attempts() {
        let policy = crate::policy::DEFAULT_POLICY.replace(
            "login_attempts_per_minute = 30",
            "login_attempts_per_minute = 3",
        );
        let dir = store_with_users(Some(&policy));
        let gate = Gate::open(dir.path()).unwrap();
        for name in ["王芳", "admin", "nobody"] {
            assert!(matches!(
                gate.login(name, "wrong password", "10.0.0.9"),
                Err(Error::Unauthorized(_))
            ));
        }
        let e = gate
            .login("王芳", "sales password 1", "10.0.0.9")
            .unwrap_err();
        assert!(matches!(e, Error::RateLimited(_)), "{e}");
        gate.login("王芳", "sales password 1", "10.0.0.10").unwrap();
    }

    #[test]
    fn sessions_end_when_the_password_changes_and_at_their_lifetime() {
        let dir = store_with_users(None);
        let gate = Gate::open(dir.path()).unwrap();
        let old = gate.login("王芳", "sales password 1", "10.0.0.1").unwrap();
        let admin = gate.login("admin", "admin password 1", "10.0.0.1").unwrap();
        let mut users = Users::load(dir.path()).unwrap();
        users.set_password("王芳", "sales password 2").unwrap();
        users.save().unwrap();
        let e = gate.session(&old.token).unwrap_err();
        assert!(e.to_string().contains("password has changed"), "{e}");
        assert!(gate.session(&old.token).is_err(), "ended for good");
        let new = gate.login("王芳", "sales password 2", "10.0.0.1").unwrap();
        gate.session(&new.token).unwrap();
        gate.session(&admin.token).unwrap();

        // twelve hours after login a session ends, however busy
        gate.age_sessions(Duration::from_secs(12 * 3600 + 1));
        assert!(gate.session(&new.token).is_err());
        assert!(gate.session(&admin.token).is_err());
    }

    #[test]
    fn sessions_end_when_the_user_is_disabled() {
        let dir = store_with_users(None);
        let gate = Gate::open(dir.path()).unwrap();
        let login = gate.login("王芳", "sales password 1", "10.0.0.1").unwrap();
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
