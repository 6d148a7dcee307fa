"""An S3-compatible server for the tests: moto's S3 in server mode, a process of its own on a
free loopback port, so CAM talks to it over HTTP exactly as to S3 (signed requests, PUTs, GETs,
listings), with the AWS settings every client reads from the environment (`env`).
If it cannot start, the tests that ask for it fail loudly: they are never skipped quietly.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from tests.loopback import free_port

#: Dummy credentials: moto accepts any, and nothing here reaches AWS.
ACCESS_KEY_ID = "cam-test-key-id"
SECRET_ACCESS_KEY = "cam-test-secret-access-key"
REGION = "us-east-1"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="cam-s3-", suffix=".log")[1])
        self._names = itertools.count(1)
        self._process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """The variables boto3 and s3fs read: credentials, region, and this server as the endpoint."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def start(self, timeout: float = 30.0) -> S3Server:
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto's S3 server exited at start:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto's S3 server did not listen on 127.0.0.1:{self.port}:\n{self.log.read_text()}")

    def client(self) -> Any:
        """A boto3 S3 client of this server, to look at what CAM stored as S3 itself would show it."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        """A fresh, empty bucket (each test its own); its name."""
        name = f"cam-test-{next(self._names)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in `bucket` under `prefix`, sorted."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def get(self, bucket: str, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=bucket, Key=key)["Body"].read())

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self.log.unlink(missing_ok=True)
