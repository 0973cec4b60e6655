use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

use kesou_backup::{BackupOptions, Manifest, Remote, RestoreOptions};
use kesou_indexer::Store;

use super::StoreArg;
use super::output::count;

/// Backs a store up into one file: database, search index, semantic vectors, churn model,
/// users, audit log, tag rules and reports, as of one moment.
///
/// Writes wait only while the snapshot is taken (milliseconds); the export runs while the
/// store keeps answering and taking writes. The file is owner-only (it holds customer data
/// and password hashes), named FILE only once complete, read back and checked; FILE.sha256
/// beside it holds its SHA-256 (`sha256sum -c FILE.sha256` checks it too).
///
/// Not in a backup: the lookalike vectors (kesou restore rebuilds them) and secrets such as
/// embed.key unless --with-secrets (keep keys apart from backups that travel).
///
/// While `kesou serve` holds the store, back it up through the server, as an administrator
/// (the password from KESOU_PASSWORD, else asked):
///
///   kesou backup --data kesou-data --out /backups/kesou-$(date +%Y%m%d-%H%M).kesou-backup
///   kesou backup --server http://127.0.0.1:8080 --user admin --out /backups/kesou.kesou-backup
///
/// Hourly from cron keeps the plans' RPO of one hour:
///
///   0 * * * *  kesou backup --server http://127.0.0.1:8080 --user admin --out /backups/kesou-$(date +\%H).kesou-backup
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct BackupArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The backup file to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// Include secrets (embed.key and other *.key files).
    #[arg(long)]
    pub with_secrets: bool,
    /// Back up through a running `kesou serve` at this address instead of opening the
    /// store: the way while the server holds it. https://HOST from another machine;
    /// http://HOST:PORT on the server's own (the password goes in clear).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The administrator to log in to the server as.
    #[arg(long, value_name = "NAME", requires = "server")]
    pub user: Option<String>,
}

/// Restores a store from a backup file.
///
/// Every file in the backup is checked against its manifest (and the whole file against
/// FILE.sha256 when it is beside it) before anything is put in place; the database is
/// imported, the store and its index are checked to agree, the lookalike vectors rebuilt,
/// and only then is the store moved into STORE. A folder that is not empty is refused
/// unless --force (the old store is kept until the restored one has been checked); a store
/// that a server or an ingest holds open is refused always: stop it first. A store that
/// keeps its contacts encrypted is restored with its key, as every command opens it (the
/// key is never in a backup); without it, or with another, nothing is put in place.
///
///   kesou restore --from /backups/kesou.kesou-backup --data kesou-data
///   kesou restore --from /backups/kesou.kesou-backup --data kesou-data --force
///   kesou restore --from /backups/kesou.kesou-backup --check-only
///   kesou --key-file /secure/kesou.key restore --from /backups/kesou.kesou-backup --data kesou-data
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct RestoreArgs {
    /// The backup file.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
    /// Replace what is in STORE.
    #[arg(long)]
    pub force: bool,
    /// Only check the backup file (every byte against its manifest), restore nothing.
    #[arg(long)]
    pub check_only: bool,
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn password(opts: &super::options::Options) -> anyhow::Result<String> {
    if let Some(p) = opts.password() {
        return Ok(p.to_owned());
    }
    eprint!("password: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn print_excluded(m: &Manifest) {
    for e in &m.excluded {
        println!("  left out: {e}");
    }
}

pub fn backup(args: BackupArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = BackupOptions {
        with_secrets: args.with_secrets,
    };
    if let Some(url) = &args.server {
        let user = args.user.clone().unwrap_or_else(|| "admin".into());
        let remote = Remote {
            url: url.clone(),
            user,
            password: password(opts)?,
            with_secrets: args.with_secrets,
        };
        let w = kesou_backup::download(&remote, &args.out)?;
        println!(
            "backup of the store {url} serves, at generation {} ({} customers) → {}",
            w.manifest.generation,
            count(w.manifest.customers),
            args.out.display()
        );
        println!(
            "  {} · SHA-256 {} ({})",
            megabytes(w.bytes),
            w.sha256,
            kesou_backup::sidecar_path(&args.out).display()
        );
        println!(
            "  took {:.1} s, read back and checked in {:.1} s",
            started.elapsed().as_secs_f64(),
            w.verify_seconds
        );
        print_excluded(&w.manifest);
        return Ok(());
    }
    let paths = opts.store(&args.store.data);
    let store = Store::open(&paths).map_err(|e| {
        if e.to_string().contains("in use by another kesou process") {
            anyhow::Error::from(kesou_indexer::Error::BadInput(format!(
                "{} is held by another kesou process; while `kesou serve` holds it, back it up \
                 through the server: kesou backup --server http://HOST:PORT --user ADMIN --out {}",
                paths.root.display(),
                args.out.display()
            )))
        } else {
            e.into()
        }
    })?;
    let s = kesou_backup::backup_to_file(&store, &args.out, &options)?;
    println!(
        "backup of {} at generation {} ({} customers) → {}",
        paths.root.display(),
        s.manifest.generation,
        count(s.manifest.customers),
        args.out.display()
    );
    println!(
        "  {} in {} files · SHA-256 {} ({})",
        megabytes(s.bytes),
        s.manifest.entries.len(),
        s.sha256,
        kesou_backup::sidecar_path(&args.out).display()
    );
    println!(
        "  writes waited {:.3} s · database export {:.1} s · archive written in {:.1} s · read back and checked in {:.1} s",
        s.held_seconds, s.export_seconds, s.seconds, s.verify_seconds
    );
    print_excluded(&s.manifest);
    Ok(())
}

pub fn restore(args: RestoreArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.check_only {
        let m = kesou_backup::verify(&args.from)?;
        let whole = kesou_backup::read_sidecar(&args.from)?.is_some();
        println!(
            "{}: a whole kesou backup of {} at generation {} ({} customers, taken {}): {} files checked{}",
            args.from.display(),
            m.store,
            m.generation,
            count(m.customers),
            m.created_at,
            m.entries.len(),
            if whole {
                ", and the whole file against its .sha256"
            } else {
                " (no .sha256 beside it)"
            }
        );
        return Ok(());
    }
    let options = RestoreOptions { force: args.force };
    let paths = opts.store(&args.store.data);
    let r = kesou_backup::restore(&args.from, &paths, &options)?;
    let m = &r.manifest;
    println!(
        "restored {} (generation {}, {} customers, taken {} from {}) into {}{}",
        args.from.display(),
        m.generation,
        count(m.customers),
        m.created_at,
        m.store,
        args.store.data.display(),
        if r.replaced {
            " (the store there before is gone)"
        } else {
            ""
        }
    );
    println!(
        "  checked: every file against the manifest{}",
        if r.checked_whole_file {
            ", the whole file against its .sha256"
        } else {
            " (no .sha256 beside the file)"
        }
    );
    let lookalike = Instant::now();
    super::ingest::build_lookalike(&paths)?;
    println!(
        "  read and checked {:.1} s · database import {:.1} s · store and index agree ({} customers, checked in {:.1} s) · lookalike vectors {:.1} s · total {:.1} s",
        r.extract_seconds,
        r.import_seconds,
        count(r.agreement.customers),
        r.check_seconds,
        lookalike.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    if m.excluded.iter().any(|e| e.starts_with("embed.key"))
        && !paths.root.join("embed.key").exists()
    {
        println!(
            "  note: the backup has no embed.key: embed links shared before stop working; put the \
             old key back in {} or share new links (kesou share)",
            paths.root.display()
        );
    }
    Ok(())
}
