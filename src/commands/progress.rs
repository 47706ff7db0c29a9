//! A progress line on stderr for runs that last more than a moment.
//!
//! Shown only when stderr is a terminal and logging is not quieted, never in a
//! pipe or a CI log, and never on stdout, where JSON and SARIF go.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a run goes before it shows progress.
const DELAY: Duration = Duration::from_millis(700);

pub struct Progress {
    what: &'static str,
    total: usize,
    done: AtomicUsize,
    started: Instant,
    enabled: bool,
    last: Mutex<Option<Instant>>,
}

impl Progress {
    pub fn new(what: &'static str, total: usize, quiet: bool) -> Self {
        Progress {
            what,
            total,
            done: AtomicUsize::new(0),
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    /// Counts one item done; redraws at most ten times a second.
    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled || self.started.elapsed() < DELAY {
            return;
        }
        let Ok(mut last) = self.last.try_lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{} {done}/{}", self.what, self.total);
        let _ = err.flush();
    }

    /// Clears the line if anything was drawn.
    pub fn finish(&self) {
        if self.enabled && self.last.lock().is_ok_and(|l| l.is_some()) {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
