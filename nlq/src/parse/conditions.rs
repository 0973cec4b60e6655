//! Rules that make filters: values and lists of values, concepts, comparisons with
//! numbers, ranges, related tables and time.

use chrono::Datelike;

use super::assemble::{Asm, PendingTime};
use super::lexicon::{FieldRef, Meaning, Period, Word};
use super::time::{self, Range, Unit};
use crate::numbers::{NumberKind, NumberMatch};
use crate::query::{Ambiguity, Filter, Op, Reading, RelatedFilter, Sort, Span, Value};
use crate::schema::FieldKind;

/// The years a bare 2023年 may mean.
const YEARS: std::ops::RangeInclusive<f64> = 1900.0..=2100.0;

impl<'p> Asm<'_, 'p> {
    /// The value (and field) free token `i` names, if `pick` accepts its field.
    fn value_at(
        &self,
        i: usize,
        allow_weak: bool,
        pick: impl Fn(FieldRef) -> bool,
    ) -> Option<(FieldRef, &'p str)> {
        self.meanings(i).iter().find_map(|m| match m {
            Meaning::Value { field, value, weak } if (allow_weak || !weak) && pick(*field) => {
                Some((*field, value.as_str()))
            }
            _ => None,
        })
    }

    fn same_group(&self, a: FieldRef, b: FieldRef) -> bool {
        if a == b {
            return true;
        }
        match (a, b) {
            (FieldRef::Main(_), FieldRef::Main(_)) => {
                let (fa, fb) = (self.field(a), self.field(b));
                fa.group.is_some() && fa.group == fb.group
            }
            _ => false,
        }
    }

    fn path(&self, f: FieldRef) -> String {
        self.field(f).name.clone()
    }

    /// A value word at `i`, with the values listed after it (北京、上海和广州; 投诉或报修),
    /// becomes one condition.
    pub(super) fn value(&mut self, i: usize, field: FieldRef, allow_weak: bool) -> bool {
        let Some((field, first)) = self.value_at(i, allow_weak, |f| f == field) else {
            return false;
        };
        let mut items = vec![(field, first.to_string())];
        let mut used = vec![i];
        let mut j = i + 1;
        loop {
            if !self.free(j) {
                break;
            }
            let separated =
                self.is(j, Word::And) || self.is(j, Word::Comma) || self.is(j, Word::Or);
            if separated {
                match self.value_at(j + 1, false, |f| self.same_group(f, field)) {
                    Some((f, v)) => {
                        items.push((f, v.to_string()));
                        used.extend([j, j + 1]);
                        j += 2;
                        continue;
                    }
                    None => break,
                }
            }
            // 北京上海广州: values written one after another are a list when they name the
            // same field, or once a list has begun; 浙江杭州 (a province, then a city in a
            // different field) narrows instead.
            let last = items.last().map(|(f, _)| *f);
            let next = self.value_at(j, false, |f| {
                Some(f) == last || (items.len() >= 2 && self.same_group(f, field))
            });
            match next {
                Some((f, v)) => {
                    items.push((f, v.to_string()));
                    used.push(j);
                    j += 1;
                }
                None => break,
            }
        }
        // 华东地区, 科技行业: the field's own name after its value.
        if self
            .field_at(j, |f, _| items.iter().any(|(g, _)| *g == f))
            .is_some()
        {
            used.push(j);
        }
        self.ambiguity(i, field, first);
        let filter = self.values_filter(&items);
        if let FieldRef::Rel(r, _) = field {
            self.related(i, r, vec![filter], used);
            return true;
        }
        self.add_filter(filter, used);
        true
    }

    fn values_filter(&self, items: &[(FieldRef, String)]) -> Filter {
        let mut per_field: Vec<(FieldRef, Vec<String>)> = Vec::new();
        for (f, v) in items {
            match per_field.iter_mut().find(|(g, _)| g == f) {
                Some((_, vs)) if !vs.contains(v) => vs.push(v.clone()),
                Some(_) => {}
                None => per_field.push((*f, vec![v.clone()])),
            }
        }
        let mut filters: Vec<Filter> = per_field
            .into_iter()
            .map(|(f, values)| {
                let name = self.path(f);
                let tags = self.field(f).kind == FieldKind::Tags;
                match (tags, values.len()) {
                    (false, 1) => Filter::field(&name, Op::Eq, Value::Str(values[0].clone()), None),
                    (false, _) => Filter::field(
                        &name,
                        Op::In,
                        Value::List(values.into_iter().map(Value::Str).collect()),
                        None,
                    ),
                    (true, 1) => {
                        Filter::field(&name, Op::Contains, Value::Str(values[0].clone()), None)
                    }
                    (true, _) => Filter::Any {
                        any: values
                            .into_iter()
                            .map(|v| Filter::field(&name, Op::Contains, Value::Str(v), None))
                            .collect(),
                        span: None,
                    },
                }
            })
            .collect();
        if filters.len() == 1 {
            filters.remove(0)
        } else {
            Filter::Any {
                any: filters,
                span: None,
            }
        }
    }

    /// Records the other readings of a value word (吉林: the province or the city).
    fn ambiguity(&mut self, i: usize, chosen: FieldRef, value: &str) {
        let others: Vec<Reading> = self
            .meanings(i)
            .iter()
            .filter_map(|m| match m {
                Meaning::Value {
                    field, value: v, ..
                } if *field != chosen
                    // The same value of another field of the customer (A: 客户等级 or
                    // 信用等级) is another reading; in the same group (北京市, a province
                    // and a city) or a related table's field, it is the same thing.
                    && (v != value
                        || matches!((*field, chosen), (FieldRef::Main(_), FieldRef::Main(_)))
                            && !self.same_group(*field, chosen))
                    && self.field(*field).kind != FieldKind::Tags
                    && self.field(chosen).kind != FieldKind::Tags =>
                {
                    Some(Reading {
                        label: format!("{}={v}", self.field(*field).label),
                        filters: vec![Filter::field(
                            &self.path(*field),
                            Op::Eq,
                            Value::Str(v.clone()),
                            None,
                        )],
                    })
                }
                _ => None,
            })
            .collect();
        if !others.is_empty() {
            let span = self.span(&[i]);
            self.q.alternatives.push(Ambiguity {
                span,
                chosen: format!("{}={value}", self.field(chosen).label),
                others,
            });
        }
    }

    pub(super) fn concept(&mut self, i: usize, c: usize) {
        let concept = &self.p.schema.concepts[c];
        let mut used = vec![i];
        let span = self.span(&used);
        if !concept.filters.is_empty() {
            let f = if concept.filters.len() == 1 {
                concept.filters[0].clone()
            } else {
                Filter::All {
                    all: concept.filters.clone(),
                    span: None,
                }
            };
            let f = self.apply_neg(f, &mut used);
            let span = self.span(&used);
            self.push(f.with_span(&span));
        }
        if let Some(s) = &concept.sort {
            if concept.filters.is_empty() {
                // A ranking concept takes a count after it as a superlative does:
                // 最可能下单的20家.
                self.ranked(s.field.clone(), s.descending, used.clone());
            } else {
                self.set_sort(Sort {
                    field: s.field.clone(),
                    descending: s.descending,
                    span: Some(span.clone()),
                });
            }
        }
        if !concept.alternatives.is_empty() {
            self.q.alternatives.push(Ambiguity {
                span: span.clone(),
                chosen: concept.label.clone(),
                others: concept
                    .alternatives
                    .iter()
                    .map(|a| Reading {
                        label: a.label.clone(),
                        filters: a
                            .filters
                            .iter()
                            .map(|f| f.clone().with_span(&span))
                            .collect(),
                    })
                    .collect(),
            });
        }
        self.mark(&used);
    }

    /// A related-table clause: 下过单, 投诉过, 近30天咨询≥5次, 没有投诉. `filters` hold what
    /// the words so far said about the related rows, `used` their tokens.
    pub(super) fn related(
        &mut self,
        i: usize,
        r: usize,
        mut filters: Vec<Filter>,
        mut used: Vec<usize>,
    ) {
        let rel = &self.p.schema.related[r];
        // 单笔金额超过50万的订单: the table's word after a clause on it adds nothing.
        if filters.is_empty()
            && self.preset_count.is_none()
            && let Some((at, last)) = self.last_related
            && matches!(self.q.filters.get(at), Some(Filter::Related(rf)) if rf.table == rel.table)
            && (last + 1..i).all(|k| {
                self.free(k)
                    && matches!(
                        self.meanings(k).first(),
                        Some(Meaning::Word(Word::Filler | Word::Past | Word::Has))
                    )
            })
        {
            self.mark(&used);
            self.last_related = Some((at, i));
            return;
        }
        let mut end = used.iter().copied().max().unwrap_or(i);
        loop {
            let k = self.skip_glue(end + 1);
            if self.free(end + 1)
                && (self.is(end + 1, Word::Past)
                    || self.meanings(end + 1).contains(&Meaning::Related(r)))
            {
                end += 1;
                used.push(end);
            } else if let Some((f, v)) =
                self.value_at(k, false, |f| matches!(f, FieldRef::Rel(r2, _) if r2 == r))
            {
                // 购买过工业机器人, 通过微信咨询过: more about the same rows.
                filters.push(self.values_filter(&[(f, v.to_string())]));
                end = k;
                used.push(k);
            } else {
                break;
            }
        }
        let has_time = |fs: &[Filter]| {
            fs.iter()
                .any(|f| f.fields().contains(&rel.time_field.as_str()))
        };
        if !has_time(&filters)
            && let Some(pt) = self.pending_time.take()
        {
            let span = self.span(&pt.tokens);
            filters.push(pt.range.filter(&rel.time_field, &span));
            used.extend(pt.tokens);
        }
        // How many: ≥5次, 超过3笔, 3次以上.
        let (mut count_op, mut count) = self.preset_count.take().unwrap_or((Op::Ge, 1.0));
        let k = self.skip_glue(end + 1);
        let counted = |m: &NumberMatch| {
            m.kind == NumberKind::Plain
                || m.unit
                    .is_some_and(|u| rel.units.iter().any(|x| x == u) || u == "次")
        };
        if let Some(op) = self.cmp_at(k)
            && let Some(m) = self.num(k + 1).filter(|m| counted(m))
        {
            (count_op, count) = (op, m.value);
            used.extend([k, k + 1]);
        } else if let Some(m) = self
            .num(k)
            .filter(|m| m.kind == NumberKind::Count && counted(m))
        {
            count = m.value;
            count_op = Op::Eq;
            used.push(k);
            if let Some(op) = self.cmp_post_at(k + 1) {
                count_op = op;
                used.push(k + 1);
            }
        }
        // 超过90天没下单: had rows, none in the last 90 days (not: none at all).
        let lapse = match self.neg {
            Some(n) if !has_time(&filters) && count_op == Op::Ge && count == 1.0 => {
                self.lapse_before(n)
            }
            _ => None,
        };
        let lapsed = lapse.is_some();
        if let Some((n, unit, tokens)) = lapse {
            let span = self.span(&tokens);
            filters.push(time::last(self.as_of, n, unit).filter(&rel.time_field, &span));
            used.extend(tokens);
        }
        let f = Filter::Related(RelatedFilter {
            table: rel.table.clone(),
            filters,
            count_op,
            count,
            total: None,
            span: None,
        });
        let f = self.apply_neg(f, &mut used);
        let f = if lapsed {
            let had = Filter::Related(RelatedFilter {
                table: rel.table.clone(),
                filters: Vec::new(),
                count_op: Op::Ge,
                count: 1.0,
                total: None,
                span: None,
            });
            Filter::All {
                all: vec![had, f],
                span: None,
            }
        } else {
            f
        };
        let span = self.span(&used);
        let last = used.iter().copied().max().unwrap_or(i);
        self.mark(&used);
        self.push(f.with_span(&span));
        self.last_related = Some((self.q.filters.len() - 1, last));
    }

    /// 超过90天 / 90天以上 right before the negation at `n`: how long nothing happened.
    fn lapse_before(&self, n: usize) -> Option<(f64, Unit, Vec<usize>)> {
        if n >= 2
            && matches!(self.cmp_at(n - 2), Some(Op::Gt | Op::Ge))
            && let Some((v, unit, used)) = self.duration_at(n - 1)
            && used.iter().all(|&k| k < n)
        {
            let mut tokens = used;
            tokens.push(n - 2);
            return Some((v, unit, tokens));
        }
        if n >= 2
            && matches!(self.cmp_post_at(n - 1), Some(Op::Ge))
            && let Some((v, unit, used)) = self.duration_at(n - 2)
            && used.iter().all(|&k| k < n - 1)
        {
            let mut tokens = used;
            tokens.push(n - 1);
            return Some((v, unit, tokens));
        }
        None
    }

    /// Adds a condition on a related table's field to a new related filter (has rows with…).
    fn related_condition(&mut self, f: FieldRef, cond: Filter, used: Vec<usize>) {
        let FieldRef::Rel(r, _) = f else { return };
        let first = used[0];
        self.related(first, r, vec![cond], used);
    }

    /// A number read for a field: percentages for ratios (70 → 0.7 when over 1).
    fn number_for(&self, f: FieldRef, m: &NumberMatch) -> f64 {
        if self.field(f).kind == FieldKind::Ratio && m.kind != NumberKind::Percent && m.value > 1.0
        {
            return m.value / 100.0;
        }
        m.value
    }

    /// `lo 到 hi` at `j` (之间 optional): 三十万和一百二十万之间, 100-200万.
    fn range_at(&self, j: usize) -> Option<(f64, f64, Vec<usize>)> {
        let lo = self.num(j)?;
        let sep = j + 1;
        if !(self.is(sep, Word::RangeSep) || self.is(sep, Word::And)) {
            return None;
        }
        let hi = self.num(sep + 1)?;
        let mut used = vec![j, sep, sep + 1];
        if self.is(sep + 2, Word::RangeEnd) {
            used.push(sep + 2);
        }
        let mut low = lo.value;
        // 100-200万: the unit written once applies to both ends.
        let hi_text = self.original(sep + 1, sep + 1);
        for (suffix, mult) in [("万", 1e4), ("萬", 1e4), ("亿", 1e8), ("億", 1e8)] {
            if lo.kind == NumberKind::Plain
                && hi_text.ends_with(suffix)
                && !self.original(j, j).ends_with(suffix)
                && low * mult <= hi.value
            {
                low *= mult;
                break;
            }
        }
        Some((low, hi.value, used))
    }

    /// `field [为|在] [介于] cmp number [以上]` and ranges.
    pub(super) fn numeric_condition(&mut self, i: usize, f: FieldRef) -> bool {
        let name = self.path(f);
        let mut j = self.skip_glue(i + 1);
        let mut used = vec![i];
        if self.is(j, Word::Between) {
            used.push(j);
            j = self.skip_glue(j + 1);
        }
        let cond = if let Some((lo, hi, toks)) = self.range_at(j) {
            used.extend(toks);
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            Filter::field(
                &name,
                Op::Between,
                Value::List(vec![Value::Num(lo), Value::Num(hi)]),
                None,
            )
        } else if let Some(op) = self.cmp_at(j) {
            let k = self.skip_glue(j + 1);
            let Some(m) = self.num(k) else { return false };
            let v = self.number_for(f, m);
            used.extend([j, k]);
            if self.cmp_post_at(k + 1).is_some() {
                used.push(k + 1);
            }
            Filter::field(&name, op, Value::Num(v), None)
        } else if let Some(m) = self.num(j) {
            let v = self.number_for(f, m);
            used.push(j);
            let op = match self.cmp_post_at(j + 1) {
                Some(op) => {
                    used.push(j + 1);
                    op
                }
                None => Op::Eq,
            };
            Filter::field(&name, op, Value::Num(v), None)
        } else {
            return false;
        };
        self.last_numeric = Some(f);
        if matches!(f, FieldRef::Rel(..)) {
            self.related_condition(f, cond, used);
            return true;
        }
        self.add_filter(cond, used);
        true
    }

    /// A comparison with no field before it: 超百万的客户 (the schema's default measure),
    /// 100人以上 (the field counted in 人), 超过70% (the ratio field).
    pub(super) fn bare_comparison(&mut self, i: usize, op: Op) -> bool {
        let k = self.skip_glue(i + 1);
        let Some(m) = self.num(k) else { return false };
        // at least 3 orders, 超过5次投诉: a count of related rows.
        let after = self.skip_glue(k + 1);
        let counted = m.kind == NumberKind::Plain
            || m.unit
                .is_some_and(|u| matches!(u, "次" | "笔" | "单" | "个"));
        if counted && m.value < 1000.0 {
            let related = self.meanings(after).iter().find_map(|x| match x {
                Meaning::Related(r) => Some((*r, None)),
                Meaning::Value {
                    field: f @ FieldRef::Rel(r, _),
                    weak: false,
                    ..
                } => Some((*r, Some(*f))),
                _ => None,
            });
            if let Some((r, value)) = related {
                self.preset_count = Some((op, m.value));
                self.mark(&[i, k]);
                match value {
                    Some(f) => {
                        self.value(after, f, false);
                    }
                    None => self.related(after, r, Vec::new(), vec![i, k, after]),
                }
                return true;
            }
        }
        let Some(f) = self.field_for_number(m) else {
            return false;
        };
        let mut used = vec![i, k];
        if self.cmp_post_at(k + 1).is_some() {
            used.push(k + 1);
        }
        let v = self.number_for(f, m);
        self.numeric_filter(f, op, v, used);
        true
    }

    fn numeric_filter(&mut self, f: FieldRef, op: Op, v: f64, used: Vec<usize>) {
        let cond = Filter::field(&self.path(f), op, Value::Num(v), None);
        self.add_filter(cond, used);
        self.last_numeric = Some(f);
    }

    /// The main-table field a number with no field before it is about.
    fn field_for_number(&self, m: &NumberMatch) -> Option<FieldRef> {
        let s = &self.p.schema;
        let main = |pick: &dyn Fn(&crate::schema::Field) -> bool| {
            let found: Vec<usize> = (0..s.fields.len())
                .filter(|&i| pick(&s.fields[i]))
                .collect();
            (found.len() == 1).then(|| FieldRef::Main(found[0]))
        };
        match m.kind {
            NumberKind::Percent => main(&|f| f.kind == FieldKind::Ratio),
            NumberKind::Count => {
                let unit = m.unit?;
                main(&|f| f.units.iter().any(|u| u == unit))
            }
            NumberKind::Amount | NumberKind::Plain => {
                if m.kind == NumberKind::Plain && m.value < 1000.0 {
                    return None;
                }
                let name = s.default_measure.as_deref()?;
                s.fields
                    .iter()
                    .position(|f| f.name == name)
                    .map(FieldRef::Main)
            }
        }
    }

    /// A number nothing claimed: a year or a duration (time), or a value with its unit
    /// (100人以上, 500万以上).
    pub(super) fn number(&mut self, i: usize) -> bool {
        if self.time(i) {
            return true;
        }
        let Some(m) = self.num(i).cloned() else {
            return false;
        };
        let post = self.cmp_post_at(i + 1);
        let Some(f) = self.field_for_number(&m) else {
            return false;
        };
        match post {
            Some(op) => self.numeric_filter(f, op, self.number_for(f, &m), vec![i, i + 1]),
            None if m.kind == NumberKind::Count => {
                self.numeric_filter(f, Op::Eq, self.number_for(f, &m), vec![i])
            }
            None => return false,
        }
        true
    }

    /// A category or tag field's name: 行业为科技, 行业不是制造, 省份分布.
    pub(super) fn category_field(&mut self, i: usize, f: FieldRef) -> bool {
        // 哪个行业, 哪3个省份, which regions: the groups asked for.
        if self.q.group_by.is_empty()
            && matches!(f, FieldRef::Main(_))
            && let Some((n, mut used)) = self.which_before(i)
        {
            used.push(i);
            self.group(f, used);
            self.which = Some(n);
            return true;
        }
        // A filler that is also a value of the field is the value: 客户等级是A (the
        // English article "a" is a filler everywhere else).
        let skip = |a: &Self, mut k: usize| {
            while a.free(k)
                && a.value_at(k, true, |g| g == f).is_none()
                && a.meanings(k).first() == Some(&Meaning::Word(Word::Filler))
            {
                k += 1;
            }
            k
        };
        let mut j = skip(self, i + 1);
        if self.is(j, Word::Cmp(Op::Eq)) {
            j = skip(self, j + 1);
        }
        if self.is(j, Word::Not) {
            self.neg = Some(j);
            j = skip(self, j + 1);
        }
        if self.value_at(j, true, |g| g == f).is_some() {
            self.mark(&[i]);
            // The field was named: the value's readings in other fields are not offered.
            let before = self.q.alternatives.len();
            let found = self.value(j, f, true);
            self.q.alternatives.truncate(before);
            return found;
        }
        if self.is(j, Word::GroupVerb) {
            self.group(f, vec![i, j]);
            return true;
        }
        // 除了科技之外的行业: the name of a field a condition already tests.
        let name = &self.field(f).name;
        if self
            .q
            .filters
            .iter()
            .any(|x| x.fields().contains(&name.as_str()))
            || self.q.group_by.iter().any(|g| &g.field == name)
        {
            self.mark(&[i]);
            return true;
        }
        // 华东 地区: the name after a value another rule took.
        if i > 0
            && self.t[i - 1].role.is_some()
            && matches!(&self.t[i - 1].kind, super::Kind::Lex(ms) if ms.iter().any(|m| matches!(m, Meaning::Value { field, .. } if *field == f)))
        {
            self.mark(&[i]);
            return true;
        }
        false
    }

    /// A which-word right before token `i` (哪个, 哪些, 哪3个, which 3): how many groups
    /// a superlative keeps (哪个 / which + one: 1; 哪些: all) and its tokens.
    fn which_before(&self, i: usize) -> Option<(Option<usize>, Vec<usize>)> {
        const ONE: &[&str] = &["哪个", "哪一个", "哪家", "哪一", "哪", "which", "what"];
        const ALL: &[&str] = &["哪些", "哪几个", "哪几", "哪几家"];
        let word = |k: usize| self.free(k).then(|| self.original(k, k).to_lowercase());
        let is_which = |w: &str| ONE.contains(&w) || ALL.contains(&w);
        let prev = i.checked_sub(1)?;
        if let Some(w) = word(prev)
            && is_which(&w)
        {
            let n = ONE.contains(&w.as_str()).then_some(1);
            return Some((n, vec![prev]));
        }
        let m = self.num(prev)?;
        let whole = m.value >= 1.0 && m.value.fract() == 0.0 && m.value <= 1000.0;
        let before = prev.checked_sub(1)?;
        match word(before) {
            Some(w) if whole && is_which(&w) => Some((Some(m.value as usize), vec![before, prev])),
            _ => None,
        }
    }

    /// A text field's name: 名称含科技, 简介提到电池.
    /// A text field with its words: 简介提到储能, 描述里有储能, 简介里包含光伏.
    pub(super) fn text_field(&mut self, i: usize) -> bool {
        let mut between = vec![i];
        let mut j = self.skip_glue(i + 1);
        while self.is(j, Word::Within) || self.is(j, Word::Has) {
            between.push(j);
            j = self.skip_glue(j + 1);
        }
        if self.is(j, Word::TextCue) && self.text_cue(j) {
            self.mark(&between);
            return true;
        }
        // 简介里有储能: the words right after 里 / 有 are the text.
        let last = between[between.len() - 1];
        if between.len() > 1
            && j == last + 1
            && self.free(j)
            && matches!(self.t[j].kind, super::Kind::Unknown(_))
            && self.text_cue(last)
        {
            self.mark(&between);
            return true;
        }
        false
    }

    /// An identifier field with its value: 客户编号C0000123, 联系人张伟.
    pub(super) fn id_field(&mut self, i: usize, f: FieldRef) -> bool {
        let mut j = self.skip_glue(i + 1);
        if self.is(j, Word::Cmp(Op::Eq)) {
            j = self.skip_glue(j + 1);
        }
        // An identifier keeps to the script it starts in: C0000123独角兽 is the id
        // C0000123 and a word after it.
        let cjk =
            |p: &Self, k: usize| matches!(p.t[k].kind, super::Kind::Unknown(super::CharClass::Cjk));
        let starts_cjk = j < self.t.len() && cjk(self, j);
        let piece = |p: &Self, k: usize| {
            p.free(k)
                && matches!(p.t[k].kind, super::Kind::Unknown(_) | super::Kind::Num(_))
                && cjk(p, k) == starts_cjk
        };
        let touches = |p: &Self, k: usize| k < p.t.len() && p.t[k].from == p.t[k - 1].to;
        // An identifier runs on over the pieces right after it, and over a `.`, `@`, `_`,
        // `-` or `+` between two of them: e-mail addresses (zhang.wei@example.com).
        let mut k = j;
        loop {
            if touches(self, k + 1) && piece(self, k + 1) {
                k += 1;
            } else if touches(self, k + 2)
                && touches(self, k + 1)
                && self.free(k + 1)
                && matches!(self.original(k + 1, k + 1), "." | "@" | "_" | "-" | "+")
                && piece(self, k + 2)
            {
                k += 2;
            } else {
                break;
            }
        }
        if !self.free(j)
            || !matches!(
                self.t[j].kind,
                super::Kind::Unknown(_) | super::Kind::Num(_)
            )
        {
            return false;
        }
        let value = self.original(j, k).to_string();
        let mut used: Vec<usize> = (j..=k).collect();
        used.push(i);
        let cond = Filter::field(&self.path(f), Op::Eq, Value::Str(value), None);
        self.add_filter(cond, used);
        true
    }

    /// A date field: 成立于2020年, 2023年以后成立, 成立3年以上, 成立不到5年, 近30天新增.
    pub(super) fn date_condition(&mut self, i: usize, f: FieldRef) -> bool {
        let name = self.path(f);
        let mut used = vec![i];
        let j = self.skip_glue(i + 1);
        // Age: 成立3年以上 (founded at least 3 years before as_of), 成立不到5年.
        let cmp = self.cmp_at(j);
        let k = if cmp.is_some() {
            self.skip_glue(j + 1)
        } else {
            j
        };
        if let Some(m) = self.num(k)
            && let Some(unit) = m.unit.and_then(Unit::from_word)
            && !(unit == Unit::Year && YEARS.contains(&m.value))
        {
            let post = self.cmp_post_at(k + 1);
            let op = match (cmp, post) {
                (Some(op), _) | (None, Some(op)) => op,
                (None, None) => return self.date_time_after(i, f, used),
            };
            let since = time::ago(self.as_of, m.value, unit);
            // Older than N: the date is at least N units back.
            let date_op = match op {
                Op::Gt => Op::Lt,
                Op::Ge => Op::Le,
                Op::Lt => Op::Gt,
                Op::Le => Op::Ge,
                other => other,
            };
            used.push(k);
            if cmp.is_some() {
                used.push(j);
            }
            if post.is_some() {
                used.push(k + 1);
            }
            let cond = Filter::field(
                &name,
                date_op,
                Value::Str(since.format("%Y-%m-%d").to_string()),
                None,
            );
            return self.push_time_filter(f, cond, used);
        }
        if let Some(pt) = self.pending_time.take() {
            used.extend(pt.tokens.iter().copied());
            let span = self.span(&used);
            let cond = pt.range.filter(&name, &span);
            return self.push_time_filter(f, cond, used);
        }
        self.date_time_after(i, f, used)
    }

    fn date_time_after(&mut self, i: usize, f: FieldRef, mut used: Vec<usize>) -> bool {
        let j = self.skip_glue(i + 1);
        let Some((range, toks)) = self.time_at(j) else {
            return false;
        };
        used.extend(toks);
        let span = self.span(&used);
        let cond = range.filter(&self.path(f), &span);
        self.push_time_filter(f, cond, used)
    }

    fn push_time_filter(&mut self, f: FieldRef, cond: Filter, used: Vec<usize>) -> bool {
        if matches!(f, FieldRef::Rel(..)) {
            self.related_condition(f, cond, used);
            return true;
        }
        self.add_filter(cond, used);
        true
    }

    /// A time expression at `i`: it goes to the related clause just before it, or waits for
    /// the related table or date field after it.
    pub(super) fn time(&mut self, i: usize) -> bool {
        let Some((range, tokens)) = self.time_at(i) else {
            return false;
        };
        self.mark(&tokens);
        let first = tokens.iter().copied().min().unwrap_or(i);
        let span = self.span(&tokens);
        if let Some((at, last)) = self.last_related
            && (last + 1..first).all(|k| {
                !self.free(k)
                    || self.meanings(k).first() == Some(&Meaning::Word(Word::Filler))
                    || self.is(k, Word::Has)
            })
            && let Some(Filter::Related(rf)) = self.q.filters.get_mut(at)
        {
            let rel = self
                .p
                .schema
                .related(&rf.table)
                .expect("related table of the schema");
            if !rf
                .filters
                .iter()
                .any(|f| f.fields().contains(&rel.time_field.as_str()))
            {
                rf.filters.push(range.filter(&rel.time_field, &span));
                if let Some(s) = &rf.span {
                    let whole = Span::cover(self.text.original, s, &span);
                    rf.span = Some(whole);
                }
                return true;
            }
        }
        if let Some(old) = self.pending_time.replace(PendingTime { range, tokens }) {
            for k in old.tokens {
                self.t[k].role = Some(super::Role::Unrecognized);
            }
        }
        true
    }

    /// Reads a time expression starting at token `i`: its range and tokens.
    pub(super) fn time_at(&self, i: usize) -> Option<(Range, Vec<usize>)> {
        let within = |k: usize, used: &mut Vec<usize>| {
            if self.is(k, Word::Within) || self.is(k, Word::CmpPost(Op::Le)) {
                used.push(k);
            }
        };
        if let Some(p) = self.period_at(i) {
            let mut used = vec![i];
            let mut range = time::period(self.as_of, p);
            // 去年第三季度, 今年上半年: a part of the year said.
            if let Some(year) = match p {
                Period::ThisYear => Some(self.as_of.year()),
                Period::LastYear => Some(self.as_of.year() - 1),
                Period::YearBeforeLast => Some(self.as_of.year() - 2),
                Period::NextYear => Some(self.as_of.year() + 1),
                _ => None,
            } && let Some(part) = self.year_part(year, i + 1)
            {
                range = part;
                used.push(i + 1);
            }
            // 半年以前: before the period began.
            if self.is(i + 1, Word::Before) {
                return Some((open(range, false), vec![i, i + 1]));
            }
            within(i + 1, &mut used);
            if self.is(i + 1, Word::Since) {
                used.push(i + 1);
            }
            return Some((range, used));
        }
        if self.is(i, Word::Recent) {
            // 近三季度: the last three quarters, not the third.
            if let Some(Period::Quarter(n)) = self.period_at(i + 1) {
                let mut used = vec![i, i + 1];
                within(i + 2, &mut used);
                return Some((time::last(self.as_of, f64::from(n), Unit::Quarter), used));
            }
            if let Some(p) = self.period_at(i + 1) {
                let mut used = vec![i, i + 1];
                within(i + 2, &mut used);
                return Some((time::period(self.as_of, p), used));
            }
            let (n, unit, mut used) = self.duration_at(i + 1)?;
            used.push(i);
            let end = used.iter().copied().max().unwrap_or(i);
            within(end + 1, &mut used);
            return Some((time::last(self.as_of, n, unit), used));
        }
        if self.is(i, Word::Since) || self.is(i, Word::Before) {
            let since = self.is(i, Word::Since);
            let (range, mut used) = self.point_at(i + 1)?;
            used.push(i);
            return Some((open(range, since), used));
        }
        if let Some((range, mut used)) = self.point_at(i) {
            let end = used.iter().copied().max().unwrap_or(i);
            let next = end + 1;
            if self.is(next, Word::Since) {
                used.push(next);
                return Some((open(range, true), used));
            }
            if self.is(next, Word::Before) {
                used.push(next);
                return Some((open(range, false), used));
            }
            if (self.is(next, Word::RangeSep) || self.is(next, Word::And))
                && let Some((to, more)) = self.point_at(next + 1)
            {
                let last = more.iter().copied().max().unwrap_or(next + 1);
                used.push(next);
                used.extend(more);
                if self.is(last + 1, Word::RangeEnd) {
                    used.push(last + 1);
                }
                let range = Range {
                    from: range.from,
                    to: to.to,
                };
                return Some((range, used));
            }
            return Some((range, used));
        }
        // 30天内, 三个月以内.
        let (n, unit, mut used) = self.duration_at(i)?;
        let end = used.iter().copied().max().unwrap_or(i);
        if self.is(end + 1, Word::Within) || self.is(end + 1, Word::CmpPost(Op::Le)) {
            used.push(end + 1);
            return Some((time::last(self.as_of, n, unit), used));
        }
        None
    }

    /// A duration: 30天, 三个月, 90 days.
    fn duration_at(&self, i: usize) -> Option<(f64, Unit, Vec<usize>)> {
        let m = self.num(i)?;
        if let Some(unit) = m.unit.and_then(Unit::from_word) {
            if unit == Unit::Year && YEARS.contains(&m.value) {
                return None;
            }
            return Some((m.value, unit, vec![i]));
        }
        if m.kind == NumberKind::Plain
            && let Some(unit) = self.time_unit_at(i + 1)
        {
            return Some((m.value, unit, vec![i, i + 1]));
        }
        None
    }

    /// A point in time that is a whole period: 2023年, 2023年3月, 2024-01-15, 2023 (after
    /// since/before).
    fn point_at(&self, i: usize) -> Option<(Range, Vec<usize>)> {
        if let Some(d) = self.date(i) {
            return Some((
                Range {
                    from: Some(d),
                    to: Some(d),
                },
                vec![i],
            ));
        }
        let m = self.num(i)?;
        let is_year = YEARS.contains(&m.value)
            && m.value.fract() == 0.0
            && (m.unit == Some("年") || (m.unit.is_none() && m.kind == NumberKind::Plain));
        if !is_year {
            return None;
        }
        let y = m.value as i32;
        // 2024年下半年, 2025年Q3
        if let Some(part) = self.year_part(y, i + 1) {
            return Some((part, vec![i, i + 1]));
        }
        if let Some(mm) = self.num(i + 1)
            && mm.unit == Some("月")
            && (1.0..=12.0).contains(&mm.value)
            && mm.value.fract() == 0.0
        {
            return Some((time::month(y, mm.value as u32)?, vec![i, i + 1]));
        }
        if m.unit.is_none()
            && !(self.is(i.wrapping_sub(1), Word::Since)
                || self.is(i.wrapping_sub(1), Word::Before)
                || self.is(i + 1, Word::Since)
                || self.is(i + 1, Word::Before))
        {
            return None;
        }
        Some((time::year(y)?, vec![i]))
    }
}

impl Asm<'_, '_> {
    /// A half or quarter of year `y` at token `i`: 上半年, 第三季度, Q3.
    fn year_part(&self, y: i32, i: usize) -> Option<Range> {
        match self.period_at(i)? {
            p @ (Period::FirstHalf | Period::SecondHalf) => {
                Some(time::half(y, p == Period::FirstHalf))
            }
            Period::Quarter(q) => Some(time::quarter(y, q)),
            _ => None,
        }
    }
}

/// From a period on (since) or up to its start (before).
fn open(range: Range, since: bool) -> Range {
    if since {
        Range {
            from: range.from,
            to: None,
        }
    } else {
        Range {
            from: None,
            to: range.from.and_then(|d| d.pred_opt()),
        }
    }
}
