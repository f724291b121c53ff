//! The source files a run has read, kept so diagnostics can quote them and
//! turn byte offsets into lines and columns (and codespan can render them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codespan_reporting::files::{Error as FilesError, Files};

use super::FileId;

/// A source file kept for excerpts and line/column lookups.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user will recognise it (as given, or joined to the
    /// including file's folder).
    pub path: PathBuf,
    /// The whole text.
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(path: PathBuf, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..byte).map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// Byte offset of a 1-based line and 0-based character column.
    pub fn byte_of(&self, line: usize, col0: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col0)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// Byte offset of the end of the line containing `byte` (before `\n`,
    /// or before `\r\n`).
    pub fn line_end(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        let end = self.text[byte..]
            .find('\n')
            .map_or(self.text.len(), |i| byte + i);
        if end > byte && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }
}

/// All files a run has read, so diagnostics can quote them.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Registers a file and returns its id.
    pub fn add(&mut self, path: PathBuf, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile::new(path, text.into()));
        self.files.len() - 1
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// The id of an already registered path.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path)
    }
}

impl<'a> Files<'a> for Sources {
    type FileId = FileId;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<String, FilesError> {
        self.files
            .get(id)
            .map(|f| f.path.display().to_string())
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.files
            .get(id)
            .map(|f| &*f.text)
            .ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let f = self.files.get(id).ok_or(FilesError::FileMissing)?;
        Ok(f.line_starts.partition_point(|&s| s <= byte_index) - 1)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        let f = self.files.get(id).ok_or(FilesError::FileMissing)?;
        let start = *f
            .line_starts
            .get(line_index)
            .ok_or(FilesError::LineTooLarge {
                given: line_index,
                max: f.line_starts.len() - 1,
            })?;
        let end = f
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(f.text.len());
        Ok(start..end)
    }
}
