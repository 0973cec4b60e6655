//! The export styles: which files, sheets, headers and value formats each CRM or ERP
//! writes. Header names are those the products use in their Chinese (or English) editions.

use super::cells::{Custom, DateFmt, Fmt, MoneyFmt, StampFmt};

/// Where a column's values come from: a contract column, or a field of the CRM's own.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    Field(&'static str),
    Custom(Custom),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub header: &'static str,
    pub source: Source,
    pub fmt: Fmt,
}

const fn col(header: &'static str, field: &'static str, fmt: Fmt) -> Column {
    Column {
        header,
        source: Source::Field(field),
        fmt,
    }
}

const fn custom(header: &'static str, custom: Custom, fmt: Fmt) -> Column {
    Column {
        header,
        source: Source::Custom(custom),
        fmt,
    }
}

/// One table of an export: a sheet of a workbook, or a file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sheet {
    /// customers, orders or interactions.
    pub table: &'static str,
    /// The sheet's name, or the file's name without its extension.
    pub name: &'static str,
    /// Lines above the header: a title (merged across the columns in a workbook), an
    /// export date …; `""` is an empty line.
    pub above: &'static [&'static str],
    /// An empty line after every this many rows (0: none).
    pub empty_every: usize,
    /// A 合计 row at the end, with the sum of the money columns.
    pub total: bool,
    pub columns: &'static [Column],
}

/// How the tables are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    /// One workbook (`NAME.xlsx`), one sheet a table.
    Workbook(&'static str),
    /// One CSV file a table, in this encoding (`UTF-8 BOM` for UTF-8 with a byte-order mark).
    Csv(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub container: Container,
    pub sheets: [Sheet; 3],
}

use Custom::*;
use DateFmt as D;
use Fmt::*;
use MoneyFmt as M;
use StampFmt as S;

/// 纷享销客: a workbook; a merged title; 注册资本 in 万元 in the header; dates as Excel dates,
/// 合同到期日 as bare serial numbers; amounts as ¥ text; a 合计 row under the orders.
pub(crate) const FXIAOKE: Spec = Spec {
    container: Container::Workbook("纷享销客-客户导出"),
    sheets: [
        Sheet {
            table: "customers",
            name: "客户",
            above: &["客户列表（导出）"],
            empty_every: 0,
            total: false,
            columns: &[
                col("客户编号", "id", Text),
                col("客户名称", "name", Text),
                col("统一社会信用代码", "credit_code", Text),
                col("省", "province", Text),
                col("市", "city", Text),
                col("行业", "industry", Text),
                col("企业规模", "size", Text),
                col("员工人数", "employees", Number),
                col(
                    "注册资本（万元）",
                    "registered_capital",
                    Money(M::WanNumber),
                ),
                col("成立日期", "founded_date", Date(D::Excel)),
                col("负责人", "owner", Text),
                col("标签", "tags", List("、")),
                col("联系人", "contact_name", Text),
                col("手机", "contact_phone", Text),
                col("邮箱", "email", Text),
                col("备注", "description", Text),
                col("创建时间", "created_at", Stamp(S::Minutes)),
                custom("客户级别", Level, Text),
                custom("客户来源", Origin, Text),
                custom("合同到期日", ContractEnd, Date(D::ExcelSerial)),
            ],
        },
        Sheet {
            table: "orders",
            name: "销售订单",
            above: &[],
            empty_every: 0,
            total: true,
            columns: &[
                col("订单编号", "id", Text),
                col("客户编号", "customer_id", Text),
                col("下单日期", "order_date", Date(D::Excel)),
                col("订单金额（元）", "amount", Money(M::Yen)),
                col("产品名称", "product", Text),
            ],
        },
        Sheet {
            table: "interactions",
            name: "跟进记录",
            above: &[],
            empty_every: 0,
            total: false,
            columns: &[
                col("记录编号", "id", Text),
                col("客户编号", "customer_id", Text),
                col("跟进时间", "ts", Stamp(S::Excel)),
                col("跟进方式", "channel", Text),
                col("跟进类型", "kind", Text),
                col("跟进内容", "note", Text),
            ],
        },
    ],
};

/// 销售易: a workbook; the export time above the header and an empty line; dates as
/// 2024年1月5日 text and bare serial numbers; 注册资本 as ¥ text, orders in 万元.
pub(crate) const XIAOSHOUYI: Spec = Spec {
    container: Container::Workbook("销售易-数据导出"),
    sheets: [
        Sheet {
            table: "customers",
            name: "客户",
            above: &["导出时间：EXPORTED", ""],
            empty_every: 0,
            total: false,
            columns: &[
                col("客户编码", "id", Text),
                col("公司名称", "name", Text),
                col("统一社会信用代码", "credit_code", Text),
                col("所在省份", "province", Text),
                col("所在城市", "city", Text),
                col("所属行业", "industry", Text),
                col("企业规模", "size", Text),
                col("员工数", "employees", Number),
                col("注册资本（元）", "registered_capital", Money(M::Yen)),
                col("成立时间", "founded_date", Date(D::Chinese)),
                col("客户所有人", "owner", Text),
                col("标签", "tags", List(";")),
                col("联系人姓名", "contact_name", Text),
                col("联系人手机", "contact_phone", Text),
                col("电子邮箱", "email", Text),
                col("公司简介", "description", Text),
                col("创建日期", "created_at", Stamp(S::Excel)),
                custom("客户来源", Origin, Text),
                custom("客户等级", Grade, Text),
                custom("所属集团", Group, Text),
            ],
        },
        Sheet {
            table: "orders",
            name: "订单",
            above: &["导出时间：EXPORTED", ""],
            empty_every: 0,
            total: true,
            columns: &[
                col("订单编号", "id", Text),
                col("客户编码", "customer_id", Text),
                col("订单日期", "order_date", Date(D::ExcelSerial)),
                col("订单总金额(万元)", "amount", Money(M::WanNumber)),
                col("产品", "product", Text),
            ],
        },
        Sheet {
            table: "interactions",
            name: "活动记录",
            above: &[],
            empty_every: 0,
            total: false,
            columns: &[
                col("活动编号", "id", Text),
                col("客户编码", "customer_id", Text),
                col("活动时间", "ts", Stamp(S::SlashMinutes)),
                col("活动方式", "channel", Text),
                col("活动类型", "kind", Text),
                col("活动内容", "note", Text),
            ],
        },
    ],
};

/// 金蝶: GBK CSV files; a title and a print date above the header; dates as 2024年1月5日
/// and 2024/1/5; 注册资本 in 万元; amounts with thousands separators; empty lines; 合计.
pub(crate) const KINGDEE: Spec = Spec {
    container: Container::Csv("GBK"),
    sheets: [
        Sheet {
            table: "customers",
            name: "客户资料",
            above: &["客户资料", "打印日期：EXPORTED"],
            empty_every: 0,
            total: false,
            columns: &[
                col("客户编码", "id", Text),
                col("客户名称", "name", Text),
                col("统一社会信用代码", "credit_code", Text),
                col("省份", "province", Text),
                col("城市", "city", Text),
                col("所属行业", "industry", Text),
                col("企业规模", "size", Text),
                col("员工人数", "employees", Number),
                col("注册资本(万元)", "registered_capital", Money(M::WanNumber)),
                col("成立日期", "founded_date", Date(D::Chinese)),
                col("销售员", "owner", Text),
                col("标签", "tags", List("|")),
                col("联系人", "contact_name", Text),
                col("联系电话", "contact_phone", Text),
                col("电子邮箱", "email", Text),
                col("企业简介", "description", Text),
                col("创建日期", "created_at", Stamp(S::Minutes)),
                custom("客户等级", Grade, Text),
                custom("信用额度(元)", CreditLimit, Money(M::Thousands)),
                custom("合同到期日", ContractEnd, Date(D::Chinese)),
            ],
        },
        Sheet {
            table: "orders",
            name: "销售订单",
            above: &["销售订单序时簿"],
            empty_every: 100,
            total: true,
            columns: &[
                col("单据编号", "id", Text),
                col("客户编码", "customer_id", Text),
                col("日期", "order_date", Date(D::Slash)),
                col("价税合计", "amount", Money(M::Thousands)),
                col("物料名称", "product", Text),
            ],
        },
        Sheet {
            table: "interactions",
            name: "客户跟进",
            above: &[],
            empty_every: 0,
            total: false,
            columns: &[
                col("单据编号", "id", Text),
                col("客户编码", "customer_id", Text),
                col("跟进时间", "ts", Stamp(S::Seconds)),
                col("跟进方式", "channel", Text),
                col("跟进类型", "kind", Text),
                col("跟进内容", "note", Text),
            ],
        },
    ],
};

/// 用友: GB18030 CSV files; a title and an empty line; 注册资金 as 500万 in the cell; the
/// credit code as 税号; amounts as 1,234.56元; 毛利率 as a percentage; 合计.
pub(crate) const YONYOU: Spec = Spec {
    container: Container::Csv("GB18030"),
    sheets: [
        Sheet {
            table: "customers",
            name: "客户档案",
            above: &["客户档案", ""],
            empty_every: 0,
            total: false,
            columns: &[
                col("客户编码", "id", Text),
                col("客户名称", "name", Text),
                col("税号", "credit_code", Text),
                col("省份", "province", Text),
                col("城市", "city", Text),
                col("所属行业", "industry", Text),
                col("企业规模", "size", Text),
                col("员工人数", "employees", Number),
                col("注册资金", "registered_capital", Money(M::WanCell)),
                col("成立日期", "founded_date", Date(D::Slash)),
                col("专管业务员", "owner", Text),
                col("标签", "tags", List("|")),
                col("联系人", "contact_name", Text),
                col("手机", "contact_phone", Text),
                col("Email", "email", Text),
                col("备注", "description", Text),
                col("建档日期", "created_at", Stamp(S::Minutes)),
                custom("客户来源", Origin, Text),
                custom("信用等级", Credit, Text),
                custom("毛利率", Margin, Percent),
            ],
        },
        Sheet {
            table: "orders",
            name: "销售订单列表",
            above: &["销售订单列表", ""],
            empty_every: 0,
            total: true,
            columns: &[
                col("订单号", "id", Text),
                col("客户编码", "customer_id", Text),
                col("订单日期", "order_date", Date(D::Iso)),
                col("价税合计", "amount", Money(M::YuanSuffix)),
                col("存货名称", "product", Text),
            ],
        },
        Sheet {
            table: "interactions",
            name: "客户拜访记录",
            above: &[],
            empty_every: 0,
            total: false,
            columns: &[
                col("记录编号", "id", Text),
                col("客户编码", "customer_id", Text),
                col("拜访时间", "ts", Stamp(S::Minutes)),
                col("沟通方式", "channel", Text),
                col("沟通类型", "kind", Text),
                col("沟通内容", "note", Text),
            ],
        },
    ],
};

/// Salesforce (a Chinese org's report exports): UTF-8 CSV with a byte-order mark, English
/// headers, dates as 2024/1/5 and 2024/1/5 8:00, amounts as `CNY 1,234.56`.
pub(crate) const SALESFORCE: Spec = Spec {
    container: Container::Csv("UTF-8 BOM"),
    sheets: [
        Sheet {
            table: "customers",
            name: "accounts",
            above: &[],
            empty_every: 0,
            total: false,
            columns: &[
                col("Account ID", "id", Text),
                col("Account Name", "name", Text),
                col("Unified Social Credit Code", "credit_code", Text),
                col("Billing State/Province", "province", Text),
                col("Billing City", "city", Text),
                col("Industry", "industry", Text),
                col("Company Size", "size", Text),
                col("Employees", "employees", Number),
                col("Registered Capital", "registered_capital", Money(M::Cny)),
                col("Founded Date", "founded_date", Date(D::Slash)),
                col("Account Owner", "owner", Text),
                col("Tags", "tags", List(";")),
                col("Contact Name", "contact_name", Text),
                col("Phone", "contact_phone", Text),
                col("Email", "email", Text),
                col("Description", "description", Text),
                col("Created Date", "created_at", Stamp(S::SlashMinutes)),
                custom("Account Source", Origin, Text),
                custom("Rating", Rating, Text),
                custom("Contract End Date", ContractEnd, Date(D::Slash)),
            ],
        },
        Sheet {
            table: "orders",
            name: "opportunities",
            above: &[],
            empty_every: 0,
            total: false,
            columns: &[
                col("Opportunity ID", "id", Text),
                col("Account ID", "customer_id", Text),
                col("Close Date", "order_date", Date(D::Slash)),
                col("Amount", "amount", Money(M::Cny)),
                col("Product", "product", Text),
            ],
        },
        Sheet {
            table: "interactions",
            name: "activities",
            above: &[],
            empty_every: 0,
            total: false,
            columns: &[
                col("Activity ID", "id", Text),
                col("Account ID", "customer_id", Text),
                col("Date", "ts", Stamp(S::SlashMinutes)),
                col("Channel", "channel", Text),
                col("Type", "kind", Text),
                col("Comments", "note", Text),
            ],
        },
    ],
};
