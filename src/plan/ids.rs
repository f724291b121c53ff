//! Stable identities: a send's id from its content, and the plan hash over
//! every id in order.

use sha2::{Digest, Sha256};

/// The content hash behind a send id: the room, the event name and the
/// attributes (keys and rendered values, in order).
pub(super) fn content_hash<'a>(
    room_arn: &str,
    event_name: &str,
    attributes: impl Iterator<Item = (&'a str, &'a str)>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(room_arn.as_bytes());
    h.update([0]);
    h.update(event_name.as_bytes());
    h.update([0]);
    for (k, v) in attributes {
        h.update((k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v.as_bytes());
    }
    h.finalize().into()
}

/// The content hash of a send with a time: its content and its step's
/// offset from the anchor.
pub(super) fn timed_hash(content: &[u8; 32], offset_ms: i64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(content);
    h.update(b"at");
    h.update(offset_ms.to_le_bytes());
    h.finalize().into()
}

/// A send id: the content hash with the occurrence number, shortened to 16
/// hex digits (64 bits; a collision among a million sends has odds of about
/// 1 in 30 million, and is detected).
pub(super) fn send_id(content: &[u8; 32], occurrence: u32) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(content);
    h.update(occurrence.to_le_bytes());
    let d = h.finalize();
    let mut id = [0u8; 16];
    hex::encode_to_slice(&d[..8], &mut id).expect("16 hex digits for 8 bytes");
    id
}

/// Computes the plan hash incrementally.
pub(super) struct PlanHasher(Sha256);

impl PlanHasher {
    pub(super) fn new() -> Self {
        let mut h = Sha256::new();
        h.update(b"ivschat-playbook plan v1\n");
        PlanHasher(h)
    }
    pub(super) fn add(&mut self, id: &str) {
        self.0.update(id.as_bytes());
        self.0.update(b"\n");
    }
    pub(super) fn finish(self) -> String {
        format!("sha256:{}", hex::encode(self.0.finalize()))
    }
}
