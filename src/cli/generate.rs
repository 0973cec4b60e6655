use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use kesou_datagen::{ExportStyle, FileFormat, GenerateConfig, GenerateSummary};

/// Writes `customers`, `orders`, `interactions`, `meta` and `truth_segments` files.
///
/// The same seed always gives the same data; a later --as-of gives the same customers
/// with their history extended. --dirty adds what real exports contain: duplicates, bad
/// phone numbers and credit codes, missing fields, same names with different codes, stray
/// spaces and full-width digits.
///
/// --export-style writes the same data the way a CRM or ERP exports it, to try loading
/// real exports: fxiaoke (纷享销客, .xlsx), xiaoshouyi (销售易, .xlsx), kingdee (金蝶, GBK
/// CSV), yonyou (用友, GB18030 CSV) or salesforce (UTF-8 CSV, English headers). Their own
/// header names, titles above the header, 合计 rows, dates and amounts as each writes them,
/// and fields of their own (客户来源, 客户等级, 合同到期日 …).
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// How many customers.
    #[arg(long, default_value_t = 100_000)]
    pub customers: usize,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The day the data ends (YYYY-MM-DD, on or after 2026-01-01).
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2026-06-30")]
    pub as_of: NaiveDate,
    /// Inject the defects of real exports.
    #[arg(long)]
    pub dirty: bool,
    /// File format: csv, jsonl or parquet.
    #[arg(long, default_value = "csv")]
    pub format: FileFormat,
    /// Write the data as this product exports it (--format is then the product's).
    #[arg(long, value_name = "NAME")]
    pub export_style: Option<ExportStyle>,
    /// Folder to write the files into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

impl GenerateArgs {
    pub fn config(&self) -> GenerateConfig {
        let mut c = GenerateConfig::new(self.out.clone());
        c.customers = self.customers;
        c.seed = self.seed;
        c.as_of = self.as_of;
        c.dirty = self.dirty;
        c.format = self.format;
        c
    }
}

pub fn generate_with_bar(config: &GenerateConfig) -> anyhow::Result<GenerateSummary> {
    let bar = ProgressBar::new(config.customers as u64).with_style(
        ProgressStyle::with_template(
            "{msg:>24} [{bar:30}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message("generating customers");
    let summary = kesou_datagen::generate(config, &|done| bar.set_position(done))
        .with_context(|| format!("generating demo data into {}", config.out.display()))?;
    bar.finish_and_clear();
    Ok(summary)
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let config = args.config();
    let s = match args.export_style {
        Some(style) => kesou_datagen::export(&config, style).with_context(|| {
            format!(
                "writing a {} export into {}",
                style.product(),
                config.out.display()
            )
        })?,
        None => generate_with_bar(&config)?,
    };
    println!(
        "generated {} customers, {} orders, {} interactions in {:.1} s ({:.0} rows/s)",
        s.customers,
        s.orders,
        s.interactions,
        s.seconds,
        (s.customers + s.orders + s.interactions) as f64 / s.seconds.max(1e-9)
    );
    for f in &s.files {
        println!("  {}", f.display());
    }
    println!(
        "load them with: kesou ingest --data STORE {}",
        config.out.display()
    );
    Ok(())
}
