//! The `seal-guard` binary: parse the command line, run, map the result to an
//! exit code (0 clean, 1 findings, 2 failure).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A panic message could quote what the tool was reading; say where the bug
    // is, never what the data was.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("seal-guard: internal error{place}; this is a bug in seal-guard");
    }));
    let cli = match seal_guard::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(seal_guard::commands::EXIT_FAILURE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match seal_guard::commands::run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(seal_guard::commands::EXIT_FAILURE)
        }
    }
}
