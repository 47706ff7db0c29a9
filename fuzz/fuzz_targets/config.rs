//! `.seal-guard.yaml` text: loading and validating it, using what loaded, and
//! rendering what did not. Fails on any panic, on an error whose label points
//! outside the text (miette cannot render it), and on a rendered error a
//! terminal would act on.

#![cfg_attr(fuzzing, no_main)]

use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme};
use seal_guard::config::Config;
use seal_guard_fuzz::assert_terminal_safe;

seal_guard_fuzz::target!(|data| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text, Path::new("repo/.seal-guard.yaml")) {
        Ok(config) => {
            for path in ["a.yaml", "clusters/x/s.yaml", "e2e/testdata/s.json"] {
                let _ = config.selects(path);
                let _ = config.override_for(path);
            }
        }
        Err(error) => {
            let mut rendered = String::new();
            GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
                .with_width(80)
                .render_report(&mut rendered, &error)
                .expect("the error renders");
            assert_terminal_safe("config error", rendered.as_bytes());
        }
    }
});
