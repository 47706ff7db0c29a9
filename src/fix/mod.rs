//! `fix`: sealing plaintext Secrets in place.
//!
//! A file is planned first, as data: which objects are replaced by which text.
//! The plan is applied to a copy of the bytes, the copy is checked (it parses,
//! and no plaintext Secret that was planned for sealing is left), and only then
//! written, atomically. If any Secret of a file cannot be sealed, the file keeps
//! every byte it had. Only the bytes of the replaced objects change: other
//! documents, comments, markers, the byte order mark and line ends stay as they
//! were.

pub mod build;
pub mod emit;
pub mod kustomize;
pub mod reseal;
pub mod write;

use std::ops::Range;

use zeroize::Zeroize;

use crate::config::Config;
use crate::engine;
use crate::finding::Finding;
use crate::manifest::object::Object;
use crate::manifest::text::LineIndex;
use crate::manifest::{self, Format, ManifestFile};
use crate::rules::plaintext_secret::{self, display_name, object_ref};
use crate::rules::{Context, Rule};
use crate::seal::cert::SealingKey;
use crate::seal::scope::Scope;
use build::{Defaults, Order};
use emit::Shape;

/// One Secret that was (or, in a dry run, would be) sealed.
#[derive(Clone, Debug)]
pub struct Sealed {
    pub line: u32,
    /// 1-based index of the document in the file.
    pub document: usize,
    pub name: String,
    pub namespace: Option<String>,
    pub scope: Scope,
    pub items: usize,
}

/// What fixing one file comes to.
#[derive(Debug, Default)]
pub struct Plan {
    /// The file's new bytes; `None` when nothing changes.
    pub new_bytes: Option<Vec<u8>>,
    pub sealed: Vec<Sealed>,
    /// Why Secrets could not be sealed (the file is then left as it was).
    pub problems: Vec<Finding>,
}

/// What sealing one file needs besides its bytes.
pub struct FileSettings<'a> {
    pub key: &'a SealingKey,
    pub scope: Option<Scope>,
    /// Namespace for Secrets without one, from a kustomization or the config.
    pub namespace: Option<String>,
}

/// Plans the sealing of every plaintext Secret in `bytes`. Secrets that an
/// allowance covers are left alone. `settings` is asked for only when the file
/// holds something to seal.
pub fn plan<'k>(
    path: &str,
    bytes: &[u8],
    config: &Config,
    settings: impl FnOnce() -> Result<FileSettings<'k>, String>,
) -> Plan {
    let mut plan = Plan::default();
    let Some(parsed) = manifest::parse_if_manifest(path, bytes) else {
        return plan;
    };
    let format = parsed.format;
    let text: &str = &parsed.text;
    let lines = LineIndex::new(text);
    let cx = Context::without_facts(path, text, &lines);

    // The parser skips documents that cannot hold a Secret, so a document's
    // number in the file comes from the file's own split, not from that list.
    let chunks = match format {
        Format::Yaml => manifest::split::yaml_chunks(text),
        Format::Json => manifest::split::json_values(text).0,
    };
    let number = |chunk: &Range<usize>| {
        chunks
            .iter()
            .position(|c| c.start == chunk.start)
            .map_or(0, |i| i + 1)
    };
    let targets: Vec<(usize, Object<'_>)> = parsed
        .documents
        .iter()
        .flat_map(|doc| {
            let document = number(&doc.chunk);
            Object::root(&doc.root)
                .with_items()
                .into_iter()
                .map(move |o| (document, o))
        })
        .filter(|(_, o)| {
            o.is_core("Secret") && !plaintext_secret::plaintext_keys(o.node).is_empty()
        })
        .filter(|(_, o)| {
            engine::annotation_allowance(o).is_none()
                && engine::is_allowed(config, path, Rule::PlaintextSecret, Some(&object_ref(o)))
                    .is_none()
        })
        .collect();
    if targets.is_empty() {
        return plan;
    }
    let refuse = |plan: &mut Plan, object: &Object<'_>, why: String| {
        let mut finding = cx.finding(
            Rule::UnsealableSecret,
            object.anchor(),
            format!("Secret {} cannot be sealed: {why}", display_name(object)),
        );
        finding.object = Some(object_ref(object));
        plan.problems.push(finding);
    };
    if parsed.transcoded {
        for (_, object) in &targets {
            refuse(
                &mut plan,
                object,
                "the file is UTF-16; save it as UTF-8 to seal it in place".to_owned(),
            );
        }
        return plan;
    }
    let settings = match settings() {
        Ok(settings) => settings,
        Err(why) => {
            for (_, object) in &targets {
                refuse(&mut plan, object, why.clone());
            }
            return plan;
        }
    };

    let order = if format == Format::Json {
        Order::Json
    } else {
        Order::Yaml
    };
    let defaults = Defaults {
        scope: settings.scope,
        scope_given: false,
        namespace: settings.namespace.clone(),
        name: None,
    };
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for (document, object) in &targets {
        if let Some(anchor) = anchor_used_elsewhere(text, &object.node.span) {
            refuse(
                &mut plan,
                object,
                format!(
                    "its anchor &{anchor} is used outside it; replacing the Secret would break                      that alias (seal it with `seal-guard seal` and move the value by hand)"
                ),
            );
            continue;
        }
        match build::build(object, &defaults, settings.key, order) {
            Ok(built) => {
                let span = object.node.span.clone();
                let shape = shape_of(format, text, span.start);
                let newline = if text[span.clone()].contains("\r\n") || text.contains("\r\n") {
                    "\r\n"
                } else {
                    "\n"
                };
                let indent = indent_of(text, span.start, shape);
                match emit::render(&built.value, shape, indent, newline) {
                    Ok(rendered) => {
                        let (line, _) = lines.position(text, object.anchor());
                        plan.sealed.push(Sealed {
                            line,
                            document: *document,
                            name: built.name,
                            namespace: built.namespace,
                            scope: built.scope,
                            items: built.items,
                        });
                        edits.push((span, rendered));
                    }
                    Err(e) => refuse(
                        &mut plan,
                        object,
                        format!("cannot write the SealedSecret: {e}"),
                    ),
                }
            }
            Err(e) => refuse(&mut plan, object, e.to_string()),
        }
    }
    if !plan.problems.is_empty() {
        plan.sealed.clear();
        return plan;
    }
    let new_bytes = apply(bytes, parsed.bom, &edits);
    match verify(&new_bytes, format, &parsed, plan.sealed.len()) {
        Ok(()) => plan.new_bytes = Some(new_bytes),
        Err(why) => {
            let mut finding = Finding::new(
                Rule::InternalError,
                path,
                plan.sealed.first().map_or(1, |s| s.line),
                1,
                format!("the sealed file did not check out ({why}); the file was left as it was"),
            );
            finding.help = Some("this is a bug in seal-guard; please report it".to_owned());
            plan.sealed.clear();
            plan.problems.push(finding);
        }
    }
    plan
}

/// The file's bytes with each range (offsets into the decoded text, which
/// starts after a byte order mark of `bom` bytes) replaced.
fn apply(bytes: &[u8], bom: usize, edits: &[(Range<usize>, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(Range<usize>, String)> = edits.iter().collect();
    sorted.sort_by_key(|(range, _)| range.start);
    let mut out =
        Vec::with_capacity(bytes.len() + edits.iter().map(|(_, t)| t.len()).sum::<usize>());
    let mut at = 0;
    for (range, text) in sorted {
        out.extend_from_slice(&bytes[at..bom + range.start]);
        out.extend_from_slice(text.as_bytes());
        at = bom + range.end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// Checks a rewritten file before it is written: it must parse as well as the
/// original did, hold no plaintext Secret that was planned for sealing, and
/// hold the SealedSecrets that were written.
fn verify(
    new_bytes: &[u8],
    format: Format,
    old: &ManifestFile<'_>,
    sealed: usize,
) -> Result<(), String> {
    let new = manifest::parse(new_bytes, format).map_err(|e| e.message)?;
    if new.broken.len() > old.broken.len() {
        return Err("it no longer parses".to_owned());
    }
    let mut sealed_found = 0;
    for doc in &new.documents {
        for object in Object::root(&doc.root).with_items() {
            if object.kind() == Some(build::KIND)
                && object.api_version() == Some(build::API_VERSION)
            {
                sealed_found += 1;
            }
        }
    }
    if sealed_found < sealed {
        return Err(format!(
            "{sealed} SealedSecrets written, {sealed_found} found"
        ));
    }
    Ok(())
}

/// The name of an anchor defined inside `span` that an alias outside it uses,
/// if any: replacing the object would leave that alias pointing at nothing. A
/// `&` inside a quoted value can look like an anchor here; the result is then a
/// refusal, which is the safe side.
fn anchor_used_elsewhere(text: &str, span: &Range<usize>) -> Option<String> {
    let inside = &text[span.clone()];
    let bytes = inside.as_bytes();
    let is_name =
        |b: u8| !b.is_ascii_whitespace() && !matches!(b, b',' | b'[' | b']' | b'{' | b'}');
    for (i, _) in inside.match_indices('&') {
        let starts_token = i == 0
            || matches!(
                bytes[i - 1],
                b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':' | b'-'
            );
        let len = bytes[i + 1..].iter().take_while(|&&b| is_name(b)).count();
        if !starts_token || len == 0 {
            continue;
        }
        let name = &inside[i + 1..i + 1 + len];
        let alias = format!("*{name}");
        let outside = [&text[..span.start], &text[span.end..]];
        let used = outside.iter().any(|part| {
            part.match_indices(&alias).any(|(j, _)| {
                part.as_bytes()
                    .get(j + alias.len())
                    .is_none_or(|&b| !is_name(b))
            })
        });
        if used {
            return Some(name.to_owned());
        }
    }
    None
}

fn shape_of(format: Format, text: &str, start: usize) -> Shape {
    match format {
        Format::Json => Shape::Json,
        Format::Yaml if text.as_bytes().get(start) == Some(&b'{') => Shape::YamlFlow,
        Format::Yaml => Shape::YamlBlock,
    }
}

/// Indentation for the replacement's continuation lines: the object's column
/// for block YAML, the indentation of its first line for JSON.
fn indent_of(text: &str, start: usize, shape: Shape) -> usize {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..start];
    match shape {
        Shape::YamlBlock => prefix.chars().count(),
        Shape::Json | Shape::YamlFlow => prefix.len() - prefix.trim_start().len(),
    }
}

/// Zeroes a buffer that held a file's plaintext, once it is no longer needed.
pub fn forget(mut bytes: Vec<u8>) {
    bytes.zeroize();
}
