//! The Chinese of the reasons a value or a row is set aside, for the import page of the
//! Chinese app. Validation writes its reasons in English (they go into rejects files and
//! the CLI); this table reads each reason's English back into its parts and writes them
//! in a Chinese sentence, so the particulars (a count, a value, a field) carry over. A
//! reason the table does not know is shown as written: the page then says it in English
//! rather than wrongly.

/// One reason: its English with `{}` where a particular stands, and its Chinese with
/// `{0}`, `{1}` … for them.
const REASONS: &[(&str, &str)] = &[
    (
        "cannot be identified: no id, no name and no credit code of a known customer",
        "无法识别：没有编号、名称，也没有已知客户的信用代码",
    ),
    (
        "no such customer in the store or in this ingest: kept waiting in the store, loaded when the customer is",
        "库中和本次导入中都没有这家客户：已暂存，客户导入后自动关联",
    ),
    (
        "no such customer in the store or in this ingest (load the customer first, or check it was not rejected)",
        "库中和本次导入中都没有这家客户（请先导入客户，或检查客户是否被拒）",
    ),
    ("no such customer in the store", "库中没有这家客户"),
    ("is required but empty", "必填，但为空"),
    (
        "is not a date; write YYYY-MM-DD",
        "不是日期，请写成 YYYY-MM-DD",
    ),
    (
        "is not a timestamp; write YYYY-MM-DD HH:MM:SS",
        "不是时间，请写成 YYYY-MM-DD HH:MM:SS",
    ),
    ("is not a number", "不是数字"),
    ("is not a finite number", "不是有效数字"),
    ("must be a whole number", "必须是整数"),
    ("must be at least {}", "不能小于 {0}"),
    ("is longer than 100 characters", "超过 100 个字"),
    ("contains control characters", "含有控制字符"),
    ("is not an e-mail address", "不是电子邮箱地址"),
    (
        "has {} digits; expected a mobile number of 11 digits starting 13-19 or a landline with area code",
        "有 {0} 位数字；应为 13–19 开头的 11 位手机号，或带区号的座机号",
    ),
    (
        "phone number may hold only digits, spaces, '-' and a leading +86",
        "电话号码只能含数字、空格、“-”和开头的 +86",
    ),
    (
        "is not a province of mainland China (write e.g. 浙江省 or 浙江)",
        "不是中国大陆的省份（可写 浙江省 或 浙江）",
    ),
    ("is in {}, not in {}", "属于{0}，不在{1}"),
    (
        "is not a 大区; expected one of 华东 华南 华北 华中 西南 西北 东北",
        "不是大区；应为 华东 华南 华北 华中 西南 西北 东北 之一",
    ),
    (
        "is not a known industry; expected one of {}",
        "不是已知行业；应为 {0} 之一",
    ),
    ("is not a size; expected {}", "不是规模；应为 {0} 之一"),
    ("is not a channel; expected {}", "不是渠道；应为 {0} 之一"),
    (
        "is not an interaction kind; expected {}",
        "不是互动类型；应为 {0} 之一",
    ),
    (
        "a tag must be 1 to 40 characters without control characters",
        "标签须为 1–40 个字，且不含控制字符",
    ),
    (
        "an id is at most 64 characters without spaces",
        "编号最多 64 个字符，且不含空格",
    ),
    ("id is empty", "编号为空"),
    (
        "id has {} characters, at most {} allowed",
        "编号有 {0} 个字符，最多 {1} 个",
    ),
    (
        "id contains {}; only letters, digits, '-' and '_' are allowed",
        "编号含有 {0}；只能用字母、数字、“-”和“_”",
    ),
    (
        "looks like an encrypted value; give the plain name",
        "看起来是加密后的值，请给出明文名称",
    ),
    (
        "already belongs to customer {}; a company keeps one id",
        "已属于客户 {0}；一家企业只有一个编号",
    ),
    (
        "customer {} has credit_code {}; a customer's code cannot change (delete it first)",
        "客户 {0} 的信用代码是 {1}；客户的信用代码不能更改（请先删除该客户）",
    ),
    (
        "credit_code {} has {} characters, expected 18",
        "信用代码 {0} 有 {1} 个字符，应为 18 个",
    ),
    (
        "credit_code {} has {} at position {}; allowed are digits and capitals except I, O, Z, S, V",
        "信用代码 {0} 第 {2} 位是 {1}；只能用数字和除 I、O、Z、S、V 外的大写字母",
    ),
    (
        "credit_code {} fails its check: the last character should be {}",
        "信用代码 {0} 校验不通过：最后一位应为 {1}",
    ),
    (
        "has {} characters, expected 18",
        "有 {0} 个字符，应为 18 个",
    ),
    (
        "is not a {} (the column holds {}s)",
        "不是{0}（这一列是{0}）",
    ),
];

/// The Chinese of the kinds a column holds (`is not a money`).
const KINDS: &[(&str, &str)] = &[
    ("number", "数字"),
    ("money", "金额"),
    ("percent", "百分比"),
    ("date", "日期"),
    ("timestamp", "时间"),
    ("phone", "电话"),
    ("email", "邮箱"),
    ("credit code", "信用代码"),
    ("category", "类别"),
    ("text", "文本"),
];

/// The Chinese of a reason, or the reason as written when the table does not know it.
pub(crate) fn reason_zh(en: &str) -> String {
    for (pattern, zh) in REASONS {
        if let Some(parts) = matches(pattern, en) {
            let mut out = (*zh).to_owned();
            for (i, part) in parts.iter().enumerate() {
                let part = KINDS
                    .iter()
                    .find(|(k, _)| k == part)
                    .map_or(*part, |(_, z)| *z);
                out = out.replace(&format!("{{{i}}}"), part);
            }
            return out;
        }
    }
    en.to_owned()
}

/// The particulars of `text` where `pattern` has `{}`, when the rest is the same.
fn matches<'t>(pattern: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let mut rest = text.strip_prefix(pieces[0])?;
    let mut parts = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        let at = if last {
            if !rest.ends_with(piece) {
                return None;
            }
            rest.len() - piece.len()
        } else {
            rest.find(piece)?
        };
        if at == 0 {
            return None;
        }
        parts.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    (pieces.len() > 1 || rest.is_empty()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_in_chinese_with_their_particulars() {
        assert_eq!(reason_zh("is required but empty"), "必填，但为空");
        assert_eq!(
            reason_zh("credit_code \"9133\" has 4 characters, expected 18"),
            "信用代码 \"9133\" 有 4 个字符，应为 18 个"
        );
        assert_eq!(
            reason_zh("is not a money (the column holds moneys)"),
            "不是金额（这一列是金额）"
        );
        assert_eq!(
            reason_zh("is in 浙江省, not in 江苏省"),
            "属于浙江省，不在江苏省"
        );
        assert_eq!(reason_zh("must be at least 0"), "不能小于 0");
        // Whole sentences only: a longer English is not half-read.
        assert_eq!(
            reason_zh("is required but empty, and more"),
            "is required but empty, and more"
        );
        assert_eq!(reason_zh("something new"), "something new");
    }

    /// Every reason validation writes has its Chinese: the reasons are read from the
    /// indexer's sources, so a new one fails here until it is added above.
    #[test]
    fn every_reason_the_indexer_writes_is_in_the_table() {
        let sources = [
            include_str!("../../indexer/src/validate/customers.rs"),
            include_str!("../../indexer/src/validate/events.rs"),
            include_str!("../../indexer/src/validate/fields.rs"),
            include_str!("../../indexer/src/plan/infer.rs"),
            include_str!("../../domain/src/credit_code.rs"),
            include_str!("../../domain/src/ids.rs"),
        ];
        let mut missing = Vec::new();
        let mut read = 0;
        for source in sources {
            for reason in quoted_reasons(source) {
                read += 1;
                if reason_zh(&reason) == reason {
                    missing.push(reason);
                }
            }
        }
        assert!(read >= 20, "only {read} reasons read from the sources");
        assert!(missing.is_empty(), "no Chinese for: {missing:#?}");
    }

    /// The string literals of a source that read like reasons: "is …", "must …", "has …".
    fn quoted_reasons(source: &str) -> Vec<String> {
        let starts = [
            "is ",
            "must ",
            "has ",
            "cannot be identified",
            "no such customer",
            "contains ",
            "phone number",
            "a tag must",
            "an id is",
            "looks like",
            "already belongs",
            "credit_code ",
            "id has",
            "id is",
            "id contains",
        ];
        source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| starts.iter().any(|p| s.starts_with(p)) && s.len() > 12)
            .map(|s| {
                s.replace("{min}", "0")
                    .replace("{code:?}", "X")
                    .replace("{c:?}", "X")
                    .replace("{n}", "X")
                    .replace("{bad:?}", "X")
                    .replace("{}", "X")
            })
            .collect()
    }
}
