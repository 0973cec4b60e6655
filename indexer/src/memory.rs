//! The peak resident memory of each phase of an ingest (read, commit, index), so that
//! `kesou bench` can say which phase a peak belongs to and whether it grows with the data.
//!
//! Linux keeps the process's high-water mark (`VmHWM` in `/proc/self/status`); writing `5`
//! to `/proc/self/clear_refs` sets it back to the current resident size. A phase's peak is
//! the mark read at its end, the mark having been reset at its start. Elsewhere (no
//! `/proc`), nothing is recorded and the ingest goes on the same.

use std::time::Instant;

/// One phase of an ingest and the most memory the process held during it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhasePeak {
    pub phase: &'static str,
    /// Peak resident set size during the phase, in bytes.
    pub peak_bytes: u64,
    pub seconds: f64,
}

/// Peak resident set size of this process so far (or since the last reset), in bytes.
pub fn peak_rss() -> Option<u64> {
    status_kib("VmHWM:").map(|k| k * 1024)
}

/// Resident set size of this process now, in bytes.
pub fn current_rss() -> Option<u64> {
    status_kib("VmRSS:").map(|k| k * 1024)
}

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Sets the high-water mark back to the current resident size; `false` when the system
/// does not allow it (the marks read later then cover earlier phases too).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Records the peak of one phase after another.
#[derive(Debug)]
pub(crate) struct PhaseMeter {
    phases: Vec<PhasePeak>,
    started: Instant,
}

impl PhaseMeter {
    pub(crate) fn start() -> Self {
        reset_peak();
        PhaseMeter {
            phases: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Ends the running phase as `phase` and starts the next.
    pub(crate) fn lap(&mut self, phase: &'static str) {
        if let Some(peak_bytes) = peak_rss() {
            let seconds = self.started.elapsed().as_secs_f64();
            tracing::info!(
                phase,
                peak_mib = peak_bytes / (1024 * 1024),
                seconds,
                "ingest phase done"
            );
            self.phases.push(PhasePeak {
                phase,
                peak_bytes,
                seconds,
            });
        }
        reset_peak();
        self.started = Instant::now();
    }

    pub(crate) fn finish(self) -> Vec<PhasePeak> {
        self.phases
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_that_holds_more_memory_peaks_higher_and_the_next_starts_afresh() {
        let Some(before) = current_rss() else {
            return; // no /proc: nothing is measured, nothing to check
        };
        let mut meter = PhaseMeter::start();
        // 256 MiB touched page by page, then freed before the lap.
        let mut held = vec![0u8; 256 << 20];
        for i in (0..held.len()).step_by(4096) {
            held[i] = 1;
        }
        std::hint::black_box(&held);
        drop(held);
        meter.lap("busy");
        meter.lap("after");
        let phases = meter.finish();
        assert_eq!(phases.len(), 2);
        assert_eq!(phases[0].phase, "busy");
        assert!(phases[0].peak_bytes >= before + (200 << 20), "{phases:?}");
        assert!(phases[1].peak_bytes < phases[0].peak_bytes, "{phases:?}");
    }
}
