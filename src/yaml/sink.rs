//! The hand-over of one top-level list's items while the file is read.

use super::spans::pointer_hash;
use crate::diag::{FileId, Location};

/// Takes the items of one top-level list of a document as the builder
/// completes them, so that a long list (an inventory of 100,000 rooms) is
/// never held as JSON in full. Items the sink does not take stay in the
/// list. When it takes them all, the list is left empty; when it takes only
/// some, each taken one leaves [`ItemSink::stand_in`] in its place, so the
/// others keep their positions. When the file is read the careful way
/// instead, the sink is reset and sees nothing.
pub trait ItemSink {
    /// The top-level key of the list, such as `rooms`.
    fn key(&self) -> &str;
    /// Item `index` of the list, with where its nodes are written. Gives
    /// the item back when the sink does not take it.
    fn item(
        &mut self,
        index: usize,
        value: serde_json::Value,
        spans: &ItemSpans<'_>,
    ) -> Option<serde_json::Value>;
    /// What a taken item leaves when others stay: valid wherever an item
    /// of the list is.
    fn stand_in(&self) -> serde_json::Value;
    /// The list has ended: the items `item` took that the sink gives back
    /// after all (a sink may decide later than `item` returns), with
    /// their indices, in order.
    fn end(&mut self) -> Vec<(usize, serde_json::Value)> {
        Vec::new()
    }
    /// Forgets every item taken.
    fn reset(&mut self);
}

/// Where the nodes of one list item are written, while the file is still
/// being read.
pub struct ItemSpans<'a> {
    pub(super) file: FileId,
    pub(super) nodes: &'a [(u64, [u32; 4])],
}

/// [`ItemSpans`] kept, to be looked at later or elsewhere.
#[derive(Debug, Clone)]
pub struct ItemSpansBuf {
    file: FileId,
    nodes: Vec<(u64, [u32; 4])>,
}

impl ItemSpansBuf {
    /// The spans again.
    pub fn spans(&self) -> ItemSpans<'_> {
        ItemSpans {
            file: self.file,
            nodes: &self.nodes,
        }
    }
}

impl ItemSpans<'_> {
    /// A copy that outlives the reading.
    pub fn to_buf(&self) -> ItemSpansBuf {
        ItemSpansBuf {
            file: self.file,
            nodes: self.nodes.to_vec(),
        }
    }

    /// The value at exactly `pointer` (a full pointer, `/rooms/7/arn`).
    pub fn value(&self, pointer: &str) -> Option<Location> {
        let h = pointer_hash(pointer);
        self.nodes.iter().find(|n| n.0 == h).map(|n| Location {
            file: self.file,
            start: n.1[2] as usize,
            end: n.1[3] as usize,
        })
    }
}
