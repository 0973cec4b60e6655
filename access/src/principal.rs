//! Who a request runs as: a user's name and role, the rows they may see ([`Scope`]) and
//! what they see of each field. Every read path asks the principal: the scope goes into
//! the query, the field rules are applied to what comes out.

use std::collections::BTreeMap;

use kesou_domain::Region;
use kesou_domain::Scope;
use kesou_domain::answer::Table;
use kesou_nlq::{Filter as QFilter, Query, Sort};
use serde::Serialize;
use serde_json::Value as Json;

use crate::policy::{FieldAccess, Policy};
use crate::users::User;
use crate::{Error, Result, Role};

/// A user as a request sees them.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The customers they may see; `None`: every customer.
    pub scope: Option<Scope>,
    /// Fields they see masked or not at all (every other field is shown).
    pub fields: BTreeMap<String, FieldAccess>,
    /// Anyone, on a server started with `--demo` and no users.
    pub demo: bool,
}

impl Principal {
    /// The principal of a user under a policy.
    pub fn of(user: &User, policy: &Policy) -> Result<Principal> {
        let owner = user.owner.clone().unwrap_or_else(|| user.name.clone());
        let scope = match user.role {
            Role::Admin => None,
            Role::Finance if user.regions.is_empty() => None,
            Role::Finance => Some(places(&user.regions, None)?),
            Role::Manager => {
                let mut regions = user.regions.clone();
                if let Some(dept) = &user.department {
                    let of_dept = policy.departments.get(dept).ok_or_else(|| {
                        Error::BadInput(format!(
                            "user {}: department {dept:?} is not in the policy's [departments]",
                            user.name
                        ))
                    })?;
                    regions.extend(of_dept.iter().cloned());
                }
                Some(places(&regions, None)?)
            }
            Role::Sales => Some(places(&user.regions, Some(owner))?),
        };
        Ok(Principal {
            name: user.name.clone(),
            role: user.role,
            scope,
            fields: policy
                .rules_for(user.role)
                .into_iter()
                .filter(|(_, a)| *a != FieldAccess::Show)
                .collect(),
            demo: false,
        })
    }

    /// Someone seeing what a role sees within a scope: the viewer of an embed link, which
    /// carries its maker's role and scope.
    pub fn for_role(name: &str, role: Role, scope: Option<Scope>, policy: &Policy) -> Principal {
        Principal {
            name: name.to_owned(),
            role,
            scope,
            fields: policy
                .rules_for(role)
                .into_iter()
                .filter(|(_, a)| *a != FieldAccess::Show)
                .collect(),
            demo: false,
        }
    }

    /// Anyone on a demo server without users: an administrator.
    pub fn demo() -> Principal {
        Principal {
            name: "demo".into(),
            role: Role::Admin,
            scope: None,
            fields: BTreeMap::new(),
            demo: true,
        }
    }

    /// The command line of the machine the server runs on, through the store's server
    /// file (owner-only, like the database: whoever reads it may read the store): acts as
    /// an administrator, audited under this name.
    pub fn local() -> Principal {
        Principal {
            name: "本机命令行".into(),
            role: Role::Admin,
            scope: None,
            fields: BTreeMap::new(),
            demo: false,
        }
    }

    /// What the principal sees of a field.
    pub fn access(&self, field: &str) -> FieldAccess {
        self.fields.get(field).copied().unwrap_or(FieldAccess::Show)
    }

    /// The one question every read path asks before it touches a field on a principal's
    /// behalf: may they `what` (filter, sort, group, measure, count facets of, embed) by
    /// `field`? Only a field they see in full: a masked phone number must not be found out
    /// digit by digit through filters, nor its order through a sort. The name is compared
    /// folded (any case or width), so a spelling the executor would still accept is never
    /// let through.
    pub fn may(&self, what: FieldUse, field: &str) -> Result<()> {
        let folded = kesou_domain::text::to_halfwidth(field.trim()).to_ascii_lowercase();
        if self.access(&folded) != FieldAccess::Show || self.access(field) != FieldAccess::Show {
            return Err(Error::Forbidden(format!(
                "your role ({}) may not {} by {field}",
                self.role,
                what.verb()
            )));
        }
        Ok(())
    }

    /// Refuses a query that filters, sorts, groups or measures by a field the principal
    /// does not see in full, and a re-sort (`sort`) by one.
    pub fn check_query(&self, query: &Query, sort: Option<&Sort>) -> Result<()> {
        self.check_filters(&query.filters)?;
        for s in query.sort.iter().chain(sort) {
            self.may(FieldUse::Sort, &s.field)?;
        }
        for g in &query.group_by {
            self.may(FieldUse::Group, &g.field)?;
        }
        for f in query.measures.iter().filter_map(|m| m.field.as_deref()) {
            self.may(FieldUse::Measure, f)?;
        }
        Ok(())
    }

    /// Refuses filters on a field the principal does not see in full. The filters are the
    /// typed ones of the one filter reader, their fields already resolved.
    pub fn check_filters<'a>(&self, filters: impl IntoIterator<Item = &'a QFilter>) -> Result<()> {
        let mut used: Vec<&str> = Vec::new();
        for f in filters {
            fields_of(f, &mut used);
        }
        used.into_iter()
            .try_for_each(|f| self.may(FieldUse::Filter, f))
    }

    /// Applies the field rules to an answer: hidden columns removed, masked values masked.
    pub fn apply_to_table(&self, table: &mut Table) {
        if self.fields.is_empty() {
            return;
        }
        let mut keep = Vec::with_capacity(table.columns.len());
        for c in &table.columns {
            keep.push(self.access(&c.name));
        }
        for row in &mut table.rows {
            let mut i = 0;
            row.retain_mut(|v| {
                let a = keep.get(i).copied().unwrap_or(FieldAccess::Show);
                let name = &table.columns.get(i).map(|c| c.name.as_str());
                i += 1;
                match a {
                    FieldAccess::Show => true,
                    FieldAccess::Hide => false,
                    FieldAccess::Mask => {
                        *v = mask_json(name.unwrap_or(""), v);
                        true
                    }
                }
            });
        }
        let mut i = 0;
        table.columns.retain(|_| {
            let k = keep[i] != FieldAccess::Hide;
            i += 1;
            k
        });
    }

    /// Applies the field rules to an answer as JSON (`columns` with names and `rows`), or
    /// to the `answer` inside it (a dashboard).
    pub fn apply_to_answer_json(&self, v: &mut Json) {
        if self.fields.is_empty() {
            return;
        }
        if v.get("columns").is_none()
            && let Some(inner) = v.get_mut("answer")
        {
            return self.apply_to_answer_json(inner);
        }
        let Some(columns) = v.get("columns").and_then(Json::as_array) else {
            return;
        };
        let access: Vec<(String, FieldAccess)> = columns
            .iter()
            .map(|c| {
                let name = c
                    .get("name")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_owned();
                let a = self.access(&name);
                (name, a)
            })
            .collect();
        if let Some(rows) = v.get_mut("rows").and_then(Json::as_array_mut) {
            for row in rows.iter_mut().filter_map(Json::as_array_mut) {
                let mut i = 0;
                row.retain_mut(|cell| {
                    let keep = match access.get(i) {
                        Some((_, FieldAccess::Hide)) => false,
                        Some((name, FieldAccess::Mask)) => {
                            *cell = mask_json(name, cell);
                            true
                        }
                        _ => true,
                    };
                    i += 1;
                    keep
                });
            }
        }
        if let Some(columns) = v.get_mut("columns").and_then(Json::as_array_mut) {
            let mut i = 0;
            columns.retain(|_| {
                let keep = !matches!(access.get(i), Some((_, FieldAccess::Hide)));
                i += 1;
                keep
            });
        }
    }

    /// Applies the field rules to a named value: `None` when hidden.
    pub fn apply_to_value(&self, field: &str, value: &Json) -> Option<Json> {
        match self.access(field) {
            FieldAccess::Show => Some(value.clone()),
            FieldAccess::Mask => Some(mask_json(field, value)),
            FieldAccess::Hide => None,
        }
    }
}

/// What a request does with a field, for [`Principal::may`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldUse {
    Filter,
    Sort,
    Group,
    Measure,
    Facet,
}

impl FieldUse {
    fn verb(self) -> &'static str {
        match self {
            FieldUse::Filter => "filter",
            FieldUse::Sort => "sort",
            FieldUse::Group => "group",
            FieldUse::Measure => "measure",
            FieldUse::Facet => "count facets",
        }
    }
}

/// The scope of places (大区 or provinces) and, for a salesperson, their own customers.
fn places(places: &[String], owner: Option<String>) -> Result<Scope> {
    let (mut regions, mut provinces) = (Vec::new(), Vec::new());
    for p in places {
        if Region::parse(p).is_some() {
            regions.push(p.clone());
        } else {
            provinces.push(p.clone());
        }
    }
    let mut rules = vec![
        ("region".to_owned(), regions),
        ("province".to_owned(), provinces),
    ];
    if let Some(o) = owner {
        rules.push(("owner".to_owned(), vec![o]));
    }
    Scope::new(rules).map_err(|e| Error::BadInput(e.to_string()))
}

fn fields_of<'q>(f: &'q QFilter, out: &mut Vec<&'q str>) {
    match f {
        QFilter::Field(c) => out.push(&c.field),
        QFilter::Any { any: fs, .. } | QFilter::All { all: fs, .. } => {
            fs.iter().for_each(|f| fields_of(f, out));
        }
        QFilter::Not { not, .. } => fields_of(not, out),
        // Conditions on related tables name their own fields (orders, interactions).
        QFilter::Related(_) => {}
    }
}

/// A masked value: phone numbers keep their first 3 and last 4 digits (138****8000), e-mail
/// its first letter and domain (z***@example.com), anything else its first character.
pub fn mask_json(field: &str, v: &Json) -> Json {
    match v {
        Json::String(s) => Json::String(mask(field, s)),
        Json::Null => Json::Null,
        _ => Json::String("***".into()),
    }
}

pub fn mask(field: &str, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if field.contains("phone") {
        let digits = chars.iter().filter(|c| c.is_ascii_digit()).count();
        if digits >= 7 {
            let head: String = chars.iter().take(3).collect();
            let tail: String = chars[chars.len() - 4..].iter().collect();
            return format!("{head}****{tail}");
        }
        return "****".into();
    }
    if field.contains("email")
        && let Some((user, domain)) = s.split_once('@')
    {
        let first: String = user.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    match chars.first() {
        Some(c) => format!(
            "{c}{}",
            "*".repeat(chars.len().saturating_sub(1).clamp(1, 3))
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_the_plans_show() {
        assert_eq!(mask("contact_phone", "13812348000"), "138****8000");
        assert_eq!(mask("contact_phone", "0571-8888 1234"), "057****1234");
        assert_eq!(mask("contact_phone", "12345"), "****");
        assert_eq!(mask("email", "zhang.wei@example.com"), "z***@example.com");
        assert_eq!(mask("contact_name", "张伟"), "张*");
        assert_eq!(mask("contact_name", "欧阳娜娜"), "欧***");
        assert_eq!(mask_json("x", &Json::from(3)), Json::from("***"));
    }

    fn user(role: Role, regions: &[&str], department: Option<&str>) -> User {
        User {
            regions: regions.iter().map(|s| s.to_string()).collect(),
            department: department.map(str::to_owned),
            ..User::new("王芳", role)
        }
    }

    #[test]
    fn scopes_follow_roles() {
        let p = Policy::default();
        let of = |u: User| Principal::of(&u, &p).unwrap().scope.map(|s| s.to_string());
        assert_eq!(of(user(Role::Admin, &["华东"], None)), None);
        assert_eq!(of(user(Role::Finance, &[], None)), None);
        assert_eq!(
            of(user(Role::Sales, &["华东", "广东"], None)).unwrap(),
            "region=华东 | province=广东省 | owner=王芳"
        );
        assert_eq!(
            of(user(Role::Manager, &[], Some("华北事业部"))).unwrap(),
            "region=东北,华北"
        );
        assert_eq!(of(user(Role::Manager, &[], None)).unwrap(), "(nothing)");
        assert!(Principal::of(&user(Role::Manager, &[], Some("火星部")), &p).is_err());
        assert!(Principal::of(&user(Role::Sales, &["火星"], None), &p).is_err());
    }

    #[test]
    fn tables_lose_hidden_columns_and_mask_the_rest() {
        use kesou_domain::answer::{AnswerKind, Column};
        use kesou_nlq::FieldKind;
        let col = |n: &str| Column {
            name: n.into(),
            label: n.into(),
            kind: FieldKind::Text,
        };
        let table = || Table {
            kind: AnswerKind::List,
            columns: vec![col("id"), col("contact_phone"), col("email")],
            rows: vec![vec![
                Json::from("C1"),
                Json::from("13812348000"),
                Json::from("a@b.cn"),
            ]],
            total: 1,
            ordered_by: String::new(),
            retrieval: None,
            retrieval_note: None,
        };
        let p = Policy::default();
        let mut t = table();
        Principal::of(&user(Role::Sales, &["华东"], None), &p)
            .unwrap()
            .apply_to_table(&mut t);
        assert_eq!(
            t.rows[0],
            [
                Json::from("C1"),
                Json::from("138****8000"),
                Json::from("a***@b.cn")
            ]
        );
        let mut t = table();
        let finance = Principal::of(&user(Role::Finance, &[], None), &p).unwrap();
        finance.apply_to_table(&mut t);
        assert_eq!(t.columns.len(), 1);
        assert_eq!(t.rows[0], [Json::from("C1")]);
        assert!(finance.may(FieldUse::Filter, "email").is_err());
        assert!(finance.may(FieldUse::Sort, "EMAIL").is_err());
        assert!(finance.may(FieldUse::Sort, "ＥＭＡＩＬ").is_err());
        assert!(finance.may(FieldUse::Filter, "annual_purchase").is_ok());
    }
}
