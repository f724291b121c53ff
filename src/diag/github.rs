//! GitHub Actions workflow commands (`::error file=…::message`): the one
//! copy of their escaping and of GitHub's cap on annotations per step, used
//! by diagnostics and `catalog diff` alike.

/// Escapes a workflow command's data part (the message).
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (`file=`, `title=`).
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Annotations of one level (error, warning, notice) GitHub shows per
/// step; it drops the rest silently.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;

/// An annotation's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `::error`.
    Error,
    /// `::warning`.
    Warning,
    /// `::notice`.
    Notice,
}

impl Level {
    /// The workflow command's name.
    pub fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Which annotations fit in GitHub's per-step cap. Those past it are
/// printed as plain log lines, and one notice at the end says how many
/// there were (a notice of its own is kept free for it).
#[derive(Debug)]
pub struct Cap {
    limits: [usize; 3],
    shown: [usize; 3],
    hidden: [usize; 3],
}

impl Cap {
    /// The cap for a step that will print `totals` (errors, warnings,
    /// notices).
    pub fn new(totals: [usize; 3]) -> Self {
        let over = totals.iter().any(|&n| n > ANNOTATIONS_PER_LEVEL);
        let mut limits = [ANNOTATIONS_PER_LEVEL; 3];
        if over {
            limits[Level::Notice.index()] -= 1;
        }
        Cap {
            limits,
            shown: [0; 3],
            hidden: [0; 3],
        }
    }

    /// Whether the next annotation of `level` is shown; counts it.
    pub fn admit(&mut self, level: Level) -> bool {
        let i = level.index();
        if self.shown[i] < self.limits[i] {
            self.shown[i] += 1;
            true
        } else {
            self.hidden[i] += 1;
            false
        }
    }

    /// The closing notice, when something was past the cap.
    pub fn summary(&self, tool: &str) -> Option<String> {
        if self.hidden.iter().all(|&n| n == 0) {
            return None;
        }
        let parts: Vec<String> = [Level::Error, Level::Warning, Level::Notice]
            .iter()
            .filter(|l| self.hidden[l.index()] > 0)
            .map(|l| {
                let n = self.hidden[l.index()];
                format!("{n} more {}{}", l.command(), if n == 1 { "" } else { "s" })
            })
            .collect();
        Some(format!(
            "::notice title={}::{}",
            property(tool),
            data(&format!(
                "{} are in this step's log: GitHub shows {ANNOTATIONS_PER_LEVEL} annotations of each level per step",
                parts.join(", ")
            ))
        ))
    }
}
