//! Field rules on a store's own fields: 毛利率 (a custom field of the customers file) masked
//! for 部门主管 and 业务员 and hidden from 财务 may not be filtered, grouped or measured by
//! them, is listed in `/api/fields` as such, and is masked in profiles; 客户来源 (no rule) is
//! asked about by everyone, within their rows.

use super::*;

const SOURCES: [&str; 4] = ["展会", "官网", "转介绍", "电话营销"];

/// The generated customers file with two fields of the company's own.
fn add_custom_columns(dir: &std::path::Path) {
    let path = dir.join("customers.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        out.push_str(line);
        if i == 0 {
            out.push_str(",客户来源,毛利率");
        } else if !line.is_empty() {
            out.push_str(&format!(",{},{}%", SOURCES[i % 4], 5 + (i * 7) % 40));
        }
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
}

fn policy() -> String {
    format!(
        "{}\n[fields.\"毛利率\"]\n\"部门主管\" = \"mask\"\n\"业务员\" = \"mask\"\n\"财务\" = \"hide\"\n",
        kesou_access::DEFAULT_POLICY.replace(
            "login_attempts_per_minute = 30",
            "login_attempts_per_minute = 100000"
        )
    )
}

fn field<'v>(fields: &'v Value, name: &str) -> Option<&'v Value> {
    fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
}

#[tokio::test]
async fn custom_fields_keep_their_field_rules() {
    let f = &fixture_with(300, Some(&policy()), add_custom_columns);
    let margin = |name: &str| {
        count(
            f,
            &format!(
                "SELECT count(*) FROM customers c JOIN custom_values v ON v.id = c.id \
                 AND v.field = '毛利率' WHERE v.number > 0.3 AND {}",
                scope_sql(f, name)
            ),
        )
    };
    for (name, sees) in [
        ("admin", "show"),
        ("李强", "mask"),
        ("王芳", "mask"),
        ("赵敏", "hide"),
    ] {
        let token = login(f, name).await;
        // Filtering, grouping and measuring by 毛利率: only for who sees it in full.
        for q in ["毛利率超过30%的客户", "按大区统计平均毛利率"] {
            let r = post(f, &token, "/api/ask", json!({"q": q})).await;
            if sees == "show" {
                assert_eq!(r.status, StatusCode::OK, "{name} {q}: {}", r.text());
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{name} {q}: {}", r.text());
                assert_eq!(r.code(), "forbidden");
            }
        }
        if sees == "show" {
            let r = post(f, &token, "/api/ask", json!({"q": "毛利率超过30%的客户"})).await;
            let total = r.json()["total"].as_u64().unwrap();
            assert_eq!(total, margin(name));
            assert!(total > 10, "{total}");
        }
        // 客户来源 has no rule: everyone asks by it, within their rows.
        let r = post(f, &token, "/api/ask", json!({"q": "客户来源是展会的客户"})).await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let v = r.json();
        let want = count(
            f,
            &format!(
                "SELECT count(*) FROM customers c JOIN custom_values v ON v.id = c.id \
                 AND v.field = '客户来源' WHERE v.text = '展会' AND {}",
                scope_sql(f, name)
            ),
        );
        assert_eq!(v["total"].as_u64().unwrap(), want, "{name}");
        assert!(want > 0);

        // /api/fields: listed as the store's own, offered by the rules.
        let fields = get(f, &token, "/api/fields").await.json();
        let source = field(&fields, "客户来源").expect("客户来源 is listed");
        assert_eq!(source["custom"], true);
        assert_eq!(source["dimension"], true, "{source}");
        assert_eq!(field(&fields, "region").unwrap()["custom"], false);
        match (sees, field(&fields, "毛利率")) {
            ("hide", got) => assert!(got.is_none(), "{name}: {got:?}"),
            (_, None) => panic!("{name}: 毛利率 is not listed"),
            (sees, Some(m)) => {
                assert_eq!(m["kind"], "ratio");
                assert_eq!(m["measure"], sees == "show", "{name}: {m}");
                assert_eq!(m["filter"], sees == "show", "{name}: {m}");
            }
        }
    }

    // A profile shows the field to who sees it, masked or not at all to the others.
    let id = one(
        f,
        "SELECT id FROM customers WHERE region = '华北' ORDER BY id LIMIT 1",
    );
    for (name, want) in [("admin", "plain"), ("李强", "masked"), ("赵敏", "hidden")] {
        let token = login(f, name).await;
        let r = get(f, &token, &format!("/api/customers/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let v = r.json();
        let got = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "毛利率")
            .map(|x| x["value"].clone());
        match want {
            "plain" => assert!(got.as_ref().is_some_and(Value::is_number), "{got:?}"),
            "masked" => assert_eq!(got, Some(json!("***"))),
            _ => assert_eq!(got, None),
        }
    }
}
