#!/usr/bin/env bash
# Baseline: the AWS CLI in a shell loop, one `aws ivschat send-event` per
# event, against an emulator.
# Usage: benches/awscli_loop.sh ENDPOINT_URL SENDS
# Prints {"sends": N, "seconds": S, "rate": R} as JSON. Credentials and region
# come from the environment (the emulator's keys). Loopback only.
set -euo pipefail
url=$1
n=${2:-10}
start=$(date +%s.%N)
for i in $(seq 1 "$n"); do
  aws ivschat send-event --endpoint-url "$url" \
    --room-identifier "arn:aws:ivschat:us-west-2:123456789012:room/c$(printf %05d "$i")" \
    --event-name Bench --attributes "msgText=cli $i" > /dev/null
done
end=$(date +%s.%N)
python3 -c "import json; s=$end-$start; print(json.dumps({'sends': $n, 'seconds': s, 'rate': $n/s}))"
