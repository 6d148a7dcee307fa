"""What the servers tests start (PostgreSQL, Dovecot, `cam serve`) share: a free loopback
port, and the unprivileged account they run as when the tests run as root."""

from __future__ import annotations

import pwd
import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unprivileged_account(*candidates: str) -> pwd.struct_passwd:
    """The first of `candidates` that exists on this machine."""
    for name in candidates:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"none of the accounts {', '.join(candidates)} exists to run the test server as")
