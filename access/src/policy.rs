//! The policy: field rules per role, departments and their regions, limits. Read from
//! `STORE/access/policy.toml` (written with the defaults of [`DEFAULT_POLICY`] when users are
//! first added), so administrators change it with an editor and a restart.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result, Role};

/// The default policy, with comments: what `kesou user add` writes first.
pub const DEFAULT_POLICY: &str = include_str!("policy.toml");

/// What a role sees of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    Show,
    Mask,
    Hide,
}

/// Limits on logins and use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub failed_logins: u32,
    pub lockout_minutes: u64,
    /// Per client address (policies written before it get the default).
    #[serde(default = "default_login_attempts")]
    pub login_attempts_per_minute: u32,
    pub session_idle_minutes: u64,
    /// A session's absolute lifetime (policies written before it get the default).
    #[serde(default = "default_session_hours")]
    pub session_max_hours: u64,
    pub queries_per_minute: u32,
    pub exports_per_hour: u32,
}

fn default_login_attempts() -> u32 {
    30
}

fn default_session_hours() -> u64 {
    12
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Field → role → access; unlisted fields and roles: shown.
    #[serde(default)]
    pub fields: BTreeMap<String, BTreeMap<Role, FieldAccess>>,
    /// Department → its regions.
    #[serde(default)]
    pub departments: BTreeMap<String, Vec<String>>,
    pub limits: Limits,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::parse(DEFAULT_POLICY, Path::new("(built in)")).expect("the default policy parses")
    }
}

impl Policy {
    /// The policy of a store: its file, else the default.
    pub fn load(path: &Path) -> Result<Policy> {
        match std::fs::read_to_string(path) {
            Ok(text) => Policy::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Policy> {
        let mut p: Policy = toml::from_str(text)
            .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))?;
        for (dept, regions) in &p.departments {
            kesou_domain::Scope::new([("region".to_owned(), regions.clone())]).map_err(|e| {
                Error::BadInput(format!("{}: department {dept}: {e}", path.display()))
            })?;
        }
        if p.limits.failed_logins == 0
            || p.limits.queries_per_minute == 0
            || p.limits.login_attempts_per_minute == 0
            || p.limits.session_max_hours == 0
        {
            return Err(Error::BadInput(format!(
                "{}: failed_logins, login_attempts_per_minute, session_max_hours and queries_per_minute must be at least 1",
                path.display()
            )));
        }
        // A custom field is a column named by its header made an identifier (信用额度(元) →
        // 信用额度_元): a rule written with the header as shown applies to that column.
        let fields = std::mem::take(&mut p.fields);
        p.fields = fields
            .into_iter()
            .map(|(f, by_role)| (kesou_domain::text::field_column(&f).unwrap_or(f), by_role))
            .collect();
        Ok(p)
    }

    /// What a role sees of a field.
    pub fn access(&self, role: Role, field: &str) -> FieldAccess {
        self.fields
            .get(field)
            .and_then(|by_role| by_role.get(&role))
            .copied()
            .unwrap_or(FieldAccess::Show)
    }

    /// Every field with a rule, and what the role sees of it.
    pub fn rules_for(&self, role: Role) -> BTreeMap<String, FieldAccess> {
        self.fields
            .keys()
            .map(|f| (f.clone(), self.access(role, f)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_masks_contacts_and_hides_them_from_finance() {
        let p = Policy::default();
        assert_eq!(p.access(Role::Admin, "contact_phone"), FieldAccess::Show);
        assert_eq!(p.access(Role::Sales, "contact_phone"), FieldAccess::Mask);
        assert_eq!(p.access(Role::Finance, "email"), FieldAccess::Hide);
        assert_eq!(
            p.access(Role::Finance, "annual_purchase"),
            FieldAccess::Show
        );
        assert_eq!(p.departments["华北事业部"], ["华北", "东北"]);
    }

    #[test]
    fn a_custom_field_s_rule_may_name_it_by_its_header() {
        let text = format!(
            "{}\n[fields.\"信用额度(元)\"]\n\"业务员\" = \"hide\"\n",
            crate::DEFAULT_POLICY
        );
        let p = Policy::parse(&text, Path::new("p.toml")).unwrap();
        assert_eq!(p.access(Role::Sales, "信用额度_元"), FieldAccess::Hide);
        assert_eq!(p.access(Role::Sales, "contact_phone"), FieldAccess::Mask);
    }

    #[test]
    fn bad_policies_say_where() {
        let e = Policy::parse(
            "[departments]\nx = [\"火星\"]\n[limits]\nfailed_logins=1\nlockout_minutes=1\nsession_idle_minutes=1\nqueries_per_minute=1\nexports_per_hour=1\n",
            Path::new("p.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("p.toml") && e.contains("department x"), "{e}");
        let e = Policy::parse("[fields.email]\n老板 = \"show\"\n", Path::new("p.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("p.toml"), "{e}");
    }
}
