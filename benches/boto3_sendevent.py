"""Baseline: boto3 SendEvent with a thread pool, against an emulator.

Usage: python benches/boto3_sendevent.py ENDPOINT_URL SENDS THREADS
Prints {"sends": N, "seconds": S, "rate": R} as JSON. Credentials and region
come from the environment (the emulator's keys). Loopback only.
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def main() -> None:
    url, sends, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    client = boto3.client(
        "ivschat",
        endpoint_url=url,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=threads),
    )

    def send(i: int) -> None:
        client.send_event(
            roomIdentifier=f"arn:aws:ivschat:us-west-2:123456789012:room/p{i % 1000:05d}",
            eventName="Bench",
            attributes={"msgText": f"boto3 {i}"},
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(send, range(sends)))
    seconds = time.perf_counter() - start
    print(json.dumps({"sends": sends, "seconds": seconds, "rate": sends / seconds}))


if __name__ == "__main__":
    main()
