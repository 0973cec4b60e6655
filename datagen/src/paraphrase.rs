//! The planted paraphrase truth: what a company's description says in one wording and a
//! manager types in another (冷链物流 written, 冷藏运输 asked). Some customers' descriptions
//! get one more sentence holding the written wording of a pair of their industry; the
//! asked wording is never written by the generator, so a search finds those customers by
//! the words only when the words happen to overlap, and otherwise only by meaning.
//!
//! Which customers are relevant to a pair is not a file: it is every customer whose
//! description or notes contain the written wording (planted or not), so `kesou eval
//! semantic` reads it from the store. Only simplified-script customers get a sentence, so
//! that a literal match on the written wording finds them all.

use kesou_domain::Industry;

use crate::rng::{Rng, Stream};
use crate::script::Script;

/// One pair: the wording a manager types and the wording the texts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paraphrase {
    pub asked: &'static str,
    pub written: &'static str,
    pub industry: Industry,
}

/// The share of simplified-script customers whose description gets a planted sentence.
pub const PLANT_SHARE: f64 = 0.2;

const fn p(industry: Industry, asked: &'static str, written: &'static str) -> Paraphrase {
    Paraphrase {
        asked,
        written,
        industry,
    }
}

use Industry::{
    Agriculture, Catering, Construction, Education, Energy, Finance, Healthcare, Logistics,
    Manufacturing, Media, Retail, Tech,
};

/// The pairs, nine per industry.
pub static PARAPHRASES: &[Paraphrase] = &[
    p(Tech, "办公软件", "企业SaaS平台"),
    p(Tech, "客户管理软件", "SaaS CRM系统"),
    p(Tech, "杀毒软件", "终端安全防护"),
    p(Tech, "做APP的", "移动应用开发"),
    p(Tech, "服务器托管", "IDC数据中心"),
    p(Tech, "人脸识别", "计算机视觉算法"),
    p(Tech, "聊天机器人", "智能客服系统"),
    p(Tech, "做网站", "门户站点开发"),
    p(Tech, "云存储", "分布式文件系统"),
    p(Manufacturing, "做电池的", "锂电池制造"),
    p(Manufacturing, "做螺丝的", "紧固件生产"),
    p(Manufacturing, "机器人手臂", "工业机械臂"),
    p(Manufacturing, "铸件", "精密铸造"),
    p(Manufacturing, "做衣服的", "服装加工"),
    p(Manufacturing, "包装盒", "纸箱印刷包装"),
    p(Manufacturing, "电路板", "PCB制板"),
    p(Manufacturing, "车床", "数控加工中心设备"),
    p(Manufacturing, "塑料件", "注塑制品"),
    p(Finance, "放贷的", "小额信贷"),
    p(Finance, "买保险", "商业保险经纪"),
    p(Finance, "炒股", "证券投资咨询"),
    p(Finance, "设备租赁", "融资租赁"),
    p(Finance, "典当", "动产质押借款"),
    p(Finance, "外汇兑换", "跨境结算业务"),
    p(Finance, "理财产品", "财富管理"),
    p(Finance, "风投", "创业投资基金"),
    p(Finance, "担保公司", "融资性担保服务"),
    p(Retail, "便利店", "社区超市"),
    p(Retail, "网店", "电商平台旗舰店"),
    p(Retail, "卖手机的", "通讯器材零售"),
    p(Retail, "卖家具", "家居卖场"),
    p(Retail, "母婴店", "孕婴童用品专卖"),
    p(Retail, "水果店", "生鲜果品连锁"),
    p(Retail, "免税店", "跨境免税商品"),
    p(Retail, "自动售货机", "无人零售终端"),
    p(Retail, "直播卖货", "直播电商"),
    p(Healthcare, "看牙", "口腔诊所"),
    p(Healthcare, "医院设备供应商", "医疗器械"),
    p(Healthcare, "做疫苗的", "免疫制剂研发"),
    p(Healthcare, "体检中心", "健康筛查机构"),
    p(Healthcare, "养老院", "康养护理服务"),
    p(Healthcare, "药店", "医药零售连锁"),
    p(Healthcare, "眼镜店", "视光中心"),
    p(Healthcare, "中医馆", "传统中医诊疗"),
    p(Healthcare, "化验", "医学检验实验室"),
    p(Education, "考研辅导", "研究生入学备考"),
    p(Education, "幼儿园", "学前教育"),
    p(Education, "学英语", "外语培训"),
    p(Education, "驾校", "机动车驾驶培训"),
    p(Education, "编程课", "少儿编程教育"),
    p(Education, "网课", "在线课程"),
    p(Education, "留学中介", "海外升学规划"),
    p(Education, "考证培训", "职业资格认证辅导"),
    p(Education, "早教", "婴幼儿启蒙课程"),
    p(Logistics, "冷藏运输", "冷链物流"),
    p(Logistics, "送快递", "快递末端配送"),
    p(Logistics, "搬家公司", "居民搬迁服务"),
    p(Logistics, "货车运输", "干线物流"),
    p(Logistics, "海运", "远洋集装箱航运"),
    p(Logistics, "同城跑腿", "即时配送"),
    p(Logistics, "仓库出租", "仓储租赁"),
    p(Logistics, "报关", "进出口清关代理"),
    p(Logistics, "危险品运输", "危化品物流"),
    p(Energy, "太阳能发电", "光伏电站"),
    p(Energy, "风力发电", "风电场运维"),
    p(Energy, "充电站", "充电桩运营"),
    p(Energy, "节能改造", "合同能源管理"),
    p(Energy, "卖煤的", "煤炭贸易"),
    p(Energy, "天然气", "燃气输配"),
    p(Energy, "氢能", "燃料电池"),
    p(Energy, "储能电站", "储能系统集成"),
    p(Energy, "电厂", "火力发电机组"),
    p(Construction, "盖房子", "房屋建筑施工"),
    p(Construction, "装修公司", "室内装饰工程"),
    p(Construction, "修路", "道路桥梁施工"),
    p(Construction, "屋顶漏水维修", "防水补漏工程"),
    p(Construction, "水泥", "商品混凝土"),
    p(Construction, "园林绿化", "景观工程"),
    p(Construction, "拆迁", "建筑物拆除"),
    p(Construction, "工程监理", "施工质量监督"),
    p(Construction, "幕墙", "玻璃外立面工程"),
    p(Catering, "外卖", "线上订餐配送"),
    p(Catering, "火锅店", "川味涮锅连锁"),
    p(Catering, "食堂承包", "团餐服务"),
    p(Catering, "奶茶店", "现制茶饮"),
    p(Catering, "咖啡馆", "烘焙咖啡连锁"),
    p(Catering, "烧烤", "炭火烤串"),
    p(Catering, "面包店", "西点烘焙"),
    p(Catering, "宴席", "婚宴酒席承办"),
    p(Catering, "快餐", "中式简餐"),
    p(Agriculture, "种菜", "蔬菜种植"),
    p(Agriculture, "养猪", "生猪养殖"),
    p(Agriculture, "养鱼", "水产养殖"),
    p(Agriculture, "化肥", "复合肥料经销"),
    p(Agriculture, "卖种子", "良种繁育"),
    p(Agriculture, "茶园", "茶叶种植基地"),
    p(Agriculture, "农机", "拖拉机及收割机"),
    p(Agriculture, "养鸡", "蛋禽养殖"),
    p(Agriculture, "大棚", "设施农业温室"),
    p(Media, "拍广告", "商业宣传片摄制"),
    p(Media, "做网红的", "达人孵化MCN"),
    p(Media, "办展会", "会展服务"),
    p(Media, "公众号运营", "新媒体运营"),
    p(Media, "印刷厂", "书刊印制"),
    p(Media, "拍电影", "影视制作"),
    p(Media, "做游戏的", "手游研发运营"),
    p(Media, "广告牌", "LED大屏媒体"),
    p(Media, "公关", "品牌危机管理"),
];

/// The sentences a written wording is planted in (`{}`: the wording).
const SENTENCES: &[&str] = &[
    "公司还提供{}服务。",
    "近年来公司拓展了{}业务。",
    "{}是公司当前的主要增长点。",
    "目前公司正在加大{}方面的投入。",
    "公司在{}领域积累了丰富经验。",
];

/// Appends a planted sentence to a customer's description, or nothing: a pure function of
/// the seed and the customer (its own random stream, so no other value moves).
pub(crate) fn plant(
    seed: u64,
    index: usize,
    industry: Industry,
    script: Script,
    description: &mut String,
) {
    if script != Script::Simplified {
        return;
    }
    let mut rng = Rng::for_customer(seed, index, Stream::Paraphrase);
    if !rng.chance(PLANT_SHARE) {
        return;
    }
    let own: Vec<&Paraphrase> = PARAPHRASES
        .iter()
        .filter(|p| p.industry == industry)
        .collect();
    let pair = own[rng.below(own.len())];
    description.push_str(&rng.word(SENTENCES).replace("{}", pair.written));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_a_hundred_pairs_nine_per_industry_no_wording_inside_the_other() {
        assert!(PARAPHRASES.len() >= 100);
        for i in Industry::ALL {
            assert_eq!(
                PARAPHRASES.iter().filter(|p| p.industry == *i).count(),
                9,
                "{i:?}"
            );
        }
        let mut asked = std::collections::HashSet::new();
        for p in PARAPHRASES {
            assert!(asked.insert(p.asked), "{} twice", p.asked);
            assert!(
                !p.written.contains(p.asked) && !p.asked.contains(p.written),
                "{p:?}: one wording holds the other, words alone would find it"
            );
        }
    }

    #[test]
    fn planting_is_deterministic_and_about_the_share() {
        let mut planted = 0;
        for index in 0..5000 {
            let mut a = String::from("简介。");
            let mut b = a.clone();
            plant(42, index, Industry::Logistics, Script::Simplified, &mut a);
            plant(42, index, Industry::Logistics, Script::Simplified, &mut b);
            assert_eq!(a, b);
            if a.len() > "简介。".len() {
                planted += 1;
                assert!(
                    PARAPHRASES
                        .iter()
                        .any(|p| p.industry == Industry::Logistics && a.contains(p.written)),
                    "{a}"
                );
            }
            let mut t = String::new();
            plant(42, index, Industry::Logistics, Script::Traditional, &mut t);
            assert!(t.is_empty());
        }
        assert!((850..1150).contains(&planted), "{planted}");
    }
}
