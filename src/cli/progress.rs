//! Progress bars on standard error, one per running phase (indicatif hides them when
//! standard error is not a terminal).

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressState, ProgressStyle};
use kesou_indexer::Phase;

#[derive(Debug, Default)]
pub struct Bars {
    multi: MultiProgress,
}

struct Bar(ProgressBar);

impl Phase for Bar {
    fn advance(&self, rows: u64) {
        self.0.inc(rows);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Rows a second as a whole number with separators (12,345 rows/s), not indicatif's
/// `{per_sec}` with four decimals.
fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(
        w,
        "{} rows/s",
        super::output::count(state.per_sec().max(0.0) as u64)
    );
}

impl kesou_indexer::Progress for Bars {
    fn phase(&self, what: &str, total: Option<u64>) -> Box<dyn Phase + '_> {
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg:>24} [{bar:30}] {human_pos}/{human_len} ({rate}, eta {eta})",
                )
                .expect("valid template")
                .with_key("rate", rate)
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({rate})")
                    .expect("valid template")
                    .with_key("rate", rate),
            ),
        };
        let bar = self.multi.add(bar);
        bar.set_message(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(150));
        Box::new(Bar(bar))
    }
}
