#!/usr/bin/env bash
# Cross-checks the emulator's SendEvent throughput with wrk, using a request
# signed by botocore (a signer we did not write). The emulator accepts the
# same signed request again and again within its 15-minute clock-skew window,
# and still verifies the signature of each one.
#
#   benches/wrk-sendevent.sh [SECONDS] [CONNECTIONS]
#
# Needs: wrk (Debian package `wrk`), the release binary
# (`cargo build --release`), and the conformance venv (scripts/setup-venv)
# for botocore. CARGO_TARGET_DIR and IVSCHAT_VENV are honoured.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-10}"
connections="${2:-64}"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/release/ivschat-playbook"
venv="${IVSCHAT_VENV:-$HOME/.cache/ivschat-playbook/venv}"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

room="arn:aws:ivschat:us-west-2:123456789012:room/benchRoom001"
echo "- $room" >"$work/rooms.yaml"
"$bin" emulator --listen 127.0.0.1:0 --no-quotas --rooms "$work/rooms.yaml" \
    --events-log "$work/events.jsonl" --keep-events 10000 >"$work/url" &
pid=$!
for _ in $(seq 100); do [[ -s "$work/url" ]] && break; sleep 0.05; done
url="$(head -1 "$work/url")"

ROOM="$room" URL="$url" "$venv/bin/python" - >"$work/sendevent.lua" <<'PY'
import json, os
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url = os.environ["URL"]
body = json.dumps({"roomIdentifier": os.environ["ROOM"], "eventName": "BenchEvent",
                   "attributes": {"msgText": "This chat room will close in 15 minutes."}})
req = AWSRequest(method="POST", url=url + "/SendEvent", data=body,
                 headers={"Content-Type": "application/json"})
SigV4Auth(Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
          "ivschat", "us-west-2").add_auth(req)
print('wrk.method = "POST"')
print("wrk.body = " + json.dumps(body))
for k, v in req.headers.items():
    print(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}")
print("""
done = function(summary, latency, requests)
  io.write(string.format("non-200 replies: %d\\n", summary.errors.status))
end
""")
PY

wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/sendevent.lua" "$url/SendEvent"
hwm="$(awk '/VmHWM/ {print $2}' /proc/$pid/status)"
delivered="$(curl -s "$url/_emulator/stats" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["eventsDelivered"])')"
echo "emulator VmHWM: $((hwm / 1024)) MiB; events delivered: $delivered"
