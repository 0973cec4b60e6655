//! 企业简介: two to four sentences about a company — when it was founded, where, its main
//! business and products by industry, credentials, and now and then the mixed tokens real
//! profiles carry (5G, iPhone配件, ABC-123型号, ISO9001, 新能源电池).

use std::fmt::Write;

use kesou_domain::Industry;

use crate::names::place_in;
use crate::rng::Rng;
use crate::script::{Script, Words};
use crate::text::{TRENDS, expand, model};

static OPENINGS: Words = Words::new(&[
    "公司成立于{y}年，总部位于{C}，是一家专注于{B}和{B}的{I}企业。",
    "公司成立于{y}年，注册资本{K}万元，位于{P}{C}，主要从事{B}、{B}等业务。",
    "本公司始建于{y}年，是{P}地区知名的{B}服务商。",
    "自{y}年成立以来，公司深耕{B}领域，现有员工{E}人。",
    "公司创立于{y}年，坐落于{C}，业务涵盖{B}、{B}及{B}。",
    "{y}年，公司在{C}注册成立，致力于{B}。",
]);

static PRODUCT_LINES: Words = Words::new(&[
    "主营产品包括{R}、{R}和{R}，广泛应用于{A}、{A}等领域。",
    "公司产品涵盖{R}、{R}等，服务客户覆盖全国{10-31}个省市。",
    "核心产品为{R}，并提供{R}等配套服务。",
    "主要提供{R}与{R}，产品远销东南亚、中东及欧美市场。",
]);

static CREDENTIALS: Words = Words::new(&[
    "公司已通过ISO9001质量管理体系认证。",
    "拥有发明专利{2-40}项、实用新型专利{5-120}项。",
    "先后获评高新技术企业、专精特新中小企业。",
    "年营业收入约{1-30}亿元。",
    "产品通过CE认证，出口欧美及东南亚。",
    "与多家世界500强企业建立了长期合作关系。",
    "现有员工{E}人，其中研发人员占比{8-45}%。",
    "公司已通过ISO14001环境管理体系认证和ISO45001认证。",
]);

static OUTLOOK: Words = Words::new(&[
    "近年来积极布局{T}业务。",
    "主要型号有{M}、{M}等。",
    "{Y}年启动{T}项目，加快数字化转型。",
    "未来将重点发展{T}相关产品。",
]);

/// Main business keywords, products and application fields by industry (`Industry::ALL`
/// order).
static BUSINESS: [Words; 12] = [
    Words::new(&[
        "软件开发",
        "系统集成",
        "大数据分析",
        "人工智能",
        "云计算服务",
        "物联网解决方案",
        "信息安全",
        "小程序开发",
    ]),
    Words::new(&[
        "精密零部件加工",
        "模具设计制造",
        "五金冲压",
        "注塑成型",
        "CNC加工",
        "汽车零部件制造",
        "电子元器件生产",
    ]),
    Words::new(&[
        "股权投资",
        "融资租赁",
        "供应链金融",
        "资产管理",
        "保险代理",
        "财富管理",
    ]),
    Words::new(&[
        "连锁零售",
        "商品批发",
        "电子商务",
        "社区团购",
        "进口商品贸易",
    ]),
    Words::new(&[
        "医疗器械销售",
        "体外诊断",
        "生物制药",
        "医药流通",
        "健康管理服务",
    ]),
    Words::new(&[
        "职业技能培训",
        "在线教育",
        "教育信息化",
        "企业内训",
        "学前教育",
    ]),
    Words::new(&[
        "公路运输",
        "仓储配送",
        "冷链物流",
        "国际货运代理",
        "供应链管理",
    ]),
    Words::new(&[
        "光伏电站建设",
        "储能系统集成",
        "电力工程施工",
        "充电桩运营",
        "新能源电池研发",
    ]),
    Words::new(&[
        "房屋建筑施工",
        "市政工程",
        "装饰装修",
        "钢结构工程",
        "建材销售",
    ]),
    Words::new(&[
        "中式餐饮连锁",
        "团餐服务",
        "中央厨房",
        "食品加工",
        "特色小吃",
    ]),
    Words::new(&["蔬菜种植", "果树种植", "畜禽养殖", "农产品加工", "农资销售"]),
    Words::new(&["广告策划", "影视制作", "新媒体运营", "品牌推广", "会展服务"]),
];

static OWN_PRODUCTS: [Words; 12] = [
    Words::new(&[
        "企业管理软件",
        "智能终端",
        "数据中台",
        "移动应用",
        "5G通信模块",
        "网络设备",
    ]),
    Words::new(&[
        "精密齿轮",
        "液压阀",
        "汽车线束",
        "PCB板",
        "不锈钢管件",
        "iPhone配件",
        "新能源电池壳体",
    ]),
    Words::new(&[
        "融资租赁服务",
        "私募基金产品",
        "企业保险方案",
        "供应链融资产品",
    ]),
    Words::new(&[
        "日用百货",
        "生鲜食品",
        "家居用品",
        "母婴用品",
        "3C数码",
        "进口食品",
    ]),
    Words::new(&[
        "一次性医用耗材",
        "检测试剂盒",
        "医用防护用品",
        "康复器械",
        "原料药",
    ]),
    Words::new(&["在线课程", "智慧校园解决方案", "教材教辅", "职业认证培训"]),
    Words::new(&["整车运输", "零担快运", "冷链仓储", "跨境物流服务"]),
    Words::new(&["光伏组件", "储能电池", "充电桩", "逆变器", "箱式变电站"]),
    Words::new(&[
        "商品混凝土",
        "钢结构件",
        "装配式建筑构件",
        "防水材料",
        "建筑涂料",
    ]),
    Words::new(&["预制菜", "特色小吃", "冷冻食品", "调味品", "团餐"]),
    Words::new(&["有机蔬菜", "茶叶", "水果", "大米", "种苗", "生态肉禽"]),
    Words::new(&["短视频", "品牌宣传片", "户外广告", "直播带货服务"]),
];

static FIELDS: Words = Words::new(&[
    "汽车",
    "家电",
    "3C电子",
    "航空航天",
    "医疗",
    "新能源",
    "政务",
    "金融",
    "零售",
    "教育",
]);

static ADJECTIVES: Words = Words::new(&[
    "科技型",
    "制造型",
    "金融服务",
    "商贸流通",
    "医疗健康",
    "教育服务",
    "物流服务",
    "新能源",
    "建筑施工",
    "餐饮服务",
    "现代农业",
    "文化传媒",
]);

/// What a description may say about its company.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Profile {
    pub industry: Industry,
    pub founded_year: i32,
    pub city_short: &'static str,
    pub province_short: &'static str,
    pub employees: i32,
    pub capital_wan: f64,
    pub script: Script,
}

/// Appends a 2–4 sentence company profile.
pub(crate) fn write_description(rng: &mut Rng, p: &Profile, out: &mut String) {
    let script = p.script;
    let ind = Industry::ALL
        .iter()
        .position(|i| *i == p.industry)
        .expect("a member of Industry::ALL");
    let business = distinct3(rng, BUSINESS[ind].len());
    let products = distinct3(rng, OWN_PRODUCTS[ind].len());
    let fields = distinct3(rng, FIELDS.len());
    let (mut nb, mut np, mut nf) = (0, 0, 0);
    let mut slot = |name: &str, rng: &mut Rng, out: &mut String| match name {
        "y" => {
            let _ = write!(out, "{}", p.founded_year);
        }
        "Y" => {
            let _ = write!(
                out,
                "{}",
                rng.int(i64::from((p.founded_year + 1).clamp(2015, 2025)), 2025)
            );
        }
        "C" => out.push_str(place_in(p.city_short, script)),
        "P" => out.push_str(place_in(p.province_short, script)),
        "E" => {
            let _ = write!(out, "{}", p.employees);
        }
        "K" => {
            let _ = write!(out, "{}", p.capital_wan.round() as i64);
        }
        "I" => out.push_str(ADJECTIVES.get(ind, script)),
        "B" => {
            out.push_str(BUSINESS[ind].get(business[nb % 3], script));
            nb += 1;
        }
        "R" => {
            out.push_str(OWN_PRODUCTS[ind].get(products[np % 3], script));
            np += 1;
        }
        "A" => {
            out.push_str(FIELDS.get(fields[nf % 3], script));
            nf += 1;
        }
        "T" => out.push_str(TRENDS.pick(rng, script)),
        "M" => model(rng, out),
        other => out.push_str(other),
    };
    expand(OPENINGS.pick(rng, script), rng, out, &mut slot);
    expand(PRODUCT_LINES.pick(rng, script), rng, out, &mut slot);
    if rng.chance(0.6) {
        expand(CREDENTIALS.pick(rng, script), rng, out, &mut slot);
    }
    if rng.chance(0.4) {
        expand(OUTLOOK.pick(rng, script), rng, out, &mut slot);
    }
}

/// Three distinct indices below `n` (repeats only when `n` < 3).
fn distinct3(rng: &mut Rng, n: usize) -> [usize; 3] {
    let a = rng.below(n);
    let b = (a + 1 + rng.below(n.max(2) - 1)) % n;
    let mut c = rng.below(n);
    for _ in 0..4 {
        if c != a && c != b {
            break;
        }
        c = rng.below(n);
    }
    [a, b, c]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_have_two_to_four_sentences_with_the_facts() {
        let mut rng = Rng::new(4);
        let mut mixed = 0;
        for (i, industry) in Industry::ALL.iter().cycle().take(600).enumerate() {
            let p = Profile {
                industry: *industry,
                founded_year: 2008,
                city_short: "苏州",
                province_short: "江苏",
                employees: 230,
                capital_wan: 500.0,
                script: if i % 10 == 0 {
                    Script::Traditional
                } else {
                    Script::Simplified
                },
            };
            let mut d = String::new();
            write_description(&mut rng, &p, &mut d);
            let sentences = d.matches('。').count();
            assert!((2..=4).contains(&sentences), "{d}");
            assert!(d.contains("2008"), "{d}");
            assert!(!d.contains('{'), "{d}");
            if d.chars().any(|c| c.is_ascii_alphabetic()) {
                mixed += 1;
            }
        }
        assert!(mixed > 60, "{mixed}");
    }

    #[test]
    fn distinct_indices() {
        let mut rng = Rng::new(5);
        for _ in 0..1000 {
            let [a, b, c] = distinct3(&mut rng, 5);
            assert!(a != b && a < 5 && b < 5 && c < 5);
        }
    }
}
