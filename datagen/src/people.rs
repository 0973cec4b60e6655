//! People and how to reach them: contact persons with common surnames weighted by how
//! common they are, the sales team (each rep covers one region), mobile and landline
//! numbers, e-mail addresses.

use std::fmt::Write;
use std::sync::OnceLock;

use kesou_domain::Region;

use crate::rng::Rng;

/// Surnames with pinyin and a weight (per mille of the population, roughly).
#[rustfmt::skip]
const SURNAMES: &[(&str, &str, u32)] = &[
    ("王", "wang", 71), ("李", "li", 70), ("张", "zhang", 67), ("刘", "liu", 54), ("陈", "chen", 45), ("杨", "yang", 31),
    ("黄", "huang", 24), ("赵", "zhao", 22), ("吴", "wu", 20), ("周", "zhou", 19), ("徐", "xu", 16), ("孙", "sun", 15),
    ("马", "ma", 14), ("朱", "zhu", 13), ("胡", "hu", 13), ("郭", "guo", 12), ("何", "he", 12), ("高", "gao", 11),
    ("林", "lin", 11), ("罗", "luo", 10), ("郑", "zheng", 9), ("梁", "liang", 9), ("谢", "xie", 8), ("宋", "song", 8),
    ("唐", "tang", 7), ("许", "xu", 7), ("韩", "han", 7), ("冯", "feng", 7), ("邓", "deng", 7), ("曹", "cao", 6),
    ("彭", "peng", 6), ("曾", "zeng", 6), ("肖", "xiao", 6), ("田", "tian", 5), ("董", "dong", 5), ("袁", "yuan", 5),
    ("潘", "pan", 5), ("于", "yu", 5), ("蒋", "jiang", 5), ("蔡", "cai", 5), ("余", "yu", 5), ("杜", "du", 5),
    ("叶", "ye", 4), ("程", "cheng", 4), ("苏", "su", 4), ("魏", "wei", 4), ("吕", "lv", 4), ("丁", "ding", 4),
    ("任", "ren", 4), ("沈", "shen", 4), ("姚", "yao", 4), ("卢", "lu", 4), ("姜", "jiang", 3), ("崔", "cui", 3),
    ("钟", "zhong", 3), ("谭", "tan", 3), ("陆", "lu", 3), ("汪", "wang", 3), ("范", "fan", 3), ("金", "jin", 3),
    ("石", "shi", 3), ("廖", "liao", 3), ("贾", "jia", 3), ("夏", "xia", 3), ("韦", "wei", 3), ("付", "fu", 3),
    ("方", "fang", 3), ("白", "bai", 3), ("邹", "zou", 3), ("孟", "meng", 3), ("熊", "xiong", 3), ("秦", "qin", 3),
    ("邱", "qiu", 3), ("江", "jiang", 3), ("尹", "yin", 2), ("薛", "xue", 2), ("闫", "yan", 2), ("段", "duan", 2),
    ("雷", "lei", 2), ("侯", "hou", 2), ("龙", "long", 2), ("史", "shi", 2), ("陶", "tao", 2), ("黎", "li", 2),
    ("贺", "he", 2), ("顾", "gu", 2), ("毛", "mao", 2), ("郝", "hao", 2), ("龚", "gong", 2), ("邵", "shao", 2),
    ("万", "wan", 2), ("钱", "qian", 2), ("严", "yan", 2), ("覃", "qin", 2), ("武", "wu", 2), ("戴", "dai", 2),
    ("莫", "mo", 2), ("孔", "kong", 2), ("向", "xiang", 2), ("汤", "tang", 2), ("欧阳", "ouyang", 1), ("司马", "sima", 1),
    ("上官", "shangguan", 1), ("诸葛", "zhuge", 1),
];

/// Characters of given names with pinyin.
#[rustfmt::skip]
const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"), ("磊", "lei"),
    ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂", "gui"), ("英", "ying"),
    ("华", "hua"), ("玉", "yu"), ("萍", "ping"), ("红", "hong"), ("鹏", "peng"), ("辉", "hui"), ("建", "jian"), ("国", "guo"),
    ("文", "wen"), ("斌", "bin"), ("浩", "hao"), ("宇", "yu"), ("轩", "xuan"), ("子", "zi"), ("涵", "han"), ("欣", "xin"),
    ("怡", "yi"), ("雨", "yu"), ("萱", "xuan"), ("梓", "zi"), ("晨", "chen"), ("思", "si"), ("佳", "jia"), ("嘉", "jia"),
    ("琪", "qi"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("颖", "ying"), ("晓", "xiao"), ("海", "hai"), ("燕", "yan"),
    ("志", "zhi"), ("成", "cheng"), ("凯", "kai"), ("博", "bo"), ("俊", "jun"), ("峰", "feng"), ("亮", "liang"),
    ("健", "jian"), ("飞", "fei"), ("波", "bo"), ("宁", "ning"), ("琳", "lin"), ("倩", "qian"), ("璐", "lu"), ("瑶", "yao"),
    ("婧", "jing"), ("丹", "dan"), ("蕾", "lei"), ("晶", "jing"), ("阳", "yang"), ("旭", "xu"), ("东", "dong"), ("林", "lin"),
    ("鑫", "xin"), ("昊", "hao"), ("然", "ran"), ("睿", "rui"), ("哲", "zhe"), ("诗", "shi"), ("悦", "yue"), ("航", "hang"),
    ("天", "tian"), ("一", "yi"), ("泽", "ze"), ("铭", "ming"), ("春", "chun"), ("秀", "xiu"), ("兰", "lan"), ("梅", "mei"),
    ("永", "yong"), ("德", "de"), ("立", "li"), ("荣", "rong"), ("新", "xin"),
];

/// A person's name as drawn: surname and one or two given-name characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Person {
    surname: u16,
    given: [u16; 2],
    given_len: u8,
}

impl Person {
    pub fn draw(rng: &mut Rng) -> Self {
        let surname = surname_index(rng);
        let given_len = if rng.chance(0.3) { 1 } else { 2 };
        let given = [rng.below(GIVEN.len()) as u16, rng.below(GIVEN.len()) as u16];
        Person {
            surname: surname as u16,
            given,
            given_len,
        }
    }

    pub fn surname(&self) -> &'static str {
        SURNAMES[self.surname as usize].0
    }

    pub fn write(&self, out: &mut String) {
        out.push_str(self.surname());
        for g in &self.given[..self.given_len as usize] {
            out.push_str(GIVEN[*g as usize].0);
        }
    }

    pub fn name(&self) -> String {
        let mut s = String::with_capacity(12);
        self.write(&mut s);
        s
    }

    fn given_pinyin(&self, out: &mut String) {
        for g in &self.given[..self.given_len as usize] {
            out.push_str(GIVEN[*g as usize].1);
        }
    }

    fn surname_pinyin(&self) -> &'static str {
        SURNAMES[self.surname as usize].1
    }
}

fn surname_index(rng: &mut Rng) -> usize {
    static WEIGHTS: OnceLock<Vec<u32>> = OnceLock::new();
    rng.weighted(WEIGHTS.get_or_init(|| SURNAMES.iter().map(|s| s.2).collect()))
}

/// How many reps cover each region, in `Region::ALL` order (150 in all).
const REPS_PER_REGION: [usize; 7] = [44, 24, 22, 18, 16, 13, 13];

/// The sales team: distinct names, a fixed list per region (independent of the seed).
fn sales_team() -> &'static [Vec<String>] {
    static TEAM: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    TEAM.get_or_init(|| {
        let mut rng = Rng::new(0x5A1E5);
        let mut taken = std::collections::HashSet::new();
        REPS_PER_REGION
            .iter()
            .map(|n| {
                let mut reps = Vec::with_capacity(*n);
                while reps.len() < *n {
                    let mut p = Person::draw(&mut rng);
                    p.given_len = 2;
                    let name = p.name();
                    if taken.insert(name.clone()) {
                        reps.push(name);
                    }
                }
                reps
            })
            .collect()
    })
}

/// The reps of a region.
pub(crate) fn reps(region: Region) -> &'static [String] {
    let i = Region::ALL
        .iter()
        .position(|r| *r == region)
        .expect("a member of Region::ALL");
    &sales_team()[i]
}

/// Engineers and colleagues named in notes: 王工, 李经理.
pub(crate) fn colleague(rng: &mut Rng, out: &mut String) {
    out.push_str(SURNAMES[surname_index(rng)].0);
    out.push_str(rng.word(&["工", "工", "经理", "主管"]));
}

#[rustfmt::skip]
const MOBILE_PREFIXES: &[u16] = &[
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 173, 175,
    176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199,
];

/// Area codes of the larger cities (others get mobile numbers only).
#[rustfmt::skip]
const AREA_CODES: &[(&str, &str)] = &[
    ("北京市", "010"), ("上海市", "021"), ("天津市", "022"), ("重庆市", "023"), ("广州市", "020"), ("深圳市", "0755"), ("杭州市", "0571"),
    ("宁波市", "0574"), ("南京市", "025"), ("苏州市", "0512"), ("无锡市", "0510"), ("武汉市", "027"), ("成都市", "028"), ("西安市", "029"),
    ("沈阳市", "024"), ("大连市", "0411"), ("青岛市", "0532"), ("济南市", "0531"), ("福州市", "0591"), ("厦门市", "0592"),
    ("长沙市", "0731"), ("郑州市", "0371"), ("合肥市", "0551"), ("东莞市", "0769"), ("佛山市", "0757"), ("昆明市", "0871"),
    ("哈尔滨市", "0451"), ("长春市", "0431"), ("石家庄市", "0311"), ("南昌市", "0791"), ("南宁市", "0771"),
];

/// Appends a phone number: mostly mobile (1[3-9]…), sometimes the company's landline.
pub(crate) fn phone(rng: &mut Rng, city: &str, out: &mut String) {
    if rng.chance(0.12)
        && let Some((_, code)) = AREA_CODES.iter().find(|(c, _)| *c == city)
    {
        let first = rng.int(2, 8);
        let rest = rng.int(0, 9_999_999);
        let _ = write!(out, "{code}-{first}{rest:07}");
        return;
    }
    let prefix = rng.pick(MOBILE_PREFIXES);
    let _ = write!(out, "{prefix}{:08}", rng.below(100_000_000));
}

const FREE_MAIL: &[&str] = &[
    "163.com",
    "126.com",
    "qq.com",
    "sina.com",
    "foxmail.com",
    "aliyun.com",
    "hotmail.com",
];
const COMPANY_TLD: &[&str] = &[".com", ".com.cn", ".cn", ".net"];

/// Appends an e-mail address: at the company's domain (trade name in pinyin) or a free mail
/// service; QQ mail addresses are numbers.
pub(crate) fn email(rng: &mut Rng, person: &Person, trade_pinyin: &str, out: &mut String) {
    match rng.weighted(&[50, 30, 20]) {
        0 => {
            match rng.below(3) {
                0 => {
                    out.push_str(person.surname_pinyin());
                    person.given_pinyin(out);
                }
                1 => {
                    out.push_str(person.surname_pinyin());
                    out.push('.');
                    person.given_pinyin(out);
                }
                _ => {
                    person.given_pinyin(out);
                    out.push('.');
                    out.push_str(person.surname_pinyin());
                }
            }
            out.push('@');
            out.push_str(trade_pinyin);
            if rng.chance(0.3) {
                out.push_str(rng.word(&["-tech", "group", "-china", "corp"]));
            }
            out.push_str(rng.word(COMPANY_TLD));
        }
        1 => {
            person.given_pinyin(out);
            out.push_str(person.surname_pinyin());
            let _ = write!(out, "{}@", rng.int(1, 9999));
            out.push_str(rng.word(FREE_MAIL));
        }
        _ => {
            let _ = write!(out, "{}@qq.com", rng.int(10_000_000, 3_999_999_999));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sales_team_has_150_distinct_names_by_region() {
        let all: Vec<&String> = Region::ALL.iter().flat_map(|r| reps(*r)).collect();
        assert_eq!(all.len(), 150);
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), 150);
        assert!(all.iter().all(|n| (2..=4).contains(&n.chars().count())));
    }

    #[test]
    fn phones_and_emails_are_well_formed() {
        let mut rng = Rng::new(9);
        let mut landlines = 0;
        for _ in 0..2000 {
            let mut p = String::new();
            phone(&mut rng, "杭州市", &mut p);
            if p.starts_with("0571-") {
                landlines += 1;
                assert_eq!(p.len(), 13, "{p}");
            } else {
                let b = p.as_bytes();
                assert!(
                    p.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]),
                    "{p}"
                );
                assert!(p.bytes().all(|c| c.is_ascii_digit()));
            }
            let person = Person::draw(&mut rng);
            let mut e = String::new();
            email(&mut rng, &person, "hengrui", &mut e);
            assert!(
                e.is_ascii() && e.matches('@').count() == 1 && e.contains('.'),
                "{e}"
            );
        }
        assert!((100..400).contains(&landlines), "{landlines}");
    }
}
