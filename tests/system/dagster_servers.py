"""`dagster-webserver` and `dagster-daemon` as `make dev` runs them, for tests that look at the
UI: started from the venv on 127.0.0.1 with the environment's CAM_HOME and DAGSTER_HOME, stopped
at the end; a server that dies on start fails the test with the tail of its log."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from cam_core import settings
from cam_dagster.cli.common import dagster_instance

#: The slow 2-core CI box loads the code location twice (webserver and daemon) at once.
START_TIMEOUT = 120.0
_DAEMON_HEALTH = "{ instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(base: str, query: str) -> dict[str, Any]:
    """The `data` of a GraphQL query to the webserver: to wait for state, never what a test asserts."""
    request = urllib.request.Request(
        base + "/graphql", data=json.dumps({"query": query}).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


class _Server:
    """One Dagster process, its output in a log file (a pipe nobody reads would fill and stall it)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name(name)), *args],
                cwd=settings.project_root(),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a kill also reaches the code server it starts
            )

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode} on start:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def _prepare_instance() -> None:
    """$DAGSTER_HOME set up as `cam` sets it up (the project's instance settings copied in), so the
    servers and the test's `cam` commands share one instance, and its run queue, from the start."""
    dagster_instance().dispose()


def _wait(what: str, ready: Any, servers: list[_Server]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for server in servers:
            server.check_alive()
        try:
            if ready():
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    logs = "\n".join(f"--- {server.name}:\n{server.tail()}" for server in servers)
    raise RuntimeError(f"{what} within {START_TIMEOUT:.0f} s\n{logs}")


def _daemons_healthy(base: str) -> bool:
    statuses = graphql(base, _DAEMON_HEALTH)["instance"]["daemonHealth"]["allDaemonStatuses"]
    return all(status["healthy"] for status in statuses if status["required"])


@contextmanager
def dagster_servers(logs: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The webserver's base URL, with the daemon running (its scheduler, sensors and run queue all
    heartbeating); both stopped on exit. `env` defaults to this process's environment."""
    env = dict(os.environ if env is None else env)
    _prepare_instance()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        webserver = _Server(
            "dagster-webserver", ["-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)], env, logs
        )
        stack.callback(webserver.stop)
        daemon = _Server("dagster-daemon", ["run", "-w", "workspace.yaml"], env, logs)
        stack.callback(daemon.stop)
        servers = [webserver, daemon]

        def answers() -> bool:
            with urllib.request.urlopen(base + "/server_info", timeout=2):
                return True

        _wait("dagster-webserver did not answer", answers, servers)
        _wait("dagster-daemon's daemons were not all healthy", lambda: _daemons_healthy(base), servers)
        yield base
