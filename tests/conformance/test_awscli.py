"""The AWS CLI v1 against the emulator: output on success, and the error
line and exit code on each kind of failure.

AWS CLI v1 exits with 255 when the service answers with an error (v2 uses
254 for that); the pinned CLI is v1. With retries off (legacy mode, one
attempt) the CLI prints `An error occurred (CODE) when calling the OP
operation: MESSAGE`; for an error it would have retried (throttling) it adds
` (reached max retries: 0)` after the operation name.
"""

import re

from conftest import aws, aws_json, control

CLI_SERVICE_ERROR_RC = 255


RETRYABLE = {"ThrottlingException"}


def error_line(proc, code, operation):
    """Checks the CLI's error line and exit code; returns the message."""
    assert proc.returncode == CLI_SERVICE_ERROR_RC, f"rc={proc.returncode} stderr={proc.stderr}"
    retries = r"( \(reached max retries: 0\))" if code in RETRYABLE else ""
    pattern = rf"An error occurred \({code}\) when calling the {operation} operation{retries}: (.*)"
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    match = re.fullmatch(pattern, lines[-1]) if lines else None
    assert match, proc.stderr
    return match.group(match.lastindex)


def make_room(endpoint, name="cli-room", region="us-west-2"):
    return aws_json(endpoint, "create-room", "--name", name, region=region)


def test_create_get_list_rooms(endpoint):
    room = make_room(endpoint, "cli-lobby")
    assert re.fullmatch(r"arn:aws:ivschat:us-west-2:123456789012:room/[A-Za-z0-9]{12}", room["arn"])
    assert room["name"] == "cli-lobby"
    got = aws_json(endpoint, "get-room", "--identifier", room["arn"])
    assert got["id"] == room["id"]
    assert got["maximumMessageLength"] == 500
    listed = aws_json(endpoint, "list-rooms", "--name", "cli-lobby")
    assert [r["arn"] for r in listed["rooms"]] == [room["arn"]]


def test_send_event_prints_id(endpoint):
    room = make_room(endpoint)
    out = aws_json(
        endpoint,
        "send-event",
        "--room-identifier", room["arn"],
        "--event-name", "SystemMessage",
        "--attributes", "msgType=notice,msgText=hello",
    )
    assert list(out) == ["id"]
    assert re.fullmatch(r"[A-Za-z0-9]{12}", out["id"])
    events = control(endpoint, "GET", "/_emulator/events")["events"]
    delivered = [e for e in events if e["id"] == out["id"]]
    assert len(delivered) == 1
    assert delivered[0]["attributes"] == {"msgType": "notice", "msgText": "hello"}
    assert delivered[0]["region"] == "us-west-2"


def test_tags_in_the_path_are_signed_as_the_cli_encodes_them(endpoint):
    room = make_room(endpoint)
    aws_json(endpoint, "tag-resource", "--resource-arn", room["arn"], "--tags", "a=1,b=2")
    aws_json(endpoint, "untag-resource", "--resource-arn", room["arn"], "--tag-keys", "a")
    tags = aws_json(endpoint, "list-tags-for-resource", "--resource-arn", room["arn"])
    assert tags == {"tags": {"b": "2"}}


def test_too_long_event_name(endpoint):
    room = make_room(endpoint)
    proc = aws(endpoint, "send-event", "--room-identifier", room["arn"], "--event-name", "x" * 101)
    message = error_line(proc, "ValidationException", "SendEvent")
    assert message == (
        "1 validation error detected: Value at 'eventName' failed to satisfy constraint: "
        "Member must have length less than or equal to 100"
    )


def test_bad_arn(endpoint):
    proc = aws(endpoint, "send-event", "--room-identifier", "arn:aws:ivschat:us-west-2:1:stage/x", "--event-name", "E")
    message = error_line(proc, "ValidationException", "SendEvent")
    assert "Value at 'roomIdentifier' failed to satisfy constraint" in message
    assert "regular expression pattern" in message


def test_unknown_room(endpoint):
    arn = "arn:aws:ivschat:us-west-2:123456789012:room/nosuchroom12"
    proc = aws(endpoint, "send-event", "--room-identifier", arn, "--event-name", "E")
    assert error_line(proc, "ResourceNotFoundException", "SendEvent") == f"Room not found: {arn}"


def test_room_of_another_region_is_not_found(endpoint):
    room = make_room(endpoint)
    proc = aws(endpoint, "get-room", "--identifier", room["arn"], region="eu-west-1")
    error_line(proc, "ResourceNotFoundException", "GetRoom")


def test_throttled(endpoint):
    room = make_room(endpoint)
    control(endpoint, "PUT", "/_emulator/faults", {"throttleRate": 1.0, "operations": ["SendEvent"]})
    proc = aws(endpoint, "send-event", "--room-identifier", room["arn"], "--event-name", "E")
    message = error_line(proc, "ThrottlingException", "SendEvent")
    assert "100 TPS" in message


def test_wrong_secret(endpoint):
    proc = aws(endpoint, "list-rooms", env={"AWS_SECRET_ACCESS_KEY": "not-the-secret"})
    message = error_line(proc, "InvalidSignatureException", "ListRooms")
    assert "signature we calculated does not match" in message
    assert "not-the-secret" not in proc.stderr
