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
    pub region: String,
    pub province: String,
    pub city: Option<String>,
    pub industry: String,
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

pub fn validate_customer(f: &mut Fields<'_>, ids: &mut Identities) -> FieldResult<CustomerRow> {
    let id_raw = f.required(ID)?;
    let id = CustomerId::parse(&id_raw)
        .map_err(|reason| f.reject("id", &id_raw, reason))?
        .into_string();
    let name = f.required(NAME)?;
    if name.chars().count() > 100 {
        return Err(f.reject("name", &name, "is longer than 100 characters"));
    }
    let code = f
        .halfwidth(CODE)?
        .ok_or_else(|| f.reject("credit_code", "", "is required but empty"))?;
    let upper = code.to_ascii_uppercase();
    credit_code::validate(&upper).map_err(|reason| f.reject("credit_code", &code, reason))?;
    if upper != code {
        note(f, "credit_code", &code, &upper, "upper-cased");
    }
    let code = upper;

    let province_raw = f.required(PROVINCE)?;
    let province = geo::province(&province_raw).ok_or_else(|| {
        f.reject(
            "province",
            &province_raw,
            "is not a province of mainland China (write e.g. 浙江省 or 浙江)",
        )
    })?;
    if province.name != province_raw {
        note(
            f,
            "province",
            &province_raw,
            province.name,
            "short form to full name",
        );
    }
    let region = match f.text(REGION)? {
        None => {
            note(
                f,
                "region",
                "",
                province.region.zh(),
                "region derived from province",
            );
            province.region
        }
        Some(r) => {
            let region = Region::parse(&r).ok_or_else(|| {
                f.reject(
                    "region",
                    &r,
                    "is not a 大区; expected one of 华东 华南 华北 华中 西南 西北 东北",
                )
            })?;
            if region != province.region {
                return Err(f.reject(
                    "region",
                    &r,
                    format!(
                        "{} belongs to {}, not {}",
                        province.name,
                        province.region.zh(),
                        region.zh()
                    ),
                ));
            }
            region
        }
    };
    let city = match f.text(CITY)? {
        None => None,
        Some(c) => Some(match geo::city(&c) {
            Some((p, full)) if p.name == province.name => {
                if full != c {
                    note(f, "city", &c, full, "short form to full name");
                }
                full.to_owned()
            }
            Some((p, _)) => {
                return Err(f.reject(
                    "city",
                    &c,
                    format!("is in {}, not in {}", p.name, province.name),
                ));
            }
            None => c,
        }),
    };
    let industry_raw = f.required(INDUSTRY)?;
    let industry = Industry::from_word(&industry_raw).ok_or_else(|| {
        f.reject("industry", &industry_raw, "is not a known industry; expected one of 科技 制造 金融 零售 医疗 教育 物流 能源 建筑 餐饮 农业 传媒")
    })?;
    if industry.zh() != industry_raw {
        note(
            f,
            "industry",
            &industry_raw,
            industry.zh(),
            "industry synonym to canonical name",
        );
    }
    let size = match f.text(SIZE)? {
        None => None,
        Some(s) => Some(
            Size::parse(&s)
                .ok_or_else(|| f.reject("size", &s, "is not a size; expected 微型 小型 中型 大型"))?
                .zh()
                .to_owned(),
        ),
    };
    let employees = f.integer(EMPLOYEES, 0)?.map(|v| v as i32);
    let registered_capital = f.number(CAPITAL, 0.0)?;
    let founded_date = f.date(FOUNDED)?;
    let owner = f.text(OWNER)?;
    let tags = f.list(TAGS)?;
    let contact_name = f.text(CONTACT)?;
    // A name that reads as kesou's own ciphertext would be taken for one on the way out
    // (phones and e-mails of that form fail their own checks).
    if let Some(v) = contact_name
        .as_deref()
        .filter(|v| crate::crypt::is_sealed(v))
    {
        return Err(f.reject(
            "contact_name",
            v,
            "looks like an encrypted value; give the plain name",
        ));
    }
    let contact_phone = match f.halfwidth(PHONE)? {
        None => None,
        Some(p) => Some(check_phone(&p).map_err(|reason| f.reject("contact_phone", &p, reason))?),
    };
    let email = match f.text(EMAIL)? {
        None => None,
        Some(e) => Some(check_email(&e).map_err(|reason| f.reject("email", &e, reason))?),
    };
    let description = f.text(DESCRIPTION)?;
    let created_at = f.timestamp(CREATED)?;

    if let Some(other) = ids.id_of.get(&code)
        && *other != id
    {
        return Err(f.reject(
            "credit_code",
            &code,
            format!("already belongs to customer {other}; a company keeps one id"),
        ));
    }
    if let Some(other) = ids.code_of.get(&id)
        && *other != code
    {
        return Err(f.reject(
            "id",
            &id,
            format!("customer {id} has credit_code {other}; a customer's code cannot change (delete it first)"),
        ));
    }
    ids.code_of.insert(id.clone(), code.clone());
    ids.id_of.insert(code.clone(), id.clone());

    Ok(CustomerRow {
        name_key: name_key(&name),
        id,
        name,
        credit_code: code,
        region: region.zh().to_owned(),
        province: province.name.to_owned(),
        city,
        industry: industry.zh().to_owned(),
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

fn check_email(e: &str) -> Result<String, String> {
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
