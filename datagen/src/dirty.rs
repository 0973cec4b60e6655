//! `--dirty`: the defects of real ERP and CRM exports, injected deterministically on top of
//! the clean data (the clean rows stay, defects alter or follow them), each from the
//! customer's own defect streams so that they too do not depend on `as_of`.
//!
//! Customer rows (about 12% of customers get one defect):
//! - **exact duplicate** (1.5%): the row appears twice, identically;
//! - **re-export** (1.5%): a second row with the same id and credit code and one field
//!   changed (phone, owner, employees, e-mail, contact person, tags or description), as
//!   when two exports of different days are concatenated;
//! - **malformed phone** (2%): too short, a letter for a digit (`O`, `l`), or 12 digits;
//! - **malformed credit code** (1.5%): wrong length (a character lost, or a 15-digit former
//!   注册号), a wrong check character, or the letter `O` for a zero;
//! - **missing required field** (1.5%): empty name, empty province or empty credit code;
//! - **same name, different code** (1%): a second company with exactly the same name, its
//!   own id (`C9` + the original's 7 digits) and a different valid credit code;
//! - **stray white space** (2%): spaces, tabs or ideographic spaces around one to three
//!   text values;
//! - **full-width characters** (1.5%): the phone number or credit code typed in full width.
//!
//! Orders (their `order_date` and `amount` are text columns in dirty data):
//! - **unknown customer** (1% of customers): an extra order of a customer missing from the
//!   export (`C8` + 7 digits), id `O` + 7 digits + `9999`;
//! - **negative amount** (0.4% of orders), **non-numeric amount** (0.4%: 待定, N/A, 面议,
//!   12,3O0.00 …), **full-width amount** (0.6%), **impossible date** (0.5%: 2024-02-30,
//!   2024-13-05, 0000-00-00 …).

use std::borrow::Cow;
use std::fmt::Write;

use kesou_domain::credit_code::ALPHABET;

use crate::batch::CustomerRow;
use crate::calendar::{self, CREATED_END, SECONDS_PER_DAY};
use crate::catalog::PRICES;
use crate::credit::{self, TWIN_OFFSET};
use crate::customer::Customer;
use crate::events::Order;
use crate::people::{self, Person};
use crate::rng::{Rng, Stream};

/// A defect of a customer row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CustomerDefect {
    Duplicate,
    ReExport,
    BadPhone,
    BadCode,
    Missing,
    SameName,
    Whitespace,
    FullWidth,
}

/// Each defect's share of customers.
const CUSTOMER_RATES: [(CustomerDefect, f64); 8] = [
    (CustomerDefect::Duplicate, 0.015),
    (CustomerDefect::ReExport, 0.015),
    (CustomerDefect::BadPhone, 0.02),
    (CustomerDefect::BadCode, 0.015),
    (CustomerDefect::Missing, 0.015),
    (CustomerDefect::SameName, 0.01),
    (CustomerDefect::Whitespace, 0.02),
    (CustomerDefect::FullWidth, 0.015),
];

/// The defect of customer `index`'s row, if any, and the stream to shape it with.
pub(crate) fn customer_defect(seed: u64, index: usize) -> (Option<CustomerDefect>, Rng) {
    let mut rng = Rng::for_customer(seed, index, Stream::Defects);
    let mut u = rng.f64();
    for (defect, rate) in CUSTOMER_RATES {
        if u < rate {
            return (Some(defect), rng);
        }
        u -= rate;
    }
    (None, rng)
}

/// Writes the customer's rows as a dirty export has them: `out(row, is_new_company)`.
pub(crate) fn customer_rows(
    seed: u64,
    c: &Customer,
    mut row: CustomerRow,
    out: &mut dyn FnMut(&CustomerRow, bool),
) {
    let (defect, mut rng) = customer_defect(seed, c.index);
    let Some(defect) = defect else {
        out(&row, false);
        return;
    };
    match defect {
        CustomerDefect::Duplicate => {
            out(&row, false);
            out(&row, false);
        }
        CustomerDefect::ReExport => {
            out(&row, false);
            re_export(&mut rng, c, &mut row);
            out(&row, false);
        }
        CustomerDefect::BadPhone => {
            row.contact_phone = bad_phone(&mut rng, &row.contact_phone);
            out(&row, false);
        }
        CustomerDefect::BadCode => {
            row.credit_code = bad_code(&mut rng, &row.credit_code);
            out(&row, false);
        }
        CustomerDefect::Missing => {
            match rng.weighted(&[45, 40, 15]) {
                0 => row.name.clear(),
                1 => row.province = Cow::Borrowed(""),
                _ => row.credit_code.clear(),
            }
            out(&row, false);
        }
        CustomerDefect::SameName => {
            out(&row, false);
            let twin = twin(seed, &mut rng, c, row);
            out(&twin, true);
        }
        CustomerDefect::Whitespace => {
            for _ in 0..rng.int(1, 3) {
                pad(&mut rng, &mut row);
            }
            out(&row, false);
        }
        CustomerDefect::FullWidth => {
            if rng.chance(0.6) {
                row.contact_phone = full_width(&row.contact_phone);
            } else {
                row.credit_code = full_width(&row.credit_code);
            }
            out(&row, false);
        }
    }
}

fn re_export(rng: &mut Rng, c: &Customer, row: &mut CustomerRow) {
    match rng.below(7) {
        0 => {
            row.contact_phone.clear();
            people::phone(rng, c.identity.city, &mut row.contact_phone);
        }
        1 => {
            let reps = people::reps(c.identity.province.region);
            row.owner = Cow::Borrowed(reps[rng.below(reps.len())].as_str());
        }
        2 => {
            let (lo, hi) =
                [(1, 9), (10, 99), (100, 999), (1000, i32::MAX)][c.identity.size as usize];
            row.employees =
                ((f64::from(row.employees) * rng.range(0.8, 1.25)).round() as i32).clamp(lo, hi);
        }
        3 => {
            row.email.clear();
            let mut trade = String::new();
            c.identity.name.trade_pinyin(&mut trade);
            people::email(rng, &c.contact, &trade, &mut row.email);
        }
        4 => {
            let contact = Person::draw(rng);
            row.contact_name = contact.name();
            row.contact_phone.clear();
            people::phone(rng, c.identity.city, &mut row.contact_phone);
        }
        5 => {
            if !row.tags.contains(&"重点客户") {
                row.tags.push("重点客户");
            }
        }
        _ => {
            let _ = write!(
                row.description,
                "{}年完成新一轮融资，业务规模持续扩大。",
                rng.int(2019, 2025)
            );
        }
    }
}

/// A second company with the same name: its own id, a different valid code, other people.
fn twin(seed: u64, rng: &mut Rng, c: &Customer, mut row: CustomerRow) -> CustomerRow {
    row.id = format!("C9{:07}", c.index + 1);
    row.credit_code = credit::code(
        seed,
        c.index + TWIN_OFFSET,
        c.identity.province,
        c.identity.city,
        c.founded,
    );
    let contact = Person::draw(rng);
    row.contact_name = contact.name();
    row.contact_phone.clear();
    people::phone(rng, c.identity.city, &mut row.contact_phone);
    row.email.clear();
    let mut trade = String::new();
    c.identity.name.trade_pinyin(&mut trade);
    people::email(rng, &contact, &trade, &mut row.email);
    let created_day = (row.created_at / SECONDS_PER_DAY) as i32;
    let later = (created_day + rng.int(30, 900) as i32).min(CREATED_END);
    row.created_at = i64::from(later) * SECONDS_PER_DAY + rng.int(9 * 3600, 18 * 3600);
    row
}

fn bad_phone(rng: &mut Rng, phone: &str) -> String {
    let mut p = phone.to_owned();
    match rng.below(3) {
        0 => {
            let keep = p.len() - rng.int(1, 3) as usize;
            p.truncate(keep);
        }
        1 => {
            let digits: Vec<usize> = p
                .char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .skip(3)
                .collect();
            let at = digits[rng.below(digits.len())];
            p.replace_range(at..at + 1, rng.word(&["O", "o", "l", "I"]));
        }
        _ => {
            let _ = write!(p, "{}", rng.below(10));
        }
    }
    p
}

fn bad_code(rng: &mut Rng, code: &str) -> String {
    let mut c = code.to_owned();
    match rng.below(4) {
        0 => {
            let at = rng.below(18);
            c.remove(at);
        }
        1 => {
            c.clear();
            let _ = write!(
                c,
                "{}{:03}{:06}",
                &code[2..8],
                rng.below(1000),
                rng.below(1_000_000)
            );
        }
        2 => {
            let current = ALPHABET
                .iter()
                .position(|a| *a == code.as_bytes()[17])
                .unwrap_or(0);
            let other = ALPHABET[(current + 1 + rng.below(ALPHABET.len() - 1)) % ALPHABET.len()];
            c.replace_range(17..18, &(other as char).to_string());
        }
        _ => {
            let at = code[2..].find('0').map_or(2, |i| i + 2);
            c.replace_range(at..at + 1, "O");
        }
    }
    c
}

/// Wraps one text value in stray white space.
fn pad(rng: &mut Rng, row: &mut CustomerRow) {
    let (before, after) = *rng.pick(&[
        (" ", ""),
        ("", " "),
        (" ", " "),
        ("\t", ""),
        ("", "\u{3000}"),
        ("\u{3000}", ""),
        ("", "  "),
    ]);
    let wrap = |v: &str| format!("{before}{v}{after}");
    match rng.below(9) {
        0 => row.name = wrap(&row.name),
        1 => row.city = Cow::Owned(wrap(&row.city)),
        2 => row.province = Cow::Owned(wrap(&row.province)),
        3 => row.industry = Cow::Owned(wrap(&row.industry)),
        4 => row.owner = Cow::Owned(wrap(&row.owner)),
        5 => row.contact_name = wrap(&row.contact_name),
        6 => row.email = wrap(&row.email),
        7 => row.credit_code = wrap(&row.credit_code),
        _ => row.contact_phone = wrap(&row.contact_phone),
    }
}

/// ASCII letters, digits and punctuation in their full-width forms (１３８…, ９１３３…).
pub(crate) fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if ('!'..='~').contains(&c) {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// The order defects of one customer, drawn in order-history order.
pub(crate) struct OrderDefects {
    rng: Rng,
    /// `(day, amount, product)` of an order of a customer missing from the export.
    orphan: Option<(i32, f64, usize)>,
    pub date: String,
    pub amount: String,
}

const NON_NUMERIC: &[&str] = &[
    "待定",
    "N/A",
    "面议",
    "12,3O0.00",
    "约5万",
    "-",
    "#VALUE!",
    "见合同",
];

impl OrderDefects {
    pub fn new(seed: u64, c: &Customer) -> Self {
        let mut rng = Rng::for_customer(seed, c.index, Stream::OrderDefects);
        let orphan = rng.chance(0.01).then(|| {
            let day = (c.latent.created_day + rng.exp(200.0)) as i32;
            let product = *rng.weighted_pick(&c.products);
            let amount = (PRICES[product] * rng.lognormal(0.0, 0.6) * 100.0).round() / 100.0;
            (day, amount, product)
        });
        OrderDefects {
            rng,
            orphan,
            date: String::with_capacity(12),
            amount: String::with_capacity(16),
        }
    }

    /// Writes the order's date and amount as text into `date` and `amount`, sometimes
    /// broken.
    pub fn text(&mut self, o: &Order) {
        self.plain(o);
        let u = self.rng.f64();
        if u < 0.004 {
            self.amount.insert(0, '-');
        } else if u < 0.008 {
            self.amount.clear();
            self.amount.push_str(self.rng.word(NON_NUMERIC));
        } else if u < 0.014 {
            self.amount = full_width(&self.amount);
        } else if u < 0.019 {
            let (y, m, _) = calendar::civil(o.day);
            self.date.clear();
            let _ = match self.rng.below(4) {
                0 => write!(self.date, "{y}-02-30"),
                1 => write!(self.date, "{y}-13-{:02}", self.rng.int(1, 28)),
                2 => write!(self.date, "0000-00-00"),
                _ => write!(self.date, "{y}-{m:02}-32"),
            };
        }
    }

    /// Writes the order's date and amount as text, unbroken.
    pub fn plain(&mut self, o: &Order) {
        self.date.clear();
        self.amount.clear();
        calendar::push_date(&mut self.date, o.day);
        let _ = write!(self.amount, "{:.2}", o.amount);
    }

    /// The order of a customer missing from the export, if this customer's history has
    /// one dated on or before `as_of`: its id, the unknown customer id and the order.
    pub fn orphan(&self, index: usize, as_of: i32) -> Option<(String, String, Order)> {
        let (day, amount, product) = self.orphan.filter(|(day, _, _)| *day <= as_of)?;
        let order = Order {
            seq: 9999,
            day,
            amount,
            product,
        };
        Some((
            format!("O{:07}9999", index + 1),
            format!("C8{:07}", index + 1),
            order,
        ))
    }
}

#[cfg(test)]
mod tests {
    use kesou_domain::credit_code::validate;

    use super::*;

    #[test]
    fn broken_values_are_broken() {
        let mut rng = Rng::new(8);
        let code = "91330100MA2B3C4D5X";
        let code = format!(
            "{}{}",
            &code[..17],
            kesou_domain::credit_code::check_char(&code.as_bytes()[..17]).unwrap() as char
        );
        assert_eq!(validate(&code), Ok(()));
        for _ in 0..200 {
            let bad = bad_code(&mut rng, &code);
            assert!(validate(&bad).is_err(), "{bad}");
            let phone = bad_phone(&mut rng, "13800138000");
            let ok = phone.len() == 11 && phone.bytes().all(|b| b.is_ascii_digit());
            assert!(!ok, "{phone}");
        }
        assert_eq!(full_width("138-0"), "１３８－０");
    }
}
