use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a user is, which decides the rows (with their regions and name) and the fields
/// they see. Serialised by its Chinese name, as users and the policy file write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// 管理员: every row and field; manages users, reads the audit log.
    #[serde(rename = "管理员")]
    Admin,
    /// 部门主管: the customers of their department's regions.
    #[serde(rename = "部门主管")]
    Manager,
    /// 业务员: the customers of their region(s) or owned by them.
    #[serde(rename = "业务员")]
    Sales,
    /// 财务: reads amounts, never contacts; changes nothing.
    #[serde(rename = "财务")]
    Finance,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Sales, Role::Finance];

    pub fn zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Manager => "部门主管",
            Role::Sales => "业务员",
            Role::Finance => "财务",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Finance => "finance",
        }
    }

    /// A role by its Chinese or English name.
    pub fn parse(s: &str) -> Result<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.zh() == s || r.en().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::BadInput(format!(
                    "{s:?} is not a role; roles are 管理员 (admin), 部门主管 (manager), 业务员 (sales), 财务 (finance)"
                ))
            })
    }

    /// Whether the role may change data (ingest, reports, embed links).
    pub fn may_write(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.zh())
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        Role::parse(s)
    }
}
