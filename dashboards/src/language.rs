//! Errors in the reader's language. An [`AppError`](crate::AppError) answers in English;
//! [`localise`] gives a request whose `Accept-Language` asks for Chinese the
//! Chinese of it, with the English kept under `error.detail` for whoever debugs. The
//! Chinese is made here, in one place, from the error's kind and the English the crates
//! below write: the words that matter (an id, a field, a wait) are carried over, and an
//! English this file does not know still gets its code's Chinese sentence.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::error::Code;

/// The English of an error answered, left on the response for [`localise`].
#[derive(Debug, Clone)]
pub(crate) struct Said {
    pub code: Code,
    pub message: String,
}

/// The language a request asks for first (`Accept-Language`; the web app sends its own):
/// `Some(true)` Chinese, `Some(false)` English, `None` neither (the API's English as is).
fn wants(headers: &HeaderMap) -> Option<bool> {
    let first = headers
        .get(header::ACCEPT_LANGUAGE)?
        .to_str()
        .ok()?
        .split(',')
        .next()?
        .trim()
        .to_ascii_lowercase();
    if first.starts_with("zh") {
        Some(true)
    } else if first.starts_with("en") {
        Some(false)
    } else {
        None
    }
}

/// Whether a request reads Chinese (its first language).
pub(crate) fn reads_chinese(headers: &HeaderMap) -> bool {
    wants(headers) == Some(true)
}

/// An error's message in the language `headers` ask for, for errors answered inside a
/// successful response (an import that failed after it started).
pub(crate) fn in_language(headers: &HeaderMap, code: Code, en: &str) -> String {
    match wants(headers) {
        Some(true) => chinese_of(code, en),
        _ => en.to_owned(),
    }
}

/// Rewrites an error's message into Chinese when the request reads Chinese, and the one
/// message written with Chinese in it (nothing understood) into plain English when it
/// reads English.
pub(crate) async fn localise(req: Request, next: Next) -> Response {
    let language = wants(req.headers());
    let mut res = next.run(req).await;
    let Some(chinese) = language else {
        return res;
    };
    let Some(said) = res.extensions_mut().remove::<Said>() else {
        return res;
    };
    let message = if chinese {
        chinese_of(said.code, &said.message)
    } else if said.code == Code::BadQuestion {
        english_of_question(&said.message)
    } else {
        return res;
    };
    let body = json!({"error": {
        "code": said.code.as_str(),
        "message": message,
        "detail": said.message,
    }});
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        header::HeaderValue::from_static(if chinese { "zh-CN" } else { "en" }),
    );
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// "could not understand 「…」 (没有理解); ask about customers (大区、行业 …) …" in English only:
/// the words not understood as typed, then what can be asked.
fn english_of_question(en: &str) -> String {
    let words = bracketed(en);
    let what = if words.is_empty() {
        "the question".to_owned()
    } else {
        words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "could not understand {what}; ask about customers' region, industry, size and other \
         fields (\"manufacturing customers in Zhejiang\"), a ranking (\"top 20 customers by \
         annual purchase\") or a count (\"customers by province\")"
    )
}

/// The words a message names in 「…」 (the parts of a question not understood).
fn bracketed(en: &str) -> Vec<&str> {
    en.split('「')
        .skip(1)
        .filter_map(|w| w.split('」').next())
        .collect()
}

/// The first `"quoted"` word of an English message (an id, a name).
fn quoted(en: &str) -> Option<&str> {
    let start = en.find('"')? + 1;
    let len = en[start..].find('"')?;
    Some(&en[start..start + len])
}

/// The number of seconds or minutes in "try again in 12 s" / "for 3 more minutes".
fn number_before(en: &str, unit: &str) -> Option<u64> {
    let at = en.rfind(unit)?;
    let digits: String = en[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// The role named in "your role (业务员) …".
fn role(en: &str) -> Option<&str> {
    let start = en.find("role (")? + "role (".len();
    let len = en[start..].find(')')?;
    Some(&en[start..start + len])
}

/// A report's date range refused, in Chinese: the dates and field of the English kept.
fn date_range_zh(en: &str) -> String {
    let dates: Vec<&str> = en
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .filter(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
        .collect();
    if en.contains("is not a date field") {
        format!(
            "日期范围：「{}」不是日期字段，可用订单日期（order_date）或客户的日期字段",
            quoted(en).unwrap_or_default()
        )
    } else if en.contains("is not a date") {
        format!(
            "日期范围：「{}」不是有效日期，请写成 YYYY-MM-DD 格式的真实日期",
            quoted(en).unwrap_or_default()
        )
    } else if en.contains("is after to") && dates.len() >= 2 {
        format!(
            "日期范围：开始日期 {} 晚于结束日期 {}，开始日期应在前",
            dates[0], dates[1]
        )
    } else if en.contains("not both") {
        "日期范围：起止日期和最近天数只能选一种".to_owned()
    } else if en.contains("is not between") {
        "日期范围：最近天数应在 1 到 3650 之间".to_owned()
    } else {
        "日期范围：请给出开始日期、结束日期或最近天数".to_owned()
    }
}

/// The Chinese of an error: its code's sentence, with the particulars of the English.
pub(crate) fn chinese_of(code: Code, en: &str) -> String {
    match code {
        Code::BadQuestion => {
            let words = bracketed(en);
            let what = if words.is_empty() {
                "这个问题".to_owned()
            } else {
                words
                    .iter()
                    .map(|w| format!("「{w}」"))
                    .collect::<Vec<_>>()
                    .join("")
            };
            format!(
                "没能理解{what}。可以问客户的地区、行业、规模等条件（如「浙江的制造业客户」），\
                 排名（如「价值贡献TOP20客户」）或统计（如「按省份统计客户数」）"
            )
        }
        Code::NotFound => {
            if en.starts_with("no customer") {
                match quoted(en) {
                    Some(id) => format!("没有编号为 {id} 的客户"),
                    None => "没有找到这家客户".to_owned(),
                }
            } else if en.starts_with("no dashboard") || en.starts_with("no board") {
                format!("没有名为「{}」的看板", quoted(en).unwrap_or_default())
            } else if en.starts_with("no combined dashboard") {
                format!("没有名为「{}」的组合看板", quoted(en).unwrap_or_default())
            } else if en.starts_with("no saved report") {
                format!("没有名为「{}」的报表", quoted(en).unwrap_or_default())
            } else if en.starts_with("no such endpoint") {
                "没有这个接口；GET /api/openapi.json 列出了所有接口".to_owned()
            } else {
                "没有找到要查看的内容".to_owned()
            }
        }
        Code::Unauthorized => {
            let text = if en.starts_with("wrong user name or password") {
                "用户名或密码错误"
            } else if en.starts_with("log in first") {
                "请先登录"
            } else if en.starts_with("the session has ended") {
                "登录已过期，请重新登录"
            } else if en.starts_with("the password has changed") {
                "密码已修改，请重新登录"
            } else if en.starts_with("the account is disabled") {
                "账号已停用，请联系管理员"
            } else if en.contains("made this link is disabled or gone") {
                "生成这个链接的账号已停用或删除，请向分享者要一个新链接"
            } else if en.contains("no access token") {
                "链接缺少访问令牌，请向分享者要一个新链接"
            } else if en.contains("token expired") {
                "链接的访问令牌已过期，请向分享者要一个新链接"
            } else if en.contains("token is not valid") || en.contains("token is for another") {
                "链接的访问令牌无效，请向分享者要一个新链接"
            } else {
                "请先登录（或登录已过期、链接已失效）"
            };
            text.to_owned()
        }
        Code::Forbidden => {
            if en.contains("may read but not change data") {
                format!(
                    "您的角色（{}）只能查看，不能修改数据",
                    role(en).unwrap_or("当前角色")
                )
            } else if let (Some(r), Some(by)) = (role(en), en.rsplit(" by ").next())
                && en.contains("may not")
            {
                format!("您的角色（{r}）不能使用字段「{by}」")
            } else if en.starts_with("the combined dashboard") && en.contains("was saved by") {
                format!(
                    "组合看板「{}」是别人保存的，只有保存者或管理员可以删除",
                    quoted(en).unwrap_or_default()
                )
            } else if en.starts_with("the report") && en.contains("was saved by") {
                format!(
                    "报表「{}」是别人保存的，只有保存者或管理员可以删除",
                    quoted(en).unwrap_or_default()
                )
            } else if en.contains("changes are accepted only from") {
                "修改只接受来自客搜自己页面或 API 客户端的请求".to_owned()
            } else {
                "您的角色无权进行此操作".to_owned()
            }
        }
        Code::RateLimited => {
            let wait = number_before(en, " s")
                .map(|s| format!("请 {s} 秒后再试"))
                .unwrap_or_else(|| "请稍后再试".to_owned());
            if en.contains("login attempts") {
                format!("登录尝试太频繁，{wait}")
            } else if en.contains("exports") {
                format!("导出太频繁，{wait}")
            } else {
                format!("请求太频繁，{wait}")
            }
        }
        Code::Locked => match number_before(en, " more minutes") {
            Some(m) => format!("密码错误次数过多，账号锁定 {m} 分钟，请稍后再试"),
            None => "密码错误次数过多，账号暂时锁定，请稍后再试".to_owned(),
        },
        Code::BadRequest if en.starts_with("ask a question") => {
            "请输入一个问题，例如「华东地区年采购额超百万的科技客户」或「按省份统计客户数」"
                .to_owned()
        }
        Code::BadRequest if en.starts_with("date range:") => date_range_zh(en),
        Code::BadRequest => format!("请求有误：{en}"),
        Code::TooLarge => format!("内容太长，请缩短后重试：{en}"),
        Code::Conflict => format!("与他人保存的内容冲突，请换个名称：{en}"),
        Code::Internal | Code::System => "服务器出错了，请稍后重试；服务器日志里有详情".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_in_chinese_with_its_particulars() {
        let zh = |code, en| chinese_of(code, en);
        assert_eq!(
            zh(Code::NotFound, r#"no customer has id "C0999999""#),
            "没有编号为 C0999999 的客户"
        );
        assert!(
            zh(
                Code::BadQuestion,
                "could not understand 「xyz」 (没有理解); ask about customers"
            )
            .starts_with("没能理解「xyz」")
        );
        assert_eq!(
            zh(
                Code::Forbidden,
                "your role (业务员) may not filter by contact_phone"
            ),
            "您的角色（业务员）不能使用字段「contact_phone」"
        );
        assert_eq!(
            zh(
                Code::RateLimited,
                "too many requests in a short time; try again in 12 s"
            ),
            "请求太频繁，请 12 秒后再试"
        );
        assert_eq!(
            zh(Code::Unauthorized, "wrong user name or password"),
            "用户名或密码错误"
        );
        assert_eq!(
            zh(
                Code::Unauthorized,
                "the access token expired; ask for a new embed link"
            ),
            "链接的访问令牌已过期，请向分享者要一个新链接"
        );
        assert!(zh(Code::Locked, "locked for 5 more minutes").contains("5 分钟"));
    }

    #[test]
    fn nothing_understood_reads_in_english_without_chinese_but_the_words_typed() {
        let en = english_of_question(
            "could not understand 「asdf」 「qwer」 (没有理解); ask about customers (大区、行业 …)",
        );
        assert!(
            en.starts_with("could not understand \"asdf\" \"qwer\";"),
            "{en}"
        );
        assert!(en.is_ascii(), "{en}");
    }

    #[test]
    fn chinese_is_asked_for_by_the_first_language() {
        let mut h = HeaderMap::new();
        assert_ne!(wants(&h), Some(true));
        h.insert(
            header::ACCEPT_LANGUAGE,
            "zh-CN,zh;q=0.9,en;q=0.8".parse().unwrap(),
        );
        assert_eq!(wants(&h), Some(true));
        h.insert(header::ACCEPT_LANGUAGE, "en-US,zh;q=0.5".parse().unwrap());
        assert_ne!(wants(&h), Some(true));
    }
}
