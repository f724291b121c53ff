//! The AWS CLI's shorthand syntax for map and structure parameters
//! (`--attributes msgType=user-notification,msgText=Hello`), parsed the way
//! the AWS CLI parses it, so a command line written for `aws` means the same
//! here.
//!
//! This is a port of `ShorthandParser` from the AWS CLI's
//! `awscli/shorthand.py` (grammar, value character classes, backtracking over
//! commas, quoting and escapes, and error messages with a caret). In short:
//!
//! - `key=value` pairs separated by commas; keys are letters, digits and
//!   `-_.#/:`; whitespace around `=` and `,` is skipped;
//! - an unquoted value runs to the next comma and may contain spaces and `=`
//!   (`msgText=a=b c`); `\,` is a literal comma; trailing whitespace is
//!   dropped;
//! - `'…'` and `"…"` quote a value (commas included); `\'` / `\"` and `\\`
//!   are escapes inside them;
//! - `k=a,b` makes a list (`["a", "b"]`), `k=[a,b]` an explicit list and
//!   `k={x=y}` a nested map;
//! - `key@=file://path` reads that one value from a file;
//! - a key given twice is an error (usually a `,` that should be a space).
//!
//! One deliberate difference: the AWS CLI's character classes stop at
//! U+FFFF, so it rejects characters beyond (most emoji) in unquoted and
//! quoted values alike; here they are accepted like any other character.

use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;

/// A parsed shorthand value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shorthand {
    /// A scalar, always a string before the model is applied.
    Str(String),
    /// `a,b` or `[a,b]`.
    List(Vec<Shorthand>),
    /// `{k=v}` or the top level.
    Map(IndexMap<String, Shorthand>),
}

impl Shorthand {
    /// As JSON, for messages.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Shorthand::Str(s) => serde_json::Value::String(s.clone()),
            Shorthand::List(l) => serde_json::Value::Array(l.iter().map(Self::to_json).collect()),
            Shorthand::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

/// Why a shorthand value does not parse; the message is the AWS CLI's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ShorthandError {
    /// The whole message, with the input and a caret under the problem.
    pub message: String,
}

/// Reads `file://` (and `fileb://`) values for `key@=...`; `Ok(None)` when
/// the value names no file and is kept as written.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Result<Option<String>, String>;

// Character classes of awscli/shorthand.py, with Python's `\s` spelt out
// (only its ASCII members matter: every other space is inside a range) and
// the upper bound lifted from U+FFFF to U+10FFFF.
const WS: &str = r"\t\n\x0B\x0C\r\x1C-\x1F\x20";
const START_WORD: &str = r"!#-&(-+\--<>-Z\\-z|-\x{10FFFF}";
const FIRST_FOLLOW: &str = r"!#-&(-+\--\\^-|~-\x{10FFFF}";
const SECOND_FOLLOW: &str = r"!#-&(-+\--<>-\x{10FFFF}";

static FIRST_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:\\,|[{START_WORD}])(?:\\,|[{WS}{FIRST_FOLLOW}])*"
    ))
    .expect("first-value pattern compiles")
});
static SECOND_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:\\,|[{START_WORD}])(?:\\,|[{WS}{SECOND_FOLLOW}])*"
    ))
    .expect("second-value pattern compiles")
});
static SINGLE_QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^'(?:\\'|[^'])*'").expect("pattern compiles"));
static DOUBLE_QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^"(?:\\"|[^"])*""#).expect("pattern compiles"));

/// The byte offset of every character of `s`, then `s.len()`.
fn byte_offsets(s: &str) -> Vec<usize> {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect()
}

/// Parses a shorthand value into its top-level map. `resolve` reads the
/// values of `key@=file://...` pairs.
pub fn parse(
    input: &str,
    resolve: Resolver<'_>,
) -> Result<IndexMap<String, Shorthand>, ShorthandError> {
    let mut p = Parser {
        input,
        chars: input.chars().collect(),
        bytes: byte_offsets(input),
        index: 0,
        resolve_files: false,
        resolve,
    };
    p.parameter()
}

/// Parses shorthand with no file reading (`key@=` values are kept as
/// written).
pub fn parse_plain(input: &str) -> Result<IndexMap<String, Shorthand>, ShorthandError> {
    parse(input, &|_| Ok(None))
}

/// Whether the AWS CLI would read this value as JSON rather than shorthand.
pub fn looks_like_json(value: &str) -> bool {
    let v = value.trim_start_matches(is_py_space);
    v.starts_with('{') || v.starts_with('[')
}

/// Python's `str.isspace`, as far as it differs from Rust's: it counts the
/// information separators U+001C..U+001F as spaces.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// What `_expect` and friends report: the AWS CLI's `ShorthandParseSyntaxError`.
struct Syntax {
    expected: String,
    actual: String,
    index: usize,
}

enum Fail {
    Syntax(Syntax),
    Other(ShorthandError),
}

impl From<ShorthandError> for Fail {
    fn from(e: ShorthandError) -> Self {
        Fail::Other(e)
    }
}

struct Parser<'a> {
    input: &'a str,
    /// The input by character: the AWS CLI indexes by code point, and so do
    /// its carets.
    chars: Vec<char>,
    /// Byte offset of each character in `input`, and its length last, so
    /// the rest of the input is a slice, not a copy: copying it for every
    /// value made parsing quadratic in the input's length.
    bytes: Vec<usize>,
    index: usize,
    resolve_files: bool,
    resolve: Resolver<'a>,
}

impl Parser<'_> {
    fn parameter(&mut self) -> Result<IndexMap<String, Shorthand>, ShorthandError> {
        self.parameter_inner().map_err(|f| self.finish(f))
    }

    fn finish(&self, f: Fail) -> ShorthandError {
        match f {
            Fail::Syntax(s) => ShorthandError {
                message: format!(
                    "Expected: '{}', received: '{}' for input:\n{}",
                    s.expected,
                    s.actual,
                    self.error_location(s.index)
                ),
            },
            Fail::Other(e) => e,
        }
    }

    fn parameter_inner(&mut self) -> Result<IndexMap<String, Shorthand>, Fail> {
        let mut params = IndexMap::new();
        let (key, val) = self.keyval()?;
        params.insert(key, val);
        let mut last_index = self.index;
        while self.index < self.chars.len() {
            self.expect(',', true)?;
            let (key, val) = self.keyval()?;
            if params.contains_key(&key) {
                return Err(Fail::Other(ShorthandError {
                    message: format!(
                        "Second instance of key \"{key}\" encountered for input:\n{}\nThis is often because there is a preceding \",\" instead of a space.",
                        self.error_location(last_index + 1)
                    ),
                }));
            }
            params.insert(key, val);
            last_index = self.index;
        }
        Ok(params)
    }

    fn keyval(&mut self) -> Result<(String, Shorthand), Fail> {
        let key = self.key();
        self.resolve_files = self.expect('@', true).is_ok();
        self.expect('=', true)?;
        let values = self.values()?;
        Ok((key, values))
    }

    fn key(&mut self) -> String {
        let start = self.index;
        while let Some(c) = self.current() {
            if !(c.is_ascii_alphanumeric() || "-_.#/:".contains(c)) {
                break;
            }
            self.index += 1;
        }
        self.chars[start..self.index].iter().collect()
    }

    fn values(&mut self) -> Result<Shorthand, Fail> {
        match self.current() {
            None => Ok(Shorthand::Str(String::new())),
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            Some(_) => self.csv_value(),
        }
    }

    fn csv_value(&mut self) -> Result<Shorthand, Fail> {
        let first = self.first_value()?;
        self.consume_whitespace();
        if self.current() != Some(',') {
            return Ok(Shorthand::Str(first));
        }
        self.expect(',', true)?;
        let mut list = vec![first.clone()];
        loop {
            let attempt = (|| -> Result<bool, Fail> {
                let current = self.second_value()?;
                self.consume_whitespace();
                if self.at_eof() {
                    list.push(current);
                    return Ok(true);
                }
                self.expect(',', true)?;
                list.push(current);
                Ok(false)
            })();
            match attempt {
                Ok(true) => break,
                Ok(false) => {}
                Err(Fail::Syntax(s)) => {
                    if self.at_eof() {
                        return Err(Fail::Syntax(s));
                    }
                    // `a=b,c=d`: `c` was a key, not a second value; back up to
                    // the comma before it.
                    self.backtrack_to(',');
                    break;
                }
                Err(other) => return Err(other),
            }
        }
        if list.len() == 1 {
            return Ok(Shorthand::Str(first));
        }
        Ok(Shorthand::List(
            list.into_iter().map(Shorthand::Str).collect(),
        ))
    }

    fn value(&mut self) -> Result<String, Fail> {
        let rest = self.rest();
        match FIRST_VALUE.find(rest) {
            Some(m) => {
                let consumed = m.as_str().to_string();
                self.index += consumed.chars().count();
                let processed = consumed.replace("\\,", ",");
                let processed = processed.trim_end_matches(is_py_space).to_string();
                self.maybe_resolve(processed)
            }
            None => Ok(String::new()),
        }
    }

    fn explicit_list(&mut self) -> Result<Shorthand, Fail> {
        self.expect('[', true)?;
        let mut values = Vec::new();
        while self.current() != Some(']') {
            values.push(self.explicit_values()?);
            self.consume_whitespace();
            if self.current() != Some(']') {
                self.expect(',', false)?;
                self.consume_whitespace();
            }
        }
        self.expect(']', false)?;
        Ok(Shorthand::List(values))
    }

    fn explicit_values(&mut self) -> Result<Shorthand, Fail> {
        match self.current() {
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            _ => Ok(Shorthand::Str(self.first_value()?)),
        }
    }

    fn hash_literal(&mut self) -> Result<Shorthand, Fail> {
        self.expect('{', true)?;
        let mut map = IndexMap::new();
        while self.current() != Some('}') {
            let key = self.key();
            self.resolve_files = self.expect('@', true).is_ok();
            self.expect('=', true)?;
            let v = self.explicit_values()?;
            self.consume_whitespace();
            if self.current() != Some('}') {
                self.expect(',', false)?;
                self.consume_whitespace();
            }
            map.insert(key, v);
        }
        self.expect('}', false)?;
        Ok(Shorthand::Map(map))
    }

    fn first_value(&mut self) -> Result<String, Fail> {
        match self.current() {
            Some('\'') => self.quoted(&SINGLE_QUOTED, '\'', "singled quoted"),
            Some('"') => self.quoted(&DOUBLE_QUOTED, '"', "double quoted"),
            _ => self.value(),
        }
    }

    fn second_value(&mut self) -> Result<String, Fail> {
        match self.current() {
            Some('\'') => self.quoted(&SINGLE_QUOTED, '\'', "singled quoted"),
            Some('"') => self.quoted(&DOUBLE_QUOTED, '"', "double quoted"),
            _ => {
                let consumed = self.must_consume(&SECOND_VALUE, "second")?;
                let processed = consumed.replace("\\,", ",");
                let processed = processed.trim_end_matches(is_py_space).to_string();
                self.maybe_resolve(processed)
            }
        }
    }

    fn quoted(&mut self, re: &Regex, quote: char, name: &str) -> Result<String, Fail> {
        let consumed = self.must_consume(re, name)?;
        let inner: String = {
            let mut cs = consumed.chars();
            cs.next();
            cs.next_back();
            cs.collect()
        };
        let value = inner
            .replace(&format!("\\{quote}"), &quote.to_string())
            .replace("\\\\", "\\");
        self.maybe_resolve(value)
    }

    fn maybe_resolve(&self, value: String) -> Result<String, Fail> {
        if !self.resolve_files {
            return Ok(value);
        }
        match (self.resolve)(&value) {
            Ok(Some(contents)) => Ok(contents),
            Ok(None) => Ok(value),
            Err(message) => Err(Fail::Other(ShorthandError { message })),
        }
    }

    fn must_consume(&mut self, re: &Regex, name: &str) -> Result<String, Fail> {
        let rest = self.rest();
        match re.find(rest) {
            Some(m) => {
                let s = m.as_str().to_string();
                self.index += s.chars().count();
                Ok(s)
            }
            None => Err(Fail::Syntax(Syntax {
                expected: format!("<{name}>"),
                actual: "<none>".into(),
                index: self.index,
            })),
        }
    }

    fn expect(&mut self, c: char, consume_whitespace: bool) -> Result<(), Fail> {
        if consume_whitespace {
            self.consume_whitespace();
        }
        match self.current() {
            None => Err(Fail::Syntax(Syntax {
                expected: c.to_string(),
                actual: "EOF".into(),
                index: self.index,
            })),
            Some(actual) if actual != c => Err(Fail::Syntax(Syntax {
                expected: c.to_string(),
                actual: actual.to_string(),
                index: self.index,
            })),
            Some(_) => {
                self.index += 1;
                if consume_whitespace {
                    self.consume_whitespace();
                }
                Ok(())
            }
        }
    }

    fn rest(&self) -> &str {
        &self.input[self.bytes[self.index.min(self.chars.len())]..]
    }

    fn current(&self) -> Option<char> {
        self.chars.get(self.index).copied()
    }

    fn at_eof(&self) -> bool {
        self.index >= self.chars.len()
    }

    fn backtrack_to(&mut self, c: char) {
        while self.index > 0 && self.chars.get(self.index) != Some(&c) {
            self.index -= 1;
        }
    }

    /// Python's `string.whitespace`: space, tab, newline, CR, VT, FF.
    fn consume_whitespace(&mut self) {
        while matches!(
            self.current(),
            Some(' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
        ) {
            self.index += 1;
        }
    }

    /// The input with a caret under character `index` (counted from the
    /// last newline before it), as the AWS CLI shows it.
    fn error_location(&self, index: usize) -> String {
        let index = index.min(self.chars.len());
        let before: String = self.chars[..index].iter().collect();
        let after: String = self.chars[index..].iter().collect();
        let spaces = match before.rfind('\n') {
            Some(nl) => index - before[..nl].chars().count() - 1,
            None => index,
        };
        let (consumed, remaining) = match after.find('\n') {
            Some(nl) => {
                let split = before.len() + nl;
                (&self.input[..split], &self.input[split..])
            }
            None => (self.input, ""),
        };
        format!("{consumed}\n{}^{remaining}", " ".repeat(spaces))
    }
}

#[cfg(test)]
mod tests;
