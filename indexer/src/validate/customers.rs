//! One customer row: every contract rule checked, with the reason for a rejection.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use kesou_domain::{CustomerId, Industry, Region, Size, credit_code, geo, text::name_key};

use super::fields::{FieldResult, Fields};

/// A validated customer, ready for staging.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub credit_code: String,
    pub region: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub employees: Option<i32>,
    pub registered_capital: Option<f64>,
    pub founded_date: Option<NaiveDate>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub created_at: Option<NaiveDateTime>,
    pub name_key: String,
}

// Column positions in `Table::Customers.columns()`.
const ID: usize = 0;
const NAME: usize = 1;
const CODE: usize = 2;
const REGION: usize = 3;
const PROVINCE: usize = 4;
const CITY: usize = 5;
const INDUSTRY: usize = 6;
const SIZE: usize = 7;
const EMPLOYEES: usize = 8;
const CAPITAL: usize = 9;
const FOUNDED: usize = 10;
const OWNER: usize = 11;
const TAGS: usize = 12;
const CONTACT: usize = 13;
const PHONE: usize = 14;
const EMAIL: usize = 15;
const DESCRIPTION: usize = 16;
const CREATED: usize = 17;

/// Who owns which id and credit code: the store's customers plus those accepted so far in
/// this run. A credit code is a company's identity: the same code is an update of that
/// customer; an id cannot change its code, and a code cannot move to another id.
#[derive(Debug, Default)]
pub struct Identities {
    pub code_of: HashMap<String, String>,
    pub id_of: HashMap<String, String>,
}

/// The id and credit code a customer row claims, read as [`validate_customer`] reads them
/// (trimmed; the code half-width and upper-cased), `None` where absent or unreadable: the
/// identities to look up before validating a few rows without loading every customer's.
pub fn claimed_identity(f: &mut Fields<'_>) -> (Option<String>, Option<String>) {
    let id = f.required(ID).ok();
    let code = f
        .halfwidth(CODE)
        .ok()
        .flatten()
        .map(|c| c.to_ascii_uppercase());
    (id, code)
}

/// Validates a customer row. Only a row that cannot be identified (no id and no name, and
/// no credit code of a known customer) is rejected; any other value that fails its check is
/// set aside (`f.set_aside`, the field left empty) and the row loads.
pub fn validate_customer(f: &mut Fields<'_>, ids: &mut Identities) -> FieldResult<CustomerRow> {
    let id_text = f.text(ID);
    let id = f
        .aside(id_text)
        .and_then(|raw| match CustomerId::parse(&raw) {
            Ok(id) => Some(id.into_string()),
            Err(reason) => {
                let r = f.reject("id", &raw, reason);
                f.aside::<String>(Err(r))
            }
        });
    let name_text = f.text(NAME);
    let name = f.aside(name_text).and_then(|name| {
        if name.chars().count() > 100 {
            let r = f.reject("name", &name, "is longer than 100 characters");
            f.aside::<String>(Err(r))
        } else {
            Some(name)
        }
    });
    let (code, kind) = identity_code(f);

    // Who the row is: its id; else the customer its credit code names; else an id made
    // from its name.
    let id = match (id, &code) {
        (Some(id), _) => id,
        (None, Some(code)) if ids.id_of.contains_key(code) => {
            let id = ids.id_of[code].clone();
            note(f, "id", "", &id, "id of the customer with this credit code");
            id
        }
        (None, _) => match &name {
            Some(name) => {
                let id = id_from_name(name);
                note(f, "id", "", &id, "id made from the name (no id given)");
                id
            }
            None => {
                return Err(f.reject(
                    "id",
                    "",
                    "cannot be identified: no id, no name and no credit code of a known customer",
                ));
            }
        },
    };
    let name = match name {
        Some(name) => name,
        None => {
            let r = f.reject("name", "", "is required but empty");
            f.aside::<String>(Err(r));
            String::new()
        }
    };
    // A credit code is a company's identity: one claimed by another customer, or other
    // than the one this customer has, is set aside and the customer keeps its own.
    let known = ids.code_of.get(&id).filter(|c| !c.is_empty()).cloned();
    let mut tags_flag = kind.tag();
    let code = match code {
        Some(code) => match (ids.id_of.get(&code), &known) {
            (Some(other), _) if *other != id => {
                let r = f.reject(
                    "credit_code",
                    &code,
                    format!("already belongs to customer {other}; a company keeps one id"),
                );
                f.aside::<String>(Err(r));
                tags_flag = None;
                known.unwrap_or_default()
            }
            (_, Some(mine)) if *mine != code => {
                let r = f.reject(
                    "credit_code",
                    &code,
                    format!(
                        "customer {id} has credit_code {mine}; a customer's code cannot change (delete it first)"
                    ),
                );
                f.aside::<String>(Err(r));
                tags_flag = None;
                mine.clone()
            }
            _ => code,
        },
        None => known.unwrap_or_default(),
    };

    let province_text = f.text(PROVINCE);
    let province = f
        .aside(province_text)
        .and_then(|raw| match geo::province(&raw) {
            Some(p) => {
                if p.name != raw {
                    note(f, "province", &raw, p.name, "short form to full name");
                }
                Some(p)
            }
            None => {
                let r = f.reject(
                    "province",
                    &raw,
                    "is not a province of mainland China (write e.g. 浙江省 or 浙江)",
                );
                f.aside::<&geo::Province>(Err(r))
            }
        });
    if province.is_none() && f.set_aside.iter().all(|r| r.column != "province") {
        let r = f.reject("province", "", "is required but empty");
        f.aside::<String>(Err(r));
    }
    let region_text = f.text(REGION);
    let region = match (f.aside(region_text), province) {
        (None, Some(p)) => {
            note(
                f,
                "region",
                "",
                p.region.zh(),
                "region derived from province",
            );
            Some(p.region)
        }
        (None, None) => None,
        (Some(r), province) => match (Region::parse(&r), province) {
            (None, _) => {
                let rej = f.reject(
                    "region",
                    &r,
                    "is not a 大区; expected one of 华东 华南 华北 华中 西南 西北 东北",
                );
                f.aside::<String>(Err(rej));
                province.map(|p| p.region)
            }
            (Some(region), Some(p)) if region != p.region => {
                let rej = f.reject(
                    "region",
                    &r,
                    format!(
                        "{} belongs to {}, not {}",
                        p.name,
                        p.region.zh(),
                        region.zh()
                    ),
                );
                f.aside::<String>(Err(rej));
                Some(p.region)
            }
            (Some(region), _) => Some(region),
        },
    };
    let city_text = f.text(CITY);
    let city = match f.aside(city_text) {
        None => None,
        Some(c) => match (geo::city(&c), province) {
            (Some((p, _)), Some(province)) if p.name != province.name => {
                let r = f.reject(
                    "city",
                    &c,
                    format!("is in {}, not in {}", p.name, province.name),
                );
                f.aside::<String>(Err(r))
            }
            (Some((_, full)), _) => {
                if full != c {
                    note(f, "city", &c, full, "short form to full name");
                }
                Some(full.to_owned())
            }
            (None, _) => Some(c),
        },
    };
    let industry_text = f.required(INDUSTRY).map(Some);
    let industry = f.aside(industry_text).and_then(|raw| match Industry::from_word(&raw) {
        Some(industry) => {
            if industry.zh() != raw {
                note(f, "industry", &raw, industry.zh(), "industry synonym to canonical name");
            }
            Some(industry.zh().to_owned())
        }
        None => {
            let r = f.reject("industry", &raw, "is not a known industry; expected one of 科技 制造 金融 零售 医疗 教育 物流 能源 建筑 餐饮 农业 传媒");
            f.aside::<String>(Err(r))
        }
    });
    let size_text = f.text(SIZE);
    let size = f.aside(size_text).and_then(|s| match Size::parse(&s) {
        Some(size) => Some(size.zh().to_owned()),
        None => {
            let r = f.reject("size", &s, "is not a size; expected 微型 小型 中型 大型");
            f.aside::<String>(Err(r))
        }
    });
    let employees = f.integer(EMPLOYEES, 0);
    let employees = f.aside(employees).map(|v| v as i32);
    let capital = f.number(CAPITAL, 0.0);
    let registered_capital = f.aside(capital);
    let founded = f.date(FOUNDED);
    let founded_date = f.aside(founded);
    let owner = f.text(OWNER);
    let owner = f.aside(owner);
    let tags = f.list(TAGS).map(Some);
    let mut tags = f.aside(tags).unwrap_or_default();
    if let Some((tag, rule)) = tags_flag {
        note(f, "credit_code", &code, tag, rule);
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    let contact = f.text(CONTACT);
    // A name that reads as kesou's own ciphertext would be taken for one on the way out
    // (phones and e-mails of that form fail their own checks).
    let contact_name = f.aside(contact).and_then(|v| {
        if crate::crypt::is_sealed(&v) {
            let r = f.reject(
                "contact_name",
                &v,
                "looks like an encrypted value; give the plain name",
            );
            f.aside::<String>(Err(r))
        } else {
            Some(v)
        }
    });
    let phone = f.halfwidth(PHONE);
    let contact_phone = f.aside(phone).and_then(|p| match check_phone(&p) {
        Ok(p) => Some(p),
        Err(reason) => {
            let r = f.reject("contact_phone", &p, reason);
            f.aside::<String>(Err(r))
        }
    });
    let email = f.text(EMAIL);
    let email = f.aside(email).and_then(|e| match check_email(&e) {
        Ok(e) => Some(e),
        Err(reason) => {
            let r = f.reject("email", &e, reason);
            f.aside::<String>(Err(r))
        }
    });
    let description = f.text(DESCRIPTION);
    let description = f.aside(description);
    let created = f.timestamp(CREATED);
    let created_at = f.aside(created);

    ids.code_of.insert(id.clone(), code.clone());
    if !code.is_empty() {
        ids.id_of.insert(code.clone(), id.clone());
    }

    Ok(CustomerRow {
        name_key: name_key(&name),
        id,
        name,
        credit_code: code,
        region: region.map(|r| r.zh().to_owned()),
        province: province.map(|p| p.name.to_owned()),
        city,
        industry,
        size,
        employees,
        registered_capital,
        founded_date,
        owner,
        tags,
        contact_name,
        contact_phone,
        email,
        description,
        created_at,
    })
}

/// Which identity code a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeKind {
    /// The 18-character 统一社会信用代码 (or none).
    Credit,
    /// A 15-digit 工商注册号 of the years before the credit code.
    Registration,
    /// A 9-character 组织机构代码 (GB 11714), `12345678-9` or without the dash.
    Organisation,
}

impl CodeKind {
    /// The source tag that flags a customer identified by an older code, and the
    /// normalisation rule recorded.
    fn tag(self) -> Option<(&'static str, &'static str)> {
        match self {
            CodeKind::Credit => None,
            CodeKind::Registration => Some((
                "注册号代替信用代码",
                "15-digit 注册号 kept as identity (no credit code)",
            )),
            CodeKind::Organisation => Some((
                "组织机构代码代替信用代码",
                "9-character organisation code kept as identity (no credit code)",
            )),
        }
    }
}

/// The row's identity code: a valid credit code, or where there is none a 15-digit 注册号
/// or a 9-character organisation code (flagged); anything else is set aside.
fn identity_code(f: &mut Fields<'_>) -> (Option<String>, CodeKind) {
    let text = f.halfwidth(CODE);
    let Some(code) = f.aside(text) else {
        return (None, CodeKind::Credit);
    };
    let upper = code.to_ascii_uppercase();
    match credit_code::validate(&upper) {
        Ok(()) => {
            if upper != code {
                note(f, "credit_code", &code, &upper, "upper-cased");
            }
            (Some(upper), CodeKind::Credit)
        }
        Err(reason) => {
            if registration_number(&upper) {
                return (Some(upper), CodeKind::Registration);
            }
            if let Some(org) = organisation_code(&upper) {
                if org != code {
                    note(
                        f,
                        "credit_code",
                        &code,
                        &org,
                        "organisation code written XXXXXXXX-X",
                    );
                }
                return (Some(org), CodeKind::Organisation);
            }
            let r = f.reject("credit_code", &code, reason);
            (f.aside::<String>(Err(r)), CodeKind::Credit)
        }
    }
}

/// A 15-digit 工商注册号: digits, starting with a province's division code (11–65). Its
/// last digit's check (GB/T 17710) was applied unevenly across provinces, so it is not
/// required.
fn registration_number(code: &str) -> bool {
    code.len() == 15
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(
            code[..2].parse::<u8>(),
            Ok(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65)
        )
}

/// A 9-character 组织机构代码 (GB 11714: eight digits or capital letters and a check
/// character, 0–9 or X), written back as `XXXXXXXX-X`.
fn organisation_code(code: &str) -> Option<String> {
    let plain: String = code.chars().filter(|c| *c != '-').collect();
    if plain.len() != 9 || code.len() > 10 || !plain.is_ascii() {
        return None;
    }
    let (body, check) = plain.split_at(8);
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0;
    for (c, w) in body.chars().zip(WEIGHTS) {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return None,
        };
        sum += v * w;
    }
    let expected = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10)?,
    };
    (check.starts_with(expected)).then(|| format!("{body}-{check}"))
}

/// An id for a customer exported without one, the same for the same name every time
/// (`N-` and 16 hex digits of the SHA-256 of its name key).
fn id_from_name(name: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(name_key(name).as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("N-{hex}")
}

fn note(f: &mut Fields<'_>, column: &str, before: &str, after: &str, rule: &'static str) {
    f.normalized.push(super::fields::Normalization {
        file: f.file.to_owned(),
        line: f.record.line,
        column: column.to_owned(),
        before: before.to_owned(),
        after: after.to_owned(),
        rule,
    });
}

/// A mainland mobile (11 digits, 1[3-9]…) or a landline with area code (0xx-xxxxxxx(x)),
/// optionally with +86. Spaces and dashes inside are allowed; the value is kept as written.
pub fn check_phone(p: &str) -> Result<String, String> {
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits);
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("phone number may hold only digits, spaces, '-' and a leading +86".into());
    }
    let mobile = digits.len() == 11
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
    if mobile || landline {
        Ok(p.to_owned())
    } else {
        Err(format!(
            "has {} digits; expected a mobile number of 11 digits starting 13-19 or a landline with area code",
            digits.len()
        ))
    }
}

pub fn check_email(e: &str) -> Result<String, String> {
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(char::is_whitespace);
    if ok {
        Ok(e.to_owned())
    } else {
        Err("is not an e-mail address".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_identity_codes_are_recognised() {
        assert!(registration_number("441100073809477"));
        assert!(!registration_number("991100073809477"));
        assert!(!registration_number("44110007380947"));
        assert_eq!(
            organisation_code("D2143569-X").as_deref(),
            Some("D2143569-X")
        );
        assert_eq!(
            organisation_code("D2143569X").as_deref(),
            Some("D2143569-X")
        );
        assert_eq!(organisation_code("D2143569-1"), None);
        assert_eq!(organisation_code("D214356"), None);
    }

    #[test]
    fn an_id_made_from_a_name_is_stable() {
        let a = id_from_name("苏州恒瑞精密机械有限公司");
        assert_eq!(a, id_from_name("苏州恒瑞精密机械有限公司"));
        assert_ne!(a, id_from_name("杭州恒瑞精密机械有限公司"));
        assert!(CustomerId::parse(&a).is_ok() && a.starts_with("N-"));
    }
}
