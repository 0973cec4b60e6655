//! Days and the business calendar: day numbers are days since 1970-01-01 (Arrow's Date32),
//! with the world's fixed span, the seasons of Chinese B2B purchasing (Q4 and March peaks,
//! the Spring Festival and National Day lulls, quiet weekends).

use std::fmt::Write;
use std::sync::OnceLock;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub(crate) const fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The civil date `(year, month 1-12, day 1-31)` of a day number.
pub(crate) const fn civil(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i32 + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// The first day a customer record can be created.
pub(crate) const WORLD_START: i32 = days_from_civil(2016, 1, 1);
/// The last day a customer record can be created: the world's customers do not depend on
/// `as_of`, which is never earlier than the day after.
pub(crate) const CREATED_END: i32 = days_from_civil(2025, 12, 31);
/// The earliest and latest `as_of` the generator accepts.
pub(crate) const EARLIEST_AS_OF: i32 = days_from_civil(2026, 1, 1);
pub(crate) const LATEST_AS_OF: i32 = days_from_civil(2035, 12, 31);
/// No company in the data was founded before this day.
pub(crate) const FOUNDING_START: i32 = days_from_civil(1980, 1, 1);

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
pub(crate) const fn weekday(day: i32) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

/// Spring Festival (正月初一) of 2016 … 2035.
const SPRING_FESTIVAL: [(u32, u32); 20] = [
    (2, 8),
    (1, 28),
    (2, 16),
    (2, 5),
    (1, 25),
    (2, 12),
    (2, 1),
    (1, 22),
    (2, 10),
    (1, 29),
    (2, 17),
    (2, 6),
    (1, 26),
    (2, 13),
    (2, 3),
    (1, 23),
    (2, 11),
    (1, 31),
    (2, 19),
    (2, 8),
];

/// Purchasing by month, averaging about 1: quiet around the Spring Festival, a March
/// restart, the half-year close, the year-end budget rush.
const ORDER_MONTHS: [f32; 12] = [
    0.85, 0.7, 1.2, 1.0, 0.95, 1.1, 0.9, 0.85, 1.0, 0.9, 1.15, 1.4,
];

/// One day of the calendar: its month and how busy purchasing and customer contact are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Day {
    /// 0 = January.
    pub month: u8,
    /// Order intensity before the persona's own seasons.
    pub orders: f32,
    /// Contact intensity (≤ 1).
    pub contact: f32,
}

fn table() -> &'static [Day] {
    static TABLE: OnceLock<Vec<Day>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let festivals: Vec<i32> = SPRING_FESTIVAL
            .iter()
            .enumerate()
            .map(|(i, (m, d))| days_from_civil(2016 + i as i32, *m, *d))
            .collect();
        (WORLD_START..=LATEST_AS_OF + 1)
            .map(|day| {
                let (_, m, d) = civil(day);
                let mut orders = ORDER_MONTHS[m as usize - 1];
                let mut contact = 1.0f32;
                if weekday(day) >= 5 {
                    orders *= 0.25;
                    contact *= 0.35;
                }
                if festivals.iter().any(|f| (-7..=10).contains(&(day - f))) {
                    orders *= 0.2;
                    contact *= 0.3;
                }
                if m == 10 && d <= 7 {
                    orders *= 0.3;
                    contact *= 0.4;
                }
                Day {
                    month: m as u8 - 1,
                    orders,
                    contact,
                }
            })
            .collect()
    })
}

/// The calendar entry of a day in [`WORLD_START`, `LATEST_AS_OF` + 1].
#[inline]
pub(crate) fn day(day: i32) -> Day {
    let t = table();
    t[(day - WORLD_START).clamp(0, t.len() as i32 - 1) as usize]
}

/// Business time for one purchasing pattern: the cumulative order intensity of the
/// calendar times a persona's seasons, normalised to 1 per day on average. Gaps between a
/// customer's orders are drawn in business time and mapped back to days, so orders bunch
/// in busy months and avoid weekends and holidays while keeping their regular rhythm.
#[derive(Debug)]
pub(crate) struct BusinessClock {
    /// `cum[i]`: business days elapsed from WORLD_START to the start of day WORLD_START + i.
    cum: Vec<f64>,
}

impl BusinessClock {
    pub fn new(months: &[f64; 12]) -> Self {
        let t = table();
        let raw: Vec<f64> = t
            .iter()
            .map(|d| f64::from(d.orders) * months[d.month as usize])
            .collect();
        let mean = raw.iter().sum::<f64>() / raw.len() as f64;
        let mut cum = Vec::with_capacity(raw.len() + 1);
        let mut total = 0.0;
        cum.push(0.0);
        for r in raw {
            total += r / mean;
            cum.push(total);
        }
        BusinessClock { cum }
    }

    /// Business time at day number `t` (fractional).
    pub fn at(&self, t: f64) -> f64 {
        let x = (t - f64::from(WORLD_START)).clamp(0.0, (self.cum.len() - 1) as f64);
        let i = (x as usize).min(self.cum.len() - 2);
        self.cum[i] + (x - i as f64) * (self.cum[i + 1] - self.cum[i])
    }

    /// The day number (fractional) at business time `b`, or `None` past the world's end.
    pub fn day_at(&self, b: f64) -> Option<f64> {
        let i = self.cum.partition_point(|c| *c <= b);
        if i == 0 || i >= self.cum.len() {
            return None;
        }
        let (lo, hi) = (self.cum[i - 1], self.cum[i]);
        Some(f64::from(WORLD_START) + (i - 1) as f64 + (b - lo) / (hi - lo))
    }
}

/// Appends `YYYY-MM-DD`.
pub(crate) fn push_date(out: &mut String, day: i32) {
    let (y, m, d) = civil(day);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_and_matches_chrono() {
        for days in [
            -4000,
            0,
            16_801,
            WORLD_START,
            CREATED_END,
            LATEST_AS_OF,
            30_000,
        ] {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let c = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(
                c.signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                    .num_days(),
                days as i64
            );
        }
        assert_eq!(
            weekday(days_from_civil(2026, 6, 30)),
            1,
            "2026-06-30 is a Tuesday"
        );
        let mut s = String::new();
        push_date(&mut s, days_from_civil(2024, 2, 29));
        assert_eq!(s, "2024-02-29");
    }

    #[test]
    fn business_time_runs_fast_in_busy_months_and_maps_back() {
        let clock = BusinessClock::new(&[1.0; 12]);
        let (feb, dec) = (
            f64::from(days_from_civil(2024, 2, 1)),
            f64::from(days_from_civil(2024, 12, 1)),
        );
        assert!(
            clock.at(dec + 28.0) - clock.at(dec) > 1.5 * (clock.at(feb + 28.0) - clock.at(feb))
        );
        let year = clock.at(f64::from(days_from_civil(2025, 1, 1)))
            - clock.at(f64::from(days_from_civil(2024, 1, 1)));
        assert!(
            (330.0..400.0).contains(&year),
            "{year} business days in 2024"
        );
        for t in [
            f64::from(WORLD_START) + 0.5,
            dec + 3.25,
            f64::from(LATEST_AS_OF),
        ] {
            let back = clock.day_at(clock.at(t)).unwrap();
            assert!((back - t).abs() < 1e-6, "{t} → {back}");
        }
        assert_eq!(clock.day_at(1e9), None);
    }

    #[test]
    fn the_spring_festival_and_weekends_are_quiet() {
        let workday = day(days_from_civil(2024, 3, 12));
        let festival = day(days_from_civil(2024, 2, 12));
        let sunday = day(days_from_civil(2024, 3, 10));
        assert!(festival.orders < 0.3 * workday.orders);
        assert!(sunday.orders < 0.5 * workday.orders);
        assert_eq!(day(days_from_civil(2025, 12, 1)).month, 11);
        assert!(table().iter().all(|d| d.orders <= 1.4 && d.contact <= 1.0));
    }
}
