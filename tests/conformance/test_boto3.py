"""boto3 against the emulator: every operation round-trips, and each error
comes back as a ClientError with the right code and modelled members."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import control


def new_room(ivschat, **kwargs):
    return ivschat.create_room(**kwargs)["arn"]


def test_every_operation_round_trips(ivschat):
    room = ivschat.create_room(
        name="boto-lobby",
        maximumMessageRatePerSecond=50,
        tags={"team": "a"},
        messageReviewHandler={"uri": "", "fallbackResult": "ALLOW"},
    )
    arn = room["arn"]
    assert re.fullmatch(r"[A-Za-z0-9]{12}", room["id"])
    assert room["createTime"].tzinfo is not None
    assert ivschat.get_room(identifier=arn)["maximumMessageRatePerSecond"] == 50
    updated = ivschat.update_room(identifier=arn, name="boto-lobby-2", maximumMessageLength=10)
    assert (updated["name"], updated["maximumMessageLength"]) == ("boto-lobby-2", 10)
    listed = ivschat.list_rooms(name="boto-lobby-2", maxResults=50)
    assert [r["arn"] for r in listed["rooms"]] == [arn]

    sent = ivschat.send_event(roomIdentifier=arn, eventName="Hello", attributes={"k": "v"})
    assert re.fullmatch(r"[A-Za-z0-9]{12}", sent["id"])
    assert len(sent["ResponseMetadata"]["RequestId"]) == 36

    token = ivschat.create_chat_token(
        roomIdentifier=arn, userId="u-1", capabilities=["SEND_MESSAGE", "DELETE_MESSAGE"],
        sessionDurationInMinutes=5,
    )
    assert token["token"]
    left = token["sessionExpirationTime"] - datetime.now(timezone.utc)
    assert timedelta(minutes=4) < left <= timedelta(minutes=5, seconds=5)

    ivschat.tag_resource(resourceArn=arn, tags={"env": "test"})
    ivschat.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ivschat.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test"}

    ivschat.delete_room(identifier=arn)
    with pytest.raises(ivschat.exceptions.ResourceNotFoundException):
        ivschat.get_room(identifier=arn)


def test_list_rooms_pages_newest_first(ivschat):
    arns = [new_room(ivschat, name="pager") for _ in range(3)]
    seen, token = [], None
    while True:
        kwargs = {"name": "pager", "maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = ivschat.list_rooms(**kwargs)
        seen += [r["arn"] for r in page["rooms"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == list(reversed(arns))


def test_validation_exception_carries_reason_and_field_list(ivschat):
    arn = new_room(ivschat)
    with pytest.raises(ClientError) as info:
        ivschat.send_event(roomIdentifier=arn, eventName="x" * 101)
    err = info.value.response
    assert err["Error"]["Code"] == "ValidationException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["reason"] == "FIELD_VALIDATION_FAILED"
    assert err["fieldList"] == [
        {"name": "eventName", "message": "Member must have length less than or equal to 100"}
    ]

    # 1 KB of attributes: UTF-8 bytes of keys plus values.
    ivschat.send_event(roomIdentifier=arn, eventName="E", attributes={"k": "v" * 1023})
    with pytest.raises(ivschat.exceptions.ValidationException) as info:
        ivschat.send_event(roomIdentifier=arn, eventName="E", attributes={"k": "ü" * 512})
    assert info.value.response["fieldList"][0]["name"] == "attributes"

    with pytest.raises(ivschat.exceptions.ValidationException):
        ivschat.send_event(roomIdentifier="not-an-arn", eventName="E")


def test_resource_not_found_carries_members(ivschat):
    arn = "arn:aws:ivschat:us-west-2:123456789012:room/missingRoom1"
    with pytest.raises(ivschat.exceptions.ResourceNotFoundException) as info:
        ivschat.send_event(roomIdentifier=arn, eventName="E")
    err = info.value.response
    assert err["Error"]["Code"] == "ResourceNotFoundException"
    assert err["resourceId"] == "missingRoom1"
    assert err["resourceType"] == "ROOM"


def test_real_quota_throttles(endpoint, ivschat):
    arn = new_room(ivschat)
    control(endpoint, "PUT", "/_emulator/quotas", {"enabled": True})
    with pytest.raises(ivschat.exceptions.ThrottlingException) as info:
        for i in range(1000):
            ivschat.send_event(roomIdentifier=arn, eventName=f"E{i}")
    err = info.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err["limit"] == 100
    assert err["resourceType"] == "ROOM"
    assert err["resourceId"] == arn.rsplit("/", 1)[1]

    # GetRoom does not model ThrottlingException; the code still comes through.
    with pytest.raises(ClientError) as info:
        for _ in range(50):
            ivschat.get_room(identifier=arn)
    assert info.value.response["Error"]["Code"] == "ThrottlingException"


def test_injected_server_errors_and_dropped_connections(endpoint, ivschat):
    arn = new_room(ivschat)
    control(endpoint, "PUT", "/_emulator/faults", {"errorRate": 1.0, "errorStatuses": [503]})
    with pytest.raises(ClientError) as info:
        ivschat.send_event(roomIdentifier=arn, eventName="E")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert info.value.response["Error"]["Code"] == "ServiceUnavailableException"

    control(endpoint, "PUT", "/_emulator/faults", {"dropRate": 1.0, "dropMode": "after"})
    before = control(endpoint, "GET", "/_emulator/stats")["eventsDelivered"]
    with pytest.raises(Exception) as info:
        ivschat.send_event(roomIdentifier=arn, eventName="Unknown outcome")
    assert not isinstance(info.value, ClientError)
    assert control(endpoint, "GET", "/_emulator/stats")["eventsDelivered"] == before + 1
    decisions = control(endpoint, "GET", "/_emulator/faults/log")["decisions"]
    assert decisions[-1]["fault"] == "dropAfterDelivery"
    assert decisions[-1]["delivered"] is True


def test_wrong_key_is_refused(endpoint):
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "ivschat", endpoint_url=endpoint, region_name="us-west-2",
        aws_access_key_id="AKIANOTCONFIGURED000", aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as info:
        client.list_rooms()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
