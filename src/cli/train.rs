//! `kesou train churn`: learns churn risk from a store's own history, saves the model in the
//! store and scores every customer buying now.

use kesou_indexer::StorePaths;
use kesou_models::churn::{self, Band, ChurnModel, ScoreReport, TrainOptions, TrainReport};

use super::StoreArg;
use super::output::{Table, count};
use super::progress::Bars;

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(subcommand)]
    pub what: TrainWhat,
}

#[derive(Debug, clap::Subcommand)]
pub enum TrainWhat {
    /// Learn who is likely to stop buying (流失风险), then score every customer buying now
    ///
    /// The store's own history is the teacher: the customers who were buying 180 days before
    /// as_of (an order in the 180 days up to then) are described by what was known then
    /// (how recently, how often and how much they ordered and whether that was shrinking,
    /// complaints, repairs and other contacts, industry, size, tags), and the model learns
    /// which of them ordered nothing since (流失). A logistic regression and a small neural
    /// network are both trained; the better one on validation customers is kept, and both
    /// are compared with simply ranking by days since the last order, on customers held out.
    ///
    /// The model is saved in STORE/models/ and every customer buying now gets churn_risk
    /// (the chance of no order in the next 180 days: 高 ≥ 0.7, 中 0.4–0.7, 低 < 0.4) with the
    /// reasons in words (已152天未下单 · 近90天投诉3次 · 采购额同比下降40%). Later
    /// `kesou ingest` runs score the new data with the saved model.
    ///
    /// Examples:
    ///   kesou train churn --data kesou-data
    ///   kesou ask --data kesou-data 流失风险高的忠诚客户
    ///   kesou churn --data kesou-data
    #[command(verbatim_doc_comment)]
    Churn(ChurnArgs),
    /// Learn who is likely to order in the next 90 days (购买意向, 商机), then score every customer
    ///
    /// The store's own history is the teacher: every customer known 90 days before as_of (an
    /// order or an interaction by then, prospects included) is described by what was known
    /// then, and the model learns which of them ordered since. As for churn, a logistic
    /// regression and a small neural network are trained and the better one kept; both are
    /// compared with ranking by recency and frequency on customers held out.
    ///
    /// The model is saved in STORE/models/ and every known customer gets purchase_propensity
    /// (the chance of an order in the next 90 days) with the reasons in Chinese and English
    /// (临近下次采购 · 近90天咨询4次 · 采购额同比增长30%). Later `kesou ingest` runs score new data.
    ///
    /// Examples:
    ///   kesou train opportunity --data kesou-data
    ///   kesou ask --data kesou-data 最可能下单的20家华东客户
    #[command(verbatim_doc_comment)]
    Opportunity(ChurnArgs),
}

#[derive(Debug, clap::Args)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Random seed: the same seed and store give the same model.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

pub fn run(args: TrainArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let args = match args.what {
        TrainWhat::Churn(args) => args,
        TrainWhat::Opportunity(args) => return super::train_opportunity::run(args, opts),
    };
    let paths = opts.store(&args.store.data);
    let (model, scores) = train_and_score(&paths, args.seed)?;
    if args.format == "json" {
        return print_json("score", &model.info.report, &scores);
    }
    print_train(&model.info.report);
    println!("model saved in {}", churn::model_dir(&paths).display());
    print_score(&scores);
    Ok(())
}

/// Trains on the store, saves the model and scores the store with it.
pub fn train_and_score(paths: &StorePaths, seed: u64) -> anyhow::Result<(ChurnModel, ScoreReport)> {
    let model = train_on(paths, |conn, as_of| {
        churn::train(conn, as_of, &TrainOptions { seed })
    })?;
    model.save(paths)?;
    let scores = churn::score_with(paths, &model, &Bars::default())?;
    Ok((model, scores))
}

/// Trains with `train` on the store's history up to its as_of.
pub fn train_on<M>(
    paths: &StorePaths,
    train: impl FnOnce(&duckdb::Connection, chrono::NaiveDate) -> kesou_models::Result<M>,
) -> anyhow::Result<M> {
    let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read)?;
    let (as_of, _) = kesou_indexer::store::as_of(&conn)?;
    Ok(train(&conn, as_of)?)
}

/// The training report with what followed it (`score` or `forward`), as JSON.
pub fn print_json(
    then: &str,
    train: &impl serde::Serialize,
    after: &impl serde::Serialize,
) -> anyhow::Result<()> {
    let out = serde_json::json!({ "train": train, then: after });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// Whether the later world of a forward test knew the scored day as the first did.
pub fn same_world(mismatches: usize) -> String {
    if mismatches == 0 {
        "yes (features at the scored day identical in both stores)".to_owned()
    } else {
        format!("NO: {mismatches} customers differ")
    }
}

pub fn print_train(r: &TrainReport) {
    println!(
        "trained on {} customers buying on {} (cut-off = as_of {} − 180 days): {} ({:.1}%) ordered nothing since",
        count(r.customers.buying_at_cutoff as u64),
        r.cutoff,
        r.as_of,
        count(r.customers.churned as u64),
        100.0 * r.churn_rate
    );
    println!(
        "split by customer: {} training, {} validation, {} held out · {} features · {:.1} s (features {:.1} s)",
        count(r.customers.train as u64),
        count(r.customers.validation as u64),
        count(r.customers.test as u64),
        r.features,
        r.seconds,
        r.feature_seconds
    );
    print_candidates(&r.candidates, r.chosen);
    let h = &r.held_out;
    println!("held-out customers ({}):", count(r.customers.test as u64));
    let mut t = Table::new(["ranking", "AUC", "precision@10%"]);
    t.row([
        format!("{} (calibrated)", r.chosen),
        format!("{:.3}", h.model.auc),
        format!("{:.3}", h.model.precision_at_10),
    ]);
    t.row([
        "baseline: days since last order".into(),
        format!("{:.3}", h.baseline.auc),
        format!("{:.3}", h.baseline.precision_at_10),
    ]);
    t.print();
    print_bands(&h.bands);
    if let Some(note) = &r.note {
        println!("note: {note}");
    }
}

/// The candidate models on validation, the kept one marked.
pub fn print_candidates(candidates: &[churn::Candidate], chosen: churn::Kind) {
    let mut t = Table::new([
        "model",
        "validation AUC",
        "precision@10%",
        "epochs",
        "seconds",
    ]);
    for c in candidates {
        t.row([
            format!(
                "{}{}",
                c.kind,
                if c.kind == chosen { " (kept)" } else { "" }
            ),
            format!("{:.3}", c.validation.auc),
            format!("{:.3}", c.validation.precision_at_10),
            format!("{} (best {})", c.epochs, c.best_epoch),
            format!("{:.1}", c.seconds),
        ]);
    }
    t.print();
}

/// The glossary's bands with the share of customers and, when known, the churn rate.
pub fn print_bands(bands: &[Band]) {
    let with_rate = bands.iter().any(|b| b.churn_rate.is_some());
    let mut header = vec![
        "流失风险".to_owned(),
        "customers".into(),
        "share".into(),
        "mean risk".into(),
    ];
    if with_rate {
        header.push("churned".into());
    }
    let mut t = Table::with_header(header);
    for b in bands {
        let mut row = vec![
            format!(
                "{} ({})",
                b.band,
                match b.band.as_str() {
                    "高" => "≥ 0.7",
                    "中" => "0.4–0.7",
                    _ => "< 0.4",
                }
            ),
            count(b.customers as u64),
            format!("{:.1}%", 100.0 * b.share),
            b.mean_risk.map_or("-".into(), |m| format!("{m:.2}")),
        ];
        if with_rate {
            row.push(
                b.churn_rate
                    .map_or("-".into(), |c| format!("{:.1}%", 100.0 * c)),
            );
        }
        t.row_vec(row);
    }
    t.print();
}

pub fn print_score(s: &ScoreReport) {
    println!(
        "scored {} customers buying on {} with the {} ({:.0} customers/s: features {:.1} s, model and reasons {:.1} s, write {:.1} s) · generation {} · {} changed, {} cleared · index {:.1} s",
        count(s.scored as u64),
        s.as_of,
        s.kind,
        s.scored as f64 / (s.feature_seconds + s.model_seconds).max(1e-9),
        s.feature_seconds,
        s.model_seconds,
        s.write_seconds,
        s.generation,
        count(s.changed as u64),
        count(s.cleared as u64),
        s.index_seconds
    );
    print_bands(&s.bands);
}
