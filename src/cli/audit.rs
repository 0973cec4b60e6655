//! `kesou audit verify|search`: the server's audit log.

use kesou_access::AuditQuery;

use super::StoreArg;
use super::output::Table;

/// Check and search the audit log (审计日志)
///
/// The server appends every login attempt, question, search, profile, export, dashboard and
/// refusal to STORE/audit/audit.log, hash-chained: `verify` finds any edited, removed or
/// reordered entry and entries cut off the end, and prints the chain's head hash (keep it
/// elsewhere to detect a rewrite of the whole log). `search` answers who looked at a
/// customer, what a user did, or what happened since a day.
///
/// Examples:
///   kesou audit verify --data kesou-data
///   kesou audit search --data kesou-data --customer C0000123
///   kesou audit search --data kesou-data --user 王芳 --since 2026-11-01
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain; exits with status 1 when the log was tampered with.
    Verify {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Find entries, newest first.
    Search {
        #[command(flatten)]
        store: StoreArg,
        /// Entries that returned or named this customer id (who looked at C0000123).
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        user: Option<String>,
        /// login, ask, search, export, profile, similar, dashboard, report, embed, ingest …
        #[arg(long)]
        action: Option<String>,
        /// YYYY-MM-DD or an RFC 3339 time (UTC).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// json: one entry a line, as stored.
        #[arg(long, default_value = "table")]
        format: String,
    },
}

pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify { store } => {
            let v = kesou_access::audit::verify(&store.data)?;
            if v.problems.is_empty() {
                println!("audit log intact: {} entries; head {}", v.entries, v.head);
                Ok(())
            } else {
                for p in &v.problems {
                    eprintln!("{p}");
                }
                eprintln!(
                    "audit log NOT intact: {} problems in {} entries",
                    v.problems.len(),
                    v.entries
                );
                std::process::exit(1);
            }
        }
        AuditCommand::Search {
            store,
            customer,
            user,
            action,
            since,
            limit,
            format,
        } => {
            let found = kesou_access::audit::search(
                &store.data,
                &AuditQuery {
                    customer,
                    user,
                    action,
                    since,
                    limit,
                },
            )?;
            if format == "json" {
                for e in &found {
                    println!("{}", serde_json::to_string(e)?);
                }
                return Ok(());
            }
            let mut t = Table::new([
                "#", "at", "user", "role", "from", "action", "outcome", "input", "rows",
            ]);
            for e in &found {
                let ev = &e.event;
                let what = if ev.interpretation.is_empty() {
                    ev.input.clone()
                } else {
                    format!("{} → {}", ev.input, ev.interpretation)
                };
                t.row([
                    e.seq.to_string(),
                    e.at.clone(),
                    ev.user.clone(),
                    ev.role.clone(),
                    ev.from.clone(),
                    ev.action.clone(),
                    if ev.detail.is_empty() {
                        ev.outcome.clone()
                    } else {
                        format!("{} ({})", ev.outcome, ev.detail)
                    },
                    what.chars().take(80).collect(),
                    ev.rows.to_string(),
                ]);
            }
            if found.is_empty() {
                println!("no audit entries match");
            } else {
                t.print();
            }
            Ok(())
        }
    }
}
