//! A customer's history as two time-ordered event streams, orders and interactions, each
//! drawn from its own random stream in time order and cut at `as_of` (events dated on or
//! before it are kept). A later `as_of` therefore only extends a history, never changes it.
//!
//! The streams follow the customer's latent phases: a prospect talks to us now and then
//! (consultations and visits, cooling off over time, with an occasional burst of renewed
//! evaluation); in the month before its first order it asks for quotes intensively; an
//! active customer orders in a rhythm of its own (gamma-distributed gaps in business time,
//! so orders follow the seasons and avoid weekends); in the 90–240 days before it churns its
//! orders shrink and thin out, and either complaints and repair requests pile up or, for
//! the 40% who leave silently, it goes quiet (fewer contacts, mostly our own follow-ups);
//! after churning it no longer orders and is heard from only rarely. No single observable
//! tells churn: complaints come from steady customers too, silent leavers do not complain,
//! and an infrequent buyer's long gap looks like a decline for a while.

use std::sync::OnceLock;

use kesou_domain::{Channel, InteractionKind};

use crate::calendar::{self, BusinessClock, SECONDS_PER_DAY};
use crate::catalog::PRICES;
use crate::customer::{Customer, Latent};
use crate::notes::{NoteContext, write_note};
use crate::persona::PERSONAS;
use crate::rng::{Rng, Stream};
use crate::script::Script;

/// Orders per customer are numbered with 4 digits; the last number is kept for the
/// orphan orders of dirty data.
pub(crate) const MAX_ORDERS: u32 = 9_998;
const MAX_INTERACTIONS: u32 = 99_999;
const DAYS_PER_YEAR: f64 = 365.25;

/// One order as generated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order {
    /// 1-based position in the customer's order history.
    pub seq: u32,
    pub day: i32,
    pub amount: f64,
    pub product: usize,
}

/// Generates the customer's orders dated on or before `as_of`, oldest first.
pub(crate) fn orders(c: &Customer, seed: u64, as_of: i32, emit: &mut dyn FnMut(&Order)) {
    let l = &c.latent;
    let Some(first) = l.first_order else { return };
    let end = l.churn.unwrap_or(f64::INFINITY);
    if first >= end {
        return;
    }
    let mut rng = Rng::for_customer(seed, c.index, Stream::Orders);
    let clock = clock(c.identity.persona);
    let (mut t, mut seq) = (first, 0);
    let mut business = clock.at(t);
    loop {
        // The first order is the conversion itself; later ones follow in a rhythm of its
        // own (gamma-distributed gaps in business time), slowing down before churn.
        if t as i32 > as_of || seq >= MAX_ORDERS {
            return;
        }
        seq += 1;
        let decline = decline_progress(l, t);
        let product = *rng.weighted_pick(&c.products);
        let years = (t - first) / DAYS_PER_YEAR;
        let raw = PRICES[product]
            * (l.amount_scale + 0.55 * rng.normal() + l.growth * years).exp()
            * (1.0 - 0.65 * decline);
        let amount = if raw >= 2_000.0 && rng.chance(0.35) {
            (raw / 100.0).round() * 100.0
        } else {
            (raw * 100.0).round() / 100.0
        };
        emit(&Order {
            seq,
            day: t as i32,
            amount: amount.max(50.0),
            product,
        });
        let per_day = l.orders_per_year / DAYS_PER_YEAR * (1.0 - 0.6 * decline);
        business += gamma(&mut rng, ORDER_REGULARITY) / (ORDER_REGULARITY * per_day);
        match clock.day_at(business) {
            Some(next) if next < end => t = next,
            _ => return,
        }
    }
}

/// The shape of the gaps between orders: 1 would be memoryless; 3 gives the steadier
/// rhythm of replenishment buying.
const ORDER_REGULARITY: f64 = 4.0;

/// A gamma variate with integer shape `k` and scale 1 (a sum of `k` exponentials).
fn gamma(rng: &mut Rng, k: f64) -> f64 {
    let mut product = 1.0;
    for _ in 0..k as u32 {
        product *= 1.0 - rng.f64();
    }
    -product.ln()
}

/// The business clock of each persona's purchasing seasons.
fn clock(persona: usize) -> &'static BusinessClock {
    static CLOCKS: OnceLock<Vec<BusinessClock>> = OnceLock::new();
    &CLOCKS.get_or_init(|| {
        PERSONAS
            .iter()
            .map(|p| BusinessClock::new(&p.months))
            .collect()
    })[persona]
}

/// How far into the pre-churn decline `t` is: 0 outside it, rising to 1 at churn.
fn decline_progress(l: &Latent, t: f64) -> f64 {
    match l.churn {
        Some(churn) if t < churn && t >= churn - l.decline_days => {
            (t - (churn - l.decline_days)) / l.decline_days
        }
        _ => 0.0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the first order: occasional contact, cooling off, with evaluation bursts.
    Prospect,
    /// The weeks before the first order: comparing offers, asking for quotes.
    Evaluating,
    Active,
    Decline,
    Lapsed,
}

/// How long before its first order a customer evaluates.
const EVALUATION_DAYS: f64 = 30.0;
/// Evaluation bursts per year of a prospect (a lead that resurfaces and asks again).
const EVALUATIONS_PER_YEAR: f64 = 0.4;

impl Phase {
    /// The phase at `t` and when it ends.
    fn at(l: &Latent, t: f64) -> (Phase, f64) {
        let Some(first) = l.first_order else {
            return (Phase::Prospect, f64::INFINITY);
        };
        if t < first - EVALUATION_DAYS {
            return (Phase::Prospect, first - EVALUATION_DAYS);
        }
        if t < first {
            return (Phase::Evaluating, first);
        }
        let Some(churn) = l.churn else {
            return (Phase::Active, f64::INFINITY);
        };
        let decline_start = (churn - l.decline_days).max(first);
        if t < decline_start {
            (Phase::Active, decline_start)
        } else if t < churn {
            (Phase::Decline, churn)
        } else {
            (Phase::Lapsed, f64::INFINITY)
        }
    }

    /// Contacts per day (at most; a prospect's contacts cool off with time).
    fn rate(self, l: &Latent) -> f64 {
        let per_year = match self {
            Phase::Prospect => l.contacts_per_year * 1.5,
            Phase::Evaluating => l.contacts_per_year * 2.0 + 20.0,
            Phase::Active => l.contacts_per_year,
            Phase::Decline if l.silent => l.contacts_per_year * 0.5,
            Phase::Decline => l.contacts_per_year * 3.0 + 4.0,
            Phase::Lapsed => l.contacts_per_year * 0.08,
        };
        per_year / DAYS_PER_YEAR
    }

    /// Interaction kinds in `InteractionKind::ALL` order (咨询 拜访 投诉 报修 回访).
    fn kinds(self, l: &Latent, active: &[u32; 5]) -> [u32; 5] {
        match self {
            Phase::Prospect => [65, 25, 0, 0, 10],
            Phase::Evaluating => [75, 15, 0, 0, 10],
            Phase::Active => *active,
            // Going quiet: we call more than they do.
            Phase::Decline if l.silent => [20, 8, 4, 8, 60],
            Phase::Decline => [10, 6, 44, 32, 8],
            Phase::Lapsed => [30, 10, 5, 5, 50],
        }
    }
}

/// One interaction as generated; the note is in the caller's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interaction {
    pub seq: u32,
    /// Seconds since 1970-01-01.
    pub ts: i64,
    pub channel: Channel,
    pub kind: InteractionKind,
}

/// Share of interactions in a burst that continue it with one more.
const BURST: f64 = 0.3;
/// Notes of simplified customers written in traditional characters nonetheless.
const STRAY_TRADITIONAL: f64 = 0.005;

/// Generates the customer's interactions dated on or before `as_of`, oldest first, with
/// their notes written into `note` (cleared for each).
pub(crate) fn interactions(
    c: &Customer,
    seed: u64,
    as_of: i32,
    note: &mut String,
    emit: &mut dyn FnMut(&Interaction, &str),
) {
    let l = &c.latent;
    let mut rng = Rng::for_customer(seed, c.index, Stream::Interactions);
    let persona = c.identity.persona();
    let contact_surname = c.contact.surname();
    let mut t = l.created_day;
    let (mut seq, mut last_day, mut last_tod) = (0u32, i32::MIN, 0i64);
    let mut emit_one = |rng: &mut Rng, t: f64, kind: InteractionKind| -> bool {
        let day = t as i32;
        if day > as_of || seq >= MAX_INTERACTIONS {
            return false;
        }
        seq += 1;
        let channel = Channel::ALL[rng.weighted(&channels(kind, &persona.channels))];
        let mut tod = time_of_day(rng, channel);
        if day == last_day && tod <= last_tod {
            tod = (last_tod + rng.int(60, 1800)).min(SECONDS_PER_DAY - 1);
        }
        (last_day, last_tod) = (day, tod);
        let script = if c.script == Script::Traditional || rng.chance(STRAY_TRADITIONAL) {
            Script::Traditional
        } else {
            Script::Simplified
        };
        let ctx = NoteContext {
            products: &c.products,
            contact_surname,
            owner: c.owner,
            year: calendar::civil(day).0,
            script,
        };
        note.clear();
        write_note(rng, kind, &ctx, note);
        emit(
            &Interaction {
                seq,
                ts: i64::from(day) * SECONDS_PER_DAY + tod,
                channel,
                kind,
            },
            note,
        );
        true
    };
    loop {
        let (phase, end) = Phase::at(l, t);
        let base = phase.rate(l);
        let evaluations = if phase == Phase::Prospect {
            EVALUATIONS_PER_YEAR / DAYS_PER_YEAR
        } else {
            0.0
        };
        let next = t + rng.exp(1.0 / (base + evaluations));
        if next >= end {
            t = end;
            continue;
        }
        t = next;
        if t as i32 > as_of {
            return;
        }
        // Thinning: the candidate is a base contact, an evaluation burst, or nothing.
        let contact = f64::from(calendar::day(t as i32).contact);
        let cooling = if phase == Phase::Prospect {
            (-(t - l.created_day) / 150.0).exp().max(0.06)
        } else {
            1.0
        };
        let u = rng.f64() * (base + evaluations);
        if u < evaluations * contact {
            for i in 0..rng.int(4, 9) {
                if i > 0 {
                    t += rng.exp(3.0);
                }
                let kind = InteractionKind::ALL[rng.weighted(&[80, 10, 0, 0, 10])];
                if !emit_one(&mut rng, t, kind) {
                    return;
                }
            }
            continue;
        }
        if u >= evaluations * contact + base * contact * cooling {
            continue;
        }
        let kinds = phase.kinds(l, &persona.kinds);
        let mut kind = InteractionKind::ALL[rng.weighted(&kinds)];
        if !emit_one(&mut rng, t, kind) {
            return;
        }
        while rng.chance(BURST) {
            t += rng.exp(2.5);
            if !rng.chance(0.6) {
                kind = InteractionKind::ALL[rng.weighted(&kinds)];
            }
            if !emit_one(&mut rng, t, kind) {
                return;
            }
        }
    }
}

/// Channel weights (`Channel::ALL` order: 电话 微信 官网 邮件 展会 拜访) for a kind.
fn channels(kind: InteractionKind, preferred: &[u32; 6]) -> [u32; 6] {
    match kind {
        InteractionKind::Consult => *preferred,
        InteractionKind::Visit => [5, 5, 0, 0, 15, 75],
        InteractionKind::Complaint => [50, 25, 5, 20, 0, 0],
        InteractionKind::Repair => [60, 30, 8, 2, 0, 0],
        InteractionKind::FollowUp => [70, 25, 0, 5, 0, 0],
    }
}

/// Seconds after midnight: office hours, WeChat into the evening.
fn time_of_day(rng: &mut Rng, channel: Channel) -> i64 {
    match channel {
        Channel::WeChat => rng.int(7 * 3600 + 1800, 22 * 3600 + 1800),
        Channel::TradeShow | Channel::Visit => rng.int(9 * 3600, 17 * 3600 + 1800),
        _ if rng.chance(0.45) => rng.int(8 * 3600 + 1800, 12 * 3600),
        _ => rng.int(13 * 3600 + 1800, 18 * 3600 + 1800),
    }
}
