//! GitHub Actions workflow commands (`::error file=…::message`): the one
//! copy of their escaping, used by diagnostics and `catalog diff` alike.

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
