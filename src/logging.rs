//! A small stderr logger for `-v`/`-q`.
//!
//! Log lines name files, rules and counts; nothing logged may carry a value read
//! from a manifest.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Stderr;

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = match record.level() {
                Level::Error => "error",
                Level::Warn => "warning",
                Level::Info => "info",
                Level::Debug => "debug",
                Level::Trace => "trace",
            };
            let message = crate::report::escape_for_terminal(&record.args().to_string());
            eprintln!("seal-guard: {level}: {message}");
        }
    }

    fn flush(&self) {}
}

/// Installs the logger: warnings by default, errors only with `quiet`, and one
/// more level per `-v`.
pub fn init(verbose: u8, quiet: bool) {
    let level = if quiet {
        LevelFilter::Error
    } else {
        match verbose {
            0 => LevelFilter::Warn,
            1 => LevelFilter::Info,
            2 => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        }
    };
    // A second init (in tests) keeps the first logger, which is fine.
    let _ = log::set_logger(&Stderr);
    log::set_max_level(level);
}
