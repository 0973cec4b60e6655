//! Progress bars on standard error, one per running phase (indicatif hides them when
//! standard error is not a terminal).

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
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

impl kesou_indexer::Progress for Bars {
    fn phase(&self, what: &str, total: Option<u64>) -> Box<dyn Phase + '_> {
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg:>24} [{bar:30}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({per_sec})")
                    .expect("valid template"),
            ),
        };
        let bar = self.multi.add(bar);
        bar.set_message(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(150));
        Box::new(Bar(bar))
    }
}
