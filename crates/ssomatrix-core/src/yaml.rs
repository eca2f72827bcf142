//! Reading YAML with line numbers and without surprises: every node's line is
//! recorded by its path (`assignments[2].group`) so that errors found after
//! deserialising can still point at the file; duplicate keys are errors; and
//! alias expansion is bounded before serde sees the document, so an alias bomb
//! fails fast instead of exhausting memory.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// At most this many nodes may be added by expanding aliases.
pub const MAX_ALIAS_EXPANSION: usize = 1_000_000;

/// A problem in an input file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// Shown on a terminal: names the message quotes (from the file or the
/// instance) have their control characters escaped, so that they cannot move
/// the cursor, recolour or add a line.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = crate::escape::visible(&self.message);
        match self.line {
            Some(line) => write!(f, "{}:{}: {message}", self.file, line),
            None => write!(f, "{}: {message}", self.file),
        }
    }
}

/// The line of every node, by path. Keys of a mapping map to the line of the
/// key, sequence items to the line where the item starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    lines: HashMap<String, usize>,
    /// The text of unquoted scalars that YAML may read as numbers, as
    /// written (`012345678901`, `0o17`), by path.
    plain_numbers: HashMap<String, String>,
    /// Paths whose value is an explicit or empty null (`key:`, `key: ~`).
    nulls: HashSet<String>,
}

impl LineIndex {
    /// The line of `path`, or of its closest recorded ancestor.
    pub fn line(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(line) = self.lines.get(p) {
                return Some(*line);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// Whether the document has a node at exactly `path` (a key whose value
    /// may be null counts).
    pub fn contains(&self, path: &str) -> bool {
        self.lines.contains_key(path)
    }

    /// The text of the unquoted scalar at `path` as it was written, when YAML
    /// may have read it as a number: the digits a reader meant, before a
    /// number conversion dropped or reinterpreted any of them.
    pub fn plain_number(&self, path: &str) -> Option<&str> {
        self.plain_numbers.get(path).map(String::as_str)
    }

    /// Whether the value at `path` is null (`key:` with nothing after it,
    /// `~` or `null`), which serde may read as an empty list.
    pub fn is_null(&self, path: &str) -> bool {
        self.nulls.contains(path)
    }
}

/// A deserialised document and the lines of its nodes.
#[derive(Debug)]
pub struct Document<T> {
    pub value: T,
    pub lines: LineIndex,
}

/// Parses `text` (from `file`) into `T`, reporting syntax errors, duplicate
/// keys, alias bombs and type errors as diagnostics with lines.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<Document<T>, Vec<Diagnostic>> {
    let mut walker = Walker::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut walker, false) {
        return Err(vec![Diagnostic::new(
            file,
            Some(e.marker().line()),
            format!("invalid YAML: {}", e.info()),
        )]);
    }
    if let Some((line, message)) = walker.fatal {
        return Err(vec![Diagnostic::new(file, Some(line), message)]);
    }
    if !walker.errors.is_empty() {
        return Err(walker
            .errors
            .into_iter()
            .map(|(line, m)| Diagnostic::new(file, Some(line), m))
            .collect());
    }
    if !walker.saw_content {
        return Err(vec![Diagnostic::new(file, None, "the file is empty")]);
    }
    match serde_norway::from_str::<T>(text) {
        Ok(value) => Ok(Document {
            value,
            lines: walker.lines,
        }),
        Err(e) => {
            let line = e.location().map(|l| l.line());
            let mut message = e.to_string();
            if let Some(cut) = message.rfind(" at line ") {
                message.truncate(cut);
            }
            Err(vec![Diagnostic::new(file, line, message)])
        }
    }
}

#[derive(Debug)]
enum Frame {
    Map {
        path: String,
        anchor: usize,
        size: usize,
        key: Option<String>,
        keys: BTreeSet<String>,
    },
    Seq {
        path: String,
        anchor: usize,
        size: usize,
        index: usize,
    },
}

#[derive(Debug, Default)]
struct Walker {
    stack: Vec<Frame>,
    lines: LineIndex,
    anchor_sizes: BTreeMap<usize, usize>,
    expanded: usize,
    saw_content: bool,
    errors: Vec<(usize, String)>,
    fatal: Option<(usize, String)>,
    /// Set while a complex (non-scalar) mapping key is being read.
    complex_key_depth: Option<usize>,
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Walker {
    /// The path of the node that starts now, or `None` when it is a key.
    fn node_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map {
                path, key: Some(k), ..
            }) => Some(child(path, k)),
            Some(Frame::Seq { path, index, .. }) => Some(format!("{path}[{index}]")),
        }
    }

    /// Records that the top frame received one complete node of `size`.
    fn node_done(&mut self, size: usize, key_scalar: Option<&str>, line: usize) {
        match self.stack.last_mut() {
            Some(Frame::Map {
                path,
                size: s,
                key,
                keys,
                ..
            }) => {
                *s += size;
                match key.take() {
                    Some(_) => {}
                    None => {
                        let k = key_scalar.unwrap_or("?").to_owned();
                        if key_scalar.is_some() && !keys.insert(k.clone()) {
                            let at = if path.is_empty() {
                                String::new()
                            } else {
                                format!(" in `{path}`")
                            };
                            self.errors.push((
                                line,
                                format!("duplicate key `{k}`{at}; each key may appear once"),
                            ));
                        }
                        let p = child(path, &k);
                        self.lines.lines.entry(p).or_insert(line);
                        *key = Some(k);
                    }
                }
            }
            Some(Frame::Seq { size: s, index, .. }) => {
                *s += size;
                *index += 1;
            }
            None => {}
        }
    }
}

impl Walker {
    /// A scalar: its line, whether it was a plain number or a null, and its
    /// place as a key or a value.
    fn scalar(&mut self, value: &str, style: TScalarStyle, anchor: usize, line: usize) {
        if let Some(p) = self.node_path() {
            if style == TScalarStyle::Plain
                && value.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c))
            {
                self.lines.plain_numbers.insert(p.clone(), value.to_owned());
            }
            if style == TScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
            {
                self.lines.nulls.insert(p.clone());
            }
            self.lines.lines.entry(p).or_insert(line);
            if self.stack.is_empty() && !value.is_empty() && value != "~" && value != "null" {
                self.saw_content = true;
            }
        }
        if anchor != 0 {
            self.anchor_sizes.insert(anchor, 1);
        }
        let is_key = self.node_path().is_none();
        self.node_done(1, is_key.then_some(value), line);
    }

    /// The end of a mapping or sequence: its size is known, for the aliases
    /// that name it and for its parent.
    fn end_collection(&mut self, line: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (anchor, size) = match frame {
            Frame::Map { anchor, size, .. } | Frame::Seq { anchor, size, .. } => (anchor, size),
        };
        if anchor != 0 {
            self.anchor_sizes.insert(anchor, size);
        }
        let was_key = self.complex_key_depth == Some(self.stack.len());
        if was_key {
            self.complex_key_depth = None;
        }
        self.node_done(size, None, line);
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.fatal.is_some() {
            return;
        }
        let line = mark.line();
        match ev {
            Event::Scalar(value, style, anchor, _) => self.scalar(&value, style, anchor, line),
            Event::Alias(anchor) => {
                let size = self.anchor_sizes.get(&anchor).copied().unwrap_or(1);
                self.expanded = self.expanded.saturating_add(size);
                if self.expanded > MAX_ALIAS_EXPANSION {
                    self.fatal = Some((
                        line,
                        format!(
                            "YAML aliases expand to more than {MAX_ALIAS_EXPANSION} nodes; \
                             this looks like an alias bomb: write the values out instead of nesting aliases"
                        ),
                    ));
                    return;
                }
                if let Some(p) = self.node_path() {
                    self.lines.lines.entry(p).or_insert(line);
                }
                self.node_done(size, None, line);
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                self.saw_content = true;
                let path = match self.node_path() {
                    Some(p) => p,
                    None => {
                        // A complex key: its contents get no useful path.
                        self.complex_key_depth.get_or_insert(self.stack.len());
                        "?".to_owned()
                    }
                };
                self.lines.lines.entry(path.clone()).or_insert(line);
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        path,
                        anchor,
                        size: 1,
                        key: None,
                        keys: BTreeSet::new(),
                    }
                } else {
                    Frame::Seq {
                        path,
                        anchor,
                        size: 1,
                        index: 0,
                    }
                };
                self.stack.push(frame);
            }
            Event::MappingEnd | Event::SequenceEnd => self.end_collection(line),
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_shows_control_characters_escaped() {
        let d = Diagnostic::new("a.yaml", Some(3), "unknown group `x\r\x1b[2Kok`");
        assert_eq!(d.to_string(), "a.yaml:3: unknown group `x\\r\\x1b[2Kok`");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        a: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        x: String,
        y: Option<Vec<String>>,
    }

    #[test]
    fn records_lines_by_path() {
        let text = "a:\n  - x: one\n    y: [p, q]\n  - x: two\n    y:\n      - r\n";
        let doc = parse::<Doc>("f.yaml", text).unwrap();
        assert_eq!(doc.lines.line("a"), Some(1));
        assert_eq!(doc.lines.line("a[0]"), Some(2));
        assert_eq!(doc.lines.line("a[0].y[1]"), Some(3));
        assert_eq!(doc.lines.line("a[1].x"), Some(4));
        assert_eq!(doc.lines.line("a[1].y[0]"), Some(6));
        assert_eq!(doc.lines.line("a[1].y[7]"), Some(5));
    }

    #[test]
    fn unquoted_numbers_keep_the_text_they_were_written_with() {
        let text = "a:\n  - x: one\n    y: [012345678901, 0o17, '123', \"7\", 1.5e3, -4, x1]\n";
        let doc = parse::<serde_json::Value>("f.yaml", text).unwrap();
        let raw = |i: usize| doc.lines.plain_number(&format!("a[0].y[{i}]"));
        assert_eq!(raw(0), Some("012345678901"));
        assert_eq!(raw(1), Some("0o17"));
        assert_eq!(raw(2), None, "quoted scalars are strings already");
        assert_eq!(raw(3), None);
        assert_eq!(raw(4), Some("1.5e3"));
        assert_eq!(raw(5), Some("-4"));
        assert_eq!(raw(6), None, "not number-like");
        assert!(doc.lines.contains("a[0].x") && !doc.lines.contains("a[0].z"));
        let doc =
            parse::<serde_json::Value>("f.yaml", "a:\nb: ~\nc: []\nd: 'null'\ne: null\n").unwrap();
        let nulls: Vec<bool> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|k| doc.lines.is_null(k))
            .collect();
        assert_eq!(nulls, [true, true, false, false, true]);
    }

    #[test]
    fn duplicate_keys_are_errors_with_lines() {
        let errs = parse::<Doc>("f.yaml", "a:\n  - x: one\n    x: two\n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "f.yaml:3: duplicate key `x` in `a[0]`; each key may appear once"
        );
    }

    #[test]
    fn alias_bombs_fail_fast() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        let errs = parse::<serde_json::Value>("bomb.yaml", &text).unwrap_err();
        assert!(errs[0].message.contains("alias bomb"), "{errs:?}");
    }

    #[test]
    fn empty_files_and_type_errors_are_reported() {
        let errs = parse::<Doc>("f.yaml", "# only a comment\n").unwrap_err();
        assert_eq!(errs[0].to_string(), "f.yaml: the file is empty");
        let errs = parse::<Doc>("f.yaml", "a:\n  - x: [1]\n").unwrap_err();
        assert_eq!(errs[0].line, Some(2));
        assert!(errs[0].message.contains("invalid type"), "{errs:?}");
    }
}
