//! Room entries turned into rooms on another thread while their file is
//! still being read: checking an entry (the room-entry schema, the typed
//! model, the ARN) took a quarter of the time to read a 100,000-room
//! inventory, beside the parser on the same core.
//!
//! What the reading thread made (the entries, their spans) goes back to it
//! to be freed: memory freed by another thread is only reused once its
//! owner looks again, and an inventory's worth of it stayed allocated.

use crate::yaml::{ItemSpans, ItemSpansBuf};
use serde_json::Value;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

/// Entries sent to the thread at once.
const BATCH: usize = 128;

/// Batches on their way at most: the reading waits rather than queue more.
const IN_FLIGHT: usize = 8;

type Batch = Vec<(usize, Value, ItemSpansBuf)>;

/// How an entry becomes a room, or `None` for an entry left to the
/// document's own check. A parameter rather than an import, so this module
/// does not depend on the one that uses it.
pub(crate) type Take<T> = fn(usize, &Value, &ItemSpans<'_>) -> Option<T>;

/// What the thread made of the entries, in the order given.
#[derive(Debug)]
pub(crate) struct Read<T> {
    /// The rooms of the entries taken.
    pub(crate) rooms: Vec<T>,
    /// Their positions in the list.
    pub(crate) positions: Vec<usize>,
    /// The entries not taken, with their positions.
    pub(crate) returned: Vec<(usize, Value)>,
}

impl<T> Default for Read<T> {
    fn default() -> Self {
        Read {
            rooms: Vec::new(),
            positions: Vec::new(),
            returned: Vec::new(),
        }
    }
}

/// The thread and the batch being filled for it.
#[derive(Debug)]
pub(crate) struct RoomReader<T> {
    to: Option<SyncSender<Batch>>,
    /// Batches looked at, to be freed here.
    done: Receiver<Batch>,
    thread: Option<JoinHandle<Read<T>>>,
    batch: Batch,
}

impl<T: Send + 'static> RoomReader<T> {
    pub(crate) fn start(take: Take<T>) -> Self {
        let (to, from) = sync_channel::<Batch>(IN_FLIGHT);
        let (back, done) = channel::<Batch>();
        RoomReader {
            to: Some(to),
            done,
            thread: Some(std::thread::spawn(move || read(from, back, take))),
            batch: Vec::with_capacity(BATCH),
        }
    }

    /// Hands an entry over.
    pub(crate) fn send(&mut self, index: usize, value: Value, spans: &ItemSpans<'_>) {
        self.batch.push((index, value, spans.to_buf()));
        if self.batch.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        while let Ok(batch) = self.done.try_recv() {
            drop(batch);
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if let Some(to) = &self.to {
            // The thread only stops early by panicking, which `finish`
            // passes on.
            let _ = to.send(batch);
        }
    }

    /// Waits for every entry handed over.
    pub(crate) fn finish(mut self) -> Read<T> {
        self.flush();
        self.to = None;
        let read = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(read)) => read,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Read::default(),
        };
        while let Ok(batch) = self.done.try_recv() {
            drop(batch);
        }
        read
    }
}

impl<T> Drop for RoomReader<T> {
    /// A reading abandoned: the thread stops once it has no more entries.
    fn drop(&mut self) {
        self.to = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read<T>(from: Receiver<Batch>, back: Sender<Batch>, take: Take<T>) -> Read<T> {
    let mut out = Read::default();
    for batch in from {
        for (index, value, spans) in &batch {
            match take(*index, value, &spans.spans()) {
                Some(room) => {
                    out.rooms.push(room);
                    out.positions.push(*index);
                }
                // Rare: an entry the document's own check will report.
                None => out.returned.push((*index, value.clone())),
            }
        }
        // Gone when the reading stopped: then freed here.
        let _ = back.send(batch);
    }
    out
}
