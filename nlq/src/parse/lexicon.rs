//! The words the parser knows: the grammar of questions (comparisons, negation, ranking,
//! grouping, time) and the schema's fields, values, related tables and concepts, in one trie
//! matched longest-first over the folded question.

use std::collections::HashMap;

use super::text::Text;
use super::time::Unit;
use crate::query::{Agg, Op};
use crate::schema::Schema;

/// A field of the main table or of a related one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldRef {
    Main(usize),
    Rel(usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Meaning {
    /// A word naming a field: 年采购额, 省份.
    Field(FieldRef),
    /// A word naming a value of a field. A weak value (a single char such as 高) only counts
    /// right after its field's name.
    Value {
        field: FieldRef,
        value: String,
        weak: bool,
    },
    Concept(usize),
    /// A word meaning "has rows in this related table": 订单, 下过单.
    Related(usize),
    /// A word naming a measure of a related table's rows: 销售额 (related table, measure).
    RelatedMeasure(usize, usize),
    /// A word naming the rows: 客户, companies.
    Entity,
    /// A word asking for a count: 客户数, 多少家.
    Count,
    Word(Word),
}

/// Calendar periods named by a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    ThisYear,
    LastYear,
    YearBeforeLast,
    ThisQuarter,
    LastQuarter,
    ThisMonth,
    LastMonth,
    ThisWeek,
    LastWeek,
    Today,
    /// 下个月, 下季度, 明年: the whole next calendar period (due dates: 合同到期日).
    NextMonth,
    NextQuarter,
    NextYear,
    /// 半年: six months up to as_of.
    HalfYear,
    /// 上半年 / 下半年: of as_of's year, or of the year written before.
    FirstHalf,
    SecondHalf,
    /// 第三季度, Q3: the latest such quarter that has begun by as_of, or of the year
    /// written before (2025年Q3, 去年第三季度).
    Quarter(u8),
}

/// Grammar words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Word {
    /// A comparison before its number: 超过, 大于, at least.
    Cmp(Op),
    /// A comparison after its number: 以上, 以下, or more.
    CmpPost(Op),
    /// Opens a range: 介于, between.
    Between,
    /// Separates the two ends of a range: 到, 至, -, ~.
    RangeSep,
    /// Closes a range: 之间.
    RangeEnd,
    /// 非, 不是, not.
    Not,
    /// 除了, except: a negation closed by 以外 / 之外.
    Except,
    ExceptEnd,
    /// 和, 与, 及: a list or both conditions.
    And,
    /// 或, 或者, or.
    Or,
    /// 、 and commas: list separators.
    Comma,
    /// 前, TOP: a limit follows.
    Top,
    /// 后, 倒数, bottom: a limit follows, counted from the lowest.
    Bottom,
    /// 最高, 最大: rank descending.
    High,
    /// 最低, 最小: rank ascending.
    Low,
    Desc,
    Asc,
    /// 按, 按照, by: a sort or group field follows.
    By,
    /// 排序, 排名: the verb closing a sort.
    SortVerb,
    /// 各, 每个, each: a group field follows.
    Each,
    /// 按月, 每季度, 按年统计: a time series follows.
    Per(crate::query::Bucket),
    /// 统计, 分组, 分布: the verb closing a grouping.
    GroupVerb,
    /// An aggregate before its field: 平均, 总.
    Agg(Agg),
    /// An aggregate after its field: 总额, 均值.
    AggPost(Agg),
    /// 近, 最近, 过去, last: a duration follows.
    Recent,
    /// 内, 以内, 之内: closes a duration.
    Within,
    /// 以来, 以后, since: from a date on.
    Since,
    /// 以前, 之前, before: up to a date.
    Before,
    Period(Period),
    /// 有, 存在: "has" before a related table word.
    Has,
    /// 过: the experiential suffix (投诉过).
    Past,
    /// 做, 提到, 包含, mentioning: free text follows.
    TextCue,
    /// An English unit of time after a number: 90 days.
    TimeUnit(Unit),
    /// Understood, adds nothing: 的, 检索, 有哪些, show, the.
    Filler,
    /// 相似, 类似, similar: closes (or in English opens) a lookalike seed list.
    Like,
    /// 像, 类似于: opens a lookalike seed list.
    LikeOpen,
    /// 占比, 比例, share: each group's part of the total.
    Share,
    /// 同比 / 环比: the measure beside its value in the period before.
    Compare(crate::query::Compare),
    /// 趋势, 走势: a time series of the measure (by month unless a period is said).
    Trend,
    /// Chat and question words that are neither a condition nor text to search (怎么样,
    /// 什么, 为什么): always listed as unrecognised.
    Chat,
}

const GRAMMAR: &[(&[&str], Word)] = &[
    (
        &[
            "超",
            "超过",
            "大于",
            "高于",
            "多于",
            "超出",
            "逾",
            ">",
            "over",
            "more than",
            "greater than",
            "above",
            "exceeding",
            "higher than",
        ],
        Word::Cmp(Op::Gt),
    ),
    (
        &[
            "不低于",
            "不少于",
            "不小于",
            "至少",
            "最少为",
            "大于等于",
            "大于或等于",
            "≥",
            ">=",
            "at least",
            "no less than",
            "not less than",
        ],
        Word::Cmp(Op::Ge),
    ),
    (
        &[
            "不到",
            "低于",
            "小于",
            "少于",
            "不足",
            "未满",
            "未达到",
            "<",
            "under",
            "below",
            "less than",
            "fewer than",
            "lower than",
        ],
        Word::Cmp(Op::Lt),
    ),
    (
        &[
            "不高于",
            "不超过",
            "不大于",
            "不多于",
            "至多",
            "最多",
            "小于等于",
            "小于或等于",
            "≤",
            "<=",
            "at most",
            "no more than",
            "not more than",
            "up to",
        ],
        Word::Cmp(Op::Le),
    ),
    (&["等于", "=", "equal to", "equals"], Word::Cmp(Op::Eq)),
    (
        &[
            "以上",
            "及以上",
            "或以上",
            "以上的",
            "or more",
            "and above",
            "or above",
            "+",
        ],
        Word::CmpPost(Op::Ge),
    ),
    (
        &[
            "以下",
            "及以下",
            "或以下",
            "以内",
            "之内",
            "or less",
            "and below",
            "or below",
        ],
        Word::CmpPost(Op::Le),
    ),
    (&["介于", "在于", "between", "from"], Word::Between),
    (&["到", "至", "-", "~", "～", "—", "to"], Word::RangeSep),
    (&["之间", "中间"], Word::RangeEnd),
    (
        &[
            "非",
            "不是",
            "不属于",
            "不在",
            "不位于",
            "不含",
            "不包括",
            "不包含",
            "排除",
            "剔除",
            "去掉",
            "去除",
            "没有",
            "没",
            "未",
            "无",
            "不",
            "从未",
            "从没",
            "从来没有",
            "not",
            "non",
            "non-",
            "without",
            "no",
            "never",
            "excluding",
            "exclude",
        ],
        Word::Not,
    ),
    (
        &["除了", "除", "except", "other than", "besides"],
        Word::Except,
    ),
    (&["以外", "之外"], Word::ExceptEnd),
    (
        &[
            "和", "但", "但是", "可是", "却", "与", "及", "以及", "跟", "且", "并且", "而且",
            "同时", "并", "and", "&", "but",
        ],
        Word::And,
    ),
    (&["或", "或者", "或是", "还是", "or", "/", "|"], Word::Or),
    (&["、", ",", "，", ";", "；"], Word::Comma),
    (&["前", "排名前", "top", "first", "头部"], Word::Top),
    (
        &["后", "排名后", "倒数", "倒数前", "末", "末尾", "bottom"],
        Word::Bottom,
    ),
    (
        &[
            "最高",
            "最大",
            "最多",
            "最好",
            "最高的",
            "最大的",
            "最多的",
            "最贵",
            "最晚",
            "最新",
            "最新的",
            "最晚的",
            "最近的",
            "highest",
            "latest",
            "newest",
            "largest",
            "biggest",
            "most",
            "top-ranked",
        ],
        Word::High,
    ),
    (
        &[
            "最低",
            "最小",
            "最少",
            "最低的",
            "最小的",
            "最少的",
            "最早",
            "最早的",
            "lowest",
            "smallest",
            "least",
            "fewest",
            "earliest",
            "oldest",
        ],
        Word::Low,
    ),
    (
        &[
            "从高到低",
            "由高到低",
            "从大到小",
            "由大到小",
            "从多到少",
            "降序",
            "倒序",
            "desc",
            "descending",
            "high to low",
        ],
        Word::Desc,
    ),
    (
        &[
            "从低到高",
            "由低到高",
            "从小到大",
            "由小到大",
            "从少到多",
            "升序",
            "正序",
            "asc",
            "ascending",
            "low to high",
        ],
        Word::Asc,
    ),
    (
        &[
            "按",
            "按照",
            "根据",
            "依",
            "by",
            "sorted by",
            "ordered by",
            "order by",
            "sort by",
            "rank by",
            "ranked by",
        ],
        Word::By,
    ),
    (
        &["排序", "排列", "排名", "排行", "排个序", "sorted", "ranked"],
        Word::SortVerb,
    ),
    // 按年 and 每年 alone are not here: 按年采购额排序 and 每年采购额 name a field.
    (
        &[
            "按月",
            "按月份",
            "每月",
            "每个月",
            "各月",
            "各月份",
            "逐月",
            "分月",
            "月度",
            "monthly",
            "by month",
            "per month",
            "each month",
        ],
        Word::Per(crate::query::Bucket::Month),
    ),
    (
        &[
            "按季度",
            "按季",
            "每季度",
            "每个季度",
            "各季度",
            "逐季",
            "分季度",
            "quarterly",
            "by quarter",
            "per quarter",
            "each quarter",
        ],
        Word::Per(crate::query::Bucket::Quarter),
    ),
    (
        &[
            "按年统计",
            "按年度",
            "按年份",
            "每一年",
            "各年",
            "各年度",
            "各年份",
            "逐年",
            "分年度",
            "yearly",
            "by year",
            "per year",
            "each year",
            "annually",
        ],
        Word::Per(crate::query::Bucket::Year),
    ),
    (
        &["各", "每个", "每", "各个", "分", "per", "each", "every"],
        Word::Each,
    ),
    (
        &[
            "统计",
            "分组",
            "分布",
            "汇总",
            "分别",
            "分类",
            "分组统计",
            "分布情况",
            "group by",
            "grouped by",
            "breakdown",
            "distribution",
            "broken down by",
        ],
        Word::GroupVerb,
    ),
    (
        &["平均", "平均的", "人均", "average", "avg", "mean"],
        Word::Agg(Agg::Avg),
    ),
    (
        &["总", "总的", "合计", "total", "sum of", "sum"],
        Word::Agg(Agg::Sum),
    ),
    (&["最高值", "最大值", "maximum", "max"], Word::Agg(Agg::Max)),
    (&["最低值", "最小值", "minimum", "min"], Word::Agg(Agg::Min)),
    (
        &["总额", "总和", "合计", "总计", "之和", "加总"],
        Word::AggPost(Agg::Sum),
    ),
    (&["均值", "平均值", "平均数"], Word::AggPost(Agg::Avg)),
    (
        &[
            "近",
            "最近",
            "过去",
            "近期",
            "最近的",
            "last",
            "past",
            "in the last",
            "in the past",
            "within the last",
            "over the last",
            "during the last",
        ],
        Word::Recent,
    ),
    (&["内", "以内", "之内", "里", "within"], Word::Within),
    (
        &[
            "以来",
            "以后",
            "之后",
            "后",
            "起",
            "开始",
            "至今",
            "晚于",
            "since",
            "after",
            "later than",
        ],
        Word::Since,
    ),
    (
        &[
            "以前",
            "之前",
            "前",
            "早于",
            "before",
            "prior to",
            "earlier than",
        ],
        Word::Before,
    ),
    (
        &["今年", "本年", "本年度", "今年以来", "this year"],
        Word::Period(Period::ThisYear),
    ),
    (
        &["去年", "上一年", "上年", "去年一年", "last year"],
        Word::Period(Period::LastYear),
    ),
    (&["前年"], Word::Period(Period::YearBeforeLast)),
    (
        &["本季度", "这个季度", "本季", "this quarter"],
        Word::Period(Period::ThisQuarter),
    ),
    (
        &["上季度", "上个季度", "上一季度", "last quarter"],
        Word::Period(Period::LastQuarter),
    ),
    (
        &["本月", "这个月", "当月", "this month"],
        Word::Period(Period::ThisMonth),
    ),
    (
        &["上月", "上个月", "上一个月", "last month"],
        Word::Period(Period::LastMonth),
    ),
    (
        &["下月", "下个月", "下一个月", "next month"],
        Word::Period(Period::NextMonth),
    ),
    (
        &["下季度", "下个季度", "下一季度", "next quarter"],
        Word::Period(Period::NextQuarter),
    ),
    (
        &["明年", "下一年", "next year"],
        Word::Period(Period::NextYear),
    ),
    (
        &["本周", "这周", "这一周", "this week"],
        Word::Period(Period::ThisWeek),
    ),
    (
        &["上周", "上一周", "上个星期", "last week"],
        Word::Period(Period::LastWeek),
    ),
    (
        &["今天", "今日", "当天", "today"],
        Word::Period(Period::Today),
    ),
    (&["半年", "半年度"], Word::Period(Period::HalfYear)),
    (
        &[
            "第一季度",
            "一季度",
            "第1季度",
            "1季度",
            "q1",
            "first quarter",
            "第一季",
        ],
        Word::Period(Period::Quarter(1)),
    ),
    (
        &[
            "第二季度",
            "二季度",
            "第2季度",
            "2季度",
            "q2",
            "second quarter",
            "第二季",
        ],
        Word::Period(Period::Quarter(2)),
    ),
    (
        &[
            "第三季度",
            "三季度",
            "第3季度",
            "3季度",
            "q3",
            "third quarter",
            "第三季",
        ],
        Word::Period(Period::Quarter(3)),
    ),
    (
        &[
            "第四季度",
            "四季度",
            "第4季度",
            "4季度",
            "q4",
            "fourth quarter",
            "第四季",
        ],
        Word::Period(Period::Quarter(4)),
    ),
    (
        &["上半年", "上半年度", "first half"],
        Word::Period(Period::FirstHalf),
    ),
    (
        &["下半年", "下半年度", "second half"],
        Word::Period(Period::SecondHalf),
    ),
    (
        &[
            "有",
            "存在",
            "有过",
            "发生过",
            "发生",
            "产生",
            "have",
            "has",
            "had",
            "having",
            "with",
            // Asking whether there are any: never a negation (有没有浙江的客户).
            "有没有",
            "有沒有",
            "有木有",
            "有没",
            "是否有",
            "是不是有",
            "有无",
            "有否",
        ],
        Word::Has,
    ),
    (&["过", "了"], Word::Past),
    (
        &[
            "做",
            "搞",
            "从事",
            "主营",
            "主做",
            "经营",
            "业务是",
            "业务涉及",
            "提到",
            "提及",
            "提过",
            "说过",
            "包含",
            "含有",
            "含",
            "涉及",
            "关于",
            "相关",
            "有关",
            "名称含",
            "名称包含",
            "名字含",
            "名字里有",
            "名称中有",
            "叫",
            "mentioning",
            "mentioned",
            "mention",
            "about",
            "containing",
            "contains",
            "related to",
            "named",
            "called",
        ],
        Word::TextCue,
    ),
    (
        &[
            "怎么样",
            "怎样",
            "怎么",
            "什么",
            "如何",
            "为什么",
            "为何",
            "是否",
            "哪里",
            "在哪",
            "谁",
            "几点",
            "好不好",
            "行不行",
            "why",
        ],
        Word::Chat,
    ),
    (
        &[
            "相似",
            "类似",
            "相近",
            "相像",
            "相仿",
            "差不多",
            "一样",
            "这样",
            "相似的",
            "类似的",
            "similar",
            "similar to",
            "lookalike",
            "lookalikes",
            "lookalikes of",
            "alike",
            "like",
        ],
        Word::Like,
    ),
    (&["像", "类似于", "相似于", "好比"], Word::LikeOpen),
    (
        &[
            "占比",
            "比例",
            "百分比",
            "比重",
            "份额",
            "占比多少",
            "各占多少",
            "分别占多少",
            "佔比",
            "share",
            "shares",
            "percentage",
            "proportion",
            "share of total",
        ],
        Word::Share,
    ),
    (
        &[
            "同比",
            "同比增长",
            "同比变化",
            "同比增速",
            "同比增长率",
            "和去年同期比",
            "与去年同期相比",
            "比去年同期",
            "year over year",
            "year-over-year",
            "yoy",
        ],
        Word::Compare(crate::query::Compare::YearOnYear),
    ),
    (
        &[
            "环比",
            "环比增长",
            "环比变化",
            "环比增速",
            "环比增长率",
            "环比上月",
            "month over month",
            "month-over-month",
            "period over period",
            "mom",
            "qoq",
        ],
        Word::Compare(crate::query::Compare::PeriodOnPeriod),
    ),
    (
        &["趋势", "走势", "变化趋势", "趋势图", "trend", "trends"],
        Word::Trend,
    ),
    (&["day", "days"], Word::TimeUnit(Unit::Day)),
    (&["week", "weeks"], Word::TimeUnit(Unit::Week)),
    (&["month", "months"], Word::TimeUnit(Unit::Month)),
    (&["quarter", "quarters"], Word::TimeUnit(Unit::Quarter)),
    (&["year", "years"], Word::TimeUnit(Unit::Year)),
    (
        &[
            "的",
            "地",
            "是",
            "为",
            "在",
            "位于",
            "属于",
            "处于",
            "地区",
            "中",
            "中的",
            "里的",
            "哪些",
            "有哪些",
            "都有哪些",
            "有什么",
            "是哪些",
            "哪几家",
            "哪家",
            "哪个",
            "哪几个",
            "列出",
            "列一下",
            "列举",
            "检索",
            "查询",
            "查找",
            "查一下",
            "查下",
            "查查",
            "查",
            "找",
            "找出",
            "找到",
            "找一下",
            "搜索",
            "搜",
            "筛选",
            "筛出",
            "显示",
            "展示",
            "给我",
            "帮我",
            "请",
            "一下",
            "看看",
            "看下",
            "看一下",
            "所有",
            "全部",
            "所有的",
            "全体",
            "名单",
            "列表",
            "清单",
            "情况",
            "信息",
            "呢",
            "吗",
            "啊",
            "?",
            "？",
            "。",
            ".",
            "!",
            "！",
            ":",
            "：",
            "\"",
            "'",
            "“",
            "”",
            "「",
            "」",
            "（",
            "）",
            "(",
            ")",
            "类",
            "类的",
            "型",
            "一共",
            "总共",
            "共",
            "共有",
            "目前",
            "当前",
            "现在",
            "那些",
            "这些",
            "哪",
            "从来",
            "因",
            "因为",
            "由于",
            "一直",
            "曾经",
            "曾",
            "记录",
            "我想",
            "我要",
            "想",
            "要",
            "想要",
            "帮忙",
            "麻烦",
            "取",
            "只看",
            "通过",
            "经由",
            "经过",
            "via",
            "through",
            "and also",
            "show",
            "list",
            "find",
            "get",
            "give",
            "search",
            "me",
            "all",
            "the",
            "of",
            "in",
            "that",
            "who",
            "which",
            "are",
            "is",
            "for",
            "whose",
            "please",
            "what",
            "located",
            "based",
            "based in",
            "there",
            "do",
            "does",
            "we",
            "our",
            "a",
            "an",
            "any",
            "from the",
        ],
        Word::Filler,
    ),
];

/// The conversational glue lexicon (`glue.txt`): phrases that add no condition.
const GLUE: &str = include_str!("glue.txt");

/// The phrases of the glue lexicon, comments and blank lines left out.
pub(crate) fn glue_words() -> impl Iterator<Item = &'static str> {
    GLUE.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Words no field computes and no store text makes a condition (`vague.txt`): listed as
/// not understood unless a marker makes them text.
const VAGUE: &str = include_str!("vague.txt");

pub(crate) fn vague_words() -> impl Iterator<Item = &'static str> {
    VAGUE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

struct Node {
    children: HashMap<char, usize>,
    meanings: Vec<Meaning>,
}

/// Every phrase the parser knows, folded the way questions are, in a trie.
pub(crate) struct Lexicon {
    nodes: Vec<Node>,
}

/// A phrase found at some place: its length in chars and its meanings, preferred first.
pub(crate) struct Found<'l> {
    pub(crate) len: usize,
    pub(crate) meanings: &'l [Meaning],
}

impl Lexicon {
    pub(crate) fn new(schema: &Schema) -> Self {
        let mut lex = Lexicon {
            nodes: vec![Node {
                children: HashMap::new(),
                meanings: Vec::new(),
            }],
        };
        for (words, word) in GRAMMAR {
            for w in *words {
                lex.insert(w, Meaning::Word(*word));
            }
        }
        for w in glue_words() {
            lex.insert(w, Meaning::Word(Word::Filler));
        }
        for w in vague_words() {
            lex.insert(w, Meaning::Word(Word::Chat));
        }
        for w in &schema.text_cues {
            lex.insert(w, Meaning::Word(Word::TextCue));
        }
        for w in &schema.count_words {
            lex.insert(w, Meaning::Count);
        }
        for w in &schema.entity {
            lex.insert(w, Meaning::Entity);
        }
        for (i, c) in schema.concepts.iter().enumerate() {
            for w in &c.words {
                lex.insert(w, Meaning::Concept(i));
            }
        }
        let main = schema
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (FieldRef::Main(i), f));
        let related = schema.related.iter().enumerate().flat_map(|(r, rel)| {
            rel.fields
                .iter()
                .enumerate()
                .map(move |(i, f)| (FieldRef::Rel(r, i), f))
        });
        let fields: Vec<_> = main.chain(related).collect();
        for (at, field) in &fields {
            if !field.kind.has_values() {
                continue;
            }
            for v in &field.values {
                let value = v.value.clone();
                let weak = v.value.chars().count() < 2;
                lex.insert(
                    &v.value,
                    Meaning::Value {
                        field: *at,
                        value: value.clone(),
                        weak,
                    },
                );
                // A grade written as letters or digits is named with its class word: A类客户,
                // B级客户, 1档 (a bare "a" is an English article, so alone it stays weak).
                if v.value.chars().count() <= 3
                    && v.value.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    for class in ["类", "级", "档", "等"] {
                        lex.insert(
                            &format!("{}{class}", v.value),
                            Meaning::Value {
                                field: *at,
                                value: value.clone(),
                                weak: false,
                            },
                        );
                    }
                }
                if field.places {
                    let short = kesou_domain::geo::short_form(&v.value);
                    if short != v.value {
                        lex.insert(
                            short,
                            Meaning::Value {
                                field: *at,
                                value: value.clone(),
                                weak: false,
                            },
                        );
                    }
                }
                for w in &v.words {
                    lex.insert(
                        w,
                        Meaning::Value {
                            field: *at,
                            value: value.clone(),
                            weak: false,
                        },
                    );
                }
            }
        }
        for (at, field) in &fields {
            for w in &field.words {
                lex.insert(w, Meaning::Field(*at));
            }
        }
        for (i, r) in schema.related.iter().enumerate() {
            for w in &r.words {
                lex.insert(w, Meaning::Related(i));
            }
        }
        for (i, r) in schema.related.iter().enumerate() {
            for (k, m) in r.measures.iter().enumerate() {
                for w in &m.words {
                    lex.insert(w, Meaning::RelatedMeasure(i, k));
                }
            }
        }
        lex
    }

    fn insert(&mut self, phrase: &str, meaning: Meaning) {
        let folded = super::text::fold(phrase.trim());
        if folded.is_empty() {
            return;
        }
        let mut node = 0;
        for &c in &folded.chars {
            node = match self.nodes[node].children.get(&c) {
                Some(&next) => next,
                None => {
                    self.nodes.push(Node {
                        children: HashMap::new(),
                        meanings: Vec::new(),
                    });
                    let next = self.nodes.len() - 1;
                    self.nodes[node].children.insert(c, next);
                    next
                }
            };
        }
        let meanings = &mut self.nodes[node].meanings;
        if !meanings.contains(&meaning) {
            meanings.push(meaning);
        }
    }

    /// Every phrase starting at char `i`, shortest first. A phrase that begins or ends
    /// with an English letter must not continue a word: "it" is not found in "with".
    pub(crate) fn all_at(&self, text: &Text, i: usize) -> Vec<Found<'_>> {
        let chars = &text.chars;
        let mut out = Vec::new();
        if chars[i].is_ascii_alphabetic() && i > 0 && chars[i - 1].is_ascii_alphabetic() {
            return out;
        }
        let mut node = 0;
        for (n, c) in chars[i..].iter().enumerate() {
            let Some(&next) = self.nodes[node].children.get(c) else {
                break;
            };
            node = next;
            let end = i + n + 1;
            let meanings = &self.nodes[node].meanings;
            if meanings.is_empty() {
                continue;
            }
            let glued = chars[end - 1].is_ascii_alphabetic()
                && chars.get(end).is_some_and(|c| c.is_ascii_alphabetic());
            if !glued {
                out.push(Found {
                    len: n + 1,
                    meanings,
                });
            }
        }
        out
    }

    /// The phrase to take at char `i`: the longest, unless a shorter one lets the next
    /// phrase reach further (流失风险|低于30%, not 流失风险低|于30%).
    pub(crate) fn best(&self, text: &Text, i: usize) -> Option<Found<'_>> {
        let mut all = self.all_at(text, i);
        let longest = all.pop()?;
        let reach = |f: &Found| {
            let next = i + f.len;
            if next >= text.len() {
                return next;
            }
            next + self.all_at(text, next).last().map_or(0, |g| g.len)
        };
        let mut best_reach = reach(&longest);
        let mut pick = None;
        for (k, f) in all.iter().enumerate().rev() {
            let r = reach(f);
            if r > best_reach {
                best_reach = r;
                pick = Some(k);
            }
        }
        match pick {
            Some(k) => Some(all.swap_remove(k)),
            None => Some(longest),
        }
    }
}
