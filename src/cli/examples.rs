//! Search examples taken from a store's own data, so the tips `kesou demo` prints and the
//! queries `kesou bench` runs always find something.

use kesou_indexer::text::{Analyzer, trade_name};

/// A customer's trade name (字号) with its pinyin and the initials of its place and trade
/// name, e.g. 欣长, xinchang, jhxc for 金华欣长建材股份有限公司.
#[derive(Debug, Clone)]
pub struct NameExample {
    pub name: String,
    pub trade: String,
    pub pinyin: Option<String>,
    pub initials: Option<String>,
}

pub fn name_example(analyzer: &Analyzer, name: &str) -> Option<NameExample> {
    let trade = trade_name(analyzer.jieba(), name)?;
    let trade_pinyin = analyzer
        .name_pinyin(&trade)
        .into_iter()
        .max_by_key(|p| p.len());
    let tokens = analyzer.name_pinyin(name);
    // the initials token of place + trade name: four letters ending in the trade's initials
    let initials = trade_pinyin.as_ref().and_then(|tp| {
        let trade_initials: String = analyzer
            .name_pinyin(&trade)
            .into_iter()
            .rfind(|t| t.len() == 2)?;
        tokens
            .iter()
            .find(|t| t.len() == 4 && t.ends_with(&trade_initials) && t.as_str() != tp)
            .cloned()
    });
    Some(NameExample {
        name: name.to_owned(),
        trade,
        pinyin: trade_pinyin,
        initials,
    })
}

/// Names of the store's largest customers by annual purchase (deterministic).
pub fn top_names(conn: &duckdb::Connection, n: usize) -> anyhow::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM customers ORDER BY annual_purchase DESC NULLS LAST, id LIMIT ?",
    )?;
    let names = stmt
        .query_map([n as i64], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// A class of question `kesou bench` reports on its own: the p50/p99 of each class say
/// which path to work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionClass {
    /// Conditions on the customer's own columns.
    List,
    /// Conditions on orders or interactions (有投诉, 去年下过单, 近30天咨询≥5次).
    Related,
    /// Groups and totals (按省份统计客户数).
    Group,
    /// Top-N by a column or by a count of related rows.
    Ranking,
    /// Words searched in the index.
    Text,
}

impl QuestionClass {
    pub const ALL: [QuestionClass; 5] = [
        QuestionClass::List,
        QuestionClass::Related,
        QuestionClass::Group,
        QuestionClass::Ranking,
        QuestionClass::Text,
    ];

    pub fn name(self) -> &'static str {
        match self {
            QuestionClass::List => "list",
            QuestionClass::Related => "related-table",
            QuestionClass::Group => "group",
            QuestionClass::Ranking => "ranking",
            QuestionClass::Text => "text",
        }
    }
}

/// The fixed question set `kesou bench` times (parse alone and `kesou ask` end to end): one
/// or more per kind of question the parser understands, each with its class.
pub const QUESTIONS: &[(QuestionClass, &str)] = &[
    (
        QuestionClass::List,
        "检索华东地区年采购额超百万的科技类客户",
    ),
    (QuestionClass::List, "浙江的制造业客户有哪些"),
    (
        QuestionClass::List,
        "tech customers in East China with annual purchase over 1 million",
    ),
    (QuestionClass::List, "manufacturing customers in Guangdong"),
    (QuestionClass::List, "華東地區的金融客戶"),
    (QuestionClass::List, "长三角的高价值客户"),
    (QuestionClass::List, "珠三角的制造业客户"),
    (QuestionClass::List, "京津冀的中小企业"),
    (
        QuestionClass::List,
        "上海年采购额500万以上的金融客户按采购额排序",
    ),
    (
        QuestionClass::List,
        "年采购额介于三十万和一百二十万之间的华北客户",
    ),
    (QuestionClass::List, "注册资本不低于1.5亿的大型企业"),
    (QuestionClass::List, "年采购额超过壹佰万元的客户"),
    (QuestionClass::List, "非制造业客户"),
    (QuestionClass::List, "除了华南以外的忠诚客户"),
    (QuestionClass::List, "北京和上海的科技公司"),
    (QuestionClass::List, "2023年以来成立的客户"),
    (QuestionClass::List, "流失风险高的忠诚客户"),
    (QuestionClass::List, "高意向待转化客户"),
    (QuestionClass::Related, "近30天咨询≥5次且未成交的客户"),
    (QuestionClass::Related, "去年下过单的客户"),
    (QuestionClass::Related, "投诉过的客户"),
    (QuestionClass::Related, "近一个月有投诉的客户"),
    (QuestionClass::Related, "最近三个月有拜访的零售客户"),
    (QuestionClass::Related, "去年下过单的长三角制造企业"),
    (QuestionClass::Related, "今年下单超过5次的客户"),
    (QuestionClass::Related, "订单金额合计超过50万的客户"),
    (QuestionClass::Related, "近半年没有下过单的客户"),
    (QuestionClass::Group, "按省份统计客户数"),
    (QuestionClass::Group, "各行业平均年采购额"),
    (QuestionClass::Group, "华东地区一共有多少家客户"),
    (QuestionClass::Group, "各省份订单总金额"),
    (QuestionClass::Ranking, "价值贡献TOP20客户"),
    (QuestionClass::Ranking, "注册资本最低的5家客户"),
    (
        QuestionClass::Ranking,
        "按注册资本从高到低排列的前10家医疗客户",
    ),
    (QuestionClass::Ranking, "投诉最多的客户"),
    (QuestionClass::Text, "做新能源电池的"),
    (QuestionClass::Text, "提到售后投诉的客户"),
];
