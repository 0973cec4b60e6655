//! `kesou user add|list|disable|enable|passwd`: the people who may use the server.

use std::io::BufRead;

use kesou_access::{MIN_PASSWORD_CHARS, Principal, Role, User, Users};

use super::StoreArg;
use super::output::Table;

/// Manage who may log in to `kesou serve`, and what they see (用户管理)
///
/// Roles: 管理员 (admin: everything, manages users), 部门主管 (manager: the regions of their
/// department), 业务员 (sales: their regions and the customers they own), 财务 (finance:
/// reads amounts, never contacts). Field rules and departments are in
/// STORE/access/policy.toml (written with defaults by the first `kesou user add`).
/// Passwords are read from the terminal without echo (or the first line of standard input
/// with --password-stdin) and kept only as Argon2id hashes. Changes apply to a running server at
/// the next request.
///
/// Examples:
///   kesou user add --data kesou-data admin --role 管理员
///   kesou user add --data kesou-data 王芳 --role 业务员 --regions 华东,广东
///   kesou user add --data kesou-data 李强 --role 部门主管 --department 华北事业部
///   echo 'a long password' | kesou user add --data kesou-data 赵敏 --role 财务 --password-stdin
///   kesou user list --data kesou-data
///   kesou user disable --data kesou-data 王芳
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user (asks for the password).
    Add {
        #[command(flatten)]
        store: StoreArg,
        /// The user name they log in with.
        name: String,
        /// 管理员, 部门主管, 业务员 or 财务 (admin, manager, sales, finance).
        #[arg(long)]
        role: String,
        /// Regions (华东 …) or provinces (广东 …) they see, comma-separated.
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        /// 业务员: their name in the customers' 负责销售 (owner) column, if not the user name.
        #[arg(long)]
        owner: Option<String>,
        /// 部门主管: their department, as named in the policy's [departments].
        #[arg(long)]
        department: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users, their roles and the rows they see.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Stop a user from logging in (their sessions end at the next request).
    Disable {
        #[command(flatten)]
        store: StoreArg,
        name: String,
    },
    /// Let a disabled user log in again.
    Enable {
        #[command(flatten)]
        store: StoreArg,
        name: String,
    },
    /// Set a user's password.
    Passwd {
        #[command(flatten)]
        store: StoreArg,
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Turns the terminal's echo off (or back on) with `stty`; false when it could not.
fn echo(on: bool) -> bool {
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    let mut line = String::new();
    let hidden = !from_stdin && std::io::stdin().is_terminal() && echo(false);
    if !from_stdin {
        eprint!("password (at least {MIN_PASSWORD_CHARS} characters): ");
    }
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        echo(true);
        eprintln!();
    }
    read?;
    let p = line.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!p.is_empty(), "no password given");
    Ok(p)
}

fn check_store(store: &StoreArg) -> anyhow::Result<()> {
    anyhow::ensure!(
        store.data.join(kesou_indexer::store::DB_FILE).exists(),
        "{} is not a kesou store; make one with `kesou ingest` or `kesou demo`",
        store.data.display()
    );
    Ok(())
}

fn set_disabled(store: &StoreArg, name: &str, disabled: bool) -> anyhow::Result<()> {
    check_store(store)?;
    let mut users = Users::load(&store.data)?;
    users.set_disabled(name, disabled)?;
    users.save()?;
    println!("{name} {}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

pub fn run(args: UserArgs) -> anyhow::Result<()> {
    match args.command {
        UserCommand::Add {
            store,
            name,
            role,
            regions,
            owner,
            department,
            password_stdin,
        } => {
            check_store(&store)?;
            let role = Role::parse(&role)?;
            let policy_path = kesou_access::ensure_policy_file(&store.data)?;
            let policy = kesou_access::Policy::load(&policy_path)?;
            let user = User {
                regions,
                owner,
                department,
                ..User::new(&name, role)
            };
            // What they would see, checked before anything is written.
            let principal = Principal::of(&user, &policy)?;
            let password = read_password(password_stdin)?;
            let mut users = Users::load(&store.data)?;
            users.add(user, &password)?;
            users.save()?;
            println!(
                "added {} ({}), seeing {}; policy in {}",
                principal.name,
                principal.role,
                principal
                    .scope
                    .as_ref()
                    .map_or_else(|| "every customer".to_owned(), ToString::to_string),
                policy_path.display()
            );
        }
        UserCommand::List { store } => {
            check_store(&store)?;
            let users = Users::load(&store.data)?;
            let policy = kesou_access::Policy::load(&store.data.join("access/policy.toml"))?;
            let mut t = Table::new(["user", "role", "sees", "fields", "status", "created"]);
            for u in users.all() {
                let (sees, fields) = match Principal::of(u, &policy) {
                    Ok(p) => (
                        p.scope
                            .as_ref()
                            .map_or_else(|| "every customer".to_owned(), ToString::to_string),
                        p.fields
                            .iter()
                            .map(|(f, a)| format!("{f}: {a:?}").to_lowercase())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    Err(e) => (format!("(error: {e})"), String::new()),
                };
                t.row([
                    u.name.clone(),
                    u.role.zh().to_owned(),
                    sees,
                    fields,
                    if u.disabled { "disabled" } else { "active" }.to_owned(),
                    u.created.clone(),
                ]);
            }
            if users.all().is_empty() {
                println!(
                    "no users; add one with `kesou user add --data {} NAME --role 管理员`",
                    store.data.display()
                );
            } else {
                t.print();
            }
        }
        UserCommand::Disable { store, name } => set_disabled(&store, &name, true)?,
        UserCommand::Enable { store, name } => set_disabled(&store, &name, false)?,
        UserCommand::Passwd {
            store,
            name,
            password_stdin,
        } => {
            check_store(&store)?;
            let mut users = Users::load(&store.data)?;
            anyhow::ensure!(users.get(&name).is_some(), "no user is named {name:?}");
            let password = read_password(password_stdin)?;
            users.set_password(&name, &password)?;
            users.save()?;
            println!("password of {name} set");
        }
    }
    Ok(())
}
