//! One customer of the world: its identity (persona, place, size, name), its observable
//! attributes and its latent behaviour. Everything is a pure function of the seed and the
//! customer's index, drawn from the customer's own streams, and none of it depends on
//! `as_of`.

use std::sync::OnceLock;

use kesou_domain::geo::{self, Province};
use kesou_domain::{Industry, Region, Size};

use crate::calendar::{self, CREATED_END, FOUNDING_START, SECONDS_PER_DAY, WORLD_START};
use crate::credit;
use crate::describe::{Profile, write_description};
use crate::names::NameParts;
use crate::paraphrase;
use crate::people::{self, Person};
use crate::persona::{self, PERSONAS, Persona, SOURCE_TAGS};
use crate::rng::{Cumulative, Rng, Stream};
use crate::script::Script;

/// Share of customers written in traditional characters.
const TRADITIONAL_SHARE: f64 = 0.03;
/// Share of customers whose industry is not their persona's.
const INDUSTRY_NOISE: f64 = 0.15;

/// What the name depends on: drawn first, from its own stream, so the names of all
/// customers can be computed cheaply to make them unique.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Identity {
    pub persona: usize,
    pub industry: Industry,
    pub province: &'static Province,
    pub city: &'static str,
    pub size: Size,
    pub name: NameParts,
}

/// Cities with their persona-specific weights: the province's economic weight times the
/// persona's regional skew, split over the province's cities by their weights.
type Places = (Vec<(usize, usize)>, Vec<Cumulative>);

fn places() -> &'static Places {
    static PLACES: OnceLock<Places> = OnceLock::new();
    PLACES.get_or_init(|| {
        let cells: Vec<(usize, usize)> = geo::PROVINCES
            .iter()
            .enumerate()
            .flat_map(|(p, prov)| (0..prov.cities.len()).map(move |c| (p, c)))
            .collect();
        let tables = PERSONAS
            .iter()
            .map(|persona| {
                Cumulative::new(cells.iter().map(|(p, c)| {
                    let prov = &geo::PROVINCES[*p];
                    let region = Region::ALL
                        .iter()
                        .position(|r| *r == prov.region)
                        .expect("a region");
                    let city_total: u32 = prov.cities.iter().map(|(_, w)| w).sum();
                    prov.gdp * persona.regions[region] * f64::from(prov.cities[*c].1)
                        / f64::from(city_total)
                }))
            })
            .collect();
        (cells, tables)
    })
}

impl Identity {
    pub fn draw(seed: u64, index: usize) -> Self {
        let mut rng = Rng::for_customer(seed, index, Stream::Identity);
        let persona = rng.weighted(persona::weights());
        let p = &PERSONAS[persona];
        let industry = if rng.chance(INDUSTRY_NOISE) {
            *rng.pick(Industry::ALL)
        } else {
            *rng.weighted_pick(p.industries)
        };
        let (cells, tables) = places();
        let (prov, city) = cells[tables[persona].sample(&mut rng)];
        let province = &geo::PROVINCES[prov];
        let city = province.cities[city].0;
        let size = Size::ALL[rng.weighted(&p.sizes)];
        let name = NameParts::draw(&mut rng, province, city, industry, size);
        Identity {
            persona,
            industry,
            province,
            city,
            size,
            name,
        }
    }

    pub fn persona(&self) -> &'static Persona {
        &PERSONAS[self.persona]
    }
}

/// The hidden process behind a customer's history (days are fractional day numbers).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latent {
    pub created_day: f64,
    /// The first order, if the customer ever converts (may lie after `as_of`).
    pub first_order: Option<f64>,
    /// When the customer stops buying, if it ever does within the horizon.
    pub churn: Option<f64>,
    /// How long before churning orders shrink and complaints grow.
    pub decline_days: f64,
    pub orders_per_year: f64,
    pub contacts_per_year: f64,
    /// Log-scale of order amounts relative to the catalogue prices.
    pub amount_scale: f64,
    /// Yearly growth of order amounts.
    pub growth: f64,
    /// Whether, before churning, it goes quiet rather than complaining.
    pub silent: bool,
}

/// A generated customer: its identity, attributes and latent process.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub index: usize,
    pub identity: Identity,
    pub script: Script,
    pub employees: i32,
    pub capital_yuan: f64,
    pub founded: i32,
    pub created_at: i64,
    pub credit_code: String,
    pub owner: &'static str,
    pub contact: Person,
    pub phone: String,
    pub email: String,
    pub tags: Vec<&'static str>,
    pub description: String,
    /// What it buys: the persona's products, two of them its favourites.
    pub products: Vec<(usize, u32)>,
    pub latent: Latent,
}

/// Calibration of the personas' rates: about 10 orders and 15 interactions per customer at
/// the default `as_of`, as the data contract's users expect.
const ORDER_RATE_SCALE: f64 = 1.5;
/// Spread (log-normal sigma) of order rates between customers of one persona and size.
const ORDER_RATE_SIGMA: f64 = 0.5;
const CONTACT_RATE_SCALE: f64 = 0.75;
/// Calibration of the personas' churn hazards: with the rates above, every lifecycle stage of
/// the glossary is well populated at the default `as_of` (about 35% 流失, 35% 忠诚, 15% 潜在),
/// and leaving is frequent enough that most customers who stop buying really left (rather
/// than pausing between infrequent orders).
const CHURN_SCALE: f64 = 1.4;
/// Share of churning customers who go quiet before they leave (fewer contacts, mostly our
/// own follow-ups) instead of complaining: churn is then visible only in their orders.
const SILENT_CHURN: f64 = 0.4;

const SIZE_ORDER_RATE: [f64; 4] = [0.7, 0.9, 1.0, 1.4];
const SIZE_AMOUNT_SHIFT: [f64; 4] = [-1.3, -0.6, 0.0, 0.7];
const SIZE_CHURN: [f64; 4] = [1.5, 1.2, 0.9, 0.6];

impl Customer {
    /// Customer `index` with the given (unique) name parts.
    pub fn generate(seed: u64, index: usize, identity: Identity) -> Self {
        let mut rng = Rng::for_customer(seed, index, Stream::Attributes);
        let size = identity.size as usize;
        let persona = identity.persona();
        let script = if rng.chance(TRADITIONAL_SHARE) {
            Script::Traditional
        } else {
            Script::Simplified
        };
        let employees = employees(&mut rng, identity.size);
        let capital_wan = nice_round(f64::from(employees) * rng.lognormal(1.1, 0.9)).max(3.0);
        let u = rng.f64().powf(0.6);
        let created_day = WORLD_START + ((CREATED_END - WORLD_START) as f64 * u) as i32;
        let created_at =
            i64::from(created_day) * SECONDS_PER_DAY + rng.int(8 * 3600 + 1800, 19 * 3600);
        let age_years = rng.lognormal([3.0f64, 6.0, 10.0, 16.0][size].ln(), 0.7);
        let founded = (created_day - 30 - (age_years * 365.25) as i32).max(FOUNDING_START);
        let credit_code = credit::code(seed, index, identity.province, identity.city, founded);
        let reps = people::reps(identity.province.region);
        let owner = reps[rng.below(reps.len())].as_str();
        let contact = Person::draw(&mut rng);
        let mut phone = String::with_capacity(13);
        people::phone(&mut rng, identity.city, &mut phone);
        let mut trade = String::with_capacity(16);
        identity.name.trade_pinyin(&mut trade);
        let mut email = String::with_capacity(32);
        people::email(&mut rng, &contact, &trade, &mut email);
        let tags = tags(&mut rng, persona, identity.size);
        let products = favourite_products(&mut rng, identity.persona);
        let mut description = String::with_capacity(320);
        let profile = Profile {
            industry: identity.industry,
            founded_year: calendar::civil(founded).0,
            city_short: geo::short_form(identity.city),
            province_short: identity.province.short(),
            employees,
            capital_wan,
            script,
        };
        write_description(&mut rng, &profile, &mut description);
        paraphrase::plant(seed, index, identity.industry, script, &mut description);
        let latent = latent(seed, index, persona, size, f64::from(created_day) + 0.5);
        Customer {
            index,
            identity,
            script,
            employees,
            capital_yuan: capital_wan * 10_000.0,
            founded,
            created_at,
            credit_code,
            owner,
            contact,
            phone,
            email,
            tags,
            description,
            products,
            latent,
        }
    }

    /// `C0000001` for index 0.
    pub fn id(&self) -> String {
        customer_id(self.index)
    }

    pub fn name(&self) -> String {
        let mut s = String::with_capacity(48);
        self.identity.name.write(&mut s, self.script);
        s
    }

    pub fn region(&self) -> &'static str {
        self.identity.province.region.zh()
    }
}

/// The contract's customer id: `C` and the 1-based index, zero-padded to 7 digits.
pub(crate) fn customer_id(index: usize) -> String {
    format!("C{:07}", index + 1)
}

fn employees(rng: &mut Rng, size: Size) -> i32 {
    let (median, sigma, lo, hi) = match size {
        Size::Micro => (4.0f64, 0.6, 1.0, 9.0),
        Size::Small => (30.0, 0.6, 10.0, 99.0),
        Size::Medium => (280.0, 0.6, 100.0, 999.0),
        Size::Large => (2500.0, 0.9, 1000.0, 120_000.0),
    };
    rng.lognormal(median.ln(), sigma).round().clamp(lo, hi) as i32
}

/// Rounds to a number a company would register: 1, 1.2, 1.5, 2, 2.5, 3, 5, 6, 8 times a
/// power of ten.
fn nice_round(v: f64) -> f64 {
    if v <= 0.0 {
        return 0.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    let m = v / magnitude;
    let snapped = [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .min_by(|a, b| (a - m).abs().total_cmp(&(b - m).abs()))
        .expect("a non-empty list");
    snapped * magnitude
}

fn tags(rng: &mut Rng, persona: &Persona, size: Size) -> Vec<&'static str> {
    let mut tags = Vec::with_capacity(4);
    if rng.chance(0.8) {
        tags.push(SOURCE_TAGS[rng.weighted(&persona.sources)]);
    }
    for (tag, p) in persona.tags {
        let p = match *tag {
            "上市公司" => p * [0.0, 0.05, 0.4, 1.5][size as usize],
            "专精特新" => p * [0.2, 1.0, 1.2, 0.3][size as usize],
            _ => *p,
        };
        if tags.len() < 4 && rng.chance(p) {
            tags.push(tag);
        }
    }
    if tags.len() < 4 && rng.chance(0.03) {
        tags.push("外资企业");
    }
    tags
}

fn favourite_products(rng: &mut Rng, persona: usize) -> Vec<(usize, u32)> {
    let mut products = persona::products(persona).to_vec();
    for _ in 0..2 {
        let weights: Vec<u32> = products.iter().map(|(_, w)| *w).collect();
        let favourite = rng.weighted(&weights);
        products[favourite].1 *= 6;
    }
    products
}

fn latent(seed: u64, index: usize, persona: &Persona, size: usize, created_day: f64) -> Latent {
    let mut rng = Rng::for_customer(seed, index, Stream::Latent);
    let first_order =
        (!rng.chance(persona.never_buy)).then(|| created_day + rng.exp(persona.convert_days));
    let orders_per_year = (ORDER_RATE_SCALE
        * persona.order_rate
        * SIZE_ORDER_RATE[size]
        * rng.lognormal(0.0, ORDER_RATE_SIGMA))
    .min(150.0);
    let contacts_per_year =
        (CONTACT_RATE_SCALE * persona.contact_rate * rng.lognormal(0.0, 0.7)).min(100.0);
    let churns = !rng.chance(persona.sticky);
    let hazard = CHURN_SCALE * persona.churn_hazard * SIZE_CHURN[size] * rng.lognormal(0.0, 0.5);
    let churn_after = rng.exp(365.25 / hazard);
    let churn = match first_order {
        Some(first) if churns && first + churn_after <= f64::from(calendar::LATEST_AS_OF) => {
            Some(first + churn_after)
        }
        _ => None,
    };
    Latent {
        created_day,
        first_order,
        churn,
        decline_days: rng.range(90.0, 240.0),
        orders_per_year,
        contacts_per_year,
        amount_scale: SIZE_AMOUNT_SHIFT[size] + 0.45 * rng.normal(),
        growth: 0.04 + 0.05 * rng.normal(),
        silent: rng.chance(SILENT_CHURN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_consistent() {
        for index in 0..2000 {
            let id = Identity::draw(42, index);
            let c = Customer::generate(42, index, id);
            let e = c.employees;
            match id.size {
                Size::Micro => assert!(e < 10),
                Size::Small => assert!((10..100).contains(&e)),
                Size::Medium => assert!((100..1000).contains(&e)),
                Size::Large => assert!(e >= 1000),
            }
            assert!(c.capital_yuan >= 30_000.0);
            assert!(i64::from(c.founded) * SECONDS_PER_DAY < c.created_at);
            assert!(c.created_at >= i64::from(WORLD_START) * SECONDS_PER_DAY);
            assert!(c.created_at < i64::from(CREATED_END + 1) * SECONDS_PER_DAY);
            assert!(id.province.has_city(id.city));
            assert!(c.tags.len() <= 4);
            if let (Some(first), Some(churn)) = (c.latent.first_order, c.latent.churn) {
                assert!(churn > first);
            }
        }
    }

    #[test]
    fn regions_follow_economic_weight() {
        let mut east = 0;
        let mut northwest = 0;
        for index in 0..5000 {
            match Identity::draw(7, index).province.region {
                Region::EastChina => east += 1,
                Region::Northwest => northwest += 1,
                _ => {}
            }
        }
        assert!(
            east > 1500 && northwest < 500 && northwest > 20,
            "east {east} northwest {northwest}"
        );
    }

    #[test]
    fn capital_is_rounded_like_a_registration() {
        assert_eq!(nice_round(47.0), 50.0);
        assert_eq!(nice_round(1234.0), 1200.0);
        assert_eq!(nice_round(7.2), 8.0);
    }
}
