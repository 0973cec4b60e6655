//! `kesou watch add|list|remove|test|run|deliver|outbox|target`: questions that watch.

use std::path::Path;

use kesou_access::Principal;
use kesou_indexer::{Store, StorePaths};
use kesou_watch::{Condition, Every, FireOn, NewWatch, Settings, Target, TargetKind};

use super::StoreArg;
use super::output::Table;

/// Questions that watch the data (订阅与提醒)
///
/// A watch is a question saved by a user. After every `kesou ingest`, `kesou apply` and
/// change through the server, it is asked again for the customers that changed, within its
/// owner's regions and field rules, and fires when customers enter (进入) or leave (离开) its
/// answer. A question that is a figure (「本周销售额」) is watched on a schedule instead, with a
/// condition. Firings go to delivery targets an administrator set up: a JSON webhook, a
/// 钉钉 robot or a 企业微信 group robot, listing the customers with the reasons and a link.
/// A board, saved report or combined dashboard can be delivered daily or weekly (销售周报):
/// one HTML page and a CSV per board, to a webhook or a folder (robots get a link).
/// Deliveries wait in the store until sent: retried with growing delays for 24 hours, sent
/// once per event, every attempt in the audit log (`kesou audit`).
///
/// Examples:
///   kesou watch target add ops --kind webhook --url http://10.0.0.5:9000/kesou
///   kesou watch target add 销售群 --kind dingtalk --url 'https://oapi.dingtalk.com/robot/send?access_token=…' --secret SEC… --format markdown
///   kesou watch add "流失风险高的忠诚客户" --to 销售群
///   kesou watch add "华东新增客户" --as 王芳 --to ops --on both
///   kesou watch add "本周销售额" --every weekly --drop 20 --to 销售群
///   kesou watch add --report 销售周报 --every weekly --target 周报文件夹   # a report on a schedule
///   kesou watch list
///   kesou watch test 3
///   kesou watch run          # from cron: scheduled figures, then deliveries due
///   kesou watch remove 3
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct WatchArgs {
    #[command(subcommand)]
    pub command: WatchCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum WatchCommand {
    /// Save a question as a watch (保存订阅): it starts from who is in its answer now.
    Add(AddArgs),
    /// List watches with how many customers are in each and their last firings.
    List {
        #[command(flatten)]
        store: StoreArg,
        /// Only this user's watches.
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
        /// table or json.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Remove a watch (its owner or an administrator).
    Remove {
        #[command(flatten)]
        store: StoreArg,
        id: i64,
        /// Who removes it (default: this machine's administrator).
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
    },
    /// Show what a watch would report now, against who it last saw, sending nothing; a
    /// report is rendered and sent now (not counted as its period's).
    Test {
        #[command(flatten)]
        store: StoreArg,
        id: i64,
        /// text or json (the generic webhook's message).
        #[arg(long, default_value = "text")]
        format: String,
        /// The web app's address, for links.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Ask the watches again (changes not yet seen, figures due), then send what is due. For cron.
    Run {
        #[command(flatten)]
        store: StoreArg,
        /// Run every figure watch now, due or not.
        #[arg(long)]
        all: bool,
        /// The web app's address, for links.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Send the deliveries that are due (one attempt each).
    Deliver {
        #[command(flatten)]
        store: StoreArg,
        /// Also send firings held because the store holds the demo's data.
        #[arg(long)]
        release_held: bool,
    },
    /// List the deliveries, newest first.
    Outbox {
        #[command(flatten)]
        store: StoreArg,
        #[arg(long, default_value_t = 30)]
        limit: usize,
    },
    /// Delivery targets (administrators): add, list, remove.
    #[command(subcommand)]
    Target(TargetCommand),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The question, as typed in the search box (「近30天咨询≥5次且未成交的客户」).
    #[arg(required_unless_present = "board")]
    pub question: Option<String>,
    /// A report on a schedule instead: this board, saved report or combined dashboard
    /// (its name, e.g. map, top20), delivered --every daily or weekly as its owner sees it.
    #[arg(
        long,
        visible_alias = "report",
        value_name = "NAME",
        conflicts_with = "question"
    )]
    pub board: Option<String>,
    /// A name for people (default: the question).
    #[arg(long)]
    pub name: Option<String>,
    /// Whose watch it is: their regions and field rules apply (required when the store has users).
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,
    /// enter (进入), leave (离开) or both.
    #[arg(long = "on", default_value = "enter")]
    pub fire_on: String,
    /// Delivery targets, comma-separated.
    #[arg(long = "to", visible_alias = "target", value_delimiter = ',')]
    pub targets: Vec<String>,
    /// For a figure: hourly, daily or weekly (每小时, 每天, 每周); for a report daily or weekly.
    #[arg(long)]
    pub every: Option<String>,
    /// For a figure: fire when it is below this.
    #[arg(long)]
    pub below: Option<f64>,
    /// For a figure: fire when it is above this.
    #[arg(long)]
    pub above: Option<f64>,
    /// For a figure: fire when it fell by more than this percentage since the last run.
    #[arg(long)]
    pub drop: Option<f64>,
    /// For a figure: fire when it rose by more than this percentage since the last run.
    #[arg(long)]
    pub rise: Option<f64>,
    /// Watch this structured query (an answer's interpretation as JSON) instead of reading the question again at each run.
    #[arg(long, value_name = "FILE")]
    pub query: Option<std::path::PathBuf>,
    /// For a report: a fixed filter, FIELD op VALUE, as in the web app's filter bar
    /// (repeatable: --filter region=华东 --filter "annual_purchase>1000000").
    #[arg(long = "filter", value_name = "FILTER", requires = "board")]
    pub filters: Vec<String>,
    /// For a report: the filter bar's period, the last 30, 90 or 365 days.
    #[arg(long, value_name = "DAYS", requires = "board")]
    pub period: Option<u64>,
}

#[derive(Debug, clap::Subcommand)]
pub enum TargetCommand {
    /// Add (or replace) a delivery target.
    Add {
        #[command(flatten)]
        store: StoreArg,
        /// Its name, as watches refer to it.
        name: String,
        /// webhook (JSON), dingtalk (钉钉 robot), wecom (企业微信 group robot) or folder (reports as files).
        #[arg(long)]
        kind: String,
        /// The webhook URL (a robot's carries its access_token or key); a folder's absolute path.
        #[arg(long)]
        url: String,
        /// 钉钉 加签 secret (SEC…): requests are signed with it.
        #[arg(long)]
        secret: Option<String>,
        /// Robots: text or markdown.
        #[arg(long, default_value = "markdown")]
        format: String,
        /// Send firings even when the store holds the demo's generated data.
        #[arg(long)]
        allow_demo: bool,
    },
    /// List targets (URLs masked).
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Remove a target; deliveries waiting for it expire.
    Remove {
        #[command(flatten)]
        store: StoreArg,
        name: String,
    },
}

/// Who a command acts as: a user of the store, else this machine's administrator.
fn acting(root: &Path, user: Option<&str>) -> anyhow::Result<Principal> {
    match user {
        Some(u) => Ok(kesou_watch::owner_principal(root, u)?),
        None => Ok(Principal::local()),
    }
}

pub fn run(args: WatchArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    match args.command {
        WatchCommand::Add(a) => add(a, opts),
        WatchCommand::List {
            store,
            as_user,
            format,
        } => {
            let store = Store::open(&opts.store(&store.data))?;
            let conn = store.reader()?.conn;
            let watches = kesou_watch::list(&conn, as_user.as_deref())?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&watches)?);
                return Ok(());
            }
            if watches.is_empty() {
                println!("no watches; add one with `kesou watch add \"流失风险高的忠诚客户\"`");
                return Ok(());
            }
            let mut t = Table::new(["id", "name", "owner", "fires", "to", "in", "last firing"]);
            for w in &watches {
                let fires = match (&w.watch.every, &w.watch.condition, &w.watch.board) {
                    (Some(e), _, Some(b)) => format!("report {b} · {}", e.name()),
                    (Some(e), Some(c), _) => format!("{} · {}", e.name(), c.describe()),
                    _ => w.watch.fire_on.name().to_owned(),
                };
                let last = w
                    .last_firings
                    .first()
                    .map(|f| format!("{} {}", f.at, f.summary))
                    .unwrap_or_else(|| "-".into());
                t.row([
                    w.watch.id.to_string(),
                    w.watch.name.clone(),
                    w.watch.owner.clone(),
                    fires,
                    w.watch.targets.join(","),
                    w.members.to_string(),
                    last,
                ]);
            }
            t.print();
            Ok(())
        }
        WatchCommand::Remove { store, id, as_user } => {
            let root = store.data.clone();
            let store = Store::open(&opts.store(&store.data))?;
            let by = acting(&root, as_user.as_deref())?;
            kesou_watch::remove(&store.reader()?.conn, id, &by)?;
            println!("watch {id} removed");
            Ok(())
        }
        WatchCommand::Test {
            store,
            id,
            format,
            url,
        } => {
            let store = Store::open(&opts.store(&store.data))?;
            let is_report =
                kesou_watch::get(&store.reader()?.conn, id)?.is_some_and(|w| w.watch.is_report());
            if is_report {
                let settings = Settings::with_url(&url);
                let outcome = kesou_watch::send_now(&store, id, &settings)?;
                println!(
                    "report 「{}」: {} rows rendered, {} deliveries queued",
                    outcome.name, outcome.checked, outcome.queued
                );
                return deliver(&store, &settings);
            }
            let (outcome, mut msg) = kesou_watch::test_watch(&store, id)?;
            msg.link = msg
                .link
                .replace("http://127.0.0.1:8080", url.trim_end_matches('/'));
            if format == "json" {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "outcome": outcome,
                        "message": msg,
                    }))?
                );
                return Ok(());
            }
            println!("{}", msg.headline());
            println!("understood as: {}", msg.explain);
            if let Some(m) = &msg.measure {
                println!("{} = {} (condition: {})", m.label, m.value, m.condition);
            }
            if let Some(s) = &outcome.skipped {
                println!("{s}: it would not fire now");
            }
            for (what, items) in [("would enter", &msg.entered), ("would leave", &msg.left)] {
                if items.is_empty() {
                    continue;
                }
                println!("{what}: {}", items.len());
                let mut t = Table::new(["id", "name", "reasons"]);
                for i in items.iter().take(50) {
                    t.row([
                        i.id.clone(),
                        i.name.clone().unwrap_or_default(),
                        i.reasons.join(" · "),
                    ]);
                }
                t.print();
            }
            if msg.entered.is_empty() && msg.left.is_empty() && msg.measure.is_none() {
                println!("no one would enter or leave: its answer is as it last saw it");
            }
            Ok(())
        }
        WatchCommand::Run { store, all, url } => {
            let paths = opts.store(&store.data);
            let store = Store::open(&paths)?;
            let settings = opts.watch_settings(&url);
            let mut outcomes = kesou_watch::evaluate_all(&store, &settings)?;
            outcomes.extend(kesou_watch::run_scheduled(&store, &settings, all)?);
            print_outcomes(&outcomes);
            deliver(&store, &settings)
        }
        WatchCommand::Deliver {
            store,
            release_held,
        } => {
            let store = Store::open(&opts.store(&store.data))?;
            if release_held {
                let n = kesou_watch::release_held(&store.reader()?.conn)?;
                println!("{n} held deliveries released");
            }
            deliver(&store, &opts.watch_settings("http://127.0.0.1:8080"))
        }
        WatchCommand::Outbox { store, limit } => {
            let store = Store::open(&opts.store(&store.data))?;
            let items = kesou_watch::outbox::items(&store.reader()?.conn, limit)?;
            let mut t = Table::new(["key", "firing", "target", "state", "attempts", "last error"]);
            for i in items {
                t.row([
                    i.key,
                    i.firing.map(|f| f.to_string()).unwrap_or_default(),
                    i.target,
                    i.state,
                    i.attempts.to_string(),
                    i.last_error.unwrap_or_default(),
                ]);
            }
            t.print();
            Ok(())
        }
        WatchCommand::Target(t) => target(t, opts),
    }
}

fn add(a: AddArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&a.store.data);
    let store = Store::open(&paths)?;
    let users = kesou_access::Users::load(&a.store.data)?;
    let owner = match (&a.as_user, users.all().is_empty()) {
        (Some(u), _) => u.clone(),
        (None, true) => Principal::local().name,
        (None, false) => {
            return Err(kesou_watch::Error::BadInput(
                "the store has users: say whose watch this is with --as USER (their regions and \
                 field rules apply)"
                    .into(),
            )
            .into());
        }
    };
    let conditions: Vec<Condition> = [
        a.below.map(|value| Condition::Below { value }),
        a.above.map(|value| Condition::Above { value }),
        a.drop.map(|pct| Condition::Drop { pct }),
        a.rise.map(|pct| Condition::Rise { pct }),
    ]
    .into_iter()
    .flatten()
    .collect();
    if conditions.len() > 1 {
        return Err(kesou_watch::Error::BadInput(
            "give one condition: --below, --above, --drop or --rise".into(),
        )
        .into());
    }
    let query = match &a.query {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| kesou_watch::Error::BadInput(format!("{}: {e}", path.display())))?;
            Some(serde_json::from_str(&text).map_err(|e| {
                kesou_watch::Error::BadInput(format!(
                    "{}: not a structured query (an answer's `interpretation`): {e}",
                    path.display()
                ))
            })?)
        }
        None => None,
    };
    let new = NewWatch {
        name: a.name.unwrap_or_default(),
        question: a.question.unwrap_or_default(),
        query,
        fire_on: a.fire_on.parse::<FireOn>()?,
        targets: a.targets,
        every: a.every.as_deref().map(str::parse::<Every>).transpose()?,
        condition: conditions.into_iter().next(),
        board: a.board,
        filters: a.filters,
        period: a.period,
    };
    let info = kesou_watch::add(&store, &owner, new)?;
    let w = &info.watch;
    if let Some(board) = &w.board {
        println!(
            "report {} saved: 「{}」 ({board}) for {}, {}; the first is sent at the next `kesou watch run` or server tick",
            w.id,
            w.name,
            w.owner,
            w.every.map_or("", Every::name),
        );
    } else if let Some(v) = w.last_value {
        println!(
            "watch {} saved: 「{}」, {} {}; now {}",
            w.id,
            w.name,
            w.every.map_or("", Every::name),
            w.condition.map(|c| c.describe()).unwrap_or_default(),
            v
        );
    } else {
        println!(
            "watch {} saved: 「{}」 for {}; {} customers in its answer now; it fires when customers {} it",
            w.id,
            w.name,
            w.owner,
            info.members,
            match w.fire_on {
                FireOn::Enter => "enter",
                FireOn::Leave => "leave",
                FireOn::Both => "enter or leave",
            }
        );
    }
    if w.targets.is_empty() {
        println!("no delivery target: firings are recorded (kesou watch list) but sent nowhere");
    }
    Ok(())
}

fn target(t: TargetCommand, opts: &super::options::Options) -> anyhow::Result<()> {
    match t {
        TargetCommand::Add {
            store,
            name,
            kind,
            url,
            secret,
            format,
            allow_demo,
        } => {
            let store = Store::open(&opts.store(&store.data))?;
            let target = Target {
                name,
                kind: kind.parse::<TargetKind>()?,
                url,
                secret,
                format: format.parse()?,
                allow_demo,
                created_by: String::new(),
            };
            let t = kesou_watch::add_target(&store.reader()?.conn, &Principal::local(), target)?;
            println!(
                "target {} ({}) → {}",
                t.name,
                t.kind.name(),
                kesou_watch::mask_url(&t.url)
            );
            if t.kind == TargetKind::Wecom {
                println!(
                    "note: a 企业微信 robot has no signature: whoever has its URL can post to the group; keep it secret"
                );
            }
            Ok(())
        }
        TargetCommand::List { store } => {
            let store = Store::open(&opts.store(&store.data))?;
            let mut t = Table::new(["name", "kind", "url", "format", "signed", "demo data"]);
            for x in kesou_watch::list_targets(&store.reader()?.conn)? {
                t.row([
                    x.name.clone(),
                    x.kind.name().to_owned(),
                    kesou_watch::mask_url(&x.url),
                    format!("{:?}", x.format).to_lowercase(),
                    if x.secret.is_some() { "yes" } else { "no" }.to_owned(),
                    if x.allow_demo { "sent" } else { "held" }.to_owned(),
                ]);
            }
            t.print();
            Ok(())
        }
        TargetCommand::Remove { store, name } => {
            let store = Store::open(&opts.store(&store.data))?;
            kesou_watch::remove_target(&store.reader()?.conn, &Principal::local(), &name)?;
            println!("target {name} removed");
            Ok(())
        }
    }
}

fn print_outcomes(outcomes: &[kesou_watch::Outcome]) {
    for o in outcomes {
        if let Some(s) = &o.skipped {
            println!("watch {} 「{}」: {s}", o.watch, o.name);
        } else if o.firing.is_some() {
            println!(
                "watch {} 「{}」 fired: {} entered, {} left; {} deliveries queued",
                o.watch,
                o.name,
                o.entered.len(),
                o.left.len(),
                o.queued
            );
        }
    }
}

fn deliver(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    let r = kesou_watch::deliver_due(&store.reader()?.conn, &store.paths().root, settings)?;
    if r.sent + r.failed + r.expired > 0 {
        println!(
            "deliveries: {} sent, {} failed (retried later), {} expired",
            r.sent, r.failed, r.expired
        );
    }
    Ok(())
}

/// After a write from the command line: the watches are asked from the change, and what
/// fired is sent once (`deliver` false: only queued, for `kesou watch deliver` or a
/// server to send).
pub fn after_write(
    paths: &StorePaths,
    deliver_now: bool,
    opts: &super::options::Options,
) -> anyhow::Result<()> {
    let store = Store::open(paths)?;
    let settings = opts.watch_settings("http://127.0.0.1:8080");
    let outcomes = kesou_watch::evaluate_all(&store, &settings)?;
    print_outcomes(&outcomes);
    if deliver_now {
        deliver(&store, &settings)?;
    }
    Ok(())
}
