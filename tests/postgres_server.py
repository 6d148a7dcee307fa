"""A real PostgreSQL server for the tests, started from the machine's postgresql package.

initdb and pg_ctl run as an unprivileged user (PostgreSQL refuses root), in a
temporary folder, listening on a free loopback port. If it cannot start, the
suite fails loudly: the PostgreSQL variants are never skipped quietly.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tests.loopback import free_port, unprivileged_account


class PostgresServer:
    def __init__(self, durable: bool = False) -> None:
        # Tests trade durability for speed; a benchmark keeps the server's defaults (fsync on).
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="cam-pg-"))
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = unprivileged_account("postgres", "nobody").pw_name
            shutil.chown(self.root, user=self.user)
        self._names = itertools.count(1)
        self.version = ""

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        argv = (_tool(argv[0]), *argv[1:])
        command = ["runuser", "-u", self.user, "--", *argv] if self.user else list(argv)
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        for tool in ("initdb", "pg_ctl"):
            if not os.path.exists(_tool(tool)):
                raise RuntimeError(
                    f"PostgreSQL tests need `{tool}` on the PATH or in /usr/lib/postgresql/*/bin "
                    "(Debian: apt-get install postgresql; .ci/run installs it)"
                )
        self.version = subprocess.run([_tool("pg_ctl"), "--version"], capture_output=True, text=True).stdout.split()[2]
        data = self.root / "data"
        steps = [
            ("initdb", "-D", str(data), "-U", "cam", "--auth=trust", "-E", "UTF8", "--no-sync"),
            (
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(self.root / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300"
                + ("" if self.durable else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"),
                "start",
            ),
        ]
        for argv in steps:
            done = self._run(*argv)
            if done.returncode != 0:
                log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
                raise RuntimeError(f"PostgreSQL could not start: {' '.join(argv[:1])} said:\n{done.stderr}\n{log}")
        print(f"\n[postgres] PostgreSQL server started on 127.0.0.1:{self.port} in {self.root}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://cam@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"cam_test_{next(self._names)}"
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _tool(name: str) -> str:
    """A server program from the PATH, or from Debian's versioned folder (not on the PATH)."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else name)
