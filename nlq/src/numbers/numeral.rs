//! The numeral grammar: Chinese digits and units, Arabic runs and their mix, without the
//! unit words after them (元, 天, %), which `suffix` reads.
//!
//! A number is read in groups, as it is spoken: digits times 十百千 make a group below 万;
//! 万 closes that group, 亿 closes everything before it (一万亿 = 1e12). The parser stops
//! at the first char that cannot continue the number, and rejects the whole run when two
//! digits stand side by side (三五万 is an estimate, not a number).

use kesou_domain::text::Folded;

use super::{arabic, suffix};

/// A numeral read at some index.
pub(super) struct Numeral {
    /// Index just after the last char of the numeral.
    pub end: usize,
    pub value: f64,
    pub shape: Shape,
}

/// What the numeral was made of, for the rules that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// One run of Arabic digits: English magnitudes (k, million) may follow.
    Arabic,
    /// One Chinese numeral char alone (三, 万, 两): needs context or a unit in a question.
    /// `capital` for 壹…玖, 拾佰仟, which alone are more often words (伍 the surname, 陆家嘴).
    Lone { capital: bool },
    /// Anything longer: 十五, 百万, 100万, 三点五, 二〇二三.
    Mixed,
}

/// The outcome of reading at one index.
pub(super) enum Scan {
    Found(Numeral),
    /// No number starts here.
    Nothing,
    /// Numeral chars start here but read as an estimate (三五家): skip all of them.
    Reject,
}

/// 零, 〇 and the digits one to nine, lower case and financial capitals. 两 is apart: it is a
/// digit only before a unit. 参 and 陆 in lower case are words (参加, 大陆), never digits.
pub(super) fn chinese_digit(c: char) -> Option<u8> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '贰' | '貳' => 2,
        '三' | '叁' | '叄' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// 十, 百, 千 and their capitals.
pub(super) fn small_unit(c: char) -> Option<f64> {
    match c {
        '十' | '拾' => Some(10.0),
        '百' | '佰' => Some(100.0),
        '千' | '仟' => Some(1000.0),
        _ => None,
    }
}

/// 万 and 亿, simplified and traditional.
pub(super) fn big_unit(c: char) -> Option<f64> {
    match c {
        '万' | '萬' => Some(1e4),
        '亿' | '億' => Some(1e8),
        _ => None,
    }
}

fn is_two(c: char) -> bool {
    matches!(c, '两' | '兩')
}

fn is_capital(c: char) -> bool {
    matches!(
        c,
        '壹' | '贰'
            | '貳'
            | '叁'
            | '叄'
            | '肆'
            | '伍'
            | '陆'
            | '陸'
            | '柒'
            | '捌'
            | '玖'
            | '拾'
            | '佰'
            | '仟'
    )
}

/// Any char that can be part of a Chinese numeral (point aside).
pub(super) fn is_chinese_numeral(c: char) -> bool {
    chinese_digit(c).is_some() || small_unit(c).is_some() || big_unit(c).is_some() || is_two(c)
}

fn is_unit(c: char) -> bool {
    small_unit(c).is_some() || big_unit(c).is_some()
}

/// A digit not yet multiplied by a unit.
#[derive(Clone, Copy)]
struct Pending {
    value: f64,
    /// One digit alone (not 15, not 3.5): a tail after 万 then counts in thousands.
    single: bool,
    /// The unit right before this digit, when no 零 came between.
    after_unit: Option<f64>,
    fraction: bool,
}

impl Pending {
    /// A single digit right after 百, 千, 万 or 亿: 一万五's 五, worth 五千.
    fn is_tail(&self) -> bool {
        self.single && self.after_unit.is_some_and(|u| u >= 100.0)
    }
}

/// The running sums of one numeral.
struct Acc {
    /// Everything before the last 亿, times 1e8.
    high: f64,
    /// The current group closed by 万, times 1e4.
    mid: f64,
    /// Digits times 十百千 since the last 万 or 亿.
    low: f64,
    digit: Option<Pending>,
    /// The last small unit of the group; the next one must be smaller (千 > 百 > 十).
    last_small: f64,
    /// The unit just read, `None` after a digit or 零.
    last_unit: Option<f64>,
    /// Where an unfinished run of 零 started (it is not part of the number if nothing follows).
    zero_at: Option<usize>,
    has_wan: bool,
    has_yi: bool,
    tokens: u32,
    chinese_chars: u32,
    capital: bool,
}

impl Acc {
    fn new() -> Self {
        Acc {
            high: 0.0,
            mid: 0.0,
            low: 0.0,
            digit: None,
            last_small: 1e4,
            last_unit: None,
            zero_at: None,
            has_wan: false,
            has_yi: false,
            tokens: 0,
            chinese_chars: 0,
            capital: false,
        }
    }

    fn started(&self) -> bool {
        self.tokens > 0
    }

    fn push_digit(&mut self, value: f64, single: bool) {
        let after_unit = if self.zero_at.is_some() {
            None
        } else {
            self.last_unit
        };
        self.digit = Some(Pending {
            value,
            single,
            after_unit,
            fraction: false,
        });
        self.zero_at = None;
        self.last_unit = None;
    }

    fn pending(&self) -> f64 {
        self.digit.map_or(0.0, |p| p.value)
    }

    /// Forgets the digit just multiplied by `unit`.
    fn close_unit(&mut self, unit: f64) {
        self.digit = None;
        self.zero_at = None;
        self.last_unit = Some(unit);
    }

    /// The value, with the colloquial tail: 一万五 = 15000, 一百二 = 120.
    fn value(&self) -> f64 {
        let tail = match self.digit {
            Some(p) if p.is_tail() => p.value * p.after_unit.unwrap_or(10.0) / 10.0,
            Some(p) => p.value,
            None => 0.0,
        };
        self.high + self.mid + self.low + tail
    }
}

/// Reads the numeral starting at `start`; chars for which `blocked` holds (inside a stop
/// word) end it.
pub(super) fn scan(t: &Folded, start: usize, blocked: &impl Fn(usize) -> bool) -> Scan {
    let usable = |i: usize| t.get(i).filter(|_| !blocked(i));
    let Some(first) = usable(start) else {
        return Scan::Nothing;
    };
    if chinese_digit(first).is_some() || is_two(first) {
        let run = t.skip_while(start, |c| chinese_digit(c).is_some() || is_two(c));
        let run = (start..run).find(|&i| blocked(i)).unwrap_or(run);
        let has_two = (start..run).any(|i| t.get(i).is_some_and(is_two));
        match run - start {
            n if n >= 2 && has_two => return Scan::Reject,
            2 => return Scan::Reject,
            n if n >= 3 => return digit_by_digit(t, start, run),
            _ => {}
        }
    }

    let mut acc = Acc::new();
    let mut i = start;
    while let Some(c) = usable(i) {
        let next = i + 1;
        if c.is_ascii_digit() {
            if acc.digit.is_some() {
                return Scan::Reject;
            }
            let Some(run) = arabic::read(t, i) else { break };
            acc.push_digit(run.value, run.single_digit);
            i = run.end;
            let after_spaces = t.skip_spaces(i);
            if after_spaces > i && usable(after_spaces).is_some_and(is_unit) {
                i = after_spaces;
            }
        } else if let Some(d) = chinese_digit(c) {
            if acc.digit.is_some() {
                return Scan::Reject;
            }
            if d == 0 && acc.started() {
                acc.zero_at.get_or_insert(i);
                acc.last_unit = None;
            } else {
                acc.push_digit(f64::from(d), true);
            }
            acc.capital |= is_capital(c);
            i = next;
        } else if is_two(c) {
            let before_unit = usable(next).is_some_and(|n| {
                big_unit(n).is_some() || small_unit(n).is_some_and(|u| u >= 100.0)
            });
            let alone = !acc.started() && (next == t.len() || suffix::unit_at(t, next));
            if !before_unit && !alone {
                break;
            }
            if acc.digit.is_some() {
                return Scan::Reject;
            }
            acc.push_digit(2.0, true);
            i = next;
        } else if matches!(c, '点' | '點') {
            let Some(end) = read_point(t, &mut acc, next, &usable) else {
                break;
            };
            i = end;
        } else if let Some(unit) = small_unit(c) {
            if unit >= acc.last_small {
                break;
            }
            let factor = match acc.digit {
                Some(p) => p.value,
                None if !acc.started() || (acc.zero_at.is_some() && unit == 10.0) => 1.0,
                None => break,
            };
            acc.low += factor * unit;
            acc.last_small = unit;
            acc.close_unit(unit);
            acc.capital |= is_capital(c);
            i = next;
        } else if c == '万' || c == '萬' {
            let group = acc.low + acc.pending();
            if acc.has_wan || (group == 0.0 && acc.started()) {
                break;
            }
            acc.mid = if acc.started() { group } else { 1.0 } * 1e4;
            acc.low = 0.0;
            acc.has_wan = true;
            acc.last_small = 1e4;
            acc.close_unit(1e4);
            i = next;
        } else if c == '亿' || c == '億' {
            let group = acc.mid + acc.low + acc.pending();
            if acc.has_yi || (group == 0.0 && acc.started()) {
                break;
            }
            acc.high = if acc.started() { group } else { 1.0 } * 1e8;
            acc.mid = 0.0;
            acc.low = 0.0;
            acc.has_yi = true;
            acc.has_wan = false;
            acc.last_small = 1e4;
            acc.close_unit(1e8);
            i = next;
        } else {
            break;
        }
        if !c.is_ascii_digit() {
            acc.chinese_chars += 1;
        }
        acc.tokens += 1;
    }

    if !acc.started() {
        return Scan::Nothing;
    }
    let end = acc.zero_at.unwrap_or(i);
    let value = acc.value();
    if !value.is_finite() || end == start {
        return Scan::Nothing;
    }
    let shape = match (acc.tokens, acc.chinese_chars) {
        (1, 0) => Shape::Arabic,
        (1, 1) => Shape::Lone {
            capital: acc.capital,
        },
        _ => Shape::Mixed,
    };
    Scan::Found(Numeral { end, value, shape })
}

/// 二〇二三: three or more bare digits, read one by one.
fn digit_by_digit(t: &Folded, start: usize, end: usize) -> Scan {
    let value = (start..end)
        .filter_map(|i| t.get(i).and_then(chinese_digit))
        .fold(0.0, |v, d| v * 10.0 + f64::from(d));
    if !value.is_finite() {
        return Scan::Nothing;
    }
    Scan::Found(Numeral {
        end,
        value,
        shape: Shape::Mixed,
    })
}

/// The decimal part after 点 (at `at`, the first char after it): digits all Chinese or all
/// Arabic. 点 continues a number only after a digit (三点五) or a small unit (一百点五).
fn read_point(
    t: &Folded,
    acc: &mut Acc,
    at: usize,
    usable: &impl Fn(usize) -> Option<char>,
) -> Option<usize> {
    let after_small =
        acc.digit.is_none() && acc.zero_at.is_none() && acc.last_unit.is_some_and(|u| u < 1e4);
    let whole = match acc.digit {
        Some(p) if !(p.fraction || p.is_tail()) => p.value,
        None if after_small => 0.0,
        _ => return None,
    };
    let first = usable(at)?;
    let end = if first.is_ascii_digit() {
        t.skip_while(at, |c| c.is_ascii_digit())
    } else if chinese_digit(first).is_some() {
        t.skip_while(at, |c| chinese_digit(c).is_some())
    } else {
        return None;
    };
    let end = (at..end).find(|&i| usable(i).is_none()).unwrap_or(end);
    let mut fraction = 0.0;
    let mut scale = 1.0;
    for i in at..end {
        let c = t.get(i)?;
        let d = c.to_digit(10).or_else(|| chinese_digit(c).map(u32::from))?;
        fraction = fraction * 10.0 + f64::from(d);
        scale *= 10.0;
    }
    acc.digit = Some(Pending {
        value: whole + fraction / scale,
        single: false,
        after_unit: None,
        fraction: true,
    });
    acc.last_unit = None;
    Some(end)
}
