//! China's provinces and prefecture-level cities with their 大区, short forms, economic
//! areas and rough economic weights (used by the demo generator to weight regions).
//!
//! Names are the full official names the store holds (浙江省, 杭州市, 广西壮族自治区); the
//! short forms people type (浙江, 杭州, 广西) are derived by stripping the administrative
//! suffix. Municipalities are their own city (上海市/上海市).

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::Region;

/// A province-level division.
#[derive(Debug)]
pub struct Province {
    /// Full name: 浙江省.
    pub name: &'static str,
    /// The two-digit administrative division code prefix (33 for 浙江).
    pub code: u8,
    pub region: Region,
    /// GDP in 万亿元, rounded (2023): weights the demo data.
    pub gdp: f64,
    /// Prefecture-level cities with a weight (larger economies weigh more).
    pub cities: &'static [(&'static str, u32)],
}

impl Province {
    /// 浙江省 → 浙江, 广西壮族自治区 → 广西, 上海市 → 上海.
    pub fn short(&self) -> &'static str {
        short_form(self.name)
    }

    /// The 6-digit administrative code of the province's `index`th city (1-based), in the
    /// official order of the list: 330100 for 杭州市. Municipalities use `<code>0000`.
    pub fn city_division_code(&self, city: &str) -> Option<u32> {
        let index = self.cities.iter().position(|(c, _)| *c == city)?;
        if self.is_municipality() {
            return Some(self.code as u32 * 10_000);
        }
        Some(self.code as u32 * 10_000 + (index as u32 + 1) * 100)
    }

    pub fn is_municipality(&self) -> bool {
        self.cities.len() == 1 && self.cities[0].0 == self.name
    }

    pub fn has_city(&self, city: &str) -> bool {
        self.cities.iter().any(|(c, _)| *c == city)
    }
}

/// Strips the administrative suffix of a province or city name (省, 市, 自治区 with its
/// ethnic qualifier, 特别行政区, 自治州, 地区, 盟) to give the short form people type; the
/// short form keeps two chars at least.
pub fn short_form(name: &str) -> &str {
    for suffix in [
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "特别行政区",
        "自治区",
        "自治州",
        "省",
        "市",
        "地区",
        "盟",
    ] {
        if let Some(short) = name.strip_suffix(suffix)
            && short.chars().count() >= 2
        {
            return short;
        }
    }
    name
}

macro_rules! provinces {
    ($($name:literal $code:literal $region:ident $gdp:literal [$($city:literal $w:literal),+ $(,)?])+) => {
        /// Every province-level division of the mainland, in administrative-code order.
        pub static PROVINCES: &[Province] = &[
            $(Province { name: $name, code: $code, region: Region::$region, gdp: $gdp, cities: &[$(($city, $w)),+] },)+
        ];
    };
}

provinces! {
    "北京市" 11 NorthChina 4.4 ["北京市" 1]
    "天津市" 12 NorthChina 1.7 ["天津市" 1]
    "河北省" 13 NorthChina 4.4 ["石家庄市" 6, "唐山市" 6, "秦皇岛市" 2, "邯郸市" 3, "邢台市" 2, "保定市" 3, "张家口市" 1, "承德市" 1, "沧州市" 3, "廊坊市" 3, "衡水市" 1]
    "山西省" 14 NorthChina 2.6 ["太原市" 6, "大同市" 2, "阳泉市" 1, "长治市" 2, "晋城市" 2, "朔州市" 1, "晋中市" 2, "运城市" 2, "忻州市" 1, "临汾市" 2, "吕梁市" 2]
    "内蒙古自治区" 15 NorthChina 2.5 ["呼和浩特市" 5, "包头市" 5, "乌海市" 1, "赤峰市" 2, "通辽市" 2, "鄂尔多斯市" 5, "呼伦贝尔市" 1, "巴彦淖尔市" 1, "乌兰察布市" 1]
    "辽宁省" 21 Northeast 3.0 ["沈阳市" 8, "大连市" 9, "鞍山市" 2, "抚顺市" 1, "本溪市" 1, "丹东市" 1, "锦州市" 1, "营口市" 2, "阜新市" 1, "辽阳市" 1, "盘锦市" 1, "铁岭市" 1, "朝阳市" 1, "葫芦岛市" 1]
    "吉林省" 22 Northeast 1.35 ["长春市" 8, "吉林市" 3, "四平市" 1, "辽源市" 1, "通化市" 1, "白山市" 1, "松原市" 1, "白城市" 1]
    "黑龙江省" 23 Northeast 1.6 ["哈尔滨市" 8, "齐齐哈尔市" 2, "鸡西市" 1, "鹤岗市" 1, "双鸭山市" 1, "大庆市" 4, "伊春市" 1, "佳木斯市" 1, "七台河市" 1, "牡丹江市" 1, "黑河市" 1, "绥化市" 1]
    "上海市" 31 EastChina 4.7 ["上海市" 1]
    "江苏省" 32 EastChina 12.8 ["南京市" 12, "无锡市" 10, "徐州市" 6, "常州市" 7, "苏州市" 16, "南通市" 8, "连云港市" 3, "淮安市" 3, "盐城市" 5, "扬州市" 5, "镇江市" 4, "泰州市" 4, "宿迁市" 3]
    "浙江省" 33 EastChina 8.3 ["杭州市" 14, "宁波市" 12, "温州市" 6, "嘉兴市" 5, "湖州市" 3, "绍兴市" 5, "金华市" 5, "衢州市" 2, "舟山市" 1, "台州市" 4, "丽水市" 1]
    "安徽省" 34 EastChina 4.7 ["合肥市" 12, "芜湖市" 4, "蚌埠市" 2, "淮南市" 1, "马鞍山市" 2, "淮北市" 1, "铜陵市" 1, "安庆市" 2, "黄山市" 1, "滁州市" 3, "阜阳市" 3, "宿州市" 2, "六安市" 2, "亳州市" 2, "池州市" 1, "宣城市" 2]
    "福建省" 35 EastChina 5.4 ["福州市" 10, "厦门市" 8, "莆田市" 3, "三明市" 2, "泉州市" 10, "漳州市" 4, "南平市" 2, "龙岩市" 2, "宁德市" 3]
    "江西省" 36 EastChina 3.2 ["南昌市" 8, "景德镇市" 1, "萍乡市" 1, "九江市" 3, "新余市" 1, "鹰潭市" 1, "赣州市" 4, "吉安市" 2, "宜春市" 3, "抚州市" 2, "上饶市" 3]
    "山东省" 37 EastChina 9.2 ["济南市" 10, "青岛市" 12, "淄博市" 4, "枣庄市" 2, "东营市" 3, "烟台市" 8, "潍坊市" 6, "济宁市" 4, "泰安市" 3, "威海市" 3, "日照市" 2, "临沂市" 5, "德州市" 3, "聊城市" 2, "滨州市" 2, "菏泽市" 3]
    "河南省" 41 CentralChina 5.9 ["郑州市" 14, "开封市" 2, "洛阳市" 5, "平顶山市" 2, "安阳市" 2, "鹤壁市" 1, "新乡市" 3, "焦作市" 2, "濮阳市" 1, "许昌市" 3, "漯河市" 1, "三门峡市" 1, "南阳市" 4, "商丘市" 2, "信阳市" 2, "周口市" 3, "驻马店市" 2]
    "湖北省" 42 CentralChina 5.6 ["武汉市" 16, "黄石市" 2, "十堰市" 2, "宜昌市" 5, "襄阳市" 5, "鄂州市" 1, "荆门市" 2, "孝感市" 2, "荆州市" 3, "黄冈市" 2, "咸宁市" 1, "随州市" 1]
    "湖南省" 43 CentralChina 5.0 ["长沙市" 14, "株洲市" 3, "湘潭市" 2, "衡阳市" 3, "邵阳市" 2, "岳阳市" 4, "常德市" 3, "张家界市" 1, "益阳市" 2, "郴州市" 2, "永州市" 2, "怀化市" 2, "娄底市" 2]
    "广东省" 44 SouthChina 13.6 ["广州市" 18, "韶关市" 1, "深圳市" 20, "珠海市" 4, "汕头市" 3, "佛山市" 9, "江门市" 3, "湛江市" 3, "茂名市" 3, "肇庆市" 2, "惠州市" 4, "梅州市" 1, "汕尾市" 1, "河源市" 1, "阳江市" 1, "清远市" 2, "东莞市" 8, "中山市" 3, "潮州市" 1, "揭阳市" 2, "云浮市" 1]
    "广西壮族自治区" 45 SouthChina 2.7 ["南宁市" 8, "柳州市" 4, "桂林市" 3, "梧州市" 1, "北海市" 2, "防城港市" 1, "钦州市" 2, "贵港市" 2, "玉林市" 2, "百色市" 2, "贺州市" 1, "河池市" 1, "来宾市" 1, "崇左市" 1]
    "海南省" 46 SouthChina 0.75 ["海口市" 6, "三亚市" 3, "三沙市" 1, "儋州市" 1]
    "重庆市" 50 Southwest 3.0 ["重庆市" 1]
    "四川省" 51 Southwest 6.0 ["成都市" 20, "自贡市" 1, "攀枝花市" 1, "泸州市" 2, "德阳市" 2, "绵阳市" 3, "广元市" 1, "遂宁市" 1, "内江市" 1, "乐山市" 2, "南充市" 2, "眉山市" 1, "宜宾市" 3, "广安市" 1, "达州市" 2, "雅安市" 1, "巴中市" 1, "资阳市" 1]
    "贵州省" 52 Southwest 2.1 ["贵阳市" 8, "六盘水市" 2, "遵义市" 5, "安顺市" 1, "毕节市" 2, "铜仁市" 2]
    "云南省" 53 Southwest 3.0 ["昆明市" 10, "曲靖市" 3, "玉溪市" 2, "保山市" 1, "昭通市" 1, "丽江市" 1, "普洱市" 1, "临沧市" 1]
    "西藏自治区" 54 Southwest 0.24 ["拉萨市" 5, "日喀则市" 1, "昌都市" 1, "林芝市" 1, "山南市" 1, "那曲市" 1]
    "陕西省" 61 Northwest 3.4 ["西安市" 16, "铜川市" 1, "宝鸡市" 3, "咸阳市" 3, "渭南市" 2, "延安市" 2, "汉中市" 2, "榆林市" 4, "安康市" 1, "商洛市" 1]
    "甘肃省" 62 Northwest 1.2 ["兰州市" 8, "嘉峪关市" 1, "金昌市" 1, "白银市" 1, "天水市" 2, "武威市" 1, "张掖市" 1, "平凉市" 1, "酒泉市" 1, "庆阳市" 2, "定西市" 1, "陇南市" 1]
    "青海省" 63 Northwest 0.38 ["西宁市" 6, "海东市" 2]
    "宁夏回族自治区" 64 Northwest 0.53 ["银川市" 6, "石嘴山市" 1, "吴忠市" 1, "固原市" 1, "中卫市" 1]
    "新疆维吾尔自治区" 65 Northwest 1.9 ["乌鲁木齐市" 8, "克拉玛依市" 2, "吐鲁番市" 1, "哈密市" 1]
}

/// Economic areas of the glossary: 长三角, 珠三角, 京津冀, 川渝.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaMembers {
    Provinces(&'static [&'static str]),
    Cities(&'static [&'static str]),
}

/// `(name, members)`: 长三角 and 京津冀 and 川渝 are sets of provinces, 珠三角 a set of cities.
pub static ECONOMIC_AREAS: &[(&str, AreaMembers)] = &[
    (
        "长三角",
        AreaMembers::Provinces(&["上海市", "江苏省", "浙江省", "安徽省"]),
    ),
    (
        "珠三角",
        AreaMembers::Cities(&[
            "广州市",
            "深圳市",
            "珠海市",
            "佛山市",
            "惠州市",
            "东莞市",
            "中山市",
            "江门市",
            "肇庆市",
        ]),
    ),
    (
        "京津冀",
        AreaMembers::Provinces(&["北京市", "天津市", "河北省"]),
    ),
    ("川渝", AreaMembers::Provinces(&["四川省", "重庆市"])),
];

/// A province by full name or short form (浙江省 or 浙江).
pub fn province(name: &str) -> Option<&'static Province> {
    PROVINCE_BY_NAME.get(name.trim()).copied()
}

/// The province a city belongs to, by the city's full name or short form (杭州市 or 杭州).
/// Returns the province and the city's full name.
pub fn city(name: &str) -> Option<(&'static Province, &'static str)> {
    CITY_BY_NAME.get(name.trim()).copied()
}

// Ingest looks a province and a city up for every customer row: a scan of the ~340 cities
// with their short forms cost seconds at a million rows. The maps keep the scans' answers:
// the first division in code order that has the name, full or short, wins.
static PROVINCE_BY_NAME: LazyLock<HashMap<&'static str, &'static Province>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for p in PROVINCES {
        map.entry(p.name).or_insert(p);
        map.entry(p.short()).or_insert(p);
    }
    map
});

type CityOf = (&'static Province, &'static str);

static CITY_BY_NAME: LazyLock<HashMap<&'static str, CityOf>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, CityOf> = HashMap::new();
    // A scan in code order tried each city's full name, then its short form, before the
    // next city: a name is its first such match.
    for p in PROVINCES {
        for (c, _) in p.cities {
            map.entry(*c).or_insert((p, *c));
            map.entry(short_form(c)).or_insert((p, *c));
        }
    }
    map
});

/// The provinces of a region, in code order.
pub fn provinces_of(region: Region) -> impl Iterator<Item = &'static Province> {
    PROVINCES.iter().filter(move |p| p.region == region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_hold_the_glossary_provinces() {
        let names = |r| provinces_of(r).map(|p| p.short()).collect::<Vec<_>>();
        assert_eq!(
            names(Region::EastChina),
            ["上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"]
        );
        assert_eq!(names(Region::SouthChina), ["广东", "广西", "海南"]);
        assert_eq!(
            names(Region::NorthChina),
            ["北京", "天津", "河北", "山西", "内蒙古"]
        );
        assert_eq!(names(Region::CentralChina), ["河南", "湖北", "湖南"]);
        assert_eq!(
            names(Region::Southwest),
            ["重庆", "四川", "贵州", "云南", "西藏"]
        );
        assert_eq!(
            names(Region::Northwest),
            ["陕西", "甘肃", "青海", "宁夏", "新疆"]
        );
        assert_eq!(names(Region::Northeast), ["辽宁", "吉林", "黑龙江"]);
        assert_eq!(PROVINCES.len(), 31);
    }

    #[test]
    fn short_forms_and_lookups() {
        assert_eq!(province("浙江").unwrap().name, "浙江省");
        assert_eq!(province("广西").unwrap().name, "广西壮族自治区");
        assert_eq!(province("内蒙古").unwrap().name, "内蒙古自治区");
        assert_eq!(city("杭州").unwrap().1, "杭州市");
        assert_eq!(city("乌鲁木齐").unwrap().0.name, "新疆维吾尔自治区");
        assert_eq!(city("上海").unwrap().0.name, "上海市");
        assert!(province("火星").is_none());
    }

    #[test]
    fn lookups_answer_as_a_scan_in_code_order_does() {
        let scan_province = |name: &str| {
            PROVINCES
                .iter()
                .find(|p| p.name == name || p.short() == name)
                .map(|p| p.name)
        };
        let scan_city = |name: &str| {
            PROVINCES.iter().find_map(|p| {
                p.cities
                    .iter()
                    .find(|(c, _)| *c == name || short_form(c) == name)
                    .map(|(c, _)| (p.name, *c))
            })
        };
        let mut names: Vec<&str> = vec!["火星", "", "省"];
        for p in PROVINCES {
            names.extend([p.name, p.short()]);
            for (c, _) in p.cities {
                names.extend([*c, short_form(c)]);
            }
        }
        for name in names {
            assert_eq!(
                province(name).map(|p| p.name),
                scan_province(name),
                "{name}"
            );
            assert_eq!(
                city(name).map(|(p, c)| (p.name, c)),
                scan_city(name),
                "{name}"
            );
        }
    }

    #[test]
    fn division_codes_follow_the_official_order() {
        let zj = province("浙江").unwrap();
        assert_eq!(zj.city_division_code("杭州市"), Some(330100));
        let js = province("江苏").unwrap();
        assert_eq!(js.city_division_code("苏州市"), Some(320500));
        assert_eq!(
            province("上海").unwrap().city_division_code("上海市"),
            Some(310000)
        );
    }

    #[test]
    fn city_names_are_unique_across_provinces() {
        let mut all: Vec<&str> = PROVINCES
            .iter()
            .flat_map(|p| p.cities.iter().map(|c| c.0))
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}
