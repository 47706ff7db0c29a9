//! Hostile input: what a repository, or its config, can hold that must never
//! make seal-guard hang, crash, lose a file or print a secret.
//!
//! Every case runs the real binary on a tree built in a temporary folder, under
//! a time limit ([`hostile_support::TIME_LIMIT`]), and states the exit code and
//! the findings it expects. Every Secret in these trees holds the same canary
//! value, and every run asserts that no output shows it.

mod hostile_support;

use hostile_support::{CANARY_BASE64, Outcome, Rng, Tree, check_json, run, secret};

// ---------------------------------------------------------------------------
// Parser bombs and deep nesting
// ---------------------------------------------------------------------------

/// A "billion laughs" Secret: ten values, then nine levels that each repeat the
/// level below ten times, 10^10 scalars if expanded.
fn billion_laughs() -> String {
    let mut text = String::from("apiVersion: v1\nkind: Secret\nmetadata:\n  name: lol\ndata:\n");
    text.push_str(&format!("  a0: &a0 [{}]\n", ["\"lol\""; 10].join(",")));
    for level in 1..=9 {
        let below = vec![format!("*a{}", level - 1); 10].join(", ");
        text.push_str(&format!("  a{level}: &a{level} [{below}]\n"));
    }
    text
}

/// One parse-error finding, as (path, line, column, message).
#[track_caller]
fn one_parse_error(out: &Outcome) -> (String, u64, u64, String) {
    let errors = out.of_rule("parse-error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().expect("one")
}

#[cfg(unix)]
#[test]
fn alias_bomb_is_a_parse_error_in_bounded_time_and_memory() {
    let tree = Tree::new();
    tree.file("bomb.yaml", billion_laughs());
    tree.file("plain.yaml", secret("db"));
    let out = hostile_support::check_json_within(&tree, 1024);
    out.assert_code(1);
    assert_eq!(
        one_parse_error(&out),
        (
            "bomb.yaml".to_owned(),
            11,
            42,
            "not valid YAML: the document expands to more than 1000000 nodes, counting the \
             copies its anchors and aliases make"
                .to_owned()
        )
    );
    // The bomb costs its own file, not the run.
    assert_eq!(out.of_rule("plaintext-secret").len(), 1);
}

/// Regression: anchored copies were not counted, so nesting anchored
/// collections took gigabytes without a single alias.
#[cfg(unix)]
#[test]
fn nested_anchors_without_aliases_are_bounded() {
    let mut text = String::from("apiVersion: v1\nkind: Secret\ndata:\n  k: ");
    for level in 0..200 {
        text.push_str(&format!("&a{level} ["));
    }
    text.push_str(&vec!["x"; 20_000].join(","));
    text.push_str(&"]".repeat(200));
    text.push('\n');
    let tree = Tree::new();
    tree.file("anchors.yaml", text);
    let out = hostile_support::check_json_within(&tree, 1024);
    out.assert_code(1);
    let (path, line, _, message) = one_parse_error(&out);
    assert_eq!((path.as_str(), line), ("anchors.yaml", 4));
    assert!(message.contains("counting the copies"), "{message}");
}

/// Regression: the node cap was per document only, so a file of many small
/// bombs, each stopped at that cap after a million nodes, took hours.
#[cfg(unix)]
#[test]
fn a_file_of_many_alias_bombs_is_bounded() {
    let mut doc = String::from("---\nkind: Secret\na0: &a0 [l,l,l,l,l,l,l,l,l,l]\n");
    for level in 1..=6 {
        let below = vec![format!("*a{}", level - 1); 10].join(",");
        doc.push_str(&format!("a{level}: &a{level} [{below}]\n"));
    }
    let tree = Tree::new();
    // 2,000 documents that each expand past the per-document cap.
    tree.file("bombs.yaml", doc.repeat(2000));
    let out = hostile_support::check_json_within(&tree, 1024);
    out.assert_code(1);
    let errors = out.of_rule("parse-error");
    let (last, first) = (errors.last().expect("errors"), &errors[0]);
    assert_eq!(first.1, 8);
    assert!(first.3.contains("the document expands"), "{}", first.3);
    assert!(
        last.3.contains("the rest of the file was not read"),
        "{}",
        last.3
    );
    // The file's budget is its size plus four million nodes: at most five
    // documents reach the per-document cap, then the rest is one finding.
    assert!(errors.len() <= 6, "{} findings", errors.len());
}

#[test]
fn nesting_100000_levels_deep_is_a_parse_error_not_a_stack_overflow() {
    let n = 100_000;
    let tree = Tree::new();
    let cases: [(&str, String, u64, u64, &str); 6] = [
        (
            "flow-seq.yaml",
            format!("kind: Secret\ndata: {}{}\n", "[".repeat(n), "]".repeat(n)),
            2,
            262,
            "not valid YAML: recursion limit exceeded",
        ),
        (
            "flow-map.yaml",
            format!(
                "kind: Secret\ndata: {}b{}\n",
                "{a: ".repeat(n),
                "}".repeat(n)
            ),
            2,
            1027,
            "not valid YAML: recursion limit exceeded",
        ),
        (
            // Block style: compact nested sequences, one level per two bytes.
            "block-seq.yaml",
            format!("# Secret\n{}x\n", "- ".repeat(n)),
            2,
            511,
            "not valid YAML: recursion limit exceeded",
        ),
        (
            "block-keys.yaml",
            format!("# Secret\n{}x\n", "? ".repeat(n)),
            2,
            511,
            "not valid YAML: recursion limit exceeded",
        ),
        (
            // Block style by indentation: 2,000 levels is 2 MB, under the size
            // limit; 100,000 would be 5 GB.
            "indented.yaml",
            format!(
                "kind: Secret\ndata:\n{}",
                (1..=2000)
                    .map(|i| format!("{}a:\n", " ".repeat(i)))
                    .collect::<String>()
            ),
            257,
            256,
            "not valid YAML: recursion limit exceeded",
        ),
        (
            "deep.json",
            format!(
                "{{\"kind\": \"Secret\", \"data\": {}{}}}\n",
                "[".repeat(n),
                "]".repeat(n)
            ),
            1,
            282,
            "not valid JSON: recursion limit exceeded",
        ),
    ];
    for (name, text, ..) in &cases {
        tree.file(name, text);
    }
    let out = check_json(&tree);
    out.assert_code(1);
    let mut got = out.of_rule("parse-error");
    got.sort();
    let mut want: Vec<_> = cases
        .iter()
        .map(|(name, _, line, column, message)| {
            ((*name).to_owned(), *line, *column, (*message).to_owned())
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------
// Size limit
// ---------------------------------------------------------------------------

#[test]
fn a_file_over_max_file_size_is_skipped_with_a_warning() {
    let tree = Tree::new();
    tree.file(".seal-guard.yaml", "max_file_size: 1KiB\n");
    let mut big = secret("big");
    while big.len() < 2000 {
        big.push_str("# padding to go over the limit\n");
    }
    let size = big.len();
    tree.file("big.yaml", &big);
    let out = check_json(&tree);
    out.assert_code(0);
    assert_eq!(
        out.of_rule("file-skipped"),
        [(
            "big.yaml".to_owned(),
            1,
            1,
            format!(
                "not checked: {size} bytes, over the 1024-byte limit (max_file_size in \
                 .seal-guard.yaml)"
            )
        )]
    );
    let severity = &out.findings()[0]["severity"];
    assert_eq!(severity, "warning");

    // A file of exactly the limit is judged.
    let mut fits = secret("fits");
    fits.push_str(&"#".repeat(1023 - fits.len()));
    fits.push('\n');
    assert_eq!(fits.len(), 1024);
    tree.file("fits.yaml", fits);
    let out = check_json(&tree);
    out.assert_code(1);
    assert_eq!(out.of_rule("plaintext-secret")[0].0, "fits.yaml");
    assert_eq!(out.of_rule("file-skipped").len(), 1);
}

// ---------------------------------------------------------------------------
// Bytes that are not YAML
// ---------------------------------------------------------------------------

#[test]
fn invalid_utf8_nul_and_odd_encodings_get_a_located_finding() {
    let tree = Tree::new();
    tree.file(
        "latin1.yaml",
        b"apiVersion: v1\nkind: Secret\ndata:\n  a: \xff\xfe\n",
    );
    tree.file(
        "nul.yaml",
        b"apiVersion: v1\nkind: Secret\ndata:\n  a: b\0c\n",
    );
    tree.file("bad.json", b"{\"kind\": \"Secret\", \"a\": \"\xc3\"}");
    tree.file("bom.yaml", b"\xef\xbb\xbfkind: Secret\n\xff");
    // UTF-16 with an odd byte count and with a lone surrogate: decoded with
    // replacement characters, and nothing in them is a Secret.
    tree.file("odd16.yaml", b"\xff\xfek\x00i\x00");
    tree.file("surrogate16.yaml", b"\xfe\xff\xd8\x00\x00k");
    let out = check_json(&tree);
    out.assert_code(1);
    let mut got = out.of_rule("parse-error");
    got.sort();
    let utf8 = "the file is not valid UTF-8".to_owned();
    assert_eq!(
        got,
        [
            ("bad.json".to_owned(), 1, 26, utf8.clone()),
            ("bom.yaml".to_owned(), 2, 1, utf8.clone()),
            ("latin1.yaml".to_owned(), 4, 6, utf8),
            (
                "nul.yaml".to_owned(),
                4,
                7,
                "not valid YAML: unexpected character: `\\u{0}'".to_owned()
            ),
        ]
    );
    assert_eq!(out.findings().len(), 4);
}

#[test]
fn random_bytes_named_yaml_never_crash_the_run() {
    let tree = Tree::new();
    let mut rng = Rng::new(0x5EA1_6A4D);
    // YAML's syntax characters, so that random text reaches deep into the
    // parser instead of failing at the first byte.
    let alphabet: &[u8] = b"  \n\n\t-:?,[]{}&*!|>'\"#%@`\\ak0.=~";
    for i in 0..60 {
        let len = rng.below(3000);
        let mut bytes = match i % 4 {
            0 => rng.bytes(len),
            1 => [b"kind: Secret\n".as_slice(), &rng.bytes(len)].concat(),
            2 => (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect(),
            _ => {
                let mut text: Vec<u8> = (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect();
                text.extend_from_slice(b"\0\x01\x1b\r");
                text
            }
        };
        // Every file mentions Secret somewhere, so none is passed over unread.
        let at = rng.below(bytes.len() + 1);
        bytes.splice(at..at, b"Secret".iter().copied());
        let ext = if i % 5 == 0 { "json" } else { "yaml" };
        tree.file(format!("r{i:02}.{ext}"), bytes);
    }
    let out = check_json(&tree);
    assert!(
        matches!(out.code, Some(0 | 1)),
        "exit {:?}: {}",
        out.code,
        out.stderr
    );
    out.assert_sound();
    let findings = out.findings();
    for f in &findings {
        assert_eq!(f["rule"], "parse-error", "{f}");
        assert!(
            f["line"].as_u64() >= Some(1) && f["column"].as_u64() >= Some(1),
            "{f}"
        );
    }
    // The binary files (two in four) cannot be UTF-8; each gets its finding.
    let binary = (0..60).filter(|i| i % 4 < 2).count();
    assert!(findings.len() >= binary, "{} of {binary}", findings.len());
}

// ---------------------------------------------------------------------------
// Files that are not regular files
// ---------------------------------------------------------------------------

#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn fifos_and_sockets_are_never_opened() {
    let tree = Tree::new();
    mkfifo(&tree.join("x.yaml"));
    mkfifo(&tree.join("pipe.json"));
    std::fs::create_dir(tree.join("sub")).expect("sub");
    mkfifo(&tree.join("sub/y.yml"));
    let _socket = std::os::unix::net::UnixListener::bind(tree.join("socket.yaml")).expect("bind");
    let skipped = "not checked: not a regular file; it was not opened";

    let out = check_json(&tree);
    out.assert_code(0);
    let mut got = out.of_rule("file-skipped");
    got.sort();
    let want: Vec<_> = ["pipe.json", "socket.yaml", "sub/y.yml", "x.yaml"]
        .iter()
        .map(|p| ((*p).to_owned(), 1, 1, skipped.to_owned()))
        .collect();
    assert_eq!(got, want);

    // Named on the command line, as a pre-commit hook names staged files.
    let out = run(
        tree.path(),
        &["check", "--format", "json", "x.yaml", "socket.yaml"],
    );
    out.assert_code(0);
    assert_eq!(out.of_rule("file-skipped").len(), 2, "{}", out.stdout);
    assert!(out.of_rule("file-skipped").iter().all(|f| f.3 == skipped));
}

// ---------------------------------------------------------------------------
// Symbolic links
// ---------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_the_root_are_not_followed() {
    use std::os::unix::fs::symlink;
    let outside = Tree::new();
    outside.file("secret.yaml", secret("outside"));
    let tree = Tree::new();
    tree.file(
        "inside.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
    );
    symlink("loop.yaml", tree.join("loop.yaml")).expect("link");
    symlink("b.yaml", tree.join("a.yaml")).expect("link");
    symlink("a.yaml", tree.join("b.yaml")).expect("link");
    std::fs::create_dir(tree.join("sub")).expect("sub");
    symlink("..", tree.join("sub/up")).expect("link");
    symlink(".", tree.join("sub/self.yaml")).expect("link");
    symlink(outside.join("secret.yaml"), tree.join("out.yaml")).expect("link");
    symlink(outside.path(), tree.join("outdir")).expect("link");

    let out = check_json(&tree);
    out.assert_code(0);
    let mut got = out.of_rule("file-skipped");
    got.sort();
    let link = "not checked: a symbolic link; links are not followed";
    let want: Vec<_> = ["a.yaml", "b.yaml", "loop.yaml", "out.yaml", "sub/self.yaml"]
        .iter()
        .map(|p| ((*p).to_owned(), 1, 1, link.to_owned()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(out.findings().len(), want.len(), "{}", out.stdout);

    // A loop named on the command line cannot be opened: an I/O error on a
    // root, exit 2, naming the file.
    let out = run(tree.path(), &["check", "loop.yaml"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("cannot open loop.yaml"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// What a run reports on a tree with an unreadable file and folder, when
/// permission bits stop it: both skipped, with the reason.
#[cfg(unix)]
#[track_caller]
fn assert_unreadable_are_skipped(out: &Outcome, folder: &str) {
    out.assert_code(0);
    let mut got = out.of_rule("file-skipped");
    got.sort();
    let denied = "not checked: cannot read it: Permission denied (os error 13)";
    assert_eq!(
        got,
        [
            ("locked.yaml".to_owned(), 1, 1, denied.to_owned()),
            (folder.to_owned(), 1, 1, denied.to_owned()),
        ]
    );
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_reported_not_dropped() {
    let tree = Tree::new();
    tree.file("locked.yaml", secret("locked"));
    tree.file("private/inner.yaml", secret("inner"));
    set_mode(&tree.join("locked.yaml"), 0o000);
    set_mode(&tree.join("private"), 0o000);
    // Root (CI containers) reads through permission bits: detect it by trying.
    let privileged = std::fs::read(tree.join("locked.yaml")).is_ok();

    let out = check_json(&tree);
    if privileged {
        // Everything is read and judged, as any readable file is.
        out.assert_code(1);
        let mut got: Vec<String> = out
            .of_rule("plaintext-secret")
            .into_iter()
            .map(|f| f.0)
            .collect();
        got.sort();
        assert_eq!(got, ["locked.yaml", "private/inner.yaml"]);
        assert!(out.of_rule("file-skipped").is_empty(), "{}", out.stdout);
        // And as an unprivileged user, which is what a developer runs as.
        if let Some(out) = run_unprivileged(&tree) {
            assert_unreadable_are_skipped(&out, "private");
        }
    } else {
        assert_unreadable_are_skipped(&out, "private");
    }
    // Let the temporary folder be removed.
    set_mode(&tree.join("private"), 0o755);
}

/// Runs `check --format json` on `tree` as user and group 65534 (nobody), when
/// running as root and `setpriv` exists; `None` otherwise. The binary is copied
/// beside the tree, so that nobody can run it wherever the checkout lives.
#[cfg(unix)]
fn run_unprivileged(tree: &Tree) -> Option<Outcome> {
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let bin = Tree::new();
    let copy = bin.join("seal-guard");
    std::fs::copy(hostile_support::binary(), &copy).expect("copy the binary");
    set_mode(bin.path(), 0o755);
    set_mode(&copy, 0o755);
    set_mode(tree.path(), 0o755);
    let mut command = std::process::Command::new(setpriv);
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&copy)
        .args(["check", "--format", "json"]);
    Some(hostile_support::run_command(tree.path(), command))
}

// ---------------------------------------------------------------------------
// File names
// ---------------------------------------------------------------------------

/// Regression: names that differ only in bytes that are not UTF-8 got one path,
/// and one file's snippet was drawn under the other's finding.
#[cfg(target_os = "linux")]
#[test]
fn names_that_are_not_utf8_are_shown_escaped_and_kept_apart() {
    use std::os::unix::ffi::OsStrExt;
    let name = |bytes: &[u8]| std::ffi::OsStr::from_bytes(bytes).to_owned();
    let tree = Tree::new();
    tree.file(name(b"n\xffame.yaml"), secret("first"));
    tree.file(
        name(b"n\xfeame.yaml"),
        format!("{}{}", "# comment\n".repeat(8), secret("second")),
    );
    let out = check_json(&tree);
    out.assert_code(1);
    let mut got: Vec<_> = out
        .of_rule("plaintext-secret")
        .into_iter()
        .map(|f| (f.0, f.1))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("n\\xFEame.yaml".to_owned(), 10),
            ("n\\xFFame.yaml".to_owned(), 2)
        ]
    );
    let out = run(tree.path(), &["check"]);
    out.assert_code(1);
    assert!(
        out.stdout.contains("[n\\xFFame.yaml:2:1]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("[n\\xFEame.yaml:10:1]"),
        "{}",
        out.stdout
    );
}

// ---------------------------------------------------------------------------
// Terminal safety
// ---------------------------------------------------------------------------

/// Characters that must never reach a terminal as they are: controls (other
/// than line feed and tab), bidirectional overrides and isolates, zero-width
/// characters and the byte order mark.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[track_caller]
fn assert_terminal_safe(what: &str, text: &str) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| is_unsafe(c)) {
        let line = text[..i].lines().count();
        panic!("{what} shows {c:?} as it is, on line {line}");
    }
}

#[cfg(unix)]
#[test]
fn control_bidi_and_zero_width_characters_come_out_escaped() {
    let tree = Tree::new();
    // A name with an escape sequence and a right-to-left override.
    tree.file("e\u{1b}[2Jvil\u{202E}.yaml", secret("name"));
    // Keys spelled with YAML escapes (ESC, zero-width space, RLO), and raw
    // bidi and zero-width characters in comments that a snippet shows.
    tree.file(
        "keys.yaml",
        format!(
            "apiVersion: v1\n# \u{202E}reversed\u{200B}\nkind: Secret\ndata:\n  \
             \"pass\\e[31m\\u200Bword\\u202E\": {CANARY_BASE64}\n"
        ),
    );
    // A raw ESC, which the parser rejects and quotes.
    tree.file("broken.yaml", "kind: Secret\ndata: {a: \u{1b}[2J}\n");
    mkfifo(&tree.join("\u{7}bell.yaml"));

    let human = run(tree.path(), &["check", "-v"]);
    human.assert_code(1);
    let github = run(tree.path(), &["check", "--format", "github"]);
    github.assert_code(1);
    for (what, out) in [("human", &human), ("github", &github)] {
        assert_terminal_safe(&format!("{what} stdout"), &out.stdout);
        assert_terminal_safe(&format!("{what} stderr"), &out.stderr);
        assert!(
            out.stdout.contains("e\\u{1b}[2Jvil\\u{202e}.yaml"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("\\u{7}bell.yaml"), "{}", out.stdout);
        assert!(
            out.stdout
                .contains("data.pass\\u{1b}[31m\\u{200b}word\\u{202e}"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("unexpected character: `\\u{1b}'"),
            "{}",
            out.stdout
        );
    }
    // -v logs each skipped file, escaped like the report.
    assert!(
        human.stderr.contains("skipped \\u{7}bell.yaml"),
        "{}",
        human.stderr
    );

    // JSON is for programs: its escapes keep C0 controls out of the text.
    let json = check_json(&tree);
    json.assert_code(1);
    assert!(
        !json
            .stdout
            .contains(|c: char| c.is_ascii_control() && c != '\n')
    );
    let paths: Vec<_> = json.findings().iter().map(|f| f["path"].clone()).collect();
    assert!(
        paths.contains(&"e\u{1b}[2Jvil\u{202E}.yaml".into()),
        "{paths:?}"
    );
}

// ---------------------------------------------------------------------------
// A hostile .seal-guard.yaml
// ---------------------------------------------------------------------------

/// Runs `check` on a tree holding only `config` as .seal-guard.yaml and a
/// harmless manifest; the run must fail with exit 2, the message and the
/// config's line and column.
#[track_caller]
fn assert_config_error(config: &[u8], line: u32, column: u32, message: &str) {
    let tree = Tree::new();
    tree.file(".seal-guard.yaml", config);
    tree.file("ok.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    let out = run(tree.path(), &["check"]);
    out.assert_code(2);
    assert_terminal_safe("stderr", &out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // The message may wrap at the terminal width: compare words.
    let words = |text: &str| {
        text.split_whitespace()
            .filter(|w| !matches!(*w, "│" | "×"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        words(&out.stderr).contains(&words(message)),
        "want {message:?} in:\n{}",
        out.stderr
    );
    let place = format!(".seal-guard.yaml:{line}:{column}]");
    assert!(
        out.stderr.contains(&place),
        "want {place} in:\n{}",
        out.stderr
    );
}

macro_rules! config_errors {
    ($($name:ident: $config:expr => $line:expr, $column:expr, $message:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_config_error($config.as_ref(), $line, $column, $message);
            }
        )*
    };
}

config_errors! {
    config_cert_not_a_string: "cert: [a.pem]\n"
        => 1, 7, "expected string scalar at line 1, column 7";
    config_cert_empty: "cert: \"\"\n" => 1, 7, "`cert` is empty";
    config_scope_unknown: "scope: everywhere\n" => 1, 8, "unknown scope \"everywhere\"";
    config_scope_not_a_string: "scope: {a: 1}\n"
        => 1, 8, "expected string scalar at line 1, column 8";
    config_namespace_not_a_string: "namespace: {a: 1}\n"
        => 1, 12, "expected string scalar at line 1, column 12";
    config_namespace_blank: "namespace: \"  \"\n" => 1, 12, "`namespace` is empty";
    config_include_not_a_list: "include: \"a/**\"\n"
        => 1, 10, "expected sequence start at line 1, column 10";
    config_include_bad_glob: "include: [\"a/[b\"]\n"
        => 1, 11, "bad glob \"a/[b\": error parsing glob 'a/[b': unclosed character class";
    config_exclude_nested_list: "exclude: [[x]]\n"
        => 1, 11, "expected string scalar at line 1, column 11";
    config_exclude_bad_glob: "exclude: [\"{a,\"]\n"
        => 1, 11, "unclosed alternate group";
    config_max_file_size_negative: "max_file_size: -1\n"
        => 1, 16, "`max_file_size` must be a number of bytes or a size such as 5MiB";
    config_max_file_size_unit: "max_file_size: 5XB\n"
        => 1, 16, "`max_file_size` must be a number of bytes or a size such as 5MiB";
    config_max_file_size_overflow: "max_file_size: 99999999999999999999GiB\n"
        => 1, 16, "`max_file_size` must be a number of bytes or a size such as 5MiB";
    config_private_keys_not_a_list: "private_keys: keys.yaml\n"
        => 1, 15, "expected sequence start at line 1, column 15";
    config_private_keys_not_strings: "private_keys: [{a: 1}]\n"
        => 1, 16, "expected string scalar at line 1, column 16";
    config_allow_without_reason: "allow:\n  - name: x\n"
        => 2, 5, "an allowance needs a `reason`";
    config_allow_blank_reason: "allow:\n  - {name: x, reason: \"  \"}\n"
        => 2, 5, "an allowance needs a `reason`";
    config_allow_unknown_rule: "allow:\n  - {name: x, reason: r, rules: [nope]}\n"
        => 2, 34, "unknown rule \"nope\"";
    config_allow_unknown_field: "allow:\n  - {name: x, reason: r, colour: red}\n"
        => 2, 26, "unknown field `colour`";
    config_allow_bad_path: "allow:\n  - {path: \"[\", reason: r}\n"
        => 2, 12, "bad glob \"[\"";
    config_allow_not_a_list: "allow: everything\n"
        => 1, 8, "expected sequence start at line 1, column 8";
    config_overrides_without_paths: "overrides:\n  - {cert: a.pem}\n"
        => 2, 6, "missing field `paths` at line 2, column 6";
    config_overrides_empty_paths: "overrides:\n  - {paths: [], cert: a.pem}\n"
        => 2, 5, "an override needs at least one glob in `paths`";
    config_overrides_bad_scope: "overrides:\n  - {paths: [\"a/**\"], scope: all}\n"
        => 2, 30, "unknown scope \"all\"";
    config_overrides_empty_cert: "overrides:\n  - {paths: [\"a/**\"], cert: \"\"}\n"
        => 2, 29, "`cert` is empty";
    config_unknown_key: "exclude: [x]\nbogus: 1\n" => 2, 1, "unknown field `bogus`";
    config_key_set_twice: "scope: strict\nscope: strict\n"
        => 2, 1, "`scope` is set twice in the same mapping at line 2, column 1";
    config_not_utf8: b"cert: a.pem\nscope: st\xffrict\n"
        => 2, 10, "not valid UTF-8 at line 2, column 10";
    config_raw_control_character: "cert: a.pem\nscope: x\u{1b}[2J\n"
        => 2, 8, "unexpected character: `\\u{1b}'";
    config_unknown_key_with_bidi: "\"ok\\u202Eko\": 1\n"
        => 1, 1, "unknown field `ok\\u{202e}ko`";
    config_deep_nesting: format!("exclude: {}{}\n", "[".repeat(100_000), "]".repeat(100_000))
        => 1, 265, "recursion limit exceeded at line 1, column 265";
}

#[test]
fn config_alias_bomb_fails_fast() {
    let mut config = String::from("exclude:\n  - &a0 [x,x,x,x,x,x,x,x,x,x]\n");
    for level in 1..=9 {
        let below = vec![format!("*a{}", level - 1); 10].join(",");
        config.push_str(&format!("  - &a{level} [{below}]\n"));
    }
    let tree = Tree::new();
    tree.file(".seal-guard.yaml", config);
    let out = run(tree.path(), &["check"]);
    out.assert_code(2);
    assert!(out.stderr.contains(".seal-guard.yaml:2:"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn config_that_is_not_a_regular_file_is_refused_not_opened() {
    let tree = Tree::new();
    tree.file("ok.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    mkfifo(&tree.join("fifo.yaml"));
    std::fs::create_dir(tree.join("folder")).expect("folder");
    for (config, why) in [
        ("fifo.yaml", "not a regular file (a FIFO, socket or device)"),
        ("/dev/zero", "not a regular file (a FIFO, socket or device)"),
        ("folder", "a folder, not a file"),
    ] {
        let out = run(tree.path(), &["--config", config, "check"]);
        out.assert_code(2);
        let want = format!("cannot read {config}: {why}");
        assert!(out.stderr.contains(&want), "{config}: {}", out.stderr);
    }
}

// ---------------------------------------------------------------------------
// The build itself
// ---------------------------------------------------------------------------

/// `unsafe_code = "forbid"` in the package's lints is what keeps every target
/// free of `unsafe` (forbid cannot be allowed again further down); the fuzz
/// crate, a workspace of its own, repeats it.
#[test]
fn unsafe_code_stays_forbidden() {
    for (name, manifest) in [
        ("Cargo.toml", include_str!("../Cargo.toml")),
        ("fuzz/Cargo.toml", include_str!("../fuzz/Cargo.toml")),
    ] {
        let section = manifest
            .split("\n[")
            .find(|s| s.starts_with("lints.rust]"))
            .unwrap_or_else(|| panic!("{name} has no [lints.rust] section"));
        assert!(
            section
                .lines()
                .any(|l| l.replace(' ', "") == "unsafe_code=\"forbid\""),
            "{name}: [lints.rust] must keep unsafe_code = \"forbid\""
        );
    }
}

/// A config whose `cert` or `private_keys` names a FIFO or a device must not
/// hang or exhaust memory: such files are never opened, and the run exits 2.
#[test]
fn certificates_and_keys_that_are_not_regular_files_are_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("cert.pem");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for config in [
        format!("cert: {}\n", fifo.display()),
        "private_keys: [/dev/zero]\n".to_owned(),
    ] {
        std::fs::write(dir.path().join(".seal-guard.yaml"), &config).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_seal-guard"))
            .arg("check")
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > std::time::Duration::from_secs(20) {
                child.kill().unwrap();
                panic!("seal-guard hung on {config:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(2), "{config:?}");
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}
