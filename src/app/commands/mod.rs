//! One file per command: its options (`…Args`, clap) and `exec`, which runs
//! it against [`super::Io`] and returns its [`super::Exit`].

pub mod catalog;
pub mod completions;
pub mod emulator;
pub mod init;
pub mod listing;
pub mod lock;
pub mod man;
pub mod plan;
pub mod preflight;
pub mod report;
pub mod rooms;
pub mod run;
pub mod schema;
pub mod send_event;
pub mod target;
pub mod validate;
pub mod watch;
