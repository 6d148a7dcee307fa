"""`make dev`'s promise, in a real browser: after `cam demo`, the Dagster UI shows
the nine assets with the demo partition materialized."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from cam_core import settings
from cam_dagster.cli import main
from tests.helpers import ASSET_KEYS, today

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Chromium for the UI test (see .ci/run)")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def webserver(cam_env, capsys):
    assert main(["demo"]) == 0
    capsys.readouterr()
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-webserver")),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=settings.project_root(),
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert server.stderr is not None  # a pipe, read if the server dies on start
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/server_info", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()[-3000:]) from None
            time.sleep(0.5)
    else:
        server.kill()
        raise RuntimeError("dagster-webserver did not answer within 120 s")
    yield base
    server.terminate()
    server.wait(timeout=30)


def _rendered(url: str) -> str:
    """The page's DOM after Chromium ran its JavaScript."""
    assert CHROMIUM is not None  # without it the module is skipped
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--window-size=1400,2000",
                "--virtual-time-budget=20000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        base + "/graphql", data=json.dumps({"query": query}).encode(), headers={"content-type": "application/json"}
    )
    return json.load(urllib.request.urlopen(request, timeout=30))["data"]


def test_the_ui_shows_all_nine_assets_with_the_demo_partition_materialized(webserver):
    catalog = _rendered(webserver + "/assets")
    for asset in ASSET_KEYS:
        assert f">{asset}<" in catalog, f"{asset} missing from the asset catalog"

    partitions = _rendered(webserver + "/assets/harvest?view=partitions")
    assert "Materialized (1)" in partitions.replace("<!-- -->", "")

    for asset in ASSET_KEYS:
        data = _graphql(
            webserver,
            f'{{ assetOrError(assetKey: {{path: ["{asset}"]}}) {{ ... on Asset {{'
            " assetMaterializations(limit: 1) { partition } } } }",
        )
        [latest] = data["assetOrError"]["assetMaterializations"]
        assert latest["partition"] == f"demo|{today()}", asset
