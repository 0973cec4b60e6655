//! The closed sets of the data contract, each with its Chinese name (what the store holds)
//! and an English name (what English questions and the English UI use).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that is not a member of a closed set, with the set's name for the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {set}; expected one of {expected}")]
pub struct UnknownValue {
    pub set: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! closed_set {
    ($(#[$doc:meta])* $name:ident, $set:literal { $($variant:ident = $zh:literal / $en:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant,)+ }

        impl $name {
            /// Every member, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The Chinese name, as stored in the data.
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            /// The English name.
            pub fn en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }

            /// Looks a member up by its Chinese name or (case-insensitively) its English one.
            pub fn parse(raw: &str) -> Option<Self> {
                let raw = raw.trim();
                Self::ALL.iter().copied().find(|m| m.zh() == raw || m.en().eq_ignore_ascii_case(raw))
            }

            fn unknown(raw: &str) -> UnknownValue {
                UnknownValue {
                    set: $set,
                    value: raw.to_owned(),
                    expected: Self::ALL.iter().map(|m| m.zh()).collect::<Vec<_>>().join(" "),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.zh())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(raw: &str) -> Result<Self, UnknownValue> {
                Self::parse(raw).ok_or_else(|| Self::unknown(raw))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.zh())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

closed_set!(
    /// 大区: the seven regions of the glossary.
    Region, "region (大区)" {
        EastChina = "华东" / "East China",
        SouthChina = "华南" / "South China",
        NorthChina = "华北" / "North China",
        CentralChina = "华中" / "Central China",
        Southwest = "西南" / "Southwest China",
        Northwest = "西北" / "Northwest China",
        Northeast = "东北" / "Northeast China",
    }
);

closed_set!(
    /// 行业: the twelve canonical industries.
    Industry, "industry (行业)" {
        Tech = "科技" / "tech",
        Manufacturing = "制造" / "manufacturing",
        Finance = "金融" / "finance",
        Retail = "零售" / "retail",
        Healthcare = "医疗" / "healthcare",
        Education = "教育" / "education",
        Logistics = "物流" / "logistics",
        Energy = "能源" / "energy",
        Construction = "建筑" / "construction",
        Catering = "餐饮" / "catering",
        Agriculture = "农业" / "agriculture",
        Media = "传媒" / "media",
    }
);

closed_set!(
    /// 企业规模.
    Size, "size (规模)" {
        Micro = "微型" / "micro",
        Small = "小型" / "small",
        Medium = "中型" / "medium",
        Large = "大型" / "large",
    }
);

closed_set!(
    /// 生命周期, derived at ingest by the glossary's first-rule-that-holds order.
    Lifecycle, "lifecycle (生命周期)" {
        Prospect = "潜在" / "prospect",
        Interested = "意向" / "interested",
        Converted = "成交" / "converted",
        Loyal = "忠诚" / "loyal",
        Churned = "流失" / "churned",
    }
);

closed_set!(
    /// 价值等级, derived at ingest from annual_purchase ranks.
    ValueLevel, "value level (价值等级)" {
        High = "高" / "high",
        Medium = "中" / "medium",
        Low = "低" / "low",
    }
);

closed_set!(
    /// 互动渠道.
    Channel, "channel (渠道)" {
        Phone = "电话" / "phone",
        WeChat = "微信" / "wechat",
        Website = "官网" / "website",
        Email = "邮件" / "email",
        TradeShow = "展会" / "trade show",
        Visit = "拜访" / "visit",
    }
);

closed_set!(
    /// 互动类型.
    InteractionKind, "interaction kind (互动类型)" {
        Consult = "咨询" / "consultation",
        Visit = "拜访" / "visit",
        Complaint = "投诉" / "complaint",
        Repair = "报修" / "repair request",
        FollowUp = "回访" / "follow-up",
    }
);

impl Industry {
    /// Words people and source systems use for an industry, besides its canonical name
    /// (the glossary: 科技类, 高新技术, IT, 互联网, 软件 → 科技; 工厂, 制造业, 生产型 → 制造 …).
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            Industry::Tech => &[
                "科技类",
                "科技型",
                "高新技术",
                "高科技",
                "IT",
                "互联网",
                "软件",
                "信息技术",
                "technology",
                "software",
                "internet",
            ],
            Industry::Manufacturing => &["制造业", "工厂", "生产型", "制造类", "工业", "factory"],
            Industry::Finance => &[
                "金融业",
                "金融类",
                "银行",
                "证券",
                "保险",
                "financial",
                "bank",
            ],
            Industry::Retail => &["零售业", "商超", "超市", "电商", "商贸"],
            Industry::Healthcare => &["医疗健康", "医药", "生物医药", "医院", "medical", "pharma"],
            Industry::Education => &["教育培训", "培训", "学校"],
            Industry::Logistics => &["物流运输", "运输", "快递", "仓储", "供应链"],
            Industry::Energy => &["新能源", "电力", "能源类"],
            Industry::Construction => &["建筑业", "建工", "工程", "房地产", "建材"],
            Industry::Catering => &["餐饮业", "饭店", "餐厅", "restaurant"],
            Industry::Agriculture => &["农林牧渔", "农牧", "种植", "养殖"],
            Industry::Media => &["文化传媒", "广告", "媒体", "影视"],
        }
    }

    /// The canonical industry for a name or synonym (exact, after trimming; English
    /// case-insensitive).
    pub fn from_word(word: &str) -> Option<Self> {
        let word = word.trim();
        Self::parse(word).or_else(|| {
            Self::ALL.iter().copied().find(|i| {
                i.synonyms()
                    .iter()
                    .any(|s| *s == word || s.eq_ignore_ascii_case(word))
            })
        })
    }
}

impl Size {
    /// 中小企业 = 中型, 小型 or 微型 (the glossary).
    pub const SME: &'static [Size] = &[Size::Medium, Size::Small, Size::Micro];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_sets_round_trip_their_names() {
        for r in Region::ALL {
            assert_eq!(Region::parse(r.zh()), Some(*r));
            assert_eq!(Region::parse(&r.en().to_uppercase()), Some(*r));
        }
        assert_eq!("华东".parse::<Region>().unwrap(), Region::EastChina);
        let err = "华东区".parse::<Region>().unwrap_err().to_string();
        assert!(err.contains("华东 华南"), "{err}");
    }

    #[test]
    fn industry_synonyms_map_to_the_canonical_industry() {
        assert_eq!(Industry::from_word("科技类"), Some(Industry::Tech));
        assert_eq!(Industry::from_word("it"), Some(Industry::Tech));
        assert_eq!(Industry::from_word("制造业"), Some(Industry::Manufacturing));
        assert_eq!(
            Industry::from_word("Manufacturing"),
            Some(Industry::Manufacturing)
        );
        assert_eq!(Industry::from_word("火星"), None);
    }
}

/// A comparison in a filter. The glossary's words map onto these: 超/超过/大于 → `Gt`,
/// 以上/不低于/至少 → `Ge`, 不到/低于/小于 → `Lt`, 以下/不高于/至多 → `Le`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CompareOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }

    /// Splits `field<op>value` at its operator (`>=`, `<=`, `!=`, `≥`, `≤`, `≠`, `>`, `<`, `=`).
    pub fn split(expr: &str) -> Option<(&str, CompareOp, &str)> {
        const OPS: &[(&str, CompareOp)] = &[
            (">=", CompareOp::Ge),
            ("<=", CompareOp::Le),
            ("!=", CompareOp::Ne),
            ("≥", CompareOp::Ge),
            ("≤", CompareOp::Le),
            ("≠", CompareOp::Ne),
            (">", CompareOp::Gt),
            ("<", CompareOp::Lt),
            ("=", CompareOp::Eq),
        ];
        let (at, sym, op) = OPS
            .iter()
            .filter_map(|(sym, op)| expr.find(sym).map(|at| (at, *sym, *op)))
            .min_by_key(|(at, sym, _)| (*at, std::cmp::Reverse(sym.len())))?;
        Some((expr[..at].trim(), op, expr[at + sym.len()..].trim()))
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod compare_tests {
    use super::CompareOp;

    #[test]
    fn splits_at_the_first_and_longest_operator() {
        assert_eq!(
            CompareOp::split("annual_purchase>=1000000"),
            Some(("annual_purchase", CompareOp::Ge, "1000000"))
        );
        assert_eq!(
            CompareOp::split("region = 华东"),
            Some(("region", CompareOp::Eq, "华东"))
        );
        assert_eq!(
            CompareOp::split("churn_risk≥0.7"),
            Some(("churn_risk", CompareOp::Ge, "0.7"))
        );
        assert_eq!(
            CompareOp::split("lifecycle!=流失"),
            Some(("lifecycle", CompareOp::Ne, "流失"))
        );
        assert_eq!(CompareOp::split("no operator"), None);
    }
}
