//! The audit log: every login attempt, question, search, profile, export and refusal, one
//! JSON line each in `STORE/audit/audit.log`, hash-chained: each entry carries the SHA-256
//! of the previous entry's hash and its own content, so editing or removing an entry breaks
//! every hash after it. `STORE/audit/head` holds the last sequence number and hash, so that
//! cutting entries off the end is seen too; keep a copy of the head elsewhere (printed by
//! `kesou audit verify`) to detect a rewrite of the whole file.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as the caller describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// User name (`-` when unknown, e.g. a failed login for a name that does not exist is
    /// recorded under the name tried).
    pub user: String,
    pub role: String,
    /// The client's address.
    pub from: String,
    /// `login`, `ask`, `search`, `export`, `profile`, `similar`, `dashboard`, `report`,
    /// `embed`, `ingest`, `suggest` …
    pub action: String,
    /// `ok`, `refused` (wrong password, locked, rate limited, forbidden), `failed`.
    pub outcome: String,
    /// The question, search text, customer id or board name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub input: String,
    /// How it was understood (the interpretation's one-line reading).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interpretation: String,
    /// Rows returned.
    #[serde(default)]
    pub rows: u64,
    /// The customers whose rows were returned (for "who looked at C0000123").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customers: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    /// RFC 3339, UTC.
    pub at: String,
    #[serde(flatten)]
    pub event: Event,
    pub prev: String,
    pub hash: String,
}

#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    at: &'a str,
    #[serde(flatten)]
    event: &'a Event,
    prev: &'a str,
}

/// Text for the log with personal contact values masked, however they were typed: phone
/// numbers (7 or more digits, also split by spaces or hyphens, in full-width digits, after
/// `tel`; customer ids such as C0000123, credit codes and dates are kept) keep their first 3
/// and last 4 digits, e-mail addresses (also with a full-width `＠`) their first letter and
/// domain. A question, or a refusal quoting it, must not leave a number in the log.
pub fn redact(text: &str) -> String {
    let folded: String = text.chars().map(fold_width).collect();
    let chars: Vec<char> = folded.chars().collect();
    let mut out = String::with_capacity(folded.len());
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        if is_email_char(chars[i]) && (i == 0 || !is_email_char(chars[i - 1])) {
            let j = (i..chars.len())
                .find(|&k| !is_email_char(chars[k]))
                .unwrap_or(chars.len());
            let word: String = chars[i..j].iter().collect();
            if let Some((user, domain)) = word.split_once('@')
                && !user.is_empty()
                && domain.contains('.')
            {
                out.push_str(&mask_phones(&plain));
                plain.clear();
                out.push_str(&crate::mask("email", &word));
                i = j;
                continue;
            }
        }
        plain.push(chars[i]);
        i += 1;
    }
    out.push_str(&mask_phones(&plain));
    out
}

/// Full-width digits, letters and the signs contacts are written with, as ASCII.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    }
}

fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@._%+-".contains(c)
}

/// Masks the phone numbers of `text` (see [`redact`]).
fn mask_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Digit groups joined by one space or hyphen: 138 1234 8000, 0571-8888 1234.
        let mut groups = vec![(i, digits_end(&chars, i))];
        loop {
            let end = groups.last().expect("a group").1;
            if end + 1 < chars.len()
                && matches!(chars[end], ' ' | '-')
                && chars[end + 1].is_ascii_digit()
            {
                groups.push((end + 1, digits_end(&chars, end + 1)));
            } else {
                break;
            }
        }
        let keep = |from: usize, to: usize, out: &mut String| {
            out.extend(&chars[from..to]);
        };
        // A date (2026-06-30) starts a run: kept, and the rest looked at on its own.
        let len = |g: &(usize, usize)| g.1 - g.0;
        if groups.len() >= 3
            && len(&groups[0]) == 4
            && len(&groups[1]) <= 2
            && len(&groups[2]) <= 2
            && chars[groups[0].1] == '-'
            && chars[groups[1].1] == '-'
        {
            keep(i, groups[2].1, &mut out);
            i = groups[2].1;
            continue;
        }
        // +86 stays readable: the number after it is what is masked.
        if groups.len() > 1 && i > 0 && chars[i - 1] == '+' && len(&groups[0]) == 2 {
            keep(i, groups[1].0, &mut out);
            groups.remove(0);
            i = groups[0].0;
        }
        let end = groups.last().expect("a group").1;
        let digits: String = groups.iter().flat_map(|g| &chars[g.0..g.1]).collect();
        if digits.len() < 7 || (groups.len() == 1 && is_code(&chars, i, end)) {
            keep(i, end, &mut out);
        } else {
            out.push_str(&crate::mask("phone", &digits));
        }
        i = end;
    }
    out
}

fn digits_end(chars: &[char], from: usize) -> usize {
    (from..chars.len())
        .find(|&k| !chars[k].is_ascii_digit())
        .unwrap_or(chars.len())
}

/// Whether the digits at `from..to` are part of a code rather than a phone number: a
/// customer id (one letter, then up to 10 digits: C0000123) or an 18-character credit code.
fn is_code(chars: &[char], from: usize, to: usize) -> bool {
    let letters_before = chars[..from]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let alnum = |c: &&char| c.is_ascii_alphanumeric();
    let token_start = from
        - chars[..from]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
    let token_end = to + chars[to..].iter().take_while(alnum).count();
    let id = letters_before == 1 && token_start == from - 1 && token_end == to && to - from <= 10;
    let token = &chars[token_start..token_end];
    let credit_code = token.len() == 18
        && token
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    id || credit_code
}

fn hash_of(seq: u64, at: &str, event: &Event, prev: &str) -> String {
    let body = serde_json::to_vec(&Hashed {
        seq,
        at,
        event,
        prev,
    })
    .expect("an entry serialises");
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(&body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: String,
}

/// The log, open for appending (one per process; appends are serialised).
#[derive(Debug)]
pub struct AuditLog {
    dir: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    file: std::fs::File,
    head: Head,
}

impl AuditLog {
    pub fn dir_in(store: &Path) -> PathBuf {
        store.join("audit")
    }

    /// Opens the store's log, reading where the chain ends (the head file, checked against
    /// the log's last line).
    pub fn open(store: &Path) -> Result<AuditLog> {
        let dir = AuditLog::dir_in(store);
        crate::files::private_dir(&dir)?;
        let path = dir.join("audit.log");
        let file = crate::files::open_private_append(&path)?;
        cut_torn_tail(&file, &path)?;
        let last = last_entry(&path)?;
        let head = match last {
            Some(e) => Head {
                seq: e.seq,
                hash: e.hash,
            },
            None => Head {
                seq: 0,
                hash: GENESIS.into(),
            },
        };
        Ok(AuditLog {
            dir,
            state: Mutex::new(State { file, head }),
        })
    }

    /// Appends an event (contact values in its input, interpretation and detail masked:
    /// [`redact`]);
    /// the entry is on disk (written, not yet synced) when this returns.
    pub fn record(&self, mut event: Event) -> Result<Entry> {
        event.input = redact(&event.input);
        event.interpretation = redact(&event.interpretation);
        event.detail = redact(&event.detail);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let seq = st.head.seq + 1;
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let hash = hash_of(seq, &at, &event, &st.head.hash);
        let entry = Entry {
            seq,
            at,
            event,
            prev: st.head.hash.clone(),
            hash,
        };
        let mut line = serde_json::to_vec(&entry).expect("an entry serialises");
        line.push(b'\n');
        let path = self.dir.join("audit.log");
        st.file.write_all(&line).map_err(|e| Error::io(&path, e))?;
        st.head = Head {
            seq,
            hash: entry.hash.clone(),
        };
        let head = serde_json::to_vec(&st.head).expect("a head serialises");
        crate::files::replace_private_unsynced(&self.dir.join("head"), &head)?;
        Ok(entry)
    }
}

/// A crash in the middle of an append leaves a last line without its newline: that line
/// was never a whole entry (the head file still names the one before it), so it is moved
/// to `audit/torn-SIZE.txt` for whoever looks, and the log ends at its last whole entry.
/// A last line that reads as a whole entry only lacks the newline: it is completed.
fn cut_torn_tail(file: &std::fs::File, path: &Path) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e| Error::io(path, e);
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(());
    }
    // The tail after the last newline; entries are short, a few KB is plenty to look at.
    let mut reader = file;
    let back = len.min(1 << 20);
    reader.seek(SeekFrom::Start(len - back)).map_err(io)?;
    let mut tail = Vec::with_capacity(back as usize);
    reader.read_to_end(&mut tail).map_err(io)?;
    if tail.last() == Some(&b'\n') {
        return Ok(());
    }
    let start = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn = &tail[start..];
    let mut writer = file;
    if serde_json::from_slice::<Entry>(torn).is_ok() {
        writer.write_all(b"\n").map_err(io)?;
        return Ok(());
    }
    let aside = path.with_file_name(format!("torn-{len}.txt"));
    crate::files::replace_private(&aside, torn)?;
    file.set_len(len - torn.len() as u64).map_err(io)?;
    tracing::warn!(
        bytes = torn.len(),
        aside = %aside.display(),
        "audit: the log's last line was cut off by a crash; set aside"
    );
    Ok(())
}

fn last_entry(path: &Path) -> Result<Option<Entry>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut last = None;
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if !line.trim().is_empty() {
            last = Some(line);
        }
    }
    match last {
        None => Ok(None),
        Some(l) => serde_json::from_str(&l).map(Some).map_err(|e| {
            Error::BadInput(format!(
                "{}: the last entry does not read ({e}); run `kesou audit verify`",
                path.display()
            ))
        }),
    }
}

/// What `kesou audit verify` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verified {
    pub entries: u64,
    /// The last entry's hash: keep it elsewhere to detect a rewrite of the whole log.
    pub head: String,
    /// Every problem found, with the line it was found on; empty when the log is intact.
    pub problems: Vec<String>,
}

/// Checks the whole chain and the head file.
pub fn verify(store: &Path) -> Result<Verified> {
    let dir = AuditLog::dir_in(store);
    let path = dir.join("audit.log");
    let f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Verified {
                entries: 0,
                head: GENESIS.into(),
                problems: Vec::new(),
            });
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_owned();
    let mut seq = 0;
    let mut n = 0;
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(&path, e))?;
        let at = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        n += 1;
        let e: Entry = match serde_json::from_str(&line) {
            Ok(e) => e,
            Err(err) => {
                problems.push(format!("line {at}: not an audit entry ({err})"));
                continue;
            }
        };
        if e.seq != seq + 1 {
            problems.push(format!(
                "line {at}: entry {} follows entry {seq}: entries {}–{} are missing or out of order",
                e.seq,
                seq + 1,
                e.seq.saturating_sub(1).max(seq + 1)
            ));
        }
        if e.prev != prev {
            problems.push(format!(
                "line {at}: entry {} does not follow the entry before it (removed or edited entries)",
                e.seq
            ));
        }
        if hash_of(e.seq, &e.at, &e.event, &e.prev) != e.hash {
            problems.push(format!(
                "line {at}: entry {} was changed after it was written",
                e.seq
            ));
        }
        seq = e.seq;
        prev = e.hash;
    }
    match std::fs::read(dir.join("head")) {
        Ok(bytes) => match serde_json::from_slice::<Head>(&bytes) {
            Ok(h) if h.seq == seq && h.hash == prev => {}
            Ok(h) => problems.push(format!(
                "the log ends at entry {seq}, but entry {} was written last: entries were removed from the end or the log replaced",
                h.seq
            )),
            Err(_) => problems.push("the head file does not read".into()),
        },
        Err(_) if n == 0 => {}
        Err(_) => problems.push("the head file is missing".into()),
    }
    Ok(Verified {
        entries: n,
        head: prev,
        problems,
    })
}

/// Which entries to find.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Entries that returned or named this customer.
    pub customer: Option<String>,
    pub user: Option<String>,
    pub action: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`: entries at or after.
    pub since: Option<String>,
    pub limit: usize,
}

/// The entries that match, newest first.
pub fn search(store: &Path, q: &AuditQuery) -> Result<Vec<Entry>> {
    let path = AuditLog::dir_in(store).join("audit.log");
    let f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let mut out = Vec::new();
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| Error::io(&path, e))?;
        let Ok(e) = serde_json::from_str::<Entry>(&line) else {
            continue;
        };
        let ev = &e.event;
        let ok =
            q.customer.as_ref().is_none_or(|c| {
                ev.customers.iter().any(|x| x == c) || ev.input.contains(c.as_str())
            }) && q.user.as_ref().is_none_or(|u| &ev.user == u)
                && q.action.as_ref().is_none_or(|a| &ev.action == a)
                && q.since.as_ref().is_none_or(|s| e.at.as_str() >= s.as_str());
        if ok {
            out.push(e);
        }
    }
    out.reverse();
    if q.limit > 0 {
        out.truncate(q.limit);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user: &str, action: &str, customers: &[&str]) -> Event {
        Event {
            user: user.into(),
            role: "业务员".into(),
            from: "127.0.0.1".into(),
            action: action.into(),
            outcome: "ok".into(),
            input: "华东科技客户".into(),
            interpretation: "大区=华东 · 行业=科技".into(),
            rows: customers.len() as u64,
            customers: customers.iter().map(|s| s.to_string()).collect(),
            detail: String::new(),
        }
    }

    fn log_lines(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join("audit/audit.log"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write_lines(dir: &Path, lines: &[String]) {
        std::fs::write(dir.join("audit/audit.log"), lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn contacts_do_not_reach_the_log() {
        assert_eq!(redact("手机号13812348000的客户"), "手机号138****8000的客户");
        assert_eq!(
            redact("邮箱是zhang.wei@example.com的客户 C0000123"),
            "邮箱是z***@example.com的客户 C0000123"
        );
        assert_eq!(redact("年采购额超100万"), "年采购额超100万");
        assert_eq!(
            redact("联系电话=+86 13812348000"),
            "联系电话=+86 138****8000"
        );
        // However it is typed.
        for (typed, logged) in [
            ("tel13812348000", "tel138****8000"),
            ("电话 138 1234 8000 的客户", "电话 138****8000 的客户"),
            ("0571-8888 1234", "057****1234"),
            ("１３８１２３４８０００", "138****8000"),
            ("手机13812348000。", "手机138****8000。"),
            ("zhang.wei＠example.com", "z***@example.com"),
            ("无法理解「13987654321」", "无法理解「139****4321」"),
        ] {
            assert_eq!(redact(typed), logged, "{typed}");
        }
        // Ids, credit codes, dates and amounts stay readable.
        for kept in [
            "C0000123 的画像",
            "信用代码 91330100MA27XK1234",
            "下单日期 ≥ 2026-03-30 08:00",
            "年采购额 ≥ 500000",
        ] {
            assert_eq!(redact(kept), kept);
        }
    }

    #[test]
    fn a_line_torn_by_a_crash_is_set_aside_and_the_chain_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        {
            let log = AuditLog::open(dir.path()).unwrap();
            log.record(event("王芳", "ask", &["C1"])).unwrap();
            log.record(event("王芳", "ask", &["C2"])).unwrap();
        }
        let path = dir.path().join("audit/audit.log");
        let whole = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{whole}{{\"seq\":3,\"at\":\"2026")).unwrap();
        let log = AuditLog::open(dir.path()).expect("a torn last line does not stop a start");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);
        let torn = std::fs::read_dir(dir.path().join("audit"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with("torn-"))
            .expect("the torn line is kept aside");
        assert!(
            std::fs::read_to_string(dir.path().join("audit").join(torn))
                .unwrap()
                .starts_with("{\"seq\":3")
        );
        assert_eq!(log.record(event("王芳", "ask", &["C3"])).unwrap().seq, 3);
        let v = verify(dir.path()).unwrap();
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        assert_eq!(v.entries, 3);
    }

    #[test]
    fn refusals_are_redacted_too() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        let mut ev = event("王芳", "ask", &[]);
        ev.detail = "could not understand 「13987654321」".into();
        let e = log.record(ev).unwrap();
        assert_eq!(e.event.detail, "could not understand 「139****4321」");
        assert!(
            !std::fs::read_to_string(dir.path().join("audit/audit.log"))
                .unwrap()
                .contains("13987654321")
        );
    }

    #[test]
    fn a_written_log_verifies_and_answers_who_looked() {
        let dir = tempfile::tempdir().unwrap();
        {
            let log = AuditLog::open(dir.path()).unwrap();
            log.record(event("王芳", "ask", &["C1", "C2"])).unwrap();
            log.record(event("李娜", "profile", &["C2"])).unwrap();
        }
        // reopened: the chain continues
        let log = AuditLog::open(dir.path()).unwrap();
        let e = log.record(event("王芳", "export", &["C3"])).unwrap();
        assert_eq!(e.seq, 3);
        let v = verify(dir.path()).unwrap();
        assert_eq!(v.entries, 3);
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        assert_eq!(v.head, e.hash);
        let who = search(
            dir.path(),
            &AuditQuery {
                customer: Some("C2".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let users: Vec<&str> = who.iter().map(|e| e.event.user.as_str()).collect();
        assert_eq!(users, ["李娜", "王芳"]);
    }

    #[test]
    fn edits_removals_and_truncation_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        for i in 0..5 {
            log.record(event("王芳", "ask", &[&format!("C{i}")]))
                .unwrap();
        }
        drop(log);
        let good = log_lines(dir.path());

        let mut edited = good.clone();
        edited[1] = edited[1].replace("\"rows\":1", "\"rows\":0");
        write_lines(dir.path(), &edited);
        let p = verify(dir.path()).unwrap().problems;
        assert!(p.iter().any(|p| p.contains("entry 2 was changed")), "{p:?}");

        let mut removed = good.clone();
        removed.remove(2);
        write_lines(dir.path(), &removed);
        let p = verify(dir.path()).unwrap().problems;
        assert!(p.iter().any(|p| p.contains("missing")), "{p:?}");

        write_lines(dir.path(), &good[..4]);
        let p = verify(dir.path()).unwrap().problems;
        assert!(
            p.iter().any(|p| p.contains("removed from the end")),
            "{p:?}"
        );

        write_lines(dir.path(), &good);
        assert!(verify(dir.path()).unwrap().problems.is_empty());
    }
}
