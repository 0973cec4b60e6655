//! A message in each target's format.
//!
//! - Generic webhook: the [`Message`] as JSON with `event` and `key` (the idempotency key,
//!   also sent as the `Idempotency-Key` header: a receiver that keeps the keys it has seen
//!   never acts twice on one event).
//! - 钉钉 (DingTalk) custom robot: `{"msgtype":"text","text":{"content":…}}` or
//!   `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`. With 加签 (a secret starting
//!   `SEC`), each request's URL carries `&timestamp=…&sign=…`: the sign is
//!   base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret)), URL-encoded; the
//!   timestamp is in milliseconds and DingTalk refuses one more than an hour old, so it is
//!   signed at each attempt, not when queued.
//! - 企业微信 (WeCom) group robot: `{"msgtype":"text","text":{"content":…}}` or
//!   `{"msgtype":"markdown","markdown":{"content":…}}`. Its webhook URL carries a `key`;
//!   the robot has no signature, so whoever holds the URL can post to the group: the URL is
//!   the secret (kept in the store, shown masked).
//!
//! Both robots answer HTTP 200 with `{"errcode":0,…}` on success and another `errcode`
//! (a wrong sign, a rate limit) otherwise; a non-zero `errcode` is a failed attempt. Neither
//! deduplicates, so a message is sent again only when its last attempt is not known to
//! have arrived. Robot messages list at most [`MAX_LISTED`] customers (the rest are
//! counted and on the linked page); WeCom's markdown is cut to its 4,096 bytes.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value as Json, json};
use sha2::Sha256;

use crate::message::{Item, Message, number};
use crate::targets::{Format, TargetKind};

/// Customers listed in a robot's message.
pub const MAX_LISTED: usize = 20;
/// WeCom's limit on a text or markdown message, in bytes.
pub const WECOM_MAX_BYTES: usize = 4096;
/// DingTalk's limit on a message we keep under, in bytes.
pub const DINGTALK_MAX_BYTES: usize = 18_000;

/// DingTalk's signature of a timestamp (milliseconds) with a robot's secret, before
/// URL-encoding: base64(HMAC-SHA256(secret, timestamp + "\n" + secret)).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A robot URL with DingTalk's signature parameters appended.
pub fn dingtalk_signed_url(url: &str, secret: &str, timestamp_ms: i64) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{sep}timestamp={timestamp_ms}&sign={}",
        url_encode(&dingtalk_sign(secret, timestamp_ms))
    )
}

pub use kesou_domain::text::url_encode;

/// The body a target receives for a message.
pub fn render(kind: TargetKind, format: Format, msg: &Message, key: &str) -> Json {
    match kind {
        TargetKind::Webhook => {
            let mut v = serde_json::to_value(msg).expect("a message serialises");
            v["event"] = json!(if msg.measure.is_some() {
                "watch.measure"
            } else {
                "watch.fired"
            });
            v["key"] = json!(key);
            v
        }
        TargetKind::Dingtalk => match format {
            Format::Text => {
                json!({"msgtype": "text", "text": {"content": cut(&text(msg), DINGTALK_MAX_BYTES)}})
            }
            Format::Markdown => json!({
                "msgtype": "markdown",
                "markdown": {"title": msg.headline(), "text": cut(&markdown(msg), DINGTALK_MAX_BYTES)}
            }),
        },
        TargetKind::Folder => json!({"files": [{
            "name": format!("watch-{}-{}.json", msg.watch, &key[..key.len().min(8)]),
            "content": serde_json::to_string_pretty(msg).expect("a message serialises"),
        }]}),
        TargetKind::Wecom => match format {
            Format::Text => {
                json!({"msgtype": "text", "text": {"content": cut(&text(msg), WECOM_MAX_BYTES)}})
            }
            Format::Markdown => json!({
                "msgtype": "markdown",
                "markdown": {"content": cut(&markdown(msg), WECOM_MAX_BYTES)}
            }),
        },
    }
}

/// At most `max` bytes, cut at a character boundary, marked when cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mark = "…（已截断）";
    let mut end = max - mark.len();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}", &s[..end])
}

fn item_line(i: &Item) -> String {
    let name = i.name.as_deref().unwrap_or("");
    let reasons = if i.reasons.is_empty() {
        String::new()
    } else {
        format!(" — {}", i.reasons.join(" · "))
    };
    format!("{name}（{}）{reasons}", i.id)
}

fn text(msg: &Message) -> String {
    let mut out = format!("【客搜订阅】{}\n", msg.headline());
    out.push_str(&format!(
        "问题：{}\n理解为：{}\n",
        msg.question, msg.explain
    ));
    if let Some(m) = &msg.measure {
        out.push_str(&format!(
            "{}：{}{}，条件：{}\n",
            m.label,
            number(m.value),
            m.previous
                .map(|p| format!("（上次 {}）", number(p)))
                .unwrap_or_default(),
            m.condition
        ));
    }
    for (title, items) in [("新进入", &msg.entered), ("离开", &msg.left)] {
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("{title} {} 家：\n", items.len()));
        for (n, i) in items.iter().take(MAX_LISTED).enumerate() {
            out.push_str(&format!("{}. {}\n   {}\n", n + 1, item_line(i), i.link));
        }
        if items.len() > MAX_LISTED {
            out.push_str(&format!("……及另外 {} 家\n", items.len() - MAX_LISTED));
        }
    }
    out.push_str(&format!("查看：{}", msg.link));
    out
}

/// Markdown both robots render: headings, quotes, lists and links (no tables, no HTML).
fn markdown(msg: &Message) -> String {
    let mut out = format!("#### 客搜订阅：{}\n\n", msg.headline());
    out.push_str(&format!(
        "> 问题：{}\n>\n> 理解为：{}\n\n",
        md(&msg.question),
        md(&msg.explain)
    ));
    if let Some(m) = &msg.measure {
        out.push_str(&format!(
            "**{}：{}**{}，条件：{}\n\n",
            md(&m.label),
            number(m.value),
            m.previous
                .map(|p| format!("（上次 {}）", number(p)))
                .unwrap_or_default(),
            md(&m.condition)
        ));
    }
    for (title, items) in [("新进入", &msg.entered), ("离开", &msg.left)] {
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("**{title} {} 家**\n\n", items.len()));
        for i in items.iter().take(MAX_LISTED) {
            let name = md(i.name.as_deref().unwrap_or(&i.id));
            let reasons = if i.reasons.is_empty() {
                String::new()
            } else {
                format!(" — {}", md(&i.reasons.join(" · ")))
            };
            out.push_str(&format!("- [{name}]({})（{}）{reasons}\n", i.link, i.id));
        }
        if items.len() > MAX_LISTED {
            out.push_str(&format!("- ……及另外 {} 家\n", items.len() - MAX_LISTED));
        }
        out.push('\n');
    }
    out.push_str(&format!("[在客搜中查看]({})", msg.link));
    out
}

/// Data in markdown stays text: the characters markdown acts on are escaped.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '[' | ']' | '(' | ')' | '*' | '_' | '`' | '#' | '<' | '>' | '\\'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: usize) -> Message {
        Message {
            watch: 7,
            watch_name: "流失风险高的忠诚客户".into(),
            owner: "李娜".into(),
            question: "流失风险高的忠诚客户".into(),
            explain: "流失风险≥0.7 · 生命周期=忠诚".into(),
            generation: 12,
            at: "2026-12-07T18:00:00Z".into(),
            entered: (0..n)
                .map(|i| Item {
                    id: format!("C{i:07}"),
                    name: Some(format!("苏州恒瑞精密机械有限公司{i}")),
                    reasons: vec!["流失风险: 0.82".into(), "流失原因: 近180天无订单".into()],
                    link: format!("http://kesou.example/#/customer/C{i:07}"),
                })
                .collect(),
            left: Vec::new(),
            measure: None,
            report: None,
            link: "http://kesou.example/#/watches".into(),
        }
    }

    /// The vector computed independently (Python's hmac, base64 and urllib.parse.quote_plus)
    /// for DingTalk's documented algorithm.
    #[test]
    fn dingtalk_signature_matches_a_known_vector() {
        let secret = "SEC000000000000000000000";
        assert_eq!(
            dingtalk_sign(secret, 1_700_000_000_000),
            "1zJ/w34EOSVAYr7cu7Vo8LnebmK2/GrCgegtr8mQrqM="
        );
        assert_eq!(
            dingtalk_signed_url(
                "https://oapi.dingtalk.com/robot/send?access_token=abc",
                secret,
                1_700_000_000_000
            ),
            "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000\
             &sign=1zJ%2Fw34EOSVAYr7cu7Vo8LnebmK2%2FGrCgegtr8mQrqM%3D"
        );
    }

    #[test]
    fn robots_get_their_documented_shapes() {
        let msg = message(3);
        let d = render(TargetKind::Dingtalk, Format::Text, &msg, "k");
        assert_eq!(d["msgtype"], "text");
        let content = d["text"]["content"].as_str().unwrap();
        assert!(content.contains("新进入 3 家"), "{content}");
        assert!(content.contains("C0000002"));
        assert!(content.contains("流失原因: 近180天无订单"));
        let d = render(TargetKind::Dingtalk, Format::Markdown, &msg, "k");
        assert_eq!(d["msgtype"], "markdown");
        assert!(
            d["markdown"]["title"]
                .as_str()
                .unwrap()
                .contains("新进入 3 家客户")
        );
        assert!(
            d["markdown"]["text"].as_str().unwrap().contains(
                "- [苏州恒瑞精密机械有限公司0](http://kesou.example/#/customer/C0000000)"
            )
        );
        let w = render(TargetKind::Wecom, Format::Markdown, &msg, "k");
        assert_eq!(w.as_object().unwrap().len(), 2);
        assert_eq!(w["msgtype"], "markdown");
        assert!(w["markdown"]["content"].is_string());
        assert!(w["markdown"].get("title").is_none());
        let w = render(TargetKind::Wecom, Format::Text, &msg, "k");
        assert_eq!(w["msgtype"], "text");
        let hook = render(TargetKind::Webhook, Format::Text, &msg, "key-1");
        assert_eq!(hook["key"], "key-1");
        assert_eq!(hook["event"], "watch.fired");
        assert_eq!(hook["entered"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn long_lists_are_counted_and_cut_to_the_robots_limits() {
        let msg = message(300);
        let w = render(TargetKind::Wecom, Format::Markdown, &msg, "k");
        let content = w["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= WECOM_MAX_BYTES);
        let d = render(TargetKind::Dingtalk, Format::Text, &msg, "k");
        let content = d["text"]["content"].as_str().unwrap();
        assert!(content.contains("……及另外 280 家"));
        assert!(!content.contains("C0000020"));
    }

    #[test]
    fn data_cannot_write_markdown() {
        let mut msg = message(1);
        msg.entered[0].name = Some("[点我](http://evil.example)".into());
        let d = render(TargetKind::Dingtalk, Format::Markdown, &msg, "k");
        let text = d["markdown"]["text"].as_str().unwrap();
        assert!(text.contains(r"\[点我\]\(http://evil.example\)"), "{text}");
    }
}
