//! Assembling tokens into a query: the state every rule shares, the dispatch over a token's
//! meanings, and the final pass that lists what nothing used. The rules themselves live in
//! `conditions` (filters, related tables, time) and `ordering` (sort, limit, groups,
//! measures, text).

use chrono::NaiveDate;

use super::lexicon::{FieldRef, Meaning, Word};
use super::text::Text;
use super::time::Range;
use super::{CharClass, Kind, Parser, Piece, Role, Token};
use crate::numbers::NumberMatch;
use crate::query::{Filter, Measure, Query, Span, TextTerm};
use crate::schema::{Field, FieldKind};

/// A time expression read but not yet given to a field or related table.
pub(super) struct PendingTime {
    pub(super) range: Range,
    pub(super) tokens: Vec<usize>,
}

pub(super) struct Asm<'a, 'p> {
    pub(super) p: &'p Parser,
    pub(super) text: &'a Text<'a>,
    pub(super) t: Vec<Token<'p>>,
    pub(super) as_of: NaiveDate,
    pub(super) q: Query,
    /// A negation waiting for the condition it negates (its token).
    pub(super) neg: Option<usize>,
    /// The negation is 除了 …, closed by 以外.
    pub(super) except: bool,
    /// An 或 between the last condition and the next.
    pub(super) or_next: bool,
    pub(super) pending_time: Option<PendingTime>,
    /// The last related-table filter: its index in `q.filters` and its last token.
    pub(super) last_related: Option<(usize, usize)>,
    /// The sort came from a bare 前N / TOP N, not from the question's words.
    pub(super) implied_sort: bool,
    /// The last numeric field named, for a later 最高 or a bare comparison.
    pub(super) last_numeric: Option<FieldRef>,
    /// A 统计 / 汇总 that no group-by took.
    pub(super) group_verb: Option<usize>,
    /// A count said before its related table (at least 3 orders).
    pub(super) preset_count: Option<(crate::query::Op, f64)>,
    /// The window the last related measure took and its token: 去年的营收和订单数 reads
    /// both over 去年.
    pub(super) measure_window: Option<(crate::query::Filter, usize)>,
    /// The tokens of the series word (按月统计), not understood when no measure of a
    /// related table goes with it.
    pub(super) series_tokens: Vec<usize>,
    /// 占比 / 比例 tokens, understood when the answer has a count or sum to share out.
    pub(super) share_tokens: Vec<usize>,
    /// 同比 / 环比 and its token, understood for a series or windowed related measures.
    pub(super) compare: Option<(crate::query::Compare, usize)>,
    /// 趋势: a series by month of the related measures when no period is said.
    pub(super) trend: Option<usize>,
    /// 哪个行业 / 哪3个省份 / which industry: the groups asked for and how many of them
    /// a later superlative keeps (哪个: 1).
    pub(super) which: Option<Option<usize>>,
    /// The token of the last related measure named (销售额), for a ranking after it.
    pub(super) last_related_measure: Option<usize>,
    /// 上个月下单金额最多的10家: rows ranked by a related measure of each (its name).
    pub(super) per_row: Option<String>,
    /// The groups were ranked by a count no word named (客户最多的 / the most).
    pub(super) ranked_by_count: bool,
    /// The related condition a per-row count was made from (投诉最多的客户).
    pub(super) per_row_from: Option<usize>,
}

pub(super) fn assemble<'p>(
    p: &'p Parser,
    text: &Text,
    tokens: Vec<Token<'p>>,
    as_of: NaiveDate,
) -> (Query, Vec<Piece>) {
    let mut a = Asm {
        p,
        text,
        t: tokens,
        as_of,
        q: Query {
            table: p.schema.table.clone(),
            ..Query::default()
        },
        neg: None,
        except: false,
        or_next: false,
        pending_time: None,
        last_related: None,
        implied_sort: false,
        last_numeric: None,
        group_verb: None,
        preset_count: None,
        measure_window: None,
        series_tokens: Vec::new(),
        share_tokens: Vec::new(),
        compare: None,
        trend: None,
        which: None,
        last_related_measure: None,
        per_row: None,
        ranked_by_count: false,
        per_row_from: None,
    };
    if !a.identifier_alone() {
        a.similar();
        for i in 0..a.t.len() {
            if a.free(i) {
                a.step(i);
            }
        }
    }
    a.finish()
}

impl<'p> Asm<'_, 'p> {
    /// A bare identifier typed alone (C0000123, a credit code): the row with that value in
    /// one of the schema's identifier fields, so that it opens that row.
    fn identifier_alone(&mut self) -> bool {
        let typed = self.text.original.trim();
        let shaped = typed.len() >= 6
            && typed.chars().all(|c| c.is_ascii_alphanumeric())
            && typed.chars().any(|c| c.is_ascii_digit());
        if !shaped || self.t.is_empty() {
            return false;
        }
        let all: Vec<usize> = (0..self.t.len()).collect();
        let span = self.span(&all);
        let mut any: Vec<Filter> = self
            .p
            .schema
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Id && f.lookup.is_none())
            .map(|f| {
                let value = crate::query::Value::Str(typed.to_string());
                Filter::field(&f.name, crate::query::Op::Eq, value, Some(span.clone()))
            })
            .collect();
        let f = match any.len() {
            0 => return false,
            1 => any.remove(0),
            _ => Filter::Any {
                any,
                span: Some(span),
            },
        };
        self.mark(&all);
        self.q.filters.push(f);
        true
    }

    fn step(&mut self, i: usize) {
        match self.t[i].kind {
            Kind::Lex(meanings) => {
                for m in meanings {
                    if self.meaning(i, m) {
                        return;
                    }
                }
            }
            Kind::Num(_) | Kind::Date(_) => {
                self.number(i);
            }
            Kind::Unknown(_) => {}
        }
    }

    /// Applies one meaning of token `i`; false when it does not fit here (the next meaning
    /// is tried, and a token no meaning fits is listed as unrecognised).
    fn meaning(&mut self, i: usize, m: &'p Meaning) -> bool {
        match m {
            Meaning::Word(w) => self.word(i, *w),
            Meaning::Concept(c) => {
                self.concept(i, *c);
                true
            }
            Meaning::Value { field, weak, .. } => !*weak && self.value(i, *field, false),
            Meaning::Related(r) => {
                self.related(i, *r, Vec::new(), vec![i]);
                true
            }
            Meaning::Field(f) => self.field_word(i, *f),
            Meaning::RelatedMeasure(r, k) => self.related_measure(i, *r, *k),
            Meaning::Entity => true,
            Meaning::Count => {
                self.count(i);
                true
            }
        }
    }

    fn word(&mut self, i: usize, w: Word) -> bool {
        match w {
            Word::Not => {
                if self.elliptic_related(i) {
                    return true;
                }
                self.neg = Some(i);
                self.except = false;
                true
            }
            Word::Except => {
                self.neg = Some(i);
                self.except = true;
                true
            }
            Word::Or => {
                self.or_next = true;
                true
            }
            Word::Cmp(op) => self.bare_comparison(i, op),
            Word::Top => self.top(i, true),
            Word::Bottom => self.top(i, false),
            Word::High => self.rank(i, true),
            Word::Low => self.rank(i, false),
            Word::By => self.by(i),
            Word::Each => self.each(i),
            Word::GroupVerb => {
                // group by province, 统计省份
                let j = self.skip_glue(i + 1);
                if let Some(f) = self.field_at(j, |f, field| {
                    matches!(f, FieldRef::Main(_))
                        && matches!(field.kind, FieldKind::Category | FieldKind::Tags)
                }) {
                    self.group(f, vec![i, j]);
                } else {
                    self.group_verb = Some(i);
                }
                true
            }
            Word::Agg(agg) => self.agg(i, agg),
            Word::Per(bucket) => {
                if self.q.series.is_some() {
                    return false;
                }
                let mut used = vec![i];
                let k = self.skip_glue(i + 1);
                if self.is(k, Word::GroupVerb) {
                    used.push(k);
                }
                let span = self.span(&used);
                self.q.series = Some(crate::query::Series {
                    bucket,
                    span,
                    field: None,
                });
                self.series_tokens = used.clone();
                self.mark(&used);
                true
            }
            Word::Share => {
                self.share_tokens.push(i);
                self.mark(&[i]);
                true
            }
            Word::Compare(c) => {
                if self.compare.is_some() {
                    return false;
                }
                self.compare = Some((c, i));
                self.mark(&[i]);
                true
            }
            Word::Trend => {
                if self.trend.is_some() {
                    return false;
                }
                self.trend = Some(i);
                self.mark(&[i]);
                true
            }
            Word::Recent | Word::Period(_) | Word::Since | Word::Before => self.time(i),
            Word::TextCue => self.text_cue(i),
            // An English filler written against Chinese (A类客户: "a" is no article
            // there) is not glue: left for another meaning, or reported unrecognised.
            Word::Filler => !self.latin_against_han(i),
            Word::And | Word::Comma | Word::Has | Word::Past | Word::Within | Word::TimeUnit(_) => {
                true
            }
            Word::ExceptEnd => self.except_after(i),
            Word::CmpPost(_)
            | Word::Between
            | Word::RangeSep
            | Word::RangeEnd
            | Word::Desc
            | Word::Asc
            | Word::SortVerb
            | Word::AggPost(_)
            | Word::Like
            | Word::LikeOpen
            | Word::Chat => false,
        }
    }

    fn field_word(&mut self, i: usize, f: FieldRef) -> bool {
        // 近90天订单数超过3笔: a window said before a word that is also a related measure
        // (订单数) makes it that measure over the window, not the row's own all-time field.
        if self.pending_time.is_some()
            && matches!(f, FieldRef::Main(_))
            && self
                .meanings(i)
                .iter()
                .any(|m| matches!(m, Meaning::RelatedMeasure(..)))
        {
            return false;
        }
        match self.field(f).kind {
            FieldKind::Number | FieldKind::Money | FieldKind::Ratio => {
                self.numeric_condition(i, f)
                    || self.field_rank(i, f)
                    || self.field_measure(i, f)
                    || self.grouped_field(i, f)
            }
            FieldKind::Date | FieldKind::Timestamp => {
                self.date_condition(i, f) || self.field_rank(i, f)
            }
            FieldKind::Category | FieldKind::Tags => self.category_field(i, f),
            FieldKind::Text => self.text_field(i),
            FieldKind::Id => self.id_field(i, f),
        }
    }

    // ---- token helpers ----

    pub(super) fn free(&self, i: usize) -> bool {
        i < self.t.len() && self.t[i].role.is_none()
    }

    pub(super) fn meanings(&self, i: usize) -> &'p [Meaning] {
        match self.t.get(i).map(|t| &t.kind) {
            Some(Kind::Lex(m)) if self.t[i].role.is_none() => m,
            _ => &[],
        }
    }

    /// Whether free token `i` can be word `w` (any of its meanings).
    pub(super) fn is(&self, i: usize, w: Word) -> bool {
        self.meanings(i).contains(&Meaning::Word(w))
    }

    /// The first word meaning of free token `i` that `pick` accepts.
    pub(super) fn word_at<T>(&self, i: usize, pick: impl Fn(Word) -> Option<T>) -> Option<T> {
        self.meanings(i).iter().find_map(|m| match m {
            Meaning::Word(w) => pick(*w),
            _ => None,
        })
    }

    pub(super) fn cmp_at(&self, i: usize) -> Option<crate::query::Op> {
        self.word_at(i, |w| {
            if let Word::Cmp(op) = w {
                Some(op)
            } else {
                None
            }
        })
    }

    pub(super) fn cmp_post_at(&self, i: usize) -> Option<crate::query::Op> {
        self.word_at(i, |w| {
            if let Word::CmpPost(op) = w {
                Some(op)
            } else {
                None
            }
        })
    }

    pub(super) fn period_at(&self, i: usize) -> Option<super::lexicon::Period> {
        self.word_at(i, |w| {
            if let Word::Period(p) = w {
                Some(p)
            } else {
                None
            }
        })
    }

    pub(super) fn agg_post_at(&self, i: usize) -> Option<crate::query::Agg> {
        self.word_at(i, |w| {
            if let Word::AggPost(a) = w {
                Some(a)
            } else {
                None
            }
        })
    }

    pub(super) fn time_unit_at(&self, i: usize) -> Option<super::time::Unit> {
        self.word_at(i, |w| {
            if let Word::TimeUnit(u) = w {
                Some(u)
            } else {
                None
            }
        })
    }

    pub(super) fn num(&self, i: usize) -> Option<&NumberMatch> {
        match self.t.get(i) {
            Some(Token {
                kind: Kind::Num(m),
                role: None,
                ..
            }) => Some(m),
            _ => None,
        }
    }

    pub(super) fn date(&self, i: usize) -> Option<NaiveDate> {
        match self.t.get(i) {
            Some(Token {
                kind: Kind::Date(d),
                role: None,
                ..
            }) => Some(*d),
            _ => None,
        }
    }

    /// The field free token `i` names, if `pick` accepts it.
    pub(super) fn field_at(
        &self,
        i: usize,
        pick: impl Fn(FieldRef, &Field) -> bool,
    ) -> Option<FieldRef> {
        self.meanings(i).iter().find_map(|m| match m {
            Meaning::Field(f) if pick(*f, self.field(*f)) => Some(*f),
            _ => None,
        })
    }

    /// The next token at or after `i` that is not a plain filler (的, 是, 为, 在).
    pub(super) fn skip_glue(&self, mut i: usize) -> usize {
        while self.free(i) && self.meanings(i).first() == Some(&Meaning::Word(Word::Filler)) {
            i += 1;
        }
        i
    }

    pub(super) fn field(&self, f: FieldRef) -> &'p Field {
        let s = &self.p.schema;
        match f {
            FieldRef::Main(i) => &s.fields[i],
            FieldRef::Rel(r, i) => &s.related[r].fields[i],
        }
    }

    /// 上海以外的客户: a closing 以外 with no 除了 before it negates the condition written
    /// right before it. Anything else before it (a ranking, nothing) leaves it unrecognised.
    fn except_after(&mut self, i: usize) -> bool {
        let start = self.text.byte(self.t[i].from);
        let Some(span) = self.q.filters.last().and_then(|f| f.span()).cloned() else {
            return false;
        };
        if span.end > start || !self.text.original[span.end..start].trim().is_empty() {
            return false;
        }
        let f = self.q.filters.pop().expect("a last filter");
        let covered = Span::cover(self.text.original, &span, &self.span(&[i]));
        self.q.filters.push(f.negate().with_span(&covered));
        self.mark(&[i]);
        true
    }

    /// Token `i` is a single Latin letter with a Han character right before or after it:
    /// a grade or a code (A类, B级), not the article it is between English words.
    fn latin_against_han(&self, i: usize) -> bool {
        let chars = &self.text.chars;
        let (from, to) = (self.t[i].from, self.t[i].to);
        let han = |c: Option<&char>| c.is_some_and(|c| crate::parse::text::is_cjk(*c));
        to == from + 1
            && chars[from].is_ascii_alphabetic()
            && (han(from.checked_sub(1).and_then(|k| chars.get(k))) || han(chars.get(to)))
    }

    pub(super) fn span(&self, tokens: &[usize]) -> Span {
        let from = tokens.iter().map(|&i| self.t[i].from).min().unwrap_or(0);
        let to = tokens.iter().map(|&i| self.t[i].to).max().unwrap_or(0);
        Span::new(self.text.original, self.text.byte(from), self.text.end(to))
    }

    pub(super) fn mark(&mut self, tokens: &[usize]) {
        for &i in tokens {
            self.t[i].role = Some(Role::Used);
        }
    }

    /// The original text of tokens `from..=to`.
    pub(super) fn original(&self, from: usize, to: usize) -> &str {
        self.text.slice(self.t[from].from, self.t[to].to)
    }

    // ---- building the query ----

    /// Negates `f` when a negation is waiting, taking its token (and a closing 以外).
    pub(super) fn apply_neg(&mut self, f: Filter, used: &mut Vec<usize>) -> Filter {
        let Some(n) = self.neg.take() else {
            return f;
        };
        used.push(n);
        if self.except {
            self.except = false;
            let last = used.iter().copied().max().unwrap_or(n);
            let j = self.skip_glue(last + 1);
            if self.is(j, Word::ExceptEnd) {
                used.push(j);
            }
        }
        f.negate()
    }

    /// Adds a filter made of tokens `used`, negated when a negation waits, spanning its words.
    pub(super) fn add_filter(&mut self, f: Filter, mut used: Vec<usize>) {
        let f = self.apply_neg(f, &mut used);
        let span = self.span(&used);
        self.mark(&used);
        self.push(f.with_span(&span));
    }

    /// Adds a filter; after an 或 it joins the previous one in an `any`.
    pub(super) fn push(&mut self, f: Filter) {
        if std::mem::take(&mut self.or_next)
            && let Some(prev) = self.q.filters.pop()
        {
            let span = match (prev.span(), f.span()) {
                (Some(a), Some(b)) => Some(Span::cover(self.text.original, a, b)),
                _ => None,
            };
            let any = match prev {
                Filter::Any { mut any, .. } => {
                    any.push(f);
                    any
                }
                prev => vec![prev, f],
            };
            self.q.filters.push(Filter::Any { any, span });
            return;
        }
        self.q.filters.push(f);
    }

    pub(super) fn measure(&mut self, m: Measure) {
        if !self.q.measures.iter().any(|x| x.name == m.name) {
            self.q.measures.push(m);
        }
    }

    fn finish(mut self) -> (Query, Vec<Piece>) {
        // sales by region last year: a window said after the measures of a related table
        // (and taken by nothing else) is theirs.
        let unwindowed = |m: &crate::query::Measure| m.related.is_some() && m.filters.is_empty();
        if self.pending_time.is_some() && self.q.measures.iter().any(unwindowed) {
            let pt = self.pending_time.take().expect("a pending time");
            let span = self.span(&pt.tokens);
            for m in self.q.measures.iter_mut().filter(|m| unwindowed(m)) {
                let rel = self
                    .p
                    .schema
                    .related(m.related.as_deref().expect("a related measure"))
                    .expect("related table of the schema");
                m.filters.push(pt.range.filter(&rel.time_field, &span));
            }
            self.mark(&pt.tokens);
        }
        // 销售额趋势, 近12个月订单数走势: by month unless a period was said.
        if let Some(t) = self.trend.take() {
            if self.q.series.is_none() && self.q.measures.iter().any(|m| m.related.is_some()) {
                let span = self.span(&[t]);
                self.q.series = Some(crate::query::Series {
                    bucket: crate::query::Bucket::Month,
                    span,
                    field: None,
                });
                self.series_tokens = vec![t];
            } else if self.q.series.is_none() {
                self.t[t].role = Some(Role::Unrecognized);
            }
        }
        self.rows_ranked();
        // A series is of the measures of one related table, alone: 按月统计客户数 or
        // 各省份按月销售额 are not computed, so the series word is not understood.
        if self.q.series.is_some() {
            let tables: Vec<Option<&str>> = self
                .q
                .measures
                .iter()
                .map(|m| m.related.as_deref())
                .collect();
            let one_table = !tables.is_empty()
                && tables.iter().all(|t| t.is_some() && *t == tables[0])
                && self.q.group_by.is_empty();
            if !one_table && self.rows_series() {
                // 按月统计新增客户数: the rows per period of their own date field.
            } else if !one_table {
                self.q.series = None;
                for i in std::mem::take(&mut self.series_tokens) {
                    self.t[i].role = Some(Role::Unrecognized);
                }
            }
        }
        if let Some(pt) = self.pending_time.take() {
            for i in pt.tokens {
                self.t[i].role = Some(Role::Unrecognized);
            }
        }
        if let Some(g) = self.group_verb.take()
            && self.free(g)
        {
            if self.q.measures.is_empty() && self.q.group_by.is_empty() {
                let span = self.span(&[g]);
                self.measure(Measure::new(crate::query::Agg::Count, None, span));
            }
            self.mark(&[g]);
        }
        // 去年销售额是多少: 多少 asks for the measure named, not for a count beside it.
        if self.q.measures.len() > 1 {
            self.q.measures.retain(|m| {
                !(m.agg == crate::query::Agg::Count
                    && m.field.is_none()
                    && m.related.is_none()
                    && m.span.text == "多少")
            });
        }
        // Groups ranked with no measure named (哪个行业的忠诚客户最多): by how many rows.
        if self.implied_sort
            && !self.q.group_by.is_empty()
            && self.q.measures.is_empty()
            && !self.q.sort.is_empty()
        {
            let span = self.q.sort[0]
                .span
                .clone()
                .unwrap_or_else(|| self.span(&[0]));
            self.measure(Measure::new(crate::query::Agg::Count, None, span));
        }
        // which region has the lowest average annual purchase: the measure named after
        // the superlative is what ranks, not the count it provisionally took.
        if self.ranked_by_count && self.q.measures.len() > 1 {
            let count = self.q.measures.iter().position(|m| {
                m.agg == crate::query::Agg::Count && m.field.is_none() && m.related.is_none()
            });
            if let Some(at) = count {
                let gone = self.q.measures.remove(at).name;
                let now = self.q.measures[0].name.clone();
                for s in self.q.sort.iter_mut().filter(|s| s.field == gone) {
                    s.field = now.clone();
                }
            }
        }
        self.shares_and_comparisons();
        if self.implied_sort && self.q.is_summary() && !self.q.measures.is_empty() {
            let name = self.q.measures[0].name.clone();
            if let Some(s) = self.q.sort.first_mut() {
                s.field = name;
            }
        }
        self.leftovers();
        // Glue alone (哈哈, 谢谢, 的的的) asks for nothing: only a question that names the rows
        // (所有客户, 客户) may list every row, so glue that names none is not understood.
        let names_rows = self
            .t
            .iter()
            .any(|t| matches!(t.kind, Kind::Lex(ms) if ms.contains(&Meaning::Entity)));
        if self.q.is_empty() && !names_rows {
            for t in &mut self.t {
                if t.role == Some(Role::Glue) {
                    t.role = Some(Role::Unrecognized);
                }
            }
        }
        let mut pieces: Vec<Piece> = Vec::new();
        for t in &self.t {
            let role = t.role.unwrap_or(Role::Unrecognized);
            let span = Span::new(
                self.text.original,
                self.text.byte(t.from),
                self.text.end(t.to),
            );
            pieces.push(Piece { span, role });
        }
        // Unrecognised pieces next to each other are one unrecognised part.
        let mut unrecognized: Vec<Span> = Vec::new();
        let mut prev_end: Option<usize> = None;
        for p in pieces.iter().filter(|p| p.role == Role::Unrecognized) {
            match unrecognized.last_mut() {
                Some(last)
                    if prev_end == Some(p.span.start)
                        || self.text.original[last.end..p.span.start].trim().is_empty() =>
                {
                    *last = Span::new(self.text.original, last.start, p.span.end);
                }
                _ => unrecognized.push(p.span.clone()),
            }
            prev_end = Some(p.span.end);
        }
        self.q.unrecognized = unrecognized;
        (self.q, pieces)
    }

    /// 前年有订单、去年没有(的制造业客户): a window and then the negation at `n`, after a
    /// related condition and with no table of their own, mean none of the same related
    /// rows in that window.
    fn elliptic_related(&mut self, n: usize) -> bool {
        let (Some(pt), Some((at, last))) = (&self.pending_time, self.last_related) else {
            return false;
        };
        let Some(Filter::Related(prev)) = self.q.filters.get(at) else {
            return false;
        };
        let first = pt.tokens.iter().copied().min().unwrap_or(n);
        let end = pt.tokens.iter().copied().max().unwrap_or(n);
        let glue = |a: &Self, k: usize| {
            a.free(k) && a.meanings(k).first() == Some(&Meaning::Word(Word::Filler))
        };
        if first <= last || end >= n || prev.total.is_some() || !(end + 1..n).all(|k| glue(self, k))
        {
            return false;
        }
        // 去年没有下单 / 没有投诉: the table (or a kind of its rows) is said; the usual rules.
        let mut next = n + 1;
        while next < self.t.len() && (glue(self, next) || self.is(next, Word::Past)) {
            next += 1;
        }
        let related_next = self.meanings(next).iter().any(|m| match m {
            Meaning::Related(_) | Meaning::RelatedMeasure(..) => true,
            Meaning::Value { field, .. } | Meaning::Field(field) => {
                matches!(field, FieldRef::Rel(..))
            }
            _ => false,
        });
        if related_next {
            return false;
        }
        let table = prev.table.clone();
        let rel = self
            .p
            .schema
            .related(&table)
            .expect("related table of the schema");
        let pt = self.pending_time.take().expect("a pending time");
        let mut used = pt.tokens.clone();
        used.push(n);
        let span = self.span(&used);
        let f = Filter::Related(crate::query::RelatedFilter {
            table,
            filters: vec![pt.range.filter(&rel.time_field, &self.span(&pt.tokens))],
            count_op: crate::query::Op::Eq,
            count: 0.0,
            total: None,
            span: None,
        });
        self.mark(&used);
        self.q.filters.push(f.with_span(&span));
        self.last_related = Some((self.q.filters.len() - 1, n));
        true
    }

    /// Gives every token nothing used a role: glue words are glue, runs of two or more
    /// unknown Chinese chars that are words of the store's text (`Schema::terms`: trade
    /// names, products, description words) are free text, the rest is unrecognised. A word
    /// nothing marks as text (做…的, 提到, 包含 take theirs earlier) and the store does not
    /// know is never a silent text condition: 那块, 占比, 天气 are listed as not understood.
    fn leftovers(&mut self) {
        let mut i = 0;
        while i < self.t.len() {
            if self.t[i].role.is_some() {
                i += 1;
                continue;
            }
            match self.t[i].kind {
                Kind::Lex(meanings) => {
                    let glue = matches!(
                        meanings.first(),
                        Some(
                            Meaning::Entity
                                | Meaning::Word(
                                    Word::Filler
                                        | Word::And
                                        | Word::Comma
                                        | Word::Or
                                        | Word::Has
                                        | Word::Past
                                        | Word::Within
                                )
                        )
                    );
                    let not_pending = !matches!(
                        meanings.first(),
                        Some(Meaning::Word(Word::Not | Word::Except))
                    );
                    let glue = glue
                        && !(meanings.first() == Some(&Meaning::Word(Word::Filler))
                            && self.latin_against_han(i));
                    self.t[i].role = Some(if glue && not_pending {
                        Role::Glue
                    } else {
                        Role::Unrecognized
                    });
                    i += 1;
                }
                Kind::Unknown(CharClass::Cjk | CharClass::Word) => {
                    // A run of unknown words, glued together: 新能源电池, 5G通信.
                    let mut j = i;
                    while j + 1 < self.t.len()
                        && self.t[j + 1].role.is_none()
                        && matches!(
                            self.t[j + 1].kind,
                            Kind::Unknown(CharClass::Cjk | CharClass::Word)
                        )
                        && self.t[j + 1].from == self.t[j].to
                    {
                        j += 1;
                    }
                    let chars = (i..=j)
                        .filter(|&k| matches!(self.t[k].kind, Kind::Unknown(CharClass::Cjk)))
                        .map(|k| self.t[k].to - self.t[k].from)
                        .sum::<usize>();
                    let run = &self.text.chars[self.t[i].from..self.t[j].to];
                    let role = if chars >= 2 && self.p.knows_text(run) {
                        let tokens: Vec<usize> = (i..=j).collect();
                        let span = self.span(&tokens);
                        self.q.text.push(TextTerm {
                            text: span.text.clone(),
                            span,
                        });
                        Role::Used
                    } else {
                        Role::Unrecognized
                    };
                    for k in i..=j {
                        self.t[k].role = Some(role);
                    }
                    i = j + 1;
                }
                Kind::Unknown(CharClass::Other) => {
                    let c = self.text.chars[self.t[i].from];
                    let punct =
                        c.is_ascii_punctuation() || "，。？！、；：“”‘’（）【】《》…".contains(c);
                    self.t[i].role = Some(if punct {
                        Role::Glue
                    } else {
                        Role::Unrecognized
                    });
                    i += 1;
                }
                Kind::Num(_) | Kind::Date(_) => {
                    self.t[i].role = Some(Role::Unrecognized);
                    i += 1;
                }
            }
        }
    }
}
