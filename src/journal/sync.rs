//! Group commit: a syncer thread fsyncs the journal whenever lines wait to
//! be durable, and those waiting for a line learn from it when it is on
//! disk. One fsync covers every line written before it started, so sends
//! going out together share one; a busy syncer is not woken again (it
//! looks for more when its fsync ends), and an idle one is woken after the
//! lock is let go, so the wake-up does not find the lock still held.
//!
//! On a current-thread runtime (a run at the quota) a writer whose line
//! finds no fsync under way fsyncs it itself, as long as fsyncs are quick:
//! the thread would only wait for the syncer otherwise, and handing the
//! fsync over and its answer back costs two wake-ups a send. It first
//! yields once, so that the sends due at the same instant (each region's
//! limiter ticks at the same times) write their lines too, and its one
//! fsync covers them all, as the syncer's would. A slow disk still gets
//! group commit from the syncer.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
    /// Fsyncs made, and of them by the syncer thread (the others were
    /// made inline).
    fsyncs: AtomicU64,
    by_thread: AtomicU64,
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
    /// A writer is about to fsync on its own thread, or fsyncing: those
    /// who come meanwhile wait for it.
    inline: bool,
    /// How long the last fsync took.
    last: Duration,
}

/// Fsyncs that took longer than this are left to the syncer thread: a
/// writer that blocked its runtime that long would hold back every other
/// send's timer and answer.
const INLINE_UP_TO: Duration = Duration::from_millis(1);

impl Syncer {
    /// Starts the syncer thread for `file`.
    pub(super) fn start(file: File) -> io::Result<(Arc<Syncer>, JoinHandle<()>)> {
        let syncer = Arc::new(Syncer {
            file,
            state: Mutex::new(SyncState::default()),
            wake: Condvar::new(),
            durable: watch::Sender::new(0),
            fsyncs: Default::default(),
            by_thread: Default::default(),
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
            if st.idle && !st.inline && st.last < INLINE_UP_TO && current_thread() {
                st.inline = true;
                None
            } else {
                Some(st.idle && !st.inline)
            }
        };
        let Some(wake) = wake else {
            return self.fsync_inline().await;
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

    /// Fsyncs on the caller's thread, once the tasks ready to run have had
    /// their turn, every line written by then; hands what is asked for
    /// afterwards to the syncer.
    async fn fsync_inline(&self) -> io::Result<()> {
        // Dropped before the fsync (the send cancelled), it lets the
        // others it held have the syncer instead.
        let turn = InlineTurn(self);
        tokio::task::yield_now().await;
        let target = self.state.lock().expect("sync lock").wanted;
        let result = self.fsync_to(target);
        drop(turn);
        result
    }

    /// Fsyncs the file, which holds lines up to `target`, and says so to
    /// those waiting.
    fn fsync_to(&self, target: u64) -> io::Result<()> {
        let began = Instant::now();
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        let result = self.file.sync_data();
        // The fsync's own time, not the wait for the lock after it.
        let took = began.elapsed();
        let mut st = self.state.lock().expect("sync lock");
        st.last = took;
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
                    let pending = st.wanted > st.synced && !st.inline;
                    if pending {
                        break;
                    }
                    if st.closing && !st.inline {
                        return;
                    }
                    st.idle = true;
                    st = self.wake.wait(st).expect("sync lock");
                    st.idle = false;
                }
                st.wanted
            };
            self.by_thread.fetch_add(1, Ordering::Relaxed);
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

/// A writer's turn to fsync on its own thread: over when dropped, with or
/// without its fsync.
struct InlineTurn<'a>(&'a Syncer);

impl Drop for InlineTurn<'_> {
    fn drop(&mut self) {
        let s = self.0;
        let mut st = s.state.lock().expect("sync lock");
        st.inline = false;
        let wake = st.idle && (st.wanted > st.synced || st.closing);
        drop(st);
        if wake {
            s.wake.notify_one();
        }
    }
}

/// The caller runs on a current-thread runtime, where blocking in an
/// fsync holds back only the tasks that would otherwise wait for it.
fn current_thread() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A syncer over a new file, once its thread waits for work.
    struct Started {
        _dir: tempfile::TempDir,
        file: File,
        s: Arc<Syncer>,
        thread: JoinHandle<()>,
    }

    fn started() -> Started {
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("j")).unwrap();
        let (s, thread) = Syncer::start(file.try_clone().unwrap()).unwrap();
        while !s.state.lock().unwrap().idle {
            std::thread::yield_now();
        }
        Started {
            _dir: dir,
            file,
            s,
            thread,
        }
    }

    impl Started {
        /// Writes line `n`.
        fn line(&self, n: u64) {
            writeln!(&self.file, "{n}").unwrap();
        }

        fn by_thread(&self) -> u64 {
            self.s.by_thread.load(Ordering::Relaxed)
        }

        fn synced(&self) -> u64 {
            self.s.state.lock().unwrap().synced
        }

        /// Closes with `written` lines; the syncer thread ends.
        fn close(self, written: u64) {
            self.s.close(written);
            self.thread.join().unwrap();
        }
    }

    fn one_thread_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn on_a_current_thread_runtime_a_quick_fsync_is_made_inline() {
        let j = started();
        one_thread_runtime().block_on(async {
            for n in 1..=20 {
                j.line(n);
                // As quick as an fsync on an idle disk, whatever this
                // machine's disk does meanwhile.
                j.s.state.lock().unwrap().last = Duration::ZERO;
                j.s.durable(n).await.unwrap();
            }
        });
        assert_eq!(j.by_thread(), 0);
        assert_eq!(j.s.fsyncs.load(Ordering::Relaxed), 20);
        assert_eq!(j.synced(), 20);
        // The syncer still ends on close.
        j.close(20);
    }

    #[test]
    fn lines_written_at_the_same_instant_share_one_inline_fsync() {
        let j = started();
        // Three sends whose slots came at the same instant, as three
        // regions' do.
        let send = |n: u64| {
            let j = &j;
            async move {
                j.line(n);
                j.s.durable(n).await
            }
        };
        one_thread_runtime().block_on(async {
            let all = futures::future::join_all((1..=3).map(send)).await;
            assert!(all.iter().all(|r| r.is_ok()));
        });
        assert_eq!(j.s.fsyncs.load(Ordering::Relaxed), 1);
        assert_eq!(j.by_thread(), 0);
        assert_eq!(j.synced(), 3);
        j.close(3);
    }

    #[test]
    fn a_writer_dropped_before_its_inline_fsync_leaves_the_others_to_the_syncer() {
        let j = started();
        one_thread_runtime().block_on(async {
            j.line(1);
            let mut first = Box::pin(j.s.durable(1));
            assert!(futures::poll!(first.as_mut()).is_pending());
            j.line(2);
            let mut second = Box::pin(j.s.durable(2));
            assert!(futures::poll!(second.as_mut()).is_pending());
            // The first send is cancelled while it waits for its turn.
            drop(first);
            let waited = tokio::time::timeout(Duration::from_secs(10), second).await;
            waited.expect("the second line became durable").unwrap();
        });
        assert_eq!(j.by_thread(), 1);
        assert_eq!(j.synced(), 2);
        j.close(2);
    }

    #[test]
    fn a_slow_fsync_goes_back_to_the_syncer_thread() {
        let j = started();
        j.s.state.lock().unwrap().last = INLINE_UP_TO * 2;
        j.line(1);
        one_thread_runtime().block_on(j.s.durable(1)).unwrap();
        assert_eq!(j.by_thread(), 1);
        j.close(1);
    }

    #[test]
    fn on_a_multi_thread_runtime_the_syncer_thread_fsyncs() {
        let j = started();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        for n in 1..=3 {
            j.line(n);
            rt.block_on(j.s.durable(n)).unwrap();
        }
        assert!(j.by_thread() >= 1);
        j.close(3);
    }
}
