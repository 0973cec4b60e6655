//! Which table a file holds, and the columns each table takes (with the Chinese headers
//! ERP and CRM exports use for them).

use std::path::Path;

use super::fields::Columns;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Meta,
    Customers,
    Orders,
    Interactions,
    /// The demo generator's ground truth: never read by the engine.
    Truth,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Customers => "customers",
            Table::Orders => "orders",
            Table::Interactions => "interactions",
            Table::Truth => "truth_segments",
        }
    }

    /// The columns a file of this table may have, in the table's order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Meta => &["key", "value"],
            Table::Customers => CUSTOMER_COLUMNS,
            Table::Orders => &["id", "customer_id", "order_date", "amount", "product"],
            Table::Interactions => &["id", "customer_id", "ts", "channel", "kind", "note"],
            Table::Truth => &["id", "segment"],
        }
    }

    /// Columns without which a file of this table cannot be loaded.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Table::Meta => &["key", "value"],
            Table::Customers => &["id", "name", "credit_code", "province", "industry"],
            Table::Orders => &["id", "customer_id", "order_date", "amount"],
            Table::Interactions => &["id", "customer_id", "ts", "kind"],
            Table::Truth => &[],
        }
    }

    fn aliases(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Table::Customers => &[
                ("客户编号", "id"),
                ("客户id", "id"),
                ("企业名称", "name"),
                ("客户名称", "name"),
                ("公司名称", "name"),
                ("统一社会信用代码", "credit_code"),
                ("信用代码", "credit_code"),
                ("大区", "region"),
                ("区域", "region"),
                ("省份", "province"),
                ("省", "province"),
                ("城市", "city"),
                ("市", "city"),
                ("行业", "industry"),
                ("规模", "size"),
                ("企业规模", "size"),
                ("员工数", "employees"),
                ("员工人数", "employees"),
                ("注册资本", "registered_capital"),
                ("成立日期", "founded_date"),
                ("负责销售", "owner"),
                ("负责人", "owner"),
                ("标签", "tags"),
                ("联系人", "contact_name"),
                ("联系电话", "contact_phone"),
                ("手机", "contact_phone"),
                ("邮箱", "email"),
                ("电子邮件", "email"),
                ("电子邮箱", "email"),
                ("企业简介", "description"),
                ("简介", "description"),
                ("创建时间", "created_at"),
                // As CRM and ERP exports name them (纷享销客, 销售易, 金蝶, 用友, Salesforce).
                ("客户编码", "id"),
                ("客户代码", "id"),
                ("编号", "id"),
                ("公司", "name"),
                ("公司全称", "name"),
                ("客户全称", "name"),
                ("account id", "id"),
                ("单位名称", "name"),
                ("account name", "name"),
                ("社会信用代码", "credit_code"),
                ("统一信用代码", "credit_code"),
                ("税号", "credit_code"),
                ("纳税人识别号", "credit_code"),
                ("unified social credit code", "credit_code"),
                ("所在省份", "province"),
                ("省/直辖市", "province"),
                ("billing state/province", "province"),
                ("state/province", "province"),
                ("所在城市", "city"),
                ("billing city", "city"),
                ("所属行业", "industry"),
                ("行业分类", "industry"),
                ("公司规模", "size"),
                ("company size", "size"),
                ("员工数", "employees"),
                ("人员规模", "employees"),
                ("注册资金", "registered_capital"),
                ("registered capital", "registered_capital"),
                ("成立时间", "founded_date"),
                ("founded date", "founded_date"),
                ("客户所有人", "owner"),
                ("销售员", "owner"),
                ("业务员", "owner"),
                ("专管业务员", "owner"),
                ("account owner", "owner"),
                ("联系人姓名", "contact_name"),
                ("contact name", "contact_name"),
                ("联系人手机", "contact_phone"),
                ("手机号", "contact_phone"),
                ("电话", "contact_phone"),
                ("phone", "contact_phone"),
                ("公司简介", "description"),
                ("备注", "description"),
                ("创建日期", "created_at"),
                ("建档日期", "created_at"),
                ("created date", "created_at"),
            ],
            Table::Orders => &[
                ("订单号", "id"),
                ("订单编号", "id"),
                ("客户编号", "customer_id"),
                ("下单日期", "order_date"),
                ("订单日期", "order_date"),
                ("金额", "amount"),
                ("订单金额", "amount"),
                ("产品", "product"),
                ("销售订单编号", "id"),
                ("单据编号", "id"),
                ("订单号", "id"),
                ("opportunity id", "id"),
                ("客户编码", "customer_id"),
                ("account id", "customer_id"),
                ("日期", "order_date"),
                ("单据日期", "order_date"),
                ("close date", "order_date"),
                ("订单总金额", "amount"),
                ("价税合计", "amount"),
                ("合同金额", "amount"),
                ("产品名称", "product"),
                ("物料名称", "product"),
                ("存货名称", "product"),
            ],
            Table::Interactions => &[
                ("编号", "id"),
                ("客户编号", "customer_id"),
                ("时间", "ts"),
                ("渠道", "channel"),
                ("类型", "kind"),
                ("备注", "note"),
                ("内容", "note"),
                ("记录编号", "id"),
                ("活动编号", "id"),
                ("单据编号", "id"),
                ("activity id", "id"),
                ("客户编码", "customer_id"),
                ("account id", "customer_id"),
                ("跟进时间", "ts"),
                ("活动时间", "ts"),
                ("拜访时间", "ts"),
                ("date", "ts"),
                ("跟进方式", "channel"),
                ("活动方式", "channel"),
                ("沟通方式", "channel"),
                ("跟进类型", "kind"),
                ("活动类型", "kind"),
                ("沟通类型", "kind"),
                ("type", "kind"),
                ("跟进内容", "note"),
                ("活动内容", "note"),
                ("沟通内容", "note"),
                ("comments", "note"),
            ],
            Table::Meta => &[("键", "key"), ("值", "value")],
            Table::Truth => &[],
        }
    }

    /// The table a file holds: by its name (customers.csv, orders-2024.jsonl …), else by
    /// its columns.
    pub fn detect(path: &Path, header: &[String]) -> Option<Table> {
        let stem = path.file_stem()?.to_str()?.to_ascii_lowercase();
        let by_name = [
            Table::Truth,
            Table::Customers,
            Table::Orders,
            Table::Interactions,
            Table::Meta,
        ]
        .into_iter()
        .find(|t| stem.starts_with(t.name()) || (*t == Table::Truth && stem.contains("truth")));
        by_name.or_else(|| {
            let has = |c: &str| header.iter().any(|h| h.eq_ignore_ascii_case(c));
            if has("credit_code") || has("统一社会信用代码") {
                Some(Table::Customers)
            } else if has("order_date") || has("下单日期") {
                Some(Table::Orders)
            } else if (has("channel") || has("渠道")) && (has("kind") || has("类型")) {
                Some(Table::Interactions)
            } else if has("key") && has("value") && header.len() == 2 {
                Some(Table::Meta)
            } else {
                None
            }
        })
    }

    /// The contract column a header names (any case; an alias; a unit in brackets after
    /// it, as in 注册资本(万元), set aside for the match), and the factor its unit gives
    /// amounts (10,000 for 万元).
    pub fn column_of(self, header: &str) -> Option<(&'static str, f64)> {
        let h = header.trim();
        let (base, scale) = split_unit(h);
        [h, base].into_iter().find_map(|name| {
            let canonical = self
                .aliases()
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
                .map_or(name, |(_, c)| *c);
            self.columns()
                .iter()
                .find(|c| c.eq_ignore_ascii_case(canonical))
                .map(|c| (*c, scale))
        })
    }

    /// Maps a file's header onto this table's columns. Returns the mapping, the header names
    /// that were ignored (derived or unknown), and the required columns that are missing.
    pub fn map_header(self, header: &[String]) -> (Columns, Vec<String>, Vec<&'static str>) {
        let cols = self.columns();
        let mut index = vec![None; cols.len()];
        let mut scale = vec![1.0; cols.len()];
        let mut ignored = Vec::new();
        for (pos, h) in header.iter().enumerate() {
            let found = self
                .column_of(h)
                .and_then(|(c, s)| Some((cols.iter().position(|x| *x == c)?, s)));
            match found {
                Some((i, s)) if index[i].is_none() => {
                    index[i] = Some(pos);
                    scale[i] = s;
                }
                _ => ignored.push(h.trim().to_owned()),
            }
        }
        let missing = self
            .required()
            .iter()
            .copied()
            .filter(|r| index[cols.iter().position(|c| c == r).unwrap()].is_none())
            .collect();
        (Columns::new(index).with_scale(scale), ignored, missing)
    }
}

/// A header with its unit in brackets (注册资本(万元), 订单金额（元）, 毛利率(%)): the name
/// without it, and the factor the unit gives amounts (1 for 元 and for what is no amount).
pub fn split_unit(header: &str) -> (&str, f64) {
    let h = header.trim();
    let Some(inner) = h.strip_suffix(')').or_else(|| h.strip_suffix('）')) else {
        return (h, 1.0);
    };
    let Some(open) = inner.rfind(['(', '（']) else {
        return (h, 1.0);
    };
    let base = inner[..open].trim();
    if base.is_empty() {
        return (h, 1.0);
    }
    let unit = inner[open..].trim_start_matches(['(', '（']).trim();
    let scale = match unit {
        "万元" | "万" | "万元人民币" => 1e4,
        "亿元" | "亿" => 1e8,
        "千元" => 1e3,
        _ => 1.0,
    };
    (base, scale)
}

/// The customer columns a source file may carry (the contract's, less the derived ones).
pub const CUSTOMER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "credit_code",
    "region",
    "province",
    "city",
    "industry",
    "size",
    "employees",
    "registered_capital",
    "founded_date",
    "owner",
    "tags",
    "contact_name",
    "contact_phone",
    "email",
    "description",
    "created_at",
];
