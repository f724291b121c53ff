//! The service's rules for one `SendEvent` request, in one place.
//!
//! A playbook send and a `send-event` command line are held to the same
//! rules, reported with the same codes and words (docs/diagnostics.md): the
//! room identifier is a room ARN of at most 128 characters, the event name is
//! 1 to 100 characters and does not begin with `aws:`, and keys plus values of the attributes total at most
//! 1024 bytes of UTF-8. The playbook checks ([`crate::validate`],
//! [`crate::plan`]) build their diagnostics with the constructors here and
//! add where in the file the problem is; [`check`] applies all of them to a
//! request that has no file.

use indexmap::IndexMap;

use crate::diag::Diagnostic;
use crate::service::arn::{ArnError, IVS_CHAT_REGIONS, RoomArn, is_ivs_chat_region};
use crate::service::attributes_bytes;
use crate::service::{ATTRIBUTES_MAX_BYTES, EVENT_NAME_MAX_LEN};

/// `playbook::invalid-arn`: the room identifier is not a room ARN.
pub fn invalid_arn(err: &ArnError) -> Diagnostic {
    Diagnostic::error("playbook::invalid-arn", err.to_string())
        .hint("a room ARN looks like arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6 (`aws ivschat list-rooms` shows them)")
}

/// `playbook::event-name-length`: `chars` characters is not 1 to 100.
pub fn event_name_length(chars: usize) -> Diagnostic {
    Diagnostic::error(
        "playbook::event-name-length",
        format!("event name is {chars} characters long; it must be 1 to {EVENT_NAME_MAX_LEN}"),
    )
}

/// The prefix of the service's own system events (`aws:DELETE_MESSAGE`,
/// `aws:DISCONNECT_USER`): a front-end cannot tell a sent event with it from
/// the service's own.
pub const RESERVED_PREFIX: &str = "aws:";

/// Whether an event name begins with [`RESERVED_PREFIX`].
pub fn event_name_reserved(name: &str) -> bool {
    name.starts_with(RESERVED_PREFIX)
}

/// `code` (`playbook::reserved-event-name` or
/// `catalog::reserved-event-name`): `name` begins with `aws:`.
pub fn reserved_event_name(code: &'static str, name: &str) -> Diagnostic {
    Diagnostic::error(
        code,
        format!("event name `{name}` begins with `{RESERVED_PREFIX}`, the prefix of the service's own system events"),
    )
    .hint("IVS Chat sends `aws:` events itself (such as aws:DELETE_MESSAGE); choose a name without that prefix")
}

/// `playbook::attributes-too-large`: the attributes of `event` come to
/// `bytes` bytes for `room` (a display name).
pub fn attributes_too_large(event: &str, bytes: usize, room: &str) -> Diagnostic {
    Diagnostic::error(
        "playbook::attributes-too-large",
        format!(
            "attributes of event `{event}` are {bytes} bytes for room `{room}`, over the 1 KB limit"
        ),
    )
    .hint(format!(
        "keys plus values may total {ATTRIBUTES_MAX_BYTES} bytes of UTF-8"
    ))
}

/// `playbook::unknown-region` (a warning): the ARN names a region where IVS
/// Chat is not offered, so no endpoint will answer for it.
pub fn unknown_region(region: &str) -> Diagnostic {
    Diagnostic::warning(
        "playbook::unknown-region",
        format!("`{region}` is not a region where IVS Chat is offered"),
    )
    .hint(format!("IVS Chat regions: {}", IVS_CHAT_REGIONS.join(", ")))
}

/// Whether an event name has an allowed length (in characters, as the
/// service counts).
pub fn event_name_ok(name: &str) -> bool {
    (1..=EVENT_NAME_MAX_LEN).contains(&name.chars().count())
}

/// Checks one request against every rule. Returns the parsed ARN when
/// nothing is an error, and every diagnostic (warnings included) either way,
/// so all problems are reported at once.
pub fn check(
    room_identifier: &str,
    event_name: &str,
    attributes: &IndexMap<String, String>,
) -> (Option<RoomArn>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let arn = match RoomArn::parse(room_identifier) {
        Ok(a) => {
            if !is_ivs_chat_region(&a.region) {
                diags.push(unknown_region(&a.region));
            }
            Some(a)
        }
        Err(e) => {
            diags.push(invalid_arn(&e));
            None
        }
    };
    if !event_name_ok(event_name) {
        diags.push(event_name_length(event_name.chars().count()));
    }
    if event_name_reserved(event_name) {
        diags.push(reserved_event_name(
            "playbook::reserved-event-name",
            event_name,
        ));
    }
    let bytes = attributes_bytes(attributes);
    if bytes > ATTRIBUTES_MAX_BYTES {
        let room = arn.as_ref().map_or(room_identifier, |a| a.id.as_str());
        diags.push(attributes_too_large(event_name, bytes, room));
    }
    let ok = !diags.iter().any(Diagnostic::is_error);
    (arn.filter(|_| ok), diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6";

    fn attrs(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_good_request_passes() {
        let (arn, diags) = check(ARN, "SystemMessage", &attrs(&[("a", "b")]));
        assert_eq!(arn.unwrap().region, "us-west-2");
        assert!(diags.is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let big = "x".repeat(1024);
        let (arn, diags) = check("room/1", "", &attrs(&[("k", &big)]));
        assert!(arn.is_none());
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                "playbook::invalid-arn",
                "playbook::event-name-length",
                "playbook::attributes-too-large"
            ]
        );
        assert_eq!(
            diags[2].message,
            "attributes of event `` are 1025 bytes for room `room/1`, over the 1 KB limit"
        );
    }

    #[test]
    fn aws_prefixed_names_are_the_services_own() {
        let (arn, diags) = check(ARN, "aws:DELETE_MESSAGE", &attrs(&[]));
        assert!(arn.is_none());
        assert_eq!(diags[0].code, "playbook::reserved-event-name");
        // Only the exact prefix: other names that mention aws are fine.
        for ok in ["AWS_alert", "awsome", "my:aws:event"] {
            assert!(check(ARN, ok, &attrs(&[])).1.is_empty(), "{ok}");
        }
    }

    #[test]
    fn limits_are_inclusive_and_count_the_service_way() {
        // 100 characters of 2 bytes each is still 100 characters.
        assert!(event_name_ok(&"é".repeat(100)));
        assert!(!event_name_ok(&"e".repeat(101)));
        let exactly = attrs(&[("k", &"v".repeat(1023))]);
        assert!(check(ARN, "E", &exactly).0.is_some());
        // Bytes, not characters: 512 two-byte characters plus the key.
        let utf8 = attrs(&[("k", &"é".repeat(512))]);
        assert!(check(ARN, "E", &utf8).0.is_none());
    }

    #[test]
    fn an_unknown_region_warns_but_passes() {
        let (arn, diags) = check("arn:aws:ivschat:xx-moon-1:1:room/a", "E", &IndexMap::new());
        assert!(arn.is_some());
        assert_eq!(diags[0].code, "playbook::unknown-region");
        assert!(!diags[0].is_error());
    }
}
