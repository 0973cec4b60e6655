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
                ("企业简介", "description"),
                ("简介", "description"),
                ("创建时间", "created_at"),
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
            ],
            Table::Interactions => &[
                ("编号", "id"),
                ("客户编号", "customer_id"),
                ("时间", "ts"),
                ("渠道", "channel"),
                ("类型", "kind"),
                ("备注", "note"),
                ("内容", "note"),
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

    /// Maps a file's header onto this table's columns. Returns the mapping, the header names
    /// that were ignored (derived or unknown), and the required columns that are missing.
    pub fn map_header(self, header: &[String]) -> (Columns, Vec<String>, Vec<&'static str>) {
        let cols = self.columns();
        let mut index = vec![None; cols.len()];
        let mut ignored = Vec::new();
        for (pos, h) in header.iter().enumerate() {
            let h = h.trim();
            let canonical = self
                .aliases()
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(h))
                .map(|(_, c)| *c)
                .unwrap_or(h);
            match cols.iter().position(|c| c.eq_ignore_ascii_case(canonical)) {
                Some(i) if index[i].is_none() => index[i] = Some(pos),
                _ => ignored.push(h.to_owned()),
            }
        }
        let missing = self
            .required()
            .iter()
            .copied()
            .filter(|r| index[cols.iter().position(|c| c == r).unwrap()].is_none())
            .collect();
        (Columns::new(index), ignored, missing)
    }
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
