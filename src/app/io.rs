//! The streams a command writes to, and the few ways every command writes:
//! refusals, diagnostics, summary lines.
//!
//! Results go to `out` (stdout), everything else (diagnostics, logs,
//! progress, summaries) to `err` (stderr). The binary passes the real
//! streams; tests pass buffers.

use std::fmt::Display;
use std::io::Write;

use super::exit::{CmdResult, Exit};
use crate::diag::{self, DiagFormat, Diagnostic, Sources};

/// Streams and terminal facts a command runs with.
pub struct Io<'a> {
    /// Results.
    pub out: &'a mut dyn Write,
    /// Diagnostics, logs, summaries.
    pub err: &'a mut dyn Write,
    /// Whether to colour `err`.
    pub color: bool,
}

impl Io<'_> {
    /// Refuses to go on, before anything was sent: writes `error: {message}`
    /// to stderr and ends with [`Exit::Invalid`].
    pub fn refuse(&mut self, message: impl Display) -> CmdResult {
        self.end(Exit::Invalid, format_args!("error: {message}"))
    }

    /// Writes one line to stderr and ends with `exit`: a refusal whose
    /// line is a summary (`nothing sent: 2 errors …`), or any other ending.
    pub fn end(&mut self, exit: Exit, line: impl Display) -> CmdResult {
        writeln!(self.err, "{line}")?;
        Ok(exit)
    }

    /// Writes diagnostics in `format`, to stdout when they are the result
    /// (`validate --format json`), to stderr otherwise.
    pub fn diagnostics(
        &mut self,
        sources: &Sources,
        diags: &[Diagnostic],
        format: DiagFormat,
        to_stdout: bool,
    ) -> std::io::Result<()> {
        let text = sources.render(diags, format, self.color && format == DiagFormat::Human);
        if to_stdout {
            self.out.write_all(text.as_bytes())
        } else {
            self.err.write_all(text.as_bytes())
        }
    }
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `2 errors, 1 warning in 3 playbooks`.
pub fn summary_line(diags: &[Diagnostic], files: usize) -> String {
    let (errors, warnings) = diag::counts(diags);
    format!(
        "{}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(files, "playbook")
    )
}
