//! Rules that order, limit, group and measure: 按采购额排序, TOP20, 最高的5家, 按省份统计,
//! 各行业平均年采购额, 客户数; and free text after 做 / 提到.

use super::assemble::Asm;
use super::lexicon::{FieldRef, Meaning, Word};
use crate::numbers::NumberKind;
use crate::query::{Agg, Filter, GroupBy, Limit, Measure, RelatedFilter, Sort, TextTerm};
use crate::schema::FieldKind;

/// A group field after a superlative: the field, its token, and the count said between
/// (its value and token).
struct GroupAfter {
    field: FieldRef,
    at: usize,
    count: Option<(usize, usize)>,
}

/// Measure words a rank count may carry: 前10名, 最高的5家.
const RANK_UNITS: &[&str] = &["名", "家", "个", "位", "条", "户", "款", "种", "件"];

impl Asm<'_, '_> {
    /// Sets the ordering; an explicit one replaces the one a bare TOP N implied.
    pub(super) fn set_sort(&mut self, mut sort: Sort) {
        if std::mem::take(&mut self.implied_sort) {
            // bottom 5 customers by annual purchase: counted from the lowest, by the field
            // named after.
            if self.q.sort.first().is_some_and(|s| !s.descending) {
                sort.descending = false;
            }
            self.q.sort.clear();
        }
        if !self.q.sort.iter().any(|s| s.field == sort.field) {
            self.q.sort.push(sort);
        }
    }

    fn main_numeric(&self, f: FieldRef) -> bool {
        matches!(f, FieldRef::Main(_)) && self.field(f).kind.is_numeric()
    }

    /// A rank count at `k`: 10, 10名, 5家.
    fn rank_count(&self, k: usize) -> Option<usize> {
        let m = self.num(k)?;
        let whole = m.value >= 1.0 && m.value.fract() == 0.0 && m.value <= 100_000.0;
        let unit_ok = match m.kind {
            NumberKind::Plain => true,
            NumberKind::Count => m.unit.is_some_and(|u| RANK_UNITS.contains(&u)),
            _ => false,
        };
        (whole && unit_ok).then_some(m.value as usize)
    }

    fn set_limit(&mut self, n: usize, tokens: &[usize]) {
        let span = self.span(tokens);
        self.q.limit = Some(Limit { n, span });
    }

    fn default_sort_field(&self) -> Option<String> {
        self.p.schema.default_measure.clone()
    }

    /// 前10, TOP20, top 10; counted from the lowest (`desc` false): 后10, 倒数5, bottom 3.
    pub(super) fn top(&mut self, i: usize, desc: bool) -> bool {
        let Some(n) = self.rank_count(i + 1) else {
            return false;
        };
        let used = [i, i + 1];
        // top 3 provinces: the first groups by a measure.
        let k = self.skip_glue(i + 2);
        if self.q.group_by.is_empty()
            && let Some(f) = self.group_field_at(k)
        {
            self.group(f, vec![k]);
            self.rank_groups(desc, used.to_vec(), Some(n));
            return true;
        }
        // 销售额前10 / 销售额TOP10: rows ranked by a related measure.
        if self.related_measure_before(i) {
            let name = self.ranked_measure();
            self.set_limit(n, &used);
            let span = self.span(&used);
            self.set_sort(Sort {
                field: name,
                descending: desc,
                span: Some(span),
            });
            self.mark(&used);
            return true;
        }
        self.set_limit(n, &used);
        // A lookalike question ranks by likeness; TOP N only limits it.
        if self.q.sort.is_empty()
            && self.q.similar.is_none()
            && let Some(field) = self.default_sort_field()
        {
            let span = self.span(&used);
            self.q.sort.push(Sort {
                field,
                descending: desc,
                span: Some(span),
            });
            self.implied_sort = true;
        } else if !desc && let Some(last) = self.q.sort.last_mut() {
            // 采购额排名后10: the order asked for, counted from its end.
            last.descending = false;
        }
        self.mark(&used);
        true
    }

    /// 最高的5家, 最低的, 最高年采购额 (a maximum when grouped).
    pub(super) fn rank(&mut self, i: usize, desc: bool) -> bool {
        if self.group_superlative(i, desc) || self.which_ranked(i, desc) {
            return true;
        }
        if self.related_measure_before(i) {
            let name = self.ranked_measure();
            self.ranked(name, desc, vec![i]);
            return true;
        }
        let j = self.skip_glue(i + 1);
        let mut used = vec![i];
        let field = match self.field_at(j, |f, _| self.main_numeric(f)) {
            Some(f) if !self.q.group_by.is_empty() => {
                let span = self.span(&[i, j]);
                let agg = if desc { Agg::Max } else { Agg::Min };
                let name = self.field(f).name.clone();
                self.measure(Measure::new(agg, Some(&name), span));
                self.mark(&[i, j]);
                return true;
            }
            Some(f) => {
                used.push(j);
                self.field(f).name.clone()
            }
            // 投诉最多的客户, 下单最多的: each row ranked by how many of those related rows
            // it has (in the window), among the rows that have any.
            None if self.related_just_before(i) => return self.rank_by_related_count(i, desc),
            None => match self
                .last_numeric
                .map(|f| self.field(f).name.clone())
                .or_else(|| self.default_sort_field())
            {
                Some(name) => {
                    // Only implied: "largest 5 customers by registered capital" says which.
                    self.ranked(name, desc, used);
                    self.implied_sort = true;
                    return true;
                }
                None => return false,
            },
        };
        self.ranked(field, desc, used);
        true
    }

    /// Sorts by `field` and takes a count after (的5家).
    pub(super) fn ranked(&mut self, field: String, desc: bool, mut used: Vec<usize>) {
        let end = used.iter().copied().max().unwrap_or(0);
        let k = self.skip_glue(end + 1);
        let limit = self.rank_count(k);
        let sort_span = self.span(&used);
        if let Some(n) = limit {
            used.push(k);
            self.set_limit(n, &[k]);
        }
        self.set_sort(Sort {
            field,
            descending: desc,
            span: Some(sort_span),
        });
        self.mark(&used);
    }

    /// 年采购额最高的5家, 注册资本从高到低, 采购额降序.
    pub(super) fn field_rank(&mut self, i: usize, f: FieldRef) -> bool {
        if !matches!(f, FieldRef::Main(_)) {
            return false;
        }
        let j = self.skip_glue(i + 1);
        let name = self.field(f).name.clone();
        // 年采购额前十, 累计采购额排名前20: the field orders, the TOP rule limits.
        if (self.is(j, Word::Top) || self.is(j, Word::Bottom)) && self.rank_count(j + 1).is_some() {
            let span = self.span(&[i]);
            self.set_sort(Sort {
                field: name,
                descending: self.is(j, Word::Top),
                span: Some(span),
            });
            self.mark(&[i]);
            return true;
        }
        if self.is(j, Word::High) || self.is(j, Word::Low) {
            let desc = self.is(j, Word::High);
            // 年采购额最高的3个省份: groups by the field's total (a ratio's average).
            if self.q.group_by.is_empty() && self.group_after(j).is_some() {
                let agg = if self.field(f).kind == FieldKind::Ratio {
                    Agg::Avg
                } else {
                    Agg::Sum
                };
                let span = self.span(&[i]);
                self.measure(Measure::new(agg, Some(&name), span));
                self.mark(&[i]);
                return self.group_superlative(j, desc);
            }
            if !self.q.group_by.is_empty() {
                let span = self.span(&[i, j]);
                let agg = if desc { Agg::Max } else { Agg::Min };
                self.measure(Measure::new(agg, Some(&name), span));
                self.mark(&[i, j]);
                return true;
            }
            self.ranked(name, desc, vec![i, j]);
            return true;
        }
        if let Some((desc, used)) = self.direction(j) {
            let mut all = vec![i];
            all.extend(used);
            let span = self.span(&all);
            self.set_sort(Sort {
                field: name,
                descending: desc,
                span: Some(span),
            });
            self.mark(&all);
            return true;
        }
        false
    }

    /// Ordering words at `j`: 排序, 降序, 从高到低, 排序从低到高. Descending unless asked.
    fn direction(&self, j: usize) -> Option<(bool, Vec<usize>)> {
        let mut used = Vec::new();
        let mut desc = None;
        let mut k = j;
        for _ in 0..3 {
            let k2 = self.skip_glue(k);
            if self.is(k2, Word::SortVerb) {
                used.push(k2);
            } else if self.is(k2, Word::Desc) {
                desc = Some(true);
                used.push(k2);
            } else if self.is(k2, Word::Asc) {
                desc = Some(false);
                used.push(k2);
            } else {
                break;
            }
            k = k2 + 1;
        }
        (!used.is_empty()).then(|| (desc.unwrap_or(true), used))
    }

    /// 年采购额总和, 年采购总额, 注册资本的平均值.
    pub(super) fn field_measure(&mut self, i: usize, f: FieldRef) -> bool {
        if !matches!(f, FieldRef::Main(_)) {
            return false;
        }
        let j = self.skip_glue(i + 1);
        let Some(agg) = self.agg_post_at(j) else {
            return false;
        };
        let span = self.span(&[i, j]);
        let name = self.field(f).name.clone();
        self.measure(Measure::new(agg, Some(&name), span));
        self.mark(&[i, j]);
        true
    }

    /// 按负责销售统计年采购额, 各大区的流失风险: a numeric field named beside a grouping is
    /// its measure: the sum of money and counts, the average of a ratio (平均 says so
    /// itself, through `agg`).
    pub(super) fn grouped_field(&mut self, i: usize, f: FieldRef) -> bool {
        // 各大区订单数: a measure of the related rows (over the window) says it better.
        let related_measure = self
            .meanings(i)
            .iter()
            .any(|m| matches!(m, Meaning::RelatedMeasure(..)));
        if !self.main_numeric(f) || self.q.group_by.is_empty() || related_measure {
            return false;
        }
        let next = self.skip_glue(i + 1);
        if self.cmp_at(next).is_some()
            || self.cmp_post_at(next).is_some()
            || self.num(next).is_some()
        {
            return false;
        }
        let field = self.field(f);
        let agg = if field.kind == FieldKind::Ratio {
            Agg::Avg
        } else {
            Agg::Sum
        };
        let name = field.name.clone();
        let span = self.span(&[i]);
        self.measure(Measure::new(agg, Some(&name), span));
        self.mark(&[i]);
        true
    }

    /// 按 + field: a numeric or date field sorts, a category groups (按省份统计) unless
    /// 排序 follows; 按客户数排序 sorts by the count.
    pub(super) fn by(&mut self, i: usize) -> bool {
        let j = self.skip_glue(i + 1);
        if self.meanings(j).contains(&Meaning::Count) {
            let (desc, more) = self.direction(j + 1).unwrap_or((true, Vec::new()));
            let mut used = vec![i, j];
            used.extend(more);
            let span = self.span(&used);
            self.measure(Measure::new(Agg::Count, None, span.clone()));
            self.set_sort(Sort {
                field: "count".into(),
                descending: desc,
                span: Some(span),
            });
            self.mark(&used);
            return true;
        }
        let Some(f) = self.field_at(j, |f, _| matches!(f, FieldRef::Main(_))) else {
            return false;
        };
        let field = self.field(f);
        let direction = self.direction(j + 1);
        let grouping = matches!(field.kind, FieldKind::Category | FieldKind::Tags)
            && !direction
                .as_ref()
                .is_some_and(|(_, u)| u.iter().any(|&k| self.is(k, Word::SortVerb)));
        if grouping {
            let mut used = vec![i, j];
            let k = self.skip_glue(j + 1);
            if self.is(k, Word::GroupVerb) {
                used.push(k);
            }
            self.group(f, used);
            return true;
        }
        let mut used = vec![i, j];
        let desc = match direction {
            Some((desc, more)) => {
                used.extend(more);
                desc
            }
            None => !matches!(
                field.kind,
                FieldKind::Category | FieldKind::Tags | FieldKind::Text | FieldKind::Id
            ),
        };
        let span = self.span(&used);
        self.set_sort(Sort {
            field: field.name.clone(),
            descending: desc,
            span: Some(span),
        });
        self.mark(&used);
        true
    }

    /// 各行业, 每个省份, 分区域.
    pub(super) fn each(&mut self, i: usize) -> bool {
        let j = self.skip_glue(i + 1);
        let Some(f) = self.field_at(j, |f, field| {
            matches!(f, FieldRef::Main(_))
                && matches!(field.kind, FieldKind::Category | FieldKind::Tags)
        }) else {
            return false;
        };
        let mut used = vec![i, j];
        let k = self.skip_glue(j + 1);
        if self.is(k, Word::GroupVerb) {
            used.push(k);
        }
        self.group(f, used);
        true
    }

    pub(super) fn group(&mut self, f: FieldRef, used: Vec<usize>) {
        let span = self.span(&used);
        let field = self.field(f).name.clone();
        if !self.q.group_by.iter().any(|g| g.field == field) {
            self.q.group_by.push(GroupBy { field, span });
        }
        self.mark(&used);
    }

    /// 平均年采购额, 总注册资本, average annual purchase.
    pub(super) fn agg(&mut self, i: usize, agg: Agg) -> bool {
        let j = self.skip_glue(i + 1);
        let Some(f) = self.field_at(j, |f, _| self.main_numeric(f)) else {
            return false;
        };
        let span = self.span(&[i, j]);
        let name = self.field(f).name.clone();
        self.measure(Measure::new(agg, Some(&name), span));
        self.mark(&[i, j]);
        true
    }

    /// 去年销售额, 各省份订单总金额, 客单价: a measure of a related table's rows over the
    /// question's window (the time said before it). Not when it is compared or ranked
    /// (销售额超过100万的客户, 按销售额排序): conditions and orderings on it are not computed,
    /// so the word stays not understood rather than answering something else.
    pub(super) fn related_measure(&mut self, i: usize, r: usize, k: usize) -> bool {
        let next = self.skip_glue(i + 1);
        let compared = self.cmp_at(next).is_some()
            || self.cmp_post_at(next).is_some()
            || self.num(next).is_some();
        // 有订单金额超过100万: has an order of that amount (the field's condition), not a
        // total; without 有 the measure word means the total.
        let has_before =
            i > 0 && self.is(i - 1, Word::Has) && self.original(i - 1, i - 1).starts_with('有');
        if compared && !has_before {
            return self.related_total_condition(i, r, k, next);
        }
        if compared {
            return false;
        }
        let lex = |j: usize| match &self.t[j].kind {
            super::Kind::Lex(ms) => *ms,
            _ => &[],
        };
        // 按销售额排序: ordered by it (the groups, or else each row's own).
        let by = (0..i)
            .rev()
            .find(|&j| lex(j).first() != Some(&Meaning::Word(Word::Filler)))
            .filter(|&j| self.free(j) && lex(j).contains(&Meaning::Word(Word::By)));
        let rel = &self.p.schema.related[r];
        let rm = &rel.measures[k];
        let mut used = vec![i];
        let mut filters = Vec::new();
        if let Some(pt) = self.pending_time.take() {
            let span = self.span(&pt.tokens);
            filters.push(pt.range.filter(&rel.time_field, &span));
            used.extend(pt.tokens);
        } else if let Some((window, at)) = self.measure_window.clone()
            && (at + 1..i).all(|j| {
                lex(j).first() == Some(&Meaning::Word(Word::Filler))
                    || lex(j).contains(&Meaning::Word(Word::And))
                    || lex(j).contains(&Meaning::Word(Word::Comma))
            })
            && window.fields().contains(&rel.time_field.as_str())
        {
            // 去年的营收和订单数: the window said once reads for both.
            filters.push(window);
        }
        if let Some(w) = filters.first() {
            self.measure_window = Some((w.clone(), i));
        }
        let span = self.span(&used);
        let m = Measure {
            name: rm.name.clone(),
            agg: rm.agg,
            field: rm.field.clone(),
            span,
            related: Some(rel.table.clone()),
            filters,
            label: Some(rm.label.clone()),
        };
        let name = m.name.clone();
        self.measure(m);
        self.mark(&used);
        self.last_related_measure = Some(i);
        if let Some(b) = by {
            let (desc, more) = self.direction(i + 1).unwrap_or((true, Vec::new()));
            let mut sort_tokens = vec![b, i];
            sort_tokens.extend(more);
            if self.q.group_by.is_empty() {
                self.per_row = Some(name.clone());
            }
            let span = self.span(&sort_tokens);
            self.set_sort(Sort {
                field: name,
                descending: desc,
                span: Some(span),
            });
            self.mark(&sort_tokens);
        }
        true
    }

    /// 本季度订单金额合计不少于50万的客户, 去年订单数超过3笔: a condition on the total (or
    /// count) of each row's related rows in the window. An average compared (客单价超过1万)
    /// is not computed per row, so it stays not understood.
    fn related_total_condition(&mut self, i: usize, r: usize, k: usize, j: usize) -> bool {
        let rel = &self.p.schema.related[r];
        let rm = &rel.measures[k];
        let mut used = vec![i];
        let total = match (rm.agg, &rm.field) {
            (Agg::Sum | Agg::Avg, Some(f)) => Some(crate::query::Total {
                agg: rm.agg,
                field: f.clone(),
            }),
            (Agg::Count, _) => None,
            _ => {
                // The comparison goes with the measure: left out with it, never given to
                // another field (客单价超过1万 is not 年采购额>1万).
                let mut k = j;
                while k < self.t.len()
                    && self.free(k)
                    && (k == j
                        || self.num(k).is_some()
                        || self.cmp_post_at(k).is_some()
                        || self.cmp_at(k).is_some())
                {
                    self.t[k].role = Some(super::Role::Unrecognized);
                    k += 1;
                }
                return false;
            }
        };
        let (op, value) = if let Some(op) = self.cmp_at(j) {
            let n = self.skip_glue(j + 1);
            let Some(m) = self.num(n) else { return false };
            used.extend([j, n]);
            if self.cmp_post_at(n + 1).is_some() {
                used.push(n + 1);
            }
            (op, m.value)
        } else if let Some(m) = self.num(j) {
            used.push(j);
            let op = match self.cmp_post_at(j + 1) {
                Some(op) => {
                    used.push(j + 1);
                    op
                }
                None => return false,
            };
            (op, m.value)
        } else {
            return false;
        };
        let mut filters = Vec::new();
        if let Some(pt) = self.pending_time.take() {
            let span = self.span(&pt.tokens);
            filters.push(pt.range.filter(&rel.time_field, &span));
            used.extend(pt.tokens);
        }
        let f = Filter::Related(RelatedFilter {
            table: rel.table.clone(),
            filters,
            count_op: op,
            count: value,
            total,
            span: None,
        });
        let last = used.iter().copied().max().unwrap_or(i);
        self.add_filter(f, used);
        self.last_related = Some((self.q.filters.len() - 1, last));
        true
    }

    /// The last measure named, which now ranks: the groups, or else each row by its own.
    fn ranked_measure(&mut self) -> String {
        let name = self.q.measures.last().expect("a measure").name.clone();
        if self.q.group_by.is_empty() {
            self.per_row = Some(name.clone());
        }
        name
    }

    /// Whether the related condition made last ends right before token `i` (glue aside).
    fn related_just_before(&self, i: usize) -> bool {
        self.last_related.is_some_and(|(_, last)| {
            last < i
                && (last + 1..i).all(|k| {
                    self.free(k) && self.meanings(k).first() == Some(&Meaning::Word(Word::Filler))
                })
        })
    }

    /// 投诉最多的客户: the related condition before the superlative at `i` becomes the count
    /// each row is ranked by; its rows (kind, window) are what is counted.
    fn rank_by_related_count(&mut self, i: usize, desc: bool) -> bool {
        let Some((at, _)) = self.last_related else {
            return false;
        };
        let Some(Filter::Related(rf)) = self.q.filters.get(at) else {
            return false;
        };
        let plain_has =
            rf.total.is_none() && rf.count_op == crate::query::Op::Ge && rf.count == 1.0;
        let Some(rel) = self.p.schema.related(&rf.table) else {
            return false;
        };
        let Some(rm) = rel
            .measures
            .iter()
            .find(|m| m.agg == Agg::Count && m.field.is_none())
        else {
            return false;
        };
        if !plain_has || !self.q.group_by.is_empty() {
            return false;
        }
        let span = rf.span.clone().unwrap_or_else(|| self.span(&[i]));
        let m = Measure {
            name: rm.name.clone(),
            agg: Agg::Count,
            field: None,
            span,
            related: Some(rel.table.clone()),
            filters: rf.filters.clone(),
            label: Some(rm.label.clone()),
        };
        let name = m.name.clone();
        self.measure(m);
        self.per_row = Some(name.clone());
        self.per_row_from = Some(at);
        self.ranked(name, desc, vec![i]);
        true
    }

    /// Whether the last thing named before token `i` (glue aside) is a related measure.
    pub(super) fn related_measure_before(&self, i: usize) -> bool {
        let Some(at) = self.last_related_measure else {
            return false;
        };
        at < i
            && (at + 1..i).all(|k| {
                !self.free(k) && self.t[k].role.is_some()
                    || self.meanings(k).first() == Some(&Meaning::Word(Word::Filler))
            })
            && self.q.measures.last().is_some_and(|m| m.related.is_some())
    }

    /// A field that groups at `k`: a category or tag field of the rows.
    pub(super) fn group_field_at(&self, k: usize) -> Option<FieldRef> {
        self.field_at(k, |f, field| {
            matches!(f, FieldRef::Main(_))
                && matches!(field.kind, FieldKind::Category | FieldKind::Tags)
        })
    }

    /// The group field after a superlative at `i` (最多的3个省份).
    fn group_after(&self, i: usize) -> Option<GroupAfter> {
        let j = self.skip_glue(i + 1);
        let (count, at) = match self.rank_count(j) {
            Some(n) => (Some((n, j)), self.skip_glue(j + 1)),
            None => (None, j),
        };
        self.group_field_at(at)
            .map(|field| GroupAfter { field, at, count })
    }

    /// 客户最多的3个省份, 平均年采购额最低的大区, 销售额最高的行业: a superlative at `i`
    /// followed by a group field ranks the groups by the measure named before (how many
    /// rows when none), keeping the count said or the first one.
    pub(super) fn group_superlative(&mut self, i: usize, desc: bool) -> bool {
        if !self.q.group_by.is_empty() {
            return false;
        }
        let Some(GroupAfter {
            field: f,
            at: k,
            count: n,
        }) = self.group_after(i)
        else {
            return false;
        };
        let mut used = vec![i];
        if let Some((_, j)) = n {
            used.push(j);
        }
        self.group(f, vec![k]);
        self.rank_groups(desc, used, Some(n.map_or(1, |(n, _)| n)));
        true
    }

    /// 哪个行业的忠诚客户最多: the superlative after the groups a which-word asked for.
    fn which_ranked(&mut self, i: usize, desc: bool) -> bool {
        let Some(n) = self.which.take() else {
            return false;
        };
        let mut used = vec![i];
        let j = self.skip_glue(i + 1);
        let n = match self.rank_count(j) {
            Some(m) if n.is_none() => {
                used.push(j);
                Some(m)
            }
            _ => n,
        };
        // 哪个省份的客户数最多: the count named before the superlative is the measure.
        self.rank_groups(desc, used, n);
        true
    }

    /// Sorts the groups by the last measure named (how many rows when none) and keeps `n`.
    pub(super) fn rank_groups(&mut self, desc: bool, used: Vec<usize>, n: Option<usize>) {
        let span = self.span(&used);
        if self.q.measures.is_empty() {
            // Provisional: a measure named after the superlative replaces it (which 3
            // provinces have the lowest average annual purchase).
            self.measure(Measure::new(Agg::Count, None, span.clone()));
            self.ranked_by_count = true;
        }
        let name = self.q.measures.last().expect("a measure").name.clone();
        if let Some(n) = n {
            self.q.limit = Some(Limit {
                n,
                span: span.clone(),
            });
        }
        if std::mem::take(&mut self.implied_sort) {
            self.q.sort.clear();
        }
        self.q.sort.retain(|s| s.field != name);
        self.q.sort.insert(
            0,
            Sort {
                field: name,
                descending: desc,
                span: Some(span),
            },
        );
        self.mark(&used);
    }

    /// Rows ranked by a related measure of each (上个月下单金额最多的10家): the answer lists
    /// each row (its key and title) with the measure, among the rows that have related rows
    /// in the window.
    pub(super) fn rows_ranked(&mut self) {
        let Some(name) = self.per_row.take() else {
            return;
        };
        if !self.q.group_by.is_empty() || self.q.series.is_some() {
            return;
        }
        let Some(at) = self.q.measures.iter().position(|m| m.name == name) else {
            return;
        };
        // Counted from a related condition (下单最多的 … 去年): the condition keeps the rows,
        // and a window said after it is the measure's too. Else the rows that have any.
        match self.per_row_from.take() {
            Some(from) => {
                if let Some(Filter::Related(rf)) = self.q.filters.get(from) {
                    self.q.measures[at].filters = rf.filters.clone();
                }
            }
            None => {
                let m = &self.q.measures[at];
                let Some(table) = m.related.clone() else {
                    return;
                };
                let has = Filter::Related(RelatedFilter {
                    table,
                    filters: m.filters.clone(),
                    count_op: crate::query::Op::Ge,
                    count: 1.0,
                    total: None,
                    span: Some(m.span.clone()),
                });
                self.q.filters.push(has);
            }
        }
        // One row per row: grouped by the key, with the title beside it.
        let span = self.q.measures[at].span.clone();
        let schema = &self.p.schema;
        for field in std::iter::once(&schema.key).chain(schema.title.iter()) {
            self.q.group_by.push(GroupBy {
                field: field.clone(),
                span: span.clone(),
            });
        }
    }

    /// 占比 and 同比 / 环比 where the answer can carry them; otherwise their words are
    /// listed as not understood (the answer is partial, never a plain count in disguise).
    pub(super) fn shares_and_comparisons(&mut self) {
        let tokens = std::mem::take(&mut self.share_tokens);
        if !tokens.is_empty() {
            let span = self.span(&tokens);
            let shareable = self.q.series.is_none()
                && self.q.similar.is_none()
                && match self.q.measures.first() {
                    None => true,
                    Some(m) => matches!(m.agg, Agg::Count | Agg::Sum),
                };
            if shareable {
                if self.q.measures.is_empty() {
                    self.measure(Measure::new(Agg::Count, None, span.clone()));
                }
                self.q.share = Some(span);
            } else {
                for k in tokens {
                    self.t[k].role = Some(super::Role::Unrecognized);
                }
            }
        }
        if let Some((kind, k)) = self.compare.take() {
            let windowed = |m: &Measure| {
                m.related.as_ref().is_some_and(|t| {
                    self.p.schema.related(t).is_some_and(|r| {
                        m.filters
                            .iter()
                            .any(|f| f.fields().contains(&r.time_field.as_str()))
                    })
                })
            };
            let comparable = !self.q.measures.is_empty()
                && self.q.share.is_none()
                && if self.q.series.is_some() {
                    self.q.measures.iter().all(|m| m.related.is_some())
                } else {
                    self.q.measures.iter().all(windowed)
                };
            if comparable {
                let span = self.span(&[k]);
                self.q.compare = Some(crate::query::Comparison { kind, span });
            } else {
                self.t[k].role = Some(super::Role::Unrecognized);
            }
        }
    }

    /// 按月统计新增客户数, 今年每个月新增了多少客户: a series of the rows themselves, by a date
    /// field of theirs that the question names (新增 → 建档时间) or already tests (建档时间在
    /// 今年), counted (or measured by main-table measures only). False when there is none.
    pub(super) fn rows_series(&mut self) -> bool {
        if !self.q.group_by.is_empty() || self.q.measures.iter().any(|m| m.related.is_some()) {
            return false;
        }
        let dated = |f: &crate::schema::Field| f.kind.is_time();
        // A date field named and taken by nothing (新增).
        let named = (0..self.t.len()).find_map(|k| {
            self.field_at(k, |f, field| matches!(f, FieldRef::Main(_)) && dated(field))
                .map(|f| (k, self.field(f).name.clone()))
        });
        let tested = self.q.filters.iter().find_map(|f| {
            f.fields()
                .into_iter()
                .find(|name| self.p.schema.field(name).is_some_and(dated))
                .map(str::to_string)
        });
        let field = match (named, tested) {
            (Some((k, name)), _) => {
                self.mark(&[k]);
                name
            }
            (None, Some(name)) => name,
            (None, None) => return false,
        };
        if self.q.measures.is_empty() {
            let span = self.q.series.as_ref().expect("a series").span.clone();
            self.measure(Measure::new(Agg::Count, None, span));
        }
        if let Some(s) = self.q.series.as_mut() {
            s.field = Some(field);
        }
        true
    }

    pub(super) fn count(&mut self, i: usize) {
        let span = self.span(&[i]);
        self.measure(Measure::new(Agg::Count, None, span));
        self.mark(&[i]);
    }

    /// 做新能源电池的, 提到售后投诉: the words after the cue, up to 的 or the next clause,
    /// are searched as text.
    pub(super) fn text_cue(&mut self, i: usize) -> bool {
        let mut j = i + 1;
        while self.free(j) && !self.ends_text(j) {
            j += 1;
        }
        if j == i + 1 {
            // 与光伏相关: the words come before the cue.
            let mut k = i;
            while k > 0 && self.free(k - 1) && matches!(self.t[k - 1].kind, super::Kind::Unknown(_))
            {
                k -= 1;
            }
            if k == i {
                return false;
            }
            let words: Vec<usize> = (k..i).collect();
            let span = self.span(&words);
            let used: Vec<usize> = (k..=i).collect();
            let whole = self.span(&used);
            self.q.text.push(TextTerm {
                text: span.text.trim().to_string(),
                span: whole,
            });
            self.mark(&used);
            return true;
        }
        let used: Vec<usize> = (i..j).collect();
        let words: Vec<usize> = (i + 1..j).collect();
        let text_span = self.span(&words);
        let span = self.span(&used);
        self.q.text.push(TextTerm {
            text: text_span.text.trim().to_string(),
            span,
        });
        self.mark(&used);
        true
    }

    /// Free text runs up to 的, a comma, 和 / 或, a comparison or the rows' own name.
    fn ends_text(&self, j: usize) -> bool {
        let ms = self.meanings(j);
        if ms.first() == Some(&Meaning::Word(Word::Filler)) {
            let t = self.original(j, j);
            return matches!(t, "的" | "地" | "?" | "？" | "。" | "!" | "！") || t.is_ascii();
        }
        match ms.first() {
            Some(Meaning::Entity) => true,
            Some(Meaning::Word(w)) => matches!(
                w,
                Word::Comma | Word::And | Word::Or | Word::Cmp(_) | Word::CmpPost(_)
            ),
            _ => false,
        }
    }
}
