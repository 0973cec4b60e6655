//! Company names: place + trade name (字号) + industry word + legal form, the way Chinese
//! enterprises are registered: 苏州恒瑞精密机械有限公司, 鑫泰商贸（杭州）有限公司,
//! 招商证券股份有限公司. A name is drawn as parts so the same name can be written in
//! simplified or traditional characters and extended when two customers collide.

use std::collections::HashMap;
use std::sync::OnceLock;

use kesou_domain::{Industry, Size, geo};

use crate::rng::Rng;
use crate::script::{Script, Words};

/// Trade-name characters with their pinyin (for e-mail domains).
#[rustfmt::skip]
pub(crate) const TRADE: &[(&str, &str)] = &[
    ("恒", "heng"), ("瑞", "rui"), ("华", "hua"), ("信", "xin"), ("达", "da"), ("通", "tong"), ("远", "yuan"), ("鑫", "xin"),
    ("泰", "tai"), ("盛", "sheng"), ("创", "chuang"), ("新", "xin"), ("源", "yuan"), ("联", "lian"), ("宏", "hong"),
    ("博", "bo"), ("凯", "kai"), ("润", "run"), ("嘉", "jia"), ("德", "de"), ("安", "an"), ("康", "kang"), ("盈", "ying"),
    ("丰", "feng"), ("裕", "yu"), ("顺", "shun"), ("祥", "xiang"), ("和", "he"), ("佳", "jia"), ("兴", "xing"),
    ("旺", "wang"), ("隆", "long"), ("昌", "chang"), ("荣", "rong"), ("茂", "mao"), ("威", "wei"), ("立", "li"), ("科", "ke"),
    ("天", "tian"), ("正", "zheng"), ("中", "zhong"), ("东", "dong"), ("方", "fang"), ("宇", "yu"), ("辰", "chen"),
    ("星", "xing"), ("光", "guang"), ("明", "ming"), ("晨", "chen"), ("阳", "yang"), ("金", "jin"), ("海", "hai"),
    ("峰", "feng"), ("川", "chuan"), ("林", "lin"), ("森", "sen"), ("锦", "jin"), ("瀚", "han"), ("汇", "hui"), ("聚", "ju"),
    ("合", "he"), ("力", "li"), ("众", "zhong"), ("同", "tong"), ("永", "yong"), ("长", "chang"), ("久", "jiu"),
    ("万", "wan"), ("百", "bai"), ("亿", "yi"), ("尚", "shang"), ("品", "pin"), ("优", "you"), ("卓", "zhuo"), ("越", "yue"),
    ("精", "jing"), ("诚", "cheng"), ("志", "zhi"), ("鼎", "ding"), ("晟", "sheng"), ("昊", "hao"), ("煜", "yu"),
    ("弘", "hong"), ("泓", "hong"), ("航", "hang"), ("驰", "chi"), ("骏", "jun"), ("腾", "teng"), ("飞", "fei"),
    ("翔", "xiang"), ("鹏", "peng"), ("龙", "long"), ("麟", "lin"), ("智", "zhi"), ("慧", "hui"), ("思", "si"), ("睿", "rui"),
    ("哲", "zhe"), ("俊", "jun"), ("英", "ying"), ("杰", "jie"), ("豪", "hao"), ("伟", "wei"), ("坤", "kun"), ("元", "yuan"),
    ("亨", "heng"), ("利", "li"), ("致", "zhi"), ("图", "tu"), ("蓝", "lan"), ("青", "qing"), ("绿", "lv"), ("紫", "zi"),
    ("赛", "sai"), ("迪", "di"), ("奥", "ao"), ("普", "pu"), ("特", "te"), ("斯", "si"), ("朗", "lang"), ("维", "wei"),
    ("克", "ke"), ("诺", "nuo"), ("伦", "lun"), ("赫", "he"), ("泽", "ze"), ("清", "qing"), ("澜", "lan"), ("涛", "tao"),
    ("浩", "hao"), ("江", "jiang"), ("河", "he"), ("云", "yun"), ("雨", "yu"), ("风", "feng"), ("雷", "lei"), ("夏", "xia"),
    ("春", "chun"), ("秋", "qiu"), ("柏", "bai"), ("竹", "zhu"), ("梅", "mei"), ("兰", "lan"), ("桂", "gui"), ("玉", "yu"),
    ("宝", "bao"), ("珠", "zhu"), ("钰", "yu"), ("琪", "qi"), ("瑜", "yu"), ("璟", "jing"), ("翰", "han"), ("墨", "mo"),
    ("书", "shu"), ("文", "wen"), ("艺", "yi"), ("乐", "le"), ("欣", "xin"), ("悦", "yue"), ("美", "mei"), ("益", "yi"),
    ("友", "you"), ("邦", "bang"), ("国", "guo"), ("港", "gang"), ("湾", "wan"), ("岭", "ling"), ("岳", "yue"),
    ("崇", "chong"), ("富", "fu"), ("贵", "gui"), ("福", "fu"), ("喜", "xi"), ("庆", "qing"), ("吉", "ji"), ("亚", "ya"),
    ("欧", "ou"), ("环", "huan"), ("宙", "zhou"), ("极", "ji"), ("微", "wei"), ("芯", "xin"), ("数", "shu"), ("网", "wang"),
    ("讯", "xun"), ("迅", "xun"), ("捷", "jie"), ("畅", "chang"), ("广", "guang"), ("大", "da"), ("实", "shi"), ("基", "ji"),
    ("石", "shi"), ("磐", "pan"), ("固", "gu"), ("坚", "jian"), ("强", "qiang"), ("平", "ping"), ("宁", "ning"),
    ("景", "jing"), ("晶", "jing"), ("锐", "rui"), ("锋", "feng"), ("铭", "ming"), ("钧", "jun"), ("钢", "gang"),
    ("舜", "shun"), ("禹", "yu"), ("尧", "yao"), ("汉", "han"), ("唐", "tang"), ("秦", "qin"), ("楚", "chu"), ("齐", "qi"),
    ("燕", "yan"),
];

/// Well-known-style trade names, used rarely.
#[rustfmt::skip]
pub(crate) const FAMOUS: &[(&str, &str)] = &[
    ("华为", "huawei"), ("招商", "zhaoshang"), ("建设", "jianshe"), ("海尔", "haier"), ("格力", "gree"), ("美的", "midea"),
    ("联想", "lenovo"), ("中兴", "zte"), ("万科", "vanke"), ("比亚迪", "byd"), ("平安", "pingan"), ("苏宁", "suning"),
    ("伊利", "yili"), ("三一", "sany"), ("海康", "hikvision"),
];

static TRADE_WORDS: OnceLock<(Words, Words)> = OnceLock::new();

/// The trade characters and famous names as [`Words`] (so they have traditional forms).
fn trade_words() -> &'static (Words, Words) {
    TRADE_WORDS.get_or_init(|| {
        let chars = TRADE.iter().map(|(c, _)| *c).collect();
        let famous = FAMOUS.iter().map(|(c, _)| *c).collect();
        (Words::from_vec(chars), Words::from_vec(famous))
    })
}

/// Industry words, in `Industry::ALL` order.
static INDUSTRY_WORDS: [Words; 12] = [
    Words::new(&["科技", "信息技术", "软件", "网络科技", "电子"]),
    Words::new(&["精密机械", "机械制造", "电子", "材料", "汽车零部件"]),
    Words::new(&["投资", "融资租赁", "证券", "保险代理", "资产管理"]),
    Words::new(&["商贸", "百货", "超市", "电子商务"]),
    Words::new(&["医疗器械", "生物医药", "健康管理", "医药"]),
    Words::new(&["教育科技", "培训", "文化教育"]),
    Words::new(&["物流", "供应链管理", "货运代理", "仓储"]),
    Words::new(&["新能源", "能源科技", "电力工程", "光伏"]),
    Words::new(&["建设工程", "建筑工程", "装饰工程", "建材"]),
    Words::new(&["餐饮管理", "食品", "餐饮服务"]),
    Words::new(&["农业科技", "农产品", "生态农业", "种业"]),
    Words::new(&["文化传媒", "广告", "影视", "数字传媒"]),
];

static LEGAL_FORMS: Words = Words::new(&[
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
    "集团",
]);

/// Legal-form weights by size (微型 小型 中型 大型).
const FORM_WEIGHTS: [[u32; 5]; 4] = [
    [82, 18, 0, 0, 0],
    [78, 18, 4, 0, 0],
    [68, 14, 14, 4, 0],
    [42, 8, 32, 15, 3],
];

/// Where the place goes in a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// 苏州恒瑞…有限公司
    City,
    /// 江苏恒瑞…有限公司
    Province,
    /// 恒瑞…（苏州）有限公司
    Bracketed,
    /// 恒瑞…有限公司 (nationally registered)
    None,
}

/// A company name as drawn, before it is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameParts {
    pub place: Place,
    pub city_short: &'static str,
    pub province_short: &'static str,
    /// Two trade characters, or a famous name.
    pub trade: [u16; 2],
    pub famous: Option<u16>,
    /// A second trade name appended when the first collided with an earlier customer's.
    pub extra: Option<[u16; 2]>,
    pub industry: Industry,
    pub word: u16,
    pub form: u8,
}

impl NameParts {
    pub fn draw(
        rng: &mut Rng,
        province: &'static geo::Province,
        city: &'static str,
        industry: Industry,
        size: Size,
    ) -> Self {
        let place = match rng.weighted(&[74, 12, 8, 6]) {
            0 => Place::City,
            1 => Place::Province,
            2 => Place::Bracketed,
            _ => Place::None,
        };
        let famous = rng.chance(0.003).then(|| rng.below(FAMOUS.len()) as u16);
        let trade = two_chars(rng);
        let words = &INDUSTRY_WORDS[industry_pos(industry)];
        let word = rng.below(words.len()) as u16;
        let form = rng.weighted(&FORM_WEIGHTS[size as usize]) as u8;
        NameParts {
            place,
            city_short: geo::short_form(city),
            province_short: province.short(),
            trade,
            famous,
            extra: None,
            industry,
            word,
            form,
        }
    }

    /// The `attempt`th distinguishing trade name for a colliding name.
    pub fn with_extra(mut self, rng: &mut Rng) -> Self {
        self.extra = Some(two_chars(rng));
        self
    }

    /// Appends the name in the given script.
    pub fn write(&self, out: &mut String, script: Script) {
        let (chars, famous) = trade_words();
        let place = |p: &'static str| place_in(p, script);
        match self.place {
            Place::City => out.push_str(place(self.city_short)),
            Place::Province => out.push_str(place(self.province_short)),
            Place::Bracketed | Place::None => {}
        }
        match self.famous {
            Some(f) => out.push_str(famous.get(f as usize, script)),
            None => {
                out.push_str(chars.get(self.trade[0] as usize, script));
                out.push_str(chars.get(self.trade[1] as usize, script));
            }
        }
        if let Some(extra) = self.extra {
            out.push_str(chars.get(extra[0] as usize, script));
            out.push_str(chars.get(extra[1] as usize, script));
        }
        out.push_str(INDUSTRY_WORDS[industry_pos(self.industry)].get(self.word as usize, script));
        if self.place == Place::Bracketed {
            out.push('（');
            out.push_str(place(self.city_short));
            out.push('）');
        }
        out.push_str(LEGAL_FORMS.get(self.form as usize, script));
    }

    /// The trade name in pinyin (for e-mail domains): hengrui, huawei.
    pub fn trade_pinyin(&self, out: &mut String) {
        match self.famous {
            Some(f) => out.push_str(FAMOUS[f as usize].1),
            None => {
                out.push_str(TRADE[self.trade[0] as usize].1);
                out.push_str(TRADE[self.trade[1] as usize].1);
            }
        }
    }
}

fn two_chars(rng: &mut Rng) -> [u16; 2] {
    let a = rng.below(TRADE.len());
    let mut b = rng.below(TRADE.len() - 1);
    if b >= a {
        b += 1;
    }
    [a as u16, b as u16]
}

fn industry_pos(industry: Industry) -> usize {
    Industry::ALL
        .iter()
        .position(|i| *i == industry)
        .expect("a member of Industry::ALL")
}

/// A province or city short form in the given script.
pub(crate) fn place_in(place: &'static str, script: Script) -> &'static str {
    static TRAD: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    match script {
        Script::Simplified => place,
        Script::Traditional => {
            let map = TRAD.get_or_init(|| {
                geo::PROVINCES
                    .iter()
                    .flat_map(|p| {
                        std::iter::once(p.short())
                            .chain(p.cities.iter().map(|(c, _)| geo::short_form(c)))
                    })
                    .map(|s| (s, hanconv::s2t(s)))
                    .collect()
            });
            map.get(place).map_or(place, String::as_str)
        }
    }
}

#[cfg(test)]
mod tests {
    use kesou_domain::text::{split_legal_form, to_simplified};

    use super::*;

    fn parts(rng: &mut Rng) -> NameParts {
        let p = geo::province("江苏").unwrap();
        NameParts::draw(rng, p, "苏州市", Industry::Manufacturing, Size::Medium)
    }

    #[test]
    fn names_read_like_registered_companies() {
        let mut rng = Rng::new(3);
        let mut seen = 0;
        for _ in 0..200 {
            let n = parts(&mut rng);
            let mut s = String::new();
            n.write(&mut s, Script::Simplified);
            let (body, form) = split_legal_form(&s);
            assert!(form.is_some(), "{s}");
            assert!(body.chars().count() >= 4, "{s}");
            if n.place == Place::City && n.famous.is_none() {
                assert!(s.starts_with("苏州"), "{s}");
                seen += 1;
            }
        }
        assert!(seen > 100);
    }

    #[test]
    fn traditional_names_fold_back_to_the_simplified_name() {
        let mut rng = Rng::new(5);
        for _ in 0..500 {
            let n = parts(&mut rng).with_extra(&mut rng);
            let (mut s, mut t) = (String::new(), String::new());
            n.write(&mut s, Script::Simplified);
            n.write(&mut t, Script::Traditional);
            assert_eq!(to_simplified(&t), s);
        }
    }

    #[test]
    fn every_name_fragment_survives_the_round_trip_through_traditional() {
        let (chars, famous) = trade_words();
        let lists = INDUSTRY_WORDS.iter().chain([&LEGAL_FORMS, chars, famous]);
        for w in lists {
            for i in 0..w.len() {
                assert_eq!(
                    to_simplified(w.get(i, Script::Traditional)),
                    w.get(i, Script::Simplified)
                );
            }
        }
        for p in geo::PROVINCES {
            for (c, _) in p.cities {
                let short = geo::short_form(c);
                assert_eq!(to_simplified(place_in(short, Script::Traditional)), short);
            }
        }
        let distinct: std::collections::HashSet<_> = TRADE.iter().map(|(c, _)| c).collect();
        assert_eq!(distinct.len(), TRADE.len(), "trade characters are distinct");
        assert!(TRADE.len() >= 200, "{}", TRADE.len());
    }
}
