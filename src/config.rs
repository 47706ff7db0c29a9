//! `.seal-guard.yaml`: what a repository tells the tool about itself.
//!
//! The file is read with serde-saphyr's serde front end: unknown keys are errors
//! (a misspelt key would otherwise silently do nothing), and every value keeps its
//! position so that a bad glob or scope points at its line and column.
//!
//! ```yaml
//! cert: certs/prod.pem            # sealing certificate (kubeseal --fetch-cert)
//! scope: strict                   # default scope for fix: strict | namespace-wide | cluster-wide
//! namespace: apps                 # default namespace for Secrets that name none
//! include: ["clusters/**"]        # only these paths (default: every YAML/JSON file)
//! exclude: ["**/testdata/**"]     # never these paths
//! max_file_size: 5MiB             # larger files are skipped with a notice
//! private_keys: [backup/keys.yaml]  # controller keys, to prove SealedSecrets decrypt
//! allow:                          # deliberate plaintext, with the reason recorded
//!   - { path: "e2e/**", kind: Secret, name: dummy, reason: "public test credentials" }
//! overrides:                      # per-path settings; the first match wins
//!   - { paths: ["clusters/staging/**"], cert: certs/staging.pem, namespace: staging }
//! ```
//!
//! Paths in the file are relative to the folder that holds it. Globs match paths
//! relative to that folder, `/`-separated; a glob without a `/` matches a file name
//! at any depth (as in .gitignore).

#![expect(
    clippy::result_large_err,
    reason = "a config error happens once per run and carries the config text for its snippet"
)]

use std::io::Read;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::report::{escape_for_terminal, mask_control_chars};

pub const FILE_NAME: &str = ".seal-guard.yaml";

/// The default largest file judged, in bytes. Manifests are kilobytes; a file of
/// megabytes named `.yaml` is data, and reading it on every commit costs time.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// The largest config file read, in bytes. A config is a few hundred bytes; the
/// cap keeps a misnamed data file from being read whole.
pub const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

/// The scopes a SealedSecret can be sealed for.
pub const SCOPES: [&str; 3] = ["strict", "namespace-wide", "cluster-wide"];

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    cert: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    /// Text, not a number or an untagged enum of both: serde's message for a
    /// value that fits neither variant names the Rust type and not the key.
    max_file_size: Option<Spanned<String>>,
    #[serde(default)]
    private_keys: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
    #[serde(default)]
    overrides: Vec<Spanned<RawOverride>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    path: Option<Spanned<String>>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    paths: Vec<Spanned<String>>,
    cert: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
}

/// A loaded, validated configuration.
#[derive(Debug, Default)]
pub struct Config {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub scope: Option<String>,
    pub namespace: Option<String>,
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    pub max_file_size: u64,
    pub private_keys: Vec<PathBuf>,
    pub allow: Vec<Allow>,
    pub overrides: Vec<Override>,
}

/// A deliberately plaintext object. It names the object, never a line, so it
/// survives edits of the file.
#[derive(Debug)]
pub struct Allow {
    pub path: Option<GlobMatcher>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// Rule ids this allowance covers; empty means every rule.
    pub rules: Vec<String>,
    pub reason: String,
}

/// Settings for the paths one entry of `overrides` matches.
#[derive(Debug)]
pub struct Override {
    pub paths: GlobSet,
    pub cert: Option<PathBuf>,
    pub scope: Option<String>,
    pub namespace: Option<String>,
}

/// A configuration that cannot be used, with where the problem is.
#[derive(Debug, Diagnostic, thiserror::Error)]
#[error("{message}")]
#[diagnostic(code(seal_guard::config))]
pub struct ConfigError {
    message: String,
    #[source_code]
    source_code: Option<NamedSource<String>>,
    #[label("here")]
    at: Option<SourceSpan>,
    #[help]
    help: Option<String>,
}

impl ConfigError {
    fn io(path: &Path, error: &std::io::Error) -> Self {
        ConfigError::unreadable(path, &error.to_string())
    }

    fn unreadable(path: &Path, why: &str) -> Self {
        ConfigError {
            message: escape_for_terminal(&format!("cannot read {}: {why}", path.display())),
            source_code: None,
            at: None,
            help: None,
        }
    }
}

impl Config {
    /// Defaults, for a repository without a config file.
    pub fn empty() -> Self {
        Config {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            ..Config::default()
        }
    }

    /// Reads and validates the config file at `path`.
    ///
    /// Only a regular file is opened: opening a FIFO blocks until something
    /// writes to it, and a device such as `/dev/zero` never ends.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let meta = std::fs::metadata(path).map_err(|e| ConfigError::io(path, &e))?;
        if meta.is_dir() {
            return Err(ConfigError::unreadable(path, "a folder, not a file"));
        }
        if !meta.is_file() {
            return Err(ConfigError::unreadable(
                path,
                "not a regular file (a FIFO, socket or device), so it was not opened",
            ));
        }
        let too_large = || {
            ConfigError::unreadable(
                path,
                &format!("larger than {MAX_CONFIG_SIZE} bytes; is it really a config?"),
            )
        };
        if meta.len() > MAX_CONFIG_SIZE {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_CONFIG_SIZE + 1).read_to_end(&mut bytes))
            .map_err(|e| ConfigError::io(path, &e))?;
        if bytes.len() as u64 > MAX_CONFIG_SIZE {
            return Err(too_large());
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes());
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            located_error(
                path,
                &text,
                format!(
                    "{}: not valid UTF-8 at line {line}, column {column}",
                    path.display()
                ),
                Some(at),
                Some("save the file as UTF-8".to_owned()),
            )
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text; `path` names it in messages and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let fail = |message: String, at: Option<usize>, help: Option<String>| {
            located_error(path, text, message, at, help)
        };
        let raw: Raw = if text.trim().is_empty() {
            Raw::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| {
                let at = e.location().and_then(|l| offset_of(text, l));
                fail(
                    format!("{}: {}", path.display(), syntax_message(&e)),
                    at,
                    Some(format!(
                        "the README's `{FILE_NAME}` section lists the keys and the values they take"
                    )),
                )
            })?
        };
        let at = |s: &Spanned<String>| offset_of(text, s.referenced);
        let glob = |s: &Spanned<String>| -> Result<Glob, ConfigError> {
            compile_glob(&s.value)
                .map_err(|e| fail(format!("bad glob {:?}: {e}", s.value), at(s), None))
        };
        let set = |globs: &[Spanned<String>]| -> Result<Option<GlobSet>, ConfigError> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut builder = GlobSetBuilder::new();
            for g in globs {
                builder.add(glob(g)?);
            }
            builder
                .build()
                .map(Some)
                .map_err(|e| fail(e.to_string(), None, None))
        };
        let scope = |s: &Option<Spanned<String>>| -> Result<Option<String>, ConfigError> {
            match s {
                None => Ok(None),
                Some(s) if SCOPES.contains(&s.value.as_str()) => Ok(Some(s.value.clone())),
                Some(s) => Err(fail(
                    format!("unknown scope {:?}", s.value),
                    at(s),
                    Some(format!("use one of: {}", SCOPES.join(", "))),
                )),
            }
        };
        let non_empty =
            |s: &Option<Spanned<String>>, what: &str| -> Result<Option<String>, ConfigError> {
                match s {
                    Some(s) if s.value.trim().is_empty() => {
                        Err(fail(format!("`{what}` is empty"), at(s), None))
                    }
                    other => Ok(other.as_ref().map(|s| s.value.clone())),
                }
            };

        let mut allow = Vec::new();
        for entry in &raw.allow {
            let entry_at = offset_of(text, entry.referenced);
            let entry = &entry.value;
            let reason = entry.reason.as_deref().map(str::trim).unwrap_or_default();
            if reason.is_empty() {
                return Err(fail(
                    "an allowance needs a `reason`".to_owned(),
                    entry_at,
                    Some("say why this plaintext is deliberate, e.g. `reason: public test credentials`".to_owned()),
                ));
            }
            for rule in &entry.rules {
                if crate::rules::Rule::from_id(&rule.value).is_none() {
                    return Err(fail(
                        format!("unknown rule {:?}", rule.value),
                        at(rule),
                        Some("`seal-guard rules` lists the rule ids".to_owned()),
                    ));
                }
            }
            allow.push(Allow {
                path: entry
                    .path
                    .as_ref()
                    .map(|p| glob(p).map(|g| g.compile_matcher()))
                    .transpose()?,
                kind: entry.kind.clone(),
                namespace: entry.namespace.clone(),
                name: entry.name.clone(),
                rules: entry.rules.iter().map(|r| r.value.clone()).collect(),
                reason: reason.to_owned(),
            });
        }

        let mut overrides = Vec::new();
        for entry in &raw.overrides {
            let entry_at = offset_of(text, entry.referenced);
            let entry = &entry.value;
            let Some(paths) = set(&entry.paths)? else {
                return Err(fail(
                    "an override needs at least one glob in `paths`".to_owned(),
                    entry_at,
                    None,
                ));
            };
            overrides.push(Override {
                paths,
                cert: non_empty(&entry.cert, "cert")?.map(|c| base.join(c)),
                scope: scope(&entry.scope)?,
                namespace: non_empty(&entry.namespace, "namespace")?,
            });
        }

        let max_file_size = match &raw.max_file_size {
            None => DEFAULT_MAX_FILE_SIZE,
            Some(size) => parse_size(&size.value).ok_or_else(|| {
                fail(
                    "`max_file_size` must be a number of bytes or a size such as 5MiB".to_owned(),
                    offset_of(text, size.referenced),
                    None,
                )
            })?,
        };

        Ok(Config {
            source: Some(path.to_path_buf()),
            cert: non_empty(&raw.cert, "cert")?.map(|c| base.join(c)),
            scope: scope(&raw.scope)?,
            namespace: non_empty(&raw.namespace, "namespace")?,
            include: set(&raw.include)?,
            exclude: set(&raw.exclude)?,
            max_file_size,
            private_keys: raw
                .private_keys
                .iter()
                .map(|p| base.join(&p.value))
                .collect(),
            allow,
            overrides,
        })
    }

    /// Whether a path (relative, `/`-separated) is to be judged at all.
    pub fn selects(&self, path: &str) -> bool {
        self.include.as_ref().is_none_or(|set| set.is_match(path))
            && !self.exclude.as_ref().is_some_and(|set| set.is_match(path))
    }

    /// The first override whose globs match `path`.
    pub fn override_for(&self, path: &str) -> Option<&Override> {
        self.overrides.iter().find(|o| o.paths.is_match(path))
    }
}

/// An error about the config text, pointing at byte `at` of it when known.
///
/// The message, the file name and the snippet are escaped for the terminal:
/// the config comes with the repository, and a double-quoted YAML key or value
/// can hold any character (`"\e[2J"`, a bidi override) that the parser's error
/// messages then quote.
fn located_error(
    path: &Path,
    text: &str,
    message: String,
    at: Option<usize>,
    help: Option<String>,
) -> ConfigError {
    ConfigError {
        message: escape_for_terminal(&message),
        source_code: Some(NamedSource::new(
            escape_for_terminal(&path.display().to_string()),
            mask_control_chars(text),
        )),
        at: at.map(|o| SourceSpan::from(o..line_end(text, o))),
        help,
    }
}

/// Compiles a glob: `*` stops at `/`, `**` crosses it, and a glob without `/`
/// matches a file name at any depth.
pub fn compile_glob(pattern: &str) -> Result<Glob, globset::Error> {
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    let pattern = if pattern.contains('/') {
        pattern.trim_start_matches('/').to_owned()
    } else {
        format!("**/{pattern}")
    };
    GlobBuilder::new(&pattern).literal_separator(true).build()
}

fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1 << 10,
        "MiB" | "M" | "MB" => 1 << 20,
        "GiB" | "G" | "GB" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// What serde-saphyr says is wrong, in words for a user of seal-guard.
fn syntax_message(error: &serde_saphyr::Error) -> String {
    match error.without_snippet() {
        // The library's own words advise changing its parser options, which a
        // user of seal-guard cannot do.
        serde_saphyr::Error::DuplicateMappingKey { key, location } => format!(
            "{} is set twice in the same mapping at line {}, column {}",
            key.as_deref()
                .map_or_else(|| "a key".to_owned(), |k| format!("`{k}`")),
            location.line(),
            location.column()
        ),
        other => first_line(&other.to_string()).to_owned(),
    }
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message)
}

fn offset_of(text: &str, location: serde_saphyr::Location) -> Option<usize> {
    if let Some(offset) = location.span().byte_offset() {
        return usize::try_from(offset).ok();
    }
    let line = usize::try_from(location.line()).ok()?.checked_sub(1)?;
    let column = usize::try_from(location.column()).ok()?.saturating_sub(1);
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let within = text
        .get(start..)?
        .char_indices()
        .nth(column)
        .map_or(0, |(i, _)| i);
    Some(start + within)
}

fn line_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[offset..]
        .find(['\r', '\n'])
        .map_or(text.len(), |i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("repo/.seal-guard.yaml"))
    }

    fn error_line(text: &str) -> (String, usize) {
        let err = parse(text).unwrap_err();
        let at = err.at.expect("a location").offset();
        (
            err.message,
            text[..at].lines().count().max(1) + usize::from(text[..at].ends_with('\n')),
        )
    }

    #[test]
    fn full_config_loads_and_resolves_paths_beside_the_file() {
        let config = parse(
            "cert: certs/a.pem\nscope: namespace-wide\nnamespace: apps\ninclude: [\"clusters/**\"]\n\
             exclude: [\"*.tmpl.yaml\"]\nmax_file_size: 1MiB\nprivate_keys: [keys.yaml]\n\
             allow:\n  - {path: \"e2e/**\", name: dummy, reason: public}\n\
             overrides:\n  - {paths: [\"clusters/b/**\"], cert: b.pem, scope: cluster-wide}\n",
        )
        .unwrap();
        assert_eq!(config.cert.as_deref(), Some(Path::new("repo/certs/a.pem")));
        assert_eq!(config.scope.as_deref(), Some("namespace-wide"));
        assert_eq!(config.max_file_size, 1 << 20);
        assert!(config.selects("clusters/a/x.yaml"));
        assert!(!config.selects("apps/x.yaml"));
        assert!(!config.selects("clusters/a/x.tmpl.yaml"));
        assert_eq!(
            config
                .override_for("clusters/b/s.yaml")
                .unwrap()
                .cert
                .as_deref(),
            Some(Path::new("repo/b.pem"))
        );
        assert!(config.override_for("clusters/a/s.yaml").is_none());
        assert_eq!(config.allow[0].reason, "public");
        assert_eq!(config.private_keys, [PathBuf::from("repo/keys.yaml")]);
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        let (message, line) = error_line("cert: a.pem\nexclde: [x]\n");
        assert!(message.contains("exclde"), "{message}");
        assert_eq!(line, 2);
        // `seal-guard --help` lists flags, not config keys: the help must not
        // send anyone there.
        let help = parse("exclde: [x]\n").unwrap_err().help.unwrap_or_default();
        assert!(
            help.contains("README") && !help.contains("--help"),
            "{help}"
        );
    }

    #[test]
    fn bad_glob_scope_and_size_point_at_their_lines() {
        assert_eq!(error_line("exclude:\n  - \"a/[b\"\n").1, 2);
        let (message, line) = error_line("cert: a\nscope: everywhere\n");
        assert!(message.contains("everywhere"));
        assert_eq!(line, 2);
        assert_eq!(error_line("\nmax_file_size: lots\n").1, 2);
        for bad in ["-1", "1.5MiB", "0x10", "99999999999GiB"] {
            let (message, line) = error_line(&format!("cert: a\nmax_file_size: {bad}\n"));
            assert!(
                message.starts_with("`max_file_size` must be"),
                "{bad}: {message}"
            );
            assert_eq!(line, 2, "{bad}");
        }
        assert_eq!(parse("max_file_size: 2048\n").unwrap().max_file_size, 2048);
        assert_eq!(parse("max_file_size: 2 KiB\n").unwrap().max_file_size, 2048);
    }

    #[test]
    fn allowance_needs_a_reason_and_known_rules() {
        assert!(
            parse("allow:\n  - {name: x}\n")
                .unwrap_err()
                .message
                .contains("reason")
        );
        assert!(
            parse("allow:\n  - {name: x, reason: r, rules: [nope]}\n")
                .unwrap_err()
                .message
                .contains("nope")
        );
    }

    #[test]
    fn glob_without_slash_matches_at_any_depth() {
        let m = compile_glob("*.secret.yaml").unwrap().compile_matcher();
        assert!(m.is_match("a/b/c.secret.yaml"));
        assert!(m.is_match("c.secret.yaml"));
        let m = compile_glob("a/*.yaml").unwrap().compile_matcher();
        assert!(!m.is_match("a/b/c.yaml"));
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let err = Config::load(dir.path()).unwrap_err();
        assert!(
            err.message.ends_with(": a folder, not a file"),
            "{}",
            err.message
        );
        let big = dir.path().join("big.yaml");
        let line = "# padding\n".repeat(1000);
        std::fs::write(&big, line.repeat(MAX_CONFIG_SIZE as usize / line.len() + 1)).unwrap();
        let err = Config::load(&big).unwrap_err();
        assert!(err.message.contains("larger than"), "{}", err.message);
        #[cfg(unix)]
        {
            let err = Config::load(Path::new("/dev/zero")).unwrap_err();
            assert!(
                err.message.contains("not a regular file"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn invalid_utf8_names_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"cert: a.pem\nscope: st\xFFrict\n").unwrap();
        let err = Config::load(&path).unwrap_err();
        assert!(
            err.message
                .ends_with("not valid UTF-8 at line 2, column 10"),
            "{}",
            err.message
        );
        assert_eq!(err.at.map(|at| at.offset()), Some(21));
    }

    #[test]
    fn repository_text_in_errors_is_escaped_for_the_terminal() {
        // The escapes are YAML's: the parsed key and value hold a real ESC and
        // a real right-to-left override.
        let text = "\"\\e[2Jx\\u202E\": 1\n";
        let err = parse(text).unwrap_err();
        assert!(
            err.message.contains("\\u{1b}[2Jx\\u{202e}"),
            "{}",
            err.message
        );
        let text = "scope: \"\\u202Eall\" # \u{202E} is allowed in a comment\n";
        let err = parse(text).unwrap_err();
        assert!(err.message.contains("\\u{202e}all"), "{}", err.message);
        let shown = err.source_code.as_ref().unwrap().inner();
        assert_eq!(shown.len(), text.len());
        assert!(!shown.contains('\u{202E}'), "{shown:?}");
        // A raw ESC is a syntax error, whose snippet shows the line.
        let text = "scope: x\u{1b}[2J\n";
        let err = parse(text).unwrap_err();
        assert!(!err.source_code.unwrap().inner().contains('\u{1b}'));
        let err =
            Config::parse("bogus: 1\n", Path::new("a\u{1b}[2J/.seal-guard.yaml")).unwrap_err();
        assert!(!err.message.contains('\u{1b}'), "{}", err.message);
        assert!(!err.source_code.unwrap().name().contains('\u{1b}'));
    }

    #[test]
    fn a_key_set_twice_is_named_with_its_line() {
        let (message, line) = error_line("scope: strict\ncert: a.pem\nscope: strict\n");
        assert!(
            message.ends_with("`scope` is set twice in the same mapping at line 3, column 1"),
            "{message}"
        );
        assert!(!message.contains("DuplicateKeyPolicy"), "{message}");
        assert_eq!(line, 3);
        let (message, line) = error_line("allow:\n  - {name: a, reason: r, name: b}\n");
        assert!(message.contains("`name` is set twice"), "{message}");
        assert_eq!(line, 2);
    }

    #[test]
    fn empty_file_is_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.max_file_size, DEFAULT_MAX_FILE_SIZE);
        assert!(config.selects("anything.yaml"));
    }
}
