//! Logging configurations and the errors that guard resources, through the
//! real Rust SDK: the five operations round-trip, their constraints and the
//! union are checked, rooms may name only configurations that exist, a
//! configuration a room uses cannot be deleted (ConflictException), the
//! count quotas answer ServiceQuotaExceededException, a limited key gets
//! AccessDeniedException, and review handlers default to ALLOW and go away
//! with an empty URI.

use aws_sdk_ivschat::error::ProvideErrorMetadata;
use aws_sdk_ivschat::operation::create_logging_configuration::CreateLoggingConfigurationError;
use aws_sdk_ivschat::operation::create_room::CreateRoomError;
use aws_sdk_ivschat::operation::delete_logging_configuration::DeleteLoggingConfigurationError;
use aws_sdk_ivschat::operation::get_logging_configuration::GetLoggingConfigurationError;
use aws_sdk_ivschat::types::{
    CloudWatchLogsDestinationConfiguration, DestinationConfiguration, FallbackResult,
    FirehoseDestinationConfiguration, LoggingConfigurationState, MessageReviewHandler,
    ResourceType, S3DestinationConfiguration,
};
use ivschat_playbook::emulator::{Credential, EmulatorConfig};

use super::{ACCOUNT, is_id, new_room, no_quotas, start, status};
use crate::support::{client, client_with};

fn s3(bucket: &str) -> DestinationConfiguration {
    DestinationConfiguration::S3(
        S3DestinationConfiguration::builder()
            .bucket_name(bucket)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn logging_configurations_round_trip() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let made = c
        .create_logging_configuration()
        .name("chat-logs")
        .destination_configuration(s3("my-bucket"))
        .tags("team", "a")
        .send()
        .await
        .unwrap();
    let arn = made.arn().unwrap().to_string();
    let id = made.id().unwrap();
    assert!(is_id(id));
    assert_eq!(
        arn,
        format!("arn:aws:ivschat:us-west-2:{ACCOUNT}:logging-configuration/{id}")
    );
    assert_eq!(made.state().unwrap().as_str(), "ACTIVE");
    assert_eq!(made.tags().unwrap()["team"], "a");

    let got = c
        .get_logging_configuration()
        .identifier(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.name(), Some("chat-logs"));
    assert_eq!(got.state(), Some(&LoggingConfigurationState::Active));
    assert_eq!(
        got.destination_configuration()
            .unwrap()
            .as_s3()
            .unwrap()
            .bucket_name(),
        "my-bucket"
    );
    let firehose = DestinationConfiguration::Firehose(
        FirehoseDestinationConfiguration::builder()
            .delivery_stream_name("stream_1")
            .build()
            .unwrap(),
    );
    let updated = c
        .update_logging_configuration()
        .identifier(&arn)
        .name("renamed")
        .destination_configuration(firehose)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name(), Some("renamed"));
    assert!(updated.destination_configuration().unwrap().is_firehose());

    let second = c
        .create_logging_configuration()
        .destination_configuration(DestinationConfiguration::CloudWatchLogs(
            CloudWatchLogsDestinationConfiguration::builder()
                .log_group_name("/ivs/chat")
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let page = c
        .list_logging_configurations()
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.logging_configurations()[0].arn(), second.arn());
    let rest = c
        .list_logging_configurations()
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.logging_configurations()[0].arn(), Some(arn.as_str()));
    assert!(rest.next_token().is_none());

    // Rooms name configurations that exist; a used one cannot be deleted.
    let room = c
        .create_room()
        .logging_configuration_identifiers(&arn)
        .send()
        .await
        .unwrap();
    let err = c
        .delete_logging_configuration()
        .identifier(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(409));
    let DeleteLoggingConfigurationError::ConflictException(conflict) = err.into_service_error()
    else {
        panic!("ConflictException expected");
    };
    assert_eq!(conflict.resource_id(), id);
    assert_eq!(conflict.resource_type(), &ResourceType::Room);
    assert!(conflict.message().contains(room.arn().unwrap()));
    c.update_room()
        .identifier(room.arn().unwrap())
        .set_logging_configuration_identifiers(Some(vec![]))
        .send()
        .await
        .unwrap();
    c.delete_logging_configuration()
        .identifier(&arn)
        .send()
        .await
        .unwrap();
    let gone = c
        .get_logging_configuration()
        .identifier(&arn)
        .send()
        .await
        .unwrap_err();
    let GetLoggingConfigurationError::ResourceNotFoundException(nf) = gone.into_service_error()
    else {
        panic!("ResourceNotFoundException expected");
    };
    assert_eq!(nf.resource_id(), id);
    let missing = c
        .update_room()
        .identifier(room.arn().unwrap())
        .logging_configuration_identifiers(&arn)
        .send()
        .await
        .unwrap_err();
    assert!(
        missing
            .into_service_error()
            .is_resource_not_found_exception()
    );
    let other_region = client(&emu.endpoint_url(), "eu-west-1");
    let err = other_region
        .get_logging_configuration()
        .identifier(second.arn().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn logging_configuration_constraints() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let fields = |e: aws_sdk_ivschat::error::SdkError<_, _>| -> Vec<String> {
        let CreateLoggingConfigurationError::ValidationException(v) = e.into_service_error() else {
            panic!("ValidationException expected");
        };
        v.field_list()
            .iter()
            .map(|f| f.name().to_string())
            .collect()
    };
    let bad_bucket = c
        .create_logging_configuration()
        .name("no spaces")
        .destination_configuration(s3("UPPER"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        fields(bad_bucket),
        ["name", "destinationConfiguration.s3.bucketName"]
    );
    let none = c.create_logging_configuration().send().await.unwrap_err();
    assert_eq!(fields(none), ["destinationConfiguration"]);
    let bad_id = c
        .get_logging_configuration()
        .identifier("arn:aws:ivschat:us-west-2:1:room/notalogconfig")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_id.code(), Some("ValidationException"));
}

#[tokio::test]
async fn resource_counts_are_capped() {
    let emu = start(EmulatorConfig {
        max_rooms: 2,
        max_logging_configurations: 1,
        ..no_quotas()
    })
    .await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    new_room(&c).await;
    new_room(&c).await;
    let err = c.create_room().send().await.unwrap_err();
    assert_eq!(status(&err), Some(402));
    let CreateRoomError::ServiceQuotaExceededException(q) = err.into_service_error() else {
        panic!("ServiceQuotaExceededException expected");
    };
    assert_eq!((q.resource_id(), q.limit()), (ACCOUNT, 2));
    assert_eq!(q.resource_type(), &ResourceType::Room);
    // The quota is per region.
    new_room(&client(&emu.endpoint_url(), "eu-west-1")).await;

    c.create_logging_configuration()
        .destination_configuration(s3("bucket"))
        .send()
        .await
        .unwrap();
    let err = c
        .create_logging_configuration()
        .destination_configuration(s3("bucket"))
        .send()
        .await
        .unwrap_err();
    let CreateLoggingConfigurationError::ServiceQuotaExceededException(q) =
        err.into_service_error()
    else {
        panic!("ServiceQuotaExceededException expected");
    };
    assert_eq!(q.limit(), 1);
}

#[tokio::test]
async fn a_limited_key_is_denied_what_it_may_not_call() {
    let emu = start(EmulatorConfig {
        credentials: vec![
            Credential::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            Credential {
                allowed_operations: Some(vec!["ListRooms".into()]),
                ..Credential::new("AKIAREADONLY00000000", "read-only")
            },
        ],
        ..no_quotas()
    })
    .await;
    let limited = client_with(
        &emu.endpoint_url(),
        "us-west-2",
        "AKIAREADONLY00000000",
        "read-only",
    );
    limited.list_rooms().send().await.unwrap();
    let err = limited.create_room().send().await.unwrap_err();
    assert_eq!(status(&err), Some(403));
    let CreateRoomError::AccessDeniedException(denied) = err.into_service_error() else {
        panic!("AccessDeniedException expected");
    };
    assert!(
        denied.message().contains("ivschat:CreateRoom"),
        "{denied:?}"
    );
    let err = limited
        .send_event()
        .room_identifier("arn:aws:ivschat:us-west-2:123456789012:room/x")
        .event_name("E")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_access_denied_exception());
    assert_eq!(emu.stats().operations["CreateRoom"].client_errors, 1);
}

#[tokio::test]
async fn review_handlers_default_to_allow_and_an_empty_uri_removes_them() {
    let emu = start(no_quotas()).await;
    let c = client(&emu.endpoint_url(), "us-west-2");
    let uri = "arn:aws:lambda:us-west-2:123456789012:function:review";
    let room = c
        .create_room()
        .message_review_handler(MessageReviewHandler::builder().uri(uri).build())
        .send()
        .await
        .unwrap();
    let h = room.message_review_handler().unwrap();
    assert_eq!(h.fallback_result(), Some(&FallbackResult::Allow));
    let arn = room.arn().unwrap();
    let denied = c
        .update_room()
        .identifier(arn)
        .message_review_handler(
            MessageReviewHandler::builder()
                .fallback_result(FallbackResult::Deny)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let h = denied.message_review_handler().unwrap();
    assert_eq!(
        (h.uri(), h.fallback_result()),
        (Some(uri), Some(&FallbackResult::Deny))
    );
    let removed = c
        .update_room()
        .identifier(arn)
        .message_review_handler(MessageReviewHandler::builder().uri("").build())
        .send()
        .await
        .unwrap();
    assert!(removed.message_review_handler().is_none());
    let got = c.get_room().identifier(arn).send().await.unwrap();
    assert!(got.message_review_handler().is_none());
    let listed = c
        .list_rooms()
        .message_review_handler_uri(uri)
        .send()
        .await
        .unwrap();
    assert!(listed.rooms().is_empty());
}
