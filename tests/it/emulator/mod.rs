//! The emulator against the real Rust SDK and against raw HTTP: every
//! operation round-trips, every modelled error parses into its variant with
//! all members, bad input of each kind gets the service's answer, and the
//! region, quota, fault, record and control features behave as documented.

mod accounts;
mod chat;
mod control;
mod faults;
mod keepalive;
mod logging;
mod quotas;
mod rooms;
mod sdk;
mod signatures;

use aws_sdk_ivschat::error::SdkError;
use ivschat_playbook::emulator::{EmulatorConfig, EmulatorHandle, spawn};

const ACCOUNT: &str = "123456789012";

fn no_quotas() -> EmulatorConfig {
    EmulatorConfig {
        quotas: false,
        ..EmulatorConfig::default()
    }
}

async fn start(config: EmulatorConfig) -> EmulatorHandle {
    spawn(config).await.expect("emulator starts")
}

async fn new_room(c: &aws_sdk_ivschat::Client) -> String {
    c.create_room()
        .send()
        .await
        .expect("CreateRoom")
        .arn()
        .expect("arn")
        .to_string()
}

fn is_id(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn status<E>(err: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}
