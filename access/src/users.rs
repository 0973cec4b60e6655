//! Users: `STORE/access/users.json` (owner-only), passwords as Argon2id hashes. The file is
//! replaced whole (written beside it, then renamed), so `kesou user …` may change it while
//! the server runs; the server reads it again when it changes.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Role};

/// Argon2id cost: 19 MiB, 2 passes, 1 lane (OWASP's minimum for Argon2id).
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// 业务员: their regions (大区) or provinces; 财务 and 部门主管 may be limited too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// 业务员: the name the store's `owner` column gives them (default: their user name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// 部门主管: their department (the policy says its regions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    pub password: String,
    #[serde(default)]
    pub disabled: bool,
    pub created: String,
}

impl User {
    /// An enabled user of this role, created now, with no regions, owner or department (set
    /// them with struct update syntax); the password is set by [`Users::add`].
    pub fn new(name: &str, role: Role) -> User {
        User {
            name: name.to_owned(),
            role,
            regions: Vec::new(),
            owner: None,
            department: None,
            password: String::new(),
            disabled: false,
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    users: Vec<User>,
}

/// The users of a store.
#[derive(Debug, Clone)]
pub struct Users {
    path: PathBuf,
    users: Vec<User>,
}

impl Users {
    /// `STORE/access/users.json`.
    pub fn path_in(store: &Path) -> PathBuf {
        store.join("access").join("users.json")
    }

    /// The users of the store (none when the file does not exist).
    pub fn load(store: &Path) -> Result<Users> {
        let text = Users::read(store)?;
        Users::parse(store, text.as_deref())
    }

    /// The text of the store's users file (`None` when it does not exist).
    pub fn read(store: &Path) -> Result<Option<String>> {
        let path = Users::path_in(store);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// The users of the store from the text of its users file, as [`Users::read`] gave it.
    pub fn parse(store: &Path, text: Option<&str>) -> Result<Users> {
        let path = Users::path_in(store);
        let users = match text {
            Some(text) => {
                let f: UsersFile = serde_json::from_str(text)
                    .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))?;
                f.users
            }
            None => Vec::new(),
        };
        Ok(Users { path, users })
    }

    pub fn all(&self) -> &[User] {
        &self.users
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether an enabled administrator exists.
    pub fn has_admin(&self) -> bool {
        self.users
            .iter()
            .any(|u| u.role == Role::Admin && !u.disabled)
    }

    /// Adds a user; the name must be new, the password long enough.
    pub fn add(&mut self, mut user: User, password: &str) -> Result<()> {
        user.name = user.name.trim().to_owned();
        if user.name.is_empty()
            || user.name.chars().count() > 64
            || user.name.chars().any(|c| c.is_control() || c == ':')
        {
            return Err(Error::BadInput(
                "a user name is 1 to 64 characters, without control characters or ':'".into(),
            ));
        }
        if self.get(&user.name).is_some() {
            return Err(Error::BadInput(format!(
                "user {:?} exists; disable it or choose another name",
                user.name
            )));
        }
        user.password = hash_password(password)?;
        self.users.push(user);
        Ok(())
    }

    /// Enables or disables a user.
    pub fn set_disabled(&mut self, name: &str, disabled: bool) -> Result<()> {
        let u = self
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| Error::BadInput(format!("no user is named {name:?}")))?;
        u.disabled = disabled;
        Ok(())
    }

    /// Sets a user's password.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<()> {
        let hash = hash_password(password)?;
        let u = self
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| Error::BadInput(format!("no user is named {name:?}")))?;
        u.password = hash;
        Ok(())
    }

    /// Writes the file (owner-only), replacing it whole.
    pub fn save(&self) -> Result<()> {
        let dir = self.path.parent().expect("users.json has a folder");
        crate::files::private_dir(dir)?;
        let text = serde_json::to_string_pretty(&UsersFile {
            users: self.users.clone(),
        })
        .expect("users serialise");
        crate::files::replace_private(&self.path, text.as_bytes())
    }

    /// The user with this name and password, if both are right and the user is enabled.
    /// Takes as long for an unknown name as for a known one.
    pub fn check(&self, name: &str, password: &str) -> Option<&User> {
        match self.get(name) {
            Some(u) => (verify_password(password, &u.password) && !u.disabled).then_some(u),
            None => {
                verify_password(password, DUMMY_HASH);
                None
            }
        }
    }
}

/// A hash no password matches, checked for unknown users so that they take as long.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn argon2(m: u32, t: u32, p: u32) -> Result<Argon2<'static>> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| Error::BadInput(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A new Argon2id hash of the password, in the PHC string format.
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::BadInput(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::BadInput(format!("no randomness: {e}")))?;
    let mut out = [0u8; 32];
    argon2(M_COST, T_COST, P_COST)?
        .hash_password_into(password.as_bytes(), &salt, &mut out)
        .map_err(|e| Error::BadInput(format!("argon2: {e}")))?;
    Ok(format!(
        "$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${}",
        B64.encode(salt),
        B64.encode(out)
    ))
}

/// Whether the password matches the PHC string (constant time in the comparison).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let parts: Vec<&str> = phc.split('$').collect();
    let ["", "argon2id", "v=19", params, salt, hash] = parts.as_slice() else {
        return false;
    };
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for kv in params.split(',') {
        match kv.split_once('=') {
            Some(("m", v)) => m = v.parse().ok(),
            Some(("t", v)) => t = v.parse().ok(),
            Some(("p", v)) => p = v.parse().ok(),
            _ => return false,
        }
    }
    let (Some(m), Some(t), Some(p)) = (m, t, p) else {
        return false;
    };
    let (Ok(salt), Ok(expected)) = (B64.decode(salt), B64.decode(hash)) else {
        return false;
    };
    let Ok(a) = argon2(m, t, p) else {
        return false;
    };
    let mut out = vec![0u8; expected.len().max(1)];
    if a.hash_password_into(password.as_bytes(), &salt, &mut out)
        .is_err()
    {
        return false;
    }
    out.len() == expected.len() && out.iter().zip(&expected).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, role: Role) -> User {
        User::new(name, role)
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("x", DUMMY_HASH));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn users_are_saved_privately_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut users = Users::load(dir.path()).unwrap();
        assert!(!users.has_admin());
        users
            .add(user("admin", Role::Admin), "admin password 1")
            .unwrap();
        users
            .add(user("王芳", Role::Sales), "sales password 1")
            .unwrap();
        assert!(
            users
                .add(user("王芳", Role::Sales), "another one 1")
                .is_err()
        );
        users.save().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(Users::path_in(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut users = Users::load(dir.path()).unwrap();
        assert!(users.has_admin());
        assert_eq!(
            users.check("王芳", "sales password 1").unwrap().role,
            Role::Sales
        );
        assert!(users.check("王芳", "admin password 1").is_none());
        assert!(users.check("nobody", "sales password 1").is_none());
        users.set_disabled("王芳", true).unwrap();
        assert!(users.check("王芳", "sales password 1").is_none());
        assert!(
            !std::fs::read_to_string(Users::path_in(dir.path()))
                .unwrap()
                .contains("sales password")
        );
    }
}
