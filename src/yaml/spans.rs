//! The span index: where every node of a file is written, by JSON Pointer,
//! kept as a sorted list of hashed pointers (24 bytes a node).

use crate::diag::{FileId, Location};

/// Where a node is written: its key (for mapping values) and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpan {
    /// Byte range of the key, for values inside a mapping.
    pub key: Option<(usize, usize)>,
    /// Byte range of the value.
    pub value: (usize, usize),
}

/// Positions of every node of one file, keyed by JSON Pointer (`/rooms/0/arn`).
#[derive(Debug, Default)]
pub struct SpanIndex {
    pub(super) file: FileId,
    pub(super) nodes: Nodes,
}

/// Node spans keyed by a 64-bit hash of their pointer, in 4-byte offsets
/// (files are at most 64 MiB), 24 bytes a node in one sorted list: a
/// 100,000-room inventory has over half a million nodes, and their pointer
/// strings, or a hash table, would cost more than the file itself.
#[derive(Debug, Default)]
pub(super) struct Nodes(pub(super) Vec<(u64, [u32; 4])>);

/// `[key start, key end, value start, value end]`; no key when the key
/// start is this.
pub(super) const NO_KEY: u32 = u32::MAX;

pub(super) fn pointer_hash(pointer: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same pointer always hashes the same.
    let mut h = std::hash::DefaultHasher::new();
    pointer.hash(&mut h);
    h.finish()
}

/// A JSON Pointer's hash built one segment at a time: the same as
/// [`pointer_hash`] of the whole pointer, without writing the pointer out
/// (a file's reading would otherwise format one string per node).
#[derive(Clone)]
pub(super) struct PointerHash(std::hash::DefaultHasher);

impl PointerHash {
    /// The document's own pointer, ``.
    pub(super) fn root() -> Self {
        PointerHash(std::hash::DefaultHasher::new())
    }

    /// The pointer of a mapping's value under `key`.
    pub(super) fn key(&self, key: &str) -> Self {
        use std::hash::Hasher;
        let mut h = self.0.clone();
        h.write(b"/");
        if key.contains(['~', '/']) {
            h.write(escape_pointer(key).as_bytes());
        } else {
            h.write(key.as_bytes());
        }
        PointerHash(h)
    }

    /// The pointer of a list's item `index`.
    pub(super) fn index(&self, index: usize) -> Self {
        use std::hash::Hasher;
        let mut h = self.0.clone();
        h.write(b"/");
        h.write(itoa::Buffer::new().format(index).as_bytes());
        PointerHash(h)
    }

    /// The hash of the pointer, as [`pointer_hash`] gives it.
    pub(super) fn finish(&self) -> u64 {
        use std::hash::Hasher;
        let mut h = self.0.clone();
        // What `str`'s `Hash` writes after the bytes.
        h.write_u8(0xff);
        h.finish()
    }
}

impl Nodes {
    /// Adds a node while the file is read; returns its slot for
    /// [`Nodes::set_value_end`]. [`Nodes::seal`] must follow before lookups.
    pub(super) fn push(&mut self, pointer: &PointerHash, n: NodeSpan) -> usize {
        let (ks, ke) = n.key.map_or((NO_KEY, 0), |k| (k.0 as u32, k.1 as u32));
        self.0.push((
            pointer.finish(),
            [ks, ke, n.value.0 as u32, n.value.1 as u32],
        ));
        self.0.len() - 1
    }

    pub(super) fn value_start(&self, slot: usize) -> usize {
        self.0[slot].1[2] as usize
    }

    pub(super) fn set_value_end(&mut self, slot: usize, end: usize) {
        self.0[slot].1[3] = end as u32;
    }

    /// Sorts for lookups and gives back spare room worth a copy.
    pub(super) fn seal(&mut self) {
        self.0.sort_unstable_by_key(|e| e.0);
        if self.0.capacity() > self.0.len() + self.0.len() / 4 {
            self.0.shrink_to_fit();
        }
    }

    fn get(&self, pointer: &str) -> Option<NodeSpan> {
        let h = pointer_hash(pointer);
        let i = self.0.binary_search_by_key(&h, |e| e.0).ok()?;
        let [ks, ke, vs, ve] = self.0[i].1;
        Some(NodeSpan {
            key: (ks != NO_KEY).then_some((ks as usize, ke as usize)),
            value: (vs as usize, ve as usize),
        })
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

impl SpanIndex {
    /// The file this index describes.
    pub fn file(&self) -> FileId {
        self.file
    }

    /// The value at `pointer`, or the nearest ancestor that is written in
    /// the file (a missing key is reported at its parent mapping).
    pub fn value(&self, pointer: &str) -> Location {
        let (start, end) = self.lookup(pointer).value;
        Location {
            file: self.file,
            start,
            end,
        }
    }

    /// The key of the value at `pointer` when it has one, else its value.
    pub fn key(&self, pointer: &str) -> Location {
        let n = self.lookup(pointer);
        let (start, end) = n.key.unwrap_or(n.value);
        Location {
            file: self.file,
            start,
            end,
        }
    }

    /// Whether the exact pointer is written in the file.
    pub fn contains(&self, pointer: &str) -> bool {
        self.nodes.get(pointer).is_some()
    }

    fn lookup(&self, pointer: &str) -> NodeSpan {
        let mut p = pointer;
        loop {
            if let Some(n) = self.nodes.get(p) {
                return n;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => {
                    return NodeSpan {
                        key: None,
                        value: (0, 0),
                    };
                }
            }
        }
    }
}

/// Escapes one JSON Pointer segment.
pub fn escape_pointer(segment: &str) -> String {
    if segment.contains(['~', '/']) {
        segment.replace('~', "~0").replace('/', "~1")
    } else {
        segment.to_string()
    }
}

/// Undoes [`escape_pointer`] for one segment.
pub fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_hashes_built_by_segment_are_those_of_the_whole() {
        let root = PointerHash::root();
        assert_eq!(root.finish(), pointer_hash(""));
        let rooms = root.key("rooms");
        assert_eq!(rooms.finish(), pointer_hash("/rooms"));
        for i in [0, 7, 10, 12345, usize::MAX] {
            let item = rooms.index(i);
            assert_eq!(item.finish(), pointer_hash(&format!("/rooms/{i}")));
            assert_eq!(
                item.key("a/b~c").finish(),
                pointer_hash(&format!("/rooms/{i}/a~1b~0c"))
            );
        }
        let long = root.key(&"k".repeat(100)).key("schließt");
        assert_eq!(
            long.finish(),
            pointer_hash(&format!("/{}/schließt", "k".repeat(100)))
        );
    }
}
