//! The latent customer segments (personas). A persona is never written as a column of
//! `customers`: it drives what can be observed — industry (with noise), size, where the
//! company is, what it buys, how often and how much, how it talks to us and how likely it
//! is to leave. `truth_segments` records it for evaluating segmentation and lookalikes.

use std::sync::OnceLock;

use kesou_domain::Industry::{self, *};

use crate::catalog;

#[derive(Debug)]
pub(crate) struct Persona {
    pub name: &'static str,
    /// Share of customers, in percent.
    pub weight: u32,
    /// The industries it is found in (before the industry noise).
    pub industries: &'static [(Industry, u32)],
    /// Weights of 微型 小型 中型 大型.
    pub sizes: [u32; 4],
    /// Multipliers of the provinces' economic weight, by region in `Region::ALL` order
    /// (华东 华南 华北 华中 西南 西北 东北).
    pub regions: [f64; 7],
    /// Share of customers that never order.
    pub never_buy: f64,
    /// Mean days from the CRM record to the first order.
    pub convert_days: f64,
    /// Median orders per year of an active mid-sized customer.
    pub order_rate: f64,
    /// Products bought, by catalogue name, with weights.
    pub products: &'static [(&'static str, u32)],
    /// The persona's own purchasing seasons, multiplying the calendar's.
    pub months: [f64; 12],
    /// Median contacts (interaction bursts) per year while active.
    pub contact_rate: f64,
    /// Interaction kinds while active, in `InteractionKind::ALL` order (咨询 拜访 投诉 报修 回访).
    pub kinds: [u32; 5],
    /// Preferred channels, in `Channel::ALL` order (电话 微信 官网 邮件 展会 拜访).
    pub channels: [u32; 6],
    /// Yearly churn hazard of a customer that can churn.
    pub churn_hazard: f64,
    /// Share of converted customers that never churn.
    pub sticky: f64,
    /// How it was acquired: 展会获客 老客户推荐 线上注册 电话营销 渠道代理 招投标.
    pub sources: [u32; 6],
    /// Attribute tags with their probability.
    pub tags: &'static [(&'static str, f64)],
}

pub(crate) const SOURCE_TAGS: [&str; 6] = [
    "展会获客",
    "老客户推荐",
    "线上注册",
    "电话营销",
    "渠道代理",
    "招投标",
];

const FLAT: [f64; 12] = [1.0; 12];

pub(crate) static PERSONAS: &[Persona] = &[
    Persona {
        name: "精密制造大户",
        weight: 13,
        industries: &[(Manufacturing, 100)],
        sizes: [3, 20, 50, 27],
        regions: [1.6, 1.3, 0.8, 1.0, 0.7, 0.5, 1.0],
        never_buy: 0.12,
        convert_days: 120.0,
        order_rate: 3.0,
        products: &[
            ("数控机床", 8),
            ("工业机器人", 6),
            ("激光切割机", 5),
            ("精密轴承", 14),
            ("工业传感器", 12),
            ("检测仪器", 8),
            ("刀具耗材", 20),
            ("办公设备", 3),
            ("ERP软件", 3),
        ],
        months: [1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1],
        contact_rate: 4.0,
        kinds: [30, 18, 8, 24, 20],
        channels: [40, 25, 5, 10, 5, 15],
        churn_hazard: 0.16,
        sticky: 0.45,
        sources: [35, 25, 5, 15, 15, 5],
        tags: &[
            ("专精特新", 0.25),
            ("高新技术企业", 0.2),
            ("出口型", 0.3),
            ("重点客户", 0.1),
            ("战略合作", 0.06),
        ],
    },
    Persona {
        name: "科技成长型",
        weight: 16,
        industries: &[(Tech, 80), (Media, 20)],
        sizes: [15, 45, 32, 8],
        regions: [1.3, 1.4, 1.6, 0.9, 1.0, 0.7, 0.6],
        never_buy: 0.25,
        convert_days: 90.0,
        order_rate: 2.4,
        products: &[
            ("云服务器", 20),
            ("SaaS订阅", 22),
            ("ERP软件", 6),
            ("数据库授权", 8),
            ("网络安全设备", 8),
            ("笔记本电脑", 14),
            ("办公设备", 10),
            ("监控摄像头", 2),
        ],
        months: [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1],
        contact_rate: 5.0,
        kinds: [45, 10, 8, 10, 27],
        channels: [20, 35, 20, 20, 3, 2],
        churn_hazard: 0.32,
        sticky: 0.3,
        sources: [10, 20, 40, 20, 10, 0],
        tags: &[
            ("高新技术企业", 0.45),
            ("专精特新", 0.12),
            ("战略合作", 0.05),
        ],
    },
    Persona {
        name: "连锁零售",
        weight: 11,
        industries: &[(Retail, 90), (Catering, 10)],
        sizes: [10, 35, 40, 15],
        regions: [1.2, 1.3, 1.0, 1.1, 1.0, 0.8, 0.8],
        never_buy: 0.15,
        convert_days: 100.0,
        order_rate: 4.0,
        products: &[
            ("收银系统", 20),
            ("冷链设备", 8),
            ("商用冷柜", 14),
            ("智能货架", 14),
            ("监控摄像头", 14),
            ("办公设备", 6),
            ("SaaS订阅", 10),
            ("条码打印机", 8),
        ],
        months: [1.0, 0.9, 1.0, 1.0, 1.0, 1.2, 0.9, 0.9, 1.0, 1.0, 1.3, 1.2],
        contact_rate: 4.5,
        kinds: [35, 15, 12, 18, 20],
        channels: [30, 40, 10, 8, 4, 8],
        churn_hazard: 0.28,
        sticky: 0.35,
        sources: [20, 30, 15, 20, 15, 0],
        tags: &[("连锁经营", 0.6), ("战略合作", 0.05)],
    },
    Persona {
        name: "金融机构",
        weight: 5,
        industries: &[(Finance, 100)],
        sizes: [2, 15, 40, 43],
        regions: [1.4, 1.2, 1.7, 0.8, 0.8, 0.6, 0.6],
        never_buy: 0.2,
        convert_days: 180.0,
        order_rate: 1.8,
        products: &[
            ("云服务器", 12),
            ("数据库授权", 15),
            ("网络安全设备", 20),
            ("机房空调", 8),
            ("笔记本电脑", 15),
            ("办公设备", 15),
            ("ERP软件", 8),
            ("监控摄像头", 7),
        ],
        months: [0.9, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.4],
        contact_rate: 3.5,
        kinds: [30, 25, 6, 9, 30],
        channels: [30, 15, 5, 25, 5, 20],
        churn_hazard: 0.12,
        sticky: 0.55,
        sources: [10, 30, 5, 10, 5, 40],
        tags: &[
            ("国企", 0.4),
            ("上市公司", 0.3),
            ("战略合作", 0.15),
            ("重点客户", 0.2),
        ],
    },
    Persona {
        name: "医疗采购",
        weight: 8,
        industries: &[(Healthcare, 100)],
        sizes: [5, 30, 45, 20],
        regions: [1.1, 1.0, 1.1, 1.1, 1.0, 0.9, 0.9],
        never_buy: 0.15,
        convert_days: 150.0,
        order_rate: 3.5,
        products: &[
            ("医用耗材", 35),
            ("医疗影像设备", 4),
            ("检测试剂", 25),
            ("冷链设备", 8),
            ("商用冷柜", 4),
            ("办公设备", 8),
            ("ERP软件", 3),
            ("监控摄像头", 3),
        ],
        months: FLAT,
        contact_rate: 4.0,
        kinds: [35, 15, 8, 17, 25],
        channels: [40, 25, 5, 15, 5, 10],
        churn_hazard: 0.15,
        sticky: 0.5,
        sources: [20, 20, 5, 10, 10, 35],
        tags: &[("政府项目", 0.25), ("国企", 0.15), ("重点客户", 0.08)],
    },
    Persona {
        name: "教育培训",
        weight: 8,
        industries: &[(Education, 95), (Media, 5)],
        sizes: [25, 45, 25, 5],
        regions: [1.1, 1.0, 1.2, 1.3, 1.2, 1.0, 0.9],
        never_buy: 0.3,
        convert_days: 90.0,
        order_rate: 1.7,
        products: &[
            ("智慧黑板", 20),
            ("投影仪", 18),
            ("笔记本电脑", 20),
            ("SaaS订阅", 18),
            ("办公设备", 14),
            ("监控摄像头", 5),
            ("云服务器", 5),
        ],
        months: [1.0, 1.3, 1.0, 0.9, 0.8, 0.9, 1.3, 1.8, 1.3, 0.8, 0.8, 0.8],
        contact_rate: 4.0,
        kinds: [50, 10, 8, 8, 24],
        channels: [25, 40, 20, 7, 5, 3],
        churn_hazard: 0.38,
        sticky: 0.25,
        sources: [15, 25, 35, 20, 5, 0],
        tags: &[("政府项目", 0.2), ("连锁经营", 0.1)],
    },
    Persona {
        name: "物流运输",
        weight: 9,
        industries: &[(Logistics, 100)],
        sizes: [10, 40, 38, 12],
        regions: [1.2, 1.2, 1.0, 1.3, 1.0, 0.9, 0.9],
        never_buy: 0.15,
        convert_days: 100.0,
        order_rate: 3.0,
        products: &[
            ("叉车", 10),
            ("GPS定位终端", 25),
            ("条码打印机", 18),
            ("仓储货架", 12),
            ("冷链设备", 10),
            ("SaaS订阅", 10),
            ("办公设备", 8),
            ("储能电池", 2),
        ],
        months: [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.3, 1.0],
        contact_rate: 4.5,
        kinds: [30, 12, 12, 24, 22],
        channels: [45, 30, 5, 8, 4, 8],
        churn_hazard: 0.26,
        sticky: 0.35,
        sources: [20, 30, 10, 25, 15, 0],
        tags: &[("出口型", 0.1), ("连锁经营", 0.1), ("重点客户", 0.05)],
    },
    Persona {
        name: "能源基建",
        weight: 9,
        industries: &[(Energy, 55), (Construction, 45)],
        sizes: [2, 20, 45, 33],
        regions: [1.0, 0.9, 1.2, 1.0, 1.2, 1.8, 1.2],
        never_buy: 0.2,
        convert_days: 200.0,
        order_rate: 2.0,
        products: &[
            ("光伏组件", 22),
            ("储能电池", 16),
            ("变压器", 15),
            ("电力电缆", 20),
            ("工程机械", 8),
            ("检测仪器", 8),
            ("办公设备", 4),
        ],
        months: [0.8, 0.7, 1.1, 1.1, 1.1, 1.2, 1.0, 1.0, 1.0, 1.0, 1.1, 1.4],
        contact_rate: 3.5,
        kinds: [30, 25, 8, 12, 25],
        channels: [35, 15, 5, 15, 10, 20],
        churn_hazard: 0.15,
        sticky: 0.45,
        sources: [15, 20, 5, 10, 10, 40],
        tags: &[("国企", 0.35), ("政府项目", 0.35), ("上市公司", 0.1)],
    },
    Persona {
        name: "小微餐饮",
        weight: 13,
        industries: &[(Catering, 90), (Retail, 10)],
        sizes: [55, 40, 5, 0],
        regions: [1.1, 1.2, 1.0, 1.1, 1.3, 1.0, 1.0],
        never_buy: 0.25,
        convert_days: 60.0,
        order_rate: 5.0,
        products: &[
            ("食材配送", 45),
            ("商用厨具", 15),
            ("商用冷柜", 12),
            ("收银系统", 12),
            ("监控摄像头", 5),
            ("SaaS订阅", 6),
            ("办公设备", 2),
        ],
        months: FLAT,
        contact_rate: 3.0,
        kinds: [40, 5, 15, 20, 20],
        channels: [35, 55, 5, 1, 2, 2],
        churn_hazard: 0.5,
        sticky: 0.2,
        sources: [5, 35, 30, 25, 5, 0],
        tags: &[("连锁经营", 0.15)],
    },
    Persona {
        name: "农业合作",
        weight: 8,
        industries: &[(Agriculture, 95), (Catering, 5)],
        sizes: [30, 45, 20, 5],
        regions: [0.8, 0.9, 1.0, 1.5, 1.5, 1.4, 1.8],
        never_buy: 0.25,
        convert_days: 150.0,
        order_rate: 2.0,
        products: &[
            ("农业无人机", 15),
            ("灌溉设备", 18),
            ("有机肥料", 30),
            ("冷链设备", 12),
            ("优质种子", 15),
            ("GPS定位终端", 5),
            ("办公设备", 5),
        ],
        months: [0.9, 1.2, 1.6, 1.5, 1.1, 0.9, 0.8, 0.8, 1.1, 1.0, 0.8, 0.7],
        contact_rate: 3.0,
        kinds: [40, 20, 8, 12, 20],
        channels: [50, 30, 3, 2, 5, 10],
        churn_hazard: 0.3,
        sticky: 0.35,
        sources: [25, 30, 5, 20, 10, 10],
        tags: &[("政府项目", 0.2), ("合作社", 0.4)],
    },
];

/// The persona weights, in [`PERSONAS`] order.
pub(crate) fn weights() -> &'static [u32] {
    static W: OnceLock<Vec<u32>> = OnceLock::new();
    W.get_or_init(|| PERSONAS.iter().map(|p| p.weight).collect())
}

/// Each persona's product list as `(catalogue index, weight)`.
pub(crate) fn products(persona: usize) -> &'static [(usize, u32)] {
    static P: OnceLock<Vec<Vec<(usize, u32)>>> = OnceLock::new();
    &P.get_or_init(|| {
        PERSONAS
            .iter()
            .map(|p| {
                p.products
                    .iter()
                    .map(|(name, w)| {
                        (
                            catalog::product_index(name)
                                .expect("persona products are in the catalogue"),
                            *w,
                        )
                    })
                    .collect()
            })
            .collect()
    })[persona]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_are_complete_and_consistent() {
        assert!((8..=10).contains(&PERSONAS.len()));
        assert_eq!(PERSONAS.iter().map(|p| p.weight).sum::<u32>(), 100);
        for (i, p) in PERSONAS.iter().enumerate() {
            assert!(!products(i).is_empty(), "{}", p.name);
            assert!(p.sizes.iter().sum::<u32>() > 0 && !p.industries.is_empty());
            assert!((0.0..1.0).contains(&p.never_buy) && (0.0..1.0).contains(&p.sticky));
            assert!(p.months.iter().all(|m| *m > 0.0 && *m <= 2.0));
        }
        let industries: std::collections::HashSet<_> = PERSONAS
            .iter()
            .flat_map(|p| p.industries.iter().map(|(i, _)| *i))
            .collect();
        assert_eq!(
            industries.len(),
            Industry::ALL.len(),
            "every industry has a persona"
        );
    }
}
