//! Suggestions for hints: the closest candidate to a typo, and a short
//! preview of what would have been accepted.

/// The first eight candidates, quoted, then "and N more".
pub fn preview(names: &[&str]) -> String {
    let mut s: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    if names.len() > 8 {
        s.push(format!("and {} more", names.len() - 8));
    }
    s.join(", ")
}

/// The closest candidate, if one is close enough to be a typo.
pub fn did_you_mean<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(wanted, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A scalar as the user wrote it (`1.50`, not the parsed `1.5`), in double
/// quotes: the string they meant.
pub fn quoted_as_written(
    value: &serde_json::Value,
    at: Option<super::Location>,
    text: &str,
) -> String {
    let written = at
        .and_then(|l| text.get(l.start..l.end))
        .map(str::trim)
        .filter(|w| !w.is_empty() && !w.contains('\n'));
    let s = match written {
        Some(w) => w.to_string(),
        None => value.to_string().trim_matches('"').to_string(),
    };
    serde_json::to_string(&s).unwrap_or(s)
}
