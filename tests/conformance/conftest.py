"""Fixtures for the conformance tests: the emulator endpoint (from
IVSCHAT_EMULATOR_URL), its control API, the AWS CLI and a boto3 client.

Credentials, region and retry settings come from the environment that the
Rust test sets (AWS_ACCESS_KEY_ID, AWS_DEFAULT_REGION, AWS_MAX_ATTEMPTS=1,
AWS_CONFIG_FILE=/dev/null, ...), so nothing from the machine leaks in.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REGION = "us-west-2"
AWS = str(Path(sys.executable).parent / "aws")


@pytest.fixture(scope="session")
def endpoint():
    url = os.environ.get("IVSCHAT_EMULATOR_URL")
    if not url:
        pytest.fail(
            "IVSCHAT_EMULATOR_URL is not set: run these tests through "
            "`cargo test --test it conformance`, or start `ivschat-playbook "
            "emulator` and export its URL"
        )
    return url


def control(endpoint, method, path, body=None):
    """Calls the emulator's control API and returns the decoded JSON (or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        endpoint + path,
        data=data,
        method=method,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


@pytest.fixture(autouse=True)
def clean_emulator(endpoint):
    """Each test starts without quotas or faults; a test opts in itself."""
    control(endpoint, "PUT", "/_emulator/quotas", {"enabled": False})
    control(endpoint, "PUT", "/_emulator/faults", {})
    yield
    control(endpoint, "PUT", "/_emulator/faults", {})
    control(endpoint, "PUT", "/_emulator/quotas", {"enabled": False})


@pytest.fixture
def ivschat(endpoint):
    return boto3.client(
        "ivschat",
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def aws(endpoint, *args, region=REGION, env=None):
    """Runs `aws ivschat ARGS --endpoint-url ...` and returns the process."""
    cmd = [AWS, "ivschat", *args, "--endpoint-url", endpoint, "--region", region, "--output", "json"]
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=full_env)


def aws_json(endpoint, *args, **kwargs):
    proc = aws(endpoint, *args, **kwargs)
    assert proc.returncode == 0, f"rc={proc.returncode}\nstdout={proc.stdout}\nstderr={proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else None
