//! Group commit: a syncer thread fsyncs the journal whenever lines wait to
//! be durable, and those waiting for a line learn from it when it is on
//! disk. One fsync covers every line written before it started, so sends
//! going out together share one; a busy syncer is not woken again (it
//! looks for more when its fsync ends), and an idle one is woken after the
//! lock is let go, so the wake-up does not find the lock still held.

use std::fs::File;
use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use tokio::sync::watch;

/// The fsync side of an open journal, shared by its writers and the
/// syncer thread.
pub(super) struct Syncer {
    /// A handle of the journal's file, for `fsync`.
    file: File,
    state: Mutex<SyncState>,
    /// The syncer thread waits here for lines to make durable.
    wake: Condvar,
    /// Highest line number known durable.
    durable: watch::Sender<u64>,
}

#[derive(Default)]
struct SyncState {
    /// Highest line number whose fsync has been asked for.
    wanted: u64,
    /// Highest line number known durable.
    synced: u64,
    closing: bool,
    error: Option<String>,
    /// The syncer thread is waiting to be woken.
    idle: bool,
}

impl Syncer {
    /// Starts the syncer thread for `file`.
    pub(super) fn start(file: File) -> io::Result<(Arc<Syncer>, JoinHandle<()>)> {
        let syncer = Arc::new(Syncer {
            file,
            state: Mutex::new(SyncState::default()),
            wake: Condvar::new(),
            durable: watch::Sender::new(0),
        });
        let s = syncer.clone();
        let thread = std::thread::Builder::new()
            .name("journal-sync".into())
            .spawn(move || s.run())?;
        Ok((syncer, thread))
    }

    /// Waits until line `n` is durable.
    pub(super) async fn durable(&self, n: u64) -> io::Result<()> {
        let mut rx = self.durable.subscribe();
        let wake = {
            let mut st = self.state.lock().expect("sync lock");
            if let Some(e) = &st.error {
                return Err(io::Error::other(e.clone()));
            }
            if st.closing {
                return Err(io::Error::other("the journal is closed"));
            }
            if st.synced >= n {
                return Ok(());
            }
            st.wanted = st.wanted.max(n);
            st.idle
        };
        if wake {
            self.wake.notify_one();
        }
        rx.wait_for(|durable| *durable >= n)
            .await
            .map_err(|_| io::Error::other("the journal syncer stopped"))?;
        match &self.state.lock().expect("sync lock").error {
            Some(e) => Err(io::Error::other(e.clone())),
            None => Ok(()),
        }
    }

    /// Fsyncs the file, which holds lines up to `target`, and says so to
    /// those waiting.
    fn fsync_to(&self, target: u64) -> io::Result<()> {
        let result = self.file.sync_data();
        let mut st = self.state.lock().expect("sync lock");
        if let Err(e) = result {
            st.error = Some(e.to_string());
            drop(st);
            // Wake the waiters so they see the error.
            self.durable.send_replace(u64::MAX);
            return Err(e);
        }
        st.synced = st.synced.max(target);
        let synced = st.synced;
        drop(st);
        self.durable.send_replace(synced);
        Ok(())
    }

    /// The syncer thread: fsyncs whatever is waiting, again and again;
    /// ends once closing with nothing left to do.
    fn run(&self) {
        loop {
            let target = {
                let mut st = self.state.lock().expect("sync lock");
                loop {
                    if st.error.is_some() {
                        return;
                    }
                    let pending = st.wanted > st.synced;
                    if pending {
                        break;
                    }
                    if st.closing {
                        return;
                    }
                    st.idle = true;
                    st = self.wake.wait(st).expect("sync lock");
                    st.idle = false;
                }
                st.wanted
            };
            if self.fsync_to(target).is_err() {
                return;
            }
        }
    }

    /// Asks for every line up to `written` to be made durable and the
    /// thread to end; later durable writes fail.
    pub(super) fn close(&self, written: u64) {
        let mut st = self.state.lock().expect("sync lock");
        st.wanted = st.wanted.max(written);
        st.closing = true;
        drop(st);
        self.wake.notify_one();
    }

    /// The error an fsync met, if any.
    pub(super) fn error(&self) -> Option<String> {
        self.state.lock().expect("sync lock").error.clone()
    }
}
