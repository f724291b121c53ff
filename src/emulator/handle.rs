//! An emulator running inside the current process, for tests: start it on
//! a free loopback port, look at what it delivered, change faults, stop it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::app::App;
use super::chat::hub::Ending;
use super::config::{EmulatorConfig, RoomSeed};
use super::faults::{FaultConfig, FaultRecord};
use super::record::DeliveredEvent;
use super::server::serve_app;
use super::stats::StatsSnapshot;

/// Starts an emulator on `127.0.0.1` with a free port.
pub async fn spawn(config: EmulatorConfig) -> io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    spawn_on(listener, config)
}

/// Starts an emulator on a listener the caller bound.
pub fn spawn_on(listener: TcpListener, config: EmulatorConfig) -> io::Result<EmulatorHandle> {
    let addr = listener.local_addr()?;
    let app = Arc::new(App::new(config)?);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_app(listener, app.clone(), async move {
        let _ = rx.await;
    }));
    Ok(EmulatorHandle {
        addr,
        app,
        stop: Some(tx),
        task: Some(task),
    })
}

/// A running in-process emulator. Dropping it stops the server too (without
/// waiting); [`EmulatorHandle::shutdown`] waits and flushes the events log.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl EmulatorHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, for `endpoint_url` of an SDK config.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT`, the chat edge: the `regionOrUrl` of the
    /// official chat client, or the URL any IVS Chat messaging client
    /// connects to with a token from `CreateChatToken`.
    pub fn chat_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Chat connections open now.
    pub fn chat_connections(&self) -> usize {
        self.app.chat.open()
    }

    /// Drops every open chat connection without a close frame, as a
    /// network failure would (clients reconnect).
    pub fn drop_chat_connections(&self) -> usize {
        self.app.chat.end_all(Ending::Drop)
    }

    /// Delivered events held in memory, oldest first.
    pub fn events(&self) -> Vec<DeliveredEvent> {
        self.app.record.events()
    }

    /// Forgets the delivered events held in memory.
    pub fn clear_events(&self) {
        self.app.record.clear();
    }

    /// Current fault settings.
    pub fn faults(&self) -> FaultConfig {
        self.app.faults.config()
    }

    /// Replaces the fault settings (reseeding if they carry a seed).
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), String> {
        self.app.faults.set(faults)
    }

    /// Fault decisions so far, with whether each one delivered.
    pub fn fault_log(&self) -> Vec<FaultRecord> {
        self.app.faults.records()
    }

    /// Turns quota enforcement on or off.
    pub fn set_quotas(&self, enabled: bool) {
        self.app.quotas.set_enabled(enabled);
    }

    /// Adds a room (an ARN in an IVS Chat region).
    pub fn add_room(&self, room: RoomSeed) -> Result<(), String> {
        self.app.add_room(&room)
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.app
            .stats
            .snapshot(self.app.record.counts(), self.app.chat.counts())
    }

    /// Stops accepting, lets in-flight requests finish and flushes the log.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
