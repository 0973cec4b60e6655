//! `kesou user` and `kesou audit` as a person runs them: users added with their passwords
//! hashed, bad roles and departments refused, command-line questions in the audit log, and
//! a tampered log found out.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::common::{data, ingest_into_temp};

fn kesou(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kesou"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kesou");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn users_are_managed_and_questions_audited_from_the_command_line() {
    let (_dir, paths, _) = ingest_into_temp(&[data("search")]);
    let store = paths.root.to_str().unwrap();
    let add = |args: &[&str], password: &str| {
        let mut all = vec!["user", "add", "--data", store, "--password-stdin"];
        all.extend_from_slice(args);
        kesou(&all, &format!("{password}\n"))
    };
    let o = add(&["boss", "--role", "管理员"], "a long admin password");
    assert!(o.status.success(), "{}", text(&o));
    let o = add(
        &["王芳", "--role", "sales", "--regions", "华东,广东"],
        "a long sales password",
    );
    assert!(
        text(&o).contains("region=华东 | province=广东省 | owner=王芳"),
        "{}",
        text(&o)
    );
    for (args, password, says) in [
        (
            vec!["x", "--role", "老板"],
            "a long password 1",
            "not a role",
        ),
        (vec!["y", "--role", "业务员"], "short", "at least 10"),
        (
            vec!["z", "--role", "部门主管", "--department", "火星部"],
            "a long password 1",
            "火星部",
        ),
        (
            vec!["boss", "--role", "管理员"],
            "a long password 1",
            "exists",
        ),
    ] {
        let o = add(&args, password);
        assert!(!o.status.success(), "{args:?}");
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
    let users = std::fs::read_to_string(paths.root.join("access/users.json")).unwrap();
    assert!(users.contains("$argon2id$") && !users.contains("long admin password"));
    let o = kesou(&["user", "disable", "--data", store, "王芳"], "");
    assert!(o.status.success(), "{}", text(&o));
    let o = kesou(&["user", "list", "--data", store], "");
    assert!(
        text(&o).contains("disabled") && text(&o).contains("contact_phone: mask"),
        "{}",
        text(&o)
    );

    // command-line reads are audited; the log verifies until an entry is edited
    let o = kesou(&["ask", "--data", store, "华东的客户"], "");
    assert!(o.status.success(), "{}", text(&o));
    let o = kesou(&["audit", "verify", "--data", store], "");
    assert!(
        o.status.success() && text(&o).contains("intact: 1 entries"),
        "{}",
        text(&o)
    );
    let o = kesou(
        &[
            "audit", "search", "--data", store, "--action", "ask", "--format", "json",
        ],
        "",
    );
    assert!(
        text(&o).contains("华东的客户") && text(&o).contains("大区=华东"),
        "{}",
        text(&o)
    );
    let log = paths.root.join("audit/audit.log");
    let edited = std::fs::read_to_string(&log)
        .unwrap()
        .replace("华东的客户", "华南的客户");
    std::fs::write(&log, edited).unwrap();
    let o = kesou(&["audit", "verify", "--data", store], "");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("entry 1 was changed"), "{}", text(&o));
}
