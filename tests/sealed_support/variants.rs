//! Corrupted variants of the corpus: the SealedSecret files, the object and item
//! in each that a corruption aims at, text surgery that keeps track of where a
//! finding must point, and the list of findings a folder of variants must give.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;

/// A SealedSecret file of the corpus, and the first object and item in it that
/// corruptions aim at.
pub struct Base {
    pub file: String,
    pub text: String,
    pub json: bool,
    pub name: String,
    pub namespace: Option<String>,
    /// The item whose value comes first in the file, and where that value is.
    pub item: Option<Item>,
    pub value_at: Option<usize>,
}

impl Base {
    /// Where the target object's text ends, for searches backwards from its item.
    pub fn end(&self) -> usize {
        self.value_at.unwrap_or(self.text.len())
    }

    pub fn value(&self) -> &str {
        let at = self.value_at.expect("an item");
        let item = self.item.as_ref().unwrap();
        &self.text[at..at + value_in(&self.text, item).len()]
    }

    /// Where the target object's own text starts: its `apiVersion`.
    pub fn region(&self) -> usize {
        self.text[..self.end()]
            .rfind("apiVersion")
            .expect("an apiVersion")
    }

    /// The target object's `kind` key, where object-level findings point.
    pub fn kind_at(&self) -> usize {
        let token = if self.json {
            "\"kind\": \"SealedSecret\""
        } else {
            "kind: SealedSecret\n"
        };
        self.text[..self.end()].rfind(token).expect("a kind")
    }

    /// `key: value` as written in this file's format.
    pub fn pair(&self, key: &str, value: &str) -> String {
        if self.json {
            format!("\"{key}\": \"{value}\"")
        } else {
            format!("{key}: {value}\n")
        }
    }

    /// Occurrences of `key: value` in the target object, in order.
    pub fn occurrences(&self, key: &str, value: &str) -> Vec<usize> {
        let needle = self.pair(key, value);
        let region = self.region();
        let mut out = Vec::new();
        let mut from = region;
        while let Some(found) = self.text[from..].find(&needle) {
            // Stop at the next object of a list.
            if self.text[from..from + found].contains("- apiVersion") {
                break;
            }
            out.push(from + found);
            from += found + needle.len();
        }
        out
    }

    /// The variant's file name: `<base>--<what>.<ext>`.
    pub fn variant(&self, dir: &str, what: &str) -> String {
        let stem = self
            .file
            .trim_start_matches("gen/")
            .trim_start_matches("vectors/")
            .rsplit_once('.')
            .unwrap()
            .0
            .replace('/', "-");
        let ext = if self.json { "json" } else { "yaml" };
        format!("{dir}/{stem}--{what}.{ext}")
    }
}

/// Every SealedSecret file of the corpus, the template-only fixture included.
pub fn bases() -> Vec<Base> {
    let corpus = corpus();
    let mut bases = Vec::new();
    for file in generated().files {
        let path = format!("gen/{}", file.file);
        let object = &file.objects[0];
        bases.push(base(&corpus, &path, &object.name, object.namespace.clone()));
    }
    for path in files_of(&corpus)
        .into_iter()
        .filter(|f| !f.starts_with("gen/"))
    {
        let item = corpus.iter().find(|i| i.file == path).unwrap();
        bases.push(base(&corpus, &path, &item.name, item.namespace.clone()));
    }
    bases
}

pub fn base(corpus: &[Item], file: &str, name: &str, namespace: Option<String>) -> Base {
    let text = corpus_text(file);
    let first = items_of(corpus, file)
        .into_iter()
        .filter(|i| i.name == name)
        .map(|i| (text.find(&value_in(&text, i)).unwrap(), i.clone()))
        .min_by_key(|(at, _)| *at);
    Base {
        file: file.to_owned(),
        json: file.ends_with(".json"),
        name: name.to_owned(),
        namespace,
        value_at: first.as_ref().map(|(at, _)| *at),
        item: first.map(|(_, item)| item),
        text,
    }
}

pub fn base_named<'b>(bases: &'b [Base], file: &str) -> &'b Base {
    bases.iter().find(|b| b.file == file).unwrap()
}

pub fn splice(text: &str, at: usize, remove: usize, insert: &str) -> String {
    format!("{}{insert}{}", &text[..at], &text[at + remove..])
}

pub fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

pub fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

pub fn indent(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches(' ').len()]
}

/// Where the key of the line holding `at` starts.
pub fn key_at(text: &str, at: usize) -> usize {
    line_start(text, at) + indent(text, at).len()
}

/// Variant files, and every finding a run over them must report.
#[derive(Default)]
pub struct Expect {
    /// (path in the sandbox, text).
    pub files: Vec<(String, String)>,
    pub findings: Vec<Found>,
}

impl Expect {
    /// Adds a variant file; `at` and `at_exactly` then add findings in it.
    pub fn file(&mut self, path: String, text: String) -> &mut Self {
        self.files.push((path, text));
        self
    }

    /// A finding of `rule` in the last file, at the key of the line that holds
    /// byte `at`: where findings about an item or object point.
    pub fn at(&mut self, at: usize, rule: &str, severity: &str) -> &mut Self {
        let (path, text) = self.files.last().unwrap();
        let (line, column) = key_position_at(text, at);
        self.findings.push(Found {
            path: path.clone(),
            line,
            column,
            rule: rule.to_owned(),
            severity: severity.to_owned(),
        });
        self
    }

    /// A finding of `rule` in the last file at exactly byte `at` (a key that is
    /// not the first on its line).
    pub fn at_exactly(&mut self, at: usize, rule: &str, severity: &str) -> &mut Self {
        let (path, text) = self.files.last().unwrap();
        let line_start = line_start(text, at);
        self.findings.push(Found {
            path: path.clone(),
            line: text[..line_start].matches('\n').count() as u64 + 1,
            column: text[line_start..at].chars().count() as u64 + 1,
            rule: rule.to_owned(),
            severity: severity.to_owned(),
        });
        self
    }

    pub fn plant(&self, sandbox: &Sandbox) {
        for (path, text) in &self.files {
            sandbox.write(path, text);
        }
    }

    pub fn sorted(&self) -> Vec<Found> {
        let mut findings = self.findings.clone();
        findings.sort();
        findings
    }
}

/// A sealed value of the right shape for a 2048-bit key that nothing opens.
pub fn shaped_blob() -> String {
    let mut blob = vec![0x01, 0x00];
    blob.extend(std::iter::repeat_n(0x5a, 256 + 16 + 8));
    STANDARD.encode(blob)
}
